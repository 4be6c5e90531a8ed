"""One scheduler process of the exactly-once tests, run as its own OS process.

It runs the ``report_deliveries`` job the way the scheduler runs it every minute
(:func:`scheduler.runner.run_job`, for every org) over and over, until no delivery is
left to do or ``seconds`` have passed. It takes no single-instance lock: the tests run
two at once to show that the delivery key alone keeps a report from going out twice.
Settings come from the environment (``PULSE_DATABASE_URL``, ``SMTP_URL``, ...).

    python -m tests.integration.scheduler.report_worker SECONDS
"""

from __future__ import annotations

import sys
import time

from sqlalchemy import text

from core.settings import load_settings
from scheduler.context import JobContext
from scheduler.jobs import job
from scheduler.runner import run_job


def open_deliveries(ctx: JobContext) -> int:
    with ctx.admin_db.engine.connect() as connection:
        return connection.execute(
            text(
                "SELECT count(*) FROM report_deliveries "
                "WHERE status IN ('pending', 'running', 'retrying')"
            )
        ).scalar_one()


def main(seconds: float) -> None:
    ctx = JobContext.from_settings(load_settings())
    definition = job("report_deliveries")
    deadline = time.monotonic() + seconds
    sent = 0
    try:
        while time.monotonic() < deadline:
            for run in run_job(ctx, definition):
                sent += run.summary.get("sent", 0)
            if open_deliveries(ctx) == 0:
                break
            time.sleep(0.1)
    finally:
        ctx.dispose()
    print(f"sent {sent}", flush=True)


if __name__ == "__main__":
    main(float(sys.argv[1]))
