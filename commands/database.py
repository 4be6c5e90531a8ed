"""Bringing a database up to date: the migrations, then the built-in templates.

``pulse migrate``, ``pulse pgsetup``, ``pulse bootstrap`` and the test fixtures all
prepare a database through :func:`migrate_database`, so each ends with the same schema
and the same built-in dashboards.
"""

from __future__ import annotations

from core import migrate
from core.db import Database
from dashboards.builtin import sync_builtin_templates


def install_builtin_templates(url: str) -> None:
    """Install or update the built-in global dashboard templates in the database."""
    database = Database(url)
    try:
        with database.unscoped_session() as session:
            sync_builtin_templates(session)
    finally:
        database.dispose()


def migrate_database(url: str) -> None:
    """Apply every migration to the database at ``url``, then install or update the
    built-in templates."""
    migrate.upgrade(url)
    install_builtin_templates(url)
