"""The ``automation_rules`` and ``automation_executions`` data sources.

Counts are aggregated in SQL over the executions of the window; org-local days are
assigned in SQL by the UTC bounds of each local day. Times are ISO strings in UTC
(``+00:00``) with an org-local twin (``*_local``, naive, like the campaign series).

The time helpers here (:func:`resolve_span`, :func:`local_day_bucket`, …) are shared
with the platform-health sources.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any, Literal, overload

from pydantic import Field, field_validator
from sqlalchemy import (
    Select,
    SQLColumnExpression,
    case,
    func,
    literal,
    select,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from automation.conditions import leaves
from automation.rules import RuleError, parse_rule
from core.filters import Filters, OrgContext
from core.models import AutomationExecution, AutomationRule, Campaign
from core.reference import PLATFORMS
from core.windows import DateWindow, filling_bucket, org_today, period_days, zone
from datasources.registry import QueryParams, register
from datasources.sources.campaigns import change_percent, trend_direction

HOURS_PATTERN = re.compile(r"^(\d{1,3})h$")
STATUSES = ("success", "failed", "skipped")
ACTIONS = ("pause", "budget_adjust", "notify")


# ------------------------------------------------------------------ shared time helpers
def validate_span(value: str) -> str:
    """A period like ``'30d'``, ``'last_7_days'`` or ``'24h'`` (1-744 hours)."""
    match = HOURS_PATTERN.match(value)
    if match:
        if not 1 <= int(match.group(1)) <= 744:
            raise ValueError(f"period {value!r}: hours must be 1-744")
        return value
    period_days(value)
    return value


def utc_bounds(window: DateWindow, timezone: str) -> tuple[dt.datetime, dt.datetime]:
    """Naive-UTC ``[start, end)`` of the org-local days of ``window``."""
    return day_start_utc(window.start, timezone), day_start_utc(
        window.end + dt.timedelta(days=1), timezone
    )


def day_start_utc(day: dt.date, timezone: str) -> dt.datetime:
    """The naive-UTC instant an org-local day begins (DST-correct)."""
    local = dt.datetime.combine(day, dt.time(), zone(timezone))
    return local.astimezone(dt.UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class Span:
    """A time range as naive-UTC ``[start, end)`` plus the org-local days it touches."""

    start: dt.datetime
    end: dt.datetime
    days: DateWindow

    def previous(self, timezone: str) -> Span:
        """The span of equal length just before: previous days, or previous hours."""
        if (self.start, self.end) == utc_bounds(self.days, timezone):
            return span_of_days(self.days.previous(), timezone)
        length = self.end - self.start
        return span_of_hours(self.start - length, self.start, timezone)

    def as_dict(self, timezone: str) -> dict[str, str]:
        return {
            "start": iso_utc(self.start),
            "end": iso_utc(self.end),
            "start_local": iso_local(self.start, timezone),
            "end_local": iso_local(self.end, timezone),
            "first_day": self.days.start.isoformat(),
            "last_day": self.days.end.isoformat(),
        }


def span_of_days(window: DateWindow, timezone: str) -> Span:
    start, end = utc_bounds(window, timezone)
    return Span(start, end, window)


def span_of_hours(start: dt.datetime, end: dt.datetime, timezone: str) -> Span:
    tz = zone(timezone)
    first = start.replace(tzinfo=dt.UTC).astimezone(tz).date()
    last = (
        (end - dt.timedelta(microseconds=1))
        .replace(tzinfo=dt.UTC)
        .astimezone(tz)
        .date()
    )
    return Span(start, end, DateWindow(first, last))


def resolve_span(
    org: OrgContext, period: str, filters: Filters, now: dt.datetime | None = None
) -> Span:
    """The dashboard's date range if set; else the widget's period: ``'24h'`` is the
    last 24 hours up to and including the running one, ``'30d'`` the last 30 org-local
    days ending today."""
    if filters.date_from and filters.date_to:
        return span_of_days(
            DateWindow(filters.date_from, filters.date_to), org.timezone
        )
    now = now or dt.datetime.now(dt.UTC)
    match = HOURS_PATTERN.match(period)
    if match:
        hour = now.astimezone(dt.UTC).replace(
            tzinfo=None, minute=0, second=0, microsecond=0
        )
        end = hour + dt.timedelta(hours=1)
        return span_of_hours(
            end - dt.timedelta(hours=int(match.group(1))), end, org.timezone
        )
    window = DateWindow.last_days(period_days(period), org_today(org.timezone, now))
    return span_of_days(window, org.timezone)


@overload
def iso_utc(moment: dt.datetime) -> str: ...
@overload
def iso_utc(moment: dt.datetime | None) -> str | None: ...
def iso_utc(moment: dt.datetime | None) -> str | None:
    """A naive-UTC timestamp as ISO 8601 with ``+00:00``."""
    return None if moment is None else moment.replace(tzinfo=dt.UTC).isoformat()


def to_local(moment: dt.datetime, timezone: str) -> dt.datetime:
    return moment.replace(tzinfo=dt.UTC).astimezone(zone(timezone)).replace(tzinfo=None)


@overload
def iso_local(moment: dt.datetime, timezone: str) -> str: ...
@overload
def iso_local(moment: dt.datetime | None, timezone: str) -> str | None: ...
def iso_local(moment: dt.datetime | None, timezone: str) -> str | None:
    """A naive-UTC timestamp as naive org-local ISO 8601."""
    return None if moment is None else to_local(moment, timezone).isoformat()


def local_day_bucket(
    column: SQLColumnExpression[dt.datetime], days: DateWindow, timezone: str
) -> ColumnElement[str | None]:
    """SQL: the org-local day (ISO string) of a naive-UTC ``column`` within ``days``.

    A CASE over the UTC start of each following day (first match wins), so it is exact
    across DST changes on every engine; the caller restricts ``column`` to the span.
    """
    return case(
        *[
            (
                column < day_start_utc(day + dt.timedelta(days=1), timezone),
                literal(day.isoformat()),
            )
            for day in days.dates()
        ],
        else_=literal(None),
    )


def ratio(numerator: float, denominator: float) -> float | None:
    """``numerator / denominator``; ``None`` when there is nothing to divide by."""
    return numerator / denominator if denominator else None


def as_date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


# ------------------------------------------------------------------------------- rules
class AutomationRulesParams(QueryParams):
    """``query_params`` of ``automation_rules``."""

    status: Literal["active", "paused", "all"] = "all"
    rule_type: str | None = Field(None, max_length=32)
    period: str = "30d"

    @field_validator("period")
    @classmethod
    def _valid_period(cls, value: str) -> str:
        return validate_span(value)


def success_rate(success: int, failed: int) -> float | None:
    """Successes over attempts; skipped executions attempted nothing and do not
    count."""
    return ratio(success, success + failed)


def _execution_scope(statement: Select, filters: Filters) -> Select:
    """Platform and campaign filters on executions (joined to their campaign)."""
    if filters.platforms:
        statement = statement.where(Campaign.platform.in_(filters.platforms))
    if filters.campaign_ids:
        statement = statement.where(
            AutomationExecution.campaign_id.in_(filters.campaign_ids)
        )
    return statement


def _rule_matches_platforms(scope: dict, platforms: list[str]) -> bool:
    """A rule concerns the chosen platforms unless its scope names only other ones."""
    scoped = scope.get("platforms") if isinstance(scope, dict) else None
    return not platforms or not scoped or bool(set(scoped) & set(platforms))


def describe_rule(rule: AutomationRule) -> str:
    """``cpa > 60 over 7d → pause`` or ``invalid: <first error>``."""
    try:
        parsed = parse_rule(rule.condition, rule.action, rule.scope)
    except RuleError as exc:
        return f"invalid: {exc}"
    parts = leaves(parsed.condition)
    joiner = " and " if getattr(parsed.condition, "mode", "all") == "all" else " or "
    action = parsed.action
    if action.type == "budget_adjust":
        verb = f"budget {action.percent:+g}%"
    else:
        verb = action.type
    return f"{joiner.join(p.describe() for p in parts)} → {verb}"


@register("automation_rules", AutomationRulesParams, period="hourly")
def automation_rules_source(
    session: Session, org: OrgContext, params: AutomationRulesParams, filters: Filters
) -> dict:
    """Automation rules with their last run and execution success in the window."""
    span = resolve_span(org, params.period, filters)
    statement = select(AutomationRule).order_by(AutomationRule.name, AutomationRule.id)
    if params.rule_type:
        statement = statement.where(AutomationRule.rule_type == params.rule_type)
    rules = [
        r
        for r in session.scalars(statement)
        if _rule_matches_platforms(r.scope, filters.platforms)
    ]

    counts_statement = (
        select(
            AutomationExecution.rule_id,
            AutomationExecution.status,
            func.count().label("n"),
            func.max(AutomationExecution.executed_at).label("last"),
        )
        .outerjoin(Campaign, Campaign.id == AutomationExecution.campaign_id)
        .where(
            AutomationExecution.executed_at >= span.start,
            AutomationExecution.executed_at < span.end,
        )
        .group_by(AutomationExecution.rule_id, AutomationExecution.status)
    )
    stats: dict[int, dict[str, Any]] = {}
    for row in session.execute(_execution_scope(counts_statement, filters)).all():
        entry = stats.setdefault(
            row.rule_id, {**dict.fromkeys(STATUSES, 0), "last": None}
        )
        entry[row.status] = entry.get(row.status, 0) + row.n
        entry["last"] = max(filter(None, (entry["last"], row.last)), default=None)

    counts = {"active": 0, "paused": 0, "total": len(rules)}
    items = []
    for rule in rules:
        counts[rule.status] = counts.get(rule.status, 0) + 1
        if params.status != "all" and rule.status != params.status:
            continue
        entry = stats.get(rule.id, {**dict.fromkeys(STATUSES, 0), "last": None})
        rate = success_rate(entry["success"], entry["failed"])
        action = rule.action.get("type") if isinstance(rule.action, dict) else None
        items.append(
            {
                "key": rule.id,
                "id": rule.id,
                "name": rule.name,
                "rule_type": rule.rule_type,
                "status": rule.status,
                "summary": describe_rule(rule),
                "action_type": action,
                "condition": rule.condition,
                "action": rule.action,
                "scope": rule.scope,
                "last_run_at": iso_utc(rule.last_run_at),
                "last_run_at_local": iso_local(rule.last_run_at, org.timezone),
                "last_execution_at": iso_utc(entry["last"]),
                "executions": sum(entry[s] for s in STATUSES),
                **{s: entry[s] for s in STATUSES},
                "success_rate": rate,
                "value": rate,
            }
        )
    totals = {s: sum(i[s] for i in items) for s in STATUSES}
    return {
        "value": len(items),
        "format": "number",
        "items_format": "percent",
        "status_filter": params.status,
        "counts": counts,
        "executions": sum(totals.values()),
        **totals,
        "success_rate": success_rate(totals["success"], totals["failed"]),
        "timezone": org.timezone,
        "window": span.as_dict(org.timezone),
        "items": items,
    }


# -------------------------------------------------------------------------- executions
class AutomationExecutionsParams(QueryParams):
    """``query_params`` of ``automation_executions``."""

    view: Literal["timeline", "summary", "daily"] = "timeline"
    period: str = "30d"
    limit: int = Field(50, ge=1, le=500)
    rule_id: int | None = None
    status: Literal["success", "failed", "skipped"] | None = None
    action: Literal["pause", "budget_adjust", "notify"] | None = None
    # Only executions on campaigns whose status is now this ("paused": still paused).
    campaign_status: Literal["active", "paused", "completed"] | None = None
    # One row per campaign: its latest execution that matches the other filters.
    latest_per_campaign: bool = False

    @field_validator("period")
    @classmethod
    def _valid_period(cls, value: str) -> str:
        return validate_span(value)


def _executions_where(
    statement: Select,
    params: AutomationExecutionsParams,
    filters: Filters,
    start: dt.datetime,
    end: dt.datetime,
) -> Select:
    statement = statement.where(
        AutomationExecution.executed_at >= start, AutomationExecution.executed_at < end
    )
    if params.rule_id is not None:
        statement = statement.where(AutomationExecution.rule_id == params.rule_id)
    if params.status:
        statement = statement.where(AutomationExecution.status == params.status)
    if params.action:
        statement = statement.where(AutomationExecution.action_taken == params.action)
    if params.campaign_status:
        statement = statement.where(Campaign.status == params.campaign_status)
    if params.latest_per_campaign:
        # Each campaign's latest matching execution: rank them per campaign (one pass
        # over the filtered executions, not a probe per row).
        rank = (
            func.row_number()
            .over(
                partition_by=AutomationExecution.campaign_id,
                order_by=(
                    AutomationExecution.executed_at.desc(),
                    AutomationExecution.id.desc(),
                ),
            )
            .label("rank")
        )
        ranked = select(AutomationExecution.id, rank).where(
            AutomationExecution.executed_at >= start,
            AutomationExecution.executed_at < end,
        )
        if params.status:
            ranked = ranked.where(AutomationExecution.status == params.status)
        if params.action:
            ranked = ranked.where(AutomationExecution.action_taken == params.action)
        latest = ranked.subquery()
        statement = statement.where(
            AutomationExecution.id.in_(select(latest.c.id).where(latest.c.rank == 1))
        )
    return _execution_scope(statement, filters)


def _money(value: Any) -> str:
    return f"{float(value):,.2f}" if isinstance(value, (int, float)) else "?"


def describe_execution(
    action: str, status: str, campaign: str | None, details: dict, error: str | None
) -> str:
    """One line for a timeline: what the rule did to which campaign, or why not."""
    target = campaign or "(deleted campaign)"
    if status == "failed":
        return (
            f"Failed to {action.replace('_', ' ')} {target}: {error or 'unknown error'}"
        )
    if status == "skipped":
        return (
            f"Skipped {action.replace('_', ' ')} on {target}: "
            f"{details.get('reason', 'no reason given')}"
        )
    if action == "pause":
        return f"Paused {target}"
    if action == "budget_adjust":
        return (
            f"Budget of {target} {_money(details.get('old_budget'))} → "
            f"{_money(details.get('new_budget'))} "
            f"({float(details.get('percent', 0)):+g}%)"
        )
    recipients = details.get("recipients") or details.get("channels") or []
    who = ", ".join(map(str, recipients)) or "the team"
    delivery = details.get("delivery")
    channels = ", ".join(map(str, details.get("channels") or [])) or "its channels"
    # The line claims a notification went out only once its delivery says so.
    if delivery == "sent":
        return f"Notified {who} about {target} ({channels})"
    if delivery == "failed":
        return (
            f"Notification for {who} about {target} failed: "
            f"{details.get('delivery_error') or 'see the delivery log'}"
        )
    if delivery == "pending":
        return f"Notification for {who} about {target} queued (not sent yet)"
    return f"Notification for {who} about {target} recorded (not sent)"


def _timeline(
    session: Session,
    org: OrgContext,
    params: AutomationExecutionsParams,
    filters: Filters,
    span: Span,
) -> dict:
    statement = (
        select(
            AutomationExecution,
            AutomationRule.name.label("rule_name"),
            Campaign.name.label("campaign_name"),
            Campaign.platform,
        )
        .join(AutomationRule, AutomationRule.id == AutomationExecution.rule_id)
        .outerjoin(Campaign, Campaign.id == AutomationExecution.campaign_id)
        .order_by(AutomationExecution.executed_at.desc(), AutomationExecution.id.desc())
        .limit(params.limit)
    )
    rows = session.execute(
        _executions_where(statement, params, filters, span.start, span.end)
    ).all()
    total_statement = (
        select(func.count())
        .select_from(AutomationExecution)
        .outerjoin(Campaign, Campaign.id == AutomationExecution.campaign_id)
    )
    total = session.scalar(
        _executions_where(total_statement, params, filters, span.start, span.end)
    )
    items = []
    for execution, rule_name, campaign_name, platform in rows:
        local = to_local(execution.executed_at, org.timezone)
        details = execution.details or {}
        items.append(
            {
                "id": execution.id,
                "executed_at": iso_utc(execution.executed_at),
                "executed_at_local": local.isoformat(),
                "date": local.date().isoformat(),
                "rule_id": execution.rule_id,
                "rule_name": rule_name,
                "campaign_id": execution.campaign_id,
                "campaign_name": campaign_name,
                "platform": platform,
                "platform_name": PLATFORMS.get(platform) if platform else None,
                "action": execution.action_taken,
                "status": execution.status,
                "details": details,
                "error": execution.error,
                "summary": describe_execution(
                    execution.action_taken,
                    execution.status,
                    campaign_name,
                    details,
                    execution.error,
                ),
            }
        )
    return {
        "view": "timeline",
        "timezone": org.timezone,
        "window": span.as_dict(org.timezone),
        "total": total or 0,
        "value": total or 0,
        "format": "number",
        "items": items,
    }


def _summary(
    session: Session,
    org: OrgContext,
    params: AutomationExecutionsParams,
    filters: Filters,
    span: Span,
) -> dict:
    previous = span.previous(org.timezone)
    bucket = case(
        (AutomationExecution.executed_at >= span.start, literal("current")),
        else_=literal("previous"),
    ).label("bucket")
    statement = (
        select(
            bucket,
            AutomationExecution.action_taken,
            AutomationExecution.status,
            func.count().label("n"),
        )
        .outerjoin(Campaign, Campaign.id == AutomationExecution.campaign_id)
        .group_by(bucket, AutomationExecution.action_taken, AutomationExecution.status)
    )
    rows = session.execute(
        _executions_where(statement, params, filters, previous.start, span.end)
    ).all()
    by_status = {b: dict.fromkeys(STATUSES, 0) for b in ("current", "previous")}
    by_action: dict[str, dict[str, int]] = {
        a: {"total": 0, **dict.fromkeys(STATUSES, 0)} for a in ACTIONS
    }
    for row in rows:
        by_status[row.bucket][row.status] = (
            by_status[row.bucket].get(row.status, 0) + row.n
        )
        if row.bucket == "current":
            entry = by_action.setdefault(
                row.action_taken, {"total": 0, **dict.fromkeys(STATUSES, 0)}
            )
            entry[row.status] = entry.get(row.status, 0) + row.n
            entry["total"] += row.n

    rule_statement = (
        select(
            AutomationExecution.rule_id,
            AutomationRule.name,
            AutomationExecution.status,
            func.count().label("n"),
        )
        .join(AutomationRule, AutomationRule.id == AutomationExecution.rule_id)
        .outerjoin(Campaign, Campaign.id == AutomationExecution.campaign_id)
        .group_by(
            AutomationExecution.rule_id, AutomationRule.name, AutomationExecution.status
        )
    )
    per_rule: dict[int, dict[str, Any]] = {}
    for row in session.execute(
        _executions_where(rule_statement, params, filters, span.start, span.end)
    ):
        entry = per_rule.setdefault(
            row.rule_id,
            {
                "key": row.rule_id,
                "name": row.name,
                "total": 0,
                **dict.fromkeys(STATUSES, 0),
            },
        )
        entry[row.status] = entry.get(row.status, 0) + row.n
        entry["total"] += row.n
    by_rule = [
        {**e, "value": success_rate(e["success"], e["failed"])}
        for e in per_rule.values()
    ]
    by_rule.sort(key=lambda e: (-e["total"], e["name"]))

    current = by_status["current"]
    rate = success_rate(current["success"], current["failed"])
    before = success_rate(
        by_status["previous"]["success"], by_status["previous"]["failed"]
    )
    change = change_percent(rate, before)
    return {
        "view": "summary",
        "label": "Execution success rate",
        "format": "percent",
        "higher_is_better": True,
        "value": rate,
        "previous": before,
        "change_pct": change,
        "trend": trend_direction(change),
        "success_rate": rate,
        "total": sum(current.values()),
        "previous_total": sum(by_status["previous"].values()),
        "by_status": current,
        "by_action": by_action,
        "by_rule": by_rule,
        "timezone": org.timezone,
        "window": span.as_dict(org.timezone),
        "previous_window": previous.as_dict(org.timezone),
    }


def _daily(
    session: Session,
    org: OrgContext,
    params: AutomationExecutionsParams,
    filters: Filters,
    span: Span,
) -> dict:
    day = local_day_bucket(
        AutomationExecution.executed_at, span.days, org.timezone
    ).label("day")
    statement = (
        select(day, AutomationExecution.status, func.count().label("n"))
        .outerjoin(Campaign, Campaign.id == AutomationExecution.campaign_id)
        .group_by(day, AutomationExecution.status)
    )
    counts: dict[tuple[str, str], int] = {}
    for row in session.execute(
        _executions_where(statement, params, filters, span.start, span.end)
    ):
        if row.day is not None:
            key = (as_date(row.day).isoformat(), row.status)
            counts[key] = counts.get(key, 0) + row.n
    days: list[dict[str, Any]] = []
    for date in span.days.dates():
        by_status = {s: counts.get((date.isoformat(), s), 0) for s in STATUSES}
        days.append(
            {"date": date.isoformat(), **by_status, "total": sum(by_status.values())}
        )
    series = [
        {
            "name": status.title(),
            "key": status,
            "points": [{"date": d["date"], "value": d[status]} for d in days],
        }
        for status in STATUSES
    ]
    return {
        "view": "daily",
        # Today's counts are so far: the chart draws that day as such, not a drop.
        "partial_bucket": filling_bucket(span.days, org_today(org.timezone), "day"),
        "format": "number",
        "timezone": org.timezone,
        "window": span.as_dict(org.timezone),
        "total": sum(d["total"] for d in days),
        "days": days,
        "series": series,
    }


def executions_period(params: AutomationExecutionsParams) -> str:
    """The timeline shows the latest actions; counts per day move slowly."""
    return "realtime" if params.view == "timeline" else "hourly"


@register("automation_executions", AutomationExecutionsParams, period=executions_period)
def automation_executions_source(
    session: Session,
    org: OrgContext,
    params: AutomationExecutionsParams,
    filters: Filters,
) -> dict:
    """Automation executions: recent timeline, status/action summary, or per day."""
    span = resolve_span(org, params.period, filters)
    views = {"timeline": _timeline, "summary": _summary, "daily": _daily}
    return views[params.view](session, org, params, filters, span)
