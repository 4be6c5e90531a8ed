"""The dashboard's filters in the address bar: parsed without ever raising (what is
wrong is dropped with a notice), written back the same way, and turned into the days
every widget shows (presets, a custom range, the drill-down)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from core.filters import (
    FilterState,
    QueryError,
    filter_query,
    filters_for_state,
    parse_filter_query,
    state_window,
)
from core.windows import DateWindow, comparison_cut

NEW_YORK = "America/New_York"
# Friday 4 December 2026, 15:00 in New York.
NOW = dt.datetime(2026, 12, 4, 20, 0, tzinfo=dt.UTC)


def parse(query: dict, default: str = "widget"):
    with time_machine.travel(NOW, tick=False):
        return parse_filter_query(query, default, NEW_YORK)


def test_the_issues_example_reads_as_written_and_writes_back_the_same():
    state, notices = parse(
        {"range": "30d", "platforms": "meta,google", "campaigns": "12,14"}
    )
    assert notices == []
    assert state == FilterState(
        date_range="last_30_days",
        platforms=("google", "meta"),
        campaign_ids=(12, 14),
    )
    assert filter_query(state) == "?range=30d&platforms=google,meta&campaigns=12,14"
    again, _ = parse({"range": "30d", "platforms": "google,meta", "campaigns": "12,14"})
    assert again == state


def test_every_range_code_round_trips():
    for code in ("today", "yesterday", "7d", "14d", "30d", "90d", "365d", "mtd"):
        state, notices = parse({"range": code})
        assert notices == [] and filter_query(state) == f"?range={code}"
    for code in ("qtd", "ytd", "widget"):
        assert filter_query(parse({"range": code})[0]) == f"?range={code}"
    # The long names are read too.
    assert parse({"range": "last_90_days"})[0].date_range == "last_90_days"


@pytest.mark.parametrize(
    ("query", "notice"),
    [
        ({"range": "banana"}, "Unknown date range “banana” ignored."),
        ({"platforms": "meta,myspace"}, "Unknown platform “myspace” ignored."),
        ({"countries": "DEU,XYZ"}, "Unknown country “XYZ” ignored."),
        ({"campaigns": "7,abc"}, "Campaign “abc” is not a campaign id; ignored."),
        ({"campaigns": "99999999999"}, "Campaign “99999999999” is not a campaign id"),
        ({"compare": "yesterday"}, "Unknown comparison “yesterday” ignored."),
        (
            {"range": "custom", "from": "2026-13-45", "to": "2026-11-30"},
            "Custom date range ignored: give both from and to",
        ),
        (
            {"range": "custom", "from": "2026-11-30", "to": "2026-11-01"},
            "Custom date range ignored: it ends before it starts.",
        ),
        (
            {"range": "custom", "from": "1999-01-01", "to": "1999-01-05"},
            "Custom date range ignored: 1999-01-01 is before 2000-01-01",
        ),
        ({"range": "30d", "week": "2026-11-04"}, "The drilled-down week is not a week"),
        ({"range": "7d", "week": "2026-06-01"}, "The drilled-down week is not a week"),
        ({"range": "30d", "day": "banana"}, "The drilled-down day is not a day"),
        (
            {"range": "30d", "week": "2026-11-23", "day": "2026-11-30"},
            "The drilled-down day is not a day",
        ),
    ],
)
def test_a_bad_value_is_dropped_with_a_notice_and_the_rest_kept(query, notice):
    state, notices = parse({**query, "platforms": query.get("platforms", "tiktok")})
    assert len(notices) == 1 and notices[0].startswith(notice), notices
    assert "tiktok" in state.platforms or query.get("platforms")
    if "range" in query and query["range"] not in ("30d", "7d"):
        assert state.date_range == "widget"  # the dashboard's default instead


def test_no_range_opens_on_the_dashboards_default():
    assert parse({}, default="last_7_days")[0].date_range == "last_7_days"


def test_a_custom_range_and_a_comparison():
    state, notices = parse(
        {
            "range": "custom",
            "from": "2026-11-02",
            "to": "2026-11-15",
            "compare": "previous_year",
        }
    )
    assert notices == []
    filters = filters_for_state(state, NEW_YORK, [])
    assert (filters.date_from, filters.date_to) == (
        dt.date(2026, 11, 2),
        dt.date(2026, 11, 15),
    )
    assert filters.comparison == "previous_year"
    assert filter_query(state) == (
        "?range=custom&from=2026-11-02&to=2026-11-15&compare=previous_year"
    )


def test_a_drill_narrows_every_widget_to_the_week_then_the_day():
    with time_machine.travel(NOW, tick=False):
        week, _ = parse_filter_query(
            {"range": "30d", "week": "2026-11-30"}, "widget", NEW_YORK
        )
        # The week holding today ends where the range ends: today.
        assert state_window(week, NEW_YORK) == DateWindow(
            dt.date(2026, 11, 30), dt.date(2026, 12, 4)
        )
        assert filters_for_state(week, NEW_YORK, []).drill == "week"
        day, notices = parse_filter_query(
            {"range": "30d", "week": "2026-11-30", "day": "2026-12-01"},
            "widget",
            NEW_YORK,
        )
        filters = filters_for_state(day, NEW_YORK, [])
    assert notices == []
    assert filters.date_from == filters.date_to == dt.date(2026, 12, 1)
    assert filters.drill == "day"
    assert filter_query(day) == "?range=30d&week=2026-11-30&day=2026-12-01"


def test_campaigns_reach_the_filters_only_as_the_org_check_passes_them():
    state = FilterState(date_range="last_7_days", campaign_ids=(3, 45))
    with time_machine.travel(NOW, tick=False):
        filters = filters_for_state(state, NEW_YORK, [3])
    assert filters.campaign_ids == [3]


def test_a_value_the_bar_cannot_send_is_refused():
    with pytest.raises(QueryError, match="unknown date range 'fortnight'"):
        filters_for_state(FilterState(date_range="fortnight"), NEW_YORK, [])
    with pytest.raises(QueryError, match="pick the first and last day"):
        filters_for_state(FilterState(date_range="custom"), NEW_YORK, [])
    with pytest.raises(QueryError, match="comparison"):
        filters_for_state(FilterState(comparison="tomorrow"), NEW_YORK, [])


def test_the_same_period_last_year_and_its_cut_at_the_same_time_of_day():
    window = DateWindow(dt.date(2026, 11, 5), dt.date(2026, 12, 4))
    assert window.compared_with("previous_year") == DateWindow(
        dt.date(2025, 11, 5), dt.date(2025, 12, 4)
    )
    assert window.compared_with(None) == window.previous()
    leap = DateWindow(dt.date(2028, 2, 29), dt.date(2028, 3, 1))
    assert leap.year_before() == DateWindow(dt.date(2027, 2, 28), dt.date(2027, 3, 1))
    cut = comparison_cut(
        window, NEW_YORK, NOW, previous=window.compared_with("previous_year")
    )
    assert cut is not None
    assert cut.previous_day == dt.date(2025, 12, 4)
    assert cut.previous_local_until == dt.datetime(2025, 12, 4, 15, 0)
