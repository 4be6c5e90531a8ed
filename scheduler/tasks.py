"""What the jobs do, for one org each: thin adapters onto the commands.

A task returns a JSON-able summary for its ``job_runs`` row. The commands invalidate
the org's cache after changing what a dashboard shows (campaign pauses, budgets,
analytics).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from commands.alerts import run_alerts
from commands.analytics import run_queued_analytics, run_scheduled_analytics
from commands.automation import run_automation_rules
from commands.report_schedules import run_due_reports
from commands.retention import apply_retention
from commands.snapshots import apply_snapshot_retention
from scheduler.context import JobContext


def analytics(ctx: JobContext, org_id: int) -> dict[str, Any]:
    """Forecasts, anomalies, trends and recommendations for the org."""
    return run_scheduled_analytics(ctx, org_id)


def queued_analytics(ctx: JobContext, org_id: int) -> dict[str, Any]:
    """Run analytics only if an ingest queued this org since the last run."""
    return run_queued_analytics(ctx, org_id)


def automation_rules(ctx: JobContext, org_id: int) -> dict[str, Any]:
    """Evaluate the org's automation rules and apply their actions."""
    return run_automation_rules(ctx, org_id, settings=ctx.settings)


def retention(ctx: JobContext, org_id: int) -> dict[str, Any]:
    """Purge the org's expired raw facts, audit rows and job runs, and the sign-in
    sessions that are over (audited)."""
    lifetime = dt.timedelta(hours=ctx.settings.session_max_hours)
    return apply_retention(ctx, org_id, session_lifetime=lifetime)


def snapshot_retention(ctx: JobContext, org_id: int) -> dict[str, Any]:
    """Delete the org's snapshots past its snapshot retention (audited); skipped
    when the org keeps them forever."""
    return apply_snapshot_retention(ctx, org_id)


def report_deliveries(ctx: JobContext, org_id: int) -> dict[str, Any]:
    """Claim the org's scheduled reports that are due and deliver them (see
    :mod:`commands.report_schedules`)."""
    return run_due_reports(ctx, ctx.settings, org_id)


def alerts(ctx: JobContext, org_id: int) -> dict[str, Any]:
    """Evaluate the org's alerts and send what fired or resolved (see
    :mod:`commands.alerts`)."""
    summary = run_alerts(ctx.db, ctx.settings, org_id)
    if summary.get("changes") or summary.get("broken"):
        # The dashboards' anomaly lists show the firing alerts.
        ctx.data.invalidate_org(org_id)
    return summary
