"""Independent SQL figures that tests compare the product's numbers against.

They read the raw hourly facts (never the daily rollup) and select org-local days by
their UTC bounds (never the stored ``local_date``).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import text

from core.filters import OrgContext
from core.windows import DateWindow, zone


def utc_bounds(window: DateWindow, timezone: str) -> tuple[dt.datetime, dt.datetime]:
    tz = zone(timezone)
    start = dt.datetime.combine(window.start, dt.time(), tz).astimezone(dt.UTC)
    end = dt.datetime.combine(
        window.end + dt.timedelta(days=1), dt.time(), tz
    ).astimezone(dt.UTC)
    return start.replace(tzinfo=None), end.replace(tzinfo=None)


def independent_sums(
    db, org: int, timezone: str, window: DateWindow, platform: str | None = None
):
    start, end = utc_bounds(window, timezone)
    sql = (
        "SELECT COALESCE(SUM(f.impressions),0), COALESCE(SUM(f.clicks),0), "
        "COALESCE(SUM(f.conversions),0), COALESCE(SUM(f.spend),0), "
        "COALESCE(SUM(f.revenue),0) "
        "FROM metric_facts_hourly f JOIN campaigns c ON c.id = f.campaign_id "
        "WHERE f.org_id = :org AND f.hour_utc >= :start AND f.hour_utc < :end"
    )
    params = {"org": org, "start": start, "end": end}
    if platform:
        sql += " AND c.platform = :platform"
        params["platform"] = platform
    with db.engine.connect() as connection:
        row = connection.execute(text(sql), params).one()
    return dict(
        zip(
            ["impressions", "clicks", "conversions", "spend", "revenue"],
            map(float, row),
            strict=False,
        )
    )


def org_context(admin_db, slug: str) -> OrgContext:
    with admin_db.engine.connect() as connection:
        row = connection.execute(
            text("SELECT id, slug, name, timezone, currency FROM orgs WHERE slug = :s"),
            {"s": slug},
        ).one()
    return OrgContext(*row)
