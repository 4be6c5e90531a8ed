"""Automation rules: evaluate each active rule on its campaigns and apply its action.

A rule has three JSON documents:

* ``condition``: see :mod:`automation.conditions`, e.g.
  ``{"metric": "cpa", "operator": ">", "threshold": 60, "window": "7d"}``;
* ``action``: ``{"type": "pause"}``, ``{"type": "budget_adjust", "percent": 15,
  "max_daily_budget": 2500}`` or ``{"type": "notify", "channels": ["email"],
  "recipients": [...]}``; each may set ``cooldown_hours`` (default 24);
* ``scope``: which campaigns, e.g. ``{"platforms": ["meta"], "objectives": ["sales"],
  "campaign_ids": [1, 2], "statuses": ["active"]}`` (only active campaigns by default).

The metric sums of every in-scope campaign come from one grouped SQL query per rule
(per table: daily rollup for day windows, hourly facts for hour windows). Every action
taken, skipped or failed is one ``automation_executions`` row; a failing campaign does
not stop the others. The rules change campaigns only through the function the
caller hands :func:`evaluate_rules` (``commands.automation`` passes
:func:`commands.campaigns.update_campaign`, which validates and audits every change):
this package sits below ``commands`` and does not depend on it.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal, Protocol

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from accounts import audit
from automation.conditions import (
    Condition,
    ConditionError,
    ConditionResult,
    ConditionTree,
    EvaluationWindow,
    evaluate_tree,
    evaluation_window,
    format_errors,
    leaves,
    parse_condition,
)
from core.filters import OrgContext
from core.metrics import BASE_COLUMNS
from core.models import (
    AutomationExecution,
    AutomationRule,
    Campaign,
    MetricFactDaily,
    MetricFactHourly,
)
from core.reference import PLATFORMS

log = logging.getLogger(__name__)
DEFAULT_COOLDOWN_HOURS = 24.0


class ChangeCampaign(Protocol):
    """How a rule changes a campaign of the session's org: validates ``change`` (the
    fields ``status``, ``budget``, ``daily_budget``), writes and audits it."""

    def __call__(
        self,
        session: Session,
        campaign_id: int,
        change: Mapping[str, Any],
        *,
        user_id: int | None,
    ) -> object: ...


class RuleError(ValueError):
    """A rule's JSON is invalid; the message names the field (``action.percent``)."""

    def __init__(self, message: str, details: list[str] | None = None) -> None:
        super().__init__(message)
        self.details = details or [message]


class _Action(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    # A met condition acts on a campaign at most once per cooldown, so a rule that
    # runs every 15 minutes does not raise a budget by 15 % four times an hour.
    cooldown_hours: float = Field(DEFAULT_COOLDOWN_HOURS, ge=0, le=24 * 90)


class PauseAction(_Action):
    type: Literal["pause"]


class BudgetAdjustAction(_Action):
    """Multiply the daily budget (or, without one, the lifetime budget) by
    ``1 + percent / 100``, rounded to cents and kept within the caps."""

    type: Literal["budget_adjust"]
    percent: float = Field(gt=-100, le=1000, allow_inf_nan=False)
    min_daily_budget: float | None = Field(None, ge=0)
    max_daily_budget: float | None = Field(None, ge=0)
    min_budget: float | None = Field(None, ge=0)
    max_budget: float | None = Field(None, ge=0)

    @field_validator("percent")
    @classmethod
    def _not_zero(cls, value: float) -> float:
        if value == 0:
            raise ValueError("a budget adjustment of 0 % changes nothing")
        return value

    @model_validator(mode="after")
    def _caps_in_order(self) -> BudgetAdjustAction:
        for low, high in (
            ("min_daily_budget", "max_daily_budget"),
            ("min_budget", "max_budget"),
        ):
            if (
                getattr(self, low) is not None
                and getattr(self, high) is not None
                and getattr(self, low) > getattr(self, high)
            ):
                raise ValueError(f"{low} is above {high}")
        return self


class NotifyAction(_Action):
    """Tell people: delivered through the alert channels (``commands.automation``
    sends each notify execution after the run commits). ``webhook_secret`` signs the
    webhook's body like an alert's (``X-Pulse-Signature``)."""

    type: Literal["notify"]
    channels: list[Literal["email", "slack", "webhook"]] = Field(
        default_factory=lambda: ["email"]
    )
    recipients: list[str] = Field(default_factory=list)
    slack_webhook: str | None = Field(None, max_length=500)
    webhook_url: str | None = Field(None, max_length=500)
    webhook_secret: str | None = Field(None, min_length=16, max_length=128)


Action = Annotated[
    PauseAction | BudgetAdjustAction | NotifyAction, Field(discriminator="type")
]


class Scope(BaseModel):
    """Which campaigns a rule looks at; an empty list means "no restriction"."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    platforms: list[str] = Field(default_factory=list)
    campaign_ids: list[int] = Field(default_factory=list)
    objectives: list[str] = Field(default_factory=list)
    statuses: list[Literal["active", "paused"]] = Field(
        default_factory=lambda: ["active"], min_length=1
    )

    @model_validator(mode="before")
    @classmethod
    def _status_alias(cls, data: Any) -> Any:
        """Accept ``"status": "active"`` as well as ``"statuses": [...]``."""
        if isinstance(data, dict) and "status" in data and "statuses" not in data:
            data = dict(data)
            status = data.pop("status")
            data["statuses"] = [status] if isinstance(status, str) else status
        return data

    @field_validator("platforms")
    @classmethod
    def _known_platforms(cls, value: list[str]) -> list[str]:
        unknown = [p for p in value if p not in PLATFORMS]
        if unknown:
            raise ValueError(
                f"unknown platform(s) {unknown}; expected some of {list(PLATFORMS)}"
            )
        return value


class _RuleDocuments(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: Action
    scope: Scope


@dataclass(frozen=True)
class ParsedRule:
    condition: ConditionTree
    action: PauseAction | BudgetAdjustAction | NotifyAction
    scope: Scope


def parse_rule(condition: Any, action: Any, scope: Any) -> ParsedRule:
    """Validate a rule's condition, action and scope JSON.

    Raises:
        RuleError: naming the field, e.g. ``action.percent: Input should be greater
            than -100``; ``details`` lists every problem.
    """
    details: list[str] = []
    parsed_condition = None
    try:
        parsed_condition = parse_condition(condition)
    except ConditionError as exc:
        details += exc.details
    documents = None
    try:
        documents = _RuleDocuments.model_validate(
            {"action": action, "scope": scope or {}}
        )
    except ValidationError as exc:
        details += format_errors(exc, "", hidden=("pause", "budget_adjust", "notify"))
    if details:
        details = [line.removeprefix(".") for line in details]
        raise RuleError(details[0], details)
    assert parsed_condition is not None and documents is not None
    return ParsedRule(parsed_condition, documents.action, documents.scope)


# ------------------------------------------------------------------------- evaluation
def _utc_naive(now: dt.datetime | None) -> dt.datetime:
    now = now or dt.datetime.now(dt.UTC)
    return now.astimezone(dt.UTC).replace(tzinfo=None) if now.tzinfo else now


def _scope_clauses(scope: Scope) -> list:
    clauses = [Campaign.status.in_(scope.statuses)]
    if scope.platforms:
        clauses.append(Campaign.platform.in_(scope.platforms))
    if scope.campaign_ids:
        clauses.append(Campaign.id.in_(scope.campaign_ids))
    if scope.objectives:
        clauses.append(Campaign.objective.in_(scope.objectives))
    return clauses


def _window_key(condition: Condition) -> tuple[str, bool]:
    return condition.window, condition.include_current


def _campaign_sums(
    session: Session, windows: dict[tuple[str, bool], EvaluationWindow], clauses: list
) -> dict[int, dict[tuple, dict[str, float]]]:
    """Base sums per in-scope campaign for each window and its previous window.

    One grouped query per fact table: conditional sums (``SUM(CASE WHEN day in window
    THEN spend ELSE 0 END)``) let overlapping windows share it.

    Returns:
        ``{campaign_id: {(window_key, "current"|"previous"): sums}}``; campaigns without
        facts are absent (their sums are zero).
    """
    result: dict[int, dict[tuple, dict[str, float]]] = {}
    for unit, table, column in (
        ("d", MetricFactDaily, MetricFactDaily.day),
        ("h", MetricFactHourly, MetricFactHourly.hour_utc),
    ):
        buckets = [
            ((key, part), bounds)
            for key, window in windows.items()
            if window.unit == unit
            for part, bounds in (
                ("current", (window.start, window.end)),
                ("previous", (window.previous_start, window.previous_end)),
            )
        ]
        if not buckets:
            continue
        sums = [
            func.sum(
                case(
                    (and_(column >= low, column < high), getattr(table, name)), else_=0
                )
            ).label(f"b{index}_{name}")
            for index, (_, (low, high)) in enumerate(buckets)
            for name in BASE_COLUMNS
        ]
        statement = (
            select(table.campaign_id, *sums)
            .join(Campaign, Campaign.id == table.campaign_id)
            .where(
                column >= min(low for _, (low, _) in buckets),
                column < max(high for _, (_, high) in buckets),
                *clauses,
            )
            .group_by(table.campaign_id)
        )
        for row in session.execute(statement).all():
            per_campaign = result.setdefault(row.campaign_id, {})
            for index, (bucket, _) in enumerate(buckets):
                per_campaign[bucket] = {
                    name: float(getattr(row, f"b{index}_{name}") or 0)
                    for name in BASE_COLUMNS
                }
    return result


def _window_budget(
    campaign: Campaign, window: EvaluationWindow, previous: bool
) -> float:
    """The campaign's budget share over a window: its daily rate (lifetime budget over
    the flight, or the daily budget) times the window's days inside the flight."""
    start, end = (
        (window.previous_start, window.previous_end)
        if previous
        else (window.start, window.end)
    )
    if campaign.end_date is not None:
        flight_days = (campaign.end_date - campaign.start_date).days + 1
        daily = (campaign.budget or 0.0) / flight_days if flight_days > 0 else 0.0
    else:
        daily = campaign.daily_budget or 0.0
    if window.unit == "h":
        return daily * (end - start).total_seconds() / 86400
    first = max(start, campaign.start_date)
    last = min(end - dt.timedelta(days=1), campaign.end_date or end)
    return daily * max(0, (last - first).days + 1)


def _recently_acted(session: Session, rule_id: int, since: dt.datetime) -> set[int]:
    """Campaigns this rule acted on (or deliberately skipped) since ``since``."""
    statement = (
        select(AutomationExecution.campaign_id)
        .distinct()
        .where(
            AutomationExecution.rule_id == rule_id,
            AutomationExecution.status.in_(("success", "skipped")),
            AutomationExecution.executed_at >= since,
            AutomationExecution.campaign_id.is_not(None),
        )
    )
    return set(session.scalars(statement))


@dataclass
class _Outcome:
    status: Literal["success", "failed", "skipped"]
    details: dict[str, Any]
    error: str | None = None


def _describe_error(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(format_errors(exc, "campaign change"))
    return str(exc) or type(exc).__name__


def _pause(
    session: Session, campaign: Campaign, change_campaign: ChangeCampaign
) -> _Outcome:
    if campaign.status == "paused":
        return _Outcome("skipped", {"reason": "campaign already paused"})
    before = campaign.status
    change_campaign(session, campaign.id, {"status": "paused"}, user_id=None)
    return _Outcome("success", {"old_status": before, "new_status": "paused"})


def _adjusted_budget(old: float, action: BudgetAdjustAction, field: str) -> float:
    """``old × (1 + percent/100)`` in cents, within the caps; an increase never lowers a
    budget already above its cap, a cut never raises one already below its floor."""
    new = round(old * (1 + action.percent / 100), 2)
    low = action.min_daily_budget if field == "daily_budget" else action.min_budget
    high = action.max_daily_budget if field == "daily_budget" else action.max_budget
    if action.percent > 0 and high is not None:
        new = min(new, max(high, old))
    if action.percent < 0 and low is not None:
        new = max(new, min(low, old))
    return new


def _adjust_budget(
    session: Session,
    campaign: Campaign,
    action: BudgetAdjustAction,
    change_campaign: ChangeCampaign,
) -> _Outcome:
    field = "daily_budget" if campaign.daily_budget is not None else "budget"
    old = float(getattr(campaign, field) or 0.0)
    details: dict[str, Any] = {
        "budget_field": field,
        "percent": action.percent,
        "old_budget": old,
    }
    if old <= 0:
        return _Outcome(
            "skipped", {**details, "reason": "campaign has no budget to adjust"}
        )
    new = _adjusted_budget(old, action, field)
    details["new_budget"] = new
    if new == old:
        return _Outcome(
            "skipped", {**details, "reason": "budget already at the rule's limit"}
        )
    change_campaign(session, campaign.id, {field: new}, user_id=None)
    return _Outcome("success", details)


def _notify(action: NotifyAction) -> _Outcome:
    # The notification itself is delivered by the alert channels from this execution
    # record once the run has committed (``delivery`` moves from "pending" to "sent"
    # or "failed"); the rule changes nothing on the campaign.
    return _Outcome(
        "success",
        {
            "channels": list(action.channels),
            "recipients": list(action.recipients),
            "delivery": "pending",
        },
    )


def _apply(
    session: Session,
    campaign: Campaign,
    rule: ParsedRule,
    change_campaign: ChangeCampaign,
) -> _Outcome:
    action = rule.action
    if isinstance(action, PauseAction):
        return _pause(session, campaign, change_campaign)
    if isinstance(action, BudgetAdjustAction):
        return _adjust_budget(session, campaign, action, change_campaign)
    return _notify(action)


def _condition_details(
    rule: ParsedRule, result: ConditionResult, first_sums: dict[str, float]
) -> dict[str, Any]:
    first = leaves(rule.condition)[0]
    details: dict[str, Any] = {
        "metric": first.metric,
        "operator": first.operator,
        "threshold": first.threshold,
        "window": first.window,
        "metric_value": result.value,
        "condition": result.reason,
        "spend": round(first_sums.get("spend", 0.0), 2),
    }
    if result.parts:
        details["conditions"] = [part.reason for part in result.parts]
    return details


@dataclass
class _RuleRun:
    evaluated: int = 0
    success: int = 0
    failed: int = 0
    skipped: int = 0
    cooled_down: int = 0
    notify_executions: list[int] = field(default_factory=list)


def _run_rule(
    session: Session,
    org: OrgContext,
    rule: AutomationRule,
    parsed: ParsedRule,
    now: dt.datetime,
    change_campaign: ChangeCampaign,
) -> _RuleRun:
    run = _RuleRun()
    clauses = _scope_clauses(parsed.scope)
    campaigns = session.scalars(
        select(Campaign).where(*clauses).order_by(Campaign.id)
    ).all()
    if not campaigns:
        return run
    conditions = leaves(parsed.condition)
    windows = {
        _window_key(c): evaluation_window(c, org.timezone, now) for c in conditions
    }
    sums = _campaign_sums(session, windows, clauses)
    cooldown = parsed.action.cooldown_hours
    acted = (
        _recently_acted(session, rule.id, now - dt.timedelta(hours=cooldown))
        if cooldown
        else set()
    )
    zeros = dict.fromkeys(BASE_COLUMNS, 0.0)

    for campaign in campaigns:
        run.evaluated += 1
        own = sums.get(campaign.id, {})

        def sums_for(condition: Condition, campaign=campaign, own=own):
            key, window = _window_key(condition), windows[_window_key(condition)]
            current = dict(own.get((key, "current"), zeros))
            previous = dict(own.get((key, "previous"), zeros))
            if condition.metric == "budget_utilization":
                current["budget"] = _window_budget(campaign, window, previous=False)
                previous["budget"] = _window_budget(campaign, window, previous=True)
            return current, previous

        result = evaluate_tree(parsed.condition, sums_for)
        if not result.met:
            continue
        if campaign.id in acted:
            run.cooled_down += 1
            continue
        details = _condition_details(parsed, result, sums_for(conditions[0])[0])
        try:
            outcome = _apply(session, campaign, parsed, change_campaign)
        except Exception as exc:  # noqa: BLE001 - one campaign must not stop the others
            log.warning(
                "automation rule %s on campaign %s failed: %s",
                rule.id,
                campaign.id,
                exc,
            )
            outcome = _Outcome("failed", {}, _describe_error(exc))
        details.update(outcome.details)
        execution = AutomationExecution(
            org_id=org.id,
            rule_id=rule.id,
            campaign_id=campaign.id,
            executed_at=now,
            status=outcome.status,
            action_taken=parsed.action.type,
            details=details,
            error=outcome.error,
        )
        session.add(execution)
        if outcome.status == "success" and parsed.action.type == "notify":
            session.flush()
            run.notify_executions.append(execution.id)
        if outcome.status == "success" and parsed.action.type != "notify":
            audit.record(
                session,
                "automation_action",
                "campaign",
                campaign.id,
                details={
                    "rule_id": rule.id,
                    "rule": rule.name,
                    "action": parsed.action.type,
                    **outcome.details,
                },
            )
        setattr(run, outcome.status, getattr(run, outcome.status) + 1)
    return run


def evaluate_rules(
    session: Session,
    org: OrgContext,
    now: dt.datetime | None = None,
    *,
    change_campaign: ChangeCampaign,
) -> dict:
    """Evaluate every active rule of the org; apply the actions whose condition holds.

    Args:
        session: a session scoped to ``org`` (the caller commits).
        org: the org the rules belong to.
        now: the evaluation time (naive means UTC); defaults to now.
        change_campaign: makes a pause or budget change (validated and audited); a
            failure is recorded as that campaign's failed execution.

    Returns:
        ``{"rules", "evaluated", "actions", "failed", "skipped", "cooled_down",
        "invalid_rules", "notify_executions"}``: active rules run, campaign
        evaluations, successful actions, failed actions (plus rules with invalid
        JSON), skipped actions, met conditions held back by a cooldown,
        ``[{rule_id, name, error}]`` of invalid rules, and the ids of the ``notify``
        executions whose notification is still to be delivered.
    """
    now = _utc_naive(now)
    rules = session.scalars(
        select(AutomationRule)
        .where(AutomationRule.status == "active")
        .order_by(AutomationRule.id)
    ).all()
    summary: dict[str, Any] = {
        "rules": 0,
        "evaluated": 0,
        "actions": 0,
        "failed": 0,
        "skipped": 0,
        "cooled_down": 0,
        "invalid_rules": [],
        "notify_executions": [],
    }
    for rule in rules:
        summary["rules"] += 1
        rule.last_run_at = now
        try:
            parsed = parse_rule(rule.condition, rule.action, rule.scope)
        except RuleError as exc:
            log.warning(
                "automation rule %s (%s) is invalid: %s", rule.id, rule.name, exc
            )
            summary["invalid_rules"].append(
                {"rule_id": rule.id, "name": rule.name, "error": str(exc)}
            )
            summary["failed"] += 1
            continue
        run = _run_rule(session, org, rule, parsed, now, change_campaign)
        summary["evaluated"] += run.evaluated
        summary["actions"] += run.success
        summary["failed"] += run.failed
        summary["skipped"] += run.skipped
        summary["cooled_down"] += run.cooled_down
        summary["notify_executions"] += run.notify_executions
    session.flush()
    return summary
