"""Kiosk displays through the HTTP layer: the admin API, and the display's tick as the
browser sends it (``POST /kiosk/_dash-update-component``), on SQLite and on
PostgreSQL as the RLS-bound app role.

A kiosk token is a credential for one dashboard or playlist: its tick draws that
dashboard and nothing else; replayed as an API key, against the main app's callbacks
or with other widget ids, it gets nothing.
"""

from __future__ import annotations

import hashlib
import json

import pytest
from sqlalchemy import select

from app import create_app
from core.db import Database
from core.models import AuditLog, Dashboard, DashboardWidget, KioskToken
from tests.conftest import login, make_settings, org_id


@pytest.fixture
def kiosk_app(demo_db):
    app = create_app(make_settings(demo_db["app"], admin_database_url=demo_db["admin"]))
    yield app
    app.server.extensions["pulse"].db.dispose()


@pytest.fixture
def admin_client(kiosk_app):
    client = kiosk_app.server.test_client()
    login(client, "admin@acme.example")
    return client


def dashboards_of(db: Database, slug: str) -> dict[str, int]:
    with db.unscoped_session() as session:
        rows = session.scalars(
            select(Dashboard).where(
                Dashboard.org_id == org_id(db, slug), Dashboard.is_template.is_(False)
            )
        )
        return {row.name: row.id for row in rows}


def widget_titles(db: Database, dashboard_id: int) -> list[str]:
    with db.unscoped_session() as session:
        return list(
            session.scalars(
                select(DashboardWidget.title).where(
                    DashboardWidget.dashboard_id == dashboard_id
                )
            )
        )


def widget_ids(db: Database, dashboard_id: int) -> list[int]:
    with db.unscoped_session() as session:
        return list(
            session.scalars(
                select(DashboardWidget.id).where(
                    DashboardWidget.dashboard_id == dashboard_id
                )
            )
        )


TICK_OUTPUT = (
    '..kiosk-screen.children...{"index":["ALL"],"type":"kiosk-widget"}.children...'
    "kiosk-state.data...kiosk-tick.interval...kiosk-tick.disabled...kiosk-title."
    "children...kiosk-position.children...kiosk-asof.children...kiosk-location.href.."
)


def tick_body(pathname: str, state: dict, shown: list[int], as_of=None) -> dict:
    """The JSON the display's tick sends (as dash-renderer builds it)."""
    single = [
        ("kiosk-screen", "children"),
        ("kiosk-state", "data"),
        ("kiosk-tick", "interval"),
        ("kiosk-tick", "disabled"),
        ("kiosk-title", "children"),
        ("kiosk-position", "children"),
        ("kiosk-asof", "children"),
        ("kiosk-location", "href"),
    ]
    outputs: list = [{"id": i, "property": p} for i, p in single]
    outputs.insert(
        1,
        [
            {"id": {"type": "kiosk-widget", "index": wid}, "property": "children"}
            for wid in shown
        ],
    )
    return {
        "output": TICK_OUTPUT,
        "outputs": outputs,
        "inputs": [
            {"id": "kiosk-tick", "property": "n_intervals", "value": 1},
            {"id": "kiosk-location", "property": "pathname", "value": pathname},
        ],
        "changedPropIds": ["kiosk-tick.n_intervals"],
        "state": [
            {"id": "kiosk-state", "property": "data", "value": state},
            {"id": "kiosk-asof", "property": "children", "value": as_of},
        ],
    }


def tick(client, pathname: str, state: dict, shown=(), as_of=None):
    return client.post(
        "/kiosk/_dash-update-component",
        data=json.dumps(tick_body(pathname, state, list(shown), as_of)),
        content_type="application/json",
    )


def first_screen(client, app, token: str):
    """The first tick of a freshly opened display: its whole screen and state."""
    version = app.server.extensions["pulse"].version
    response = tick(client, f"/kiosk/{token}", {"version": version})
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    answer = response.get_json()["response"]
    return answer, answer["kiosk-state"]["data"]


def test_an_admin_creates_lists_and_revokes_tokens_and_playlists(
    admin_client, admin_db, kiosk_app
):
    names = dashboards_of(admin_db, "acme")
    created = admin_client.post(
        "/api/v1/playlists",
        json={
            "name": "Lobby wall",
            "items": [
                {"dashboard_id": names["Executive Overview"], "seconds": 30},
                {"dashboard_id": names["Platform Health"], "seconds": 20},
            ],
        },
    )
    assert created.status_code == 201, created.get_json()
    playlist = created.get_json()
    assert [item["seconds"] for item in playlist["items"]] == [30, 20]

    response = admin_client.post(
        "/api/v1/kiosk-tokens",
        json={
            "name": "Lobby TV",
            "playlist_id": playlist["id"],
            "filters": {"date_range": "last_7_days", "platforms": ["meta"]},
        },
    )
    assert response.status_code == 201, response.get_json()
    token = response.get_json()
    assert token["token"].startswith("kiosk_")
    assert token["url"].endswith(f"/kiosk/{token['token']}")

    # Stored hashed, like an API key; listed without the token.
    with admin_db.unscoped_session() as session:
        row = session.scalars(
            select(KioskToken).where(KioskToken.id == token["id"])
        ).one()
        assert row.token_hash == hashlib.sha256(token["token"].encode()).hexdigest()
        assert token["token"] not in json.dumps(
            [row.name, row.prefix, row.filters, row.token_hash]
        )
    listed = admin_client.get("/api/v1/kiosk-tokens").get_json()
    assert "Lobby TV" in [t["name"] for t in listed["kiosk_tokens"]]
    assert token["token"] not in json.dumps(listed)
    playlists = admin_client.get("/api/v1/playlists").get_json()["playlists"]
    assert playlist["id"] in [p["id"] for p in playlists]

    revoked = admin_client.delete(f"/api/v1/kiosk-tokens/{token['id']}")
    assert revoked.status_code == 200 and revoked.get_json()["revoked_at"]
    # Another org's token id is not found, like a missing one.
    assert admin_client.delete("/api/v1/kiosk-tokens/999999").status_code == 404


def test_the_kiosk_routes_refuse_bad_input_and_non_admins(
    kiosk_app, admin_client, admin_db
):
    names = dashboards_of(admin_db, "acme")
    globex = dashboards_of(admin_db, "globex")
    cases = [
        ({"name": "", "dashboard_id": names["Executive Overview"]}, 422),
        ({"name": "x"}, 422),
        ({"name": "x", "dashboard_id": globex["Executive Overview"]}, 422),
        (
            {
                "name": "x",
                "dashboard_id": names["Executive Overview"],
                "filters": {"date_range": "forever"},
            },
            422,
        ),
        ({"name": "x", "dashboard_id": 1, "color": "red"}, 422),
    ]
    for body, status in cases:
        response = admin_client.post("/api/v1/kiosk-tokens", json=body)
        assert response.status_code == status, (body, response.get_json())
    bad_items = admin_client.post(
        "/api/v1/playlists",
        json={"name": "x", "items": [{"dashboard_id": 1, "seconds": 1}]},
    )
    assert bad_items.status_code == 422

    for email in ("viewer@acme.example", "editor@acme.example"):
        client = kiosk_app.server.test_client()
        login(client, email)
        assert client.get("/api/v1/kiosk-tokens").status_code == 403
        assert (
            client.post(
                "/api/v1/kiosk-tokens",
                json={"name": "x", "dashboard_id": names["Executive Overview"]},
            ).status_code
            == 403
        )


def make_token(admin_client, dashboard_id: int, name: str = "Sales floor") -> str:
    response = admin_client.post(
        "/api/v1/kiosk-tokens", json={"name": name, "dashboard_id": dashboard_id}
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()["token"]


def test_a_display_draws_its_dashboard_then_sends_nothing_while_nothing_changed(
    kiosk_app, admin_client, admin_db
):
    names = dashboards_of(admin_db, "acme")
    dashboard_id = names["Executive Overview"]
    token = make_token(admin_client, dashboard_id)
    display = kiosk_app.server.test_client()  # no session: only the token

    answer, state = first_screen(display, kiosk_app, token)
    screen = json.dumps(answer["kiosk-screen"]["children"])
    for title in widget_titles(admin_db, dashboard_id):
        assert title in screen
    assert answer["kiosk-title"]["children"] == "Executive Overview"
    assert answer["kiosk-asof"]["children"].startswith("Data as of ")
    assert set(state["digests"]) == {str(i) for i in widget_ids(admin_db, dashboard_id)}

    shown = widget_ids(admin_db, dashboard_id)
    again = tick(
        display, f"/kiosk/{token}", state, shown, answer["kiosk-asof"]["children"]
    )
    # Nothing changed: no update at all, an empty answer (unless the minute of
    # "data as of" turned between the two ticks, which sends that label only).
    assert again.status_code in (200, 204)
    if again.status_code == 200:
        assert set(again.get_json()["response"]) == {"kiosk-asof"}
    assert len(again.get_data()) < 1024

    # The draw was audited with the token's name; the unchanged tick was not.
    kiosk_app.server.extensions["pulse"].read_log.flush()
    with admin_db.unscoped_session() as session:
        reads = session.scalars(
            select(AuditLog).where(
                AuditLog.action == "read", AuditLog.entity_id == str(dashboard_id)
            )
        ).all()
    kiosk_reads = [r for r in reads if r.details.get("kiosk_token") == "Sales floor"]
    assert len(kiosk_reads) == 1
    assert kiosk_reads[0].user_id is None


def test_a_kiosk_token_opens_nothing_else(kiosk_app, admin_client, admin_db):
    names = dashboards_of(admin_db, "acme")
    token = make_token(admin_client, names["Executive Overview"])
    other = names["Campaign Performance"]
    # Titles only that dashboard has (long enough not to be some label's text).
    other_titles = {
        title
        for title in set(widget_titles(admin_db, other))
        - set(widget_titles(admin_db, names["Executive Overview"]))
        if len(title) >= 10
    }
    assert other_titles
    display = kiosk_app.server.test_client()
    version = kiosk_app.server.extensions["pulse"].version

    # As an API key, and on the main app's pages and callbacks: refused.
    bearer = {"Authorization": f"Bearer {token}"}
    assert display.get("/api/v1/dashboards", headers=bearer).status_code == 401
    assert display.get(f"/api/v1/dashboards/{other}/data").status_code == 401
    assert display.get(f"/dashboards/{other}").status_code == 302
    main_callback = display.post(
        "/_dash-update-component",
        json={
            "output": '{"index":["MATCH"],"type":"widget-body"}.children',
            "outputs": {
                "id": {"type": "widget-body", "index": widget_ids(admin_db, other)[0]},
                "property": "children",
            },
            "inputs": [
                {"id": "kiosk-location", "property": "pathname", "value": token}
            ],
            "state": [{"id": "dashboard-id", "property": "data", "value": other}],
            "changedPropIds": [],
        },
    )
    assert main_callback.status_code == 401

    # The kiosk's own tick, naming another dashboard's widgets: it draws the token's
    # dashboard (a whole new screen), never those widgets.
    replay = tick(
        display,
        f"/kiosk/{token}",
        {"version": version, "layout": "x", "digests": {}},
        widget_ids(admin_db, other),
    )
    assert replay.status_code == 200
    text = replay.get_data(as_text=True)
    assert not [title for title in other_titles if json.dumps(title)[1:-1] in text]
    answer = replay.get_json()["response"]
    assert answer["kiosk-title"]["children"] == "Executive Overview"
    # No update for any of the ids it named.
    assert [key for key in answer if "kiosk-widget" in key] == []
    # Another callback of the kiosk app (there is none) or another output: nothing.
    forged = display.post(
        "/kiosk/_dash-update-component",
        json={
            **tick_body(f"/kiosk/{token}", {}, []),
            "output": "dashboard-grid.children",
        },
    )
    assert forged.status_code >= 400
    assert not [t for t in other_titles if t in forged.get_data(as_text=True)]


def test_a_revoked_token_disconnects_its_display_at_the_next_tick(
    kiosk_app, admin_client, admin_db
):
    names = dashboards_of(admin_db, "acme")
    token = make_token(admin_client, names["Platform Health"])
    display = kiosk_app.server.test_client()
    answer, state = first_screen(display, kiosk_app, token)
    listed = admin_client.get("/api/v1/kiosk-tokens").get_json()["kiosk_tokens"]
    (token_id,) = [t["id"] for t in listed if token.startswith(t["prefix"])]
    assert admin_client.delete(f"/api/v1/kiosk-tokens/{token_id}").status_code == 200

    response = tick(display, f"/kiosk/{token}", state, [])
    body = response.get_json()["response"]
    assert "This display was disconnected" in json.dumps(body["kiosk-screen"])
    assert body["kiosk-tick"]["disabled"] is True
    # A made-up token is disconnected the same way.
    made_up = tick(display, "/kiosk/kiosk_nope", state, [])
    assert "disconnected" in made_up.get_data(as_text=True)


def test_a_deploy_reloads_an_open_display(kiosk_app, admin_client, admin_db):
    names = dashboards_of(admin_db, "acme")
    token = make_token(admin_client, names["Platform Health"])
    display = kiosk_app.server.test_client()
    response = tick(display, f"/kiosk/{token}", {"version": "an-older-release"}, [])
    href = response.get_json()["response"]["kiosk-location"]["href"]
    assert href.startswith(f"/kiosk/{token}?v=")
