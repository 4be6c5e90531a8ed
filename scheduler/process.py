"""Building and starting the one APScheduler of a deployment.

``pulse scheduler serve`` runs it in the foreground (the scaled setup: one scheduler
process beside the gunicorn workers). ``python app.py`` starts it in the background of
the single embedded web process. Either way :class:`SingleInstanceLock` makes sure only
one scheduler runs against a database, so web workers never run jobs.
"""

from __future__ import annotations

import logging

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler

from core.settings import Settings
from scheduler.context import JobContext
from scheduler.jobs import JOBS
from scheduler.runner import SingleInstanceLock, run_scheduled

log = logging.getLogger("scheduler")

JOB_DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600}


def add_jobs(
    scheduler: BaseScheduler, ctx: JobContext, lock: SingleInstanceLock | None = None
) -> None:
    """Every job of :data:`scheduler.jobs.JOBS` on its trigger, each run logged by
    ``run_job`` (through ``run_scheduled``: with the database down a run is skipped
    and logged, and the scheduler carries on)."""
    for definition in JOBS:
        trigger = dict(definition.trigger)
        scheduler.add_job(
            run_scheduled,
            trigger.pop("trigger"),
            id=definition.name,
            name=definition.description,
            args=[ctx, definition, lock],
            **trigger,
        )


def start_in_background(settings: Settings):
    """Start the scheduler in a background thread of this process, unless another
    scheduler already holds the database's lock. Returns the scheduler or ``None``."""
    ctx = JobContext.from_settings(settings)
    lock = SingleInstanceLock(ctx)
    if not lock.acquire():
        log.info("another scheduler runs against this database; this process runs none")
        ctx.dispose()
        return None
    scheduler = BackgroundScheduler(
        timezone="UTC", job_defaults=JOB_DEFAULTS, daemon=True
    )
    scheduler.instance_lock = (
        lock  # held (not garbage-collected) as long as the scheduler
    )
    add_jobs(scheduler, ctx, lock)
    scheduler.start()
    log.info("embedded scheduler started with %d jobs", len(JOBS))
    return scheduler
