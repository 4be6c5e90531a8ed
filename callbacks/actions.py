"""What users do inside widgets: table exports, inline campaign changes, and the
apply/dismiss/acknowledge/resolve buttons of list cards.

Thin adapters: each callback parses what the browser sent, calls a command (which
re-checks the caller: allowed to act, the widget on that dashboard and visible to them,
the campaign or item in their org) and turns its answer or refusal into the message
the widget shows. Rows are never taken from the browser: exports and refreshed rows
are queried again on the server under every filter of the dashboard bar
(:mod:`callbacks._filters`), exactly as the widget on screen.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import dash_bootstrap_components as dbc
from babel.numbers import format_currency
from dash import ALL, MATCH, Dash, Input, Output, State, ctx, dcc, no_update
from dash.exceptions import PreventUpdate
from flask_login import current_user

from accounts.permissions import Caller, PermissionDenied, can_edit
from callbacks._filters import FILTER_STATES, dashboard_filters
from commands.anomalies import AnomalyNotFound, AnomalyStatusRefused
from commands.campaigns import (
    BudgetChangeNeedsConfirmation,
    CampaignChangeRefused,
    CampaignNotFound,
    change_campaign_in_table,
)
from commands.context import CommandContext
from commands.errors import CommandError
from commands.exports import export_table
from commands.list_cards import act_on_list_item
from commands.recommendations import RecommendationNotFound, RecommendationNotPending
from commands.visibility import visible_widget_spec
from core.filters import Filters, QueryError
from dashboards.render import query_widget
from server.runtime import runtime
from widgets._base import RenderContext
from widgets._card import error_card
from widgets.list_cards import ListCardsSpec, action_button_id, list_children, list_id
from widgets.table import (
    ROW_ID,
    TableSpec,
    result_rows,
    table_columns,
    table_id,
    table_rows,
)


@dataclass(frozen=True)
class Outcome:
    """The result of an action, as the message the widget shows."""

    ok: bool
    message: str
    # A change waiting for the user's OK: what to send again, and the question.
    confirm: dict | None = None


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


def _money(value: float, currency: str) -> str:
    """An amount to the cent: a confirmation must show exactly what was stored."""
    return format_currency(value, currency, locale="en_US")


# ------------------------------------------------------------ table: inline edits
def change_campaign_action(
    context: CommandContext,
    caller: Caller,
    dashboard_id: Any,
    widget_id: Any,
    field: str,
    campaign_id: Any,
    value: Any,
    *,
    confirmed: bool = False,
) -> Outcome:
    """Pause/resume a campaign or set its daily budget from a table cell
    (:func:`commands.campaigns.change_campaign_in_table`), as the table says it."""
    try:
        changed = change_campaign_in_table(
            context,
            caller,
            dashboard_id,
            widget_id,
            field,
            campaign_id,
            value,
            confirmed=confirmed,
        )
    except BudgetChangeNeedsConfirmation as exc:
        currency = context.data.org_context(caller.org_id).currency
        question = (
            f"Change the daily budget of “{exc.name}” from "
            f"{_money(exc.current, currency)} to {_money(exc.new, currency)}? "
            f"That is {exc.new / exc.current:.1f}× the current budget."
        )
        return Outcome(
            False,
            "Not changed yet: confirm the new daily budget.",
            confirm={
                "campaign_id": campaign_id,
                "value": exc.new,
                "question": question,
            },
        )
    except PermissionDenied as exc:
        return Outcome(False, exc.message)
    except CampaignNotFound:
        return Outcome(False, "That campaign is not in your organisation.")
    except CampaignChangeRefused as exc:
        return Outcome(False, f"Not changed: {exc}.")
    except CommandError as exc:
        return Outcome(False, str(exc))
    if field == "status":
        verb = "Paused" if changed["status"] == "paused" else "Resumed"
        return Outcome(True, f"{verb} “{changed['name']}”.")
    currency = context.data.org_context(caller.org_id).currency
    return Outcome(
        True,
        f"Daily budget of “{changed['name']}” set to "
        f"{_money(changed['daily_budget'], currency)}.",
    )


def refreshed_rows(
    context: CommandContext,
    caller: Caller,
    spec: TableSpec,
    filters: Filters,
    campaign_ids: set[str],
) -> dict:
    """A grid transaction replacing the rows of ``campaign_ids`` with fresh server rows
    (after a change, or to undo a refused edit in the browser)."""
    data = query_widget(
        spec, data=context.data, org_id=caller.org_id, filters=filters, fresh=True
    )
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


def _rows_after(context, caller, dashboard_id, widget_id, filter_values, touched):
    """The grid transaction showing the server's rows of ``touched`` (the change, or
    the old value again after a refused or unconfirmed edit)."""
    try:
        _, spec = visible_widget_spec(context, caller, dashboard_id, widget_id, "table")
        filters = dashboard_filters(context, caller, filter_values)
        return refreshed_rows(context, caller, spec, filters, touched)
    except (CommandError, QueryError):
        return no_update


def edit_cell(changes, dashboard_id, grid_id, *filter_values):
    """Callback: a table cell was edited (status or daily budget). A large budget
    change is not made: the dialog asks first (:func:`confirm_budget`)."""
    if not changes or not current_user.is_authenticated:
        raise PreventUpdate
    svc, caller = runtime(), current_user.caller
    outcomes, touched = [], set()
    for change in changes:
        data = change.get("data") or {}
        touched.add(str(data.get("_row_id")))
        outcomes.append(
            change_campaign_action(
                svc,
                caller,
                dashboard_id,
                grid_id["index"],
                str(change.get("colId")),
                data.get("_campaign_id"),
                # dash-ag-grid sends the new value as ``value`` (its docs say
                # ``newValue``).
                change.get("value", change.get("newValue")),
            )
        )
    transaction = _rows_after(
        svc, caller, dashboard_id, grid_id["index"], filter_values, touched
    )
    pending = next((o.confirm for o in outcomes if o.confirm), None)
    if pending is None:
        return transaction, outcome_alert(outcomes), no_update, no_update, no_update
    return (
        transaction,
        outcome_alert(outcomes),
        True,
        pending["question"],
        pending,
    )


def confirm_budget(submitted, pending, dashboard_id, grid_id, *filter_values):
    """Callback: the user said OK to a large daily budget change; make it."""
    if not submitted or not isinstance(pending, dict):
        raise PreventUpdate
    if not current_user.is_authenticated:
        raise PreventUpdate
    svc, caller = runtime(), current_user.caller
    outcome = change_campaign_action(
        svc,
        caller,
        dashboard_id,
        grid_id["index"],
        "daily_budget",
        pending.get("campaign_id"),
        pending.get("value"),
        confirmed=True,
    )
    touched = {str(pending.get("campaign_id"))}
    transaction = _rows_after(
        svc, caller, dashboard_id, grid_id["index"], filter_values, touched
    )
    return transaction, outcome_alert(outcome), None


# ----------------------------------------------------------------- table: exports
def export_clicked(clicks, dashboard_id, button_id, view_rows, *filter_values):
    """Callback: the CSV or Excel button downloads a file built on the server, with
    the rows the grid shows (its sort and filters) in its order."""
    if not clicks or not current_user.is_authenticated:
        raise PreventUpdate
    svc, caller = runtime(), current_user.caller
    file_format = "csv" if button_id["type"] == table_id("csv", 0)["type"] else "xlsx"
    view_ids = (
        [r.get(ROW_ID) for r in view_rows if isinstance(r, dict)]
        if isinstance(view_rows, list)
        else None
    )
    try:
        filters = dashboard_filters(svc, caller, filter_values)
        export = export_table(
            svc,
            caller,
            dashboard_id,
            button_id["index"],
            filters,
            file_format,
            view_ids,
        )
    except (CommandError, QueryError) as exc:
        return no_update, outcome_alert(Outcome(False, str(exc)))
    return dcc.send_bytes(export.content, export.filename), no_update


# ------------------------------------------------------------- list-card actions
def list_item_action(
    context: CommandContext,
    caller: Caller,
    dashboard_id: Any,
    widget_id: Any,
    action: str,
    item_id: Any,
) -> Outcome:
    """Apply/dismiss a recommendation or acknowledge/resolve an anomaly from its card
    (:func:`commands.list_cards.act_on_list_item`), said as the card shows it."""
    try:
        result = act_on_list_item(
            context, caller, dashboard_id, widget_id, action, item_id
        )
    except PermissionDenied as exc:
        return Outcome(False, exc.message)
    except RecommendationNotPending as exc:
        return Outcome(
            False,
            f"This recommendation was already {exc.status}; nothing was changed.",
        )
    except AnomalyStatusRefused as exc:
        return Outcome(False, f"Not changed: {exc}.")
    except (RecommendationNotFound, AnomalyNotFound):
        return Outcome(
            False, "That item is not in your organisation (or no longer exists)."
        )
    except (CampaignNotFound, CampaignChangeRefused) as exc:
        return Outcome(False, f"Could not apply it: {exc}.")
    except CommandError as exc:
        return Outcome(False, str(exc))
    if action == "apply":
        title, changes = result["recommendation"]["title"], len(result["changes"])
        plural = "s" * (changes != 1)
        return Outcome(True, f"Applied: {title} ({changes} campaign change{plural}).")
    if action == "dismiss":
        return Outcome(True, f"Dismissed: {result['recommendation']['title']}.")
    return Outcome(True, f"Anomaly {result['status']}.")


def render_list(
    context: CommandContext,
    caller: Caller,
    dashboard_id: Any,
    widget_id: Any,
    filters: Filters,
) -> list:
    """The list widget's cards as the caller sees them now."""
    row, spec = visible_widget_spec(
        context, caller, dashboard_id, widget_id, "list_cards"
    )
    list_spec: ListCardsSpec = spec
    data = query_widget(
        list_spec, data=context.data, org_id=caller.org_id, filters=filters
    )
    render_context = RenderContext(
        widget_id=row.id,
        currency=data.get("currency", "USD"),
        can_edit=can_edit(caller.role),
    )
    return list_children(list_spec, data, render_context)


def list_action_clicked(_clicks, dashboard_id, *filter_values):
    """Callback: an action button of a list card; shows the outcome above the new
    list."""
    button = ctx.triggered_id
    if (
        not isinstance(button, dict)
        or not ctx.triggered[0].get("value")
        or not current_user.is_authenticated
    ):
        raise PreventUpdate
    svc, caller = runtime(), current_user.caller
    outcome = list_item_action(
        svc, caller, dashboard_id, button["widget"], button["action"], button["index"]
    )
    try:
        filters = dashboard_filters(svc, caller, filter_values)
        cards = render_list(svc, caller, dashboard_id, button["widget"], filters)
    except (CommandError, QueryError) as exc:
        return [outcome_alert(outcome), error_card(str(exc))]
    return [outcome_alert(outcome), *cards]


def register(app: Dash) -> None:
    app.callback(
        Output(table_id("grid", MATCH), "rowTransaction"),
        Output(table_id("message", MATCH), "children"),
        Output(table_id("confirm", MATCH), "displayed"),
        Output(table_id("confirm", MATCH), "message"),
        Output(table_id("pending", MATCH), "data"),
        Input(table_id("grid", MATCH), "cellValueChanged"),
        State("dashboard-id", "data"),
        State(table_id("grid", MATCH), "id"),
        *FILTER_STATES,
        prevent_initial_call=True,
    )(edit_cell)
    app.callback(
        Output(table_id("grid", MATCH), "rowTransaction", allow_duplicate=True),
        Output(table_id("message", MATCH), "children", allow_duplicate=True),
        Output(table_id("pending", MATCH), "data", allow_duplicate=True),
        Input(table_id("confirm", MATCH), "submit_n_clicks"),
        State(table_id("pending", MATCH), "data"),
        State("dashboard-id", "data"),
        State(table_id("grid", MATCH), "id"),
        *FILTER_STATES,
        prevent_initial_call=True,
    )(confirm_budget)
    for part in ("csv", "xlsx"):
        app.callback(
            Output(table_id("download", MATCH), "data", allow_duplicate=True),
            Output(table_id("message", MATCH), "children", allow_duplicate=True),
            Input(table_id(part, MATCH), "n_clicks"),
            State("dashboard-id", "data"),
            State(table_id(part, MATCH), "id"),
            State(table_id("grid", MATCH), "virtualRowData"),
            *FILTER_STATES,
            prevent_initial_call=True,
        )(export_clicked)
    app.callback(
        Output(list_id(MATCH), "children"),
        Input(action_button_id(ALL, ALL, MATCH), "n_clicks"),
        State("dashboard-id", "data"),
        *FILTER_STATES,
        prevent_initial_call=True,
    )(list_action_clicked)
