"""The filter bar's choices on real data, on each engine: another org's campaign id from
an address is dropped (and never queried), "same period last year" compares the KPI
and the line chart with the days a year earlier (summed here in SQL), and a drilled-down
week turns a weekly series into its days.

The demo holds 75 days up to now; the clock is moved a year on, so that "a year
earlier" is the seeded days.
"""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from sqlalchemy import text

from core.cache import make_cache
from core.filters import FilterState, parse_filters
from core.settings import Settings
from dashboards.filters import filters_of, read_filter_query
from datasources.cache import QueryCache
from datasources.sources.campaigns import CampaignParams, campaigns_source
from tests.figures import org_context

YEAR = dt.timedelta(days=365)


@pytest.fixture
def data(app_db) -> QueryCache:
    return QueryCache(app_db, make_cache(Settings(cache_type="simple")))


def campaign_ids(admin_db, slug: str) -> list[int]:
    with admin_db.engine.connect() as connection:
        return list(
            connection.execute(
                text(
                    "SELECT c.id FROM campaigns c JOIN orgs o ON o.id = c.org_id "
                    "WHERE o.slug = :slug ORDER BY c.id"
                ),
                {"slug": slug},
            ).scalars()
        )


def daily_revenue(admin_db, org: int, start: dt.date, end: dt.date) -> dict:
    """Revenue per org-local day, straight from the hourly facts."""
    with admin_db.engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT local_date, SUM(revenue) FROM metric_facts_hourly "
                "WHERE org_id = :org AND local_date BETWEEN :start AND :end "
                "GROUP BY local_date"
            ),
            {"org": org, "start": start, "end": end},
        ).all()
    return {
        (d if isinstance(d, dt.date) else dt.date.fromisoformat(d)): float(v)
        for d, v in rows
    }


def test_another_orgs_campaign_in_the_address_is_dropped_and_never_queried(
    admin_db, data
):
    acme = org_context(admin_db, "acme")
    ours, theirs = (
        campaign_ids(admin_db, "acme")[0],
        campaign_ids(admin_db, "globex")[0],
    )
    reading = read_filter_query(
        data, acme.id, {"range": "30d", "campaigns": f"{theirs},{ours}"}, "widget"
    )
    assert reading.state.campaign_ids == (ours,)
    assert reading.notices == [
        f"Campaign {theirs} is not one of your campaigns; ignored."
    ]
    # A crafted callback sending the foreign id gets filters without it.
    crafted = FilterState(date_range="last_30_days", campaign_ids=(theirs, ours))
    assert filters_of(data, acme.id, crafted).campaign_ids == [ours]
    only_foreign = FilterState(date_range="last_30_days", campaign_ids=(theirs,))
    assert filters_of(data, acme.id, only_foreign).campaign_ids == []


def test_same_period_last_year_compares_with_the_days_a_year_earlier(admin_db, app_db):
    globex = org_context(admin_db, "globex")
    seeded_end = dt.date.today() - dt.timedelta(days=3)
    seeded_start = seeded_end - dt.timedelta(days=13)
    later = dt.datetime.now(dt.UTC) + YEAR
    filters = parse_filters(
        {
            "date_from": str(seeded_start + YEAR),
            "date_to": str(seeded_end + YEAR),
            "comparison": "previous_year",
        }
    )
    with time_machine.travel(later, tick=False), app_db.session(globex.id) as session:
        summary = campaigns_source(
            session, globex, CampaignParams(view="summary", metric="revenue"), filters
        )
        series = campaigns_source(
            session,
            globex,
            CampaignParams(view="timeseries", metric="revenue"),
            filters,
        )
    expected = daily_revenue(admin_db, globex.id, seeded_start, seeded_end)
    assert len(expected) == 14 and all(v > 0 for v in expected.values())
    assert summary["previous"] == pytest.approx(sum(expected.values()), rel=1e-9)
    assert summary["previous_window"] == {
        "start": seeded_start.isoformat(),
        "end": seeded_end.isoformat(),
    }
    assert summary["comparison"]["kind"] == "previous_year"
    comparison = series["comparison"]
    assert comparison["name"] == "Same period last year"
    shown = [p["date"] for p in series["series"][0]["points"]]
    assert [p["date"] for p in comparison["points"]] == shown
    days = sorted(expected)  # the same days, a year back
    assert [p["compared_date"] for p in comparison["points"]] == [
        day.isoformat() for day in days
    ]
    assert [p["value"] for p in comparison["points"]] == pytest.approx(
        [expected[day] for day in days], rel=1e-9
    )


def test_a_drilled_down_week_shows_a_weekly_series_by_day(admin_db, app_db):
    acme = org_context(admin_db, "acme")
    today = dt.date.today()
    monday = today - dt.timedelta(days=today.weekday() + 14)
    week = {"date_from": str(monday), "date_to": str(monday + dt.timedelta(days=6))}
    params = CampaignParams(view="timeseries", metric="revenue", granularity="week")
    with app_db.session(acme.id) as session:
        drilled = campaigns_source(
            session, acme, params, parse_filters({**week, "drill": "week"})
        )
        undrilled = campaigns_source(session, acme, params, parse_filters(week))
    assert drilled["granularity"] == "day"
    assert [p["date"] for p in drilled["series"][0]["points"]] == [
        (monday + dt.timedelta(days=i)).isoformat() for i in range(7)
    ]
    assert undrilled["granularity"] == "week"
    assert len(undrilled["series"][0]["points"]) == 1
    assert sum(p["value"] for p in drilled["series"][0]["points"]) == pytest.approx(
        undrilled["series"][0]["points"][0]["value"], rel=1e-9
    )
