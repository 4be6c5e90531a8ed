"""A dashboard's filters for one org: the address bar's or the filter bar's values,
checked against the org, turned into the :class:`~core.filters.Filters` every widget,
export and inline-edit refresh is queried with.

The pure parts (presets, the query string, the drill-down's days) are in
:mod:`core.filters`; what needs the org's data is here: a campaign id names a campaign
only if it is one of the caller's org's, so another org's id (or one that never
existed) is dropped before any query runs, and said so when it came from a URL.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from core.filters import Filters, FilterState, filters_for_state, parse_filter_query
from datasources.cache import QueryCache


@dataclass(frozen=True)
class FilterReading:
    """What a dashboard address asks for, and what of it was dropped and why."""

    state: FilterState
    notices: list[str]


def org_campaign_ids(data: QueryCache, org_id: int, ids: Iterable[int]) -> list[int]:
    """Those of ``ids`` that are campaigns of the org, in the order given."""
    known = {campaign_id for campaign_id, _ in data.campaign_names(org_id)}
    return [i for i in ids if i in known]


def read_filter_query(
    data: QueryCache, org_id: int, query: Mapping[str, Any], default_range: str
) -> FilterReading:
    """The filter state a dashboard address names for ``org_id``, every value it
    cannot have checked: unknown or malformed values and campaigns of other orgs are
    dropped, each with a notice for the page to show."""
    org = data.org_context(org_id)
    state, notices = parse_filter_query(query, default_range, org.timezone)
    kept = org_campaign_ids(data, org_id, state.campaign_ids)
    for missing in [i for i in state.campaign_ids if i not in kept]:
        notices.append(f"Campaign {missing} is not one of your campaigns; ignored.")
    return FilterReading(replace(state, campaign_ids=tuple(kept)), notices)


def filters_of(data: QueryCache, org_id: int, state: FilterState) -> Filters:
    """The filters a widget of ``org_id`` is queried with under ``state``; campaign
    ids not of the org are dropped (never queried), whoever sent them.

    Raises:
        QueryError: a range or code the filter bar cannot have sent.
    """
    org = data.org_context(org_id)
    campaigns = org_campaign_ids(data, org_id, state.campaign_ids)
    return filters_for_state(state, org.timezone, campaigns)
