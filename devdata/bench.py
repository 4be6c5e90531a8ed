"""The benchmark org: one large account drawn by the demo's generator.

Creates (or replaces) the org "Bench Co" (slug ``bench``, America/New_York, USD: a
retailer like the demo's Acme, without users) with ``campaigns`` campaigns and as many
days of hourly facts as make about ``rows`` rows, with the same campaign plan,
delivery model, automation history and platform health as the demo orgs
(:mod:`devdata.generator`); its rules run as often as a busy account's. Facts are
loaded with COPY on PostgreSQL and big ``executemany`` batches on SQLite
(:mod:`devdata.load`), then the rollups are built, the analytics job runs once (stored
forecasts, anomalies, trends, recommendations) and the tables are analysed.

Use the schema owner's URL (on PostgreSQL the superuser URL that ``pgsetup`` prints
as ``PULSE_ADMIN_DATABASE_URL``): the RLS-bound app role cannot replace an org.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from collections.abc import Callable
from typing import Any

from analytics.runner import run_analytics
from core.db import Database
from devdata.demo import ACME
from devdata.generator import SyntheticOrg, delete_orgs, history_window, org_streams
from devdata.grid import current_hour
from devdata.load import analyse
from devdata.plan import OrgSpec, ensure_platforms, plan_campaigns, planned_fact_rows

BENCH_CO = dataclasses.replace(ACME, name="Bench Co", slug="bench", users=())
# Executions per campaign relative to the demo's rhythm: about five per campaign every
# two weeks, as on a busy account.
EXECUTION_RATE_PER_CAMPAIGN = 0.1
# The org's stream number; the bench org is the only one of its run.
STREAM = 0
# Ten years of hourly history at most.
MAX_DAYS = 3650


def days_for_rows(
    spec: OrgSpec, *, rows: int, campaigns: int, seed: int, now: dt.datetime
) -> int:
    """Days of history that give about ``rows`` hourly rows for the planned campaigns.

    Campaign flights scale with the history (a finished campaign ran for a share of
    it), so the plan is drawn for a guess, its rows counted and the guess corrected
    until it holds; the plan drawn for the answer is the one the org gets. The
    history is at most :data:`MAX_DAYS` long (a seasonal flight has a fixed length,
    so a few such campaigns cannot fill any number of rows).
    """

    def bounded(value: float) -> int:
        return min(MAX_DAYS, max(1, round(value)))

    days = bounded(rows / (campaigns * 24))
    tried: dict[int, int] = {}
    while days not in tried and len(tried) < 10:
        pyrng, rng = org_streams(seed, STREAM)
        window_start, today = history_window(now, days, spec.timezone)
        plans = plan_campaigns(spec, campaigns, today, window_start, pyrng, rng)
        tried[days] = planned_fact_rows(plans, window_start, today)
        days = bounded(days * rows / max(tried[days], 1))
    return min(tried, key=lambda d: abs(tried[d] - rows))


def generate(
    db: Database,
    *,
    rows: int,
    campaigns: int,
    seed: int,
    slug: str,
    end_hour: dt.datetime | None = None,
    log: Callable[..., Any] = print,
) -> dict[str, float]:
    """Create the bench org and its data; returns counts and timings.

    Args:
        db: the database, connected as the schema owner.
        rows: approximate number of hourly fact rows wanted.
        campaigns: number of campaigns.
        seed: seed of every random draw.
        slug: the org's slug; an existing org with it is replaced.
        end_hour: the data ends with the hour before this one (naive UTC); defaults to
            the current hour, so "today" has data up to now.
        log: where progress lines go (called like ``print``).

    Returns:
        ``days``, ``campaigns``, ``org_id``, ``rows`` (hourly), ``daily_rows``,
        ``extras`` (automation and platform rows) and the seconds of each phase:
        ``load_seconds`` (database writes alone), ``total_seconds`` (facts drawn and
        written), ``rollup_seconds``, ``analytics_seconds``, ``analyse_seconds``.

    Raises:
        ValueError: ``rows`` or ``campaigns`` is less than 1.
    """
    if rows < 1 or campaigns < 1:
        raise ValueError("--rows and --campaigns must be at least 1")
    now = end_hour or current_hour()
    spec = dataclasses.replace(
        BENCH_CO, slug=slug, execution_rate=campaigns * EXECUTION_RATE_PER_CAMPAIGN
    )
    days = days_for_rows(spec, rows=rows, campaigns=campaigns, seed=seed, now=now)
    stats: dict[str, float] = {"days": days, "campaigns": campaigns}

    with db.unscoped_session() as session:
        delete_orgs(session, [slug])
        ensure_platforms(session)
        org = SyntheticOrg.create(
            session, spec, seed=seed, stream=STREAM, days=days, now=now
        )
        org.add_campaigns(campaigns)
        log(
            f"org {slug!r} (id {org.org.id}): {campaigns} campaigns, {days} days of "
            f"hourly facts from {org.window_start} to {org.today}"
        )
        started = time.perf_counter()
        loader = org.load_facts(
            after_campaign=lambda loader: log(
                f"  {loader.rows:>12,} rows written", end="\r"
            )
        )
        log("")
        total = time.perf_counter() - started
        stats |= {
            "org_id": org.org.id,
            "rows": loader.rows,
            "load_seconds": loader.seconds,
            "total_seconds": total,
        }
        method = "COPY" if db.dialect == "postgresql" else "executemany"
        log(
            f"loaded {loader.rows:,} hourly rows with {method} in {total:.1f} s: "
            f"{loader.rows / total:,.0f} rows/s end to end (generation included), "
            f"{loader.rows / loader.seconds:,.0f} rows/s in the database writes alone"
        )

        started = time.perf_counter()
        stats["daily_rows"] = org.refresh_rollups()
        stats["rollup_seconds"] = time.perf_counter() - started
        log(
            f"daily rollup: {stats['daily_rows']:,} rows in "
            f"{stats['rollup_seconds']:.1f} s"
        )
        org.add_automation()
        org.add_platform_health()
        stats["extras"] = sum(
            org.counts[table]
            for table in (
                "automation_executions",
                "platform_sync_runs",
                "platform_api_calls",
                "platform_errors",
            )
        )

    # What the daily analytics job would have stored by now: forecasts, anomalies,
    # trends and recommendations, so their widgets read stored rows as in production.
    started = time.perf_counter()
    run_analytics(db, int(stats["org_id"]), now=now)
    stats["analytics_seconds"] = time.perf_counter() - started
    log(
        f"analytics (forecasts, anomalies, trends, recommendations) in "
        f"{stats['analytics_seconds']:.1f} s"
    )

    started = time.perf_counter()
    analyse(db)
    stats["analyse_seconds"] = time.perf_counter() - started
    log(
        f"{'VACUUM ANALYZE' if db.dialect == 'postgresql' else 'ANALYZE'} "
        f"in {stats['analyse_seconds']:.1f} s"
    )
    return stats
