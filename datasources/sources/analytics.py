"""Data sources over the stored analytics: ``forecasts``, ``anomalies``, ``trends`` and
``recommendations``.

They read what :func:`analytics.runner.run_analytics` stored (a forecast
is computed on demand when none is stored for the request, e.g. for one platform).
Lists are filtered, counted and ordered in SQL. Parameters accept other spellings
too (``days`` and ``forecast_type: "linear_regression"`` for forecasts, a single
``severity``/``status``/``priority`` string for a list of one).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    field_validator,
    model_validator,
)
from sqlalchemy import ColumnElement, case, desc, func, select
from sqlalchemy.orm import Session, aliased

from analytics.anomalies import SEVERITIES
from analytics.forecast import HISTORY_DAYS, forecast_metric
from analytics.recommendations import PRIORITIES, recommendation_dict
from analytics.series import last_complete_day, parse_entity
from analytics.trends import TREND_TYPES
from core.filters import Filters, OrgContext
from core.metrics import METRICS, resolve_metric
from core.models import (
    AlertState,
    Anomaly,
    Campaign,
    DashboardAlert,
    Forecast,
    Recommendation,
    TrendAnalysis,
)
from core.reference import PLATFORMS
from core.windows import DateWindow, org_today, period_days
from datasources.registry import QueryParams, register

Severity = Literal["low", "medium", "high", "critical"]
Priority = Literal["low", "medium", "high"]
RecommendationStatus = Literal["pending", "applied", "dismissed"]
METHOD_ALIASES = {
    "linear": "linear",
    "linear_regression": "linear",
    "regression": "linear",
    "seasonal": "seasonal",
    "seasonal_linear": "seasonal",
    "holt_winters": "seasonal",
    "weekly": "seasonal",
}


def _as_list(value: Any) -> Any:
    """A single string stands for a list of one (templates may write
    ``"severity": "critical"``); commas separate several (``"high,critical"``)."""
    return (
        [part for part in value.split(",") if part] if isinstance(value, str) else value
    )


def _list_or_keyword(keywords: tuple[str, ...]) -> Any:
    """Before-validator: a keyword such as ``"all"`` (alone, or a list of just it)
    stays a string; anything else becomes a list."""

    def validate(value: Any) -> Any:
        if isinstance(value, list) and len(value) == 1 and value[0] in keywords:
            return value[0]
        return value if value in keywords else _as_list(value)

    return BeforeValidator(validate)


def _known_metric(value: str) -> str:
    metric = resolve_metric(value)
    if metric.denominator == "budget":
        raise ValueError(
            f"{value!r} has no daily analytics; use one of "
            f"{', '.join(m for m in METRICS if m != 'budget_utilization')}"
        )
    return metric.name


def _known_optional_metric(value: str | None) -> str | None:
    return None if value is None else _known_metric(value)


def _stamp(value: dt.datetime | dt.date | None) -> str | None:
    return value.isoformat() if value else None


def _window(org: OrgContext, period: str, filters: Filters) -> DateWindow:
    if filters.date_from and filters.date_to:
        return DateWindow(filters.date_from, filters.date_to)
    return DateWindow.last_days(period_days(period), org_today(org.timezone))


def _valid_period(value: str) -> str:
    period_days(value)
    return value


Period = Annotated[str, AfterValidator(_valid_period)]
MetricName = Annotated[str | None, AfterValidator(_known_optional_metric)]
SeverityList = Annotated[list[Severity], BeforeValidator(_as_list)]


# --------------------------------------------------------------------------- forecasts
class ForecastParams(QueryParams):
    """``query_params`` of ``forecasts``."""

    metric: str = "revenue"
    horizon_days: int = Field(30, ge=1, le=365)
    method: Literal["linear", "seasonal"] = "linear"
    entity: str | None = None
    history_days: int = Field(HISTORY_DAYS, ge=14, le=730)

    @model_validator(mode="before")
    @classmethod
    def _seed_spellings(cls, data: Any) -> Any:
        """``days`` → ``horizon_days``, ``forecast_type`` → ``method``; ``entity_type``
        without an id means the org total."""
        if not isinstance(data, dict):
            return data
        data = dict(data)
        if "days" in data:
            data.setdefault("horizon_days", data.pop("days"))
        if "forecast_type" in data:
            kind = data.pop("forecast_type")
            if kind not in METHOD_ALIASES:
                raise ValueError(
                    f"forecast_type {kind!r} is not one of {', '.join(METHOD_ALIASES)}"
                )
            data.setdefault("method", METHOD_ALIASES[kind])
        if data.get("entity_type") in ("org", "campaign", "platform", None):
            data.pop("entity_type", None)
        return data

    @field_validator("metric")
    @classmethod
    def _metric(cls, value: str) -> str:
        return _known_metric(value)

    @field_validator("entity")
    @classmethod
    def _entity(cls, value: str | None) -> str | None:
        parse_entity(value, Filters())
        return None if value in (None, "", "org") else value


def _stored_forecast(session: Session, params: ForecastParams) -> Forecast | None:
    return session.scalars(
        select(Forecast)
        .where(
            Forecast.entity_type == "org",
            Forecast.metric == params.metric,
            Forecast.forecast_type == params.method,
            Forecast.horizon_days >= params.horizon_days,
        )
        .order_by(desc(Forecast.generated_at))
        .limit(1)
    ).one_or_none()


@register("forecasts", ForecastParams, period="daily")
def forecasts_source(
    session: Session, org: OrgContext, params: ForecastParams, filters: Filters
) -> dict:
    """A metric's daily history and forecast with its 95% interval and backtest
    accuracy."""
    metric = resolve_metric(params.metric)
    stored = None
    if (
        params.entity is None
        and not filters.platforms
        and not filters.campaign_ids
        and params.history_days == HISTORY_DAYS
    ):
        stored = _stored_forecast(session, params)
    if stored is not None:
        result = {
            "as_of": stored.params.get("as_of"),
            "history": stored.params.get("history", []),
            "points": stored.points[: params.horizon_days],
            "accuracy_smape": stored.accuracy_mape,
            "note": None,
            "generated_at": _stamp(stored.generated_at),
            "source": "stored",
        }
    else:
        computed = forecast_metric(
            session,
            org,
            params.metric,
            params.horizon_days,
            params.method,
            entity=params.entity,
            filters=filters,
            history_days=params.history_days,
        )
        result = {
            **{
                k: computed[k]
                for k in ("as_of", "history", "points", "accuracy_smape", "note")
            },
            "generated_at": dt.datetime.now(dt.UTC).replace(tzinfo=None).isoformat(),
            "source": "computed",
        }
    history = result["history"]
    if filters.date_from and filters.date_to:
        history = [
            p
            for p in history
            if filters.date_from.isoformat() <= p["date"] <= filters.date_to.isoformat()
        ]
    smape = result["accuracy_smape"]
    values = [p["value"] for p in result["points"] if p["value"] is not None]
    return {
        "view": "forecast",
        "metric": metric.name,
        "label": metric.label,
        "format": metric.format,
        "currency": org.currency,
        "method": params.method,
        "entity": params.entity or "org",
        "horizon_days": params.horizon_days,
        "interval": 0.95,
        "as_of": result["as_of"],
        "history": history,
        "points": result["points"],
        "forecast_total": sum(values) if values and not metric.is_ratio else None,
        "accuracy_smape": smape,
        "accuracy_pct": None if smape is None else max(0.0, 100.0 - smape),
        # A forecast's single value is its backtest accuracy (a fraction, 0.87 = 87 %):
        # what a "Forecast Accuracy" gauge or KPI shows, with config format "percent".
        "value": None if smape is None else max(0.0, 1.0 - smape / 100.0),
        "generated_at": result["generated_at"],
        "source": result["source"],
        "note": result["note"],
        "series": [
            {"name": "Actual", "key": "actual", "points": history},
            {"name": "Forecast", "key": "forecast", "points": result["points"]},
        ],
    }


# --------------------------------------------------------------------------- anomalies
class AnomalyParams(QueryParams):
    """``query_params`` of ``anomalies``: ``status`` defaults to the open ones (new
    and acknowledged); ``severity`` lists exact severities, ``min_severity`` a lower
    bound."""

    status: Annotated[
        list[Literal["new", "acknowledged", "resolved"]] | Literal["open", "all"],
        _list_or_keyword(("open", "all")),
    ] = "open"
    severity: SeverityList = Field(default_factory=list)
    min_severity: Severity | None = None
    metric: MetricName = None
    entity_type: Literal["campaign", "platform"] | None = None
    period: Period = "30d"
    limit: int = Field(50, ge=1, le=500)

    def statuses(self) -> list[str] | None:
        if self.status == "all":
            return None
        return ["new", "acknowledged"] if self.status == "open" else list(self.status)

    def severities(self) -> list[str]:
        chosen: list[str] = list(self.severity) or list(SEVERITIES)
        if self.min_severity:
            chosen = [
                s
                for s in chosen
                if SEVERITIES.index(s) >= SEVERITIES.index(self.min_severity)
            ]
        return chosen


@register("anomalies", AnomalyParams, period="daily")
def anomalies_source(
    session: Session, org: OrgContext, params: AnomalyParams, filters: Filters
) -> dict:
    """Detected anomalies with campaign names, newest and strongest first."""
    window = _window(org, params.period, filters)
    conditions: list[ColumnElement[bool]] = [
        Anomaly.day.between(window.start, window.end),
        Anomaly.severity.in_(params.severities()),
    ]
    statuses = params.statuses()
    if statuses is not None:
        conditions.append(Anomaly.status.in_(statuses))
    if params.metric:
        conditions.append(Anomaly.metric == params.metric)
    if params.entity_type:
        conditions.append(Anomaly.entity_key.like(f"{params.entity_type}:%"))
    if filters.platforms:
        conditions.append(Anomaly.platform.in_(filters.platforms))
    if filters.campaign_ids:
        conditions.append(Anomaly.campaign_id.in_(filters.campaign_ids))
    counts = dict.fromkeys(SEVERITIES, 0)
    for severity, count in session.execute(
        select(Anomaly.severity, func.count())
        .where(*conditions)
        .group_by(Anomaly.severity)
    ):
        counts[severity] = count
    rank = case({s: i for i, s in enumerate(SEVERITIES)}, value=Anomaly.severity)
    rows = session.execute(
        select(Anomaly, Campaign.name)
        .outerjoin(Campaign, Campaign.id == Anomaly.campaign_id)
        .where(*conditions)
        .order_by(
            desc(Anomaly.day), desc(rank), desc(func.abs(Anomaly.score)), Anomaly.id
        )
        .limit(params.limit)
    ).all()
    items = []
    for anomaly, campaign_name in rows:
        metric = METRICS[anomaly.metric]
        platform_name = PLATFORMS.get(anomaly.platform or "", anomaly.platform)
        items.append(
            {
                "id": anomaly.id,
                "entity_key": anomaly.entity_key,
                "entity_type": anomaly.entity_key.partition(":")[0],
                "name": campaign_name or platform_name,
                "campaign_id": anomaly.campaign_id,
                "campaign_name": campaign_name,
                "platform": anomaly.platform,
                "platform_name": platform_name,
                "metric": anomaly.metric,
                "label": metric.label,
                "format": metric.format,
                "day": anomaly.day.isoformat(),
                "observed": anomaly.observed,
                "expected": anomaly.expected,
                "deviation_pct": (
                    (anomaly.observed - anomaly.expected) / abs(anomaly.expected) * 100
                    if anomaly.expected
                    else None
                ),
                "score": anomaly.score,
                "severity": anomaly.severity,
                "status": anomaly.status,
                "detected_at": _stamp(anomaly.detected_at),
                "acknowledged_at": _stamp(anomaly.acknowledged_at),
                "resolved_at": _stamp(anomaly.resolved_at),
            }
        )
    total = sum(counts.values())
    return {
        "view": "list",
        "currency": org.currency,
        "total": total,
        "value": total,
        "counts": counts,
        "window": {"start": window.start.isoformat(), "end": window.end.isoformat()},
        "items": items,
        "firing_alerts": firing_alerts(session),
    }


# Firing alerts shown on top of the anomaly cards ("Anomaly Alerts" on the
# Performance dashboard, "Detected Anomalies" on Forecasting).
FIRING_ALERTS_SHOWN = 10


def firing_alerts(session: Session) -> list[dict]:
    """The org's firing (alert, entity) pairs of active alerts, latest first."""
    rows = session.execute(
        select(
            DashboardAlert.id,
            DashboardAlert.name,
            DashboardAlert.alert_type,
            DashboardAlert.acknowledged_at,
            AlertState.entity_label,
            AlertState.value,
            AlertState.since,
        )
        .join(AlertState, AlertState.alert_id == DashboardAlert.id)
        .where(AlertState.state == "firing", DashboardAlert.is_active.is_(True))
        .order_by(desc(AlertState.since), DashboardAlert.id)
        .limit(FIRING_ALERTS_SHOWN)
    ).all()
    return [
        {
            "alert_id": row.id,
            "name": row.name,
            "alert_type": row.alert_type,
            "entity_label": row.entity_label,
            "value": row.value,
            "since": _stamp(row.since),
            "acknowledged": row.acknowledged_at is not None,
        }
        for row in rows
    ]


# ------------------------------------------------------------------------------ trends
class TrendParams(QueryParams):
    """``query_params`` of ``trends``."""

    metric: MetricName = None
    entity_type: Literal["org", "platform"] | None = None
    trend_type: Annotated[
        list[Literal["increasing", "decreasing", "stable", "volatile"]],
        BeforeValidator(_as_list),
    ] = Field(default_factory=list)
    window_days: int | None = Field(None, ge=7, le=365)
    limit: int = Field(100, ge=1, le=500)


@register("trends", TrendParams, period="daily")
def trends_source(
    session: Session, org: OrgContext, params: TrendParams, filters: Filters
) -> dict:
    """Trend of each metric for the org and per platform: slope and classification."""
    conditions = []
    if params.metric:
        conditions.append(TrendAnalysis.metric == params.metric)
    if params.entity_type:
        conditions.append(TrendAnalysis.entity_type == params.entity_type)
    if params.trend_type:
        conditions.append(TrendAnalysis.trend_type.in_(params.trend_type))
    if params.window_days:
        conditions.append(TrendAnalysis.window_days == params.window_days)
    if filters.platforms:
        # The org-wide rows are not the filtered platforms' total: leave them out.
        conditions += [
            TrendAnalysis.entity_type == "platform",
            TrendAnalysis.entity_id.in_(filters.platforms),
        ]
    rows = session.scalars(
        select(TrendAnalysis)
        .where(*conditions)
        .order_by(
            TrendAnalysis.entity_type != "org",
            TrendAnalysis.entity_id,
            TrendAnalysis.metric,
            TrendAnalysis.window_days,
        )
        .limit(params.limit)
    ).all()
    items: list[dict[str, Any]] = []
    for row in rows:
        metric = METRICS[row.metric]
        items.append(
            {
                "id": row.id,
                "entity_type": row.entity_type,
                "entity_id": row.entity_id,
                "name": "All platforms"
                if row.entity_type == "org"
                else PLATFORMS.get(row.entity_id or "", row.entity_id),
                "metric": row.metric,
                "label": metric.label,
                "format": metric.format,
                "trend_type": row.trend_type,
                "direction": "up"
                if row.slope > 0
                else "down"
                if row.slope < 0
                else "neutral",
                "slope_pct_per_day": row.slope,
                "change_pct": row.slope * (row.window_days - 1),
                # The same as fractions, for the percent format (-0.132 = −13.2 %).
                "slope_per_day": row.slope / 100,
                "change": row.slope * (row.window_days - 1) / 100,
                "window_days": row.window_days,
                "window_start": row.window_start.isoformat(),
                "window_end": row.window_end.isoformat(),
                "computed_at": _stamp(row.computed_at),
            }
        )
    counts = dict.fromkeys(TREND_TYPES, 0)
    for item in items:
        counts[item["trend_type"]] += 1
    return {
        "view": "list",
        "total": len(items),
        "counts": counts,
        "items": items,
        "as_of": max((i["window_end"] for i in items), default=None),
    }


# --------------------------------------------------------------------- recommendations
def _pending_only() -> list[RecommendationStatus]:
    return ["pending"]


class RecommendationParams(QueryParams):
    """``query_params`` of ``recommendations``: ``status`` defaults to ``pending``."""

    status: Annotated[
        list[RecommendationStatus] | Literal["all"],
        _list_or_keyword(("all",)),
    ] = Field(default_factory=_pending_only)
    priority: Annotated[list[Priority], BeforeValidator(_as_list)] = Field(
        default_factory=list
    )
    min_priority: Priority | None = None
    rec_type: Annotated[
        list[Literal["pause", "budget_shift", "scale_budget"]],
        BeforeValidator(_as_list),
    ] = Field(default_factory=list)
    limit: int = Field(50, ge=1, le=500)

    def priorities(self) -> list[str]:
        chosen: list[str] = list(self.priority) or list(PRIORITIES)
        if self.min_priority:
            chosen = [
                p
                for p in chosen
                if PRIORITIES.index(p) >= PRIORITIES.index(self.min_priority)
            ]
        return chosen


@register("recommendations", RecommendationParams, period="daily")
def recommendations_source(
    session: Session, org: OrgContext, params: RecommendationParams, filters: Filters
) -> dict:
    """Recommended campaign changes, highest priority and impact first."""
    conditions = [Recommendation.priority.in_(params.priorities())]
    if params.status != "all":
        conditions.append(Recommendation.status.in_(params.status))
    if params.rec_type:
        conditions.append(Recommendation.rec_type.in_(params.rec_type))
    if filters.platforms:
        conditions.append(Campaign.platform.in_(filters.platforms))
    if filters.campaign_ids:
        conditions.append(Recommendation.campaign_id.in_(filters.campaign_ids))
    counts = dict.fromkeys(PRIORITIES, 0)
    for priority, count in session.execute(
        select(Recommendation.priority, func.count())
        .outerjoin(Campaign, Campaign.id == Recommendation.campaign_id)
        .where(*conditions)
        .group_by(Recommendation.priority)
    ):
        counts[priority] = count
    rank = case({p: i for i, p in enumerate(PRIORITIES)}, value=Recommendation.priority)
    rows = session.execute(
        select(Recommendation, Campaign.name, Campaign.platform)
        .outerjoin(Campaign, Campaign.id == Recommendation.campaign_id)
        .where(*conditions)
        .order_by(
            Recommendation.status != "pending",
            desc(rank),
            desc(func.coalesce(Recommendation.expected_impact, 0)),
            desc(Recommendation.id),
        )
        .limit(params.limit)
    ).all()
    target_ids = {r.payload.get("to_campaign_id") for r, *_ in rows} - {None}
    target = aliased(Campaign)
    names = (
        dict(
            session.execute(
                select(target.id, target.name).where(target.id.in_(target_ids))
            ).all()
        )
        if target_ids
        else {}
    )
    items = []
    for rec, campaign_name, platform in rows:
        to_id = rec.payload.get("to_campaign_id")
        items.append(
            {
                **recommendation_dict(rec),
                "campaign_name": campaign_name,
                "platform": platform,
                "platform_name": PLATFORMS.get(platform or "", platform),
                "to_campaign_id": to_id,
                "to_campaign_name": None if to_id is None else names.get(to_id),
            }
        )
    total = sum(counts.values())
    return {
        "view": "list",
        "currency": org.currency,
        "total": total,
        "value": total,
        "counts": counts,
        "as_of": _stamp(last_complete_day(session, org.timezone)),
        "items": items,
    }
