"""``pulse``: the one command line of Pulse (``.venv/bin/pulse``, or ``python -m cli``).

Every subcommand reads the settings through the shared :class:`PulseContext`, at most
once per run, and only when it needs them. A malformed setting (``DATABASE_URL``,
``PULSE_SECRET_KEY`` in production, ...) raised anywhere below is reported here, once:
its message on stderr and exit status 2, with no traceback; so is a database that
cannot be reached.
"""

from __future__ import annotations

from typing import Any

import click
from sqlalchemy.exc import OperationalError

from cli import (
    apikeys,
    bench,
    db,
    devdata,
    ingest,
    reports,
    retention,
    scheduler,
    snapshots,
    users,
)
from cli._context import PulseContext
from core.errors import unreachable_database
from core.settings import ConfigurationError


class PulseGroup(click.Group):
    """The top-level group: where a settings error of any subcommand ends the run."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ConfigurationError as exc:
            click.echo(str(exc), err=True)
            ctx.exit(2)
        except OperationalError as exc:
            # An unreachable database is one line naming its host and port.
            click.echo(unreachable_database(exc), err=True)
            ctx.exit(2)


@click.group(cls=PulseGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.pass_context
def pulse(ctx: click.Context) -> None:
    """Pulse: marketing analytics dashboards. Operate a deployment from here."""
    ctx.ensure_object(PulseContext)


pulse.add_command(db.migrate_command)
pulse.add_command(db.pgsetup_command)
pulse.add_command(devdata.seed)
pulse.add_command(devdata.bootstrap)
pulse.add_command(ingest.ingest_command)
pulse.add_command(apikeys.apikeys)
pulse.add_command(scheduler.scheduler)
pulse.add_command(users.users)
pulse.add_command(retention.retention)
pulse.add_command(reports.reports)
pulse.add_command(snapshots.snapshots)
pulse.add_command(bench.bench)
bench.bench.add_command(devdata.generate)
