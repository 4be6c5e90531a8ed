"""The synthetic-data commands: ``seed``, ``bootstrap`` and (under ``bench``)
``generate``.

Each is a click command for the ``pulse`` CLI to register; they hold no logic of their
own beyond options and output (the work is in :mod:`devdata`). Exit status 2 means the
command refused: bad options, a settings error, or a database it will not seed.
"""

from __future__ import annotations

import time

import click

from cli._context import PulseContext
from core.db import Database
from core.settings import Settings
from devdata.bench import generate as generate_bench_org
from devdata.bootstrap import prepare_database
from devdata.demo import (
    DEMO_LOGINS,
    DEMO_PASSWORD,
    DEMO_SLUGS,
    DatabaseNotEmpty,
    SeedingNotPossible,
    invalidate_demo_caches,
    seed_demo,
)


class Refused(click.ClickException):
    """The command will not do what was asked; exits with status 2 like a usage
    error, after printing ``Error: <why>``."""

    exit_code = 2


def _settings() -> Settings:
    """The settings of this ``pulse`` run (read once; the ``pulse`` group reports a
    configuration error and exits with 2)."""
    return click.get_current_context().ensure_object(PulseContext).settings


@click.command()
@click.option(
    "--seed",
    "seed_value",
    type=int,
    default=42,
    show_default=True,
    help="Random seed; equal seeds give equal data.",
)
@click.option(
    "--campaigns",
    type=click.IntRange(min=1),
    default=40,
    show_default=True,
    help="Campaigns per org.",
)
@click.option(
    "--days",
    type=click.IntRange(min=1),
    default=395,
    show_default=True,
    help="Days of hourly history.",
)
@click.option(
    "--force",
    is_flag=True,
    help="Replace the demo orgs; seed even if other orgs exist.",
)
@click.option(
    "--database-url", help="Defaults to PULSE_ADMIN_DATABASE_URL or DATABASE_URL."
)
@click.option("--quiet", is_flag=True, help="No progress bar and no summary.")
def seed(
    seed_value: int,
    campaigns: int,
    days: int,
    force: bool,
    database_url: str | None,
    quiet: bool,
) -> None:
    """Seed the demo orgs Acme Retail and Globex Travel.

    Refuses a database that already has orgs unless --force is given; then it
    replaces the two demo orgs, leaves every other org alone, and bumps the demo orgs'
    cache version in the configured shared cache so a running server shows the new
    data at once.
    """
    url = database_url or _settings().migration_database_url
    db = Database(url)
    started = time.perf_counter()
    try:
        counts = seed_demo(
            db,
            seed=seed_value,
            campaigns=campaigns,
            days=days,
            force=force,
            progress=not quiet,
        )
        cache_note = invalidate_demo_caches(db, _settings()) if force else None
    except (DatabaseNotEmpty, SeedingNotPossible) as exc:
        raise Refused(str(exc)) from None
    finally:
        db.dispose()
    if quiet:
        return
    elapsed = time.perf_counter() - started
    width = max(map(len, counts))
    for table, rows in counts.items():
        click.echo(f"  {table:<{width}}  {rows:>9,}")
    click.echo(
        f"seeded demo orgs {', '.join(DEMO_SLUGS)} in {elapsed:.1f} s "
        f"(log in as admin@acme.example / {DEMO_PASSWORD})"
    )
    if cache_note:
        click.echo(cache_note)


@click.command()
def bootstrap() -> None:
    """Migrate the database and, if it has no orgs, seed the demo data.

    What `make run` runs before serving; prints where Pulse will serve and the demo
    logins.
    """
    settings = _settings()
    try:
        prepare_database(settings.migration_database_url, log=click.echo)
    except SeedingNotPossible as exc:
        raise Refused(str(exc)) from None
    click.echo(f"\nPulse will serve on http://{settings.host}:{settings.port}")
    click.echo(f"demo logins (password {DEMO_PASSWORD}): " + ", ".join(DEMO_LOGINS))


@click.command()
@click.option(
    "--database-url",
    required=True,
    help="Schema owner URL, e.g. postgresql+psycopg://postgres@127.0.0.1:5432/"
    "pulse_bench or sqlite:///var/bench.db (migrated already).",
)
@click.option(
    "--rows",
    type=click.IntRange(min=1),
    default=5_000_000,
    show_default=True,
    help="Hourly fact rows (about).",
)
@click.option("--campaigns", type=click.IntRange(min=1), default=500, show_default=True)
@click.option("--seed", "seed_value", type=int, default=1, show_default=True)
@click.option("--org-slug", default="bench", show_default=True)
def generate(
    database_url: str, rows: int, campaigns: int, seed_value: int, org_slug: str
) -> None:
    """Generate (or replace) the large benchmark org "Bench Co".

    Draws --campaigns campaigns and about --rows hourly facts with the demo's
    generator, loads them with COPY (PostgreSQL) or executemany (SQLite), builds the
    rollups, runs the analytics once and analyses the tables. Use the schema owner's
    URL (on PostgreSQL the superuser URL pgsetup prints as PULSE_ADMIN_DATABASE_URL):
    the RLS-bound app role cannot replace an org.
    """
    db = Database(database_url)
    try:
        generate_bench_org(
            db,
            rows=rows,
            campaigns=campaigns,
            seed=seed_value,
            slug=org_slug,
            log=lambda *args, **kwargs: print(*args, **kwargs, flush=True),
        )
    finally:
        db.dispose()
