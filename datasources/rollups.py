"""Keep the rollups in step with the hourly facts.

The rollups, by grain, and the views they serve:

- ``metric_facts_daily``: org-local day × campaign × country; filtered or
  per-campaign/country views.
- ``metric_facts_daily_platform``: org-local day × platform; day/week views without
  such filters.
- ``metric_facts_hourly_platform``: UTC hour × platform; hour views without such
  filters.
- ``campaign_totals``: campaign (lifetime sums, first/last day); budget pacing.

:func:`refresh_daily_rollup` rebuilds an org's days wholesale (seeding, benchmarks).
An ingest calls :func:`refresh_campaign_days` for exactly what it touched, in its own
transaction; on PostgreSQL it has first added its differences to the two fact-grain
rollups with :data:`STAGE_DELTA_SQL` and :data:`APPLY_DELTA_SQL`.

Every path that rebuilds a rollup from the hourly facts must stay after the org's
retention purge (``orgs.raw_purged_before``, see :mod:`datasources.retention`): before
it the facts are gone and the rollups are the only record. Ingest refuses rows before
it, and :func:`refresh_daily_rollup` starts there. (Migrations 0005-0009 also rebuild
rollups from the facts, but they run before 0010 adds retention, so before any purge.)
"""

from __future__ import annotations

import datetime as dt
import typing
from collections.abc import Iterable, Iterator
from typing import Any

from sqlalchemy import (
    CursorResult,
    Date,
    Integer,
    SQLColumnExpression,
    cast,
    delete,
    func,
    insert,
    select,
    text,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select
from sqlalchemy.sql.elements import ColumnElement

from core.metrics import BASE_COLUMNS as SUMS
from core.models import (
    Campaign,
    CampaignTotals,
    MetricFactDaily,
    MetricFactDailyPlatform,
    MetricFactHourly,
    MetricFactHourlyPlatform,
    Org,
)

DAILY_COLUMNS = [
    "org_id",
    "campaign_id",
    "day",
    "country",
    "platform",
    "week_start",
    *SUMS,
]
HOURLY_PLATFORM_COLUMNS = ["org_id", "hour_utc", "platform", "local_date", *SUMS]
DAILY_PLATFORM_COLUMNS = ["org_id", "day", "platform", "week_start", *SUMS]
# A key of the advisory lock that serialises one org's ingests and purges (PostgreSQL).
INGEST_LOCK_CLASS = 7_311
# Bound parameters per IN list: well under SQLite's limit, a few years of days.
DAYS_PER_STATEMENT = 400

# PostgreSQL ingests keep the daily and hourly-platform rollups by difference: the
# staged rows (each on its local day) minus the stored facts they replace (each on its
# own local day), summed per rollup row, is added to the rollups after the upsert. That
# reads the replaced facts once instead of every campaign of every touched hour again.
STAGING_TABLE = "pulse_ingest_staging"
DELTA_TABLE = "pulse_ingest_delta"
STAGE_DELTA_SQL = f"""
CREATE TEMPORARY TABLE {DELTA_TABLE} ON COMMIT DROP AS
SELECT d.campaign_id, d.hour_utc, d.local_date, d.country, c.platform,
       {", ".join(f"SUM(d.{m}) AS {m}" for m in SUMS)}
FROM (
  SELECT s.campaign_id, s.hour_utc, s.local_date, s.country,
         {", ".join(f"s.{m}" for m in SUMS)}
  FROM {STAGING_TABLE} AS s
  UNION ALL
  SELECT f.campaign_id, f.hour_utc, f.local_date, f.country,
         {", ".join(f"-f.{m}" for m in SUMS)}
  FROM {STAGING_TABLE} AS s
  JOIN metric_facts_hourly AS f
    ON f.campaign_id = s.campaign_id AND f.hour_utc = s.hour_utc
   AND f.country = s.country
) AS d
JOIN campaigns AS c ON c.id = d.campaign_id
GROUP BY d.campaign_id, d.hour_utc, d.local_date, d.country, c.platform
"""
_ADD = ", ".join(f"{m} = {{table}}.{m} + excluded.{m}" for m in SUMS)
_SUM_ALL = ", ".join(f"SUM({m})" for m in SUMS)
APPLY_DELTA_SQL = (
    f"""INSERT INTO metric_facts_daily ({", ".join(DAILY_COLUMNS)})
    SELECT %(org)s, campaign_id, local_date, country, MIN(platform),
           date_trunc('week', local_date)::date, {_SUM_ALL}
    FROM {DELTA_TABLE} GROUP BY campaign_id, local_date, country
    ON CONFLICT (campaign_id, day, country) DO UPDATE SET
    {_ADD.format(table="metric_facts_daily")}""",
    f"""INSERT INTO metric_facts_hourly_platform ({", ".join(HOURLY_PLATFORM_COLUMNS)})
    SELECT %(org)s, hour_utc, platform, MIN(local_date), {_SUM_ALL}
    FROM {DELTA_TABLE} GROUP BY hour_utc, platform
    ON CONFLICT (org_id, hour_utc, platform) DO UPDATE SET
    {_ADD.format(table="metric_facts_hourly_platform")}""",
)


def lock_org_facts(session: Session, org_id: int) -> None:
    """Serialise one org's writers of hourly facts (ingests, the retention purge), so
    two rollup rebuilds never interleave and no ingest writes a day being purged
    (PostgreSQL; SQLite has one writer at a time anyway)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text("SELECT pg_advisory_xact_lock(:k, :org)"),
            {"k": INGEST_LOCK_CLASS, "org": org_id},
        )


def week_start_of(day: SQLColumnExpression[Any], dialect: str) -> ColumnElement[Any]:
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

    Days before the org's retention purge (``orgs.raw_purged_before``) are never
    rebuilt, whatever ``date_from`` says: their facts are gone and the rollups are
    their only record.
    """
    purged_before = session.scalar(
        select(Org.raw_purged_before).where(Org.id == org_id)
    )
    if purged_before is not None and (date_from is None or date_from < purged_before):
        date_from = purged_before
    fact_days = _day_range(MetricFactHourly.local_date, date_from, date_to)
    _refresh_hourly_platform(
        session,
        org_id,
        _day_range(MetricFactHourlyPlatform.local_date, date_from, date_to),
        fact_days,
    )
    session.execute(
        delete(MetricFactDaily).where(
            MetricFactDaily.org_id == org_id,
            *_day_range(MetricFactDaily.day, date_from, date_to),
        )
    )
    # An INSERT gives a CursorResult; Session.execute is typed as the general Result.
    inserted = typing.cast(
        CursorResult[Any],
        session.execute(
            insert(MetricFactDaily).from_select(
                DAILY_COLUMNS, _daily_from_facts(session, org_id, fact_days)
            )
        ),
    )
    written = inserted.rowcount
    _refresh_daily_platform(
        session,
        org_id,
        _day_range(MetricFactDailyPlatform.day, date_from, date_to),
        _day_range(MetricFactDaily.day, date_from, date_to),
    )
    refresh_campaign_totals(session, org_id)
    return written or 0


def refresh_campaign_days(
    session: Session,
    org_id: int,
    campaign_days: dict[int, set[dt.date]],
    *,
    deltas_applied: bool,
) -> None:
    """Bring the rollups up to date after an ingest touched these campaign-days.

    Args:
        session: the ingest's session (same transaction).
        org_id: the org ingested into.
        campaign_days: the org-local days each campaign received facts for.
        deltas_applied: the ingest has already added its differences to the daily and
            hourly-platform rollups (:data:`APPLY_DELTA_SQL`); else they are rebuilt
            here.
    """
    touched = set().union(*campaign_days.values())
    if not deltas_applied:
        for campaign_id, days in sorted(campaign_days.items()):
            for chunk in _chunks(days):
                session.execute(
                    delete(MetricFactDaily).where(
                        MetricFactDaily.org_id == org_id,
                        MetricFactDaily.campaign_id == campaign_id,
                        MetricFactDaily.day.in_(chunk),
                    )
                )
                session.execute(
                    insert(MetricFactDaily).from_select(
                        DAILY_COLUMNS,
                        _daily_from_facts(
                            session,
                            org_id,
                            [
                                MetricFactHourly.campaign_id == campaign_id,
                                MetricFactHourly.local_date.in_(chunk),
                            ],
                        ),
                    )
                )
        for chunk in _chunks(touched):
            _refresh_hourly_platform(
                session,
                org_id,
                [MetricFactHourlyPlatform.local_date.in_(chunk)],
                [MetricFactHourly.local_date.in_(chunk)],
            )
    refresh_campaign_totals(session, org_id, campaign_days)
    for chunk in _chunks(touched):
        _refresh_daily_platform(
            session,
            org_id,
            [MetricFactDailyPlatform.day.in_(chunk)],
            [MetricFactDaily.day.in_(chunk)],
        )


def refresh_campaign_totals(
    session: Session, org_id: int, campaign_ids: Iterable[int] | None = None
) -> None:
    """Recompute the lifetime sums of these campaigns (every campaign of the org when
    ``None``) from the daily rollup, which must already be up to date."""
    ids = None if campaign_ids is None else sorted(set(campaign_ids))
    scope = [] if ids is None else [CampaignTotals.campaign_id.in_(ids)]
    session.execute(
        delete(CampaignTotals).where(CampaignTotals.org_id == org_id, *scope)
    )
    daily_scope = [] if ids is None else [MetricFactDaily.campaign_id.in_(ids)]
    aggregated = (
        select(
            MetricFactDaily.org_id,
            MetricFactDaily.campaign_id,
            func.min(MetricFactDaily.day),
            func.max(MetricFactDaily.day),
            *(func.sum(getattr(MetricFactDaily, name)) for name in SUMS),
        )
        .where(MetricFactDaily.org_id == org_id, *daily_scope)
        .group_by(MetricFactDaily.org_id, MetricFactDaily.campaign_id)
    )
    session.execute(
        insert(CampaignTotals).from_select(
            ["org_id", "campaign_id", "first_day", "last_day", *SUMS], aggregated
        )
    )


def _refresh_daily_platform(
    session: Session,
    org_id: int,
    rollup_days: list[ColumnElement[bool]],
    daily_days: list[ColumnElement[bool]],
) -> None:
    """Delete the org's daily-platform rows matching ``rollup_days`` and re-insert them
    from the daily rollup rows matching ``daily_days`` (the same days), by platform."""
    session.execute(
        delete(MetricFactDailyPlatform).where(
            MetricFactDailyPlatform.org_id == org_id, *rollup_days
        )
    )
    aggregated = (
        select(
            MetricFactDaily.org_id,
            MetricFactDaily.day,
            MetricFactDaily.platform,
            func.min(MetricFactDaily.week_start),
            *(func.sum(getattr(MetricFactDaily, name)) for name in SUMS),
        )
        .where(MetricFactDaily.org_id == org_id, *daily_days)
        .group_by(MetricFactDaily.org_id, MetricFactDaily.day, MetricFactDaily.platform)
    )
    session.execute(
        insert(MetricFactDailyPlatform).from_select(DAILY_PLATFORM_COLUMNS, aggregated)
    )


def _day_range(
    column: SQLColumnExpression[dt.date],
    date_from: dt.date | None,
    date_to: dt.date | None,
) -> list[ColumnElement[bool]]:
    """Conditions keeping ``column`` within [date_from, date_to] (either end open)."""
    conditions: list[ColumnElement[bool]] = []
    if date_from is not None:
        conditions.append(column >= date_from)
    if date_to is not None:
        conditions.append(column <= date_to)
    return conditions


def _refresh_hourly_platform(
    session: Session,
    org_id: int,
    rollup_days: list[ColumnElement[bool]],
    fact_days: list[ColumnElement[bool]],
) -> None:
    """Delete the org's rollup rows matching ``rollup_days`` and re-insert them from the
    hourly facts matching ``fact_days`` (the same days), summed by hour and platform."""
    session.execute(
        delete(MetricFactHourlyPlatform).where(
            MetricFactHourlyPlatform.org_id == org_id, *rollup_days
        )
    )
    aggregated = (
        select(
            MetricFactHourly.org_id,
            MetricFactHourly.hour_utc,
            Campaign.platform,
            MetricFactHourly.local_date,
            *(func.sum(getattr(MetricFactHourly, name)) for name in SUMS),
        )
        .join(Campaign, Campaign.id == MetricFactHourly.campaign_id)
        .where(MetricFactHourly.org_id == org_id, *fact_days)
        .group_by(
            MetricFactHourly.org_id,
            MetricFactHourly.hour_utc,
            Campaign.platform,
            MetricFactHourly.local_date,
        )
    )
    session.execute(
        insert(MetricFactHourlyPlatform).from_select(
            HOURLY_PLATFORM_COLUMNS, aggregated
        )
    )


def _daily_from_facts(
    session: Session, org_id: int, conditions: list[ColumnElement[bool]]
) -> Select:
    """The daily rollup rows of the org's hourly facts matching ``conditions``."""
    dialect = session.get_bind().dialect.name
    return (
        select(
            MetricFactHourly.org_id,
            MetricFactHourly.campaign_id,
            MetricFactHourly.local_date,
            MetricFactHourly.country,
            Campaign.platform,
            week_start_of(MetricFactHourly.local_date, dialect),
            *(func.sum(getattr(MetricFactHourly, name)) for name in SUMS),
        )
        .join(Campaign, Campaign.id == MetricFactHourly.campaign_id)
        .where(MetricFactHourly.org_id == org_id, *conditions)
        .group_by(
            MetricFactHourly.org_id,
            MetricFactHourly.campaign_id,
            MetricFactHourly.local_date,
            MetricFactHourly.country,
            Campaign.platform,
        )
    )


def _chunks(days: Iterable[dt.date]) -> Iterator[list[dt.date]]:
    """The distinct days, in order, a statement's worth at a time."""
    ordered = sorted(set(days))
    for start in range(0, len(ordered), DAYS_PER_STATEMENT):
        yield ordered[start : start + DAYS_PER_STATEMENT]
