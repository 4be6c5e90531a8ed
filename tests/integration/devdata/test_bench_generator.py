"""The benchmark org generator on a small size, on SQLite and PostgreSQL.

Two campaigns and about 3,000 hourly rows are enough to check what the benchmarks rely
on: the requested size, facts that sum to the daily rollup, an org that a second run
replaces (with the same data for the same seed) and the extras the automation and
platform data sources read.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy import text

from core.db import Database
from devdata.bench import generate
from tests.conftest import PostgresDatabase, sqlite_url

END_HOUR = dt.datetime(2026, 3, 30, 6)
SIZE = {"rows": 3000, "campaigns": 2, "seed": 3, "slug": "bench"}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def bench_db(request, tmp_path_factory) -> Iterator[tuple[Database, dict]]:
    """A migrated, empty database with the small bench org generated once."""
    if request.param == "sqlite":
        url, database = sqlite_url(tmp_path_factory.mktemp("bench")), None
    else:
        database = PostgresDatabase(request.getfixturevalue("postgres_admin_url"))
        url = database.admin_url
    db = Database(url)
    try:
        stats = generate(db, **SIZE, end_hour=END_HOUR, log=lambda *a, **k: None)
        yield db, stats
    finally:
        db.dispose()
        if database is not None:
            database.drop()


def _rows(db: Database, sql: str, **params) -> list:
    with db.unscoped_session() as session:
        return [tuple(row) for row in session.execute(text(sql), params)]


def _hourly_totals(db: Database) -> tuple:
    [totals] = _rows(
        db,
        """
        SELECT COUNT(*), SUM(impressions), SUM(clicks), SUM(conversions),
               ROUND(CAST(SUM(spend) AS NUMERIC), 2),
               ROUND(CAST(SUM(revenue) AS NUMERIC), 2)
        FROM metric_facts_hourly""",
    )
    return tuple(float(value) for value in totals)


def test_the_org_has_the_requested_size(bench_db):
    db, stats = bench_db
    [(slug, timezone, campaigns)] = _rows(
        db,
        """
        SELECT o.slug, o.timezone, COUNT(c.id)
        FROM orgs o JOIN campaigns c ON c.org_id = o.id GROUP BY o.slug, o.timezone""",
    )
    assert (slug, timezone, campaigns) == ("bench", "America/New_York", 2)
    [(hourly, first, last)] = _rows(
        db, "SELECT COUNT(*), MIN(hour_utc), MAX(hour_utc) FROM metric_facts_hourly"
    )
    assert hourly == stats["rows"]
    assert abs(hourly - SIZE["rows"]) <= 0.1 * SIZE["rows"]
    last = last if isinstance(last, dt.datetime) else dt.datetime.fromisoformat(last)
    first = (
        first if isinstance(first, dt.datetime) else dt.datetime.fromisoformat(first)
    )
    assert last == END_HOUR - dt.timedelta(hours=1)
    assert first >= END_HOUR - dt.timedelta(days=stats["days"])


def test_hourly_facts_sum_to_the_daily_rollup(bench_db):
    """Every (campaign, org-local day, country) of the rollup equals the sum of its
    hours, and the rollup has no row the facts do not."""
    db, stats = bench_db
    from_facts = _rows(
        db,
        """
        SELECT campaign_id, local_date, country, SUM(impressions), SUM(clicks),
               SUM(conversions), SUM(spend), SUM(revenue)
        FROM metric_facts_hourly GROUP BY campaign_id, local_date, country""",
    )
    rollup = _rows(
        db,
        """
        SELECT campaign_id, day, country, impressions, clicks, conversions, spend,
               revenue
        FROM metric_facts_daily""",
    )
    assert len(rollup) == stats["daily_rows"] == len(from_facts) > 30

    def keyed(rows):
        return {(c, str(day), country): rest for c, day, country, *rest in rows}

    facts, daily = keyed(from_facts), keyed(rollup)
    assert facts.keys() == daily.keys()
    for key, (impressions, clicks, conversions, spend, revenue) in facts.items():
        assert daily[key][:3] == [impressions, clicks, conversions], key
        assert daily[key][3] == pytest.approx(spend, abs=0.005), key
        assert daily[key][4] == pytest.approx(revenue, abs=0.005), key
    assert sum(row[3] for row in from_facts) > 0


def test_the_extras_belong_to_the_bench_org(bench_db):
    db, stats = bench_db
    counts = {
        table: _rows(db, f"SELECT COUNT(*) FROM {table}")[0][0]
        for table in (
            "automation_executions",
            "platform_sync_runs",
            "platform_api_calls",
            "platform_errors",
        )
    }
    assert all(counts.values()) and sum(counts.values()) == stats["extras"]
    [(foreign,)] = _rows(
        db,
        """
        SELECT COUNT(*) FROM automation_executions e
        JOIN campaigns c ON c.id = e.campaign_id WHERE e.org_id <> c.org_id""",
    )
    assert foreign == 0
    [(forecasts,)] = _rows(db, "SELECT COUNT(*) FROM forecasts")
    assert forecasts > 0


def test_a_second_run_replaces_the_org_with_the_same_data(bench_db):
    db, stats = bench_db
    before = _hourly_totals(db)
    again = generate(db, **SIZE, end_hour=END_HOUR, log=lambda *a, **k: None)
    assert _rows(db, "SELECT slug FROM orgs") == [("bench",)]
    assert again["rows"] == stats["rows"] and again["days"] == stats["days"]
    assert _hourly_totals(db) == before
