"""Platform-health sources against independent SQL on the seeded demo, on both
engines."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict

import pytest
from sqlalchemy import text

from core.filters import QueryError, parse_filters
from core.windows import DateWindow, org_today
from datasources.registry import get
from tests.figures import org_context, utc_bounds

SOURCES = (
    "platform_connections",
    "platform_api_calls",
    "platform_sync",
    "platform_errors",
)


def query(
    app_db, org, name: str, params: dict | None = None, filters: dict | None = None
) -> dict:
    source = get(name)
    with app_db.session(org.id) as session:
        return source.run(
            session,
            org,
            source.parse_params(params or {}),
            parse_filters(filters or {}),
        )


def sql(admin_db, statement: str, **params) -> list:
    with admin_db.engine.connect() as connection:
        return connection.execute(text(statement), params).all()


def last_days(org, days: int) -> DateWindow:
    return DateWindow.last_days(days, org_today(org.timezone))


def date_filter(window: DateWindow) -> dict:
    return {"date_from": window.start.isoformat(), "date_to": window.end.isoformat()}


def parse_utc(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value).astimezone(dt.UTC).replace(tzinfo=None)


# ---------------------------------------------------------------------------- API calls
@pytest.mark.parametrize("slug", ["acme", "globex"])
def test_api_error_rate_is_errors_over_calls_summed_over_the_window(
    app_db, admin_db, slug
):
    org = org_context(admin_db, slug)
    window = last_days(org, 7)
    result = query(
        app_db,
        org,
        "platform_api_calls",
        {"granularity": "day", "metric": "error_rate"},
        date_filter(window),
    )
    start, end = utc_bounds(window, org.timezone)
    rows = sql(
        admin_db,
        "SELECT c.platform, SUM(a.call_count), SUM(a.error_count), "
        "MAX(CAST(a.rate_limit_used AS FLOAT) / c.rate_limit_limit) "
        "FROM platform_api_calls a "
        "JOIN platform_connections c ON c.id = a.connection_id "
        "WHERE a.org_id = :o AND a.hour_utc >= :s AND a.hour_utc < :e "
        "GROUP BY c.platform",
        o=org.id,
        s=start,
        e=end,
    )
    expected = {
        platform: (int(calls), int(errors), float(peak))
        for platform, calls, errors, peak in rows
    }
    got = {p["key"]: p for p in result["platforms"]}
    assert set(got) == set(expected) and len(expected) == 5
    for platform, (calls, errors, peak) in expected.items():
        assert (got[platform]["calls"], got[platform]["errors"]) == (calls, errors)
        assert got[platform]["error_rate"] == pytest.approx(errors / calls, rel=1e-12)
        assert got[platform]["rate_limit_peak"] == pytest.approx(peak, rel=1e-12)
    total_calls = sum(c for c, _, _ in expected.values())
    total_errors = sum(e for _, e, _ in expected.values())
    assert result["value"] == pytest.approx(total_errors / total_calls, rel=1e-12)
    # The mean of the hourly rates is a different (wrong) number on this data.
    hourly = sql(
        admin_db,
        "SELECT CAST(error_count AS FLOAT) / call_count FROM platform_api_calls "
        "WHERE org_id = :o AND hour_utc >= :s AND hour_utc < :e AND call_count > 0",
        o=org.id,
        s=start,
        e=end,
    )
    assert sum(r[0] for r in hourly) / len(hourly) != pytest.approx(
        result["value"], rel=1e-3
    )


def test_daily_api_points_are_org_local_days(app_db, admin_db):
    org = org_context(admin_db, "acme")
    window = last_days(org, 3)
    result = query(
        app_db, org, "platform_api_calls", {"granularity": "day"}, date_filter(window)
    )
    meta = next(s for s in result["series"] if s["key"] == "meta")
    assert [p["date"] for p in meta["points"]] == [
        d.isoformat() for d in window.dates()
    ]
    for point in meta["points"]:
        day = dt.date.fromisoformat(point["date"])
        start, end = utc_bounds(DateWindow(day, day), org.timezone)
        [(calls, errors)] = sql(
            admin_db,
            "SELECT COALESCE(SUM(a.call_count), 0), COALESCE(SUM(a.error_count), 0) "
            "FROM platform_api_calls a JOIN platform_connections c "
            "ON c.id = a.connection_id WHERE a.org_id = :o AND c.platform = 'meta' "
            "AND a.hour_utc >= :s AND a.hour_utc < :e",
            o=org.id,
            s=start,
            e=end,
        )
        assert (point["calls"], point["errors"], point["value"]) == (
            calls,
            errors,
            calls,
        )


def test_hourly_api_calls_cover_the_last_24_hours(app_db, admin_db):
    org = org_context(admin_db, "globex")
    result = query(
        app_db, org, "platform_api_calls", {"granularity": "hour", "period": "24h"}
    )
    start, end = (
        parse_utc(result["window"]["start"]),
        parse_utc(result["window"]["end"]),
    )
    assert end - start == dt.timedelta(hours=24)
    assert all(len(s["points"]) == 24 for s in result["series"])
    rows = sql(
        admin_db,
        "SELECT a.hour_utc, a.call_count FROM platform_api_calls a "
        "JOIN platform_connections c ON c.id = a.connection_id "
        "WHERE a.org_id = :o AND c.platform = 'google' "
        "AND a.hour_utc >= :s AND a.hour_utc < :e",
        o=org.id,
        s=start,
        e=end,
    )
    google = next(s for s in result["series"] if s["key"] == "google")
    assert sum(p["calls"] for p in google["points"]) == sum(r[1] for r in rows) > 0
    # The hour still filling (if the window holds it) is named, so the chart draws it
    # as "so far" instead of a plunge.
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    if end > now:
        current = now.replace(minute=0, second=0, microsecond=0)
        hours = [start + dt.timedelta(hours=i) for i in range(24)]
        assert (
            result["partial_bucket"] == google["points"][hours.index(current)]["date"]
        )
    else:
        assert result["partial_bucket"] is None


def test_daily_api_calls_name_today_as_the_day_still_filling(app_db, admin_db):
    org = org_context(admin_db, "acme")
    result = query(
        app_db, org, "platform_api_calls", {"granularity": "day", "period": "7d"}
    )
    today = org_today(org.timezone).isoformat()
    assert result["partial_bucket"] == today
    assert result["series"][0]["points"][-1]["date"] == today


# -------------------------------------------------------------------------- connections
def test_token_expiry_warnings_and_health(app_db, admin_db):
    org = org_context(admin_db, "acme")
    result = query(app_db, org, "platform_connections")
    now = parse_utc(result["as_of"])
    rows = sql(
        admin_db,
        "SELECT id, platform, status, token_expires_at FROM platform_connections "
        "WHERE org_id = :o",
        o=org.id,
    )
    items = {i["id"]: i for i in result["items"]}
    assert set(items) == {r.id for r in rows}
    expected_warnings = []
    for row in rows:
        expires = (
            row.token_expires_at
            if isinstance(row.token_expires_at, dt.datetime)
            else dt.datetime.fromisoformat(str(row.token_expires_at))
        )
        days = (expires - now).total_seconds() / 86400
        level = "critical" if days < 3 else "warning" if days < 14 else "ok"
        item = items[row.id]
        assert item["token_warning"] == level, (row.platform, days)
        assert item["days_to_expiry"] == pytest.approx(days, abs=0.01)
        if level != "ok":
            expected_warnings.append(row.id)
    # The demo's Acme Google token expires within days; the Snapchat one has expired.
    by_platform = {i["platform"]: i for i in result["items"]}
    google = by_platform["google"]
    assert 0 < google["days_to_expiry"] < 14
    assert google["token_warning"] == (
        "critical" if google["days_to_expiry"] < 3 else "warning"
    )
    assert by_platform["snapchat"]["token_warning"] == "critical"
    assert by_platform["snapchat"]["days_to_expiry"] < 0
    assert by_platform["snapchat"]["health"] == "down"
    assert "access token expired" in by_platform["snapchat"]["health_reasons"]
    assert by_platform["linkedin"]["health"] == "healthy"
    assert [w["connection_id"] for w in result["warnings"]] == sorted(
        expected_warnings, key=lambda cid: items[cid]["days_to_expiry"]
    )
    assert (
        "expired"
        in next(w for w in result["warnings"] if w["platform"] == "snapchat")["message"]
    )
    assert result["counts"]["down"] >= 1 and sum(result["counts"].values()) == len(rows)


def test_connection_cards_match_sql(app_db, admin_db):
    org = org_context(admin_db, "globex")
    result = query(app_db, org, "platform_connections")
    since = parse_utc(result["as_of"]) - dt.timedelta(hours=24)
    for item in result["items"]:
        [(_hour, used, limit)] = sql(
            admin_db,
            "SELECT a.hour_utc, a.rate_limit_used, c.rate_limit_limit "
            "FROM platform_api_calls a "
            "JOIN platform_connections c ON c.id = a.connection_id "
            "WHERE a.connection_id = :c ORDER BY a.hour_utc DESC LIMIT 1",
            c=item["id"],
        )
        assert item["rate_limit_usage"] == pytest.approx(used / limit, rel=1e-12)
        [(errors,)] = sql(
            admin_db,
            "SELECT COUNT(*) FROM platform_errors WHERE connection_id = :c "
            "AND occurred_at >= :s",
            c=item["id"],
            s=since,
        )
        assert item["errors_24h"] == errors
        # Healthy exactly when nothing is wrong; otherwise the reasons say what is.
        assert (item["health"] == "healthy") == (item["health_reasons"] == [])
    hot = next(
        i for i in result["items"] if i["platform"] == "google"
    )  # Globex runs Google hot
    assert hot["rate_limit_usage"] > 0.7


# -------------------------------------------------------------------------------- syncs
def test_sync_success_rate_duration_and_records_match_sql(app_db, admin_db):
    org = org_context(admin_db, "acme")
    window = last_days(org, 3)
    result = query(app_db, org, "platform_sync", {"limit": 1000}, date_filter(window))
    start, end = utc_bounds(window, org.timezone)
    rows = sql(
        admin_db,
        "SELECT c.platform, r.status, r.records_synced, r.started_at, r.finished_at "
        "FROM platform_sync_runs r "
        "JOIN platform_connections c ON c.id = r.connection_id "
        "WHERE r.org_id = :o AND r.started_at >= :s AND r.started_at < :e",
        o=org.id,
        s=start,
        e=end,
    )
    stats: dict[str, dict] = defaultdict(
        lambda: {"runs": 0, "success": 0, "failed": 0, "records": 0, "seconds": []}
    )
    for platform, status, records, started, finished in rows:
        entry = stats[platform]
        entry["runs"] += 1
        entry[status] += 1
        entry["records"] += records
        as_dt = [
            v if isinstance(v, dt.datetime) else dt.datetime.fromisoformat(str(v))
            for v in (started, finished)
        ]
        entry["seconds"].append((as_dt[1] - as_dt[0]).total_seconds())
    got = {p["key"]: p for p in result["platforms"]}
    assert set(got) == set(stats)
    for platform, entry in stats.items():
        assert (
            got[platform]["runs"],
            got[platform]["success"],
            got[platform]["failed"],
        ) == (entry["runs"], entry["success"], entry["failed"])
        assert got[platform]["records_synced"] == entry["records"]
        assert got[platform]["success_rate"] == pytest.approx(
            entry["success"] / entry["runs"]
        )
        assert got[platform]["avg_duration_seconds"] == pytest.approx(
            sum(entry["seconds"]) / len(entry["seconds"]), abs=1e-3
        )
    assert len(result["items"]) == len(rows)
    assert result["totals"]["success_rate"] == pytest.approx(
        sum(e["success"] for e in stats.values()) / len(rows)
    )
    assert got["snapchat"]["failed"] > 0  # the broken connection's syncs fail


# ------------------------------------------------------------------------------- errors
def test_error_counts_by_code_match_sql(app_db, admin_db):
    org = org_context(admin_db, "globex")
    window = last_days(org, 7)
    result = query(app_db, org, "platform_errors", {"limit": 5}, date_filter(window))
    start, end = utc_bounds(window, org.timezone)
    rows = sql(
        admin_db,
        "SELECT error_code, severity FROM platform_errors WHERE org_id = :o "
        "AND occurred_at >= :s AND occurred_at < :e",
        o=org.id,
        s=start,
        e=end,
    )
    assert result["total"] == len(rows) > 5
    assert {c["key"]: c["value"] for c in result["by_code"]} == Counter(
        code for code, _ in rows
    )
    assert result["by_severity"] == Counter(severity for _, severity in rows)
    assert len(result["items"]) == 5
    times = [i["occurred_at"] for i in result["items"]]
    assert times == sorted(times, reverse=True)
    critical = query(
        app_db,
        org,
        "platform_errors",
        {"severity": "critical", "limit": 1000},
        date_filter(window),
    )
    assert critical["total"] == sum(s == "critical" for _, s in rows)
    assert all(i["severity"] == "critical" for i in critical["items"])


# ------------------------------------------------------------------ tenancy and filters
def test_acme_never_sees_globex_platform_rows(app_db, admin_db):
    acme, globex = org_context(admin_db, "acme"), org_context(admin_db, "globex")
    globex_connections = {
        r[0]
        for r in sql(
            admin_db,
            "SELECT id FROM platform_connections WHERE org_id = :o",
            o=globex.id,
        )
    }
    acme_connections = {
        r[0]
        for r in sql(
            admin_db, "SELECT id FROM platform_connections WHERE org_id = :o", o=acme.id
        )
    }
    connections = query(app_db, acme, "platform_connections")
    assert {i["id"] for i in connections["items"]} == acme_connections
    for name, params in [
        ("platform_sync", {"limit": 1000, "period": "7d"}),
        ("platform_errors", {"limit": 1000, "period": "14d"}),
    ]:
        result = query(app_db, acme, name, params)
        seen = {i["connection_id"] for i in result["items"]}
        assert seen and seen <= acme_connections and not seen & globex_connections
    window = last_days(acme, 7)
    calls = query(
        app_db, acme, "platform_api_calls", {"granularity": "day"}, date_filter(window)
    )
    start, end = utc_bounds(window, acme.timezone)
    [(acme_calls,)] = sql(
        admin_db,
        "SELECT SUM(call_count) FROM platform_api_calls WHERE org_id = :o "
        "AND hour_utc >= :s AND hour_utc < :e",
        o=acme.id,
        s=start,
        e=end,
    )
    assert calls["totals"]["calls"] == acme_calls


@pytest.mark.parametrize("name", SOURCES)
def test_platform_filter_limits_every_source(app_db, admin_db, name):
    org = org_context(admin_db, "acme")
    result = query(
        app_db,
        org,
        name,
        {"period": "7d"} if name != "platform_connections" else {},
        {"platforms": ["meta", "google"]},
    )
    platforms = {i["platform"] for i in result.get("items", [])}
    platforms |= {p["key"] for p in result.get("platforms", [])}
    assert platforms == {"meta", "google"}


@pytest.mark.parametrize(
    "name,params,field",
    [
        ("platform_api_calls", {"granularity": "minute"}, "granularity"),
        ("platform_api_calls", {"period": "9999h"}, "period"),
        ("platform_connections", {"platform": "myspace"}, "platform"),
        ("platform_sync", {"limit": 0}, "limit"),
        ("platform_errors", {"severity": "fatal"}, "severity"),
    ],
)
def test_bad_platform_params_name_the_field(name, params, field):
    with pytest.raises(QueryError) as error:
        get(name).parse_params(params)
    assert str(error.value).startswith(f"{name}: query_params.{field}:")


def test_results_are_json(app_db, admin_db):
    import json

    org = org_context(admin_db, "acme")
    for name in SOURCES:
        json.dumps(query(app_db, org, name), allow_nan=False)
