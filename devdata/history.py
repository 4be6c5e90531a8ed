"""An org's operational history: automation rules that ran, platforms that synced.

Rules with their executions over the last :data:`EXECUTION_DAYS` (mostly successful,
some skipped or failed with the error a real platform gives), and one connection per
ad platform with hourly sync runs, API-call usage against its rate limit and the errors
behind the failures over the last :data:`PLATFORM_HISTORY_DAYS`. Each org has one
broken connection (its token expired hours ago), one whose token expires in a few days
and one that runs hot against its rate limit, as the platform-health pages expect.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import numpy as np

from core.models import AutomationRule, PlatformConnection
from core.reference import PLATFORMS
from devdata.grid import HourGrid, local_date
from devdata.plan import HOUR_CURVES, PLATFORM_PROFILES, CampaignPlan, OrgSpec

EXECUTION_DAYS = 60
PLATFORM_HISTORY_DAYS = 14

PLATFORM_ERRORS: dict[str, tuple[str, str]] = {
    "RATE_LIMIT": (
        "warning",
        "429 Too Many Requests: hourly rate limit reached, retrying after 60 s",
    ),
    "TOKEN_EXPIRED": (
        "critical",
        "401 Unauthorized: the access token has expired; reconnect the account",
    ),
    "TIMEOUT": ("warning", "Request timed out after 30 s fetching hourly insights"),
    "INVALID_PARAM": (
        "error",
        "400 Bad Request: invalid parameter 'breakdowns' for this report level",
    ),
    "SERVER_ERROR": (
        "warning",
        "503 Service Unavailable: the platform API is temporarily unavailable",
    ),
}


def automation_rules(spec: OrgSpec) -> list[dict[str, Any]]:
    """The org's automation rules (as ``AutomationRule`` keyword arguments)."""
    admin = f"admin@{spec.slug}.example"
    rules = [
        (
            "Pause high-CPA campaigns",
            "active",
            {
                "metric": "cpa",
                "operator": ">",
                "threshold": spec.cpa_threshold,
                "window": "7d",
            },
            {"type": "pause"},
            {"platforms": ["meta", "google", "tiktok", "snapchat"]},
        ),
        (
            "Scale winners",
            "active" if spec.slug == "acme" else "paused",
            {"metric": "roas", "operator": ">", "threshold": 4, "window": "7d"},
            {"type": "budget_adjust", "percent": 15, "max_daily_budget": 2500},
            {},
        ),
        (
            "Notify on spend spike",
            "active",
            {
                "metric": "spend_change_pct",
                "operator": ">",
                "threshold": 50,
                "window": "1d",
            },
            {"type": "notify", "channels": ["email"], "recipients": [admin]},
            {},
        ),
        (
            "Trim budget on low ROAS",
            "active",
            {"metric": "roas", "operator": "<", "threshold": 1.0, "window": "14d"},
            {"type": "budget_adjust", "percent": -20},
            {"objectives": ["sales"]},
        ),
        (
            "Alert on conversion drop",
            "active",
            {
                "metric": "conversions_change_pct",
                "operator": "<",
                "threshold": -40,
                "window": "1d",
            },
            {"type": "notify", "channels": ["email"], "recipients": [admin]},
            {},
        ),
        (
            "Pause zero-conversion spenders",
            "paused",
            {
                "metric": "conversions",
                "operator": "==",
                "threshold": 0,
                "window": "3d",
                "min_spend": 500,
            },
            {"type": "pause"},
            {},
        ),
    ]
    return [
        {
            "name": name,
            "status": status,
            "condition": condition,
            "action": action,
            "scope": scope,
        }
        for name, status, condition, action, scope in rules
    ]


def execution_rows(
    spec: OrgSpec,
    org_id: int,
    rules: list[AutomationRule],
    plans: list[CampaignPlan],
    now: dt.datetime,
    window_days: int,
    pyrng: random.Random,
) -> list[dict[str, Any]]:
    """Executions of the org's rules over the last :data:`EXECUTION_DAYS`.

    A couple of hundred at the spec's ``execution_rate`` of 1, mostly successful, each
    on a campaign the rule covers that delivered that day. Sets each rule's
    ``last_run_at``.

    Args:
        spec: the org.
        org_id: its id.
        rules: its rules, flushed (their ids are set).
        plans: its campaigns, written (their ids are set).
        now: the end of the history, naive UTC.
        window_days: days of history the org has; executions stay inside it.
        pyrng: the org's stream for choices.

    Returns:
        ``automation_executions`` rows, oldest first.
    """
    span_hours = min(EXECUTION_DAYS, window_days) * 24
    rows: list[dict[str, Any]] = []
    weights = {"pause": 30, "budget_adjust": 45, "notify": 40}
    for rule in rules:
        action = rule.action["type"]
        in_scope = [p for p in plans if _rule_applies(rule, p)] or plans
        # A paused rule stopped running some days ago.
        paused_hours = (
            pyrng.randint(span_hours // 6, span_hours // 3)
            if rule.status == "paused"
            else 0
        )
        count = max(
            3,
            round(
                weights[action]
                * span_hours
                / (EXECUTION_DAYS * 24)
                * pyrng.uniform(0.7, 1.3)
                * spec.execution_rate
            ),
        )
        times = sorted(
            now
            - dt.timedelta(
                seconds=pyrng.randint(paused_hours * 3600, span_hours * 3600)
            )
            for _ in range(count)
        )
        # The campaigns delivering on a day, found once per day: a big account has
        # thousands of executions over hundreds of campaigns.
        live_on: dict[dt.date, list[CampaignPlan]] = {}
        for executed_at in times:
            local_day = local_date(executed_at, spec.timezone)
            if local_day not in live_on:
                live_on[local_day] = [
                    p for p in in_scope if p.start_date <= local_day <= p.last_delivery
                ]
            plan = pyrng.choice(live_on[local_day] or in_scope)
            status = pyrng.choices(
                ("success", "failed", "skipped"), (0.86, 0.07, 0.07)
            )[0]
            details, error = _execution_details(rule, plan, status, pyrng)
            rows.append(
                {
                    "org_id": org_id,
                    "rule_id": rule.id,
                    "campaign_id": plan.id,
                    "executed_at": executed_at,
                    "status": status,
                    "action_taken": action,
                    "details": details,
                    "error": error,
                }
            )
        rule.last_run_at = (
            times[-1]
            if rule.status == "paused"
            else now - dt.timedelta(minutes=pyrng.randint(3, 55))
        )
    rows.sort(key=lambda row: row["executed_at"])
    return rows


def _rule_applies(rule: AutomationRule, plan: CampaignPlan) -> bool:
    """Whether a rule's scope covers the campaign and its condition plausibly fires."""
    scope, condition = rule.scope, rule.condition
    if "platforms" in scope and plan.platform not in scope["platforms"]:
        return False
    if "objectives" in scope and plan.objective not in scope["objectives"]:
        return False
    threshold = float(condition["threshold"])
    if condition["metric"] == "cpa":
        return plan.objective != "awareness" and plan.expected_cpa > 0.8 * threshold
    if condition["metric"] == "roas":
        if condition["operator"] == ">":
            return plan.expected_roas > 0.8 * threshold
        return plan.expected_roas < 1.5 * threshold
    return True


def _execution_details(
    rule: AutomationRule, plan: CampaignPlan, status: str, pyrng: random.Random
) -> tuple[dict[str, Any], str | None]:
    condition, action = rule.condition, rule.action
    threshold = float(condition["threshold"])
    metric = condition["metric"]
    details: dict[str, Any] = {
        "metric": metric,
        "threshold": threshold,
        "window": condition["window"],
    }
    if metric in ("cpa", "roas"):
        over = pyrng.uniform(1.05, 1.6)
        value = threshold * over if condition["operator"] == ">" else threshold / over
    elif metric == "spend_change_pct":
        value = pyrng.uniform(55, 220)
        details["spend"] = round(
            plan.daily_budget * pyrng.uniform(0.5, 0.8) * (1 + value / 100), 2
        )
    elif metric == "conversions_change_pct":
        value = -pyrng.uniform(42, 95)
        details["conversions"] = pyrng.randint(0, 12)
    else:
        value = 0
        details["spend"] = round(pyrng.uniform(500, 1500), 2)
    details["metric_value"] = round(value, 2)
    if action["type"] == "budget_adjust":
        percent = action["percent"]
        details.update(
            old_budget=plan.daily_budget,
            percent=percent,
            new_budget=round(plan.daily_budget * (1 + percent / 100), 2),
        )
    elif action["type"] == "notify":
        details["recipients"] = action.get("recipients", [])
    if status == "skipped":
        details["reason"] = pyrng.choice(
            {
                "pause": ("campaign already paused", "cooldown active"),
                "budget_adjust": (
                    "budget already at the rule's limit",
                    "cooldown active",
                ),
                "notify": ("duplicate alert suppressed", "cooldown active"),
            }[action["type"]]
            + ("not enough data in the window",)
        )
        return details, None
    if status == "failed":
        platform = PLATFORMS[plan.platform]
        if action["type"] == "notify":
            return details, pyrng.choice(
                (
                    "SMTP server refused the connection (421 try again later)",
                    "Recipient address rejected: mailbox unavailable",
                )
            )
        return details, pyrng.choice(
            (
                f"{platform} API returned 400: daily budget below the platform minimum"
                if action["type"] == "budget_adjust"
                else f"{platform} API returned 400: campaign is locked while under "
                "review",
                f"{platform} access token expired; reconnect the account",
                f"Timed out after 30 s waiting for {platform}",
            )
        )
    return details, None


def platform_connections(
    spec: OrgSpec,
    org_id: int,
    now: dt.datetime,
    created_at: dt.datetime,
    pyrng: random.Random,
) -> dict[str, PlatformConnection]:
    """One connection per ad platform, not yet added to a session.

    The spec's ``error_platform`` connection is in error and its
    ``expiring_platform`` token expires in a few days; the others last a month or two.
    """
    connections: dict[str, PlatformConnection] = {}
    for platform, label in PLATFORMS.items():
        if platform == spec.expiring_platform:
            expires = now + dt.timedelta(days=pyrng.uniform(1.5, 4.5))
        else:
            expires = now + dt.timedelta(days=pyrng.uniform(30, 60))
        connections[platform] = PlatformConnection(
            org_id=org_id,
            platform=platform,
            account_name=f"{spec.name} – {label} Ads",
            status="error" if platform == spec.error_platform else "active",
            token_expires_at=expires.replace(second=0, microsecond=0),
            rate_limit_limit=PLATFORM_PROFILES[platform].rate_limit,
            created_at=created_at,
        )
    return connections


def platform_records(
    spec: OrgSpec,
    org_id: int,
    connections: dict[str, PlatformConnection],
    plans: list[CampaignPlan],
    now: dt.datetime,
    window_days: int,
    rng: np.random.Generator,
    pyrng: random.Random,
) -> tuple[list[dict], list[dict], list[dict]]:
    """Hourly sync runs, hourly API-call usage and the errors behind the failures.

    Sets each connection's last sync (and the broken one's expired token).

    Args:
        spec: the org.
        org_id: its id.
        connections: its :func:`platform_connections`, flushed (their ids are set).
        plans: its campaigns (a platform with more of them syncs more records).
        now: the end of the history, naive UTC.
        window_days: days of history the org has; the records stay inside it.
        rng: the org's numpy stream.
        pyrng: the org's stream for choices.

    Returns:
        ``(platform_sync_runs, platform_api_calls, platform_errors)`` rows.
    """
    hours = min(PLATFORM_HISTORY_DAYS, window_days) * 24
    grid = HourGrid.build(now - dt.timedelta(hours=hours), hours, spec.timezone)
    curve = HOUR_CURVES["search"][grid.local_hour]
    curve = curve / curve.max()
    sync_rows: list[dict] = []
    call_rows: list[dict] = []
    error_rows: list[dict] = []
    for platform, connection in connections.items():
        cid = connection.id
        broken = platform == spec.error_platform
        # The broken connection's token expired a few hours ago; every sync since
        # then has failed.
        broken_since = hours - pyrng.randint(5, 9) if broken else hours
        if broken:
            connection.token_expires_at = grid.hours[broken_since] - dt.timedelta(
                minutes=pyrng.randint(5, 50)
            )
        campaigns_here = sum(p.platform == platform for p in plans)
        for i, hour in enumerate(grid.hours):
            started = hour + dt.timedelta(
                minutes=pyrng.randint(0, 9), seconds=pyrng.randint(0, 59)
            )
            # Only the broken connection's latest sync failed, so exactly one
            # connection per org reports a failed last sync.
            failed = i >= broken_since or (i < hours - 1 and pyrng.random() < 0.02)
            finished = started + dt.timedelta(seconds=pyrng.randint(15, 240))
            if failed:
                code = (
                    "TOKEN_EXPIRED"
                    if i >= broken_since
                    else pyrng.choice(("TIMEOUT", "SERVER_ERROR", "RATE_LIMIT"))
                )
                severity, message = PLATFORM_ERRORS[code]
                error_rows.append(
                    {
                        "org_id": org_id,
                        "connection_id": cid,
                        "occurred_at": finished,
                        "error_code": code,
                        "message": message,
                        "severity": severity,
                    }
                )
                error = f"{code}: {message}"
            else:
                error = None
            sync_rows.append(
                {
                    "org_id": org_id,
                    "connection_id": cid,
                    "started_at": started,
                    "finished_at": finished,
                    "status": "failed" if failed else "success",
                    "records_synced": 0
                    if failed
                    else int(rng.poisson(30 + 45 * max(campaigns_here, 1))),
                    "error": error,
                }
            )
        last = sync_rows[-1]
        connection.last_sync_at = last["finished_at"]
        connection.last_sync_status = last["status"]

        limit = connection.rate_limit_limit
        if platform == spec.hot_platform:
            # Running hot: 85-95% of the hourly quota most of the day.
            utilisation = np.clip(
                0.85 + 0.08 * curve + rng.normal(0, 0.015, hours), 0.8, 0.95
            )
            error_rate = 0.015
        else:
            utilisation = (
                pyrng.uniform(0.12, 0.45) * curve * rng.lognormal(0, 0.1, hours)
            )
            error_rate = 0.003
        calls = np.minimum(np.round(utilisation * limit), limit).astype(int)
        if broken:
            calls[broken_since:] = rng.integers(20, 60, hours - broken_since)
        errors = rng.binomial(calls, error_rate)
        if broken:
            errors[broken_since:] = calls[broken_since:]
        for hour, call_count, error_count in zip(
            grid.hours, calls.tolist(), errors.tolist(), strict=True
        ):
            call_rows.append(
                {
                    "org_id": org_id,
                    "connection_id": cid,
                    "hour_utc": hour,
                    "call_count": call_count,
                    "error_count": error_count,
                    "rate_limit_used": call_count,
                }
            )

        # Errors that did not fail a sync: throttling on the hot connection, the odd
        # bad request elsewhere.
        hot = platform == spec.hot_platform
        for _ in range(pyrng.randint(12, 20) if hot else pyrng.randint(1, 4)):
            if hot and pyrng.random() < 0.8:
                code = "RATE_LIMIT"
            else:
                code = pyrng.choice(("INVALID_PARAM", "TIMEOUT"))
            severity, message = PLATFORM_ERRORS[code]
            error_rows.append(
                {
                    "org_id": org_id,
                    "connection_id": cid,
                    "occurred_at": now
                    - dt.timedelta(seconds=pyrng.randint(60, hours * 3600)),
                    "error_code": code,
                    "message": message,
                    "severity": severity,
                }
            )
    error_rows.sort(key=lambda row: row["occurred_at"])
    return sync_rows, call_rows, error_rows
