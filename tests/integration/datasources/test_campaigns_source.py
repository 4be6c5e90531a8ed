"""The campaigns data source against an independent SQL computation, on both engines.

The independent figures come straight from the hourly facts (not the daily rollup the
source reads), selected by the UTC bounds of the org-local days (not the stored
``local_date``), so a wrong rollup, a wrong day boundary or an average of ratios shows.
"""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from sqlalchemy import text

from core.filters import Filters, OrgContext, filters_for_preset, parse_filters
from core.windows import DateWindow, org_today, zone
from datasources.sources.campaigns import CampaignParams, campaigns_source
from tests.conftest import org_id
from tests.figures import independent_sums, org_context, utc_bounds


def run(app_db, org: OrgContext, filters=None, **params):
    with app_db.session(org.id) as session:
        return campaigns_source(
            session, org, CampaignParams(**params), filters or parse_filters({})
        )


def sums_between(admin_db, org: int, start: dt.datetime, end: dt.datetime) -> dict:
    """Revenue of the hourly facts whose hour starts in [start, end), naive UTC."""
    with admin_db.engine.connect() as connection:
        revenue = connection.execute(
            text(
                "SELECT COALESCE(SUM(revenue), 0) FROM metric_facts_hourly "
                "WHERE org_id = :org AND hour_utc >= :start AND hour_utc < :end"
            ),
            {"org": org, "start": start, "end": end},
        ).scalar_one()
    return {"revenue": float(revenue)}


@pytest.mark.parametrize("slug", ["acme", "globex"])
def test_summary_matches_independent_sql(app_db, admin_db, slug):
    org = org_context(admin_db, slug)
    now = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0)
    with time_machine.travel(now, tick=False):
        result = run(app_db, org, metric="revenue", view="summary", period="30d")
    window = DateWindow.last_days(30, org_today(org.timezone, now))
    current = independent_sums(admin_db, org.id, org.timezone, window)
    # The window holds today so far: the previous 30 days end at the same local time
    # of day, 30 days ago.
    tz = zone(org.timezone)
    same_time = dt.datetime.combine(
        window.start - dt.timedelta(days=1), now.astimezone(tz).time(), tz
    )
    previous = sums_between(
        admin_db,
        org.id,
        utc_bounds(window.previous(), org.timezone)[0],
        same_time.astimezone(dt.UTC).replace(tzinfo=None),
    )
    assert current["revenue"] > 0
    assert result["value"] == pytest.approx(current["revenue"], rel=1e-9)
    assert result["previous"] == pytest.approx(previous["revenue"], rel=1e-9)
    expected_change = (
        (current["revenue"] - previous["revenue"]) / previous["revenue"] * 100
    )
    assert result["change_pct"] == pytest.approx(expected_change, rel=1e-9)
    assert result["currency"] == ("USD" if slug == "acme" else "EUR")
    assert len(result["series"]) == 30
    assert sum(p["value"] for p in result["series"]) == pytest.approx(
        current["revenue"], rel=1e-9
    )


@pytest.mark.parametrize(
    "metric,numerator,denominator",
    [
        ("roas", "revenue", "spend"),
        ("ctr", "clicks", "impressions"),
        ("cpa", "spend", "conversions"),
        ("cpc", "spend", "clicks"),
        ("conversion_rate", "conversions", "clicks"),
    ],
)
def test_ratios_are_ratios_of_sums(app_db, admin_db, metric, numerator, denominator):
    org = org_context(admin_db, "acme")
    result = run(app_db, org, metric=metric, view="summary", period="30d")
    sums = independent_sums(
        admin_db,
        org.id,
        org.timezone,
        DateWindow.last_days(30, org_today(org.timezone)),
    )
    assert result["value"] == pytest.approx(
        sums[numerator] / sums[denominator], rel=1e-9
    )
    # An average of the daily ratios is a different (wrong) number on this data.
    daily = [p["value"] for p in result["series"] if p["value"] is not None]
    assert sum(daily) / len(daily) != pytest.approx(result["value"], rel=1e-6)


def test_daily_series_uses_org_local_days(app_db, admin_db):
    org = org_context(admin_db, "acme")
    result = run(
        app_db, org, metric="roas", view="timeseries", period="14d", granularity="day"
    )
    points = result["series"][0]["points"]
    assert len(points) == 14
    for point in points[:-1]:  # every full local day
        day = dt.date.fromisoformat(point["date"])
        sums = independent_sums(admin_db, org.id, org.timezone, DateWindow(day, day))
        assert point["value"] == pytest.approx(
            sums["revenue"] / sums["spend"], rel=1e-9
        )


def test_breakdown_and_platform_filter(app_db, admin_db):
    org = org_context(admin_db, "acme")
    window = DateWindow.last_days(30, org_today(org.timezone))
    result = run(
        app_db,
        org,
        metric="revenue",
        view="breakdown",
        group_by="platform",
        period="30d",
    )
    values = {item["key"]: item["value"] for item in result["items"]}
    assert list(values.values()) == sorted(values.values(), reverse=True)
    for platform, value in values.items():
        expected = independent_sums(admin_db, org.id, org.timezone, window, platform)[
            "revenue"
        ]
        assert value == pytest.approx(expected, rel=1e-9)
    only = next(iter(values))
    filtered = run(
        app_db,
        org,
        filters=parse_filters({"platforms": [only]}),
        metric="revenue",
        view="summary",
        period="30d",
    )
    assert filtered["value"] == pytest.approx(values[only], rel=1e-9)


def test_zero_spend_window_has_no_roas(app_db, admin_db):
    org = org_context(admin_db, "acme")
    # A week long before the demo's data (and the week before it, the comparison).
    empty = parse_filters({"date_from": "2001-01-01", "date_to": "2001-01-07"})
    roas = run(app_db, org, filters=empty, metric="roas", view="summary")
    assert (
        roas["value"] is None
        and roas["previous"] is None
        and roas["change_pct"] is None
    )
    revenue = run(app_db, org, filters=empty, metric="revenue", view="summary")
    assert revenue["value"] == 0
    assert all(p["value"] is None for p in roas["series"])


def test_date_range_preset_sets_the_window(admin_db):
    filters = filters_for_preset("last_7_days", ["meta"], "America/New_York")
    today = org_today("America/New_York")
    assert (filters.date_from, filters.date_to) == (today - dt.timedelta(days=6), today)
    assert filters.platforms == ["meta"]


def test_budget_utilization_is_spend_over_prorated_budget(app_db, admin_db):
    org = org_context(admin_db, "acme")
    window = DateWindow.last_days(30, org_today(org.timezone))
    result = run(app_db, org, metric="budget_utilization", view="summary", period="30d")
    with admin_db.engine.connect() as connection:
        campaigns = connection.execute(
            text(
                "SELECT budget, daily_budget, start_date, end_date FROM campaigns "
                "WHERE org_id = :o"
            ),
            {"o": org.id},
        ).all()
    budget = 0.0
    for total, daily, start, end in campaigns:
        start = start if isinstance(start, dt.date) else dt.date.fromisoformat(start)
        end = (
            None
            if end is None
            else (end if isinstance(end, dt.date) else dt.date.fromisoformat(end))
        )
        last = end or window.end
        overlap = (min(last, window.end) - max(start, window.start)).days + 1
        if overlap > 0:
            per_day = total / ((end - start).days + 1) if end else (daily or 0)
            budget += per_day * overlap
    spend = independent_sums(admin_db, org.id, org.timezone, window)["spend"]
    assert result["value"] == pytest.approx(spend / budget, rel=1e-9)
    assert org_id(admin_db, "acme") == org.id


def test_weekly_series_sums_whole_org_local_weeks(app_db, admin_db):
    org = org_context(admin_db, "acme")
    result = run(
        app_db, org, metric="cpa", view="timeseries", period="28d", granularity="week"
    )
    points = result["series"][0]["points"]
    for point in points[:-1]:  # full weeks, Monday to Sunday
        monday = dt.date.fromisoformat(point["date"])
        assert monday.weekday() == 0
        sums = independent_sums(
            admin_db,
            org.id,
            org.timezone,
            DateWindow(monday, monday + dt.timedelta(days=6)),
        )
        expected = sums["spend"] / sums["conversions"] if sums["conversions"] else None
        assert point["value"] == pytest.approx(expected, rel=1e-9)
    # The last week is still filling: the chart is told which bucket is "so far".
    today = org_today(org.timezone)
    assert (
        result["partial_bucket"]
        == points[-1]["date"]
        == (today - dt.timedelta(days=today.weekday())).isoformat()
    )


def test_only_a_window_reaching_today_has_a_partial_bucket(app_db, admin_db):
    org = org_context(admin_db, "globex")
    today = org_today(org.timezone)
    daily = run(app_db, org, metric="revenue", view="timeseries", period="7d")
    assert daily["partial_bucket"] == today.isoformat()
    summary = run(app_db, org, metric="revenue", view="summary", period="7d")
    assert summary["partial_bucket"] == today.isoformat()
    last_week = today - dt.timedelta(days=7)
    past = run(
        app_db,
        org,
        filters=parse_filters(
            {
                "date_from": (last_week - dt.timedelta(days=6)).isoformat(),
                "date_to": last_week.isoformat(),
            }
        ),
        metric="revenue",
        view="timeseries",
    )
    assert past["partial_bucket"] is None


def test_heatmap_buckets_by_org_local_weekday_and_hour(app_db, admin_db):
    org = org_context(admin_db, "globex")
    result = run(app_db, org, metric="clicks", view="heatmap", period="14d")
    assert len(result["cells"]) == 7 * 24
    window = DateWindow.last_days(14, org_today(org.timezone))
    start, end = utc_bounds(window, org.timezone)
    expected: dict[tuple[int, int], float] = {}
    with admin_db.engine.connect() as connection:
        for hour_utc, clicks in connection.execute(
            text(
                "SELECT hour_utc, clicks FROM metric_facts_hourly WHERE org_id = :o "
                "AND hour_utc >= :s AND hour_utc < :e"
            ),
            {"o": org.id, "s": start, "e": end},
        ):
            hour_utc = (
                hour_utc
                if isinstance(hour_utc, dt.datetime)
                else dt.datetime.fromisoformat(hour_utc)
            )
            local = hour_utc.replace(tzinfo=dt.UTC).astimezone(zone(org.timezone))
            key = (local.weekday(), local.hour)
            expected[key] = expected.get(key, 0) + clicks
    got = {(c["weekday"], c["hour"]): c["value"] for c in result["cells"]}
    assert got == {key: expected.get(key, 0) for key in got}
    # The demo's hour-of-day curve peaks in the local evening, not at night.
    by_hour = [sum(got[(wd, h)] for wd in range(7)) for h in range(24)]
    assert by_hour.index(max(by_hour)) in range(12, 23)


def test_pacing_compares_spend_with_elapsed_share_of_budget(app_db, admin_db):
    org = org_context(admin_db, "acme")
    result = run(app_db, org, view="pacing", limit=500)
    assert result["items"]
    today = org_today(org.timezone)
    item = next(i for i in result["items"] if i["flight_days"])
    with admin_db.engine.connect() as connection:
        budget, start, end = connection.execute(
            text("SELECT budget, start_date, end_date FROM campaigns WHERE id = :c"),
            {"c": item["key"]},
        ).one()
        start = start if isinstance(start, dt.date) else dt.date.fromisoformat(start)
        end = end if isinstance(end, dt.date) else dt.date.fromisoformat(end)
    with admin_db.engine.connect() as connection:
        spent = connection.execute(
            text(
                "SELECT COALESCE(SUM(spend), 0) FROM metric_facts_daily "
                "WHERE campaign_id = :c AND day BETWEEN :s AND :t"
            ),
            {"c": item["key"], "s": start, "t": today},
        ).scalar()
    expected = budget * min(((today - start).days + 1) / ((end - start).days + 1), 1.0)
    assert item["spend_to_date"] == pytest.approx(float(spent), rel=1e-9)
    assert item["pacing"] == pytest.approx(float(spent) / expected, rel=1e-9)
    overall = sum(i["spend_to_date"] for i in result["items"]) / sum(
        i["expected_spend"] for i in result["items"]
    )
    assert result["overall"] == pytest.approx(overall, rel=1e-9)
    # Every campaign's spend to date, against the raw hourly facts of its flight so far.
    with admin_db.engine.connect() as connection:
        raw = dict(
            connection.execute(
                text(
                    "SELECT f.campaign_id, SUM(f.spend) FROM metric_facts_hourly f "
                    "JOIN campaigns c ON c.id = f.campaign_id WHERE f.org_id = :o "
                    "AND f.local_date >= c.start_date AND f.local_date <= :t "
                    "GROUP BY f.campaign_id"
                ),
                {"o": org.id, "t": today},
            ).all()
        )
    assert {i["key"]: i["spend_to_date"] for i in result["items"]} == pytest.approx(
        {i["key"]: float(raw.get(i["key"], 0.0)) for i in result["items"]}, rel=1e-9
    )


def test_pacing_counts_no_spend_from_before_a_moved_start_date(admin_db):
    """Lifetime totals cover a campaign's whole delivery; when its start date moves past
    its first day, pacing must count only the days from the new start."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from core.models import Campaign
    from datasources.sources.campaigns import _spend_since_start

    org = org_context(admin_db, "acme")
    today = org_today(org.timezone)
    with Session(admin_db.engine) as session:
        campaign = session.scalars(
            select(Campaign).where(
                Campaign.org_id == org.id, Campaign.status == "active"
            )
        ).first()
        before = _spend_since_start(session, [campaign], today)[campaign.id]
        campaign.start_date = today - dt.timedelta(days=6)
        session.flush()
        moved = _spend_since_start(session, [campaign], today)[campaign.id]
        expected = session.execute(
            text(
                "SELECT SUM(spend) FROM metric_facts_hourly WHERE campaign_id = :c "
                "AND local_date BETWEEN :s AND :t"
            ),
            {"c": campaign.id, "s": campaign.start_date, "t": today},
        ).scalar()
        session.rollback()
    assert moved == pytest.approx(float(expected), rel=1e-9)
    assert moved < before


def test_realtime_view_is_today_so_far_against_yesterday(app_db, admin_db):
    org = org_context(admin_db, "acme")
    result = run(app_db, org, metric="spend", view="realtime")
    today = org_today(org.timezone)
    assert result["window"]["start"] == today.isoformat()
    assert all(p["date"].startswith(today.isoformat()) for p in result["series"])
    assert result["value"] == pytest.approx(
        sum(p["value"] for p in result["series"]), rel=1e-9
    )


def _date(value) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(value)


def _flight_spend(admin_db, org_id_: int, today: dt.date) -> dict[int, float]:
    """Each campaign's spend from its start date through today, from the raw facts."""
    with admin_db.engine.connect() as connection:
        return {
            key: float(value)
            for key, value in connection.execute(
                text(
                    "SELECT f.campaign_id, SUM(f.spend) FROM metric_facts_hourly f "
                    "JOIN campaigns c ON c.id = f.campaign_id WHERE f.org_id = :o "
                    "AND f.local_date >= c.start_date AND f.local_date <= :t "
                    "GROUP BY f.campaign_id"
                ),
                {"o": org_id_, "t": today},
            ).all()
        }


def test_pacing_of_an_open_ended_campaign_is_against_daily_budget_times_days(
    app_db, admin_db
):
    """No end date: the budget to date is the daily budget × org-local days since the
    start (today included); utilization is then the same figure as pacing."""
    org = org_context(admin_db, "acme")
    result = run(app_db, org, view="pacing", limit=500)
    today = org_today(org.timezone)
    item = next(i for i in result["items"] if i["flight_days"] is None)
    with admin_db.engine.connect() as connection:
        daily, start = connection.execute(
            text("SELECT daily_budget, start_date FROM campaigns WHERE id = :c"),
            {"c": item["key"]},
        ).one()
    spent = _flight_spend(admin_db, org.id, today).get(item["key"], 0.0)
    expected = float(daily) * ((today - _date(start)).days + 1)
    assert item["days_elapsed"] == (today - _date(start)).days + 1
    assert item["expected_spend"] == pytest.approx(expected, rel=1e-9)
    assert item["budget"] == pytest.approx(expected, rel=1e-9)
    assert item["pacing"] == pytest.approx(spent / expected, rel=1e-9)
    assert item["budget_utilization"] == pytest.approx(spent / expected, rel=1e-9)


def test_pacing_utilization_and_overall_match_independent_sql(app_db, admin_db):
    """Per campaign: utilization = spend to date / lifetime budget; overall = the sum
    of spend to date over the sum of expected spend of the campaigns paced."""
    org = org_context(admin_db, "acme")
    result = run(app_db, org, view="pacing", limit=500)
    today = org_today(org.timezone)
    with admin_db.engine.connect() as connection:
        campaigns = connection.execute(
            text(
                "SELECT id, budget, daily_budget, start_date, end_date FROM campaigns "
                "WHERE org_id = :o AND status IN ('active', 'paused') "
                "AND start_date <= :t AND (end_date IS NULL OR end_date >= :t)"
            ),
            {"o": org.id, "t": today},
        ).all()
    spend = _flight_spend(admin_db, org.id, today)
    expected, utilization = {}, {}
    for key, budget, daily, start, end in campaigns:
        start, end = _date(start), _date(end)
        elapsed = (today - start).days + 1
        if end is None:
            expected[key] = float(daily or 0) * elapsed
            budget = expected[key]
        else:
            expected[key] = float(budget) * elapsed / ((end - start).days + 1)
        utilization[key] = spend.get(key, 0.0) / float(budget) if budget else None
    assert {i["key"] for i in result["items"]} == set(expected)
    assert {i["key"]: i["budget_utilization"] for i in result["items"]} == (
        pytest.approx(utilization, rel=1e-9)
    )
    paced = [key for key in expected if expected[key]]
    overall = sum(spend.get(key, 0.0) for key in paced) / sum(
        expected[key] for key in paced
    )
    assert result["overall"] == pytest.approx(overall, rel=1e-9)


def test_a_campaign_without_budget_has_no_pacing_and_no_utilization(admin_db):
    """Zero budget is "no value", never 0 % or infinity, and its spend does not push
    the overall pacing up."""
    org = org_context(admin_db, "acme")
    with admin_db.session(org.id) as session:
        before = campaigns_source(
            session, org, CampaignParams(view="pacing", limit=500), parse_filters({})
        )
        item = next(
            i for i in before["items"] if i["flight_days"] and i["spend_to_date"]
        )
        session.execute(
            text("UPDATE campaigns SET budget = 0, daily_budget = NULL WHERE id = :c"),
            {"c": item["key"]},
        )
        after = campaigns_source(
            session, org, CampaignParams(view="pacing", limit=500), parse_filters({})
        )
        summary = campaigns_source(
            session,
            org,
            CampaignParams(metric="budget_utilization", view="summary", period="7d"),
            Filters(campaign_ids=[item["key"]]),
        )
        session.rollback()
    unbudgeted = next(i for i in after["items"] if i["key"] == item["key"])
    assert unbudgeted["pacing"] is None
    assert unbudgeted["budget_utilization"] is None
    assert unbudgeted["pacing_state"] == "no budget"
    others = [i for i in after["items"] if i["key"] != item["key"]]
    assert after["overall"] == pytest.approx(
        sum(i["spend_to_date"] for i in others)
        / sum(i["expected_spend"] for i in others),
        rel=1e-9,
    )
    assert summary["value"] is None
    assert all(point["value"] is None for point in summary["series"])


def test_daily_budget_utilization_is_each_days_spend_over_its_budget_share(
    app_db, admin_db
):
    """Each org-local day: that day's spend / the sum of the budget shares of the
    campaigns in flight that day (lifetime budget / flight days, or the daily
    budget)."""
    org = org_context(admin_db, "globex")
    today = org_today(org.timezone)
    result = run(
        app_db,
        org,
        metric="budget_utilization",
        view="timeseries",
        granularity="day",
        period="7d",
    )
    with admin_db.engine.connect() as connection:
        campaigns = connection.execute(
            text(
                "SELECT budget, daily_budget, start_date, end_date FROM campaigns "
                "WHERE org_id = :o"
            ),
            {"o": org.id},
        ).all()
    points = result["series"][0]["points"]
    assert len(points) == 7
    for point in points:
        day = dt.date.fromisoformat(point["date"])
        share = 0.0
        for total, daily, start, end in campaigns:
            start, end = _date(start), _date(end)
            if start <= day and (end is None or day <= end):
                share += total / ((end - start).days + 1) if end else (daily or 0)
        spend = independent_sums(admin_db, org.id, org.timezone, DateWindow(day, day))[
            "spend"
        ]
        assert share > 0
        assert point["value"] == pytest.approx(spend / share, rel=1e-9), day
    assert points[-1]["date"] == today.isoformat()
