"""Migration 0010 on real SQLite and PostgreSQL: existing orgs get the default
retention settings and existing audit rows stay, without an address or key; the app
role may write the new columns under row-level security; downgrade removes them."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import inspect, text

from core.db import Database
from core.migrate import alembic_config
from tests.conftest import PostgresDatabase, sqlite_url


@pytest.fixture(params=["sqlite", "postgresql"])
def at_0009(request, tmp_path):
    """An empty database migrated to head and stepped back to 0009: its URLs."""
    if request.param == "sqlite":
        url = sqlite_url(tmp_path)
        command.downgrade(alembic_config(url), "0009")
        yield {"admin": url, "app": url}
        return
    database = PostgresDatabase(request.getfixturevalue("postgres_admin_url"))
    try:
        command.downgrade(alembic_config(database.admin_url), "0009")
        yield {"admin": database.admin_url, "app": database.app_url}
    finally:
        database.drop()


def test_existing_orgs_get_defaults_and_audit_rows_survive(at_0009):
    admin = Database(at_0009["admin"])
    try:
        with admin.unscoped_session() as session:
            org = session.execute(
                text(
                    "INSERT INTO orgs (name, slug, timezone, currency,"
                    " allowed_recipient_domains, retention_days, created_at)"
                    " VALUES ('Old', 'old', 'UTC', 'USD', '[]', 730,"
                    " '2024-01-01 00:00:00') RETURNING id"
                )
            ).scalar_one()
            session.execute(
                text(
                    "INSERT INTO audit_log (org_id, action, entity_type, details,"
                    " created_at) VALUES (:org, 'view', 'dashboard', '{}',"
                    " '2024-02-01 00:00:00')"
                ),
                {"org": org},
            )
        command.upgrade(alembic_config(at_0009["admin"]), "head")
        admin.engine.dispose()
        with admin.unscoped_session() as session:
            settings = session.execute(
                text(
                    "SELECT retention_raw_days, retention_audit_days,"
                    " retention_job_runs_days, raw_purged_before FROM orgs"
                )
            ).one()
            audit = session.execute(
                text("SELECT action, api_key_id, address, user_agent FROM audit_log")
            ).one()
        assert tuple(settings) == (400, 730, 90, None)
        assert tuple(audit) == ("view", None, None, None)
        # The app role (RLS-bound on PostgreSQL) writes the new columns in its org.
        app = Database(at_0009["app"])
        try:
            with app.session(org) as session:
                session.execute(
                    text("UPDATE orgs SET raw_purged_before = '2024-03-01'")
                )
                session.execute(text("UPDATE audit_log SET address = '192.0.2.1'"))
            with app.session(org) as session:
                assert (
                    session.execute(text("SELECT address FROM audit_log")).scalar_one()
                    == "192.0.2.1"
                )
        finally:
            app.dispose()
        command.downgrade(alembic_config(at_0009["admin"]), "0009")
        admin.engine.dispose()
        columns = {c["name"] for c in inspect(admin.engine).get_columns("audit_log")}
        assert "address" not in columns and "api_key_id" not in columns
        # Stepping back loses no row (on SQLite no table rebuild cascades from orgs).
        with admin.unscoped_session() as session:
            assert session.execute(text("SELECT slug FROM orgs")).scalar_one() == "old"
            assert (
                session.execute(text("SELECT action FROM audit_log")).scalar_one()
                == "view"
            )
    finally:
        admin.dispose()
