"""Fill and refresh a dashboard's widgets.

A widget a tick found changed has its own callback request (pattern-matching on the
widget id); a filter change or the Refresh button redraws every widget in one request
(one answer for the browser to apply); one failure stays in its own card either way.
Ids and filters come from the browser, so every call re-checks them: the widget must
be on the dashboard, in the caller's org and visible to the caller.

The page arrives with every widget whose data is cached already drawn
(``layouts.dashboard.paint_from_cache``). Refreshing redraws only what changed. A tick
(the page's first, the dashboard's interval, or on a realtime dashboard a new org data
version, see ``assets/live.js``) asks
:func:`check_widgets` for every widget's data key at once — one database read and a
cache round trip per widget, no query — and gets no body back when none changed. When
some did, the browser compares each widget's new key with the one it shows (none for a
widget the page left empty) and asks :func:`refresh_widget` to draw only those. The
Refresh button and a filter change redraw every widget (:func:`refresh_widgets`).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

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
from commands.visibility import (
    WidgetNotVisible,
    visible_dashboard_widgets,
    visible_widget,
)
from core.filters import QueryError
from dashboards.render import (
    draw_widget,
    figure_patches,
    grid_row_data,
    widget_data_key,
)
from server.runtime import runtime
from widgets._card import error_card

# What redraws one widget: a tick that found its data changed (set in the browser by
# ``pulse.wantedIfChanged``).
REFRESH_INPUTS = [Input({"type": "widget-wanted", "index": MATCH}, "data")]
# What redraws every widget at once, in one request: the Refresh button and the
# filters.
REFRESH_ALL_INPUTS = [Input("dashboard-refresh-button", "n_clicks"), *FILTER_INPUTS]
# What runs a tick: the dashboard's interval and, on a realtime dashboard, a new data
# version of the org (polled by ``pulse.pollVersion``).
TICK_INPUTS = [
    Input("dashboard-interval", "n_intervals"),
    Input("dashboard-data-version", "data"),
]
# Widgets drawn at once by a whole-dashboard refresh: a cold refresh waits on the
# database for each widget's query, and those waits overlap.
DRAW_THREADS = 4

SideUpdates = list[tuple[dict, dict]]


def _screen_update(svc, caller, widget, filters, *, manual, shown, keep_view):
    """One widget drawn for the screen: its card (or ``no_update`` when only its
    charts' figures and tables' rows change, those then as side updates), its data
    key and when its data was computed.

    A drawing with the shape of the one on screen (the same charts with the same
    traces, tables with the same columns, the same text around them:
    ``dashboards.render.card_shape``) only swaps the tables' rows and the charts'
    figures in place, these as Patches: with ``keep_view`` (a tick) they leave the
    user's zoom, pan and hover mode alone, without it (new filters, Refresh) the
    charts start unzoomed. A card of another shape is mounted anew."""
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
        return drawn.component, None, None, []
    shape = drawn.shape
    computed = {"at": drawn.computed_at, "stale": drawn.stale, "shape": shape}
    if shape is None or (shown or {}).get("shape") != shape:
        return drawn.component, key, computed, []
    side: SideUpdates = [
        (graph_id, {"figure": patch})
        for graph_id, patch in figure_patches(drawn.component, keep_view=keep_view)
    ]
    side += [
        (grid_id, {"rowData": rows}) for grid_id, rows in grid_row_data(drawn.component)
    ]
    return no_update, key, computed, side


def _apply(side: SideUpdates) -> None:
    for component_id, props in side:
        set_props(component_id, props)


def refresh_widget(_wanted, dashboard_id, body_id, shown, *filter_values):
    """Callback: redraw one widget whose data a tick found changed, under the bar's
    filters; also the data key of what it now shows and when that data was computed
    (for its age). Charts keep the user's zoom (see :func:`_screen_update`)."""
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
    card, key, computed, side = _screen_update(
        svc, caller, widget, filters, manual=False, shown=shown, keep_view=True
    )
    _apply(side)
    return card, key, computed


def refresh_widgets(_refresh, *values):
    """Callback: redraw every widget of the dashboard in one request, after a filter
    change or the Refresh button (which recomputes the data): one sign-in check and
    one read of the dashboard's widgets for all of them, drawn side by side, and one
    answer for the browser to apply (the browser sends at most six requests to a host
    at once, and applies each answer in its own pass)."""
    filter_values = values[: len(FILTER_INPUTS)]
    dashboard_id, body_ids, shown_list = values[len(FILTER_INPUTS) :]
    if not current_user.is_authenticated or not body_ids:
        raise PreventUpdate
    svc, caller = runtime(), current_user.caller
    count = len(body_ids)
    try:
        filters = dashboard_filters(svc, caller, filter_values)
    except QueryError as exc:
        return [error_card(str(exc))] * count, [None] * count, [None] * count
    visible = visible_dashboard_widgets(svc, caller, dashboard_id)
    manual = ctx.triggered_id == "dashboard-refresh-button"

    def update(index: int):
        widget = visible.get(body_ids[index].get("index"))
        if widget is None:
            card = error_card("this widget does not exist or is not shared with you.")
            return card, None, None, []
        return _screen_update(
            svc,
            caller,
            widget,
            filters,
            manual=manual,
            shown=shown_list[index],
            keep_view=False,
        )

    with ThreadPoolExecutor(DRAW_THREADS, thread_name_prefix="pulse-draw") as pool:
        updates = list(pool.map(update, range(count)))
    for _card, _key, _computed, side in updates:
        _apply(side)
    return (
        [u[0] for u in updates],
        [u[1] for u in updates],
        [u[2] for u in updates],
    )


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
        *FILTER_STATES,
        # The page arrives with the cached widgets drawn; the first tick asks for the
        # others (and for any drawn under other filters than the bar's).
        prevent_initial_call=True,
    )(refresh_widget)
    app.callback(
        Output({"type": "widget-body", "index": ALL}, "children", allow_duplicate=True),
        Output({"type": "widget-key", "index": ALL}, "data", allow_duplicate=True),
        Output({"type": "widget-computed", "index": ALL}, "data", allow_duplicate=True),
        *REFRESH_ALL_INPUTS,
        State("dashboard-id", "data"),
        State({"type": "widget-body", "index": ALL}, "id"),
        State({"type": "widget-computed", "index": ALL}, "data"),
        prevent_initial_call=True,
    )(refresh_widgets)
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
