"""Which database errors are an outage to wait out, and which are not."""

from __future__ import annotations

import sqlite3

from sqlalchemy import exc

from core.db import is_unavailable


def sqlite_error(message: str) -> exc.OperationalError:
    return exc.OperationalError("SELECT 1", {}, sqlite3.OperationalError(message))


def test_a_locked_or_unreadable_sqlite_file_is_unavailable():
    assert is_unavailable(sqlite_error("database is locked"))
    assert is_unavailable(sqlite_error("unable to open database file"))


def test_a_schema_out_of_date_is_not_an_outage():
    """A missing column needs the migrations, not a retry banner."""
    assert not is_unavailable(sqlite_error("table audit_log has no column named x"))
    assert not is_unavailable(sqlite_error("no such table: user_sessions"))
