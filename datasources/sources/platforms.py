"""Platform-health data sources: connections, API calls, syncs, errors.

Everything is aggregated in SQL over the org's ``platform_*`` tables; rates are ratios
of sums (error rate = errors / calls over the window, never a mean of hourly rates).
Rate-limit usage is a ratio (0.87 = 87 % of the hourly quota) of one connection's
calls in one hour; a platform's usage is that of its busiest connection. Times are
ISO strings in UTC (``+00:00``) with an org-local twin (``*_local``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import Field, field_validator
from sqlalchemy import (
    Float,
    Label,
    Select,
    case,
    cast,
    extract,
    func,
    literal,
    select,
)
from sqlalchemy.orm import Session

from core.filters import Filters, OrgContext
from core.models import (
    PlatformApiCalls,
    PlatformConnection,
    PlatformError,
    PlatformSyncRun,
)
from core.reference import PLATFORMS
from datasources.registry import QueryParams, register
from datasources.sources.automation import (
    Span,
    as_date,
    iso_local,
    iso_utc,
    local_day_bucket,
    ratio,
    resolve_span,
    to_local,
    validate_span,
)

TOKEN_WARNING_DAYS = 14
TOKEN_CRITICAL_DAYS = 3
RATE_LIMIT_HOT = (
    0.9  # share of the hourly quota at which a connection is "near its limit"
)
ERROR_RATE_DEGRADED = 0.05
SYNC_STALE_HOURS = 3
DOWN_STATUSES = ("error", "disconnected", "revoked", "expired")
SEVERITY_ORDER = {"critical": 0, "error": 1, "warning": 2, "info": 3}


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class _PlatformParams(QueryParams):
    platform: str | None = None

    @field_validator("platform")
    @classmethod
    def _known_platform(cls, value: str | None) -> str | None:
        if value is not None and value not in PLATFORMS:
            raise ValueError(
                f"unknown platform {value!r}; expected one of {list(PLATFORMS)}"
            )
        return value


def _platform_scope(
    statement: Select, params: _PlatformParams, filters: Filters
) -> Select:
    """The widget's platform and the dashboard's platforms filter, on the connection."""
    if params.platform:
        statement = statement.where(PlatformConnection.platform == params.platform)
    if filters.platforms:
        statement = statement.where(PlatformConnection.platform.in_(filters.platforms))
    return statement


# -------------------------------------------------------------------------- connections
class ConnectionParams(_PlatformParams):
    """``query_params`` of ``platform_connections``."""

    status: str | None = Field(None, max_length=16)


def token_warning(
    expires_at: dt.datetime | None, now: dt.datetime
) -> tuple[str, float | None]:
    """``(level, days to expiry)``: critical when expired or under 3 days, warning under
    14 days, ok otherwise (also for tokens that do not expire)."""
    if expires_at is None:
        return "ok", None
    days = (expires_at - now).total_seconds() / 86400
    if days < TOKEN_CRITICAL_DAYS:
        return "critical", days
    if days < TOKEN_WARNING_DAYS:
        return "warning", days
    return "ok", days


def _expiry_text(platform: str, days: float) -> str:
    name = PLATFORMS.get(platform, platform)
    if days <= 0:
        hours = -days * 24
        ago = f"{hours:.0f} h" if hours < 48 else f"{-days:.0f} days"
        return f"{name} access token expired {ago} ago; reconnect the account"
    left = f"{days * 24:.0f} h" if days < 2 else f"{days:.1f} days"
    return f"{name} access token expires in {left}; reconnect the account before then"


def connection_health(
    connection: PlatformConnection,
    *,
    level: str,
    days: float | None,
    usage: float | None,
    calls_24h: int,
    errors_24h: int,
    last_success_at: dt.datetime | None,
    now: dt.datetime,
) -> tuple[str, list[str]]:
    """``(health, reasons)``: ``down`` when the connection cannot sync (error status,
    expired token, no successful sync in 24 h), ``degraded`` when it works with
    problems (last sync failed or stale, token about to expire, error rate over 5 %,
    rate limit over 90 %), else ``healthy``."""
    down, degraded = [], []
    if connection.status in DOWN_STATUSES:
        down.append(f"connection status is {connection.status}")
    if days is not None and days <= 0:
        down.append("access token expired")
    if last_success_at is None or last_success_at < now - dt.timedelta(hours=24):
        down.append("no successful sync in 24 h")
    if connection.last_sync_status == "failed":
        degraded.append("last sync failed")
    if connection.last_sync_at and connection.last_sync_at < now - dt.timedelta(
        hours=SYNC_STALE_HOURS
    ):
        hours = (now - connection.last_sync_at).total_seconds() / 3600
        degraded.append(f"last sync {hours:.0f} h ago")
    if level == "critical" and days is not None and days > 0:
        degraded.append(f"access token expires in {days:.1f} days")
    error_rate = ratio(errors_24h, calls_24h)
    if error_rate is not None and error_rate > ERROR_RATE_DEGRADED:
        degraded.append(f"API error rate {error_rate:.1%} in 24 h")
    if usage is not None and usage >= RATE_LIMIT_HOT:
        degraded.append(f"rate limit at {usage:.0%} of the hourly quota")
    if down:
        return "down", down + degraded
    return ("degraded", degraded) if degraded else ("healthy", [])


@register("platform_connections", ConnectionParams, period="realtime")
def platform_connections_source(
    session: Session, org: OrgContext, params: ConnectionParams, filters: Filters
) -> dict:
    """Connection status cards: sync, token expiry, rate-limit usage, errors, health."""
    now = _now()
    since = now - dt.timedelta(hours=24)
    statement = select(PlatformConnection).order_by(
        PlatformConnection.platform, PlatformConnection.account_name
    )
    if params.status:
        statement = statement.where(PlatformConnection.status == params.status)
    connections = session.scalars(_platform_scope(statement, params, filters)).all()
    ids = [c.id for c in connections] or [-1]

    latest = (
        select(
            PlatformApiCalls.connection_id,
            func.max(PlatformApiCalls.hour_utc).label("hour"),
        )
        .where(PlatformApiCalls.connection_id.in_(ids))
        .group_by(PlatformApiCalls.connection_id)
        .subquery()
    )
    usage_rows = session.execute(
        select(
            PlatformApiCalls.connection_id,
            PlatformApiCalls.hour_utc,
            PlatformApiCalls.rate_limit_used,
        ).join(
            latest,
            (latest.c.connection_id == PlatformApiCalls.connection_id)
            & (latest.c.hour == PlatformApiCalls.hour_utc),
        )
    ).all()
    latest_usage = {
        row.connection_id: (row.hour_utc, row.rate_limit_used) for row in usage_rows
    }
    calls = {
        row.connection_id: (int(row.calls or 0), int(row.errors or 0))
        for row in session.execute(
            select(
                PlatformApiCalls.connection_id,
                func.sum(PlatformApiCalls.call_count).label("calls"),
                func.sum(PlatformApiCalls.error_count).label("errors"),
            )
            .where(
                PlatformApiCalls.connection_id.in_(ids),
                PlatformApiCalls.hour_utc >= since,
            )
            .group_by(PlatformApiCalls.connection_id)
        )
    }
    errors = dict(
        session.execute(
            select(PlatformError.connection_id, func.count())
            .where(
                PlatformError.connection_id.in_(ids), PlatformError.occurred_at >= since
            )
            .group_by(PlatformError.connection_id)
        ).all()
    )
    last_success = dict(
        session.execute(
            select(PlatformSyncRun.connection_id, func.max(PlatformSyncRun.finished_at))
            .where(
                PlatformSyncRun.connection_id.in_(ids),
                PlatformSyncRun.status == "success",
            )
            .group_by(PlatformSyncRun.connection_id)
        ).all()
    )

    items, warnings = [], []
    for connection in connections:
        level, days = token_warning(connection.token_expires_at, now)
        hour, used = latest_usage.get(connection.id, (None, None))
        usage = ratio(used, connection.rate_limit_limit) if used is not None else None
        calls_24h, api_errors_24h = calls.get(connection.id, (0, 0))
        health, reasons = connection_health(
            connection,
            level=level,
            days=days,
            usage=usage,
            calls_24h=calls_24h,
            errors_24h=api_errors_24h,
            last_success_at=last_success.get(connection.id),
            now=now,
        )
        item = {
            "id": connection.id,
            "key": connection.platform,
            "platform": connection.platform,
            "platform_name": PLATFORMS.get(connection.platform, connection.platform),
            "name": connection.account_name,
            "account_name": connection.account_name,
            "status": connection.status,
            "last_sync_at": iso_utc(connection.last_sync_at),
            "last_sync_at_local": iso_local(connection.last_sync_at, org.timezone),
            "last_sync_status": connection.last_sync_status,
            "last_success_at": iso_utc(last_success.get(connection.id)),
            "minutes_since_sync": (
                None
                if connection.last_sync_at is None
                else round((now - connection.last_sync_at).total_seconds() / 60, 1)
            ),
            "token_expires_at": iso_utc(connection.token_expires_at),
            "token_expires_at_local": iso_local(
                connection.token_expires_at, org.timezone
            ),
            "days_to_expiry": None if days is None else round(days, 2),
            "token_warning": level,
            "rate_limit_limit": connection.rate_limit_limit,
            "rate_limit_used": used,
            "rate_limit_hour": iso_utc(hour),
            "rate_limit_usage": usage,
            "value": usage,
            "calls_24h": calls_24h,
            "api_errors_24h": api_errors_24h,
            "error_rate_24h": ratio(api_errors_24h, calls_24h),
            "errors_24h": int(errors.get(connection.id, 0)),
            "health": health,
            "health_reasons": reasons,
        }
        items.append(item)
        # ``token_warning`` gives a level other than "ok" only with days to expiry.
        if level != "ok" and days is not None:
            warnings.append(
                {
                    "connection_id": connection.id,
                    "platform": connection.platform,
                    "platform_name": item["platform_name"],
                    "account_name": connection.account_name,
                    "level": level,
                    "severity": level,
                    "token_expires_at": item["token_expires_at"],
                    "token_expires_at_local": item["token_expires_at_local"],
                    "days_to_expiry": item["days_to_expiry"],
                    "message": _expiry_text(connection.platform, days),
                }
            )
    warnings.sort(key=lambda w: w["days_to_expiry"])
    counts = {
        h: sum(i["health"] == h for i in items) for h in ("healthy", "degraded", "down")
    }
    return {
        "as_of": iso_utc(now),
        "timezone": org.timezone,
        "format": "number",
        "items_format": "percent",
        "value": counts["healthy"],
        "total": len(items),
        "counts": counts,
        "items": items,
        "warnings": warnings,
    }


# ---------------------------------------------------------------------------- API calls
class ApiCallParams(_PlatformParams):
    """``query_params`` of ``platform_api_calls``; ``metric`` picks each point's
    ``value``."""

    granularity: Literal["hour", "day"] = "hour"
    period: str = "24h"
    metric: Literal["calls", "errors", "error_rate", "rate_limit_usage"] = "calls"

    @field_validator("period")
    @classmethod
    def _valid_period(cls, value: str) -> str:
        return validate_span(value)


def _buckets(span: Span, granularity: str, timezone: str) -> list[tuple[Any, str]]:
    """Every bucket of the span as ``(sql key, org-local ISO label)``."""
    if granularity == "day":
        return [(day.isoformat(), day.isoformat()) for day in span.days.dates()]
    hours = int((span.end - span.start).total_seconds() // 3600)
    return [
        (hour, to_local(hour, timezone).isoformat())
        for hour in (span.start + dt.timedelta(hours=i) for i in range(hours))
    ]


def _filling_bucket(
    buckets: list[tuple[Any, str]], granularity: str, timezone: str
) -> str | None:
    """The label of the bucket that holds now (this hour, or today): its counts are
    so far, and a chart draws it as such, not as a collapse."""
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    if granularity == "day":
        current: Any = to_local(now, timezone).date().isoformat()
    else:
        current = now.replace(minute=0, second=0, microsecond=0)
    return next((label for key, label in buckets if key == current), None)


@register(
    "platform_api_calls",
    ApiCallParams,
    period=lambda p: "realtime" if p.granularity == "hour" else "hourly",
)
def platform_api_calls_source(
    session: Session, org: OrgContext, params: ApiCallParams, filters: Filters
) -> dict:
    """API call volume, errors, error rate and rate-limit usage per platform over
    time."""
    span = resolve_span(org, params.period, filters)
    # An org-local day (ISO string) or a UTC hour.
    bucket: Label[Any]
    if params.granularity == "day":
        bucket = local_day_bucket(
            PlatformApiCalls.hour_utc, span.days, org.timezone
        ).label("bucket")
    else:
        bucket = PlatformApiCalls.hour_utc.label("bucket")
    usage = cast(PlatformApiCalls.rate_limit_used, Float) / func.nullif(
        cast(PlatformConnection.rate_limit_limit, Float), literal(0.0)
    )
    statement = (
        select(
            bucket,
            PlatformConnection.platform,
            func.sum(PlatformApiCalls.call_count).label("calls"),
            func.sum(PlatformApiCalls.error_count).label("errors"),
            func.max(usage).label("peak"),
        )
        .join(
            PlatformConnection, PlatformConnection.id == PlatformApiCalls.connection_id
        )
        .where(
            PlatformApiCalls.hour_utc >= span.start,
            PlatformApiCalls.hour_utc < span.end,
        )
        .group_by(bucket, PlatformConnection.platform)
    )
    cells: dict[tuple[Any, str], dict[str, Any]] = {}
    for row in session.execute(_platform_scope(statement, params, filters)):
        if row.bucket is None:
            continue
        key = (
            as_date(row.bucket).isoformat()
            if params.granularity == "day"
            else row.bucket
        )
        cells[(key, row.platform)] = {
            "calls": int(row.calls or 0),
            "errors": int(row.errors or 0),
            "peak": None if row.peak is None else float(row.peak),
        }

    buckets = _buckets(span, params.granularity, org.timezone)
    series: list[dict[str, Any]] = []
    platforms: list[dict[str, Any]] = []
    for platform in sorted({p for _, p in cells}, key=list(PLATFORMS).index):
        points, calls, errors, peak, peak_at = [], 0, 0, None, None
        for key, label in buckets:
            cell = cells.get((key, platform))
            if cell is None:
                point = {
                    "date": label,
                    "calls": 0,
                    "errors": 0,
                    "error_rate": None,
                    "rate_limit_usage": None,
                }
            else:
                calls += cell["calls"]
                errors += cell["errors"]
                if cell["peak"] is not None and (peak is None or cell["peak"] > peak):
                    peak, peak_at = cell["peak"], label
                point = {
                    "date": label,
                    "calls": cell["calls"],
                    "errors": cell["errors"],
                    "error_rate": ratio(cell["errors"], cell["calls"]),
                    "rate_limit_usage": cell["peak"],
                }
            point["value"] = point[params.metric]
            points.append(point)
        name = PLATFORMS.get(platform, platform)
        series.append({"name": name, "key": platform, "points": points})
        platforms.append(
            {
                "key": platform,
                "name": name,
                "calls": calls,
                "errors": errors,
                "error_rate": ratio(errors, calls),
                "rate_limit_peak": peak,
                "rate_limit_peak_at": peak_at,
            }
        )
    total_calls = sum(p["calls"] for p in platforms)
    total_errors = sum(p["errors"] for p in platforms)
    peaks = [
        p["rate_limit_peak"] for p in platforms if p["rate_limit_peak"] is not None
    ]
    totals = {
        "calls": total_calls,
        "errors": total_errors,
        "error_rate": ratio(total_errors, total_calls),
        "rate_limit_usage": max(peaks, default=None),
    }
    return {
        "view": "timeseries",
        "partial_bucket": _filling_bucket(buckets, params.granularity, org.timezone),
        "metric": params.metric,
        "format": "percent"
        if params.metric in ("error_rate", "rate_limit_usage")
        else "number",
        "granularity": params.granularity,
        "timezone": org.timezone,
        "window": span.as_dict(org.timezone),
        "value": totals[params.metric],
        "totals": {k: totals[k] for k in ("calls", "errors", "error_rate")},
        "rate_limit_peak": totals["rate_limit_usage"],
        "platforms": platforms,
        "series": series,
    }


# -------------------------------------------------------------------------------- syncs
class SyncParams(_PlatformParams):
    """``query_params`` of ``platform_sync``."""

    period: str = "24h"
    limit: int = Field(100, ge=1, le=1000)
    status: Literal["success", "failed", "running"] | None = None

    @field_validator("period")
    @classmethod
    def _valid_period(cls, value: str) -> str:
        return validate_span(value)


def _seconds_between(session: Session, start, end):
    """SQL: seconds from ``start`` to ``end`` on either engine."""
    if session.get_bind().dialect.name == "postgresql":
        return extract("epoch", end - start)
    return (func.julianday(end) - func.julianday(start)) * 86400.0


@register("platform_sync", SyncParams, period="realtime")
def platform_sync_source(
    session: Session, org: OrgContext, params: SyncParams, filters: Filters
) -> dict:
    """Sync runs: a timeline plus success rate, duration and records per platform."""
    span = resolve_span(org, params.period, filters)

    def scoped(statement: Select) -> Select:
        statement = statement.join(
            PlatformConnection, PlatformConnection.id == PlatformSyncRun.connection_id
        ).where(
            PlatformSyncRun.started_at >= span.start,
            PlatformSyncRun.started_at < span.end,
        )
        if params.status:
            statement = statement.where(PlatformSyncRun.status == params.status)
        return _platform_scope(statement, params, filters)

    rows = session.execute(
        scoped(
            select(
                PlatformSyncRun,
                PlatformConnection.platform,
                PlatformConnection.account_name,
            )
            .order_by(PlatformSyncRun.started_at.desc(), PlatformSyncRun.id.desc())
            .limit(params.limit)
        )
    ).all()
    items = []
    for run, platform, account in rows:
        duration = (
            None
            if run.finished_at is None
            else (run.finished_at - run.started_at).total_seconds()
        )
        items.append(
            {
                "id": run.id,
                "connection_id": run.connection_id,
                "platform": platform,
                "platform_name": PLATFORMS.get(platform, platform),
                "account_name": account,
                "started_at": iso_utc(run.started_at),
                "started_at_local": iso_local(run.started_at, org.timezone),
                "finished_at": iso_utc(run.finished_at),
                "finished_at_local": iso_local(run.finished_at, org.timezone),
                "duration_seconds": duration,
                "status": run.status,
                "records_synced": run.records_synced,
                "error": run.error,
            }
        )

    seconds = _seconds_between(
        session, PlatformSyncRun.started_at, PlatformSyncRun.finished_at
    )
    aggregate = session.execute(
        scoped(
            select(
                PlatformConnection.platform,
                func.count().label("runs"),
                func.sum(case((PlatformSyncRun.status == "success", 1), else_=0)).label(
                    "success"
                ),
                func.sum(case((PlatformSyncRun.status == "failed", 1), else_=0)).label(
                    "failed"
                ),
                func.sum(seconds).label("seconds"),
                func.count(PlatformSyncRun.finished_at).label("finished"),
                func.sum(PlatformSyncRun.records_synced).label("records"),
                func.max(PlatformSyncRun.started_at).label("last"),
            ).group_by(PlatformConnection.platform)
        )
    ).all()
    platforms = []
    for row in sorted(aggregate, key=lambda r: list(PLATFORMS).index(r.platform)):
        success, failed = int(row.success or 0), int(row.failed or 0)
        platforms.append(
            {
                "key": row.platform,
                "name": PLATFORMS.get(row.platform, row.platform),
                "runs": int(row.runs),
                "success": success,
                "failed": failed,
                "success_rate": ratio(success, success + failed),
                "value": ratio(success, success + failed),
                "avg_duration_seconds": ratio(
                    float(row.seconds or 0), int(row.finished or 0)
                ),
                "records_synced": int(row.records or 0),
                "last_run_at": iso_utc(row.last),
            }
        )
    success = sum(p["success"] for p in platforms)
    failed = sum(p["failed"] for p in platforms)
    finished = sum(int(r.finished or 0) for r in aggregate)
    totals = {
        "runs": sum(p["runs"] for p in platforms),
        "success": success,
        "failed": failed,
        "success_rate": ratio(success, success + failed),
        "avg_duration_seconds": ratio(
            sum(float(r.seconds or 0) for r in aggregate), finished
        ),
        "records_synced": sum(p["records_synced"] for p in platforms),
    }
    return {
        "format": "percent",
        "value": totals["success_rate"],
        "timezone": org.timezone,
        "window": span.as_dict(org.timezone),
        "totals": totals,
        "platforms": platforms,
        "items": items,
    }


# ------------------------------------------------------------------------------- errors
class ErrorParams(_PlatformParams):
    """``query_params`` of ``platform_errors``."""

    period: str = "7d"
    limit: int = Field(50, ge=1, le=1000)
    severity: Literal["critical", "error", "warning", "info"] | None = None
    error_code: str | None = Field(None, max_length=64)

    @field_validator("period")
    @classmethod
    def _valid_period(cls, value: str) -> str:
        return validate_span(value)


@register("platform_errors", ErrorParams, period="realtime")
def platform_errors_source(
    session: Session, org: OrgContext, params: ErrorParams, filters: Filters
) -> dict:
    """Recent platform errors, with counts by code, severity and platform."""
    span = resolve_span(org, params.period, filters)

    def scoped(statement: Select) -> Select:
        statement = statement.join(
            PlatformConnection, PlatformConnection.id == PlatformError.connection_id
        ).where(
            PlatformError.occurred_at >= span.start,
            PlatformError.occurred_at < span.end,
        )
        if params.severity:
            statement = statement.where(PlatformError.severity == params.severity)
        if params.error_code:
            statement = statement.where(PlatformError.error_code == params.error_code)
        return _platform_scope(statement, params, filters)

    rows = session.execute(
        scoped(
            select(
                PlatformError,
                PlatformConnection.platform,
                PlatformConnection.account_name,
            )
            .order_by(PlatformError.occurred_at.desc(), PlatformError.id.desc())
            .limit(params.limit)
        )
    ).all()
    items = [
        {
            "id": error.id,
            "connection_id": error.connection_id,
            "platform": platform,
            "platform_name": PLATFORMS.get(platform, platform),
            "account_name": account,
            "occurred_at": iso_utc(error.occurred_at),
            "occurred_at_local": iso_local(error.occurred_at, org.timezone),
            "error_code": error.error_code,
            "message": error.message,
            "severity": error.severity,
        }
        for error, platform, account in rows
    ]

    grouped = session.execute(
        scoped(
            select(
                PlatformError.error_code,
                PlatformError.severity,
                PlatformConnection.platform,
                func.count().label("n"),
                func.max(PlatformError.occurred_at).label("last"),
            ).group_by(
                PlatformError.error_code,
                PlatformError.severity,
                PlatformConnection.platform,
            )
        )
    ).all()
    by_code: dict[str, dict[str, Any]] = {}
    by_severity: dict[str, int] = {}
    by_platform: dict[str, int] = {}
    for row in grouped:
        entry = by_code.setdefault(
            row.error_code,
            {
                "key": row.error_code,
                "name": row.error_code,
                "value": 0,
                "severity": row.severity,
                "last_seen": None,
            },
        )
        entry["value"] += row.n
        if SEVERITY_ORDER.get(row.severity, 9) < SEVERITY_ORDER.get(
            entry["severity"], 9
        ):
            entry["severity"] = row.severity
        entry["last_seen"] = max(
            filter(None, (entry["last_seen"], row.last)), default=None
        )
        by_severity[row.severity] = by_severity.get(row.severity, 0) + row.n
        by_platform[row.platform] = by_platform.get(row.platform, 0) + row.n
    codes = sorted(by_code.values(), key=lambda e: (-e["value"], e["key"]))
    for entry in codes:
        entry["last_seen"] = iso_utc(entry["last_seen"])
    total = sum(by_severity.values())
    return {
        "format": "number",
        "value": total,
        "total": total,
        "timezone": org.timezone,
        "window": span.as_dict(org.timezone),
        "items": items,
        "by_code": codes,
        "by_severity": dict(
            sorted(by_severity.items(), key=lambda kv: SEVERITY_ORDER.get(kv[0], 9))
        ),
        "by_platform": [
            {"key": p, "name": PLATFORMS.get(p, p), "value": n}
            for p, n in sorted(by_platform.items(), key=lambda kv: -kv[1])
        ],
    }
