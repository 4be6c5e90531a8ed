"""A burst of scheduled reports: ``pulse bench deliveries``.

N report schedules of the benchmark org, all due at the same minute, delivered by P
scheduler processes at once to a real SMTP server on loopback (aiosmtpd, a test
dependency). Each process is started and connected first, like a running scheduler,
then all run the ``report_deliveries`` job (what the scheduler runs every minute,
through :func:`scheduler.runner.run_job`) at the same moment. Measured: whether every
report arrived, whether any arrived twice, and the time from that moment until the
first and the last message arrived. Each process has its own in-process cache unless
``--redis-url`` is given, so the first report of each renders with a cold cache. The
schedules (and their deliveries) are deleted afterwards.
"""

from __future__ import annotations

import json
import os
import secrets
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from typing import Any

from sqlalchemy import update

from accounts.permissions import Caller
from bench.common import ROOT, BenchTarget, free_port, org_id_of
from bench.render import prepare
from commands.report_schedules import create_schedule, delete_schedule
from core.db import Database
from core.models import Org, ReportSchedule, utcnow
from core.settings import Settings, load_settings
from scheduler.context import JobContext
from scheduler.jobs import job
from scheduler.runner import run_job

NAME_PREFIX = "bench burst"


class _Arrivals:
    """aiosmtpd's handler: when each message arrived (monotonic) and its subject."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.arrivals: list[tuple[float, str]] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        subject = ""
        for line in envelope.content.decode("utf-8", "replace").splitlines():
            if line.lower().startswith("subject:"):
                subject = line.split(":", 1)[1].strip()
                break
        with self.lock:
            self.arrivals.append((time.monotonic(), subject))
        return "250 OK"


def measure_report_burst(
    target: BenchTarget, reports: int = 20, processes: int = 2, repeat: int = 3
) -> dict[str, Any]:
    """Run the burst ``repeat`` times; the figures of each run and their summary."""
    # aiosmtpd is a test dependency: only this benchmark needs it.
    from aiosmtpd.controller import Controller  # noqa: PLC0415

    admin = Database(target.owner_url)
    org_id = org_id_of(admin, target.org)
    # The Executive dashboard (made by `pulse bench render` too): what is reported.
    dashboard_id = prepare(admin, target.org, "executive")
    with admin.unscoped_session() as session:
        org = session.get(Org, org_id)
        assert org is not None
        domain = (org.allowed_recipient_domains or ["example.com"])[0]
    admin.dispose()
    secret = secrets.token_urlsafe(48)
    settings = Settings(
        database_url=target.database_url,
        admin_database_url=target.owner_url,
        secret_key=secret,
        cache_type="simple",
        env="test",
    )
    ctx = JobContext.from_settings(settings)
    caller = Caller(org_id, None, "admin")
    runs = []
    try:
        for _ in range(repeat):
            handler = _Arrivals()
            port = free_port()
            smtp = Controller(handler, hostname="127.0.0.1", port=port)
            smtp.start()
            ids = [
                create_schedule(
                    ctx,
                    caller,
                    {
                        "name": f"{NAME_PREFIX} {number:02d}",
                        "dashboard_id": dashboard_id,
                        "frequency": "daily",
                        "schedule_config": {"time": "09:00", "timezone": "UTC"},
                        "recipients": [f"reader{number:02d}@{domain}"],
                        "format": "csv",
                    },
                ).schedule.id
                for number in range(reports)
            ]
            try:
                runs.append(
                    _burst(ctx, target, org_id, ids, handler, port, processes, secret)
                )
            finally:
                smtp.stop()
                for schedule_id in ids:
                    delete_schedule(ctx, caller, schedule_id)
    finally:
        ctx.dispose()
    last = [run["last_arrival_s"] for run in runs]
    return {
        "reports": reports,
        "processes": processes,
        "format": "csv",
        "runs": runs,
        "all_delivered": all(run["delivered"] == reports for run in runs),
        "duplicates": sum(run["duplicates"] for run in runs),
        "last_arrival_s": {
            "min": min(last),
            "median": statistics.median(last),
            "max": max(last),
        },
    }


def _burst(
    ctx: JobContext,
    target: BenchTarget,
    org_id: int,
    schedule_ids: list[int],
    handler: _Arrivals,
    port: int,
    processes: int,
    secret: str,
) -> dict[str, Any]:
    minute = utcnow().replace(second=0, microsecond=0)
    with ctx.db.session(org_id) as session:
        session.execute(
            update(ReportSchedule)
            .where(ReportSchedule.id.in_(schedule_ids))
            .values(next_run_at=minute)
            .execution_options(synchronize_session=False)
        )
    env = {
        **os.environ,
        "PULSE_DATABASE_URL": target.database_url,
        "PULSE_ADMIN_DATABASE_URL": target.owner_url,
        "PULSE_SECRET_KEY": secret,
        "PULSE_CACHE_TYPE": "redis" if target.redis_url else "simple",
        "PULSE_REDIS_URL": target.redis_url or "",
        "SMTP_URL": f"smtp://127.0.0.1:{port}",
    }
    command = [sys.executable, "-m", "bench.deliveries", target.org]
    workers = [
        subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(processes)
    ]
    for worker in workers:
        assert worker.stdout is not None
        if worker.stdout.readline().strip() != "ready":
            raise SystemExit(f"a scheduler process did not start:\n{worker.stderr}")
    started = time.monotonic()
    outputs = [worker.communicate("go\n", timeout=600) for worker in workers]
    failed = [
        err
        for worker, (_, err) in zip(workers, outputs, strict=True)
        if worker.returncode
    ]
    if failed:
        raise SystemExit(f"a scheduler process failed:\n{failed[0][-2000:]}")
    with handler.lock:
        arrivals = list(handler.arrivals)
    subjects = Counter(subject.split(":")[0] for _, subject in arrivals)
    return {
        "delivered": len(subjects),
        "messages": len(arrivals),
        "duplicates": sum(count - 1 for count in subjects.values()),
        "first_arrival_s": round(min(t for t, _ in arrivals) - started, 3)
        if arrivals
        else None,
        "last_arrival_s": round(max(t for t, _ in arrivals) - started, 3)
        if arrivals
        else None,
        "per_process": [
            out.strip().splitlines()[-1] if out.strip() else "" for out, _ in outputs
        ],
    }


def _scheduler_process(org_slug: str) -> None:
    """One scheduler process: connect, say ``ready``, wait for a line on stdin, then
    run the ``report_deliveries`` job for the org once and print its summary."""
    settings = load_settings()
    ctx = JobContext.from_settings(settings)
    org_id = org_id_of(ctx.admin_db, org_slug)
    definition = job("report_deliveries")
    with ctx.db.session(org_id):
        pass  # the pool's first connection, as a running scheduler has it
    print("ready", flush=True)
    sys.stdin.readline()
    [run] = run_job(ctx, definition, org_id=org_id)
    ctx.dispose()
    print(json.dumps(run.summary), flush=True)


if __name__ == "__main__":
    _scheduler_process(sys.argv[1])
