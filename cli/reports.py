"""``pulse reports``: scheduled reports from the command line.

    pulse reports next-runs '{"day_of_week": 1, "time": "09:00",
                              "timezone": "America/New_York"}' --frequency weekly -n 5
    pulse reports next-runs '{"time": "07:30", "timezone": "Europe/Paris"}' \\
        --frequency daily --after 2026-03-28T00:00:00Z

``next-runs`` prints the next run instants of a schedule after ``--after`` (default
now), one a line, in ISO 8601 with the schedule's zone offset. Bad input (JSON, a field
of the config, the frequency, the instant) is one line on stderr naming the problem,
with exit status 2. It needs no database.
"""

from __future__ import annotations

import datetime as dt
import json

import click

from cli._context import fail
from reports.schedules import FREQUENCIES, ScheduleError, next_runs, parse_schedule


@click.group("reports")
def reports() -> None:
    """Scheduled reports: work out when a schedule runs."""


@reports.command("next-runs")
@click.argument("schedule_config")
@click.option(
    "--frequency",
    required=True,
    help=f"one of {', '.join(FREQUENCIES)}",
)
@click.option("-n", "count", type=int, default=5, show_default=True)
@click.option(
    "--after",
    help="ISO 8601 instant with an offset or Z (default: now); a naive one is UTC",
)
def next_runs_command(
    schedule_config: str, frequency: str, count: int, after: str | None
) -> None:
    """Print the next COUNT run instants of a schedule, one a line."""
    try:
        config_value = json.loads(schedule_config)
    except json.JSONDecodeError as exc:
        fail(f"schedule_config: not JSON ({exc.msg} at column {exc.colno})")
    try:
        config = parse_schedule(frequency, config_value)
    except ScheduleError as exc:
        fail("; ".join(exc.details))
    if not 1 <= count <= 1000:
        fail(f"-n: expected a count from 1 to 1000, got {count}")
    start = dt.datetime.now(dt.UTC)
    if after is not None:
        try:
            start = dt.datetime.fromisoformat(after)
        except ValueError:
            fail(f"--after: not an ISO 8601 instant: {after!r}")
    for instant in next_runs(frequency, config, start, count):
        click.echo(instant.isoformat())
