"""Get a database ready to serve: ``python -m devdata.bootstrap`` (``make run`` runs it).

Applies the migrations, and on an empty database seeds the demo data (two orgs, their
users, campaigns, a year of hourly facts and the dashboards), then prints the logins.
"""

from __future__ import annotations

import sys
import time

from core.settings import ConfigurationError, load_settings

DEMO_LOGINS = [
    f"{role}@{org}.example"
    for org in ("acme", "globex")
    for role in ("admin", "editor", "viewer")
]


def main() -> int:
    try:
        settings = load_settings()
    except ConfigurationError as exc:
        print(exc, file=sys.stderr)
        return 2
    from core import migrate
    from core.db import Database
    from devdata import demo

    migrate.upgrade(settings.migration_database_url)
    db = Database(settings.migration_database_url)
    try:
        if demo.database_is_empty(db):
            print(
                "empty database: seeding the demo data (about half a minute)…",
                flush=True,
            )
            started = time.perf_counter()
            counts = demo.seed_demo(db)
            print(
                f"seeded {counts.get('metric_facts_hourly', 0):,} hourly facts in "
                f"{time.perf_counter() - started:.1f} s",
                flush=True,
            )
    finally:
        db.dispose()
    print(f"\nPulse will serve on http://{settings.host}:{settings.port}")
    print("demo logins (password pulse-demo): " + ", ".join(DEMO_LOGINS), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
