"""Ingest benchmark: ``pulse bench ingest``.

1. **Throughput.** Builds a native CSV of ``--rows`` hourly rows for ``--campaigns`` new
   campaigns (created by the ingest) over the last days, and times
   :func:`datasources.ingest.ingest` on it as the app role: parse, validate, upsert,
   rebuild the touched daily/weekly rollup rows, record the batch, commit. Then sends
   the same file again (nothing changes; idempotent) and times that too.
2. **From commit to figure.** Starts gunicorn (2 workers, Redis cache), reads the
   30-day revenue KPI through the API so it is cached, POSTs one hour of extra revenue
   for the org's first campaign to ``/api/v1/ingest`` with an org API key, and polls the
   KPI until it shows the new figure: the time a realtime screen waits.
"""

from __future__ import annotations

import datetime as dt
import io
import time
import uuid
from typing import Any

import numpy as np
import requests
from sqlalchemy import select

from accounts.apikeys import create_key, revoke_key
from bench.common import BenchTarget, gunicorn, org_id_of
from core.db import Database
from core.models import Campaign, Org
from datasources.ingest import ingest


def native_csv(
    rows: int, campaigns: int, tag: str, timezone: str, currency: str, seed: int = 1
) -> tuple[str, int]:
    """A native-format CSV of about ``rows`` rows for ``campaigns`` new campaigns."""
    hours = max(1, rows // campaigns)
    end = dt.datetime.now(dt.UTC).replace(
        minute=0, second=0, microsecond=0
    ) - dt.timedelta(hours=2)
    rng = np.random.default_rng(seed)
    out = io.StringIO()
    out.write(
        "campaign,campaign_name,platform,hour,country,spend,impressions,clicks,conversions,"
        "revenue,currency\n"
    )
    platforms = ["meta", "google", "tiktok", "linkedin", "snapchat"]
    written = 0
    for c in range(campaigns):
        external = f"bench-{tag}-{c}"
        name = f"Bench ingest {tag} #{c}"
        platform = platforms[c % len(platforms)]
        impressions = rng.integers(500, 20000, hours)
        clicks = (impressions * rng.uniform(0.005, 0.03, hours)).astype(int)
        conversions = (clicks * rng.uniform(0.01, 0.08, hours)).astype(int)
        spend = np.round(clicks * rng.uniform(0.4, 2.5, hours), 2)
        revenue = np.round(conversions * rng.uniform(20, 90, hours), 2)
        for h in range(hours):
            hour = (end - dt.timedelta(hours=h)).isoformat()
            out.write(
                f"{external},{name},{platform},{hour},USA,{spend[h]},{impressions[h]},"
                f"{clicks[h]},{conversions[h]},{revenue[h]},{currency}\n"
            )
            written += 1
    return out.getvalue(), written


def throughput(target: BenchTarget, rows: int, campaigns: int) -> dict[str, Any]:
    """Time the ingest of a new native CSV of about ``rows`` rows for ``campaigns`` new
    campaigns, then of the same file again (nothing changes)."""
    admin = Database(target.owner_url)
    org = org_id_of(admin, target.org)
    with admin.unscoped_session() as session:
        row = session.execute(
            select(Org.timezone, Org.currency).where(Org.id == org)
        ).one()
    admin.dispose()
    db = Database(target.database_url)
    text, generated = native_csv(
        rows, campaigns, uuid.uuid4().hex[:6], row.timezone, row.currency
    )
    started = time.perf_counter()
    result = ingest(
        db, org, text, fmt="native", source="cli", on_unknown_campaign="create"
    )
    first = time.perf_counter() - started
    started = time.perf_counter()
    again = ingest(
        db, org, text, fmt="native", source="cli", on_unknown_campaign="create"
    )
    second = time.perf_counter() - started
    db.dispose()
    report = {
        "rows": generated,
        "rows_written": result["rows_written"],
        "new_rows_seconds": first,
        "new_rows_per_second": generated / first,
        "resend_rows_written": again["rows_written"],
        "resend_seconds": second,
        "resend_rows_per_second": generated / second,
    }
    print(
        f"ingest of {generated:,} new rows ({campaigns} new campaigns): {first:.2f} s "
        f"= {generated / first:,.0f} rows/s; the same file again: {second:.2f} s = "
        f"{generated / second:,.0f} rows/s, {again['rows_written']} rows written"
    )
    return report


def commit_to_figure(target: BenchTarget, repeat: int) -> dict[str, Any]:
    """Time ``repeat`` API ingests of one hour each until the KPI read through the API
    shows the new figure (gunicorn, 2 workers, the target's Redis cache)."""
    admin = Database(target.owner_url)
    org = org_id_of(admin, target.org)
    with admin.unscoped_session() as session:
        campaign = session.scalars(
            select(Campaign).where(Campaign.org_id == org).order_by(Campaign.id)
        ).first()
        external, platform = campaign.external_id, campaign.platform
        currency = session.scalar(select(Org.currency).where(Org.id == org))
    _, key = create_key(admin, target.org, name="bench-ingest")
    http = requests.Session()
    http.headers["Authorization"] = f"Bearer {key}"
    params = {"metric": "revenue", "view": "summary", "period": "30d"}
    samples = []
    # Each run posts revenue no earlier run posted: a re-run in the same hour would
    # otherwise upsert identical rows, and the figure it waits for would never move.
    run_offset = time.time_ns() % 1_000_000 / 1000
    try:
        with gunicorn(target.database_url, target.redis_url) as (base, _):
            kpi = f"{base}/api/v1/data/campaigns"
            for attempt in range(repeat):
                before = http.get(kpi, params=params, timeout=30).json()["value"]
                hour = dt.datetime.now(dt.UTC).replace(
                    minute=0, second=0, microsecond=0
                ) - dt.timedelta(hours=3 + attempt)
                body = {
                    "rows": [
                        {
                            "campaign": external,
                            "platform": platform,
                            "hour": hour.isoformat(),
                            "country": "USA",
                            "spend": 10.0,
                            "impressions": 1000,
                            "clicks": 10,
                            "conversions": 1,
                            "revenue": 1000.0 + run_offset + attempt,
                            "currency": currency,
                        }
                    ]
                }
                started = time.perf_counter()
                response = http.post(
                    f"{base}/api/v1/ingest?format=native", json=body, timeout=30
                )
                response.raise_for_status()
                committed = time.perf_counter() - started
                while (
                    http.get(kpi, params=params, timeout=30).json()["value"] == before
                ):
                    if time.perf_counter() - started > 30:
                        raise SystemExit("the KPI never changed after the ingest")
                samples.append(
                    {
                        "post_ms": committed * 1000,
                        "to_figure_ms": (time.perf_counter() - started) * 1000,
                    }
                )
    finally:
        revoke_key(admin, target.org, key[:12])
        admin.dispose()
    to_figure = [s["to_figure_ms"] for s in samples]
    report = {
        "runs": len(samples),
        "p50_ms": float(np.percentile(to_figure, 50)),
        "p95_ms": float(np.percentile(to_figure, 95)),
        "post_p50_ms": float(np.percentile([s["post_ms"] for s in samples], 50)),
    }
    print(
        f"from POST /api/v1/ingest to the new KPI figure through the API: p50 "
        f"{report['p50_ms']:.0f} ms, p95 {report['p95_ms']:.0f} ms ({len(samples)} "
        f"runs; the POST itself p50 {report['post_p50_ms']:.0f} ms)"
    )
    return report
