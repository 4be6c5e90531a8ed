"""Keep the rollups in step with the hourly facts.

The daily rollup (``metric_facts_daily``) is keyed by org-local day, campaign and
country, so day-level widgets read a few thousand rows instead of millions of hourly
ones; the daily-platform rollup (``metric_facts_daily_platform``) sums it further by
day and platform for widgets without a campaign or country filter. The hourly-platform rollup (``metric_facts_hourly_platform``) is keyed by UTC hour
and platform, so hour-level views without campaign or country filters read one row per
hour and platform. Both are rebuilt for exactly the days an ingest touched, in the
same transaction.
"""

from __future__ import annotations

import datetime as dt

from collections.abc import Iterable

from sqlalchemy import Date, Integer, and_, cast, delete, func, insert, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from datasources.models import (
    Campaign,
    CampaignTotals,
    MetricFactDaily,
    MetricFactDailyPlatform,
    MetricFactHourly,
    MetricFactHourlyPlatform,
)

SUMS = ["impressions", "clicks", "conversions", "spend", "revenue"]
HOURLY_PLATFORM_COLUMNS = ["org_id", "hour_utc", "platform", "local_date", *SUMS]
DAILY_PLATFORM_COLUMNS = ["org_id", "day", "platform", "week_start", *SUMS]
# Bound parameters per IN list: well under SQLite's limit, a few years of days.
DAYS_PER_STATEMENT = 400


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
    """Recompute the daily, daily-platform and hourly-platform rollups of one org for
    org-local days in [date_from, date_to].

    Args:
        session: a session in the org's context (or an unscoped admin session).
        org_id: the org whose rollup to rebuild.
        date_from: first org-local day to rebuild; ``None`` means from the beginning.
        date_to: last org-local day to rebuild; ``None`` means to the end.

    Returns:
        The number of daily rows written.
    """
    fact_days = _day_range(MetricFactHourly.local_date, date_from, date_to)
    _refresh_hourly_platform(session, org_id,
                             _day_range(MetricFactHourlyPlatform.local_date, date_from, date_to),
                             fact_days)
    day_filter = [MetricFactDaily.org_id == org_id,
                  *_day_range(MetricFactDaily.day, date_from, date_to)]
    fact_filter = [MetricFactHourly.org_id == org_id, *fact_days]

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
    written = session.execute(
        insert(MetricFactDaily).from_select(
            [
                "org_id", "campaign_id", "day", "country", "platform", "week_start",
                "impressions", "clicks", "conversions", "spend", "revenue",
            ],
            aggregated,
        )
    ).rowcount
    _refresh_daily_platform(session, org_id,
                            _day_range(MetricFactDailyPlatform.day, date_from, date_to),
                            _day_range(MetricFactDaily.day, date_from, date_to))
    refresh_campaign_totals(session, org_id)
    return written or 0


def refresh_campaign_totals(session: Session, org_id: int,
                            campaign_ids: Iterable[int] | None = None) -> None:
    """Recompute the lifetime sums of these campaigns (every campaign of the org when
    ``None``) from the daily rollup, which must already be up to date."""
    ids = None if campaign_ids is None else sorted(set(campaign_ids))
    scope = [] if ids is None else [CampaignTotals.campaign_id.in_(ids)]
    session.execute(delete(CampaignTotals).where(CampaignTotals.org_id == org_id, *scope))
    daily_scope = [] if ids is None else [MetricFactDaily.campaign_id.in_(ids)]
    aggregated = (
        select(MetricFactDaily.org_id, MetricFactDaily.campaign_id,
               func.min(MetricFactDaily.day), func.max(MetricFactDaily.day),
               *(func.sum(getattr(MetricFactDaily, name)) for name in SUMS))
        .where(MetricFactDaily.org_id == org_id, *daily_scope)
        .group_by(MetricFactDaily.org_id, MetricFactDaily.campaign_id)
    )
    session.execute(insert(CampaignTotals).from_select(
        ["org_id", "campaign_id", "first_day", "last_day", *SUMS], aggregated))


def refresh_hourly_platform_days(session: Session, org_id: int, days: Iterable[dt.date]) -> None:
    """Rebuild the hourly-platform rollup of one org for exactly these org-local days.

    Every fact of one UTC hour has the same ``local_date`` (the org's time zone fixes
    it), so rebuilding whole local days never splits an hour's sums.
    """
    ordered = sorted(set(days))
    for start in range(0, len(ordered), DAYS_PER_STATEMENT):
        chunk = ordered[start:start + DAYS_PER_STATEMENT]
        _refresh_hourly_platform(session, org_id,
                                 [MetricFactHourlyPlatform.local_date.in_(chunk)],
                                 [MetricFactHourly.local_date.in_(chunk)])


def refresh_daily_platform_days(session: Session, org_id: int, days: Iterable[dt.date]) -> None:
    """Rebuild the daily-platform rollup of one org for exactly these org-local days,
    from the daily rollup (which must already hold those days' new sums)."""
    ordered = sorted(set(days))
    for start in range(0, len(ordered), DAYS_PER_STATEMENT):
        chunk = ordered[start:start + DAYS_PER_STATEMENT]
        _refresh_daily_platform(session, org_id, [MetricFactDailyPlatform.day.in_(chunk)],
                                [MetricFactDaily.day.in_(chunk)])


def _refresh_daily_platform(session: Session, org_id: int, rollup_days: list[ColumnElement],
                            daily_days: list[ColumnElement]) -> None:
    """Delete the org's daily-platform rows matching ``rollup_days`` and re-insert them
    from the daily rollup rows matching ``daily_days`` (the same days), by platform."""
    session.execute(delete(MetricFactDailyPlatform).where(
        MetricFactDailyPlatform.org_id == org_id, *rollup_days))
    aggregated = (
        select(MetricFactDaily.org_id, MetricFactDaily.day, MetricFactDaily.platform,
               func.min(MetricFactDaily.week_start),
               *(func.sum(getattr(MetricFactDaily, name)) for name in SUMS))
        .where(MetricFactDaily.org_id == org_id, *daily_days)
        .group_by(MetricFactDaily.org_id, MetricFactDaily.day, MetricFactDaily.platform)
    )
    session.execute(insert(MetricFactDailyPlatform).from_select(DAILY_PLATFORM_COLUMNS,
                                                                aggregated))


def _day_range(column: ColumnElement, date_from: dt.date | None,
               date_to: dt.date | None) -> list[ColumnElement]:
    """Conditions keeping ``column`` within [date_from, date_to] (either end open)."""
    conditions = []
    if date_from is not None:
        conditions.append(column >= date_from)
    if date_to is not None:
        conditions.append(column <= date_to)
    return conditions


def _refresh_hourly_platform(session: Session, org_id: int, rollup_days: list[ColumnElement],
                             fact_days: list[ColumnElement]) -> None:
    """Delete the org's rollup rows matching ``rollup_days`` and re-insert them from the
    hourly facts matching ``fact_days`` (the same days), summed by hour and platform."""
    session.execute(delete(MetricFactHourlyPlatform).where(
        MetricFactHourlyPlatform.org_id == org_id, *rollup_days))
    aggregated = (
        select(MetricFactHourly.org_id, MetricFactHourly.hour_utc, Campaign.platform,
               MetricFactHourly.local_date,
               func.sum(MetricFactHourly.impressions), func.sum(MetricFactHourly.clicks),
               func.sum(MetricFactHourly.conversions), func.sum(MetricFactHourly.spend),
               func.sum(MetricFactHourly.revenue))
        .join(Campaign, Campaign.id == MetricFactHourly.campaign_id)
        .where(MetricFactHourly.org_id == org_id, *fact_days)
        .group_by(MetricFactHourly.org_id, MetricFactHourly.hour_utc, Campaign.platform,
                  MetricFactHourly.local_date)
    )
    session.execute(insert(MetricFactHourlyPlatform).from_select(HOURLY_PLATFORM_COLUMNS,
                                                                 aggregated))
