"""Measuring each alert type: one grouped SQL query per alert over the rollups.

An observer returns one :class:`Observation` per entity it found (the org's total, a
platform, a campaign): its value, whether the firing condition holds and whether the
recovery condition still holds (a firing entity stays firing while it does). Entities
without a value (no facts, a zero denominator) are "no value": they never fire.

Tables: day windows read the daily rollups (``metric_facts_daily`` per campaign,
``metric_facts_daily_platform`` per platform and for the org's total), hour windows
the hourly facts (per campaign) and the hourly platform rollup. Each query sums the
current and the previous window at once with conditional sums. Days are the org's
local days (the daily rollup is keyed by them), hours are UTC hours.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, case, func, literal, select
from sqlalchemy.orm import Session

from alerts.specs import (
    AnomalySpec,
    ChangeSpec,
    ForecastSpec,
    ThresholdSpec,
    register,
)
from automation.conditions import evaluate, evaluation_window
from core.filters import OrgContext
from core.metrics import BASE_COLUMNS
from core.models import (
    Anomaly,
    Campaign,
    CampaignTotals,
    MetricFactDaily,
    MetricFactDailyPlatform,
    MetricFactHourly,
    MetricFactHourlyPlatform,
)
from core.reference import PLATFORMS
from core.windows import org_today


class BrokenAlert(RuntimeError):
    """The alert cannot be evaluated as written (a deleted campaign ...); the message
    says why and the alert is marked broken until it is changed."""


@dataclass(frozen=True)
class Observation:
    """One entity's reading: ``met`` fires it, ``holds`` keeps it firing."""

    entity_key: str
    label: str
    value: float | None
    threshold: float | None
    met: bool
    holds: bool
    reason: str


def _check_campaigns(session: Session, campaign_ids: list[int]) -> None:
    if not campaign_ids:
        return
    found = set(
        session.scalars(select(Campaign.id).where(Campaign.id.in_(campaign_ids)))
    )
    missing = [cid for cid in campaign_ids if cid not in found]
    if missing:
        raise BrokenAlert(
            f"condition.campaign_ids: campaign {missing[0]} no longer exists"
        )


Memo = dict[tuple, Any]


def _metric_sums(
    session: Session,
    org: OrgContext,
    spec: ThresholdSpec | ChangeSpec,
    now: dt.datetime,
    memo: Memo | None = None,
) -> dict[tuple[str, str], dict[str, dict[str, float]]]:
    """``{(entity_key, label): {"current": sums, "previous": sums}}`` in one query.

    The sums do not depend on the metric or the operator: alerts of one pass that
    read the same window and scope share the query through ``memo``.
    """
    window = evaluation_window(spec.condition(), org.timezone, now)
    key = (
        "sums",
        spec.entity,
        window,
        tuple(sorted(spec.platforms)),
        tuple(sorted(spec.campaign_ids)),
    )
    if memo is not None and key in memo:
        return memo[key]
    result = _query_sums(session, spec, window)
    if memo is not None:
        memo[key] = result
    return result


def _query_sums(
    session: Session, spec: ThresholdSpec | ChangeSpec, window: Any
) -> dict[tuple[str, str], dict[str, dict[str, float]]]:
    by_campaign = spec.entity == "campaign" or bool(spec.campaign_ids)
    table: Any
    if window.unit == "d":
        table = MetricFactDaily if by_campaign else MetricFactDailyPlatform
        column = table.day
    else:
        table = MetricFactHourly if by_campaign else MetricFactHourlyPlatform
        column = table.hour_utc
    clauses: list[Any] = [
        column >= window.previous_start,
        column < window.end,
    ]
    keys: list[Any]
    if spec.entity == "campaign":
        keys = [table.campaign_id.label("key"), Campaign.name.label("label")]
    elif spec.entity == "platform":
        platform = Campaign.platform if by_campaign else table.platform
        keys = [platform.label("key"), platform.label("label")]
    else:
        keys = [literal("org").label("key"), literal("Org total").label("label")]
    buckets = {
        "current": (window.start, window.end),
        "previous": (window.previous_start, window.previous_end),
    }
    sums = [
        func.sum(
            case((and_(column >= low, column < high), getattr(table, name)), else_=0)
        ).label(f"{part}_{name}")
        for part, (low, high) in buckets.items()
        for name in BASE_COLUMNS
    ]
    statement = select(*keys, *sums)
    if by_campaign:
        statement = statement.join(Campaign, Campaign.id == table.campaign_id)
        if spec.platforms:
            clauses.append(Campaign.platform.in_(spec.platforms))
        if spec.campaign_ids:
            clauses.append(table.campaign_id.in_(spec.campaign_ids))
    elif spec.platforms:
        clauses.append(table.platform.in_(spec.platforms))
    statement = statement.where(*clauses)
    if spec.entity != "org":
        statement = statement.group_by(*keys)
    result: dict[tuple[str, str], dict[str, dict[str, float]]] = {}
    for row in session.execute(statement).all():
        if spec.entity == "org" and row[2] is None:
            continue  # an aggregate over no rows: nothing to judge
        if spec.entity == "campaign":
            key, label = f"campaign:{row.key}", row.label
        elif spec.entity == "platform":
            key, label = f"platform:{row.key}", PLATFORMS.get(row.key, row.key)
        else:
            key, label = "org", "Org total"
        result[(key, label)] = {
            part: {
                name: float(getattr(row, f"{part}_{name}") or 0)
                for name in BASE_COLUMNS
            }
            for part in buckets
        }
    return result


def _observe_metric(
    session: Session,
    org: OrgContext,
    spec: ThresholdSpec | ChangeSpec,
    now: dt.datetime,
    threshold: float,
    memo: Memo | None,
) -> list[Observation]:
    _check_campaigns(session, spec.campaign_ids)
    firing, recovery = spec.condition(), spec.condition(recovery=True)
    observations = []
    for (key, label), sums in _metric_sums(session, org, spec, now, memo).items():
        result = evaluate(firing, sums["current"], sums["previous"])
        holds = evaluate(recovery, sums["current"], sums["previous"]).met
        observations.append(
            Observation(
                key, label, result.value, threshold, result.met, holds, result.reason
            )
        )
    return observations


@register("threshold", ThresholdSpec, "Threshold")
def observe_threshold(
    session: Session,
    org: OrgContext,
    spec: ThresholdSpec,
    now: dt.datetime,
    memo: Memo | None = None,
) -> list[Observation]:
    """The metric per entity over the window, compared with the threshold."""
    return _observe_metric(session, org, spec, now, spec.threshold, memo)


@register("change", ChangeSpec, "Change")
def observe_change(
    session: Session,
    org: OrgContext,
    spec: ChangeSpec,
    now: dt.datetime,
    memo: Memo | None = None,
) -> list[Observation]:
    """The metric's percent change per entity against the previous window."""
    return _observe_metric(session, org, spec, now, spec.change_percent, memo)


@register("anomaly", AnomalySpec, "Anomaly")
def observe_anomaly(
    session: Session,
    org: OrgContext,
    spec: AnomalySpec,
    now: dt.datetime,
    memo: Memo | None = None,
) -> list[Observation]:
    """How many new anomalies of the listed severities each entity has."""
    since = org_today(org.timezone, now) - dt.timedelta(days=spec.lookback_days)
    clauses = [
        Anomaly.status == "new",
        Anomaly.severity.in_(spec.severity),
        Anomaly.day >= since,
    ]
    if spec.metric:
        clauses.append(Anomaly.metric == spec.metric)
    if spec.entity != "any":
        clauses.append(Anomaly.entity_key.startswith(f"{spec.entity}:"))
    statement = (
        select(
            Anomaly.entity_key,
            func.min(Campaign.name).label("name"),
            func.count().label("hits"),
            func.max(func.abs(Anomaly.score)).label("score"),
        )
        .outerjoin(Campaign, Campaign.id == Anomaly.campaign_id)
        .where(*clauses)
        .group_by(Anomaly.entity_key)
    )
    observations = []
    what = f"{spec.metric or 'any metric'} ({', '.join(spec.severity)})"
    for row in session.execute(statement).all():
        kind, _, ident = row.entity_key.partition(":")
        label = (
            row.name
            if kind == "campaign" and row.name
            else PLATFORMS.get(ident, row.entity_key)
        )
        observations.append(
            Observation(
                row.entity_key,
                label,
                float(row.hits),
                1.0,
                True,
                True,
                f"{row.hits} new anomal{'y' if row.hits == 1 else 'ies'} of "
                f"{what}, |z| up to {float(row.score or 0):.1f}",
            )
        )
    return observations


def _forecast_rows(
    session: Session,
    org: OrgContext,
    spec: ForecastSpec,
    now: dt.datetime,
    memo: Memo | None,
) -> list[Any]:
    """Per active campaign: name, lifetime budget, spend to date (the campaign
    totals rollup) and spend over the last ``lookback_days`` complete days (the daily
    rollup), in one query; shared through ``memo`` by alerts of one pass that read the
    same days and scope."""
    today = org_today(org.timezone, now)
    start = today - dt.timedelta(days=spec.lookback_days)
    key = (
        "forecast",
        today,
        spec.lookback_days,
        tuple(sorted(spec.platforms)),
        tuple(sorted(spec.campaign_ids)),
    )
    if memo is not None and key in memo:
        return memo[key]
    recent = (
        select(
            MetricFactDaily.campaign_id,
            func.sum(MetricFactDaily.spend).label("recent"),
        )
        .where(MetricFactDaily.day >= start, MetricFactDaily.day < today)
        .group_by(MetricFactDaily.campaign_id)
        .subquery()
    )
    clauses: list[Any] = [Campaign.status == "active"]
    if spec.platforms:
        clauses.append(Campaign.platform.in_(spec.platforms))
    if spec.campaign_ids:
        clauses.append(Campaign.id.in_(spec.campaign_ids))
    statement = (
        select(
            Campaign.id,
            Campaign.name,
            Campaign.budget,
            CampaignTotals.spend.label("spent"),
            recent.c.recent,
        )
        .join(CampaignTotals, CampaignTotals.campaign_id == Campaign.id)
        .outerjoin(recent, recent.c.campaign_id == Campaign.id)
        .where(*clauses)
    )
    rows = list(session.execute(statement).all())
    if memo is not None:
        memo[key] = rows
    return rows


@register("forecast", ForecastSpec, "Forecast")
def observe_forecast(
    session: Session,
    org: OrgContext,
    spec: ForecastSpec,
    now: dt.datetime,
    memo: Memo | None = None,
) -> list[Observation]:
    """Per campaign with a lifetime budget: spend to date plus the average daily spend
    of the last ``lookback_days`` complete days times ``forecast_days``, in % of the
    budget."""
    _check_campaigns(session, spec.campaign_ids)
    recovery = spec.recovery_threshold or spec.threshold
    observations = []
    for row in _forecast_rows(session, org, spec, now, memo):
        key = f"campaign:{row.id}"
        budget = float(row.budget or 0)
        if budget <= 0:
            observations.append(
                Observation(
                    key,
                    row.name,
                    None,
                    spec.threshold,
                    False,
                    False,
                    "no lifetime budget: nothing to deplete",
                )
            )
            continue
        rate = float(row.recent or 0) / spec.lookback_days
        projected = float(row.spent or 0) + rate * spec.forecast_days
        value = projected / budget * 100.0
        met = value >= spec.threshold
        observations.append(
            Observation(
                key,
                row.name,
                value,
                spec.threshold,
                met,
                value >= recovery,
                f"forecast spend in {spec.forecast_days}d = {projected:,.2f} of "
                f"budget {budget:,.2f} ({value:.1f} %): {spec.threshold:g} % "
                f"{'reached' if met else 'not reached'}",
            )
        )
    return observations
