from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from core.filters import QueryError, filters_for_preset
from core.metrics import METRICS, resolve_metric
from core.windows import (
    DateWindow,
    InvalidTimezone,
    local_date_of,
    org_today,
    period_days,
    preset_window,
    zone,
)
from datasources.sources.campaigns import change_percent, trend_direction


def test_ratio_metrics_divide_sums_and_have_no_value_on_zero():
    roas = METRICS["roas"]
    assert roas.value({"revenue": 300.0, "spend": 100.0}) == 3.0
    assert roas.value({"revenue": 300.0, "spend": 0}) is None
    assert METRICS["ctr"].value({"clicks": 5, "impressions": 0}) is None
    assert METRICS["revenue"].value({"revenue": None}) == 0.0


def test_seed_metric_names_resolve():
    assert resolve_metric("total_revenue").name == "revenue"
    with pytest.raises(ValueError, match="'cpx' is not one of"):
        resolve_metric("cpx")


def test_previous_window_is_equal_length_just_before():
    window = DateWindow(dt.date(2026, 3, 1), dt.date(2026, 3, 30))
    previous = window.previous()
    assert previous == DateWindow(dt.date(2026, 1, 30), dt.date(2026, 2, 28))
    assert previous.days == window.days == 30


def test_window_refuses_reversed_dates():
    with pytest.raises(ValueError, match="ends"):
        DateWindow(dt.date(2026, 3, 2), dt.date(2026, 3, 1))


def test_org_local_days_follow_dst():
    # 04:30 UTC is the previous evening in New York, in summer and winter alike.
    assert local_date_of(dt.datetime(2026, 7, 1, 3, 0), "America/New_York") == dt.date(
        2026, 6, 30
    )
    assert local_date_of(dt.datetime(2026, 7, 1, 4, 0), "America/New_York") == dt.date(
        2026, 7, 1
    )
    assert local_date_of(dt.datetime(2026, 1, 1, 4, 0), "America/New_York") == dt.date(
        2025, 12, 31
    )
    assert local_date_of(dt.datetime(2026, 1, 1, 5, 0), "America/New_York") == dt.date(
        2026, 1, 1
    )
    assert local_date_of(dt.datetime(2026, 3, 28, 23, 0), "Europe/Berlin") == dt.date(
        2026, 3, 29
    )
    now = dt.datetime(2026, 11, 25, 2, 0, tzinfo=dt.UTC)
    assert org_today("America/New_York", now) == dt.date(2026, 11, 24)
    assert org_today("Europe/Berlin", now) == dt.date(2026, 11, 25)


def test_invalid_timezone_is_named():
    with pytest.raises(InvalidTimezone, match="'Mars/Olympus'"):
        zone("Mars/Olympus")


@pytest.mark.parametrize("period,days", [("30d", 30), ("1d", 1), ("last_7_days", 7)])
def test_period_days(period, days):
    assert period_days(period) == days


@pytest.mark.parametrize("period", ["30", "0d", "month", "-3d"])
def test_bad_periods(period):
    with pytest.raises(ValueError, match="period"):
        period_days(period)


def test_change_and_trend():
    assert change_percent(110.0, 100.0) == pytest.approx(10.0)
    assert change_percent(1.0, 0.0) is None
    assert change_percent(None, 5.0) is None
    assert trend_direction(3.0) == "up" and trend_direction(-3.0) == "down"
    assert trend_direction(0.1) == "neutral" and trend_direction(None) == "neutral"


@pytest.mark.parametrize(
    "preset,today,start,end",
    [
        ("yesterday", "2026-12-04", "2026-12-03", "2026-12-03"),
        ("yesterday", "2027-01-01", "2026-12-31", "2026-12-31"),
        ("month_to_date", "2026-12-04", "2026-12-01", "2026-12-04"),
        ("quarter_to_date", "2026-12-04", "2026-10-01", "2026-12-04"),
        ("quarter_to_date", "2026-04-01", "2026-04-01", "2026-04-01"),
        ("year_to_date", "2026-12-04", "2026-01-01", "2026-12-04"),
        ("last_7_days", "2026-12-04", "2026-11-28", "2026-12-04"),
        ("today", "2026-12-04", "2026-12-04", "2026-12-04"),
    ],
)
def test_calendar_presets_cover_the_org_days_they_name(preset, today, start, end):
    window = preset_window(preset, dt.date.fromisoformat(today))
    assert (window.start.isoformat(), window.end.isoformat()) == (start, end)


def test_a_preset_is_resolved_in_the_orgs_days_at_its_midnight():
    """00:30 on New Year's Day in Berlin is still 31 December in UTC and New York."""
    moment = dt.datetime(2026, 12, 31, 23, 30, tzinfo=dt.UTC)
    with time_machine.travel(moment, tick=False):
        berlin = filters_for_preset("year_to_date", [], "Europe/Berlin")
        new_york = filters_for_preset("year_to_date", [], "America/New_York")
        yesterday = filters_for_preset("yesterday", [], "Europe/Berlin")
    assert (berlin.date_from, berlin.date_to) == (dt.date(2027, 1, 1),) * 2
    assert new_york.date_from == dt.date(2026, 1, 1)
    assert new_york.date_to == dt.date(2026, 12, 31)
    assert yesterday.date_from == yesterday.date_to == dt.date(2026, 12, 31)
    with pytest.raises(QueryError, match="unknown preset 'fortnight'"):
        filters_for_preset("fortnight", [], "Europe/Berlin")
