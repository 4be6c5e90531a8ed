"""What users do inside widgets: table exports, inline campaign changes, and the
apply/dismiss/acknowledge/resolve buttons of list cards.

Everything a callback receives (dashboard and widget ids, campaign ids, new values)
comes from the browser, so every action re-checks the caller: signed in, allowed to
edit (for changes), the widget on that dashboard and visible to them, and the campaign,
recommendation or anomaly in their org (the org-scoped session finds nothing else).
Rows are never taken from the browser: exports and refreshed rows are queried again
on the server.

The callbacks are thin adapters over the ``*_action`` and ``export_*`` functions,
which take the app's services and the caller (``current_user`` in the app).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Protocol

import dash_bootstrap_components as dbc
from babel.numbers import format_currency
from dash import ALL, MATCH, Dash, Input, Output, State, ctx, dcc, no_update
from dash.exceptions import PreventUpdate
from flask_login import current_user
from pydantic import ValidationError

from accounts import audit
from analytics.anomalies import (
    AnomalyNotFound,
    AnomalyStatusRefused,
    set_anomaly_status,
)
from analytics.recommendations import (
    RecommendationNotFound,
    RecommendationNotPending,
    apply_recommendation,
    dismiss_recommendation,
)
from commands.campaigns import (
    CampaignChange,
    CampaignChangeRefused,
    CampaignNotFound,
    update_campaign,
)
from core.filters import Filters, QueryError, filters_for_preset
from core.models import DashboardWidget, Recommendation
from core.windows import org_today
from dashboards import store as dashboard_store
from dashboards.render import spec_from_row
from dashboards.schema import TemplateError
from server.runtime import Runtime, runtime
from widgets import _registry as registry
from widgets._base import RenderContext
from widgets._card import error_card
from widgets.list_cards import (
    ACTIONS,
    ListCardsSpec,
    action_button_id,
    list_children,
    list_id,
)
from widgets.table import (
    TableSpec,
    export_filename,
    export_frame,
    result_rows,
    table_columns,
    table_id,
    table_rows,
    xlsx_bytes,
)

# The grid column an inline action edits -> the table action that must be configured.
EDITABLE_FIELDS = {"status": "pause_resume", "daily_budget": "budget"}
NOT_VISIBLE = "This widget does not exist or is not shared with you."


class Caller(Protocol):
    """Who acts: ``current_user`` in the app (``server.auth.CurrentUser``)."""

    org_id: int
    user_id: int
    can_edit: bool


@dataclass(frozen=True)
class Outcome:
    """The result of an action, as the message the widget shows."""

    ok: bool
    message: str


class ActionRefused(Exception):
    """The caller may not do this; the message says why (shown to them)."""


# ------------------------------------------------------------------ shared checks
def visible_widget(
    svc: Runtime, caller: Caller, dashboard_id: Any, widget_id: Any, widget_type: str
) -> DashboardWidget:
    """The caller's widget of ``widget_type`` on that dashboard, or ``ActionRefused``."""
    try:
        dashboard_pk, widget_pk = int(dashboard_id), int(widget_id)
    except (TypeError, ValueError):
        raise ActionRefused(NOT_VISIBLE) from None
    with svc.db.session(caller.org_id) as session:
        row = dashboard_store.get_visible_widget(
            session, dashboard_pk, widget_pk, caller.user_id
        )
    if row is None or row.widget_type != widget_type:
        raise ActionRefused(NOT_VISIBLE)
    return row


def widget_spec(row: DashboardWidget):
    try:
        return spec_from_row(row)
    except TemplateError as exc:
        problems = "; ".join(exc.details)
        raise ActionRefused(f"This widget's settings are invalid: {problems}") from None


def widget_data(
    svc: Runtime, caller: Caller, spec, filters: Filters, *, fresh: bool = False
) -> dict:
    """The widget's data for the caller's org, through the cache like a refresh."""
    params = {**registry.get(spec.type).default_params, **spec.query_params}
    return svc.data.query(caller.org_id, spec.data_source, params, filters, fresh=fresh)


def dashboard_filters(
    svc: Runtime, caller: Caller, date_range: str | None, platforms: list[str] | None
) -> Filters:
    """The dashboard bar's filters in the caller's org (raises ``QueryError``)."""
    org = svc.data.org_context(caller.org_id)
    return filters_for_preset(date_range, platforms, org.timezone)


def _money(value: float, currency: str) -> str:
    """An amount to the cent: a confirmation must show exactly what was stored."""
    return format_currency(value, currency, locale="en_US")


# ------------------------------------------------------------ table: inline edits
def change_campaign_action(
    svc: Runtime,
    caller: Caller,
    dashboard_id: Any,
    widget_id: Any,
    field: str,
    campaign_id: Any,
    value: Any,
) -> Outcome:
    """Pause/resume a campaign or set its daily budget from a table cell, audited.

    Refused (with the reason) unless the caller can edit, the table is theirs to see on
    that dashboard and offers that action, the value is valid and the campaign is in
    their org. The org's cache is invalidated after the change.
    """
    if not caller.can_edit:
        return Outcome(False, "Only editors and admins can change campaigns.")
    try:
        spec: TableSpec = widget_spec(
            visible_widget(svc, caller, dashboard_id, widget_id, "table")
        )
    except ActionRefused as exc:
        return Outcome(False, str(exc))
    action = EDITABLE_FIELDS.get(field)
    if action is None or action not in spec.config.actions:
        return Outcome(False, f"The “{field}” column of this table cannot be edited.")
    try:
        if value is None:
            # CampaignChange accepts an explicit None; a cleared cell is not a change.
            raise ValueError("no value")
        change = (
            CampaignChange(status=value)
            if field == "status"
            else CampaignChange(daily_budget=float(value))
        )
        campaign_pk = int(campaign_id)
    except (ValidationError, TypeError, ValueError):
        wanted = (
            "active or paused" if field == "status" else "a daily budget of 0 or more"
        )
        return Outcome(False, f"{value!r} is not a valid value here: give {wanted}.")
    try:
        with svc.db.session(caller.org_id) as session:
            changed = update_campaign(
                session, campaign_pk, change, user_id=caller.user_id
            )
    except CampaignNotFound:
        return Outcome(False, "That campaign is not in your organisation.")
    except CampaignChangeRefused as exc:
        return Outcome(False, f"Not changed: {exc}.")
    svc.data.invalidate_org(caller.org_id)
    if field == "status":
        verb = "Paused" if changed["status"] == "paused" else "Resumed"
        return Outcome(True, f"{verb} “{changed['name']}”.")
    currency = svc.data.org_context(caller.org_id).currency
    return Outcome(
        True,
        f"Daily budget of “{changed['name']}” set to "
        f"{_money(changed['daily_budget'], currency)}.",
    )


def refreshed_rows(
    svc: Runtime,
    caller: Caller,
    spec: TableSpec,
    filters: Filters,
    campaign_ids: set[str],
) -> dict:
    """A grid transaction replacing the rows of ``campaign_ids`` with fresh server rows
    (after a change, or to undo a refused edit in the browser)."""
    data = widget_data(svc, caller, spec, filters, fresh=True)
    rows = result_rows(data, spec.config) or []
    columns = table_columns(spec.config, rows)
    fresh = table_rows(
        rows,
        columns,
        currency=data.get("currency", "USD"),
        id_field=spec.config.id_field,
    )
    update = [r for r in fresh if r["_row_id"] in campaign_ids]
    found = {r["_row_id"] for r in update}
    return {"update": update, "remove": [{"_row_id": i} for i in campaign_ids - found]}


def edit_cell(changes, dashboard_id, date_range, platforms, grid_id):
    """Callback: a table cell was edited (status or daily budget)."""
    if not changes or not current_user.is_authenticated:
        raise PreventUpdate
    svc = runtime()
    outcomes, touched = [], set()
    for change in changes:
        data = change.get("data") or {}
        touched.add(str(data.get("_row_id")))
        outcomes.append(
            change_campaign_action(
                svc,
                current_user,
                dashboard_id,
                grid_id["index"],
                str(change.get("colId")),
                # dash-ag-grid sends the new value as ``value`` (its docs say ``newValue``).
                data.get("_campaign_id"),
                change.get("value", change.get("newValue")),
            )
        )
    try:
        row = visible_widget(svc, current_user, dashboard_id, grid_id["index"], "table")
        filters = dashboard_filters(svc, current_user, date_range, platforms)
        transaction = refreshed_rows(
            svc, current_user, widget_spec(row), filters, touched
        )
    except (ActionRefused, QueryError):
        transaction = no_update
    return transaction, outcome_alert(outcomes)


def outcome_alert(outcomes: list[Outcome] | Outcome) -> dbc.Alert:
    """A small dismissable alert saying what happened (red if anything was refused)."""
    outcomes = [outcomes] if isinstance(outcomes, Outcome) else outcomes
    ok = all(o.ok for o in outcomes)
    return dbc.Alert(
        " ".join(o.message for o in outcomes),
        color="success" if ok else "danger",
        dismissable=True,
        duration=8000 if ok else None,
        className="action-outcome py-1 px-2 mb-1 small",
    )


# ----------------------------------------------------------------- table: exports
def export_day(svc: Runtime, caller: Caller) -> dt.date:
    return org_today(svc.data.org_context(caller.org_id).timezone)


def export_csv_params(
    svc: Runtime, caller: Caller, dashboard_id: Any, widget_id: Any
) -> dict:
    """The grid's CSV export settings (file name = title and the org's date), audited.

    The browser writes the CSV from the rows it shows (ag-grid community export): the
    caller already holds them, so only the visibility check matters here.
    """
    row = visible_widget(svc, caller, dashboard_id, widget_id, "table")
    filename = export_filename(row.title, export_day(svc, caller), "csv")
    with svc.db.session(caller.org_id) as session:
        audit.record(
            session,
            "export",
            "widget",
            row.id,
            user_id=caller.user_id,
            details={"format": "csv", "title": row.title},
        )
    return {"fileName": filename}


def export_xlsx(
    svc: Runtime, caller: Caller, dashboard_id: Any, widget_id: Any, filters: Filters
) -> tuple[bytes, str]:
    """The table's rows as an Excel workbook, queried again on the server, audited.

    Returns:
        ``(workbook bytes, file name)``.

    Raises:
        ActionRefused: the widget is not the caller's to see.
        QueryError: its data source refused the query.
    """
    row = visible_widget(svc, caller, dashboard_id, widget_id, "table")
    spec: TableSpec = widget_spec(row)
    data = widget_data(svc, caller, spec, filters)
    rows = result_rows(data, spec.config) or []
    columns = table_columns(spec.config, rows)
    currency = data.get("currency", "USD")
    content = xlsx_bytes(
        export_frame(rows, columns), columns, currency=currency, sheet=row.title
    )
    with svc.db.session(caller.org_id) as session:
        audit.record(
            session,
            "export",
            "widget",
            row.id,
            user_id=caller.user_id,
            details={"format": "xlsx", "title": row.title, "rows": len(rows)},
        )
    return content, export_filename(row.title, export_day(svc, caller), "xlsx")


def export_csv_clicked(clicks, dashboard_id, button_id):
    """Callback: the CSV button asks the grid to export (with a dated file name)."""
    if not clicks or not current_user.is_authenticated:
        raise PreventUpdate
    try:
        params = export_csv_params(
            runtime(), current_user, dashboard_id, button_id["index"]
        )
    except ActionRefused:
        raise PreventUpdate from None
    return True, params


def export_xlsx_clicked(clicks, dashboard_id, date_range, platforms, button_id):
    """Callback: the Excel button downloads a workbook built on the server."""
    if not clicks or not current_user.is_authenticated:
        raise PreventUpdate
    svc = runtime()
    try:
        filters = dashboard_filters(svc, current_user, date_range, platforms)
        content, filename = export_xlsx(
            svc, current_user, dashboard_id, button_id["index"], filters
        )
    except (ActionRefused, QueryError) as exc:
        return no_update, outcome_alert(Outcome(False, str(exc)))
    return dcc.send_bytes(content, filename), no_update


# ------------------------------------------------------------- list-card actions
def recommendation_status(svc: Runtime, caller: Caller, rec_id: int) -> str | None:
    with svc.db.session(caller.org_id) as session:
        rec = session.get(Recommendation, rec_id)
        return None if rec is None else rec.status


def list_item_action(
    svc: Runtime,
    caller: Caller,
    dashboard_id: Any,
    widget_id: Any,
    action: str,
    item_id: Any,
) -> Outcome:
    """Apply/dismiss a recommendation or acknowledge/resolve an anomaly from its card.

    Refused unless the caller can edit, the list widget is theirs to see on that
    dashboard, the action belongs to its kind and the item is in their org. Applying
    changes campaigns through the audited campaign changes; the org's cache is
    invalidated after any change.
    """
    if not caller.can_edit:
        return Outcome(False, "Only editors and admins can act on these items.")
    try:
        spec: ListCardsSpec = widget_spec(
            visible_widget(svc, caller, dashboard_id, widget_id, "list_cards")
        )
        item_pk = int(item_id)
    except ActionRefused as exc:
        return Outcome(False, str(exc))
    except (TypeError, ValueError):
        return Outcome(False, "That item does not exist.")
    if action not in ACTIONS.get(spec.kind, ()):
        return Outcome(False, f"“{action}” is not an action of {spec.kind} cards.")
    try:
        with svc.db.session(caller.org_id) as session:
            if action == "apply":
                result = apply_recommendation(session, item_pk, caller.user_id)
                title, changes = (
                    result["recommendation"]["title"],
                    len(result["changes"]),
                )
                message = f"Applied: {title} ({changes} campaign change{'s' * (changes != 1)})."
            elif action == "dismiss":
                result = dismiss_recommendation(session, item_pk, caller.user_id)
                message = f"Dismissed: {result['recommendation']['title']}."
            else:
                status = "acknowledged" if action == "acknowledge" else "resolved"
                set_anomaly_status(session, item_pk, status, user_id=caller.user_id)
                message = f"Anomaly {status}."
    except RecommendationNotPending:
        status = recommendation_status(svc, caller, item_pk)
        return Outcome(
            False, f"This recommendation was already {status}; nothing was changed."
        )
    except AnomalyStatusRefused as exc:
        return Outcome(False, f"Not changed: {exc}.")
    except (RecommendationNotFound, AnomalyNotFound):
        return Outcome(
            False, "That item is not in your organisation (or no longer exists)."
        )
    except (CampaignNotFound, CampaignChangeRefused) as exc:
        return Outcome(False, f"Could not apply it: {exc}.")
    svc.data.invalidate_org(caller.org_id)
    return Outcome(True, message)


def render_list(
    svc: Runtime, caller: Caller, dashboard_id: Any, widget_id: Any, filters: Filters
) -> list:
    """The list widget's cards as the caller sees them now."""
    row = visible_widget(svc, caller, dashboard_id, widget_id, "list_cards")
    spec: ListCardsSpec = widget_spec(row)
    data = widget_data(svc, caller, spec, filters)
    context = RenderContext(
        widget_id=row.id, currency=data.get("currency", "USD"), can_edit=caller.can_edit
    )
    return list_children(spec, data, context)


def list_action_clicked(_clicks, dashboard_id, date_range, platforms):
    """Callback: an action button of a list card; shows the outcome above the new list."""
    button = ctx.triggered_id
    if (
        not isinstance(button, dict)
        or not ctx.triggered[0].get("value")
        or not current_user.is_authenticated
    ):
        raise PreventUpdate
    svc = runtime()
    outcome = list_item_action(
        svc,
        current_user,
        dashboard_id,
        button["widget"],
        button["action"],
        button["index"],
    )
    try:
        filters = dashboard_filters(svc, current_user, date_range, platforms)
        cards = render_list(svc, current_user, dashboard_id, button["widget"], filters)
    except ActionRefused as exc:
        return [outcome_alert(outcome), error_card(str(exc))]
    except QueryError as exc:
        return [outcome_alert(outcome), error_card(str(exc))]
    return [outcome_alert(outcome), *cards]


FILTER_STATES = [
    State("dashboard-id", "data"),
    State("filter-date-range", "value"),
    State("filter-platforms", "value"),
]


def register(app: Dash) -> None:
    app.callback(
        Output(table_id("grid", MATCH), "rowTransaction"),
        Output(table_id("message", MATCH), "children"),
        Input(table_id("grid", MATCH), "cellValueChanged"),
        *FILTER_STATES,
        State(table_id("grid", MATCH), "id"),
        prevent_initial_call=True,
    )(edit_cell)
    app.callback(
        Output(table_id("grid", MATCH), "exportDataAsCsv"),
        Output(table_id("grid", MATCH), "csvExportParams"),
        Input(table_id("csv", MATCH), "n_clicks"),
        State("dashboard-id", "data"),
        State(table_id("csv", MATCH), "id"),
        prevent_initial_call=True,
    )(export_csv_clicked)
    app.callback(
        Output(table_id("download", MATCH), "data"),
        Output(table_id("message", MATCH), "children", allow_duplicate=True),
        Input(table_id("xlsx", MATCH), "n_clicks"),
        *FILTER_STATES,
        State(table_id("xlsx", MATCH), "id"),
        prevent_initial_call=True,
    )(export_xlsx_clicked)
    app.callback(
        Output(list_id(MATCH), "children"),
        Input(action_button_id(ALL, ALL, MATCH), "n_clicks"),
        *FILTER_STATES,
        prevent_initial_call=True,
    )(list_action_clicked)
