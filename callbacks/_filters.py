"""The dashboard bar's filters as every callback reads them: one list, one parser.

Every callback that queries a widget's data (the refresh, the Excel export, the rows
refreshed after an inline edit, the list after a card's button) takes the same filter
components, in :data:`FILTER_COMPONENTS` order, as its last arguments and turns them
into :class:`~core.filters.Filters` with :func:`dashboard_filters`. A filter added to
the bar is added here once, so no callback can apply fewer filters than the screen.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from dash import Input, State

from accounts.permissions import Caller
from commands.context import CommandContext
from core.filters import Filters, filters_for_preset

# (component id, property): the date-range preset, the platforms, the countries
# picked by clicking a map (a store, not a visible control).
FILTER_COMPONENTS: tuple[tuple[str, str], ...] = (
    ("filter-date-range", "value"),
    ("filter-platforms", "value"),
    ("filter-countries", "data"),
)
FILTER_INPUTS = [Input(component, prop) for component, prop in FILTER_COMPONENTS]
FILTER_STATES = [State(component, prop) for component, prop in FILTER_COMPONENTS]


def dashboard_filters(
    context: CommandContext, caller: Caller, values: Sequence[Any]
) -> Filters:
    """The filters the bar's ``values`` (in :data:`FILTER_COMPONENTS` order) describe,
    in the caller's org's days.

    Raises:
        QueryError: a value the bar cannot have sent (an unknown preset or code).
    """
    date_range, platforms, countries = values
    org = context.data.org_context(caller.org_id)
    return filters_for_preset(date_range, platforms, org.timezone, countries)
