"""Migration 0015 (alert states, history and delivery attempts) up and down on SQLite
and PostgreSQL: the tables and the new alert columns, row-level security forced on
PostgreSQL; downgrade removes all of it and upgrade brings it back."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from core.db import Database
from core.migrate import alembic_config
from tests.conftest import PostgresDatabase, sqlite_url

TABLES = {"alert_states", "alert_history", "alert_deliveries"}
COLUMNS = {
    "broken_reason",
    "muted_until",
    "acknowledged_at",
    "acknowledged_by",
    "webhook_secret",
}


@pytest.fixture(params=["sqlite", "postgresql"])
def migrated(request, tmp_path):
    if request.param == "sqlite":
        yield {"admin": sqlite_url(tmp_path), "engine": "sqlite"}
        return
    database = PostgresDatabase(request.getfixturevalue("postgres_admin_url"))
    try:
        yield {"admin": database.admin_url, "engine": "postgresql"}
    finally:
        database.drop()


def alert_columns(db: Database) -> set[str]:
    return {c["name"] for c in inspect(db.engine).get_columns("dashboard_alerts")}


def test_0015_adds_the_alert_tables_and_downgrade_removes_them(migrated):
    url = migrated["admin"]
    db = Database(url)
    try:
        assert set(inspect(db.engine).get_table_names()) >= TABLES
        assert alert_columns(db) >= COLUMNS
        if migrated["engine"] == "postgresql":
            with db.engine.connect() as connection:
                forced = connection.exec_driver_sql(
                    "SELECT relname, relforcerowsecurity FROM pg_class WHERE relname"
                    " IN ('alert_states', 'alert_history', 'alert_deliveries')"
                ).all()
            assert dict(forced) == dict.fromkeys(TABLES, True)
        db.engine.dispose()
        # The revision before 0015 (re-chained at merges), read from the script.
        config = alembic_config(url)
        before = ScriptDirectory.from_config(config).get_revision("0015").down_revision
        command.downgrade(config, str(before))
        assert not TABLES & set(inspect(db.engine).get_table_names())
        assert not COLUMNS & alert_columns(db)
        db.engine.dispose()
        command.upgrade(alembic_config(url), "head")
        assert set(inspect(db.engine).get_table_names()) >= TABLES
    finally:
        db.dispose()
