"""Pulse analytics: forecasts, anomalies, trends and recommendations on stored data.

This module holds what the analytics share: the org's last complete day, and daily
sums of the base columns read from the daily rollup (aggregated in SQL by day, and by
campaign or platform when asked) as numpy arrays with one value per org-local day.
Ratio metrics are computed from those sums day by day (a ratio of the day's sums;
NaN where the denominator is 0).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.filters import Filters, OrgContext
from core.metrics import BASE_COLUMNS, Metric
from core.models import MetricFactDaily, MetricFactHourly, Org
from core.windows import org_today, zone

GroupBy = Literal["campaign", "platform"] | None


@dataclass(frozen=True)
class Scope:
    """Which facts a series covers: ``None`` means every platform/campaign; an empty
    tuple matches nothing (e.g. an entity outside the dashboard's platform filter)."""

    platforms: tuple[str, ...] | None = None
    campaign_ids: tuple[int, ...] | None = None


def parse_entity(entity: str | None, filters: Filters) -> Scope:
    """The scope of ``entity`` (``"org"``, ``"platform:<code>"``, ``"campaign:<id>"``)
    within the dashboard's ``filters``.

    Raises:
        ValueError: an entity that is not one of those forms.
    """
    platforms = tuple(filters.platforms) or None
    campaigns = tuple(filters.campaign_ids) or None
    if entity in (None, "", "org"):
        return Scope(platforms, campaigns)
    kind, _, key = entity.partition(":")
    if kind == "platform" and key:
        return Scope(tuple(p for p in (platforms or (key,)) if p == key), campaigns)
    if kind == "campaign" and key.isdigit():
        cid = int(key)
        return Scope(platforms, tuple(c for c in (campaigns or (cid,)) if c == cid))
    raise ValueError(
        f"entity {entity!r} is not 'org', 'platform:<code>' or 'campaign:<id>'"
    )


def org_context(session: Session, org_id: int) -> OrgContext:
    """The :class:`OrgContext` of ``org_id`` read through an org-scoped session."""
    org = session.scalars(select(Org).where(Org.id == org_id)).one()
    return OrgContext.of(org)


def last_complete_day(
    session: Session, timezone: str, now: dt.datetime | None = None
) -> dt.date | None:
    """The org's last org-local day whose every hour has been ingested.

    The hour after the newest hourly fact is where the data ends; the day before that
    moment's local day is complete (today's partial day would look like a collapse to
    every forecast and anomaly check). Never later than yesterday; ``None`` when the org
    has no facts.
    """
    newest = session.scalar(select(func.max(MetricFactHourly.hour_utc)))
    if newest is None:
        latest_day = session.scalar(select(func.max(MetricFactDaily.day)))
        if latest_day is None:
            return None
        end_day = _as_date(latest_day)
    else:
        if isinstance(newest, str):
            newest = dt.datetime.fromisoformat(newest)
        end = (
            (newest + dt.timedelta(hours=1))
            .replace(tzinfo=dt.UTC)
            .astimezone(zone(timezone))
        )
        end_day = end.date()
    return min(end_day, org_today(timezone, now)) - dt.timedelta(days=1)


def day_range(start: dt.date, end: dt.date) -> list[dt.date]:
    """Every day from ``start`` to ``end`` inclusive."""
    return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]


def _as_date(value) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def load_daily(
    session: Session,
    start: dt.date,
    end: dt.date,
    scope: Scope | None = None,
    by: GroupBy = None,
) -> dict[object, dict[str, np.ndarray]]:
    """Daily sums of the base columns from ``start`` to ``end``, per group.

    One SQL ``GROUP BY day[, campaign_id | platform]`` over the daily rollup. Returns
    ``{key: {column: array, "rows": array}}`` where each array has one entry per day
    (0 on days without facts) and ``rows`` counts the rollup rows of the day (0 means no
    delivery at all). The key is the campaign id, the platform code, or ``None``.
    """
    scope = scope or Scope()
    keys = [MetricFactDaily.day]
    if by == "campaign":
        keys.append(MetricFactDaily.campaign_id)
    elif by == "platform":
        keys.append(MetricFactDaily.platform)
    statement = (
        select(
            *keys,
            *[func.sum(getattr(MetricFactDaily, c)).label(c) for c in BASE_COLUMNS],
            func.count().label("rows"),
        )
        .where(MetricFactDaily.day.between(start, end))
        .group_by(*keys)
    )
    if scope.platforms is not None:
        statement = statement.where(MetricFactDaily.platform.in_(scope.platforms))
    if scope.campaign_ids is not None:
        statement = statement.where(MetricFactDaily.campaign_id.in_(scope.campaign_ids))
    n_days = (end - start).days + 1
    result: dict[object, dict[str, np.ndarray]] = {}
    for row in session.execute(statement).all():
        key = row[1] if by else None
        series = result.get(key)
        if series is None:
            series = result[key] = {
                c: np.zeros(n_days) for c in (*BASE_COLUMNS, "rows")
            }
        index = (_as_date(row[0]) - start).days
        for column in (*BASE_COLUMNS, "rows"):
            series[column][index] = float(getattr(row, column) or 0)
    return result


def metric_values(sums: dict[str, np.ndarray], metric: Metric) -> np.ndarray:
    """The metric per day from daily sums: a base sum, or numerator/denominator with NaN
    where the denominator is 0 (no value, never 0 or infinity)."""
    top = np.asarray(sums[metric.numerator], dtype=float)
    if not metric.is_ratio:
        return top.copy()
    if metric.denominator not in sums:
        raise ValueError(
            f"{metric.name} needs {metric.denominator}, which daily facts lack"
        )
    bottom = np.asarray(sums[metric.denominator], dtype=float)
    out = np.full(len(top), np.nan)
    np.divide(top, bottom, out=out, where=bottom != 0)
    return out
