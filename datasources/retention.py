"""Purging an org's expired raw facts, audit rows and job runs (and the rows of
sign-in sessions that are over).

Each org keeps its hourly facts ``retention_raw_days``, its audit rows
``retention_audit_days`` and its job runs ``retention_job_runs_days`` (columns of
``orgs``). :func:`purge_expired` deletes what is older, for the daily ``retention``
job; the command around it (:mod:`commands.retention`) audits the run.

**The rollups are never purged.** ``metric_facts_daily``, the two platform rollups and
``campaign_totals`` keep every day, so every day- and week-level figure (and budget
pacing) stays what it was. Three rules keep a purge from corrupting them later:

* a purge that deletes facts records, in ``orgs.raw_purged_before``, the day after the
  latest day it deleted from (it only moves forward, so raising the retention later
  does not reopen purged days);
* ingest refuses rows of org-local days before it (:func:`raw_horizon`): an ingest
  rebuilds, or on PostgreSQL adds its differences to, the rollups of the days it
  touches from the raw rows, which for a purged day would drop, or double, the purged
  facts. Days after it still hold all their raw rows, so ingesting there is exact even
  when they are past the retention period (the next purge removes the raw rows, and
  the rollups keep them);
* :func:`datasources.rollups.refresh_daily_rollup` rebuilds nothing before it.

The floor :data:`RAW_RETENTION_FLOOR_DAYS` keeps every window the product reads at hour
level from the raw table (automation rules' hour windows and their previous windows).
"""

from __future__ import annotations

import datetime as dt
import typing
from dataclasses import dataclass
from typing import Any

from sqlalchemy import CursorResult, delete, func, or_, select
from sqlalchemy.orm import Session

from automation.conditions import MAX_WINDOW
from core.models import AuditLog, JobRun, MetricFactHourly, Org, UserSession
from core.windows import org_today
from datasources.rollups import lock_org_facts

# Automation rules read hour windows of up to MAX_WINDOW["h"] hours (31 days) from the
# raw facts and compare them with the window before: 62 days, plus today.
RAW_RETENTION_FLOOR_DAYS = 2 * MAX_WINDOW["h"] // 24 + 1
AUDIT_RETENTION_FLOOR_DAYS = 30
JOB_RUNS_RETENTION_FLOOR_DAYS = 7
RETENTION_CEILING_DAYS = 3660
DEFAULT_RETENTION = {"raw_days": 400, "audit_days": 730, "job_runs_days": 90}


@dataclass(frozen=True)
class RawHorizon:
    """The first org-local day after an org's purged hourly facts: rows of earlier days
    may not be ingested."""

    first_day: dt.date
    retention_days: int

    def refusal(self, local_date: dt.date) -> str | None:
        """Why a fact of ``local_date`` may not be ingested (``None``: it may)."""
        if local_date >= self.first_day:
            return None
        return (
            f"older than this org's raw-data retention ({self.retention_days} days): "
            f"{local_date} is before {self.first_day}, and the hourly facts of those "
            "days have been purged; their daily figures are final"
        )


def raw_horizon(org: Org) -> RawHorizon | None:
    """The org's raw horizon: the day after its purged facts (``None`` while no fact
    has ever been purged)."""
    if org.raw_purged_before is None:
        return None
    return RawHorizon(org.raw_purged_before, org.retention_raw_days)


def purge_expired(
    session: Session,
    org_id: int,
    now: dt.datetime | None = None,
    session_lifetime: dt.timedelta | None = None,
) -> dict[str, Any]:
    """Delete the org's hourly facts, audit rows and job runs past their retention.

    Args:
        session: a session in the org's context; the caller owns the transaction.
        org_id: the org.
        now: the current time (naive UTC); defaults to now.
        session_lifetime: the longest a sign-in lasts (``PULSE_SESSION_MAX_HOURS``):
            sign-in sessions that began longer ago, or were signed out, are over and
            their rows go too; ``None`` leaves them.

    Returns:
        ``{"removed": {table: rows}, "cutoffs": {...}, "retention_days": {...},
        "raw_purged_before": day}``: hourly facts of org-local days before
        ``cutoffs["metric_facts_hourly"]`` (a date), audit rows and job runs created
        before their cut-off (UTC timestamps); ``raw_purged_before`` is the org's
        horizon after the purge (``None``: nothing ever purged).
    """
    now = (now or dt.datetime.now(dt.UTC)).replace(tzinfo=None)
    # Serialise with this org's ingests (PostgreSQL): none may write a day being purged.
    lock_org_facts(session, org_id)
    org = session.scalars(select(Org).where(Org.id == org_id)).one()
    today = org_today(org.timezone, now.replace(tzinfo=dt.UTC))
    raw_cutoff = today - dt.timedelta(days=org.retention_raw_days)
    audit_cutoff = now - dt.timedelta(days=org.retention_audit_days)
    runs_cutoff = now - dt.timedelta(days=org.retention_job_runs_days)
    expired_facts = (
        MetricFactHourly.org_id == org_id,
        MetricFactHourly.local_date < raw_cutoff,
    )
    latest_purged = session.scalar(
        select(func.max(MetricFactHourly.local_date)).where(*expired_facts)
    )
    removed = {
        "metric_facts_hourly": _delete(
            session,
            delete(MetricFactHourly).where(*expired_facts),
        ),
        "audit_log": _delete(
            session,
            delete(AuditLog).where(
                AuditLog.org_id == org_id, AuditLog.created_at < audit_cutoff
            ),
        ),
        "job_runs": _delete(
            session,
            delete(JobRun).where(
                JobRun.org_id == org_id, JobRun.started_at < runs_cutoff
            ),
        ),
    }
    if session_lifetime is not None:
        removed["user_sessions"] = _delete(
            session,
            delete(UserSession).where(
                UserSession.org_id == org_id,
                or_(
                    UserSession.ended_at.is_not(None),
                    UserSession.created_at < now - session_lifetime,
                ),
            ),
        )
    if latest_purged is not None:
        # Days before this one now lack (some of) their raw rows: closed to ingest and
        # to rollup rebuilds. A purge that deleted nothing closes nothing.
        after = _as_date(latest_purged) + dt.timedelta(days=1)
        if org.raw_purged_before is None or org.raw_purged_before < after:
            org.raw_purged_before = after
    return {
        "removed": removed,
        "cutoffs": {
            "metric_facts_hourly": raw_cutoff.isoformat(),
            "audit_log": audit_cutoff.isoformat(timespec="seconds"),
            "job_runs": runs_cutoff.isoformat(timespec="seconds"),
        },
        "retention_days": {
            "raw": org.retention_raw_days,
            "audit": org.retention_audit_days,
            "job_runs": org.retention_job_runs_days,
        },
        "raw_purged_before": org.raw_purged_before.isoformat()
        if org.raw_purged_before
        else None,
    }


def _as_date(value: Any) -> dt.date:
    """A date as the driver returns it (a ``date``, or ISO text on SQLite)."""
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def _delete(session: Session, statement) -> int:
    result = typing.cast(
        CursorResult[Any],
        session.execute(statement.execution_options(synchronize_session=False)),
    )
    return max(result.rowcount or 0, 0)
