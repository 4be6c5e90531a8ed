"""Bring a database's schema up to date: ``python -m core.migrate``.

Runs the Alembic migrations (SQLite and PostgreSQL share them) and then installs or
updates the built-in global dashboard templates.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from alembic import command
from alembic.config import Config

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def alembic_config(url: str) -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.attributes["url"] = url
    return config


def upgrade(url: str) -> None:
    """Apply every migration to ``url`` and sync the built-in templates."""
    from core.db import Database
    from dashboards.builtin import sync_builtin_templates

    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(url), "head")
    database = Database(url)
    try:
        with database.unscoped_session() as session:
            sync_builtin_templates(session)
    finally:
        database.dispose()


def main(argv: list[str] | None = None) -> int:
    from core.settings import ConfigurationError, load_settings

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--database-url", help="defaults to PULSE_ADMIN_DATABASE_URL or DATABASE_URL"
    )
    args = parser.parse_args(argv)
    try:
        url = args.database_url or load_settings().migration_database_url
    except ConfigurationError as exc:
        print(exc, file=sys.stderr)
        return 2
    upgrade(url)
    print("database schema is up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
