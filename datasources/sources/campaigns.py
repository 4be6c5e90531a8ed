"""The ``campaigns`` data source: totals, time series and breakdowns of campaign
metrics.

Every figure is aggregated in SQL over the daily rollup (org-local days), or over the
hourly facts for hour-level series. Ratio metrics are ratios of the sums, and the
comparison period is the window of equal length just before the current one; when the
current window holds today (a partial day), both are cut at the same local time of day.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import Field, field_validator
from sqlalchemy import Label, Select, case, desc, func, literal, select
from sqlalchemy.orm import Session

from core.filters import Filters, OrgContext
from core.metrics import BASE_COLUMNS, Metric, resolve_metric, sql_value
from core.models import (
    Campaign,
    CampaignTotals,
    MetricFactDaily,
    MetricFactDailyPlatform,
    MetricFactHourly,
    MetricFactHourlyPlatform,
)
from core.reference import COMPARISONS, PLATFORMS
from core.windows import (
    ComparisonCut,
    DateWindow,
    comparison_cut,
    filling_bucket,
    org_today,
    period_days,
    week_start,
    zone,
)
from datasources.registry import QueryParams, register


class CampaignParams(QueryParams):
    """``query_params`` of the ``campaigns`` data source."""

    metric: str = "revenue"
    view: Literal[
        "summary", "timeseries", "breakdown", "heatmap", "pacing", "realtime"
    ] = "summary"
    period: str = "30d"
    granularity: Literal["hour", "day", "week"] = "day"
    group_by: Literal["platform", "campaign", "country"] = "platform"
    split_by: Literal["platform"] | None = None
    order: Literal["desc", "asc"] = "desc"
    limit: int = Field(10, ge=1, le=500)
    comparison: bool = True

    @field_validator("metric")
    @classmethod
    def _known_metric(cls, value: str) -> str:
        return resolve_metric(value).name

    @field_validator("period")
    @classmethod
    def _valid_period(cls, value: str) -> str:
        period_days(value)
        return value


def resolve_window(
    org: OrgContext,
    params: CampaignParams,
    filters: Filters,
    now: dt.datetime | None = None,
) -> DateWindow:
    """The dashboard's date range if set, else the widget's period ending today."""
    if filters.date_from and filters.date_to:
        return DateWindow(filters.date_from, filters.date_to)
    return DateWindow.last_days(
        period_days(params.period), org_today(org.timezone, now)
    )


def _day_table(filters: Filters, group_by: str | None = None):
    """The rollup a day-level query reads: by day and platform when no campaign or
    country is asked for (a few rows per day), else by day, campaign and country."""
    if filters.campaign_ids or filters.countries or group_by in ("campaign", "country"):
        return MetricFactDaily
    return MetricFactDailyPlatform


def _hour_table(filters: Filters):
    """The table an hour-level query reads: the hourly-platform rollup when no campaign
    or country is asked for, else the hourly facts."""
    if filters.campaign_ids or filters.countries:
        return MetricFactHourly
    return MetricFactHourlyPlatform


def _scope(statement: Select, table, filters: Filters) -> Select:
    """Apply the filters; the rollups carry the platform, the hourly facts need the
    statement to join ``Campaign`` for it."""
    if filters.platforms:
        platform = getattr(table, "platform", Campaign.platform)
        statement = statement.where(platform.in_(filters.platforms))
    if filters.campaign_ids:
        statement = statement.where(table.campaign_id.in_(filters.campaign_ids))
    if filters.countries:
        statement = statement.where(table.country.in_(filters.countries))
    return statement


def _sum_columns(table) -> list:
    return [func.sum(getattr(table, name)).label(name) for name in BASE_COLUMNS]


def _as_sums(row) -> dict[str, float]:
    return {name: (getattr(row, name) or 0) for name in BASE_COLUMNS}


def period_totals(
    session: Session, windows: dict[str, DateWindow], filters: Filters
) -> dict[str, dict[str, float]]:
    """Sums of the base columns per named window, in one SQL query.

    Args:
        session: an org-scoped session.
        windows: non-overlapping windows by name, e.g.
            ``{"current": w, "previous": p}``.
        filters: platform and campaign filters.
    """
    table = _day_table(filters)
    bucket = case(
        *[
            (table.day.between(w.start, w.end), literal(name))
            for name, w in windows.items()
        ],
        else_=literal(None),
    ).label("bucket")
    start = min(w.start for w in windows.values())
    end = max(w.end for w in windows.values())
    statement = (
        select(bucket, *_sum_columns(table))
        .where(table.day.between(start, end))
        .group_by(bucket)
    )
    rows = session.execute(_scope(statement, table, filters)).all()
    totals: dict[str, dict[str, float]] = {
        name: dict.fromkeys(BASE_COLUMNS, 0) for name in windows
    }
    for row in rows:
        if row.bucket in totals:
            totals[row.bucket] = _as_sums(row)
    return totals


def daily_sums(
    session: Session,
    window: DateWindow,
    filters: Filters,
    split_by: str | None = None,
    *,
    weekly: bool = False,
) -> dict[tuple, dict[str, float]]:
    """Base-column sums per org-local day, or per week when ``weekly`` (keyed by the
    Monday), and per ``split_by`` value, in ``window``."""
    table = _day_table(filters)
    bucket = (table.week_start if weekly else table.day).label("bucket")
    keys = [bucket]
    if split_by == "platform":
        keys.append(table.platform)
    statement = (
        select(*keys, *_sum_columns(table))
        .where(table.day.between(window.start, window.end))
        .group_by(*keys)
    )
    result = {}
    for row in session.execute(_scope(statement, table, filters)).all():
        bucket_day = (
            row.bucket
            if isinstance(row.bucket, dt.date)
            else dt.date.fromisoformat(row.bucket)
        )
        result[(bucket_day, row.platform if split_by else None)] = _as_sums(row)
    return result


def prorated_budgets(
    session: Session, window: DateWindow, filters: Filters
) -> dict[dt.date, float]:
    """Each day's share of the campaigns' lifetime budgets (budget / flight days).

    Campaigns without an end date count their daily budget instead. Only days inside
    both the window and a campaign's flight carry budget.
    """
    statement = select(
        Campaign.id,
        Campaign.budget,
        Campaign.daily_budget,
        Campaign.start_date,
        Campaign.end_date,
    )
    if filters.platforms:
        statement = statement.where(Campaign.platform.in_(filters.platforms))
    if filters.campaign_ids:
        statement = statement.where(Campaign.id.in_(filters.campaign_ids))
    # A running sum over day offsets: each campaign adds its daily share on its first
    # day in the window and takes it off after its last, so the cost is campaigns +
    # days.
    days = (window.end - window.start).days + 1
    steps = [0.0] * (days + 1)
    for row in session.execute(statement).all():
        if row.end_date is not None:
            flight_days = (row.end_date - row.start_date).days + 1
            daily = (row.budget or 0.0) / flight_days if flight_days > 0 else 0.0
            last = row.end_date
        else:
            daily = row.daily_budget or 0.0
            last = window.end
        first = (max(row.start_date, window.start) - window.start).days
        end = (min(last, window.end) - window.start).days
        if daily and first <= end:
            steps[first] += daily
            steps[end + 1] -= daily
    per_day: dict[dt.date, float] = defaultdict(float)
    running = 0.0
    for offset in range(days):
        # Rounded: a campaign's share added and taken off again must leave exactly 0,
        # not float residue that a day without budget would divide by.
        running = round(running + steps[offset], 6)
        if running:
            per_day[window.start + dt.timedelta(days=offset)] = running
    return per_day


def metric_value(
    metric: Metric, sums: Mapping[str, float], budget: float | None = None
) -> float | None:
    """The metric's value from sums; ``None`` when its denominator is zero."""
    if metric.denominator == "budget":
        return metric.value({**sums, "budget": budget})
    return metric.value(sums)


def change_percent(current: float | None, previous: float | None) -> float | None:
    """Percent change; no value when either side has none or the previous one is 0."""
    if current is None or previous is None or previous == 0:
        return None
    return (current - previous) / abs(previous) * 100.0


def trend_direction(change: float | None, tolerance: float = 0.5) -> str:
    if change is None:
        return "neutral"
    if change > tolerance:
        return "up"
    if change < -tolerance:
        return "down"
    return "neutral"


def partial_day_sums(
    session: Session, cut: ComparisonCut, filters: Filters
) -> dict[str, dict[str, float]]:
    """Base sums of today so far and of the previous window's last day up to the same
    local time, from the hour-level table, in one query: ``{"current": ...,
    "previous": ...}``. Hours count when they start before the cut-off."""
    table = _hour_table(filters)
    ranges = {
        "current": (cut.current_from, cut.current_until),
        "previous": (cut.previous_from, cut.previous_until),
    }
    bucket = case(
        *[
            ((table.hour_utc >= start) & (table.hour_utc < end), literal(name))
            for name, (start, end) in ranges.items()
        ],
        else_=literal(None),
    ).label("bucket")
    statement = (
        select(bucket, *_sum_columns(table))
        .where(
            table.hour_utc >= min(start for start, _ in ranges.values()),
            table.hour_utc < max(end for _, end in ranges.values()),
        )
        .group_by(bucket)
    )
    if filters.platforms and table is MetricFactHourly:
        statement = statement.join(
            Campaign, Campaign.id == MetricFactHourly.campaign_id
        )
    totals: dict[str, dict[str, float]] = {
        name: dict.fromkeys(BASE_COLUMNS, 0) for name in ranges
    }
    for row in session.execute(_scope(statement, table, filters)).all():
        if row.bucket in totals:
            totals[row.bucket] = _as_sums(row)
    return totals


def _comparison(
    window: DateWindow, cut: ComparisonCut | None, kind: str | None
) -> dict:
    """What the previous figure is compared over, for the KPI card's label."""
    kind = kind or "previous_period"
    if cut is None:
        return {"same_time": False, "days": window.days, "kind": kind}
    return {
        "same_time": True,
        "days": window.days,
        "kind": kind,
        "until": cut.local_until.isoformat(timespec="minutes"),
        "previous_until": cut.previous_local_until.isoformat(timespec="minutes"),
    }


def _summary(
    session: Session,
    org: OrgContext,
    params: CampaignParams,
    filters: Filters,
    metric: Metric,
) -> dict:
    window = resolve_window(org, params, filters)
    previous = window.compared_with(filters.comparison)
    cut = comparison_cut(window, org.timezone, previous=previous)
    # One grouped query over both windows: the sparkline's days and both totals.
    by_day = daily_sums(session, DateWindow(previous.start, window.end), filters)
    # Whole days on each side; with a cut, the day holding it on each side is replaced
    # by its hours up to the same local time of day.
    whole: dict[str, tuple[dt.date, dt.date]] = (
        {
            "current": (window.start, cut.today - dt.timedelta(days=1)),
            "previous": (previous.start, cut.previous_day - dt.timedelta(days=1)),
        }
        if cut is not None
        else {
            "current": (window.start, window.end),
            "previous": (previous.start, previous.end),
        }
    )
    totals = {
        name: {
            column: sum(
                sums[column]
                for (day, _), sums in by_day.items()
                if first <= day <= last
            )
            for column in BASE_COLUMNS
        }
        for name, (first, last) in whole.items()
    }
    partial = partial_day_sums(session, cut, filters) if cut is not None else {}
    for name, sums in partial.items():
        for column in BASE_COLUMNS:
            totals[name][column] += sums[column]
    budgets = (
        prorated_budgets(session, DateWindow(previous.start, window.end), filters)
        if metric.denominator == "budget"
        else {}
    )

    def window_budget(w: DateWindow) -> float:
        return sum(budgets.get(d, 0.0) for d in w.dates())

    # With a cut, each side's budget runs through the day holding its cut-off.
    previous_budgeted = (
        DateWindow(previous.start, cut.previous_day) if cut is not None else previous
    )
    current_budgeted = (
        DateWindow(window.start, cut.today) if cut is not None else window
    )
    current_value = metric_value(
        metric, totals["current"], window_budget(current_budgeted)
    )
    previous_value = metric_value(
        metric, totals["previous"], window_budget(previous_budgeted)
    )
    change = change_percent(current_value, previous_value)
    series = []
    zeros: dict[str, float] = dict.fromkeys(BASE_COLUMNS, 0)
    for day in window.dates():
        if cut is not None and day > cut.today:
            sums = zeros
        elif cut is not None and day == cut.today:
            sums = partial["current"]
        else:
            sums = by_day.get((day, None), zeros)
        series.append(
            {
                "date": day.isoformat(),
                "value": metric_value(metric, sums, budgets.get(day)),
            }
        )
    return {
        "view": "summary",
        "metric": metric.name,
        "label": metric.label,
        "format": metric.format,
        "higher_is_better": metric.higher_is_better,
        "currency": org.currency,
        "value": current_value,
        "previous": previous_value,
        "change_pct": change,
        "trend": trend_direction(change),
        "window": {"start": window.start.isoformat(), "end": window.end.isoformat()},
        "previous_window": {
            "start": previous.start.isoformat(),
            "end": previous.end.isoformat(),
        },
        "comparison": _comparison(window, cut, filters.comparison),
        "series": series,
        "partial_bucket": filling_bucket(window, org_today(org.timezone), "day"),
    }


def _timeseries(
    session: Session,
    org: OrgContext,
    params: CampaignParams,
    filters: Filters,
    metric: Metric,
) -> dict:
    window = resolve_window(org, params, filters)
    granularity = params.granularity
    if filters.drill == "week" and granularity == "week":
        # A drilled-down week shows its days.
        granularity = "day"
    if window.days == 1 and metric.denominator != "budget":
        # One day ("today", "yesterday"): a single daily or weekly point says nothing;
        # its hours do. (A budget is a day's: it has no hourly share.)
        granularity = "hour"
    if granularity == "hour":
        series = _hourly_points(session, org, window, filters, metric, params.split_by)
        result = _series_result(org, metric, granularity, window, series)
    else:
        if granularity == "week":
            # Whole weeks only at the start, so the first point is not a partial-week
            # dip.
            window = DateWindow(week_start(window.start), window.end)
        series = _bucket_points(
            session, window, filters, metric, params.split_by, granularity
        )
        result = _series_result(org, metric, granularity, window, series)
    if filters.comparison and not params.split_by:
        result["comparison"] = _comparison_series(
            session, org, window, filters, metric, granularity, result["series"]
        )
    return result


def _bucket_points(
    session: Session,
    window: DateWindow,
    filters: Filters,
    metric: Metric,
    split_by: str | None,
    granularity: str,
) -> dict[str, list[dict]]:
    """The window's days or weeks (by their Monday), for the total or per platform."""
    weekly = granularity == "week"
    by_bucket = daily_sums(session, window, filters, split_by, weekly=weekly)
    budgets: dict[dt.date, float] = defaultdict(float)
    if metric.denominator == "budget":
        for day, amount in prorated_budgets(session, window, filters).items():
            budgets[week_start(day) if weekly else day] += amount
    buckets = sorted({week_start(d) if weekly else d for d in window.dates()})
    names = sorted({key[1] for key in by_bucket if key[1]}) if split_by else [None]
    zeros = dict.fromkeys(BASE_COLUMNS, 0)
    return {
        name or "all": [
            {
                "date": bucket.isoformat(),
                "value": metric_value(
                    metric, by_bucket.get((bucket, name), zeros), budgets.get(bucket)
                ),
            }
            for bucket in buckets
        ]
        for name in names
    }


def _comparison_series(
    session: Session,
    org: OrgContext,
    window: DateWindow,
    filters: Filters,
    metric: Metric,
    granularity: str,
    current: list[dict],
) -> dict:
    """The compared window's points (previous period or the same period last year),
    laid over the current ones bucket by bucket: the n-th point of each pairs up, and
    keeps the current bucket's ``date`` with its own as ``compared_date``."""
    compared = window.compared_with(filters.comparison)
    if granularity == "hour":
        points = _hourly_points(session, org, compared, filters, metric).get("all", [])
        offset = dt.timedelta(days=(window.start - compared.start).days)
        by_time = {p["date"]: p["value"] for p in points}
        shown = current[0]["points"] if current else []
        laid = [
            {
                "date": p["date"],
                "compared_date": (compared_at := _shift(p["date"], -offset)),
                "value": by_time.get(compared_at),
            }
            for p in shown
        ]
    else:
        if granularity == "week":
            compared = DateWindow(week_start(compared.start), compared.end)
        points = _bucket_points(session, compared, filters, metric, None, granularity)[
            "all"
        ]
        shown = current[0]["points"] if current else []
        laid = [
            {
                "date": mine["date"],
                "compared_date": theirs["date"],
                "value": theirs["value"],
            }
            for mine, theirs in zip(shown, points, strict=False)
        ]
    return {
        "kind": filters.comparison,
        "name": COMPARISONS.get(filters.comparison or "", "Compared"),
        "window": {
            "start": compared.start.isoformat(),
            "end": compared.end.isoformat(),
        },
        "points": laid,
    }


def _shift(local_time: str, offset: dt.timedelta) -> str:
    return (dt.datetime.fromisoformat(local_time) + offset).isoformat()


def _hourly_points(
    session: Session,
    org: OrgContext,
    window: DateWindow,
    filters: Filters,
    metric: Metric,
    split_by: str | None = None,
) -> dict[str, list[dict]]:
    """The window's hours (org-local times), for the total or per platform."""
    platform = Campaign.platform if split_by else literal("all")
    statement = (
        select(
            platform.label("name"),
            MetricFactHourly.hour_utc,
            sql_value(metric, MetricFactHourly).label("value"),
        )
        .join(Campaign, Campaign.id == MetricFactHourly.campaign_id)
        .where(MetricFactHourly.local_date.between(window.start, window.end))
        .group_by(platform, MetricFactHourly.hour_utc)
        .order_by(platform, MetricFactHourly.hour_utc)
    )
    rows = session.execute(_scope(statement, MetricFactHourly, filters)).all()
    tz = zone(org.timezone)
    series: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        series[row.name].append(
            {
                "date": row.hour_utc.replace(tzinfo=dt.UTC)
                .astimezone(tz)
                .replace(tzinfo=None)
                .isoformat(),
                "value": None if row.value is None else float(row.value),
            }
        )
    return dict(series) or {"all": []}


def _series_result(
    org: OrgContext,
    metric: Metric,
    granularity: str,
    window: DateWindow,
    series: dict[str, list[dict]],
) -> dict:
    return {
        "partial_bucket": filling_bucket(window, org_today(org.timezone), granularity),
        "view": "timeseries",
        "metric": metric.name,
        "label": metric.label,
        "format": metric.format,
        "currency": org.currency,
        "granularity": granularity,
        "window": {"start": window.start.isoformat(), "end": window.end.isoformat()},
        "series": [
            {
                "name": PLATFORMS.get(name, "Total" if name == "all" else name),
                "key": name,
                "points": points,
            }
            for name, points in series.items()
        ],
    }


def _breakdown(
    session: Session,
    org: OrgContext,
    params: CampaignParams,
    filters: Filters,
    metric: Metric,
) -> dict:
    window = resolve_window(org, params, filters)
    table = _day_table(filters, params.group_by)
    key: Label[Any]
    if params.group_by == "campaign":
        key = MetricFactDaily.campaign_id.label("key")
    elif params.group_by == "platform":
        key = table.platform.label("key")
    else:
        key = MetricFactDaily.country.label("key")
    value = sql_value(metric, table).label("value")
    statement = (
        select(key, *_sum_columns(table), value)
        .where(table.day.between(window.start, window.end))
        .group_by(key)
    )
    ranked = metric.denominator != "budget"
    if ranked:
        # NULL values (no denominator) sort last either way.
        ordering = desc(value) if params.order == "desc" else value
        statement = statement.order_by(value.is_(None), ordering).limit(params.limit)
    statement = _scope(statement, table, filters)
    if params.group_by == "campaign":
        # Sum by campaign id first, then name the chosen campaigns (with status and
        # daily budget: a campaign table edits them inline). Grouping by their text
        # columns as well would double the cost of the query.
        ranked_sums = statement.subquery()
        statement = select(
            ranked_sums,
            Campaign.name.label("name"),
            Campaign.platform.label("platform"),
            Campaign.status.label("status"),
            Campaign.daily_budget.label("daily_budget"),
        ).join(Campaign, Campaign.id == ranked_sums.c.key)
        if ranked:
            ordering = (
                desc(ranked_sums.c.value)
                if params.order == "desc"
                else ranked_sums.c.value
            )
            statement = statement.order_by(ranked_sums.c.value.is_(None), ordering)
    rows = session.execute(statement).all()
    items = []
    for row in rows:
        sums = _as_sums(row)
        name = getattr(row, "name", None) or PLATFORMS.get(row.key, row.key)
        extra = (
            {
                "platform": row.platform,
                "status": row.status,
                "daily_budget": row.daily_budget,
            }
            if params.group_by == "campaign"
            else {}
        )
        items.append(
            {
                "key": row.key,
                "name": name,
                "value": metric_value(metric, sums),
                **extra,
                **sums,
            }
        )
    return {
        "view": "breakdown",
        "metric": metric.name,
        "label": metric.label,
        "format": metric.format,
        "currency": org.currency,
        "group_by": params.group_by,
        "window": {"start": window.start.isoformat(), "end": window.end.isoformat()},
        "items": items,
    }


WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


def _local_hour_sums(
    session: Session, org: OrgContext, window: DateWindow, filters: Filters
) -> list[tuple[dt.datetime, dict[str, float]]]:
    """Base sums per UTC hour in the window, with each hour as org-local time.

    Without campaign or country filters the sums come from the hourly-platform rollup
    (a few rows per hour); otherwise from the hourly facts, joined to campaigns only to
    filter by platform. SQL sums per hour; the conversion to local time (which SQLite
    cannot do) happens on the at most 24 × days resulting rows.
    """
    table = _hour_table(filters)
    statement = (
        select(table.hour_utc, *_sum_columns(table))
        .where(table.local_date.between(window.start, window.end))
        .group_by(table.hour_utc)
    )
    if filters.platforms and table is MetricFactHourly:
        statement = statement.join(
            Campaign, Campaign.id == MetricFactHourly.campaign_id
        )
    tz = zone(org.timezone)
    return [
        (row.hour_utc.replace(tzinfo=dt.UTC).astimezone(tz), _as_sums(row))
        for row in session.execute(_scope(statement, table, filters)).all()
    ]


def _heatmap(
    session: Session,
    org: OrgContext,
    params: CampaignParams,
    filters: Filters,
    metric: Metric,
) -> dict:
    """The metric by org-local weekday × hour of day over the window."""
    window = resolve_window(org, params, filters)
    cells: dict[tuple[int, int], dict[str, float]] = {}
    for local, sums in _local_hour_sums(session, org, window, filters):
        cell = cells.setdefault(
            (local.weekday(), local.hour), dict.fromkeys(BASE_COLUMNS, 0)
        )
        for column, value in sums.items():
            cell[column] += value
    zeros: dict[str, float] = dict.fromkeys(BASE_COLUMNS, 0)
    return {
        "view": "heatmap",
        "metric": metric.name,
        "label": metric.label,
        "format": metric.format,
        "currency": org.currency,
        "timezone": org.timezone,
        "weekdays": WEEKDAYS,
        "window": {"start": window.start.isoformat(), "end": window.end.isoformat()},
        "cells": [
            {
                "weekday": wd,
                "hour": hour,
                "value": metric_value(metric, cells.get((wd, hour), zeros)),
            }
            for wd in range(7)
            for hour in range(24)
        ],
    }


def _realtime(
    session: Session,
    org: OrgContext,
    params: CampaignParams,
    filters: Filters,
    metric: Metric,
) -> dict:
    """Today so far (org-local) against the same hours of yesterday, hour by hour."""
    today = org_today(org.timezone)
    yesterday = today - dt.timedelta(days=1)
    rows = _local_hour_sums(session, org, DateWindow(yesterday, today), filters)
    latest = max((local for local, _ in rows if local.date() == today), default=None)
    totals: dict[dt.date, dict[str, float]] = {
        today: dict.fromkeys(BASE_COLUMNS, 0),
        yesterday: dict.fromkeys(BASE_COLUMNS, 0),
    }
    hourly = []
    for local, sums in sorted(rows, key=lambda item: item[0]):
        if local.date() == today or (latest and local.hour <= latest.hour):
            for column, value in sums.items():
                totals[local.date()][column] += value
        if local.date() == today:
            hourly.append(
                {
                    "date": local.replace(tzinfo=None).isoformat(),
                    "value": metric_value(metric, sums),
                }
            )
    current, previous = (
        metric_value(metric, totals[today]),
        metric_value(metric, totals[yesterday]),
    )
    change = change_percent(current, previous)
    return {
        "view": "realtime",
        "metric": metric.name,
        "label": metric.label,
        "format": metric.format,
        "higher_is_better": metric.higher_is_better,
        "currency": org.currency,
        "value": current,
        "previous": previous,
        "change_pct": change,
        "trend": trend_direction(change),
        "through_hour": latest.hour if latest else None,
        "window": {"start": today.isoformat(), "end": today.isoformat()},
        "series": hourly,
    }


def _spend_since_start(
    session: Session, campaigns: list, today: dt.date
) -> dict[int, float]:
    """Each campaign's spend from its start date through ``today``.

    One row per campaign from the lifetime totals; only a campaign that delivered
    before its start date (the date was moved) or after today is summed day by day.
    """
    by_id = {c.id: c for c in campaigns}
    # All the org's totals (one row per campaign) rather than an IN list of hundreds of
    # ids, which costs more to build and send than the rows it saves.
    totals = session.execute(
        select(
            CampaignTotals.campaign_id,
            CampaignTotals.spend,
            CampaignTotals.first_day,
            CampaignTotals.last_day,
        )
    ).all()
    spend, partial = {}, []
    for row in totals:
        if row.campaign_id not in by_id:
            continue
        if row.first_day >= by_id[row.campaign_id].start_date and row.last_day <= today:
            spend[row.campaign_id] = float(row.spend or 0)
        else:
            partial.append(row.campaign_id)
    if partial:
        rows = session.execute(
            select(
                MetricFactDaily.campaign_id,
                func.sum(MetricFactDaily.spend).label("spend"),
            )
            .join(Campaign, Campaign.id == MetricFactDaily.campaign_id)
            .where(
                MetricFactDaily.day >= Campaign.start_date,
                MetricFactDaily.day <= today,
                MetricFactDaily.campaign_id.in_(partial),
            )
            .group_by(MetricFactDaily.campaign_id)
        ).all()
        spend.update({row.campaign_id: float(row.spend or 0) for row in rows})
    return spend


def _pacing(
    session: Session,
    org: OrgContext,
    params: CampaignParams,
    filters: Filters,
    metric: Metric,
) -> dict:
    """Spend to date against budget × elapsed share of each campaign's flight.

    Pacing 1.0 is on track; a campaign without an end date paces against its daily
    budget. ``overall`` is the ratio of the sums over the campaigns with a budget, for a
    gauge.
    """
    today = org_today(org.timezone)
    # Plain rows, not ORM objects: hundreds of campaigns need no identity map.
    statement = select(
        Campaign.id,
        Campaign.name,
        Campaign.platform,
        Campaign.status,
        Campaign.budget,
        Campaign.daily_budget,
        Campaign.start_date,
        Campaign.end_date,
    ).where(Campaign.start_date <= today, Campaign.status.in_(("active", "paused")))
    if filters.platforms:
        statement = statement.where(Campaign.platform.in_(filters.platforms))
    if filters.campaign_ids:
        statement = statement.where(Campaign.id.in_(filters.campaign_ids))
    campaigns = [
        c
        for c in session.execute(statement).all()
        if c.end_date is None or c.end_date >= today
    ]
    spend = _spend_since_start(session, campaigns, today)
    items = []
    for campaign in campaigns:
        elapsed = (today - campaign.start_date).days + 1
        if campaign.end_date is not None:
            flight = (campaign.end_date - campaign.start_date).days + 1
            expected = (campaign.budget or 0.0) * min(elapsed / flight, 1.0)
            budget = campaign.budget or 0.0
        else:
            flight = None
            expected = (campaign.daily_budget or 0.0) * elapsed
            budget = expected
        spent = spend.get(campaign.id, 0.0)
        pacing = spent / expected if expected else None
        state = (
            "no budget"
            if pacing is None
            else "over"
            if pacing > 1.1
            else "under"
            if pacing < 0.9
            else "on track"
        )
        items.append(
            {
                "key": campaign.id,
                "name": campaign.name,
                "platform": campaign.platform,
                "status": campaign.status,
                "budget": budget,
                "spend_to_date": spent,
                "expected_spend": expected,
                "pacing": pacing,
                "pacing_state": state,
                "days_elapsed": elapsed,
                "flight_days": flight,
                "budget_utilization": spent / budget if budget else None,
            }
        )
    items.sort(key=lambda i: (i["pacing"] is None, -(i["pacing"] or 0)))
    # Only campaigns with a budget to date are paced: an unbudgeted one's spend would
    # push the overall figure up against nothing.
    paced = [i for i in items if i["expected_spend"]]
    total_expected = sum(i["expected_spend"] for i in paced)
    return {
        "view": "pacing",
        "metric": "pacing",
        "label": "Budget pacing",
        "format": "percent",
        "currency": org.currency,
        "as_of": today.isoformat(),
        "overall": (sum(i["spend_to_date"] for i in paced) / total_expected)
        if total_expected
        else None,
        "items": items[: params.limit] if params.limit else items,
    }


def aggregation_period(params: CampaignParams) -> str:
    """Hour-level figures move every minute; day and week figures far less often."""
    if params.granularity == "hour" or params.view == "realtime":
        return "realtime"
    return "daily" if params.granularity == "week" else "hourly"


@register("campaigns", CampaignParams, period=aggregation_period)
def campaigns_source(
    session: Session, org: OrgContext, params: CampaignParams, filters: Filters
) -> dict:
    """Campaign metrics: summary with comparison, time series, or breakdown."""
    metric = resolve_metric(params.metric)
    if params.view == "summary":
        return _summary(session, org, params, filters, metric)
    views = {
        "timeseries": _timeseries,
        "breakdown": _breakdown,
        "heatmap": _heatmap,
        "pacing": _pacing,
        "realtime": _realtime,
    }
    return views[params.view](session, org, params, filters, metric)
