"""``python -m scheduler``: the one scheduler process.

    python -m scheduler                          # run every job on its schedule
    python -m scheduler list                     # the jobs and their triggers
    python -m scheduler run JOB [--org SLUG]     # run a job now, log it, print the outcome
    python -m scheduler history [--org SLUG]     # the latest runs

Start exactly one; a second one refuses to start (a database lock), so web workers can
scale without jobs running twice.
"""

from __future__ import annotations

import argparse
import logging
import sys

from sqlalchemy import select

from core.models import JobRun, Org
from core.settings import ConfigurationError, load_settings
from scheduler.context import JobContext
from scheduler.jobs import JOBS, job
from scheduler.process import JOB_DEFAULTS, add_jobs
from scheduler.runner import SingleInstanceLock, run_job

log = logging.getLogger("scheduler")


def _org_id(ctx: JobContext, slug: str | None) -> int | None:
    if slug is None:
        return None
    with ctx.admin_db.unscoped_session() as session:
        org_id = session.scalars(select(Org.id).where(Org.slug == slug)).one_or_none()
    if org_id is None:
        raise LookupError(f"no org with slug {slug!r}")
    return org_id


def serve(ctx: JobContext) -> int:
    from apscheduler.schedulers.blocking import BlockingScheduler

    lock = SingleInstanceLock(ctx)
    if not lock.acquire():
        print(
            "another scheduler is already running against this database; not starting",
            file=sys.stderr,
        )
        return 3
    scheduler = BlockingScheduler(timezone="UTC", job_defaults=JOB_DEFAULTS)
    add_jobs(scheduler, ctx)
    log.info("scheduler started with %d jobs", len(JOBS))
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        lock.release()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m scheduler",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("list", help="list the jobs")
    run = commands.add_parser("run", help="run a job now")
    run.add_argument("job")
    run.add_argument("--org", help="org slug (default: every org)")
    history = commands.add_parser("history", help="latest job runs")
    history.add_argument("--org", required=True)
    history.add_argument("--limit", type=int, default=20)
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        settings = load_settings()
    except ConfigurationError as exc:
        print(exc, file=sys.stderr)
        return 2
    if args.command == "list":
        for definition in JOBS:
            print(
                f"{definition.name:<24} {definition.trigger}  {definition.description}"
            )
        return 0
    ctx = JobContext.from_settings(settings)
    try:
        if args.command == "run":
            runs = run_job(
                ctx, job(args.job), org_id=_org_id(ctx, args.org), trigger="manual"
            )
            for item in runs:
                print(
                    f"org {item.org_id}: {item.job} {item.status} {item.summary or ''}"
                    f"{(' ' + item.error.splitlines()[0]) if item.error else ''}"
                )
            return 0 if all(r.status != "failed" for r in runs) else 1
        if args.command == "history":
            org = _org_id(ctx, args.org)
            with ctx.db.session(org) as session:
                for item in session.scalars(
                    select(JobRun).order_by(JobRun.id.desc()).limit(args.limit)
                ):
                    print(
                        f"{item.started_at:%Y-%m-%d %H:%M:%S} {item.job:<24} {item.status:<8} "
                        f"{item.summary or item.error or ''}"
                    )
            return 0
        return serve(ctx)
    except (KeyError, LookupError) as exc:
        print(f"error: {exc.args[0]}", file=sys.stderr)
        return 2
    finally:
        ctx.dispose()


if __name__ == "__main__":
    sys.exit(main())
