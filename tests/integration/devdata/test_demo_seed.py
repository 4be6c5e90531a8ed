"""The demo seeder on a freshly migrated SQLite database.

A small demo (6 campaigns per org, 25 days ending just after both the US and the
European switch to summer time) is seeded once per module; the tests check what a user
of the demo would notice if it were wrong.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from alembic import command
from alembic.config import Config
from argon2 import PasswordHasher
from click.testing import CliRunner
from sqlalchemy import func, select, text

from cli.devdata import seed as seed_command
from core.db import Database
from core.models import MetricFactHourly, Org
from devdata.demo import (
    DEMO_PASSWORD,
    DatabaseNotEmpty,
    database_is_empty,
    seed_demo,
)

REPO_ROOT = Path(__file__).resolve().parents[3]
# 2026-03-08 (US) and 2026-03-29 (EU) are DST switches; both fall inside the window.
NOW = dt.datetime(2026, 3, 30, 6, 0)
DAYS = 25
CAMPAIGNS = 6
SMALL = {
    "seed": 42,
    "campaigns": CAMPAIGNS,
    "days": DAYS,
    "now": NOW,
    "progress": False,
}


def _migrated_database(path: Path) -> Database:
    url = f"sqlite:///{path}"
    config = Config(str(REPO_ROOT / "alembic.ini"))
    config.attributes["url"] = url
    command.upgrade(config, "head")
    return Database(url)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Database, dict]]:
    db = _migrated_database(tmp_path_factory.mktemp("demo") / "demo.db")
    try:
        assert database_is_empty(db)
        counts = seed_demo(db, **SMALL)
        yield db, counts
    finally:
        db.dispose()


def _rows(db: Database, sql: str, **params) -> list:
    with db.unscoped_session() as session:
        return list(session.execute(text(sql), params))


def _totals(db: Database) -> dict:
    """Per-org sums of the hourly facts plus row counts of every seeded table."""
    totals: dict = {
        slug: tuple(row)
        for slug, *row in _rows(
            db,
            """
            SELECT o.slug, COUNT(*), SUM(f.impressions), SUM(f.clicks),
                   SUM(f.conversions), ROUND(SUM(f.spend), 2), ROUND(SUM(f.revenue), 2)
            FROM metric_facts_hourly f JOIN orgs o ON o.id = f.org_id
            GROUP BY o.slug""",
        )
    }
    for table in (
        "users",
        "campaigns",
        "metric_facts_daily",
        "automation_rules",
        "automation_executions",
        "platform_connections",
        "platform_sync_runs",
        "platform_api_calls",
        "platform_errors",
    ):
        totals[table] = _rows(db, f"SELECT COUNT(*) FROM {table}")[0][0]
    return totals


def test_two_orgs_in_their_own_time_zones(seeded):
    db, counts = seeded
    orgs = {
        slug: (tz, currency)
        for slug, tz, currency in _rows(db, "SELECT slug, timezone, currency FROM orgs")
    }
    assert orgs == {
        "acme": ("America/New_York", "USD"),
        "globex": ("Europe/Berlin", "EUR"),
    }
    assert counts["orgs"] == 2
    assert counts["campaigns"] == 2 * CAMPAIGNS


def test_demo_logins_work(seeded):
    db, _ = seeded
    users = _rows(
        db,
        """
        SELECT u.email, u.role, u.password_hash, u.full_name, o.slug
        FROM users u JOIN orgs o ON o.id = u.org_id""",
    )
    expected = {
        f"{role}@{slug}.example": (role, slug)
        for slug in ("acme", "globex")
        for role in ("admin", "editor", "viewer")
    }
    assert {email: (role, slug) for email, role, _, _, slug in users} == expected
    hasher = PasswordHasher()
    for email, _, password_hash, full_name, _ in users:
        assert hasher.verify(password_hash, DEMO_PASSWORD), email
        assert " " in full_name


def test_every_campaign_delivers_only_inside_its_flight(seeded):
    db, _ = seeded
    outside = _rows(
        db,
        """
        SELECT c.name, f.local_date, c.start_date, c.end_date
        FROM metric_facts_hourly f JOIN campaigns c ON c.id = f.campaign_id
        WHERE f.local_date < c.start_date
           OR (c.end_date IS NOT NULL AND f.local_date > c.end_date)
           OR f.org_id <> c.org_id
        LIMIT 5""",
    )
    assert outside == []
    with db.unscoped_session() as session:
        first, last = session.execute(
            select(
                func.min(MetricFactHourly.hour_utc), func.max(MetricFactHourly.hour_utc)
            )
        ).one()
    assert first >= NOW - dt.timedelta(days=DAYS)
    assert last == NOW - dt.timedelta(hours=1)
    delivering = _rows(
        db,
        """
        SELECT o.slug, COUNT(DISTINCT f.campaign_id)
        FROM metric_facts_hourly f JOIN orgs o ON o.id = f.org_id GROUP BY o.slug""",
    )
    assert all(n >= CAMPAIGNS // 2 for _, n in delivering) and len(delivering) == 2


def test_funnel_counts_never_exceed_the_previous_step(seeded):
    db, _ = seeded
    [(bad, total)] = _rows(
        db,
        """
        SELECT SUM(CASE WHEN clicks > impressions OR conversions > clicks
                          OR impressions < 0 OR clicks < 0 OR conversions < 0
                          OR spend < 0 OR revenue < 0 THEN 1 ELSE 0 END),
               COUNT(*)
        FROM metric_facts_hourly""",
    )
    assert total > 1000
    assert bad == 0


def test_local_date_is_the_org_local_day_of_the_hour(seeded):
    db, _ = seeded
    with db.unscoped_session() as session:
        rows = session.execute(
            select(MetricFactHourly.hour_utc, MetricFactHourly.local_date, Org.timezone)
            .join(Org, Org.id == MetricFactHourly.org_id)
            .distinct()
        ).all()
    near_midnight = 0
    hours_per_day: dict[tuple[str, dt.date], set] = {}
    for hour_utc, local_date, timezone in rows:
        local = hour_utc.replace(tzinfo=dt.UTC).astimezone(ZoneInfo(timezone))
        assert local.date() == local_date, (hour_utc, timezone)
        near_midnight += local.hour in (22, 23, 0, 1)
        hours_per_day.setdefault((timezone, local_date), set()).add(hour_utc)
    assert near_midnight > 100
    # The spring-forward days have 23 local hours in each org.
    assert len(hours_per_day[("America/New_York", dt.date(2026, 3, 8))]) == 23
    assert len(hours_per_day[("Europe/Berlin", dt.date(2026, 3, 29))]) == 23


def test_daily_rollup_totals_equal_hourly_totals(seeded):
    db, counts = seeded
    query = """
        SELECT org_id, SUM(impressions), SUM(clicks), SUM(conversions), SUM(spend),
               SUM(revenue)
        FROM {table} GROUP BY org_id ORDER BY org_id"""
    hourly = _rows(db, query.format(table="metric_facts_hourly"))
    daily = _rows(db, query.format(table="metric_facts_daily"))
    assert len(hourly) == len(daily) == 2
    for h, d in zip(hourly, daily, strict=True):
        assert h[:4] == d[:4]
        assert h[4] == pytest.approx(d[4], abs=0.01)
        assert h[5] == pytest.approx(d[5], abs=0.01)
    assert (
        counts["metric_facts_daily"]
        == _rows(db, "SELECT COUNT(*) FROM metric_facts_daily")[0][0]
    )


def test_each_org_has_one_connection_per_platform_and_one_expiring_token(seeded):
    db, _ = seeded
    rows = _rows(
        db,
        """
        SELECT o.slug, c.platform, c.status, c.token_expires_at
        FROM platform_connections c JOIN orgs o ON o.id = c.org_id""",
    )
    for slug in ("acme", "globex"):
        mine = [r for r in rows if r.slug == slug]
        assert sorted(r.platform for r in mine) == sorted(
            ["meta", "google", "tiktok", "linkedin", "snapchat"]
        )
        expiry = [
            dt.datetime.fromisoformat(str(r.token_expires_at)) - NOW for r in mine
        ]
        assert sum(dt.timedelta(0) < e <= dt.timedelta(days=5) for e in expiry) == 1
        [broken] = [r for r in mine if r.status == "error"]
        assert dt.datetime.fromisoformat(str(broken.token_expires_at)) < NOW
    last_sync = _rows(
        db,
        """
        SELECT o.slug, c.status, c.last_sync_status FROM platform_connections c
        JOIN orgs o ON o.id = c.org_id""",
    )
    assert sorted(last_sync) == sorted(
        [(slug, "error", "failed") for slug in ("acme", "globex")]
        + [(slug, "active", "success") for slug in ("acme", "globex")] * 4
    )
    [(over_limit,)] = _rows(
        db,
        """
        SELECT COUNT(*) FROM platform_api_calls a
        JOIN platform_connections c ON c.id = a.connection_id
        WHERE a.rate_limit_used > c.rate_limit_limit OR a.error_count > a.call_count
           OR a.org_id <> c.org_id""",
    )
    assert over_limit == 0


def test_automation_history_belongs_to_the_rule_org(seeded):
    db, _ = seeded
    rules = _rows(
        db,
        """
        SELECT org_id, SUM(status = 'active'), COUNT(*), SUM(last_run_at IS NULL)
        FROM automation_rules GROUP BY org_id""",
    )
    assert len(rules) == 2
    for _, active, total, never_run in rules:
        assert 4 <= active <= 5 and total >= 5 and never_run == 0
    [(foreign, statuses, total)] = _rows(
        db,
        """
        SELECT SUM(e.org_id <> r.org_id OR e.org_id <> c.org_id),
               COUNT(DISTINCT e.status), COUNT(*)
        FROM automation_executions e
        JOIN automation_rules r ON r.id = e.rule_id
        JOIN campaigns c ON c.id = e.campaign_id""",
    )
    assert foreign == 0 and statuses == 3 and total > 50


def test_every_org_starts_with_computed_analytics(seeded):
    """The seeder runs the analytics once, so the Forecasting dashboard is not empty."""
    db, _ = seeded
    for table in ("forecasts", "trend_analyses"):
        per_org = dict(
            _rows(db, f"SELECT org_id, COUNT(*) FROM {table} GROUP BY org_id")
        )
        assert len(per_org) == 2 and all(count > 0 for count in per_org.values()), table
    # Recommendations depend on the data: a tiny demo org may have nothing to recommend.
    assert (
        _rows(db, "SELECT COUNT(*) FROM recommendations WHERE status = 'pending'")[0][0]
        > 0
    )


def test_refuses_a_database_that_already_has_orgs(seeded):
    db, _ = seeded
    assert not database_is_empty(db)
    with pytest.raises(DatabaseNotEmpty):
        seed_demo(db, **SMALL)
    result = CliRunner().invoke(
        seed_command,
        ["--database-url", db.url, "--quiet", "--campaigns", "1", "--days", "1"],
    )
    assert result.exit_code == 2
    assert "already has orgs" in result.stderr and "--force" in result.stderr


def test_reseeding_with_the_same_seed_gives_the_same_data(seeded):
    db, counts = seeded
    before = _totals(db)
    again = seed_demo(db, force=True, **SMALL)
    assert again == counts
    assert _totals(db) == before
    assert _rows(db, "SELECT COUNT(*) FROM orgs")[0][0] == 2


def test_each_org_gets_the_builtin_dashboards_owned_by_its_admin(seeded):
    db, _ = seeded
    rows = _rows(
        db,
        """
        SELECT o.slug, d.name, count(w.id), min(u.role), max(u.role)
        FROM dashboard_templates d JOIN orgs o ON o.id = d.org_id
        JOIN dashboard_widgets w ON w.dashboard_id = d.id
        JOIN users u ON u.id = w.owner_id
        WHERE d.is_template = :f GROUP BY o.slug, d.name ORDER BY o.slug""",
        f=False,
    )
    templates = _rows(db, "SELECT name FROM dashboard_templates WHERE org_id IS NULL")
    assert {name for _, name, *_ in rows} == {name for (name,) in templates}
    assert {slug for slug, *_ in rows} == {"acme", "globex"}
    assert all(count > 0 and low == high == "admin" for _, _, count, low, high in rows)


def test_rollup_week_start_is_the_monday_of_each_day(seeded):
    db, _ = seeded
    rows = _rows(db, "SELECT DISTINCT day, week_start FROM metric_facts_daily")
    assert rows
    for day, week_start in rows:
        day = day if isinstance(day, dt.date) else dt.date.fromisoformat(day)
        week_start = (
            week_start
            if isinstance(week_start, dt.date)
            else dt.date.fromisoformat(week_start)
        )
        assert week_start == day - dt.timedelta(days=day.weekday())


def test_reseeding_with_force_moves_a_running_servers_file_cache_on(
    seeded, tmp_path, monkeypatch
):
    """A server with a shared (file system) cache must not keep showing figures of the
    data that ``--force`` replaced, even when SQLite gives the new orgs the old ids."""
    from core.cache import make_cache
    from datasources.cache import QueryCache
    from tests.conftest import make_settings

    db, _ = seeded
    cache_dir = tmp_path / "cache"
    monkeypatch.setenv("PULSE_DATABASE_URL", db.url)
    monkeypatch.setenv("PULSE_CACHE_TYPE", "filesystem")
    monkeypatch.setenv("PULSE_CACHE_DIR", str(cache_dir))
    server = QueryCache(
        db,
        make_cache(
            make_settings(db.url, cache_type="filesystem", cache_dir=str(cache_dir))
        ),
    )
    params = {"metric": "revenue", "view": "summary", "period": "30d"}
    acme = _rows(db, "SELECT id FROM orgs WHERE slug = 'acme'")[0][0]
    before = server.query(acme, "campaigns", params)
    assert (
        server.query(acme, "campaigns", params)["computed_at"] == before["computed_at"]
    )

    result = CliRunner().invoke(
        seed_command,
        [
            "--database-url",
            db.url,
            "--force",
            "--seed",
            "2",
            *(f"--{k}={v}" for k, v in SMALL.items() if k in ("campaigns", "days")),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "filesystem cache invalidated" in result.stdout
    acme = _rows(db, "SELECT id FROM orgs WHERE slug = 'acme'")[0][0]
    after = server.query(acme, "campaigns", params)
    assert after["computed_at"] > before["computed_at"] and not after["stale"]
    assert after["value"] != before["value"]  # seed 2 draws other data
    seed_demo(
        db, force=True, **SMALL
    )  # leave the module's data as the other tests expect
