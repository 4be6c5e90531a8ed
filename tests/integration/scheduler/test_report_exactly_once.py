"""Two scheduler processes against one PostgreSQL database, and a scheduler killed
in the middle of a burst and started again: each of 20 reports due at the same minute
reaches the (real, loopback) SMTP server exactly once."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter

import pytest
from sqlalchemy import select, text

from accounts.permissions import Caller
from commands.report_schedules import create_schedule
from core.models import Dashboard, ReportDelivery, User, utcnow
from scheduler.context import JobContext
from tests.conftest import (
    ROOT,
    TEST_SECRET,
    PostgresDatabase,
    make_settings,
    org_id,
    seed_small_demo,
)
from tests.smtp import SmtpServer

BURST = 20


@pytest.fixture
def burst(postgres_admin_url, seed_now):
    """A fresh seeded PostgreSQL database whose org has 20 report schedules, all due
    at the current minute."""
    database = PostgresDatabase(postgres_admin_url)
    seed_small_demo(database.admin_url, seed_now)
    ctx = JobContext.from_settings(
        make_settings(database.app_url, admin_database_url=database.admin_url)
    )
    acme = org_id(ctx.admin_db, "acme")
    with ctx.admin_db.unscoped_session() as session:
        admin = session.scalars(
            select(User).where(User.email == "admin@acme.example")
        ).one()
        caller = Caller(acme, admin.id, admin.role)
        dashboard_id = session.scalars(
            select(Dashboard.id).where(Dashboard.org_id == acme).order_by(Dashboard.id)
        ).first()
    for number in range(BURST):
        create_schedule(
            ctx,
            caller,
            {
                "name": f"Burst {number:02d}",
                "dashboard_id": dashboard_id,
                "frequency": "daily",
                "schedule_config": {"time": "09:00", "timezone": "UTC"},
                "recipients": [f"reader{number:02d}@acme.example"],
                "format": "csv",
            },
        )
    minute = utcnow().replace(second=0, microsecond=0)
    with ctx.admin_db.engine.begin() as connection:
        connection.execute(
            text("UPDATE report_schedules SET next_run_at = :m"), {"m": minute}
        )
    yield {"db": database, "ctx": ctx, "acme": acme, "minute": minute}
    ctx.dispose()
    database.drop()


def start_scheduler(database: PostgresDatabase, smtp_url: str, **env: str):
    """A scheduler process (the ``report_deliveries`` job in a loop), on its own."""
    environment = {
        **os.environ,
        "PULSE_DATABASE_URL": database.app_url,
        "PULSE_ADMIN_DATABASE_URL": database.admin_url,
        "PULSE_SECRET_KEY": TEST_SECRET,
        "PULSE_ENV": "test",
        "PULSE_CACHE_TYPE": "simple",
        "SMTP_URL": smtp_url,
        **env,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "tests.integration.scheduler.report_worker", "90"],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(process: subprocess.Popen) -> str:
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err[-2000:]
    return out


def assert_each_report_arrived_once(smtp: SmtpServer, burst) -> None:
    messages = smtp.inbox.wait_for(BURST)
    subjects = Counter(m["Subject"].split(":")[0] for m in messages)
    assert subjects == Counter(f"Burst {n:02d}" for n in range(BURST))
    assert len({m["Message-ID"] for m in messages}) == BURST
    with burst["ctx"].db.session(burst["acme"]) as session:
        rows = session.scalars(select(ReportDelivery)).all()
    assert len(rows) == BURST
    assert {(r.status, r.scheduled_for) for r in rows} == {("sent", burst["minute"])}


@pytest.mark.postgres
def test_two_scheduler_processes_deliver_each_report_once(burst):
    with SmtpServer() as smtp:
        first = start_scheduler(burst["db"], smtp.url)
        second = start_scheduler(burst["db"], smtp.url)
        outputs = [finish(first), finish(second)]
        assert_each_report_arrived_once(smtp, burst)
        # Both did part of the work, or one did it all: never more than 20 in total.
        assert sum(int(o.split()[-1]) for o in outputs) == BURST


@pytest.mark.postgres
def test_a_scheduler_killed_mid_burst_and_restarted_delivers_each_report_once(
    burst,
):
    with SmtpServer() as smtp:
        # The 6th message is held in the middle of its SMTP session (before the
        # server accepts it) while the scheduler sending it is killed.
        smtp.inbox.hold_at_recipient = 6
        killed = start_scheduler(burst["db"], smtp.url)
        assert smtp.inbox.held.wait(60), "the burst never reached the 6th message"
        killed.kill()
        killed.wait(10)
        smtp.inbox.release.set()
        assert len(smtp.inbox.messages) == 5
        # Its row stays "running" until the lease ends; the new process takes it.
        restarted = start_scheduler(
            burst["db"], smtp.url, PULSE_REPORT_LEASE_SECONDS="2"
        )
        finish(restarted)
        assert_each_report_arrived_once(smtp, burst)
    with burst["ctx"].db.session(burst["acme"]) as session:
        attempts = Counter(session.scalars(select(ReportDelivery.attempts)))
    assert attempts == Counter({1: BURST - 1, 2: 1})
