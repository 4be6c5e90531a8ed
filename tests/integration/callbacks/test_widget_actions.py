"""Widget actions through the callbacks, on a real app and database: inline campaign
changes, exports and the list-card buttons, with the messages the widgets show and the
requests the browser makes.

The commands behind them re-check the caller's role, org and widget every time
(:mod:`tests.integration.commands`); the tests change campaigns, so they run on their
own seeded SQLite database (``world``, see ``tests/integration/conftest.py``).
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import io
import json

import pytest
from openpyxl import load_workbook
from plotly.utils import PlotlyJSONEncoder
from sqlalchemy import func, select

from callbacks._filters import FILTER_COMPONENTS
from callbacks.actions import change_campaign_action, list_item_action, render_list
from commands.visibility import NOT_VISIBLE
from core.filters import Filters
from core.models import Anomaly, Campaign, MetricFactDaily, Recommendation
from core.windows import org_today
from tests.conftest import login as sign_in
from tests.integration.conftest import (
    add_recommendation,
    audits,
    campaign,
    pacing_status,
    reload,
)
from widgets.list_cards import action_button_id, list_id
from widgets.table import table_id


def login(client, email):
    assert sign_in(client, email).status_code == 302


def edit_outputs(grid: dict) -> list[tuple[dict, str]]:
    """What the inline-edit callback answers: the grid's rows, the message, and the
    confirmation dialog with the change waiting for it."""
    index = grid["index"]
    return [
        (grid, "rowTransaction"),
        (table_id("message", index), "children"),
        (table_id("confirm", index), "displayed"),
        (table_id("confirm", index), "message"),
        (table_id("pending", index), "data"),
    ]


def dash_id(component_id: dict) -> str:
    return json.dumps(component_id, sort_keys=True, separators=(",", ":"))


# ------------------------------------------------------------------ inline changes
def test_editor_pauses_a_campaign_inline_and_the_change_is_audited(world):
    target = campaign(world, "active")
    table = world["widgets"]["Campaign pacing"]
    editor = world["users"]["editor@acme.example"]
    assert pacing_status(world, target.id) == "active"  # now cached
    try:
        outcome = change_campaign_action(
            world["svc"],
            editor,
            world["dashboard"],
            table,
            "status",
            target.id,
            "paused",
        )
        assert outcome.ok and outcome.message == f"Paused “{target.name}”."
        assert reload(world, Campaign, target.id).status == "paused"
        entry = audits(world, "campaign", target.id, "update")[-1]
        assert entry.user_id == editor.user_id
        assert entry.details == {
            "before": {"status": "active"},
            "after": {"status": "paused"},
        }
        # The org's cache was invalidated: the table shows the new status at once.
        assert pacing_status(world, target.id) == "paused"
    finally:
        change_campaign_action(
            world["svc"],
            editor,
            world["dashboard"],
            table,
            "status",
            target.id,
            "active",
        )
    assert reload(world, Campaign, target.id).status == "active"


def test_editor_sets_a_daily_budget_and_bad_values_are_refused(world):
    target = campaign(world, "active")
    table = world["widgets"]["Campaign pacing"]
    editor = world["users"]["admin@acme.example"]
    before = target.daily_budget
    try:
        refused = change_campaign_action(
            world["svc"],
            editor,
            world["dashboard"],
            table,
            "daily_budget",
            target.id,
            -5,
        )
        assert not refused.ok
        assert refused.message == "A daily budget cannot be negative (got -5)."
        assert reload(world, Campaign, target.id).daily_budget == before
        for typed in ("abc", "", "1.2.3"):
            refused = change_campaign_action(
                world["svc"],
                editor,
                world["dashboard"],
                table,
                "daily_budget",
                target.id,
                typed,
            )
            assert refused.message == (
                f"Enter a number for the daily budget (got {typed!r})."
            )
        assert reload(world, Campaign, target.id).daily_budget == before
        outcome = change_campaign_action(
            world["svc"],
            editor,
            world["dashboard"],
            table,
            "daily_budget",
            target.id,
            "123.45",
            confirmed=True,
        )
        assert outcome.ok and outcome.message.endswith("set to $123.45.")
        assert reload(world, Campaign, target.id).daily_budget == pytest.approx(123.45)
        assert audits(world, "campaign", target.id)[-1].details["after"] == {
            "daily_budget": 123.45
        }
    finally:
        change_campaign_action(
            world["svc"],
            editor,
            world["dashboard"],
            table,
            "daily_budget",
            target.id,
            before or 0,
            confirmed=True,
        )


def budgeted_campaign(world) -> Campaign:
    with world["db"].session(world["acme"]) as session:
        return session.scalars(
            select(Campaign)
            .where(Campaign.status == "active", Campaign.daily_budget > 10)
            .order_by(Campaign.id)
            .limit(1)
        ).one()


def test_a_large_budget_change_waits_for_the_users_ok(world):
    """Twenty times the budget is asked first (the table's factor is 10); the OK in
    the dialog makes it, through the same endpoints the browser calls."""
    target = budgeted_campaign(world)
    before = target.daily_budget
    grid = table_id("grid", world["widgets"]["Campaign pacing"])
    part = {p: table_id(p, grid["index"]) for p in ("message", "confirm", "pending")}
    client = world["app"].server.test_client()
    login(client, "editor@acme.example")
    client.get("/")
    change = {
        "rowIndex": 0,
        "rowId": str(target.id),
        "colId": "daily_budget",
        "oldValue": before,
        "value": str(before * 20),
        "data": {"_row_id": str(target.id), "_campaign_id": target.id},
    }
    response = client.post(
        "/_dash-update-component",
        json=browser_request(
            world,
            "rowTransaction",
            edit_outputs(grid),
            (grid, "cellValueChanged", [change]),
            dashboard_page(world, []),
            {"widget-table": grid},
        ),
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    answer = response.get_json()["response"]
    dialog = answer[dash_id(part["confirm"])]
    assert dialog["displayed"] is True
    assert dialog["message"] == (
        f"Change the daily budget of “{target.name}” from ${before:,.2f} to "
        f"${before * 20:,.2f}? That is 20.0× the current budget."
    )
    assert "confirm the new daily budget" in json.dumps(
        answer[dash_id(part["message"])]
    )
    # Nothing changed yet, and the edited row is put back from the server.
    assert reload(world, Campaign, target.id).daily_budget == before
    update = answer[dash_id(grid)]["rowTransaction"]["update"]
    assert [row["_campaign_id"] for row in update] == [target.id]
    pending = answer[dash_id(part["pending"])]["data"]
    try:
        page = dashboard_page(world, [])
        page["widget-table-pending"] = {"data": pending}
        response = client.post(
            "/_dash-update-component",
            json=browser_request(
                world,
                "rowTransaction",
                [
                    (grid, "rowTransaction"),
                    (part["message"], "children"),
                    (part["pending"], "data"),
                ],
                (part["confirm"], "submit_n_clicks", 1),
                page,
                {
                    "widget-table": grid,
                    "widget-table-confirm": part["confirm"],
                    "widget-table-pending": part["pending"],
                },
            ),
        )
        assert response.status_code == 200, response.get_data(as_text=True)
        assert reload(world, Campaign, target.id).daily_budget == pytest.approx(
            before * 20
        )
        assert audits(world, "campaign", target.id)[-1].details["after"] == {
            "daily_budget": pytest.approx(before * 20)
        }
    finally:
        change_campaign_action(
            world["svc"],
            world["users"]["editor@acme.example"],
            world["dashboard"],
            grid["index"],
            "daily_budget",
            target.id,
            before,
            confirmed=True,
        )


def test_viewer_cannot_change_a_campaign(world):
    target = campaign(world, "active")
    viewer = world["users"]["viewer@acme.example"]
    outcome = change_campaign_action(
        world["svc"],
        viewer,
        world["dashboard"],
        world["widgets"]["Campaign pacing"],
        "status",
        target.id,
        "paused",
    )
    assert not outcome.ok and "Only editors and admins" in outcome.message
    assert reload(world, Campaign, target.id).status == "active"


def test_viewer_editing_a_cell_through_the_dash_endpoint_is_refused(world):
    """A crafted cellValueChanged from a viewer changes nothing and says why."""
    target = campaign(world, "active")
    grid = table_id("grid", world["widgets"]["Campaign pacing"])
    client = world["app"].server.test_client()
    login(client, "viewer@acme.example")
    client.get("/")
    # The shape dash-ag-grid sends (the new value under ``value``).
    change = {
        "rowIndex": 0,
        "rowId": str(target.id),
        "colId": "status",
        "oldValue": "active",
        "value": "paused",
        "data": {
            "_row_id": str(target.id),
            "_campaign_id": target.id,
            "status": "paused",
        },
    }
    payload = browser_request(
        world,
        "rowTransaction",
        edit_outputs(grid),
        (grid, "cellValueChanged", [change]),
        dashboard_page(world, []),
        {"widget-table": grid},
    )
    response = client.post("/_dash-update-component", json=payload)
    body = response.get_data(as_text=True)
    assert response.status_code == 200, body
    assert "Only editors and admins can change campaigns." in body
    # The browser's edited cell is put back from a fresh server row.
    update = response.get_json()["response"][dash_id(grid)]["rowTransaction"]["update"]
    assert update[0]["_campaign_id"] == target.id and update[0]["status"] == "active"
    assert reload(world, Campaign, target.id).status == "active"


def test_another_orgs_campaign_is_refused(world):
    foreign = campaign(world, "active", org="globex")
    outcome = change_campaign_action(
        world["svc"],
        world["users"]["admin@acme.example"],
        world["dashboard"],
        world["widgets"]["Campaign pacing"],
        "status",
        foreign.id,
        "paused",
    )
    assert (
        not outcome.ok
        and outcome.message == "That campaign is not in your organisation."
    )
    assert reload(world, Campaign, foreign.id, org="globex").status == "active"


def test_a_widget_not_on_that_dashboard_or_another_orgs_user_is_refused(world):
    target = campaign(world, "active")
    table = world["widgets"]["Campaign pacing"]
    wrong_dashboard = change_campaign_action(
        world["svc"],
        world["users"]["admin@acme.example"],
        world["dashboard"] + 999,
        table,
        "status",
        target.id,
        "paused",
    )
    assert wrong_dashboard.message == NOT_VISIBLE
    outsider = change_campaign_action(
        world["svc"],
        world["users"]["admin@globex.example"],
        world["dashboard"],
        table,
        "status",
        target.id,
        "paused",
    )
    assert outsider.message == NOT_VISIBLE
    # A table without actions cannot be used to change campaigns either.
    no_actions = change_campaign_action(
        world["svc"],
        world["users"]["admin@acme.example"],
        world["dashboard"],
        world["widgets"]["Top Campaigns"],
        "status",
        target.id,
        "paused",
    )
    assert not no_actions.ok and "cannot be edited" in no_actions.message
    assert reload(world, Campaign, target.id).status == "active"


# ------------------------------------------------------------------------- exports
def test_excel_export_through_the_dash_endpoint_downloads_a_workbook(world):
    table = world["widgets"]["Top Campaigns"]
    button = table_id("xlsx", table)
    client = world["app"].server.test_client()
    login(client, "viewer@acme.example")
    client.get("/")
    page = dashboard_page(world, [])
    page["filter-date-range"]["value"] = "last_7_days"
    payload = browser_request(
        world,
        "widget-table-download",
        [
            (table_id("download", table), "data"),
            (table_id("message", table), "children"),
        ],
        (button, "n_clicks", 1),
        page,
        {"widget-table-xlsx": button},
    )
    response = client.post("/_dash-update-component", json=payload)
    assert response.status_code == 200, response.get_data(as_text=True)
    download = response.get_json()["response"][dash_id(table_id("download", table))][
        "data"
    ]
    assert download["filename"].startswith("Top-Campaigns_") and download["base64"]
    sheet = load_workbook(io.BytesIO(base64.b64decode(download["content"]))).active
    assert sheet["A1"].value == "Campaign" and sheet.max_row >= 2


def test_the_csv_button_downloads_the_rows_the_grid_shows(world):
    """The grid's rows after the user's sort and filters (its ``virtualRowData``)
    choose and order the exported rows; their figures come from the server."""
    table = world["widgets"]["Top Campaigns"]
    org = world["svc"].data.org_context(world["acme"])
    button = table_id("csv", table)
    client = world["app"].server.test_client()
    login(client, "viewer@acme.example")
    client.get("/")
    with world["db"].session(world["acme"]) as session:
        ids = dict(session.execute(select(Campaign.name, Campaign.id)).all())
    page = dashboard_page(world, [])
    shown = sorted(ids)[:2]
    # What the browser says the grid shows: ids in its order, and figures that the
    # export must not believe.
    page["widget-table"]["virtualRowData"] = [
        {"_row_id": str(ids[name]), "name": name, "spend": -1.0} for name in shown
    ]
    response = client.post(
        "/_dash-update-component",
        json=browser_request(
            world,
            "widget-table-download",
            [
                (table_id("download", table), "data"),
                (table_id("message", table), "children"),
            ],
            (button, "n_clicks", 1),
            page,
            {"widget-table-csv": button, "widget-table": table_id("grid", table)},
        ),
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    download = response.get_json()["response"][dash_id(table_id("download", table))][
        "data"
    ]
    assert download["filename"] == (
        f"Top-Campaigns_{org_today(org.timezone).isoformat()}.csv"
    )
    text = base64.b64decode(download["content"]).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["Campaign", "Spend", "Revenue", "ROAS"]
    assert [r[0] for r in rows[1:]] == shown
    assert all(float(r[1]) >= 0 for r in rows[1:])
    assert audits(world, "widget", table, "export")[-1].details["format"] == "csv"


# ---------------------------------------------------------------------- list cards
def test_applying_a_recommendation_pauses_the_campaign_once(world):
    target = campaign(world, "active")
    rec_id = add_recommendation(world, target.id, f"Pause {target.name}")
    widget = world["widgets"]["Recommendations"]
    editor = world["users"]["editor@acme.example"]
    try:
        outcome = list_item_action(
            world["svc"], editor, world["dashboard"], widget, "apply", rec_id
        )
        assert outcome.ok
        assert outcome.message == f"Applied: Pause {target.name} (1 campaign change)."
        assert reload(world, Campaign, target.id).status == "paused"
        assert reload(world, Recommendation, rec_id).status == "applied"
        assert audits(world, "recommendation", rec_id, "apply")
        again = list_item_action(
            world["svc"], editor, world["dashboard"], widget, "dismiss", rec_id
        )
        assert not again.ok
        assert (
            again.message
            == "This recommendation was already applied; nothing was changed."
        )
        # The re-rendered list shows it applied, without buttons.
        cards = render_list(world["svc"], editor, world["dashboard"], widget, Filters())
        text = json.dumps(cards, cls=PlotlyJSONEncoder, ensure_ascii=False)
        assert f"Pause {target.name}" in text and "Applied" in text
        assert json.dumps(action_button_id("apply", rec_id, widget)) not in text
    finally:
        change_campaign_action(
            world["svc"],
            editor,
            world["dashboard"],
            world["widgets"]["Campaign pacing"],
            "status",
            target.id,
            "active",
        )


def test_viewers_and_other_orgs_cannot_apply_or_dismiss(world):
    target = campaign(world, "active")
    rec_id = add_recommendation(world, target.id, "Pause for the refusal test")
    widget = world["widgets"]["Recommendations"]
    viewer = list_item_action(
        world["svc"],
        world["users"]["viewer@acme.example"],
        world["dashboard"],
        widget,
        "dismiss",
        rec_id,
    )
    assert not viewer.ok and "Only editors and admins" in viewer.message
    outsider = list_item_action(
        world["svc"],
        world["users"]["admin@globex.example"],
        world["dashboard"],
        widget,
        "dismiss",
        rec_id,
    )
    assert outsider.message == NOT_VISIBLE
    wrong_kind = list_item_action(
        world["svc"],
        world["users"]["admin@acme.example"],
        world["dashboard"],
        widget,
        "acknowledge",
        rec_id,
    )
    assert (
        not wrong_kind.ok and "not an action of recommendations" in wrong_kind.message
    )
    assert reload(world, Recommendation, rec_id).status == "pending"
    dismissed = list_item_action(
        world["svc"],
        world["users"]["admin@acme.example"],
        world["dashboard"],
        widget,
        "dismiss",
        rec_id,
    )
    assert dismissed.ok and reload(world, Recommendation, rec_id).status == "dismissed"
    assert reload(world, Campaign, target.id).status == "active"


def test_acknowledging_an_anomaly_from_its_card_through_the_dash_endpoint(world):
    target = campaign(world, "active")
    with world["db"].session(world["acme"]) as session:
        anomaly = Anomaly(
            org_id=world["acme"],
            entity_key=f"campaign:{target.id}",
            campaign_id=target.id,
            platform=target.platform,
            metric="cpa",
            day=dt.date.today() - dt.timedelta(days=2),
            observed=90.0,
            expected=30.0,
            score=7.5,
            severity="critical",
            status="new",
        )
        session.add(anomaly)
        session.flush()
        anomaly_id = anomaly.id
    widget = world["widgets"]["Anomalies"]
    button = action_button_id("acknowledge", anomaly_id, widget)
    client = world["app"].server.test_client()
    login(client, "editor@acme.example")
    client.get("/")
    response = client.post(
        "/_dash-update-component",
        json={
            "output": f"{dash_id(list_id(['MATCH']))}.children",
            "outputs": {"id": list_id(widget), "property": "children"},
            "inputs": [[{"id": button, "property": "n_clicks", "value": 1}]],
            "state": [
                {"id": "dashboard-id", "property": "data", "value": world["dashboard"]},
                *(
                    {"id": component, "property": prop, "value": value}
                    for (component, prop), value in NO_FILTERS.items()
                ),
            ],
            "changedPropIds": [f"{dash_id(button)}.n_clicks"],
        },
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 200, body
    assert "Anomaly acknowledged." in body and "CPA 200.0% above expected" in body
    stored = reload(world, Anomaly, anomaly_id)
    assert stored.status == "acknowledged"
    assert stored.acknowledged_by == world["users"]["editor@acme.example"].user_id
    assert audits(world, "anomaly", anomaly_id, "acknowledge")
    again = list_item_action(
        world["svc"],
        world["users"]["editor@acme.example"],
        world["dashboard"],
        widget,
        "acknowledge",
        anomaly_id,
    )
    assert not again.ok and "already acknowledged" in again.message


# ------------------------------------------------- the dashboard's filters everywhere
# The filter bar as the browser holds it: (component id, property).
DASHBOARD_FILTERS = set(FILTER_COMPONENTS)
# Its values with no filter set: each widget's period, all platforms, campaigns and
# countries, no comparison, no drill-down.
NO_FILTERS: dict[tuple[str, str], object] = {
    ("filter-date-range", "value"): "widget",
    ("filter-platforms", "value"): [],
    ("filter-countries", "value"): [],
    ("filter-custom-dates", "start_date"): None,
    ("filter-custom-dates", "end_date"): None,
    ("filter-compare", "value"): None,
    ("filter-campaigns", "value"): [],
    ("filter-drill", "data"): {},
}


def browser_request(world, output: str, outputs, trigger, page, ids) -> dict:
    """The request Dash's renderer makes for a callback: every input and state the
    callback declares, with the page's current values.

    Args:
        output: a part of the callback's output key naming it.
        outputs: ``[(component id, property)]`` of the concrete outputs.
        trigger: ``(component id, property, value)`` of the input that fired.
        page: ``{component id or pattern type: {property: value}}``.
        ids: ``{pattern type: concrete id}`` for pattern-matching components.
    """
    callbacks = world["app"].callback_map

    def name(component_id: str | dict) -> str:
        """A component's id, or its pattern's type."""
        if isinstance(component_id, dict):
            return component_id["type"]
        return (
            json.loads(component_id)["type"] if component_id[0] == "{" else component_id
        )

    def fired_by(key: str) -> bool:
        # Callbacks sharing an output (allow_duplicate) differ by their input.
        return any(name(d["id"]) == name(trigger[0]) for d in callbacks[key]["inputs"])

    key = next(k for k in callbacks if output in k and fired_by(k))
    callback = callbacks[key]

    def dependency(dep: dict) -> dict:
        kind = name(dep["id"])
        concrete = ids.get(kind, kind)
        if (concrete, dep["property"]) == trigger[:2]:
            value = trigger[2]
        elif dep["property"] == "id":
            value = concrete
        else:
            value = page[kind][dep["property"]]
        return {"id": concrete, "property": dep["property"], "value": value}

    return {
        "output": key,
        "outputs": [{"id": i, "property": p} for i, p in outputs],
        "inputs": [dependency(d) for d in callback["inputs"]],
        "state": [dependency(d) for d in callback["state"]],
        "changedPropIds": [f"{dash_id(trigger[0])}.{trigger[1]}"],
    }


def dashboard_page(world, countries: list[str]) -> dict:
    page: dict[str, dict] = {}
    for (component, prop), value in NO_FILTERS.items():
        page.setdefault(component, {})[prop] = value
    page["filter-countries"]["value"] = countries
    return {
        **page,
        "dashboard-id": {"data": world["dashboard"]},
        # The grid has not reported its rows: every row, in the source's order.
        "widget-table": {"virtualRowData": None},
    }


def spend_by_campaign(world, window: dict, country: str | None) -> dict[int, float]:
    """Independently: spend per acme campaign over ``window``, in SQL."""
    statement = select(
        MetricFactDaily.campaign_id, func.sum(MetricFactDaily.spend)
    ).where(
        MetricFactDaily.day.between(
            dt.date.fromisoformat(window["start"]),
            dt.date.fromisoformat(window["end"]),
        )
    )
    if country is not None:
        statement = statement.where(MetricFactDaily.country == country)
    with world["db"].session(world["acme"]) as session:
        rows = session.execute(statement.group_by(MetricFactDaily.campaign_id)).all()
    return {campaign_id: float(spend) for campaign_id, spend in rows}


TOP_CAMPAIGNS_QUERY = {
    "view": "breakdown",
    "group_by": "campaign",
    "limit": 50,
    "period": "30d",
}


def map_click(world) -> tuple[str, dict]:
    """A country with part of acme's spend (what a click on the map picks), and the
    Top Campaigns table's window."""
    window = world["svc"].data.query(world["acme"], "campaigns", TOP_CAMPAIGNS_QUERY)[
        "window"
    ]
    with world["db"].session(world["acme"]) as session:
        by_country = session.execute(
            select(MetricFactDaily.country, func.sum(MetricFactDaily.spend))
            .where(
                MetricFactDaily.day.between(
                    dt.date.fromisoformat(window["start"]),
                    dt.date.fromisoformat(window["end"]),
                )
            )
            .group_by(MetricFactDaily.country)
            .order_by(func.sum(MetricFactDaily.spend).desc())
        ).all()
    assert len(by_country) >= 2, "the demo must spend in several countries"
    return by_country[0][0], window


def test_every_callback_that_queries_under_the_filters_reads_them_all(world):
    """A callback reading the date range queries data under the bar's filters (the
    drill-downs that only set one filter read that one alone)."""
    querying = 0
    for key, callback in world["app"].callback_map.items():
        read = {
            (d["id"], d["property"]) for d in callback["inputs"] + callback["state"]
        }
        if ("filter-date-range", "value") in read:
            querying += 1
            assert read >= DASHBOARD_FILTERS, (key, DASHBOARD_FILTERS - read)
    # The widget refresh (a tick's of one widget, and the filters' and Refresh's of
    # them all), its "updated" label, the inline edit and its confirmation, the CSV
    # and Excel exports and the list-card buttons; and the filter bar's own (clicks,
    # chips and the address, and what the bar shows: chips, breadcrumb, address); and
    # "Take snapshot", which keeps the dashboard under them.
    assert querying == 11


def test_excel_export_holds_only_the_country_picked_on_the_map(world):
    country, window = map_click(world)
    table = world["widgets"]["Top Campaigns"]
    client = world["app"].server.test_client()
    login(client, "viewer@acme.example")
    client.get("/")
    button = table_id("xlsx", table)
    response = client.post(
        "/_dash-update-component",
        json=browser_request(
            world,
            "widget-table-download",
            [
                (table_id("download", table), "data"),
                (table_id("message", table), "children"),
            ],
            (button, "n_clicks", 1),
            dashboard_page(world, [country]),
            {"widget-table-xlsx": button},
        ),
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    download = response.get_json()["response"][dash_id(table_id("download", table))][
        "data"
    ]
    sheet = load_workbook(io.BytesIO(base64.b64decode(download["content"]))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("Campaign", "Spend", "Revenue", "ROAS")
    exported = {name: spend for name, spend, _, _ in rows[1:]}
    with world["db"].session(world["acme"]) as session:
        names = dict(session.execute(select(Campaign.id, Campaign.name)).all())
    expected = {
        names[campaign_id]: spend
        for campaign_id, spend in spend_by_campaign(world, window, country).items()
    }
    everywhere = spend_by_campaign(world, window, None)
    assert sum(expected.values()) < sum(everywhere.values())  # the filter matters
    assert exported.keys() == expected.keys()
    for name, spend in expected.items():
        assert exported[name] == pytest.approx(spend), name


def test_rows_refreshed_after_an_inline_edit_apply_the_country_filter(world):
    country, window = map_click(world)
    in_country = spend_by_campaign(world, window, country)
    everywhere = spend_by_campaign(world, window, None)
    campaign_id = next(c for c, spend in in_country.items() if spend < everywhere[c])
    table = world["widgets"]["Top Campaigns"]
    grid = table_id("grid", table)
    client = world["app"].server.test_client()
    login(client, "viewer@acme.example")
    client.get("/")
    change = {
        "rowIndex": 0,
        "rowId": str(campaign_id),
        "colId": "spend",
        "oldValue": 1.0,
        "value": 2.0,
        "data": {"_row_id": str(campaign_id), "_campaign_id": campaign_id},
    }
    response = client.post(
        "/_dash-update-component",
        json=browser_request(
            world,
            "rowTransaction",
            edit_outputs(grid),
            (grid, "cellValueChanged", [change]),
            dashboard_page(world, [country]),
            {"widget-table": grid},
        ),
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    [row] = response.get_json()["response"][dash_id(grid)]["rowTransaction"]["update"]
    assert row["_campaign_id"] == campaign_id
    assert row["spend"] == pytest.approx(in_country[campaign_id])
