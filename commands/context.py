"""What a command runs with: the database and the query cache of the process.

The web app's :class:`server.runtime.Runtime` and the scheduler's
:class:`scheduler.context.JobContext` both have these two attributes, so either is
passed as it is; commands never reach for Flask or a global.
"""

from __future__ import annotations

from typing import Protocol

from core.db import Database
from datasources.cache import QueryCache


class CommandContext(Protocol):
    """The database (the app role, one org per session) and the org-keyed query cache
    whose entries a command makes stale after a change."""

    @property
    def db(self) -> Database: ...

    @property
    def data(self) -> QueryCache: ...
