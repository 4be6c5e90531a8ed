"""Prepare a PostgreSQL database for Pulse (``pulse pgsetup``).

Creates the database (owned by the admin role, which runs migrations), creates the app
role that the web app connects as (LOGIN, NOSUPERUSER, NOBYPASSRLS, not the owner, so
row-level security applies to it), runs the migrations and returns the two URLs.
"""

from __future__ import annotations

import os
import re

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

from core import migrate

IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def _check(name: str, what: str) -> str:
    if not IDENTIFIER.match(name):
        raise ValueError(f"{what} {name!r} must be a lower-case identifier")
    return name


def _libpq(url: str) -> str:
    return (
        make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    )


def setup(
    admin_url: str,
    database: str,
    app_role: str,
    app_password: str | None = None,
    *,
    recreate: bool = False,
) -> tuple[str, str]:
    """Create database and app role, migrate, and return ``(admin_url, app_url)``.

    Only the schema is migrated here; ``pulse pgsetup`` then installs the built-in
    dashboard templates, as ``pulse migrate`` does.

    Args:
        admin_url: URL of a superuser (e.g. ``postgresql://postgres@127.0.0.1/postgres``).
        database: name of the Pulse database to create.
        app_role: the role the web app connects as.
        app_password: its password (trust-auth setups may leave it unset).
        recreate: drop the database first if it exists.
    """
    _check(database, "database name")
    _check(app_role, "app role")
    with psycopg.connect(_libpq(admin_url), autocommit=True) as connection:
        role_exists = connection.execute(
            "SELECT 1 FROM pg_roles WHERE rolname = %s", (app_role,)
        ).fetchone()
        if not role_exists:
            connection.execute(
                sql.SQL(
                    "CREATE ROLE {} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB "
                    "NOCREATEROLE"
                ).format(sql.Identifier(app_role))
            )
        if app_password:
            connection.execute(
                sql.SQL("ALTER ROLE {} PASSWORD {}").format(
                    sql.Identifier(app_role), sql.Literal(app_password)
                )
            )
        if recreate:
            connection.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                    sql.Identifier(database)
                )
            )
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (database,)
        ).fetchone()
        if not exists:
            connection.execute(
                sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database))
            )
    base = make_url(admin_url).set(drivername="postgresql+psycopg", database=database)
    admin_db_url = base.render_as_string(hide_password=False)
    app_url = base.set(username=app_role, password=app_password).render_as_string(
        hide_password=False
    )
    os.environ["PULSE_DB_APP_ROLE"] = app_role
    migrate.upgrade(admin_db_url)
    return admin_db_url, app_url
