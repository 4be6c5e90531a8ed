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
from core.filters import Filters, QueryError, filters_for_preset
from core.reference import (
    DATE_RANGE_CHOICES,
    PLATFORMS,
    WIDGET_PERIODS,
    parse_row_id,
)
from dashboards.render import RenderedWidget, draw_widget, widget_data_key
from dashboards.schema import REFRESH_SECONDS
from datasources.cache import NotCached
from layouts import not_found
from server.runtime import runtime
from widgets._base import ROW_HEIGHT

# The date ranges the filter bar offers: the same the edit form saves as a default.
DATE_RANGE_OPTIONS = [{"label": v, "value": k} for k, v in DATE_RANGE_CHOICES.items()]
# How often a realtime dashboard asks whether its org's data changed (a 304 when not).
LIVE_POLL_MILLISECONDS = 1000
# How often the widgets' "updated N min ago" counts up (in the browser, no request).
AGE_CLOCK_MILLISECONDS = 15_000


def widget_id(kind: str, wid: int) -> dict:
    """The id of one of a widget's components: ``{"type": kind, "index": wid}``."""
    return {"type": kind, "index": wid}


def widget_frame(widget, painted: tuple[str, RenderedWidget] | None = None) -> html.Div:
    """The card at the widget's grid position: drawn when its data was cached
    (``painted``: its data key and drawing), else empty, filled by its callback."""
    key, drawn = painted if painted is not None else (None, None)
    computed = None
    if drawn is not None and drawn.computed_at is not None:
        computed = {"at": drawn.computed_at, "stale": drawn.stale}
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


def opening_filters(dashboard, timezone: str) -> Filters | None:
    """The filters the bar opens with (the dashboard's saved defaults), or ``None``
    when they no longer parse (the widgets' callbacks then say why)."""
    defaults = dashboard.default_filters or {}
    try:
        return filters_for_preset(
            default_date_range(dashboard), defaults.get("platforms") or [], timezone
        )
    except (QueryError, ValueError):
        return None


def paint_from_cache(widgets, dashboard) -> dict[int, tuple[str, RenderedWidget]]:
    """The widgets whose data is cached, drawn now, with their data keys: the page
    arrives with them (a warm dashboard needs no callback round trip to show its
    figures, and plotly.js starts loading at once). Nothing is queried here: a widget
    whose data is not cached is drawn by its callback after the page's first tick,
    so a slow query never holds up the page. The first tick compares every key with
    the bar's actual filters, so a widget drawn under other filters is drawn again."""
    svc, caller = runtime(), current_user.caller
    filters = opening_filters(dashboard, svc.data.org_context(caller.org_id).timezone)
    if filters is None:
        return {}
    painted = {}
    for widget in widgets:
        key = widget_data_key(
            widget, data=svc.data, org_id=caller.org_id, filters=filters
        )
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


def country_chip() -> html.Span:
    """The active country filter (set by clicking a country on a map), with a button
    that clears it; hidden while no country is chosen."""
    return html.Span(
        [
            html.Span(id="filter-country-text"),
            html.Button(
                id="filter-country-clear",
                n_clicks=0,
                type="button",
                className="btn-close btn-close-white ms-2",
                title="Show all countries",
                **{"aria-label": "Clear the country filter"},
            ),
        ],
        id="filter-country-chip",
        className="badge rounded-pill text-bg-primary me-2 align-items-center",
        style={"display": "none"},
    )


def default_date_range(dashboard) -> str:
    """The saved default date range, or each widget's period when none (or one this
    version no longer offers) is saved."""
    saved = (dashboard.default_filters or {}).get("date_range")
    return saved if saved in DATE_RANGE_CHOICES else WIDGET_PERIODS


def filter_bar(dashboard) -> dbc.Row:
    default_platforms = (dashboard.default_filters or {}).get("platforms") or []
    return dbc.Row(
        [
            dbc.Col(
                dcc.Dropdown(
                    id="filter-date-range",
                    options=DATE_RANGE_OPTIONS,
                    # The dashboard opens on its saved default date range.
                    value=default_date_range(dashboard),
                    clearable=False,
                    searchable=False,
                ),
                xs=12,
                md=3,
            ),
            dbc.Col(
                dcc.Dropdown(
                    id="filter-platforms",
                    multi=True,
                    value=default_platforms,
                    placeholder="All platforms",
                    options=[{"label": v, "value": k} for k, v in PLATFORMS.items()],
                ),
                xs=12,
                md=5,
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
                        country_chip(),
                        html.Span(id="dashboard-updated", className="small text-muted"),
                    ],
                    className="d-flex align-items-center h-100",
                ),
                xs=12,
                md=4,
            ),
        ],
        className="filter-bar g-2 mb-3",
    )


def layout(dashboard_id: str | None = None, **_) -> html.Div:
    """The page of one dashboard (its opening is audited), or "not found"."""
    dashboard_pk = parse_row_id(dashboard_id)
    if dashboard_pk is None:
        return not_found.layout()
    try:
        view = open_dashboard(runtime(), current_user.caller, dashboard_pk)
    except DashboardNotFound:
        return not_found.layout()
    dashboard, widgets = view.dashboard, view.widgets
    row_height = (dashboard.layout_config or {}).get("row_height", ROW_HEIGHT)
    refresh_ms = REFRESH_SECONDS.get(dashboard.refresh_interval, 900) * 1000
    realtime = dashboard.refresh_interval == "realtime"
    painted = paint_from_cache(widgets, dashboard)
    actions = []
    if can_edit(current_user.role):
        actions = [
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
            dcc.Location(id="dashboard-redirect", refresh=True),
            filter_bar(dashboard),
            html.Div(
                [widget_frame(w, painted.get(w.id)) for w in widgets],
                className="dashboard-grid",
                style={"--row-height": f"{row_height}px"},
                id="dashboard-grid",
            ),
            dcc.Store(id="dashboard-id", data=dashboard.id),
            dcc.Store(id="filter-countries", data=[]),
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
