"""What a job run has to work with, built once per scheduler process."""

from __future__ import annotations

from dataclasses import dataclass

from core.cache import make_cache
from core.db import Database
from core.settings import Settings
from datasources.cache import QueryCache


@dataclass(frozen=True)
class JobContext:
    settings: Settings
    db: Database  # the app role: every job runs inside one org's context
    admin_db: Database  # the owner: only to list the orgs
    data: QueryCache

    @classmethod
    def from_settings(cls, settings: Settings) -> JobContext:
        db = Database(settings.database_url)
        admin_db = Database(settings.migration_database_url)
        return cls(
            settings,
            db,
            admin_db,
            QueryCache(
                db,
                make_cache(settings),
                query_timeout_seconds=settings.query_timeout_seconds,
            ),
        )

    def dispose(self) -> None:
        self.db.dispose()
        self.admin_db.dispose()
