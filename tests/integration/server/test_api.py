"""Login, the JSON API, API keys and the health check, through the real Flask app."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app import create_app
from commands.apikeys import create_api_key, revoke_api_key
from core.db import Database
from core.models import AuditLog
from tests.conftest import login, logout, make_settings

# Dash keys pattern-matching callbacks by the wildcard form of their output id.
# The widget callback's outputs: the card, the data key it shows, when its data was
# computed (Dash's id for several outputs: "..a...b...c..").
MATCH_OUTPUT = (
    '..{"index":["MATCH"],"type":"widget-body"}.children'
    '...{"index":["MATCH"],"type":"widget-key"}.data'
    '...{"index":["MATCH"],"type":"widget-computed"}.data..'
)


def widget_outputs(widget_id: int) -> list[dict]:
    """The ``outputs`` of a widget callback request for one widget."""
    return [
        {"id": {"index": widget_id, "type": kind}, "property": prop}
        for kind, prop in (
            ("widget-body", "children"),
            ("widget-key", "data"),
            ("widget-computed", "data"),
        )
    ]


# The filter bar as the widget callbacks read it (an unfiltered dashboard).
FILTER_STATE = [
    {"id": "filter-date-range", "property": "value", "value": "widget"},
    {"id": "filter-platforms", "property": "value", "value": []},
    {"id": "filter-countries", "property": "value", "value": []},
    {"id": "filter-custom-dates", "property": "start_date", "value": None},
    {"id": "filter-custom-dates", "property": "end_date", "value": None},
    {"id": "filter-compare", "property": "value", "value": None},
    {"id": "filter-campaigns", "property": "value", "value": []},
    {"id": "filter-drill", "property": "data", "value": {}},
]

__all__ = ["login"]  # other test modules import it from here


def dashboards_of(client) -> list[dict]:
    response = client.get("/api/v1/dashboards")
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["dashboards"]


def test_login_with_the_demo_password_opens_the_dashboards(app_client):
    response = login(app_client)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    names = [d["name"] for d in dashboards_of(app_client)]
    assert "Executive Overview" in names


@pytest.mark.parametrize(
    "email,password",
    [
        ("admin@acme.example", "wrong-password"),
        ("nobody@acme.example", "pulse-demo"),
        ("", ""),
    ],
)
def test_wrong_credentials_are_refused(app_client, email, password):
    response = login(app_client, email, password)
    assert response.status_code == 401
    assert "Invalid email or password" in response.get_data(as_text=True)
    assert app_client.get("/api/v1/dashboards").status_code == 401


def test_pages_and_callbacks_need_a_login(app_client):
    page = app_client.get("/dashboards/1")
    assert (
        page.status_code == 302
        and "/login?next=/dashboards/1" in page.headers["Location"]
    )
    callback = app_client.post("/_dash-update-component", json={})
    assert callback.status_code == 401
    api = app_client.get("/api/v1/dashboards")
    assert (
        api.status_code == 401 and api.get_json()["error"] == "authentication required"
    )


def test_open_redirects_are_ignored(app_client):
    response = login(app_client, next="//evil.example/x")
    assert response.headers["Location"] == "/"


def test_another_orgs_dashboard_is_404_like_a_missing_one(app_client):
    login(app_client, "admin@globex.example")
    globex_id = dashboards_of(app_client)[0]["id"]
    logout(app_client)
    login(app_client, "viewer@acme.example")
    acme_id = executive_of(app_client)
    own = app_client.get(f"/api/v1/dashboards/{acme_id}")
    assert own.status_code == 200
    assert {w["title"] for w in own.get_json()["widgets"]} >= {
        "Total Revenue",
        "ROAS Trend",
    }
    other = app_client.get(f"/api/v1/dashboards/{globex_id}")
    missing = app_client.get("/api/v1/dashboards/999999")
    assert other.status_code == missing.status_code == 404
    assert (
        other.get_json()["error"]
        == missing.get_json()["error"]
        == "dashboard not found"
    )
    unknown = app_client.get("/api/v1/nothing-here")
    assert unknown.status_code == 404 and unknown.is_json


def test_api_key_authenticates_for_its_org_until_revoked(app_client, demo_db):
    admin = Database(demo_db["admin"])
    row, key = create_api_key(admin, "globex", "test")
    try:
        headers = {"Authorization": f"Bearer {key}"}
        response = app_client.get("/api/v1/dashboards", headers=headers)
        assert response.status_code == 200
        assert all(d["name"] for d in response.get_json()["dashboards"])
        # Revoking through the shared cache (as the CLI does) takes effect at once, even
        # though the worker remembered the key a moment ago.
        shared_cache = app_client.application.extensions["pulse"].cache
        assert revoke_api_key(admin, "globex", row.prefix, shared_cache) == 1
        refused = app_client.get("/api/v1/dashboards", headers=headers)
        assert refused.status_code == 401
        assert refused.get_json()["error"] == "invalid or revoked API key"
        # Both changes are in Globex's audit log, naming the key by its prefix.
        with admin.unscoped_session() as session:
            logged = session.execute(
                select(AuditLog.action, AuditLog.details).where(
                    AuditLog.entity_type == "api_key",
                    AuditLog.entity_id == str(row.id),
                    AuditLog.org_id == row.org_id,
                )
            ).all()
        assert sorted(action for action, _ in logged) == ["create", "revoke"]
        assert all(details["prefix"] == row.prefix for _, details in logged)
    finally:
        admin.dispose()


def executive_of(client) -> int:
    return next(
        d["id"] for d in dashboards_of(client) if d["name"] == "Executive Overview"
    )


def test_widget_callback_rechecks_the_widget_belongs_to_the_caller(app_client):
    """A crafted callback naming another org's widget gets no data from it."""
    login(app_client, "admin@globex.example")
    globex = app_client.get(f"/api/v1/dashboards/{executive_of(app_client)}").get_json()
    logout(app_client)
    login(app_client, "admin@acme.example")
    acme_dashboard = executive_of(app_client)
    stolen = globex["widgets"][0]["id"]
    body_id = {"index": stolen, "type": "widget-body"}
    payload = {
        "output": MATCH_OUTPUT,
        "outputs": widget_outputs(stolen),
        "inputs": [
            {
                "id": {"index": stolen, "type": "widget-wanted"},
                "property": "data",
                "value": 1,
            },
        ],
        "state": [
            {"id": "dashboard-id", "property": "data", "value": globex["id"]},
            {"id": body_id, "property": "id", "value": body_id},
            {
                "id": {"index": stolen, "type": "widget-computed"},
                "property": "data",
                "value": None,
            },
            *FILTER_STATE,
        ],
        "changedPropIds": [f'{{"index":{stolen},"type":"widget-wanted"}}.data'],
    }
    app_client.get("/")  # Dash builds its callback map on the first page request
    response = app_client.post("/_dash-update-component", json=payload)
    text = response.get_data(as_text=True)
    assert response.status_code == 200, text
    assert "does not exist or is not shared with you" in text
    assert "kpi-value" not in text
    # The same request for the caller's own dashboard and widget renders data.
    own = app_client.get(f"/api/v1/dashboards/{acme_dashboard}").get_json()["widgets"][
        0
    ]["id"]
    own_id = {"index": own, "type": "widget-body"}
    payload |= {
        "outputs": widget_outputs(own),
        "inputs": [
            {
                "id": {"index": own, "type": "widget-wanted"},
                "property": "data",
                "value": 1,
            },
        ],
        "state": [
            {"id": "dashboard-id", "property": "data", "value": acme_dashboard},
            {"id": own_id, "property": "id", "value": own_id},
            {
                "id": {"index": own, "type": "widget-computed"},
                "property": "data",
                "value": None,
            },
            *FILTER_STATE,
        ],
    }
    assert "kpi-value" in app_client.post(
        "/_dash-update-component", json=payload
    ).get_data(as_text=True)


def test_healthz_reports_database_and_cache(app_client):
    response = app_client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert (
        body["status"] == "ok"
        and body["database"]["status"] == body["cache"]["status"] == "ok"
    )


def test_healthz_names_the_failing_part(demo_sqlite, tmp_path):
    # Without its cache Pulse still serves from the database: degraded, not down, so
    # a load balancer keeps the node.
    dead_cache = create_app(
        make_settings(
            demo_sqlite["app"], cache_type="redis", redis_url="redis://127.0.0.1:1/0"
        )
    )
    response = dead_cache.server.test_client().get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "degraded" and body["degraded"] == ["cache"]
    assert "failing" not in body and body["cache"]["status"] == "error"
    garbage = tmp_path / "not-a-database.db"
    garbage.write_bytes(b"this is not a SQLite file" * 100)
    dead_db = create_app(make_settings(f"sqlite:///{garbage}"))
    response = dead_db.server.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["failing"] == ["database"]


def test_the_whole_dashboard_refresh_draws_only_the_callers_widgets(app_client):
    """The filter bar's refresh of every widget, crafted with another org's
    dashboard and widget ids, draws none of them; with the caller's own, all."""
    login(app_client, "admin@globex.example")
    globex = app_client.get(f"/api/v1/dashboards/{executive_of(app_client)}").get_json()
    logout(app_client)
    login(app_client, "admin@acme.example")
    acme = app_client.get(f"/api/v1/dashboards/{executive_of(app_client)}").get_json()
    app_client.get("/")  # Dash builds its callback map on the first page request
    refresh_all = next(
        c
        for c in app_client.get("/_dash-dependencies").get_json()
        if '{"index":["ALL"],"type":"widget-body"}.children' in c["output"]
    )

    def refresh(dashboard: dict) -> str:
        ids = [w["id"] for w in dashboard["widgets"]]
        kinds = (("widget-body", "children"), ("widget-key", "data"))
        payload = {
            "output": refresh_all["output"],
            "outputs": [
                [{"id": {"index": i, "type": kind}, "property": prop} for i in ids]
                for kind, prop in (*kinds, ("widget-computed", "data"))
            ],
            "inputs": [
                {"id": "dashboard-refresh-button", "property": "n_clicks", "value": 1},
                *FILTER_STATE,
            ],
            "state": [
                {"id": "dashboard-id", "property": "data", "value": dashboard["id"]},
                [
                    {
                        "id": {"index": i, "type": "widget-body"},
                        "property": "id",
                        "value": {"index": i, "type": "widget-body"},
                    }
                    for i in ids
                ],
                [
                    {
                        "id": {"index": i, "type": "widget-computed"},
                        "property": "data",
                        "value": None,
                    }
                    for i in ids
                ],
            ],
            "changedPropIds": ["dashboard-refresh-button.n_clicks"],
        }
        response = app_client.post("/_dash-update-component", json=payload)
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.get_data(as_text=True)

    stolen = refresh(globex)
    assert stolen.count("does not exist or is not shared with you") == len(
        globex["widgets"]
    )
    assert "kpi-value" not in stolen
    own = refresh(acme)
    assert own.count("kpi-value") >= 4 and "not shared with you" not in own
