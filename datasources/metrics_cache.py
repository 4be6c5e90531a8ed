"""The ``realtime_metrics_cache`` table: the org's headline KPI figures as records.

Whenever an unfiltered KPI summary is computed, its figures are written here in the
shape of the KPI cards (current, previous period, change percent, trend), so any worker
or the report job can read a fresh figure without recomputing it.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models import RealtimeMetricsCache, utcnow


def metric_key(metric: str, period: str) -> str:
    return f"campaigns:{metric}:{period}"


def store_kpi(session: Session, params, result: dict, ttl_seconds: int) -> None:
    """Upsert the KPI record of a ``campaigns`` summary result in the session's org."""
    key = metric_key(result["metric"], params.period)
    row = session.scalars(
        select(RealtimeMetricsCache).where(RealtimeMetricsCache.metric_key == key)
    ).one_or_none()
    if row is None:
        row = RealtimeMetricsCache(
            metric_key=key, metric_type=result["metric"], entity_type="org"
        )
        session.add(row)
    now = utcnow()
    row.metric_data = {
        "current": result["value"],
        "previous_period": result["previous"],
        "change_percent": result["change_pct"],
        "trend": result["trend"],
        "window": result["window"],
        "format": result["format"],
        "currency": result["currency"],
    }
    row.aggregation_period = result.get("aggregation_period", "hourly")
    row.cached_at = now
    row.expires_at = now + dt.timedelta(seconds=ttl_seconds)


def read_kpi(
    session: Session, metric: str, period: str = "30d", *, allow_expired: bool = False
) -> dict | None:
    """The stored KPI record, or ``None`` if absent (or expired, unless allowed)."""
    row = session.scalars(
        select(RealtimeMetricsCache).where(
            RealtimeMetricsCache.metric_key == metric_key(metric, period)
        )
    ).one_or_none()
    if row is None or (row.expires_at < utcnow() and not allow_expired):
        return None
    return {
        "metric_key": row.metric_key,
        "metric_type": row.metric_type,
        "metric_data": row.metric_data,
        "aggregation_period": row.aggregation_period,
        "cached_at": row.cached_at.isoformat(),
        "expires_at": row.expires_at.isoformat(),
    }
