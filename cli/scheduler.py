"""``pulse scheduler``: the jobs, a run now, their history, and the one scheduler
process.

    pulse scheduler list                     # the jobs and their triggers
    pulse scheduler run JOB [--org SLUG]     # run a job now, log it, print the outcome
    pulse scheduler history --org SLUG       # the latest runs
    pulse scheduler serve                    # run every job on its schedule

Start exactly one ``serve``; a second one refuses to start (a database lock), so web
workers can scale without jobs running twice.
"""

from __future__ import annotations

import logging

import click
from apscheduler.schedulers.blocking import BlockingScheduler

from accounts.orgs import org_id_by_slug
from cli._context import PulseContext, fail, pass_pulse
from scheduler.context import JobContext
from scheduler.jobs import JOBS, job
from scheduler.process import JOB_DEFAULTS, add_jobs
from scheduler.runner import SingleInstanceLock, recent_runs, run_job

log = logging.getLogger("scheduler")

# Exit status of ``serve`` when another scheduler holds the database's lock.
ALREADY_RUNNING = 3


@click.group("scheduler")
def scheduler() -> None:
    """List, run, inspect or serve the jobs."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )


@scheduler.command("list")
def list_jobs() -> None:
    """List the jobs and their triggers."""
    for definition in JOBS:
        click.echo(
            f"{definition.name:<24} {definition.trigger}  {definition.description}"
        )


@scheduler.command("run")
@click.argument("job_name", metavar="JOB")
@click.option("--org", help="org slug (default: every org)")
@pass_pulse
def run(pulse: PulseContext, job_name: str, org: str | None) -> None:
    """Run JOB now and print the outcome.

    Runs for the org, or for every org; each run is logged in ``job_runs``. Exit
    status 1 when a run failed.
    """
    ctx = JobContext.from_settings(pulse.settings)
    try:
        definition = job(job_name)
        org_id = org_id_by_slug(ctx.admin_db, org) if org is not None else None
        runs = run_job(ctx, definition, org_id=org_id, trigger="manual")
    except (KeyError, LookupError) as exc:
        fail(f"error: {exc.args[0]}")
    finally:
        ctx.dispose()
    for item in runs:
        first_error_line = f" {item.error.splitlines()[0]}" if item.error else ""
        click.echo(
            f"org {item.org_id}: {item.job} {item.status} {item.summary or ''}"
            f"{first_error_line}"
        )
    if any(item.status == "failed" for item in runs):
        raise click.exceptions.Exit(1)


@scheduler.command("history")
@click.option("--org", required=True, help="org slug")
@click.option("--limit", type=int, default=20, show_default=True)
@pass_pulse
def history(pulse: PulseContext, org: str, limit: int) -> None:
    """Print the org's latest job runs, newest first."""
    ctx = JobContext.from_settings(pulse.settings)
    try:
        org_id = org_id_by_slug(ctx.admin_db, org)
        lines = recent_runs(ctx, org_id, limit)
    except LookupError as exc:
        fail(f"error: {exc.args[0]}")
    finally:
        ctx.dispose()
    for line in lines:
        click.echo(line)


@scheduler.command("serve")
@pass_pulse
def serve(pulse: PulseContext) -> None:
    """Run every job on its schedule.

    The one scheduler process, in the foreground until interrupted. Exit status 3 if
    another scheduler already runs against this database.
    """
    ctx = JobContext.from_settings(pulse.settings)
    try:
        lock = SingleInstanceLock(ctx)
        if not lock.acquire():
            fail(
                "another scheduler is already running against this database; "
                "not starting",
                code=ALREADY_RUNNING,
            )
        blocking = BlockingScheduler(timezone="UTC", job_defaults=JOB_DEFAULTS)
        add_jobs(blocking, ctx, lock)
        log.info("scheduler started with %d jobs", len(JOBS))
        try:
            blocking.start()
        except (KeyboardInterrupt, SystemExit):
            pass
        finally:
            lock.release()
    finally:
        ctx.dispose()
