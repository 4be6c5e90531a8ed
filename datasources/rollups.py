"""Keep the daily rollup in step with the hourly facts.

The daily rollup (``metric_facts_daily``) is keyed by org-local day, campaign and
country, so day-level widgets read a few thousand rows instead of millions of hourly
ones. It is rebuilt for exactly the days an ingest touched, in the same transaction.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, Integer, and_, cast, delete, func, insert, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from datasources.models import Campaign, MetricFactDaily, MetricFactHourly


def week_start_of(day: ColumnElement, dialect: str) -> ColumnElement:
    """SQL for the Monday of ``day``'s week (``day`` is already an org-local date)."""
    if dialect == "postgresql":
        return cast(func.date_trunc("week", day), Date)
    # SQLite: strftime('%w') is 0 on Sunday, so (w + 6) % 7 days back is Monday.
    days_back = (cast(func.strftime("%w", day), Integer) + 6) % 7
    return func.date(day, func.printf("-%d days", days_back))


def refresh_daily_rollup(
    session: Session,
    org_id: int,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> int:
    """Recompute the daily rollup of one org for org-local days in [date_from, date_to].

    Args:
        session: a session in the org's context (or an unscoped admin session).
        org_id: the org whose rollup to rebuild.
        date_from: first org-local day to rebuild; ``None`` means from the beginning.
        date_to: last org-local day to rebuild; ``None`` means to the end.

    Returns:
        The number of daily rows written.
    """
    day_filter = [MetricFactDaily.org_id == org_id]
    fact_filter = [MetricFactHourly.org_id == org_id]
    if date_from is not None:
        day_filter.append(MetricFactDaily.day >= date_from)
        fact_filter.append(MetricFactHourly.local_date >= date_from)
    if date_to is not None:
        day_filter.append(MetricFactDaily.day <= date_to)
        fact_filter.append(MetricFactHourly.local_date <= date_to)

    session.execute(delete(MetricFactDaily).where(and_(*day_filter)))
    aggregated = (
        select(
            MetricFactHourly.org_id,
            MetricFactHourly.campaign_id,
            MetricFactHourly.local_date,
            MetricFactHourly.country,
            Campaign.platform,
            week_start_of(MetricFactHourly.local_date, session.get_bind().dialect.name),
            func.sum(MetricFactHourly.impressions),
            func.sum(MetricFactHourly.clicks),
            func.sum(MetricFactHourly.conversions),
            func.sum(MetricFactHourly.spend),
            func.sum(MetricFactHourly.revenue),
        )
        .join(Campaign, Campaign.id == MetricFactHourly.campaign_id)
        .where(and_(*fact_filter))
        .group_by(
            MetricFactHourly.org_id,
            MetricFactHourly.campaign_id,
            MetricFactHourly.local_date,
            MetricFactHourly.country,
            Campaign.platform,
        )
    )
    result = session.execute(
        insert(MetricFactDaily).from_select(
            [
                "org_id", "campaign_id", "day", "country", "platform", "week_start",
                "impressions", "clicks", "conversions", "spend", "revenue",
            ],
            aggregated,
        )
    )
    return result.rowcount or 0
