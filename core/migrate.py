"""Bring a database's schema up to date with the Alembic migrations.

SQLite and PostgreSQL share one set of migrations (``core/migrations``). ``pulse
migrate`` runs :func:`upgrade` and then installs or updates the built-in dashboard
templates (those live above ``core``, in ``dashboards``).
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from core.settings import ConfigurationError, sqlite_folder_problem

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def alembic_config(url: str) -> Config:
    """The Alembic configuration of Pulse, pointed at ``url``."""
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.attributes["url"] = url
    return config


def upgrade(url: str) -> None:
    """Apply every migration to the database at ``url``.

    Raises:
        ConfigurationError: a SQLite file in a folder that does not exist (only
            Pulse's own ``var/`` is created).
    """
    problem = sqlite_folder_problem(url)
    if problem:
        raise ConfigurationError(problem)
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(url), "head")
