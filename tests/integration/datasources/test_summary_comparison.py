"""A KPI summary whose window holds today so far is compared like for like: with the
previous window up to the same org-local time of day, on either engine, with a
controlled clock. A window of complete days still compares whole days.

The expected figures are summed straight from the hourly facts over UTC bounds computed
here from the Berlin wall clock (not from the rollups the source reads).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import text

from core.filters import parse_filters
from datasources.sources.campaigns import CampaignParams, campaigns_source
from tests.figures import org_context

BERLIN = ZoneInfo("Europe/Berlin")
CUT = dt.time(9, 37)


def utc(day: dt.date, time: dt.time) -> dt.datetime:
    """That Berlin wall-clock time as naive UTC."""
    return (
        dt.datetime.combine(day, time, BERLIN).astimezone(dt.UTC).replace(tzinfo=None)
    )


def sums_between(
    admin_db, org: int, start: dt.datetime, end: dt.datetime, platform=None
):
    sql = (
        "SELECT COALESCE(SUM(f.spend),0), COALESCE(SUM(f.revenue),0) "
        "FROM metric_facts_hourly f JOIN campaigns c ON c.id = f.campaign_id "
        "WHERE f.org_id = :org AND f.hour_utc >= :start AND f.hour_utc < :end"
    )
    params = {"org": org, "start": start, "end": end}
    if platform:
        sql += " AND c.platform = :platform"
        params["platform"] = platform
    with admin_db.engine.connect() as connection:
        spend, revenue = connection.execute(text(sql), params).one()
    return {"spend": float(spend), "revenue": float(revenue)}


def summary_at(app_db, org, moment: dt.datetime, filters=None, **params) -> dict:
    with time_machine.travel(moment, tick=False), app_db.session(org.id) as session:
        return campaigns_source(
            session,
            org,
            CampaignParams(view="summary", **params),
            filters or parse_filters({}),
        )


@pytest.fixture
def day() -> dt.date:
    """Yesterday in Berlin: the seeded data covers all of it, so hours after 09:37
    exist and a comparison that is not cut at 09:37 shows."""
    return dt.datetime.now(BERLIN).date() - dt.timedelta(days=1)


def day_with_sales(admin_db, org: int, latest: dt.date, days: int) -> dt.date:
    """The latest day up to ``latest`` whose ``days``-day window up to 09:37 and the
    window before it both hold revenue.

    The demo's conversions are sparse integers: a small org can sell nothing between
    midnight and 09:37 on a given day, and a comparison against nothing proves little.
    """
    for back in range(14):
        day = latest - dt.timedelta(days=back)
        first = day - dt.timedelta(days=days - 1)
        current = sums_between(admin_db, org, utc(first, dt.time()), utc(day, CUT))
        previous = sums_between(
            admin_db,
            org,
            utc(first - dt.timedelta(days=days), dt.time()),
            utc(day - dt.timedelta(days=days), CUT),
        )
        if current["revenue"] > 0 and previous["revenue"] > 0:
            return day
    raise AssertionError(f"no day before {latest} has sales in both windows")


@pytest.mark.parametrize(
    "period,days",
    [
        ("today", 1),
        ("7d", 7),
        # 40 days back is summer time in Berlin: the previous cut-off is 07:37 UTC,
        # today's 08:37 UTC.
        ("40d", 40),
    ],
)
@pytest.mark.parametrize("metric", ["revenue", "roas"])
def test_window_ending_today_compares_to_the_same_time_of_day(
    app_db, admin_db, day, period, days, metric
):
    globex = org_context(admin_db, "globex")
    day = day_with_sales(admin_db, globex.id, day, days)
    result = summary_at(
        app_db,
        globex,
        dt.datetime.combine(day, CUT, BERLIN),
        metric=metric,
        period=period,
    )
    first = day - dt.timedelta(days=days - 1)
    previous_day = day - dt.timedelta(days=days)
    current = sums_between(admin_db, globex.id, utc(first, dt.time()), utc(day, CUT))
    previous = sums_between(
        admin_db,
        globex.id,
        utc(first - dt.timedelta(days=days), dt.time()),
        utc(previous_day, CUT),
    )
    if metric == "roas":
        expected = current["revenue"] / current["spend"]
        expected_previous = previous["revenue"] / previous["spend"]
    else:
        expected, expected_previous = current["revenue"], previous["revenue"]
    assert expected > 0 and expected_previous > 0
    assert result["value"] == pytest.approx(expected, rel=1e-9)
    assert result["previous"] == pytest.approx(expected_previous, rel=1e-9)
    assert result["change_pct"] == pytest.approx(
        (expected - expected_previous) / expected_previous * 100, rel=1e-9
    )
    assert result["comparison"] == {
        "same_time": True,
        "days": days,
        "until": f"{day}T09:37",
        "previous_until": f"{previous_day}T09:37",
        "kind": "previous_period",
    }


def test_platform_filter_is_cut_at_the_same_time(app_db, admin_db, day):
    globex = org_context(admin_db, "globex")
    result = summary_at(
        app_db,
        globex,
        dt.datetime.combine(day, CUT, BERLIN),
        filters=parse_filters({"platforms": ["meta"]}),
        metric="revenue",
        period="7d",
    )
    first = day - dt.timedelta(days=6)
    current = sums_between(
        admin_db, globex.id, utc(first, dt.time()), utc(day, CUT), "meta"
    )
    previous = sums_between(
        admin_db,
        globex.id,
        utc(first - dt.timedelta(days=7), dt.time()),
        utc(day - dt.timedelta(days=7), CUT),
        "meta",
    )
    assert current["revenue"] > 0
    assert result["value"] == pytest.approx(current["revenue"], rel=1e-9)
    assert result["previous"] == pytest.approx(previous["revenue"], rel=1e-9)


def test_past_range_of_complete_days_compares_whole_days(app_db, admin_db, day):
    globex = org_context(admin_db, "globex")
    start, end = day - dt.timedelta(days=13), day - dt.timedelta(days=7)
    result = summary_at(
        app_db,
        globex,
        dt.datetime.combine(day, CUT, BERLIN),
        filters=parse_filters({"date_from": str(start), "date_to": str(end)}),
        metric="revenue",
    )
    next_day = dt.timedelta(days=1)
    current = sums_between(
        admin_db, globex.id, utc(start, dt.time()), utc(end + next_day, dt.time())
    )
    previous = sums_between(
        admin_db,
        globex.id,
        utc(start - dt.timedelta(days=7), dt.time()),
        utc(start, dt.time()),
    )
    assert result["value"] == pytest.approx(current["revenue"], rel=1e-9)
    assert result["previous"] == pytest.approx(previous["revenue"], rel=1e-9)
    assert result["comparison"] == {
        "same_time": False,
        "days": 7,
        "kind": "previous_period",
    }
