"""Get a database ready to serve (the ``bootstrap`` command, which ``make run`` runs).

Applies the migrations and installs the built-in templates, and on an empty database
seeds the demo data (two orgs, their users, campaigns, a year of hourly facts and the
dashboards).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from commands.database import migrate_database
from core.db import Database
from devdata.demo import database_is_empty, seed_demo


def prepare_database(
    url: str, *, log: Callable[[str], object] = print
) -> dict[str, int] | None:
    """Migrate the database and seed the demo into it if it has no orgs.

    Args:
        url: the schema owner's database URL.
        log: where progress lines go.

    Returns:
        The rows seeded per table, or ``None`` when the database had orgs already.
    """
    migrate_database(url)
    db = Database(url)
    try:
        if not database_is_empty(db):
            return None
        log("empty database: seeding the demo data (about half a minute)…")
        started = time.perf_counter()
        counts = seed_demo(db)
        log(
            f"seeded {counts.get('metric_facts_hourly', 0):,} hourly facts in "
            f"{time.perf_counter() - started:.1f} s"
        )
        return counts
    finally:
        db.dispose()
