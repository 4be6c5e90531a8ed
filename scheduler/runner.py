"""Run a job for one org or for every org, logging each run in ``job_runs``.

A run's row is written as ``running`` before the work starts and finished as
``success`` (with the task's summary) or ``failed`` (with the error), so a user can see
what ran, when, and why something did not happen.
"""

from __future__ import annotations

import fcntl
import importlib
import logging
import traceback
from pathlib import Path
from typing import Any

from sqlalchemy import exc as sa_exc
from sqlalchemy import select, text

from core.db import is_unavailable
from core.models import JobRun, Org, utcnow
from scheduler.context import JobContext
from scheduler.jobs import JobDefinition

log = logging.getLogger(__name__)


def resolve(path: str):
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


def org_ids(ctx: JobContext) -> list[int]:
    """Every org, read with the owner role (the app role sees one org at a time)."""
    with ctx.admin_db.unscoped_session() as session:
        return list(session.scalars(select(Org.id).order_by(Org.id)))


def recent_runs(ctx: JobContext, org_id: int, limit: int = 20) -> list[str]:
    """The org's latest job runs, newest first, one line each (``pulse scheduler
    history``)."""
    with ctx.db.session(org_id) as session:
        runs = session.scalars(select(JobRun).order_by(JobRun.id.desc()).limit(limit))
        return [
            f"{item.started_at:%Y-%m-%d %H:%M:%S} {item.job:<24} "
            f"{item.status:<8} {item.summary or item.error or ''}"
            for item in runs
        ]


def run_for_org(
    ctx: JobContext, job: JobDefinition, org_id: int, trigger: str = "schedule"
) -> JobRun:
    """Run ``job`` for one org and return its finished ``job_runs`` row (not
    stored for a job that logs its own work)."""
    if not job.logged:
        return _run_unlogged(ctx, job, org_id, trigger)
    with ctx.db.session(org_id) as session:
        run = JobRun(
            job=job.name, trigger=trigger, started_at=utcnow(), status="running"
        )
        session.add(run)
    try:
        summary: dict[str, Any] = resolve(job.func)(ctx, org_id) or {}
        # A task that did nothing says why with a "skipped" reason (counts are not
        # reasons).
        status = "skipped" if isinstance(summary.get("skipped"), str) else "success"
        error = None
    except Exception as exc:
        log.exception("job %s failed for org %s", job.name, org_id)
        summary, status = {}, "failed"
        error = f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=5)}"[:4000]
    with ctx.db.session(org_id) as session:
        run = session.get(JobRun, run.id)
        run.status, run.summary, run.error, run.finished_at = (
            status,
            _jsonable(summary),
            error,
            utcnow(),
        )
    return run


def _run_unlogged(
    ctx: JobContext, job: JobDefinition, org_id: int, trigger: str
) -> JobRun:
    """Run a job that logs its own work: its outcome as an unsaved ``JobRun``, for
    the command line to print. A failure is logged and does not stop other orgs."""
    started = utcnow()
    try:
        summary, status, error = resolve(job.func)(ctx, org_id) or {}, "success", None
    except Exception as exc:
        # A database that is down is the scheduler's to report (run_scheduled).
        if isinstance(exc, sa_exc.SQLAlchemyError) and is_unavailable(exc):
            raise
        log.exception("job %s failed for org %s", job.name, org_id)
        summary, status, error = {}, "failed", f"{type(exc).__name__}: {exc}"[:4000]
    return JobRun(
        org_id=org_id,
        job=job.name,
        trigger=trigger,
        started_at=started,
        finished_at=utcnow(),
        status=status,
        summary=_jsonable(summary),
        error=error,
    )


def run_job(
    ctx: JobContext,
    job: JobDefinition,
    *,
    org_id: int | None = None,
    trigger: str = "schedule",
) -> list[JobRun]:
    """Run ``job`` for ``org_id``, or for every org when it is ``None``."""
    targets = [org_id] if org_id is not None else org_ids(ctx)
    return [run_for_org(ctx, job, target, trigger) for target in targets]


def run_scheduled(
    ctx: JobContext, job: JobDefinition, lock: SingleInstanceLock | None = None
) -> None:
    """What the scheduler runs at each of a job's times: :func:`run_job` for every
    org, as long as this process still holds the single-instance lock.

    With the database down the run cannot even be logged in ``job_runs``: it is skipped
    with one warning line (not a traceback), and the scheduler runs the job again at
    its next time. Other errors propagate to APScheduler, which logs them and carries
    on.
    """
    try:
        if lock is not None and not lock.still_held():
            log.warning(
                "job %s not run: another scheduler took the lock while the database "
                "restarted",
                job.name,
            )
            return
        run_job(ctx, job)
    except sa_exc.SQLAlchemyError as exc:
        if not is_unavailable(exc):
            raise
        reason = str(getattr(exc, "orig", exc)).strip().splitlines()
        log.warning(
            "job %s not run: database unavailable (%s); it runs again at its next time",
            job.name,
            reason[0] if reason else type(exc).__name__,
        )


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


SCHEDULER_LOCK_ID = 0x50554C5345  # "PULSE"


class SingleInstanceLock:
    """Only one scheduler may run against a database.

    PostgreSQL: a session advisory lock held by a dedicated connection (released if the
    process dies). SQLite: an exclusive lock on a file beside the database.
    """

    def __init__(self, ctx: JobContext) -> None:
        self.ctx = ctx
        self._connection = None
        self._file = None

    def acquire(self) -> bool:
        if self.ctx.admin_db.dialect == "postgresql":
            self._connection = self.ctx.admin_db.engine.connect()
            got = self._connection.execute(
                text("SELECT pg_try_advisory_lock(:k)"), {"k": SCHEDULER_LOCK_ID}
            ).scalar()
            self._connection.commit()
            return bool(got)
        database = self.ctx.admin_db.engine.url.database or "pulse"
        self._file = open(Path(database).with_suffix(".scheduler.lock"), "w")  # noqa: SIM115
        try:
            fcntl.flock(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def still_held(self) -> bool:
        """Whether this process still holds the lock. A PostgreSQL restart ends the
        session that held it: then take it again, unless another scheduler took it in
        the meantime (raises while the database is still down)."""
        if self.ctx.admin_db.dialect != "postgresql":
            return self._file is not None
        if self._connection is not None:
            try:
                self._connection.execute(text("SELECT 1"))
                self._connection.commit()
                return True
            except sa_exc.DBAPIError as exc:
                if not is_unavailable(exc):
                    raise
            self._connection.close()
            self._connection = None
        if self.acquire():
            log.info("scheduler lock taken again after the database restarted")
            return True
        self.release()
        return False

    def release(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
        if self._file is not None:
            self._file.close()
            self._file = None
