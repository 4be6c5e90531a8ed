"""Fill and refresh a dashboard's widgets.

Each widget has its own callback request (pattern-matching on the widget id), so
widgets load in parallel and one failure stays in its own card. Ids and filters come
from the browser, so every call re-checks them: the widget must be on the dashboard,
in the caller's org and visible to the caller.
"""

from __future__ import annotations

import datetime as dt

from dash import ALL, MATCH, Dash, Input, Output, State, ctx, no_update
from dash.exceptions import PreventUpdate
from flask_login import current_user

from accounts.permissions import can_edit
from callbacks._filters import FILTER_INPUTS, dashboard_filters
from commands.visibility import WidgetNotVisible, visible_widget
from core.filters import Filters, QueryError
from core.reference import PLATFORMS
from core.windows import zone
from dashboards.render import render_widget
from server.runtime import runtime
from widgets._card import error_card
from widgets.map_chart import country_name

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


def clicked_country(click_data: dict | None) -> str | None:
    """The ISO 3166 alpha-3 code a map click names, or ``None`` (not a map, or a code
    that is no country). The browser sends it: it is checked against the known list."""
    points = (click_data or {}).get("points") or []
    location = (
        points[0].get("location") if points and isinstance(points[0], dict) else None
    )
    if not isinstance(location, str):
        return None
    try:
        return Filters(countries=[location]).countries[0]
    except ValueError:
        return None


def clicked_platform(click_data: dict | None) -> str | None:
    """The platform a click on a chart names (a bar or slice of a by-platform chart), or
    ``None``. Only known platform codes and names count: the browser sends it."""
    points = (click_data or {}).get("points") or []
    point = points[0] if points and isinstance(points[0], dict) else {}
    custom = point.get("customdata")
    candidates = [
        *(custom if isinstance(custom, list) else [custom]),
        point.get("label"),
    ]
    by_name = {label.lower(): code for code, label in PLATFORMS.items()}
    for value in candidates:
        if isinstance(value, str):
            code = value if value in PLATFORMS else by_name.get(value.lower())
            if code:
                return code
    return None


def platform_drilldown(_clicks, current):
    """Drill down: a click on a platform's bar or slice filters the dashboard to it."""
    triggered = ctx.triggered[0] if ctx.triggered else {}
    platform = clicked_platform(triggered.get("value"))
    if platform is None or [platform] == (current or []):
        raise PreventUpdate
    return [platform]


def country_filter(_clicks, _clear, current):
    """A click on a map's country filters the dashboard to it; the chip's × clears
    it."""
    if ctx.triggered_id == "filter-country-clear":
        return []
    triggered = ctx.triggered[0] if ctx.triggered else {}
    country = clicked_country(triggered.get("value"))
    if country is None or [country] == (current or []):
        raise PreventUpdate
    return [country]


def country_chip(countries):
    """The visible chip of the active country filter (hidden when there is none)."""
    if not countries:
        return "", {"display": "none"}
    names = ", ".join(country_name(code) for code in countries)
    return f"Country: {names}", {"display": "inline-flex"}


def register(app: Dash) -> None:
    app.callback(
        Output("filter-platforms", "value"),
        Input({"type": "widget-graph", "index": ALL}, "clickData"),
        State("filter-platforms", "value"),
        prevent_initial_call=True,
    )(platform_drilldown)
    app.callback(
        Output("filter-countries", "data"),
        Input({"type": "widget-graph", "index": ALL}, "clickData"),
        Input("filter-country-clear", "n_clicks"),
        State("filter-countries", "data"),
        prevent_initial_call=True,
    )(country_filter)
    app.callback(
        Output("filter-country-text", "children"),
        Output("filter-country-chip", "style"),
        Input("filter-countries", "data"),
    )(country_chip)
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
