"""Re-running an org's analytics (forecasts, anomalies, trends, recommendations).

The scheduler runs them every night and after an ingest queued the org
(:func:`run_scheduled_analytics`, :func:`run_queued_analytics`); an editor or admin can
ask for a run now (:func:`run_org_analytics`, audited). Every run makes the org's
cached figures stale, since the widgets show what the run stored.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from accounts import audit
from accounts.permissions import Caller, Permission, require
from analytics.runner import run_analytics
from commands.context import CommandContext
from core.models import AnalyticsRefresh


def run_scheduled_analytics(context: CommandContext, org_id: int) -> dict[str, Any]:
    """Run the org's analytics for a job (no person asked) and invalidate its cache.

    Returns:
        The run's summary: the ``as_of`` day and counts per analytic.
    """
    summary = run_analytics(context.db, org_id)
    context.data.invalidate_org(org_id)
    return summary


def run_queued_analytics(context: CommandContext, org_id: int) -> dict[str, Any]:
    """Run the org's analytics only if an ingest queued it since the last run.

    Returns:
        ``{"skipped": "nothing queued"}``, or the run's summary with the ``first_day``
        and ``last_day`` the queue held.
    """
    with context.db.session(org_id) as session:
        queued = session.scalars(select(AnalyticsRefresh)).one_or_none()
        if queued is None:
            return {"skipped": "nothing queued"}
        days = {
            "first_day": queued.first_day.isoformat(),
            "last_day": queued.last_day.isoformat(),
        }
    return {**run_scheduled_analytics(context, org_id), **days}


def run_org_analytics(context: CommandContext, caller: Caller) -> dict[str, Any]:
    """Run the caller's org's analytics now, audited, and invalidate its cache.

    Raises:
        PermissionDenied: the caller may not re-run the analytics.
    """
    require(caller, Permission.DECIDE, "re-run the analytics")
    summary = run_analytics(context.db, caller.org_id)
    with context.db.session(caller.org_id) as session:
        audit.record(session, "run", "analytics", None, caller=caller, details=summary)
    context.data.invalidate_org(caller.org_id)
    return summary
