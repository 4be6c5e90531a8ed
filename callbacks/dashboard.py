"""Fill and refresh a dashboard's widgets.

Each widget has its own callback request (pattern-matching on the widget id), so
widgets load in parallel and one failure stays in its own card. Ids and filters come
from the browser, so every call re-checks them: the widget must be on the dashboard,
in the caller's org and visible to the caller.
"""

from __future__ import annotations

import datetime as dt

from dash import MATCH, Dash, Input, Output, State, ctx, no_update
from dash.exceptions import PreventUpdate
from flask_login import current_user

from accounts.permissions import can_edit
from callbacks._filters import FILTER_INPUTS, dashboard_filters
from commands.visibility import WidgetNotVisible, visible_widget
from core.filters import QueryError
from core.windows import zone
from dashboards.render import render_widget
from server.runtime import runtime
from widgets._card import error_card

# What refreshes a widget besides the filters: its interval and the Refresh button.
REFRESH_INPUTS = [
    Input("dashboard-interval", "n_intervals"),
    Input("dashboard-refresh-button", "n_clicks"),
]


def refresh_widget(_tick, _refresh, dashboard_id, body_id, *filter_values):
    """Callback: (re)render one widget under the bar's filters."""
    if not current_user.is_authenticated:
        raise PreventUpdate
    svc, caller = runtime(), current_user.caller
    try:
        filters = dashboard_filters(svc, caller, filter_values)
    except QueryError as exc:
        return error_card(str(exc))
    try:
        widget = visible_widget(svc, caller, dashboard_id, body_id["index"])
    except WidgetNotVisible:
        return error_card("this widget does not exist or is not shared with you.")
    manual = ctx.triggered_id == "dashboard-refresh-button"
    return render_widget(
        widget,
        data=svc.data,
        org_id=caller.org_id,
        filters=filters,
        fresh=manual,
        can_edit=can_edit(caller.role),
    )


def updated_label(*_refresh_and_filter_values):
    """Callback: when the widgets were last refreshed, in the org's time zone."""
    if not current_user.is_authenticated:
        return no_update
    org = runtime().data.org_context(current_user.org_id)
    now = dt.datetime.now(zone(org.timezone))
    return f"Updated {now:%H:%M:%S} ({org.timezone})"


def register(app: Dash) -> None:
    app.callback(
        Output({"type": "widget-body", "index": MATCH}, "children"),
        *REFRESH_INPUTS,
        State("dashboard-id", "data"),
        State({"type": "widget-body", "index": MATCH}, "id"),
        *FILTER_INPUTS,
    )(refresh_widget)
    app.callback(
        Output("dashboard-updated", "children"), *REFRESH_INPUTS, *FILTER_INPUTS
    )(updated_label)
