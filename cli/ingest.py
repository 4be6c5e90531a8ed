"""``pulse ingest FILE --org SLUG``: ingest a CSV or JSON file of campaign facts.

Exit status 0 when the batch was committed, 1 when rows were rejected (each problem
is listed on stderr; nothing was written), 2 for a usage or set-up error (unknown org,
missing file, bad option).
"""

from __future__ import annotations

import time
from pathlib import Path

import click

from accounts.orgs import org_id_by_slug
from cli._context import (
    PulseContext,
    database_url_option,
    fail,
    pass_pulse,
)
from commands.ingest import ingest_file
from datasources.ingest import FORMATS, IngestRejected


@click.command("ingest")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--org", required=True, help="org slug, e.g. acme")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="native",
    show_default=True,
    help="the file's layout",
)
@click.option(
    "--create-campaigns",
    is_flag=True,
    help="create campaigns the file names but the org does not have",
)
@click.option(
    "--refuse-unknown",
    is_flag=True,
    help="reject rows of unknown campaigns (the default)",
)
@click.option(
    "--country",
    help="country of every row when the file has no country column (ISO code)",
)
@database_url_option
@pass_pulse
def ingest_command(
    pulse: PulseContext,
    file: Path,
    org: str,
    fmt: str,
    create_campaigns: bool,
    refuse_unknown: bool,
    country: str | None,
    database_url: str | None,
) -> None:
    """Ingest a file of campaign facts.

    FILE is a .csv export or a .json file of rows; it is ingested into the org all or
    nothing, and then the org's shared cache is invalidated. Exit status 0: committed;
    1: rows rejected (listed on stderr, nothing written); 2: a usage or set-up error.
    """
    if create_campaigns and refuse_unknown:
        raise click.UsageError(
            "--create-campaigns and --refuse-unknown exclude each other"
        )
    started = time.perf_counter()
    with pulse.admin_database(database_url) as db:
        try:
            result, cache_note = ingest_file(
                db,
                org_id_by_slug(db, org),
                file,
                pulse.settings,
                fmt=fmt,
                on_unknown_campaign="create" if create_campaigns else "refuse",
                default_country=country,
            )
        except IngestRejected as exc:
            click.echo(f"rejected {file}: {exc} (batch {exc.batch_id})", err=True)
            for error in exc.errors:
                click.echo(f"  {error}", err=True)
            if exc.error_count > len(exc.errors):
                more = exc.error_count - len(exc.errors)
                click.echo(f"  … and {more} more", err=True)
            raise click.exceptions.Exit(1) from None
        except (LookupError, OSError, ValueError) as exc:
            fail(f"error: {exc}")
    click.echo(
        f"ingested {file} into {org} ({fmt}): {result['rows_received']:,} rows "
        f"received, {result['rows_written']:,} written, "
        f"{len(result['days_touched'])} day(s) "
        f"{result['first_day']}..{result['last_day']}, "
        f"{len(result['campaigns_created'])} campaign(s) created, batch "
        f"{result['batch_id']}, {time.perf_counter() - started:.1f} s; {cache_note}"
    )
