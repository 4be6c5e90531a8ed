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

from datasources import dashboards as dashboard_store
from datasources.registry import DataSourceError, filters_for_preset
from datasources.windows import zone
from server.services import services
from widgets.engine import error_card, render_widget

FILTER_INPUTS = [
    Input("dashboard-interval", "n_intervals"),
    Input("filter-date-range", "value"),
    Input("filter-platforms", "value"),
    Input("dashboard-refresh-button", "n_clicks"),
]


def refresh_widget(_tick, date_range, platforms, _refresh, dashboard_id, body_id):
    if not current_user.is_authenticated:
        raise PreventUpdate
    svc = services()
    org = svc.data.org_context(current_user.org_id)
    try:
        filters = filters_for_preset(date_range, platforms, org.timezone)
    except DataSourceError as exc:
        return error_card(str(exc))
    with svc.db.session(org.id) as session:
        widget = dashboard_store.get_visible_widget(
            session, int(dashboard_id), int(body_id["index"]), current_user.user_id)
    if widget is None:
        return error_card("this widget does not exist or is not shared with you.")
    manual = ctx.triggered_id == "dashboard-refresh-button"
    return render_widget(widget, data=svc.data, org_id=org.id, filters=filters, fresh=manual)


def updated_label(_tick, _range, _platforms, _refresh):
    if not current_user.is_authenticated:
        return no_update
    org = services().data.org_context(current_user.org_id)
    now = dt.datetime.now(zone(org.timezone))
    return f"Updated {now:%H:%M:%S} ({org.timezone})"


def register(app: Dash) -> None:
    app.callback(
        Output({"type": "widget-body", "index": MATCH}, "children"),
        *FILTER_INPUTS,
        State("dashboard-id", "data"),
        State({"type": "widget-body", "index": MATCH}, "id"),
    )(refresh_widget)
    app.callback(Output("dashboard-updated", "children"), *FILTER_INPUTS)(updated_label)
