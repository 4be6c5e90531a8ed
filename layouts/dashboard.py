"""One dashboard: the filter bar and its widgets on the 12-column grid.

The page arrives with the widgets whose data is cached already drawn (no query runs
here) and empty frames for the others, which ``callbacks.dashboard`` fills, so a slow
or broken widget never holds up the others; it keeps them all current: at the
dashboard's interval (and, on a ``realtime`` dashboard, as soon as the org's data
version changes) one cheap tick compares the widgets' data keys with those on screen
and only widgets whose data changed are drawn again. Which dashboard and widgets the
user may see, and the audit of the view, come from
:func:`commands.dashboards.open_dashboard`.
"""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html
from flask_login import current_user

from accounts.permissions import can_edit
from commands.dashboards import DashboardNotFound, open_dashboard
from commands.live import data_version
from core.filters import FilterState, QueryError
from core.reference import (
    COMPARISONS,
    COUNTRIES,
    CUSTOM_RANGE,
    DATE_RANGE_CHOICES,
    FILTER_BAR_RANGES,
    PLATFORMS,
    WIDGET_PERIODS,
    parse_row_id,
)
from dashboards.filters import FilterReading, filters_of, read_filter_query
from dashboards.render import RenderedWidget, draw_widget, widget_data_keys
from dashboards.schema import REFRESH_SECONDS
from datasources.cache import NotCached
from layouts import not_found
from server.runtime import runtime
from widgets._base import ROW_HEIGHT
from widgets.map_chart import country_name

# The date ranges the edit form saves as a default; the filter bar offers them and a
# custom range.
DATE_RANGE_OPTIONS = [{"label": v, "value": k} for k, v in DATE_RANGE_CHOICES.items()]
# How often a realtime dashboard asks whether its org's data changed (a 304 when not).
LIVE_POLL_MILLISECONDS = 1000
# How often the widgets' "updated N min ago" counts up (in the browser, no request).
AGE_CLOCK_MILLISECONDS = 15_000
FILTER_BAR_RANGE_OPTIONS = [
    {"label": v, "value": k} for k, v in FILTER_BAR_RANGES.items()
]
COMPARISON_OPTIONS = [{"label": v, "value": k} for k, v in COMPARISONS.items()]
COUNTRY_OPTIONS = sorted(
    (
        {"label": country_name(code), "value": code}
        for code in sorted(set(COUNTRIES.values()))
    ),
    key=lambda option: option["label"],
)


def widget_id(kind: str, wid: int) -> dict:
    """The id of one of a widget's components: ``{"type": kind, "index": wid}``."""
    return {"type": kind, "index": wid}


def widget_frame(widget, painted: tuple[str, RenderedWidget] | None = None) -> html.Div:
    """The card at the widget's grid position: drawn when its data was cached
    (``painted``: its data key and drawing), else empty, filled by its callback."""
    key, drawn = painted if painted is not None else (None, None)
    computed = None
    if drawn is not None and drawn.computed_at is not None:
        computed = {"at": drawn.computed_at, "stale": drawn.stale, "shape": drawn.shape}
    elif drawn is not None:
        key = None  # an error card: the first tick tries again
    return html.Div(
        [
            html.Div(widget.title, className="widget-title"),
            # How old its data is, counted up in the browser (assets/live.js).
            html.Div(id=widget_id("widget-age", widget.id), className="widget-age"),
            html.Div(
                drawn.component
                if drawn is not None
                else html.Div(
                    className="widget-placeholder placeholder-glow",
                    children=html.Span(className="placeholder col-8"),
                ),
                id=widget_id("widget-body", widget.id),
                className=f"widget-body widget-{widget.widget_type}",
            ),
            # The data key of what the card shows, and when that data was computed.
            dcc.Store(id=widget_id("widget-key", widget.id), data=key),
            dcc.Store(id=widget_id("widget-computed", widget.id), data=computed),
            # Set (in the browser) to the new key when a tick finds the data changed.
            dcc.Store(id=widget_id("widget-wanted", widget.id)),
        ],
        className="widget-card",
        id={"type": "widget-frame", "index": widget.id},
        style={
            "gridColumn": f"{widget.position_x + 1} / span {widget.width}",
            "gridRow": f"{widget.position_y + 1} / span {widget.height}",
        },
    )


def paint_from_cache(
    widgets, state: FilterState
) -> dict[int, tuple[str, RenderedWidget]]:
    """The widgets whose data is cached, drawn now, with their data keys: the page
    arrives with them (a warm dashboard needs no callback round trip to show its
    figures, and plotly.js starts loading at once). Nothing is queried here: a widget
    whose data is not cached is drawn by its callback after the page's first tick,
    so a slow query never holds up the page. The first tick compares every key with
    the bar's actual filters, so a widget drawn under other filters is drawn again."""
    svc, caller = runtime(), current_user.caller
    try:
        filters = filters_of(svc.data, caller.org_id, state)
    except (QueryError, ValueError):
        return {}  # the widgets' callbacks say why
    keys = widget_data_keys(
        widgets, data=svc.data, org_id=caller.org_id, filters=filters
    )
    painted = {}
    for widget in widgets:
        key = keys[str(widget.id)]
        try:
            drawn = draw_widget(
                widget,
                data=svc.data,
                org_id=caller.org_id,
                filters=filters,
                can_edit=can_edit(caller.role),
                cached_only=True,
            )
        except NotCached:
            continue
        painted[widget.id] = (key, drawn)
    return painted


def default_date_range(dashboard) -> str:
    """The saved default date range, or each widget's period when none (or one this
    version no longer offers) is saved."""
    saved = (dashboard.default_filters or {}).get("date_range")
    return saved if saved in DATE_RANGE_CHOICES else WIDGET_PERIODS


def opening_filters(dashboard, org_id: int, query: dict) -> FilterReading:
    """The filters the page opens with: the address's (``?range=30d&platforms=meta``),
    else the dashboard's saved defaults; what the address got wrong is dropped, with
    notices to show."""
    if not query:
        saved = dashboard.default_filters or {}
        platforms = [p for p in saved.get("platforms") or [] if p in PLATFORMS]
        query = {"platforms": ",".join(platforms)} if platforms else {}
    return read_filter_query(
        runtime().data, org_id, query, default_date_range(dashboard)
    )


def _labelled(label: str, control, **col) -> dbc.Col:
    return dbc.Col(
        [html.Label(label, className="filter-label small text-muted"), control], **col
    )


def filter_bar(dashboard, state: FilterState, campaigns: list[tuple[int, str]]):
    """The filter bar: date range (a preset, or custom days on a calendar), the
    comparison, platforms, campaigns and countries; under it the active filters as
    removable chips and the drill-down's breadcrumb. The drill-down is a store set by
    clicking a chart over time."""
    custom = state.date_range == CUSTOM_RANGE
    first_row = dbc.Row(
        [
            _labelled(
                "Date range",
                dcc.Dropdown(
                    id="filter-date-range",
                    options=FILTER_BAR_RANGE_OPTIONS,
                    value=state.date_range,
                    clearable=False,
                    searchable=False,
                ),
                xs=12,
                md=3,
            ),
            _labelled(
                "Custom days",
                dcc.DatePickerRange(
                    id="filter-custom-dates",
                    start_date=state.date_from.isoformat() if state.date_from else None,
                    end_date=state.date_to.isoformat() if state.date_to else None,
                    display_format="YYYY-MM-DD",
                    minimum_nights=0,
                    first_day_of_week=1,
                ),
                xs=12,
                md=3,
                id="filter-custom-dates-col",
                style={} if custom else {"display": "none"},
            ),
            _labelled(
                "Compare with",
                dcc.Dropdown(
                    id="filter-compare",
                    options=COMPARISON_OPTIONS,
                    value=state.comparison,
                    placeholder="Previous period (KPIs only)",
                    searchable=False,
                ),
                xs=12,
                md=3,
            ),
            dbc.Col(
                html.Div(
                    [
                        dbc.Button(
                            "Refresh",
                            id="dashboard-refresh-button",
                            size="sm",
                            color="secondary",
                            outline=True,
                            className="me-2",
                        ),
                        html.Span(id="dashboard-updated", className="small text-muted"),
                    ],
                    className="d-flex align-items-end h-100",
                ),
                xs=12,
                md=3,
            ),
        ],
        className="g-2",
    )
    second_row = dbc.Row(
        [
            _labelled(
                "Platforms",
                dcc.Dropdown(
                    id="filter-platforms",
                    multi=True,
                    value=list(state.platforms),
                    placeholder="All platforms",
                    options=[{"label": v, "value": k} for k, v in PLATFORMS.items()],
                ),
                xs=12,
                md=3,
            ),
            _labelled(
                "Campaigns",
                dcc.Dropdown(
                    id="filter-campaigns",
                    multi=True,
                    value=list(state.campaign_ids),
                    placeholder="All campaigns",
                    options=[{"label": name, "value": i} for i, name in campaigns],
                    searchable=True,
                ),
                xs=12,
                md=5,
            ),
            _labelled(
                "Countries",
                dcc.Dropdown(
                    id="filter-countries",
                    multi=True,
                    value=list(state.countries),
                    placeholder="All countries",
                    options=COUNTRY_OPTIONS,
                    searchable=True,
                ),
                xs=12,
                md=4,
            ),
        ],
        className="g-2 mt-1",
    )
    return html.Div(
        [
            first_row,
            second_row,
            html.Div(
                [
                    html.Nav(
                        id="filter-breadcrumb",
                        className="filter-breadcrumb",
                        **{"aria-label": "Drill-down"},
                    ),
                    html.Div(id="filter-chips", className="filter-chips"),
                ],
                className="filter-active d-flex flex-wrap align-items-center mt-2",
            ),
            dcc.Store(
                id="filter-drill",
                data={
                    key: day.isoformat()
                    for key, day in (("week", state.week), ("day", state.day))
                    if day is not None
                },
            ),
            # The address bar: the query the filters stand for (written to the
            # browser's history by assets/filters.js), and the one Back or Forward
            # brought back (read by the filters' callback).
            dcc.Store(id="filter-query"),
            # The last click on a chart, a table, a chip or the breadcrumb.
            dcc.Store(id="filter-click"),
            dcc.Store(id="filter-query-written"),
            dcc.Store(id="filter-address"),
        ],
        className="filter-bar mb-3",
    )


def filter_notice(notices: list[str]) -> dbc.Alert:
    """What the address asked for that was dropped (hidden when nothing was)."""
    return dbc.Alert(
        [html.Div(n) for n in notices],
        id="filter-notice",
        color="warning",
        dismissable=True,
        is_open=bool(notices),
        className="small py-2",
    )


def layout(dashboard_id: str | None = None, **query) -> html.Div:
    """The page of one dashboard (its opening is audited), or "not found"; the query
    string (``?range=30d&platforms=meta``) sets the filters."""
    dashboard_pk = parse_row_id(dashboard_id)
    if dashboard_pk is None:
        return not_found.layout()
    try:
        view = open_dashboard(runtime(), current_user.caller, dashboard_pk)
    except DashboardNotFound:
        return not_found.layout()
    dashboard, widgets = view.dashboard, view.widgets
    opening = opening_filters(dashboard, current_user.org_id, query)
    campaigns = runtime().data.campaign_names(current_user.org_id)
    row_height = (dashboard.layout_config or {}).get("row_height", ROW_HEIGHT)
    refresh_ms = REFRESH_SECONDS.get(dashboard.refresh_interval, 900) * 1000
    realtime = dashboard.refresh_interval == "realtime"
    painted = paint_from_cache(widgets, opening.state)
    actions = []
    if can_edit(current_user.role):
        actions = [
            # Takes a snapshot under the bar's filters (callbacks.snapshots); the
            # toast says which, with a link to it.
            dbc.Button(
                "Take snapshot",
                id="snapshot-take-button",
                color="primary",
                outline=True,
                size="sm",
                className="me-1",
            ),
            html.A(
                "Edit",
                href=f"/dashboards/{dashboard.id}/edit",
                id="dashboard-edit-link",
                className="btn btn-outline-secondary btn-sm",
            ),
            dbc.Button(
                "Delete",
                id="dashboard-delete-button",
                color="danger",
                outline=True,
                size="sm",
            ),
            dcc.ConfirmDialog(
                id="delete-confirm",
                message=f"Delete the dashboard “{dashboard.name}” and its widgets? "
                "This cannot be undone.",
            ),
        ]
    return html.Div(
        [
            html.Div(
                [
                    html.Div(
                        [
                            html.H1(
                                dashboard.name,
                                className="h3 mb-0",
                                id="dashboard-title",
                            ),
                            html.P(
                                dashboard.description, className="text-muted small mb-2"
                            ),
                        ]
                    ),
                    html.Div(actions, className="dashboard-actions text-nowrap"),
                ],
                className="d-flex justify-content-between align-items-start",
            ),
            # Where the page goes after a deletion: a Location made at that moment
            # (callbacks.manage.delete), since one made with the page would still hold
            # the address it opened on, not the one the filters wrote since.
            html.Div(id="dashboard-redirect"),
            html.Div(id="snapshot-toast", className="snapshot-toast"),
            filter_notice(opening.notices),
            filter_bar(dashboard, opening.state, campaigns),
            html.Div(
                [widget_frame(w, painted.get(w.id)) for w in widgets],
                className="dashboard-grid",
                style={"--row-height": f"{row_height}px"},
                id="dashboard-grid",
            ),
            dcc.Store(id="dashboard-id", data=dashboard.id),
            dcc.Interval(id="dashboard-interval", interval=refresh_ms, n_intervals=0),
            # The widgets' data keys the last tick found, and their digest (what the
            # next tick sends, to be answered "nothing new" without a body).
            dcc.Store(id="dashboard-keys"),
            dcc.Store(id="dashboard-keys-digest"),
            # Realtime: the org's data version, polled every second (a 304 while it
            # is unchanged); a new version runs the tick at once.
            dcc.Store(
                id="dashboard-data-version",
                data=data_version(runtime(), current_user.caller) if realtime else None,
            ),
            dcc.Interval(
                id="dashboard-live-clock",
                interval=LIVE_POLL_MILLISECONDS,
                disabled=not realtime,
            ),
            dcc.Interval(id="dashboard-age-clock", interval=AGE_CLOCK_MILLISECONDS),
            # The "Updated" label's clock is the org's.
            dcc.Store(
                id="dashboard-timezone",
                data=runtime().data.org_context(current_user.org_id).timezone,
            ),
        ],
        className="dashboard-page",
    )
