"""Cross-filtering, drill-down and the address bar of a dashboard.

A click on a platform's bar or slice, a country on a map or a campaign's name in a
table adds that value to the filter bar (and a removable chip says so); a click on a
week or a day of a chart over time drills every widget down to it (week → day →
hour), with a breadcrumb back. Whatever the filters become is written to the address
bar (``?range=30d&platforms=meta``) by ``assets/filters.js``; Back and Forward bring
the address's filters back through :func:`update_filters`. Every value the browser
sends is checked: codes against the known lists, campaigns against the caller's org.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any
from urllib.parse import parse_qs

from dash import (
    ALL,
    ClientsideFunction,
    Dash,
    Input,
    Output,
    State,
    ctx,
    html,
    no_update,
)
from dash.exceptions import PreventUpdate
from flask_login import current_user

from callbacks._filters import FILTER_COMPONENTS, filter_state
from commands.errors import CommandError
from commands.visibility import visible_widget_spec
from core.filters import (
    Filters,
    FilterState,
    QueryError,
    filter_query,
    range_window,
)
from core.reference import (
    CUSTOM_RANGE,
    FILTER_BAR_RANGES,
    PLATFORMS,
    parse_row_id,
)
from core.windows import DateWindow, org_today, week_start
from dashboards.filters import org_campaign_ids, read_filter_query
from server.runtime import runtime
from widgets._base import DRILL_PREFIX
from widgets.map_chart import country_name

CHIP_REMOVE = "filter-chip-remove"
CLEAR_ALL = "filter-clear-all"
CRUMB = "filter-crumb"
# A custom range starts as the last 30 days, ready to be narrowed on the calendar.
CUSTOM_START_DAYS = 30


# ------------------------------------------------------------------ what a click names
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


def clicked_bucket(click_data: dict | None) -> tuple[str, dt.date] | None:
    """The week (its Monday) or day a click on a chart over time drills down to, as
    ``("week" | "day", first day)``, or ``None`` (an hour, or no chart over time)."""
    points = (click_data or {}).get("points") or []
    point = points[0] if points and isinstance(points[0], dict) else {}
    custom = point.get("customdata")
    for value in custom if isinstance(custom, list) else [custom]:
        if not isinstance(value, str) or not value.startswith(f"{DRILL_PREFIX}:"):
            continue
        _, level, day = (value.split(":") + ["", ""])[:3]
        try:
            first = dt.date.fromisoformat(day)
        except ValueError:
            return None
        if level == "week" and first == week_start(first):
            return "week", first
        if level == "day":
            return "day", first
    return None


# -------------------------------------------------------------------- the state
def drill_data(week: dt.date | None, day: dt.date | None) -> dict[str, str]:
    return {
        key: value.isoformat()
        for key, value in (("week", week), ("day", day))
        if value is not None
    }


def state_values(state: FilterState) -> list[Any]:
    """``state`` as the filter components' values, in FILTER_COMPONENTS order."""
    return [
        state.date_range,
        list(state.platforms),
        list(state.countries),
        state.date_from.isoformat() if state.date_from else None,
        state.date_to.isoformat() if state.date_to else None,
        state.comparison,
        list(state.campaign_ids),
        drill_data(state.week, state.day),
    ]


def _added(values: tuple, value: Any) -> tuple:
    return values if value in values else (*values, value)


def drilled(state: FilterState, level: str, first: dt.date) -> FilterState:
    """``state`` drilled down into the clicked week or day."""
    if level == "week":
        return replace(state, week=first, day=None)
    week = (
        state.week
        if state.week and state.week <= first < state.week + dt.timedelta(days=7)
        else None
    )
    return replace(state, week=week, day=first)


def without(state: FilterState, field: str, value: Any) -> FilterState:
    """``state`` without one chip's value (``field``: platforms, campaigns or
    countries)."""
    attribute = "campaign_ids" if field == "campaigns" else field
    if attribute not in ("platforms", "campaign_ids", "countries"):
        return state
    kept = tuple(v for v in getattr(state, attribute) if str(v) != str(value))
    return replace(state, **{attribute: kept})


def cleared(state: FilterState) -> FilterState:
    """ "Clear all": no platform, campaign, country or drill-down (the date range and
    the comparison stay)."""
    return FilterState(
        date_range=state.date_range,
        date_from=state.date_from,
        date_to=state.date_to,
        comparison=state.comparison,
    )


# update_filters takes the date range as an input (a new one ends the drill-down) and
# the other filters as states.
DATE_RANGE = ("filter-date-range", "value")
DATE_RANGE_AT = FILTER_COMPONENTS.index(DATE_RANGE)
OTHER_FILTERS = [State(c, p) for c, p in FILTER_COMPONENTS if (c, p) != DATE_RANGE]


# ------------------------------------------------------------------- callbacks
def _campaign_of_row(svc, caller, dashboard_id, widget_id, cell: dict) -> int | None:
    """The campaign a click on a table's campaign name names, if the table lists
    campaigns (a by-campaign breakdown) and the campaign is the caller's org's."""
    if not isinstance(cell, dict) or cell.get("colId") != "name":
        return None
    try:
        _, spec = visible_widget_spec(svc, caller, dashboard_id, widget_id, "table")
    except CommandError:
        return None
    params = spec.query_params or {}
    if spec.data_source != "campaigns" or params.get("group_by") != "campaign":
        return None
    campaign_id = parse_row_id(cell.get("rowId"))
    if campaign_id is None:
        return None
    return (
        campaign_id
        if org_campaign_ids(svc.data, caller.org_id, [campaign_id])
        else None
    )


def _what_happened(click: Any) -> tuple[Any, Any]:
    """The input that changed, and its value: the date range, the address, or the
    click assets/filters.js passed on (``{"id": component id, "value": ...}``)."""
    trigger = ctx.triggered_id
    if trigger == "filter-click":
        if not isinstance(click, dict) or not isinstance(click.get("id"), dict):
            raise PreventUpdate
        return click["id"], click.get("value")
    if trigger in ("filter-address", "filter-date-range"):
        return trigger, None
    raise PreventUpdate


def update_filters(
    click,
    address,
    date_range,
    dashboard_id,
    *other_filter_values,
):
    """Callback: a click on a chart, a table's campaign, a chip's ×, "Clear all", a
    breadcrumb, a new date range, or Back/Forward changes the filter bar.

    The date range is an input here (a new one ends the drill-down), so the other
    filters come as states, in FILTER_COMPONENTS order without it."""
    filter_values = list(other_filter_values)
    filter_values.insert(DATE_RANGE_AT, date_range)
    if not current_user.is_authenticated or not ctx.triggered:
        raise PreventUpdate
    svc, caller = runtime(), current_user.caller
    trigger, value = _what_happened(click)
    notices = no_update
    try:
        state = filter_state(filter_values)
    except QueryError:
        state = FilterState()
    if trigger == "filter-address":
        search = address.get("search") if isinstance(address, dict) else None
        if not isinstance(search, str):
            raise PreventUpdate
        query = dict(parse_qs(search.lstrip("?")))
        reading = read_filter_query(svc.data, caller.org_id, query, state.date_range)
        new, notices = reading.state, reading.notices
    elif trigger == "filter-date-range":
        new = replace(state, week=None, day=None)
        if state.date_range == CUSTOM_RANGE and not (state.date_from and state.date_to):
            today = org_today(svc.data.org_context(caller.org_id).timezone)
            start = DateWindow.last_days(CUSTOM_START_DAYS, today)
            new = replace(new, date_from=start.start, date_to=start.end)
    elif not value:
        raise PreventUpdate  # nothing was clicked
    elif isinstance(trigger, dict) and trigger.get("type") == "widget-graph":
        new = _after_chart_click(state, value)
    elif isinstance(trigger, dict) and trigger.get("type") == "widget-table":
        campaign = _campaign_of_row(
            svc, caller, dashboard_id, trigger.get("index"), value
        )
        if campaign is None:
            raise PreventUpdate
        new = replace(state, campaign_ids=_added(state.campaign_ids, campaign))
    elif isinstance(trigger, dict) and trigger.get("type") == CHIP_REMOVE:
        new = without(state, trigger.get("field", ""), trigger.get("value"))
    elif isinstance(trigger, dict) and trigger.get("type") == CLEAR_ALL:
        new = cleared(state)
    elif isinstance(trigger, dict) and trigger.get("type") == CRUMB:
        level = trigger.get("level")
        new = replace(state, week=state.week if level == "week" else None, day=None)
    else:
        raise PreventUpdate
    if new == state and notices is no_update:
        raise PreventUpdate
    notice_children = (
        [html.Div(n) for n in notices] if isinstance(notices, list) else no_update
    )
    notice_open = bool(notices) if isinstance(notices, list) else no_update
    # Only what changed: each changed control redraws, and every widget refreshes once.
    changed = [
        after if after != before else no_update
        for before, after in zip(state_values(state), state_values(new), strict=True)
    ]
    return [*changed, notice_children, notice_open]


def _after_chart_click(state: FilterState, click: dict) -> FilterState:
    bucket = clicked_bucket(click)
    if bucket is not None:
        return drilled(state, *bucket)
    country = clicked_country(click)
    if country is not None:
        return replace(state, countries=_added(state.countries, country))
    platform = clicked_platform(click)
    if platform is not None:
        return replace(state, platforms=_added(state.platforms, platform))
    raise PreventUpdate


# ------------------------------------------------------------ what the bar shows
def _chip(label: str, field: str, value: Any) -> html.Span:
    return html.Span(
        [
            html.Span(label),
            html.Button(
                type="button",
                className="btn-close btn-close-white ms-2",
                id={"type": CHIP_REMOVE, "field": field, "value": value},
                title=f"Remove {label}",
                **{"aria-label": f"Remove {label}"},
            ),
        ],
        className="filter-chip badge rounded-pill text-bg-primary me-2 "
        "d-inline-flex align-items-center",
    )


def chips(state: FilterState, campaign_names: dict[int, str]) -> list:
    """A removable chip per platform, campaign and country, and "Clear all"."""
    shown = [
        *(_chip(f"Platform: {PLATFORMS[p]}", "platforms", p) for p in state.platforms),
        *(
            _chip(f"Campaign: {campaign_names[c]}", "campaigns", c)
            for c in state.campaign_ids
            if c in campaign_names
        ),
        *(
            _chip(f"Country: {country_name(c)}", "countries", c)
            for c in state.countries
        ),
    ]
    if not shown and not (state.week or state.day):
        return []
    return [
        *shown,
        html.Button(
            "Clear all",
            type="button",
            id={"type": CLEAR_ALL, "index": 0},
            className="btn btn-link btn-sm p-0 filter-clear-all",
        ),
    ]


def _day_text(day: dt.date) -> str:
    """``Nov 2`` (no zero padding, on every platform's strftime)."""
    return f"{day:%b} {day.day}"


def breadcrumb(state: FilterState, timezone: str) -> list:
    """Where a drill-down stands: the date range › the week › the day; each level but
    the last goes back to it. Empty when nothing is drilled into."""
    if not (state.week or state.day):
        return []
    window = range_window(state, timezone)
    root = FILTER_BAR_RANGES.get(state.date_range, state.date_range)
    if state.date_range == CUSTOM_RANGE and window is not None:
        root = f"{_day_text(window.start)} – {_day_text(window.end)}, {window.end.year}"
    levels: list[tuple[str, str]] = [("range", root)]
    if state.week:
        levels.append(("week", f"Week of {_day_text(state.week)}, {state.week.year}"))
    if state.day:
        levels.append(
            ("day", f"{state.day:%a}, {_day_text(state.day)}, {state.day.year}")
        )
    items: list = []
    for index, (level, label) in enumerate(levels):
        last = index == len(levels) - 1
        items.append(
            html.Li(
                label
                if last
                else html.Button(
                    label,
                    type="button",
                    id={"type": CRUMB, "level": level},
                    className="btn btn-link btn-sm p-0 align-baseline",
                ),
                className="breadcrumb-item" + (" active" if last else ""),
                **({"aria-current": "page"} if last else {}),
            )
        )
    return [html.Ol(items, className="breadcrumb mb-0 me-3 small")]


def describe_filters(*filter_values):
    """Callback: the address the filters stand for, their chips, the drill-down's
    breadcrumb, and the calendar of a custom range (shown only for one)."""
    if not current_user.is_authenticated:
        raise PreventUpdate
    try:
        state = filter_state(filter_values)
    except QueryError:
        raise PreventUpdate from None
    data = runtime().data
    org = data.org_context(current_user.org_id)
    names = dict(data.campaign_names(current_user.org_id))
    state = replace(
        state, campaign_ids=tuple(c for c in state.campaign_ids if c in names)
    )
    custom_style = {} if state.date_range == CUSTOM_RANGE else {"display": "none"}
    return (
        filter_query(state),
        chips(state, names),
        breadcrumb(state, org.timezone),
        custom_style,
    )


def register(app: Dash) -> None:
    # In the browser: pass on a real click only (each widget refreshed and each chip
    # drawn anew reports an empty one), so a filter change asks the server once.
    app.clientside_callback(
        ClientsideFunction(namespace="pulseFilters", function_name="lastClick"),
        Output("filter-click", "data"),
        Input({"type": "widget-graph", "index": ALL}, "clickData"),
        Input({"type": "widget-table", "index": ALL}, "cellClicked"),
        Input({"type": CHIP_REMOVE, "field": ALL, "value": ALL}, "n_clicks"),
        Input({"type": CLEAR_ALL, "index": ALL}, "n_clicks"),
        Input({"type": CRUMB, "level": ALL}, "n_clicks"),
        prevent_initial_call=True,
    )
    app.callback(
        *[Output(component, prop) for component, prop in FILTER_COMPONENTS],
        Output("filter-notice", "children"),
        Output("filter-notice", "is_open"),
        Input("filter-click", "data"),
        Input("filter-address", "data"),
        Input(*DATE_RANGE),
        State("dashboard-id", "data"),
        *OTHER_FILTERS,
        prevent_initial_call=True,
    )(update_filters)
    app.callback(
        Output("filter-query", "data"),
        Output("filter-chips", "children"),
        Output("filter-breadcrumb", "children"),
        Output("filter-custom-dates-col", "style"),
        *[Input(component, prop) for component, prop in FILTER_COMPONENTS],
    )(describe_filters)
    # assets/filters.js: write the address to the browser's history (a new entry per
    # change, the page's own entry replaced on opening), never re-rendering the page.
    app.clientside_callback(
        ClientsideFunction(namespace="pulseFilters", function_name="writeAddress"),
        Output("filter-query-written", "data"),
        Input("filter-query", "data"),
    )
