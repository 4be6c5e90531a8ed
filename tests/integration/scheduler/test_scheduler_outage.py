"""The scheduler while PostgreSQL is stopped and started again (issue 12)."""

from __future__ import annotations

import logging
import time

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import select

from core.models import JobRun
from scheduler.context import JobContext
from scheduler.jobs import JobDefinition
from scheduler.process import JOB_DEFAULTS
from scheduler.runner import SingleInstanceLock, run_scheduled
from tests.conftest import make_settings, org_id

pytestmark = pytest.mark.postgres

JOB = JobDefinition(
    "test_outage",
    "tests.integration.scheduler.test_scheduler:ok_task",
    {"trigger": "interval"},
)


def successful_runs(ctx, org: int) -> int:
    with ctx.db.session(org) as session:
        return len(
            session.scalars(
                select(JobRun).where(JobRun.job == JOB.name, JobRun.status == "success")
            ).all()
        )


def test_runs_are_skipped_while_the_database_is_down_and_resume_after(
    outage_postgres, caplog
):
    postgres, urls = outage_postgres
    settings = make_settings(urls["app"], admin_database_url=urls["admin"])
    ctx = JobContext.from_settings(settings)
    other = JobContext.from_settings(settings)
    lock = SingleInstanceLock(ctx)
    scheduler = BackgroundScheduler(timezone="UTC", job_defaults=JOB_DEFAULTS)
    try:
        assert lock.acquire()
        acme = org_id(ctx.admin_db, "acme")
        scheduler.add_job(run_scheduled, "interval", seconds=0.5, args=[ctx, JOB, lock])
        scheduler.start()
        deadline = time.monotonic() + 10
        while successful_runs(ctx, acme) == 0 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert successful_runs(ctx, acme) > 0

        caplog.set_level(logging.INFO, logger="scheduler.runner")
        postgres.stop()
        time.sleep(2.0)
        skipped = [
            r for r in caplog.records if "database unavailable" in r.getMessage()
        ]
        assert skipped, "no run was skipped while the database was down"
        assert all(r.exc_info is None for r in skipped)  # a line each, no traceback
        assert scheduler.running

        postgres.start()
        before = successful_runs(ctx, acme)
        deadline = time.monotonic() + 10
        while successful_runs(ctx, acme) == before and time.monotonic() < deadline:
            time.sleep(0.2)
        assert successful_runs(ctx, acme) > before, "runs did not resume"
        assert scheduler.running
        # The restart ended the session that held the single-instance lock: this
        # scheduler took it again, so a second one still cannot start.
        assert lock.still_held()
        second = SingleInstanceLock(other)
        assert second.acquire() is False
        second.release()
        assert any("lock taken again" in r.getMessage() for r in caplog.records)
    finally:
        scheduler.shutdown(wait=True)
        lock.release()
        ctx.dispose()
        other.dispose()
