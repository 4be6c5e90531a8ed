"""Migration 0012 (kiosk tokens and playlists) up and down on SQLite and PostgreSQL:
the tables, the one-target rule and, on PostgreSQL, row-level security and the token
lookup function; downgrade removes all of it."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import exc, inspect, text

from core.db import Database
from core.migrate import alembic_config
from tests.conftest import PostgresDatabase, sqlite_url

TABLES = {"kiosk_tokens", "kiosk_playlists"}


@pytest.fixture(params=["sqlite", "postgresql"])
def migrated(request, tmp_path):
    if request.param == "sqlite":
        url = sqlite_url(tmp_path)
        yield {"admin": url, "engine": "sqlite"}
        return
    database = PostgresDatabase(request.getfixturevalue("postgres_admin_url"))
    try:
        yield {"admin": database.admin_url, "engine": "postgresql"}
    finally:
        database.drop()


def test_0012_adds_the_kiosk_tables_and_downgrade_removes_them(migrated):
    url = migrated["admin"]
    db = Database(url)
    try:
        assert set(inspect(db.engine).get_table_names()) >= TABLES
        with db.unscoped_session() as session:
            org = session.execute(
                text(
                    "INSERT INTO orgs (name, slug, timezone, currency,"
                    " allowed_recipient_domains, retention_days, created_at)"
                    " VALUES ('K', 'k', 'UTC', 'USD', '[]', 730,"
                    " '2024-01-01 00:00:00') RETURNING id"
                )
            ).scalar_one()
        # A token with no target (or with two) is refused by the database itself.
        with pytest.raises(exc.IntegrityError), db.unscoped_session() as session:
            session.execute(
                text(
                    "INSERT INTO kiosk_tokens (org_id, name, prefix, token_hash,"
                    " filters, created_at) VALUES (:org, 'x', 'kiosk_x', 'h', '{}',"
                    " '2024-01-01 00:00:00')"
                ),
                {"org": org},
            )
        if migrated["engine"] == "postgresql":
            with db.engine.connect() as connection:
                forced = connection.execute(
                    text(
                        "SELECT relname, relforcerowsecurity FROM pg_class"
                        " WHERE relname IN ('kiosk_tokens', 'kiosk_playlists')"
                    )
                ).all()
                assert dict(forced) == dict.fromkeys(TABLES, True)
                assert (
                    connection.execute(
                        text("SELECT count(*) FROM pulse_kiosk_token_lookup('none')")
                    ).scalar_one()
                    == 0
                )
        db.engine.dispose()
        command.downgrade(alembic_config(url), "0011")
        assert not TABLES & set(inspect(db.engine).get_table_names())
        if migrated["engine"] == "postgresql":
            with db.engine.connect() as connection:
                assert not connection.execute(
                    text(
                        "SELECT 1 FROM pg_proc WHERE proname ="
                        " 'pulse_kiosk_token_lookup'"
                    )
                ).first()
        db.engine.dispose()
        command.upgrade(alembic_config(url), "head")
        assert set(inspect(db.engine).get_table_names()) >= TABLES
    finally:
        db.dispose()
