"""The alerts page through Dash's own endpoint, signed in: the navigation bar's firing
count, the table, the form's live preview (values equal to SQL), saving from the form
and a viewer's refusal."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import text

from app import create_app
from commands.alerts import run_alerts
from tests.conftest import login, make_settings, org_id, seed_small_demo, sqlite_url

FORM_DEFAULTS = {
    "alert-name": "",
    "alert-type": "threshold",
    "alert-metric": "cpa",
    "alert-operator": ">",
    "alert-threshold": 50,
    "alert-window": "1d",
    "alert-entity": "org",
    "alert-platforms": [],
    "alert-pending": 2,
    "alert-recovery": None,
    "alert-cooldown": 60,
    "alert-channels": ["email"],
    "alert-recipients": "",
    "alert-slack": "",
    "alert-webhook": "",
}


@pytest.fixture(scope="module")
def world(tmp_path_factory, seed_now):
    url = sqlite_url(tmp_path_factory.mktemp("alerts-page"))
    seed_small_demo(url, seed_now)
    app = create_app(
        make_settings(url, scheduler="off", outbox_dir=tmp_path_factory.mktemp("out"))
    )
    svc = app.server.extensions["pulse"]

    def signed_in(email: str):
        client = app.server.test_client()
        assert login(client, email).status_code == 302
        client.get("/alerts")  # Dash builds its callback map on the first page
        return client

    yield {"signed_in": signed_in, "svc": svc, "url": url}
    svc.db.dispose()


def call(
    client,
    outputs: list[tuple[str, str]],
    inputs: list[tuple[str, str, object]],
    state: list[tuple[str, str, object]] = (),
    changed: str | None = None,
):
    payload = {
        "output": "...".join(f"{i}.{p}" for i, p in outputs)
        if len(outputs) > 1
        else f"{outputs[0][0]}.{outputs[0][1]}",
        "outputs": [{"id": i, "property": p} for i, p in outputs]
        if len(outputs) > 1
        else {"id": outputs[0][0], "property": outputs[0][1]},
        "inputs": [{"id": i, "property": p, "value": v} for i, p, v in inputs],
        "state": [{"id": i, "property": p, "value": v} for i, p, v in state],
        "changedPropIds": [changed] if changed else [],
    }
    if len(outputs) > 1:
        payload["output"] = ".." + payload["output"] + ".."
    response = client.post("/_dash-update-component", json=payload)
    return response


def test_alp001_preview_shows_current_values_equal_to_sql(world):
    client = world["signed_in"]("editor@acme.example")
    values = FORM_DEFAULTS | {
        "alert-window": "7d",
        "alert-entity": "platform",
        "alert-metric": "cpa",
        "alert-threshold": 0,
    }
    inputs = [
        (field, "value", values[field])
        for field in (
            "alert-type",
            "alert-metric",
            "alert-operator",
            "alert-threshold",
            "alert-window",
            "alert-entity",
            "alert-platforms",
            "alert-pending",
            "alert-recovery",
        )
    ]
    response = call(
        client, [("alert-preview", "children")], inputs, changed="alert-window.value"
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    body = json.dumps(response.get_json())
    assert "would fire" in body
    # Meta's CPA over the last 7 complete days, from SQL, is in the preview.
    db = world["svc"].db
    acme = org_id(db, "acme")
    org_tz = "America/New_York"
    from core.windows import org_today

    today = org_today(org_tz)
    with db.unscoped_session() as session:
        spend, conversions = session.execute(
            text(
                "SELECT SUM(f.spend), SUM(f.conversions) FROM metric_facts_hourly f "
                "JOIN campaigns c ON c.id = f.campaign_id WHERE f.org_id = :o AND "
                "c.platform = 'meta' AND f.local_date >= :s AND f.local_date < :e"
            ),
            {"o": acme, "s": today - dt.timedelta(days=7), "e": today},
        ).one()
    expected = float(spend) / float(conversions)
    shown = f"{expected:,.2f}" if expected >= 100 else f"{expected:,.4g}"
    assert f"Meta {shown}" in body
    bad = call(
        client,
        [("alert-preview", "children")],
        [(i, p, "cpx" if i == "alert-metric" else v) for i, p, v in inputs],
        changed="alert-metric.value",
    )
    assert "condition.metric" in json.dumps(bad.get_json())


def save(client, values: dict):
    outputs = [
        ("alert-version", "data"),
        ("alert-message", "children"),
        ("alert-editing", "data"),
        ("alert-form-title", "children"),
        *[(field, "value") for field in FORM_DEFAULTS],
    ]
    return call(
        client,
        outputs,
        [
            ({"type": "alert-action", "action": "x", "index": 0}, "n_clicks", None),
            ("alert-save", "n_clicks", 1),
            ("alert-cancel", "n_clicks", None),
        ],
        [("alert-version", "data", 0), ("alert-editing", "data", None)]
        + [(field, "value", values[field]) for field in FORM_DEFAULTS],
        changed="alert-save.n_clicks",
    )


def text_of(response) -> str:
    return json.dumps(response.get_json(), ensure_ascii=False)


def test_alp002_save_from_the_form_then_table_and_nav_count(world):
    editor = world["signed_in"]("editor@acme.example")
    values = FORM_DEFAULTS | {
        "alert-name": "Any spend this week",
        "alert-metric": "spend",
        "alert-operator": ">=",
        "alert-threshold": 0,
        "alert-window": "7d",
        "alert-pending": 1,
        "alert-recipients": "ops@acme.example",
    }
    response = save(editor, values)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert "Created “Any spend this week”" in text_of(response)
    refused = save(editor, values | {"alert-recipients": "x@elsewhere.example"})
    assert "notification_config.recipients" in text_of(refused)
    db = world["svc"].db
    acme = org_id(db, "acme")
    run_alerts(db, None, acme)
    table = call(
        editor,
        [("alert-table", "children")],
        [("alert-version", "data", 1), ("alert-refresh", "n_intervals", None)],
        changed="alert-version.data",
    )
    text_ = text_of(table)
    assert "Any spend this week" in text_ and "firing" in text_
    assert "Org total" in text_
    # When it was last evaluated, in the org's time zone (Acme: America/New_York).
    assert (" EST" in text_ or " EDT" in text_) and " UTC" not in text_
    layout = editor.get("/_dash-layout").get_data(as_text=True)
    assert "nav-alerts-firing" in layout
    viewer = world["signed_in"]("viewer@acme.example")
    denied = save(viewer, values | {"alert-name": "Viewer's"})
    assert "editors and admins" in text_of(denied)


def page(client) -> str:
    response = call(
        client,
        [("_pages_content", "children"), ("_pages_store", "data")],
        [
            ("_pages_location", "pathname", "/alerts"),
            ("_pages_location", "search", ""),
        ],
        changed="_pages_location.pathname",
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    return text_of(response)


def test_alp003_the_page_has_the_form_for_editors_only(world):
    editor_page = page(world["signed_in"]("editor@acme.example"))
    assert "alerts-page" in editor_page and "alert-save" in editor_page
    viewer_page = page(world["signed_in"]("viewer@acme.example"))
    assert "alerts-page" in viewer_page and "alert-save" not in viewer_page


def test_alp004_dashboards_anomaly_lists_carry_the_firing_alerts(world):
    db = world["svc"].db
    acme = org_id(db, "acme")
    data = world["svc"].data.query(
        acme, "anomalies", {"status": "open", "period": "30d"}, fresh=True
    )
    with db.unscoped_session() as session:
        expected = session.execute(
            text(
                "SELECT a.name, s.entity_label FROM alert_states s JOIN "
                "dashboard_alerts a ON a.id = s.alert_id WHERE s.state = 'firing' "
                "AND a.org_id = :o"
            ),
            {"o": acme},
        ).all()
    assert expected  # test_alp002 made one fire
    assert sorted((a["name"], a["entity_label"]) for a in data["firing_alerts"]) == (
        sorted(tuple(row) for row in expected)
    )
    globex = world["svc"].data.query(
        org_id(db, "globex"), "anomalies", {"status": "open"}, fresh=True
    )
    assert globex["firing_alerts"] == []
