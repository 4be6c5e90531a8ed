"""The hourly-platform and daily-platform rollups and the campaign totals
(``metric_facts_hourly_platform``, ``metric_facts_daily_platform``, ``campaign_totals``)
on both engines.

It must always equal an independent GROUP BY over the raw hourly facts (joined to the
campaigns for the platform), with each hour on the org-local day its time zone gives:
after seeding, and after an ingest whose rows cross the org's local midnight. Hour-level
views read it without campaign or country filters and the raw facts otherwise, and both
paths must give the same heatmap as the raw facts. On PostgreSQL its rows are isolated
per org by row-level security like every tenant table. The daily-platform rollup must
equal the same raw facts summed by org-local day and platform, with each day's Monday.
"""

from __future__ import annotations

import datetime as dt

import psycopg
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from core.db import Database
from core.filters import parse_filters
from core.models import MetricFactHourlyPlatform
from core.windows import DateWindow, org_today, zone
from datasources.ingest import ingest
from datasources.sources.campaigns import CampaignParams, campaigns_source
from tests.conftest import PostgresDatabase, org_id, seed_small_demo, sqlite_url
from tests.figures import org_context, utc_bounds

METRICS = ("impressions", "clicks", "conversions", "spend", "revenue")
NATIVE_HEADER = (
    "campaign,platform,hour,country,spend,impressions,clicks,conversions,revenue\n"
)


def as_datetime(value) -> dt.datetime:
    return value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(value)


def as_date(value) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


def independent_rollup(db: Database, org: int, timezone: str) -> dict[tuple, tuple]:
    """Per (UTC hour, platform): the org-local day (from the time zone) and the sums of
    the raw hourly facts."""
    tz = zone(timezone)
    sql = (
        "SELECT f.hour_utc, c.platform, "
        + ", ".join(f"SUM(f.{m})" for m in METRICS)
        + " FROM metric_facts_hourly f JOIN campaigns c ON c.id = f.campaign_id"
        " WHERE f.org_id = :org GROUP BY f.hour_utc, c.platform"
    )
    with db.engine.connect() as connection:
        rows = connection.execute(text(sql), {"org": org}).all()
    result = {}
    for hour, platform, *sums in rows:
        hour = as_datetime(hour)
        local_day = hour.replace(tzinfo=dt.UTC).astimezone(tz).date()
        result[(hour, platform)] = (local_day, dict(zip(METRICS, map(float, sums))))
    return result


def stored_rollup(db: Database, org: int) -> dict[tuple, tuple]:
    """Per (UTC hour, platform): the stored local day and sums of the rollup."""
    sql = (
        "SELECT hour_utc, platform, local_date, "
        + ", ".join(METRICS)
        + " FROM metric_facts_hourly_platform WHERE org_id = :org"
    )
    with db.engine.connect() as connection:
        rows = connection.execute(text(sql), {"org": org}).all()
    return {
        (as_datetime(hour), platform): (
            as_date(day),
            dict(zip(METRICS, map(float, sums))),
        )
        for hour, platform, day, *sums in rows
    }


def assert_rollup_matches_facts(db: Database, org: int, timezone: str) -> None:
    expected = independent_rollup(db, org, timezone)
    stored = stored_rollup(db, org)
    assert expected, "the org has no hourly facts"
    assert stored.keys() == expected.keys()
    for key, (local_day, sums) in expected.items():
        assert stored[key][0] == local_day, key
        assert stored[key][1] == pytest.approx(sums, rel=1e-12, abs=1e-9), key


def assert_daily_platform_matches_facts(db: Database, org: int, timezone: str) -> None:
    """The daily-platform rollup equals the raw facts summed by local day and platform."""
    expected: dict[tuple, dict[str, float]] = {}
    for (_, platform), (local_day, sums) in independent_rollup(
        db, org, timezone
    ).items():
        day_sums = expected.setdefault(
            (local_day, platform), dict.fromkeys(METRICS, 0.0)
        )
        for metric in METRICS:
            day_sums[metric] += sums[metric]
    sql = (
        "SELECT day, platform, week_start, "
        + ", ".join(METRICS)
        + " FROM metric_facts_daily_platform WHERE org_id = :org"
    )
    with db.engine.connect() as connection:
        rows = connection.execute(text(sql), {"org": org}).all()
    stored = {
        (as_date(day), platform): (as_date(week), dict(zip(METRICS, map(float, sums))))
        for day, platform, week, *sums in rows
    }
    assert expected and stored.keys() == expected.keys()
    for (day, platform), sums in expected.items():
        week_start, stored_sums = stored[(day, platform)]
        assert week_start == day - dt.timedelta(days=day.weekday()), (day, platform)
        assert stored_sums == pytest.approx(sums, rel=1e-9, abs=1e-6), (day, platform)


def assert_campaign_totals_match_facts(db: Database, org: int) -> None:
    """Each campaign's lifetime totals equal its raw hourly facts: first and last local
    day, and the sums."""
    columns = ", ".join(f"SUM({m})" for m in METRICS)
    with db.engine.connect() as connection:
        raw = connection.execute(
            text(
                f"SELECT campaign_id, MIN(local_date), MAX(local_date), {columns} "
                "FROM metric_facts_hourly WHERE org_id = :org GROUP BY campaign_id"
            ),
            {"org": org},
        ).all()
        stored = connection.execute(
            text(
                f"SELECT campaign_id, first_day, last_day, {', '.join(METRICS)} "
                "FROM campaign_totals WHERE org_id = :org"
            ),
            {"org": org},
        ).all()
    expected = {
        c: (as_date(a), as_date(b), list(map(float, sums))) for c, a, b, *sums in raw
    }
    got = {
        c: (as_date(a), as_date(b), list(map(float, sums))) for c, a, b, *sums in stored
    }
    assert expected and got.keys() == expected.keys()
    for campaign, (first, last, sums) in expected.items():
        assert got[campaign][:2] == (first, last), campaign
        assert got[campaign][2] == pytest.approx(sums, rel=1e-9, abs=1e-6), campaign


# ---------------------------------------------------------------- seeded demo (shared)
@pytest.mark.parametrize("slug", ["acme", "globex"])
def test_seeded_rollup_equals_hourly_facts_by_hour_and_platform(admin_db, slug):
    org = org_context(admin_db, slug)
    assert_rollup_matches_facts(admin_db, org.id, org.timezone)
    assert_daily_platform_matches_facts(admin_db, org.id, org.timezone)
    assert_campaign_totals_match_facts(admin_db, org.id)


def heatmap_cells(app_db, org, filters: dict) -> dict[tuple[int, int], float]:
    with app_db.session(org.id) as session:
        result = campaigns_source(
            session,
            org,
            CampaignParams(metric="spend", view="heatmap", period="14d"),
            parse_filters(filters),
        )
    return {(c["weekday"], c["hour"]): c["value"] for c in result["cells"]}


def independent_heatmap(admin_db, org, campaign_ids=(), platforms=(), countries=()):
    """Spend by org-local weekday × hour over the last 14 local days, from raw facts."""
    start, end = utc_bounds(
        DateWindow.last_days(14, org_today(org.timezone)), org.timezone
    )
    sql = (
        "SELECT f.hour_utc, f.spend, f.campaign_id, c.platform, f.country "
        "FROM metric_facts_hourly f JOIN campaigns c ON c.id = f.campaign_id "
        "WHERE f.org_id = :o AND f.hour_utc >= :s AND f.hour_utc < :e"
    )
    cells: dict[tuple[int, int], float] = {}
    with admin_db.engine.connect() as connection:
        for hour, spend, campaign, platform, country in connection.execute(
            text(sql), {"o": org.id, "s": start, "e": end}
        ):
            if (
                (campaign_ids and campaign not in campaign_ids)
                or (platforms and platform not in platforms)
                or (countries and country not in countries)
            ):
                continue
            local = (
                as_datetime(hour).replace(tzinfo=dt.UTC).astimezone(zone(org.timezone))
            )
            key = (local.weekday(), local.hour)
            cells[key] = cells.get(key, 0.0) + spend
    return cells


def busiest(admin_db, org, column: str) -> list:
    """The value of ``column`` (of campaigns or facts) with the most facts in the org."""
    with admin_db.engine.connect() as connection:
        return [
            connection.execute(
                text(
                    f"SELECT {column} FROM metric_facts_hourly f JOIN campaigns c ON c.id = f.campaign_id "
                    f"WHERE f.org_id = :o GROUP BY {column} ORDER BY COUNT(*) DESC, {column} LIMIT 1"
                ),
                {"o": org.id},
            ).scalar_one()
        ]


@pytest.mark.parametrize("kind", ["campaign", "platform", "platform_and_country"])
def test_filtered_heatmap_matches_the_raw_hourly_facts(app_db, admin_db, kind):
    """Campaign or country filters read the raw facts, a platform filter alone reads the
    rollup; every path gives the raw facts' figures."""
    org = org_context(admin_db, "globex")
    filters: dict = {}
    if kind == "campaign":
        filters["campaign_ids"] = busiest(admin_db, org, "f.campaign_id")
    else:
        filters["platforms"] = busiest(admin_db, org, "c.platform")
    if kind == "platform_and_country":
        filters["countries"] = busiest(admin_db, org, "f.country")
    got = heatmap_cells(app_db, org, filters)
    expected = independent_heatmap(admin_db, org, **filters)
    assert any(expected.values())
    for key, value in got.items():
        assert value == pytest.approx(expected.get(key, 0.0), rel=1e-9, abs=1e-9), key


# --------------------------------------------------------------- PostgreSQL isolation
def test_app_role_reads_only_its_own_orgs_hourly_platform_rows(demo_postgres):
    admin = Database(demo_postgres["admin"])
    acme, globex = org_id(admin, "acme"), org_id(admin, "globex")
    admin.dispose()
    libpq = (
        make_url(demo_postgres["app"])
        .set(drivername="postgresql")
        .render_as_string(False)
    )
    with psycopg.connect(libpq) as connection:
        with connection.transaction():
            connection.execute(
                "SELECT set_config('app.org_id', %s, true)", (str(acme),)
            )
            total, foreign = connection.execute(
                "SELECT count(*), count(*) FILTER (WHERE org_id <> %s) "
                "FROM metric_facts_hourly_platform",
                (acme,),
            ).fetchone()
            globex_rows = connection.execute(
                "SELECT count(*) FROM metric_facts_hourly_platform WHERE org_id = %s",
                (globex,),
            ).fetchone()[0]
        with connection.transaction():
            nothing = connection.execute(
                "SELECT count(*) FROM metric_facts_hourly_platform"
            ).fetchone()[0]
        with pytest.raises(
            psycopg.errors.InsufficientPrivilege, match="row-level security"
        ), connection.transaction():
            connection.execute(
                "SELECT set_config('app.org_id', %s, true)", (str(acme),)
            )
            connection.execute(
                "INSERT INTO metric_facts_hourly_platform (org_id, hour_utc, platform, "
                "local_date, impressions, clicks, conversions, spend, revenue) "
                "VALUES (%s, '2020-01-01 00:00', 'meta', '2020-01-01', 0, 0, 0, 0, 0)",
                (globex,),
            )
    assert total > 0 and (foreign, globex_rows, nothing) == (0, 0, 0)
    app = Database(demo_postgres["app"])
    try:
        with app.session(acme) as session:
            orgs = session.scalars(
                select(func.distinct(MetricFactHourlyPlatform.org_id))
            ).all()
    finally:
        app.dispose()
    assert orgs == [acme]


# ------------------------------------------------------------ ingest (own databases)
@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def fresh(request, tmp_path_factory, seed_now):
    """A newly seeded database of our own per engine (the ingest writes facts)."""
    if request.param == "sqlite":
        url = sqlite_url(tmp_path_factory.mktemp("hourly-rollup-sqlite"))
        seed_small_demo(url, seed_now)
        yield {"admin": url, "app": url}
        return
    database = PostgresDatabase(request.getfixturevalue("postgres_admin_url"))
    try:
        seed_small_demo(database.admin_url, seed_now)
        yield {"admin": database.admin_url, "app": database.app_url}
    finally:
        database.drop()


def around_local_midnight(org, days_ago: int) -> list[dt.datetime]:
    """Four aware hours: 22:00 and 23:00 local the evening before a recent local day,
    and 00:00 and 01:00 of that day."""
    tz = zone(org.timezone)
    midnight = dt.datetime.combine(
        org_today(org.timezone) - dt.timedelta(days=days_ago), dt.time(), tz
    )
    return [
        (midnight.astimezone(dt.UTC) + dt.timedelta(hours=h)).astimezone(tz)
        for h in (-2, -1, 0, 1)
    ]


def native_csv(hours: list[dt.datetime], spend: float) -> str:
    lines = [
        f"rollup-{i % 2},meta,{hour.isoformat()},US,{spend + i},{1000 + i},{50 + i},{i},"
        f"{3 * spend}"
        for i, hour in enumerate(hours)
    ]
    return NATIVE_HEADER + "\n".join(lines) + "\n"


def test_an_ingest_across_local_midnight_keeps_the_rollup_equal_to_the_facts(fresh):
    admin, app = Database(fresh["admin"]), Database(fresh["app"])
    try:
        org = org_context(admin, "acme")
        hours = around_local_midnight(org, days_ago=3)
        before = stored_rollup(admin, org.id)
        first = ingest(
            app, org.id, native_csv(hours, 10.0), on_unknown_campaign="create"
        )
        evening, day = hours[0].date(), hours[2].date()
        assert first["days_touched"] == [evening.isoformat(), day.isoformat()]
        assert_rollup_matches_facts(admin, org.id, org.timezone)
        after = stored_rollup(admin, org.id)
        key = (hours[0].astimezone(dt.UTC).replace(tzinfo=None), "meta")
        # The demo's own meta spend in that hour (if any) plus the ingested row.
        before_spend = before[key][1]["spend"] if key in before else 0.0
        assert after[key][1]["spend"] == pytest.approx(before_spend + 10.0)
        assert (after[key][0], after[(key[0] + dt.timedelta(hours=2), "meta")][0]) == (
            evening,
            day,
        )
        untouched = {k: v for k, v in before.items() if v[0] not in (evening, day)}
        assert {k: after[k] for k in untouched} == untouched

        assert_daily_platform_matches_facts(admin, org.id, org.timezone)

        corrected = ingest(app, org.id, native_csv(hours, 12.5))
        assert corrected["rows_written"] == 4
        assert_rollup_matches_facts(admin, org.id, org.timezone)
        assert_daily_platform_matches_facts(admin, org.id, org.timezone)
        assert_campaign_totals_match_facts(admin, org.id)
        assert stored_rollup(admin, org.id)[key][1]["spend"] == pytest.approx(
            after[key][1]["spend"] + 2.5
        )
    finally:
        admin.dispose()
        app.dispose()
