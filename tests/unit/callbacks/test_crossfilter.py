"""Chips, the breadcrumb and the state changes a click makes (pure functions)."""

from __future__ import annotations

import datetime as dt

from callbacks.crossfilter import breadcrumb, chips, cleared, drilled, without
from core.filters import FilterState

NOV_2, NOV_4 = dt.date(2026, 11, 2), dt.date(2026, 11, 4)


def texts(component) -> list[str]:
    """Every string in a component tree, in order."""
    if isinstance(component, str):
        return [component]
    if isinstance(component, list):
        return [t for child in component for t in texts(child)]
    return texts(getattr(component, "children", None) or [])


def test_a_chip_per_value_and_clear_all():
    state = FilterState(platforms=("meta",), campaign_ids=(3, 99), countries=("DEU",))
    shown = chips(state, {3: "Spring Sale"})
    assert texts(shown) == [
        "Platform: Meta",
        "Campaign: Spring Sale",
        "Country: Germany",
        "Clear all",
    ]  # campaign 99 is not the org's: no chip
    assert chips(FilterState(), {}) == []


def test_removing_a_chip_and_clearing_all_keep_the_date_range():
    state = FilterState(
        date_range="last_90_days",
        comparison="previous_year",
        platforms=("google", "meta"),
        campaign_ids=(3,),
        week=NOV_2,
    )
    assert without(state, "platforms", "meta").platforms == ("google",)
    assert without(state, "campaigns", 3).campaign_ids == ()
    assert without(state, "date_range", "x") == state
    assert cleared(state) == FilterState(
        date_range="last_90_days", comparison="previous_year"
    )


def test_drilling_week_then_day_and_the_breadcrumb_back():
    week = drilled(FilterState(date_range="last_90_days"), "week", NOV_2)
    day = drilled(week, "day", NOV_4)
    assert (day.week, day.day) == (NOV_2, NOV_4)
    # A day of another week (a daily chart's point) leaves no week behind.
    assert drilled(week, "day", dt.date(2026, 11, 20)).week is None
    assert texts(breadcrumb(day, "America/New_York")) == [
        "Last 90 days",
        "Week of Nov 2, 2026",
        "Wed, Nov 4, 2026",
    ]
    assert breadcrumb(FilterState(date_range="last_90_days"), "UTC") == []
