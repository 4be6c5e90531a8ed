"""The dashboard bar's filters as every callback reads them: one list, one parser.

Every callback that queries a widget's data (the refresh, the Excel export, the rows
refreshed after an inline edit, the list after a card's button) takes the same filter
components, in :data:`FILTER_COMPONENTS` order, as its last arguments and turns them
into :class:`~core.filters.Filters` with :func:`dashboard_filters`. A filter added to
the bar is added here once, so no callback can apply fewer filters than the screen.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from dash import Input, State

from accounts.permissions import Caller
from commands.context import CommandContext
from core.filters import Filters, FilterState, QueryError
from core.reference import parse_row_id
from dashboards.filters import filters_of

# (component id, property), in the order callbacks receive them: the date-range
# preset, the platforms, the countries, the first and last day of a custom range, the
# comparison, the campaigns and the drill-down ({"week": monday, "day": day}, set by
# clicking a chart over time; a store, not a visible control).
FILTER_COMPONENTS: tuple[tuple[str, str], ...] = (
    ("filter-date-range", "value"),
    ("filter-platforms", "value"),
    ("filter-countries", "value"),
    ("filter-custom-dates", "start_date"),
    ("filter-custom-dates", "end_date"),
    ("filter-compare", "value"),
    ("filter-campaigns", "value"),
    ("filter-drill", "data"),
)
FILTER_INPUTS = [Input(component, prop) for component, prop in FILTER_COMPONENTS]
FILTER_STATES = [State(component, prop) for component, prop in FILTER_COMPONENTS]


def _browser_day(value: Any, field: str) -> dt.date | None:
    if value in (None, ""):
        return None
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        raise QueryError(f"filters.{field}: {value!r} is not a day") from None


def _strings(value: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in value) if isinstance(value, list) else ()


def filter_state(values: Sequence[Any]) -> FilterState:
    """The bar's ``values`` (in :data:`FILTER_COMPONENTS` order) as a
    :class:`FilterState`. The browser sends them: shapes are checked here, codes and
    campaigns when they become :class:`Filters`.

    Raises:
        QueryError: a value the bar cannot have sent.
    """
    date_range, platforms, countries, start, end, compare, campaigns, drill = values
    campaign_ids = []
    for value in campaigns if isinstance(campaigns, list) else []:
        campaign_id = parse_row_id(value)
        if campaign_id is None:
            raise QueryError(f"filters.campaigns: {value!r} is not a campaign id")
        campaign_ids.append(campaign_id)
    drill = drill if isinstance(drill, dict) else {}
    return FilterState(
        date_range=str(date_range or "widget"),
        date_from=_browser_day(start, "date_from"),
        date_to=_browser_day(end, "date_to"),
        comparison=compare if isinstance(compare, str) and compare else None,
        platforms=_strings(platforms),
        campaign_ids=tuple(campaign_ids),
        countries=_strings(countries),
        week=_browser_day(drill.get("week"), "week"),
        day=_browser_day(drill.get("day"), "day"),
    )


def dashboard_filters(
    context: CommandContext, caller: Caller, values: Sequence[Any]
) -> Filters:
    """The filters the bar's ``values`` (in :data:`FILTER_COMPONENTS` order) describe,
    in the caller's org's days; another org's campaign ids are dropped.

    Raises:
        QueryError: a value the bar cannot have sent (an unknown preset or code).
    """
    return filters_of(context.data, caller.org_id, filter_state(values))
