"""Migration 0009 on real SQLite and PostgreSQL: duplicate campaigns (same org,
platform and external id) are merged into the lowest id before the unique key is
added, and every rollup still equals an independent sum of the hourly facts."""

from __future__ import annotations

import datetime as dt

import pytest
from alembic import command
from sqlalchemy import text

from core.db import Database
from core.migrate import alembic_config
from datasources.ingest import ingest
from tests.conftest import PostgresDatabase, sqlite_url


@pytest.fixture(params=["sqlite", "postgresql"])
def at_head(request, tmp_path):
    """An empty database migrated to head: its admin URL. The test fills it at head
    (the ingest code reads the schema of head) and then steps back to 0008."""
    if request.param == "sqlite":
        yield sqlite_url(tmp_path)
        return
    database = PostgresDatabase(request.getfixturevalue("postgres_admin_url"))
    try:
        yield database.admin_url
    finally:
        database.drop()


def rows(db: Database, sql: str, **params) -> list:
    with db.engine.connect() as connection:
        return list(connection.execute(text(sql), params))


def test_duplicate_campaigns_are_merged_into_the_lowest_id_and_rollups_stay_exact(
    at_head,
):
    db = Database(at_head)
    try:
        with db.unscoped_session() as session:
            org = session.execute(
                text(
                    "INSERT INTO orgs (name, slug, timezone, currency,"
                    " allowed_recipient_domains, retention_days, created_at)"
                    " VALUES ('Dup', 'dup', 'UTC', 'USD', '[]', 730,"
                    " '2024-01-01 00:00:00') RETURNING id"
                )
            ).scalar_one()
            ids = [
                session.execute(
                    text(
                        "INSERT INTO campaigns (org_id, platform, external_id, name,"
                        " objective, status, budget, start_date, created_at,"
                        " updated_at) VALUES (:org, 'google', :external, :name,"
                        " 'conversions', 'active', 0, '2024-05-01',"
                        " '2024-01-01 00:00:00', '2024-01-01 00:00:00') RETURNING id"
                    ),
                    {"org": org, "name": name, "external": external},
                ).scalar_one()
                # Distinct external ids for now: head's unique key refuses the same.
                for name, external in (("Brand", "555"), ("Brand (again)", "555-x"))
            ]
        keep, duplicate = sorted(ids)

        def fact(campaign: int, hour: str, spend: float) -> dict:
            return {
                "campaign_id": campaign,
                "hour": hour,
                "country": "US",
                "spend": spend,
                "impressions": 100,
                "clicks": 1,
            }

        ingest(
            db,
            org,
            [
                fact(keep, "2024-05-01T10:00:00Z", 1),
                fact(keep, "2024-05-01T11:00:00Z", 2),
                fact(duplicate, "2024-05-01T11:00:00Z", 100),  # the same hour
                fact(duplicate, "2024-05-01T12:00:00Z", 4),
                fact(duplicate, "2024-05-02T10:00:00Z", 8),
            ],
        )

        # Back at 0008, without the unique key, the second campaign becomes the
        # duplicate two creators could make then; migration 0009 merges them.
        command.downgrade(alembic_config(at_head), "0008")
        with db.unscoped_session() as session:
            session.execute(
                text("UPDATE campaigns SET external_id = '555' WHERE id = :d"),
                {"d": duplicate},
            )
        command.upgrade(alembic_config(at_head), "head")

        assert rows(db, "SELECT id FROM campaigns WHERE org_id = :o", o=org) == [
            (keep,)
        ]
        hourly = rows(
            db,
            "SELECT campaign_id, hour_utc, spend FROM metric_facts_hourly"
            " WHERE org_id = :o ORDER BY hour_utc",
            o=org,
        )
        # The kept campaign's report of 11:00 stays; the duplicate's other hours move.
        assert [(c, str(h)[:16], s) for c, h, s in hourly] == [
            (keep, "2024-05-01 10:00", 1),
            (keep, "2024-05-01 11:00", 2),
            (keep, "2024-05-01 12:00", 4),
            (keep, "2024-05-02 10:00", 8),
        ]
        by_day = "SELECT {day}, SUM(spend), SUM(impressions) FROM {table}"
        by_day += " WHERE org_id = :o GROUP BY {day} ORDER BY {day}"
        expected = [("2024-05-01", 7.0, 300), ("2024-05-02", 8.0, 100)]
        for table, day in (
            ("metric_facts_hourly", "local_date"),
            ("metric_facts_daily", "day"),
            ("metric_facts_daily_platform", "day"),
            ("metric_facts_hourly_platform", "local_date"),
        ):
            found = rows(db, by_day.format(table=table, day=day), o=org)
            assert [(str(d), float(s), int(i)) for d, s, i in found] == expected, table
        totals = rows(
            db,
            "SELECT campaign_id, first_day, last_day, spend FROM campaign_totals"
            " WHERE org_id = :o",
            o=org,
        )
        assert [(c, str(f), str(la), float(s)) for c, f, la, s in totals] == [
            (keep, "2024-05-01", "2024-05-02", 15.0)
        ]
        week = rows(db, "SELECT DISTINCT week_start FROM metric_facts_daily")
        assert [str(w) for (w,) in week] == [str(dt.date(2024, 4, 29))]
        refresh = rows(
            db,
            "SELECT first_day, last_day FROM analytics_refresh_queue WHERE org_id = :o",
            o=org,
        )
        assert [(str(f), str(la)) for f, la in refresh] == [
            ("2024-05-01", "2024-05-02")
        ]
    finally:
        db.dispose()
