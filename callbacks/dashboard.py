"""Fill and refresh a dashboard's widgets.

Each widget has its own callback request (pattern-matching on the widget id), so
widgets load in parallel and one failure stays in its own card. Ids and filters come
from the browser, so every call re-checks them: the widget must be on the dashboard,
in the caller's org and visible to the caller.

The page arrives with every widget whose data is cached already drawn
(``layouts.dashboard.paint_from_cache``). Refreshing redraws only what changed. A tick
(the page's first, the dashboard's interval, or on a realtime dashboard a new org data
version, see ``assets/live.js``) asks
:func:`check_widgets` for every widget's data key at once — one database read and a
cache round trip per widget, no query — and gets no body back when none changed. When
some did, the browser compares each widget's new key with the one it shows (none for a
widget the page left empty) and asks :func:`refresh_widget` to draw only those. The
Refresh button and a filter change redraw every widget.
"""

from __future__ import annotations

from dash import (
    ALL,
    MATCH,
    ClientsideFunction,
    Dash,
    Input,
    Output,
    State,
    ctx,
    no_update,
    set_props,
)
from dash.exceptions import PreventUpdate
from flask_login import current_user

from accounts.permissions import can_edit
from callbacks._filters import FILTER_INPUTS, FILTER_STATES, dashboard_filters
from commands.live import dashboard_data_keys, keys_digest
from commands.visibility import WidgetNotVisible, visible_widget
from core.filters import QueryError
from dashboards.render import (
    draw_widget,
    figure_patches,
    grid_row_data,
    widget_data_key,
)
from server.runtime import runtime
from widgets._card import error_card

# What redraws a widget besides the filters: a tick that found its data changed (set
# in the browser by ``pulse.wantedIfChanged``) and the Refresh button.
REFRESH_INPUTS = [
    Input({"type": "widget-wanted", "index": MATCH}, "data"),
    Input("dashboard-refresh-button", "n_clicks"),
]
# What runs a tick: the dashboard's interval and, on a realtime dashboard, a new data
# version of the org (polled by ``pulse.pollVersion``).
TICK_INPUTS = [
    Input("dashboard-interval", "n_intervals"),
    Input("dashboard-data-version", "data"),
]


def refresh_widget(_wanted, _refresh, dashboard_id, body_id, shown, *filter_values):
    """Callback: (re)draw one widget under the bar's filters; also the data key of
    what it now shows and when that data was computed (for its age).

    A drawing with the shape of the one on screen (the same charts with the same
    traces, tables with the same columns, the same text around them:
    ``dashboards.render.card_shape``) only swaps the tables' rows and the charts'
    figures in place, these as Patches: a tick's leave the user's zoom,
    pan and hover mode alone, a filter change's or the Refresh button's start the
    charts unzoomed. A card of another shape is mounted anew."""
    if not current_user.is_authenticated:
        raise PreventUpdate
    svc, caller = runtime(), current_user.caller
    try:
        filters = dashboard_filters(svc, caller, filter_values)
    except QueryError as exc:
        return error_card(str(exc)), None, None
    try:
        widget = visible_widget(svc, caller, dashboard_id, body_id["index"])
    except WidgetNotVisible:
        return (
            error_card("this widget does not exist or is not shared with you."),
            None,
            None,
        )
    manual = ctx.triggered_id == "dashboard-refresh-button"
    # The key before the data: an ingest in between leaves an older key with newer
    # data, which the next tick redraws once more (never the other way round).
    key = widget_data_key(widget, data=svc.data, org_id=caller.org_id, filters=filters)
    drawn = draw_widget(
        widget,
        data=svc.data,
        org_id=caller.org_id,
        filters=filters,
        fresh=manual,
        can_edit=can_edit(caller.role),
    )
    if drawn.computed_at is None:
        # An error card: no key, so the next tick tries again (the database may be
        # back, the query may not time out this time).
        return drawn.component, None, None
    shape = drawn.shape
    computed = {"at": drawn.computed_at, "stale": drawn.stale, "shape": shape}
    if shape is not None and (shown or {}).get("shape") == shape:
        trigger = ctx.triggered_id
        ticked = isinstance(trigger, dict) and trigger.get("type") == "widget-wanted"
        for graph_id, patch in figure_patches(drawn.component, keep_view=ticked):
            set_props(graph_id, {"figure": patch})
        for grid_id, rows in grid_row_data(drawn.component):
            set_props(grid_id, {"rowData": rows})
        return no_update, key, computed
    return drawn.component, key, computed


def check_widgets(_tick, _version, dashboard_id, shown_digest, *filter_values):
    """Callback: a refresh tick. Every widget's data key by widget id, or no update
    at all (an empty answer) when none changed since the last tick."""
    if not current_user.is_authenticated:
        raise PreventUpdate
    svc, caller = runtime(), current_user.caller
    try:
        filters = dashboard_filters(svc, caller, filter_values)
    except QueryError:
        raise PreventUpdate from None
    keys = dashboard_data_keys(svc, caller, dashboard_id, filters)
    digest = keys_digest(keys)
    if digest == shown_digest:
        raise PreventUpdate
    return keys, digest


def register(app: Dash) -> None:
    app.callback(
        Output({"type": "widget-body", "index": MATCH}, "children"),
        Output({"type": "widget-key", "index": MATCH}, "data"),
        Output({"type": "widget-computed", "index": MATCH}, "data"),
        *REFRESH_INPUTS,
        State("dashboard-id", "data"),
        State({"type": "widget-body", "index": MATCH}, "id"),
        State({"type": "widget-computed", "index": MATCH}, "data"),
        *FILTER_INPUTS,
        # The page arrives with the cached widgets drawn; the first tick asks for the
        # others (and for any drawn under other filters than the bar's).
        prevent_initial_call=True,
    )(refresh_widget)
    app.callback(
        Output("dashboard-keys", "data"),
        Output("dashboard-keys-digest", "data"),
        *TICK_INPUTS,
        State("dashboard-id", "data"),
        State("dashboard-keys-digest", "data"),
        *FILTER_STATES,
    )(check_widgets)
    # In the browser (assets/live.js): no request unless something changed.
    app.clientside_callback(
        ClientsideFunction("pulse", "wantedIfChanged"),
        Output({"type": "widget-wanted", "index": MATCH}, "data"),
        Input("dashboard-keys", "data"),
        State({"type": "widget-key", "index": MATCH}, "data"),
        State({"type": "widget-computed", "index": MATCH}, "data"),
        State({"type": "widget-wanted", "index": MATCH}, "id"),
        prevent_initial_call=True,
    )
    app.clientside_callback(
        ClientsideFunction("pulse", "forgetDigestIfStale"),
        Output("dashboard-keys-digest", "data", allow_duplicate=True),
        Input({"type": "widget-computed", "index": ALL}, "data"),
        prevent_initial_call=True,
    )
    app.clientside_callback(
        ClientsideFunction("pulse", "pollVersion"),
        Output("dashboard-data-version", "data"),
        Input("dashboard-live-clock", "n_intervals"),
        State("dashboard-data-version", "data"),
        prevent_initial_call=True,
    )
    app.clientside_callback(
        ClientsideFunction("pulse", "showAge"),
        Output({"type": "widget-age", "index": MATCH}, "children"),
        Output({"type": "widget-age", "index": MATCH}, "className"),
        Input("dashboard-age-clock", "n_intervals"),
        Input({"type": "widget-computed", "index": MATCH}, "data"),
        State({"type": "widget-age", "index": MATCH}, "children"),
    )
    app.clientside_callback(
        ClientsideFunction("pulse", "showUpdated"),
        Output("dashboard-updated", "children"),
        Input("dashboard-age-clock", "n_intervals"),
        Input({"type": "widget-computed", "index": ALL}, "data"),
        State("dashboard-timezone", "data"),
        State("dashboard-updated", "children"),
    )
