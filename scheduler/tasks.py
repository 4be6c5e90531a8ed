"""What the jobs do, for one org each: thin adapters onto the data layer.

A task returns a JSON-able summary for its ``job_runs`` row. Tasks that change data a
dashboard shows (campaign pauses, budgets, analytics) invalidate the org's cache.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from core.models import AnalyticsRefresh
from scheduler.context import JobContext


def analytics(ctx: JobContext, org_id: int) -> dict[str, Any]:
    from analytics.runner import run_analytics

    summary = run_analytics(ctx.db, org_id)
    ctx.data.invalidate_org(org_id)
    return summary


def queued_analytics(ctx: JobContext, org_id: int) -> dict[str, Any]:
    """Run analytics only if an ingest queued this org since the last run."""
    with ctx.db.session(org_id) as session:
        queued = session.scalars(select(AnalyticsRefresh)).one_or_none()
        if queued is None:
            return {"skipped": "nothing queued"}
        days = {
            "first_day": queued.first_day.isoformat(),
            "last_day": queued.last_day.isoformat(),
        }
    return {**analytics(ctx, org_id), **days}


def automation_rules(ctx: JobContext, org_id: int) -> dict[str, Any]:
    from automation.rules import evaluate_rules

    org = ctx.data.org_context(org_id)
    with ctx.db.session(org_id) as session:
        summary = evaluate_rules(session, org)
    ctx.data.invalidate_org(org_id)
    return summary
