"""Migration 0014 on real SQLite and PostgreSQL: an existing org keeps its snapshots
forever (``snapshot_retention_days`` NULL), deliveries get ``snapshot_id``, the app
role may write both under row-level security; downgrade removes them and upgrade adds
them again."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import inspect, text

from core.db import Database
from core.migrate import alembic_config
from tests.conftest import PostgresDatabase, sqlite_url

ORG = (
    "INSERT INTO orgs (name, slug, timezone, currency, allowed_recipient_domains,"
    " retention_days, created_at) VALUES ('S', 's', 'UTC', 'USD', '[]', 730,"
    " '2024-01-01 00:00:00') RETURNING id"
)


@pytest.fixture(params=["sqlite", "postgresql"])
def at_0013(request, tmp_path):
    """An empty database migrated to head and stepped back to 0013: its URLs."""
    if request.param == "sqlite":
        url = sqlite_url(tmp_path)
        command.downgrade(alembic_config(url), "0013")
        yield {"admin": url, "app": url}
        return
    database = PostgresDatabase(request.getfixturevalue("postgres_admin_url"))
    try:
        command.downgrade(alembic_config(database.admin_url), "0013")
        yield {"admin": database.admin_url, "app": database.app_url}
    finally:
        database.drop()


def columns(db: Database, table: str) -> set[str]:
    return {c["name"] for c in inspect(db.engine).get_columns(table)}


def test_0014_up_and_down(at_0013):
    admin = Database(at_0013["admin"])
    try:
        assert "snapshot_retention_days" not in columns(admin, "orgs")
        with admin.unscoped_session() as session:
            org = session.execute(text(ORG)).scalar_one()
        admin.engine.dispose()
        command.upgrade(alembic_config(at_0013["admin"]), "head")
        assert "snapshot_retention_days" in columns(admin, "orgs")
        assert "snapshot_id" in columns(admin, "report_deliveries")
        indexes = {
            i["name"] for i in inspect(admin.engine).get_indexes("dashboard_snapshots")
        }
        assert "ix_dashboard_snapshots_org_date" in indexes
        app = Database(at_0013["app"])
        try:
            with app.session(org) as session:
                kept = session.execute(
                    text("SELECT snapshot_retention_days FROM orgs WHERE id = :id"),
                    {"id": org},
                ).scalar_one()
                assert kept is None  # forever, until an admin sets a period
                session.execute(
                    text("UPDATE orgs SET snapshot_retention_days = 30 WHERE id = :id"),
                    {"id": org},
                )
        finally:
            app.dispose()
        admin.engine.dispose()
        command.downgrade(alembic_config(at_0013["admin"]), "0013")
        assert "snapshot_retention_days" not in columns(admin, "orgs")
        assert "snapshot_id" not in columns(admin, "report_deliveries")
        admin.engine.dispose()
        command.upgrade(alembic_config(at_0013["admin"]), "head")
        assert "snapshot_retention_days" in columns(admin, "orgs")
    finally:
        admin.dispose()
