"""Generate one large org for the benchmarks: ``python -m bench.generate``.

Creates (or replaces) the org "Bench Co" (slug ``bench``, America/New_York, USD) with
``--campaigns`` campaigns over the five platforms and hourly facts for as many days as
make ``campaigns × days × 24 × countries ≈ --rows``. About one campaign in five
delivers in two countries, as real accounts do. Values have weekly and hourly
seasonality (in the org's own time zone), a per-campaign trend and noise, and are
drawn with numpy a few hundred thousand rows at a time.

Facts are loaded with COPY (psycopg 3 ``cursor.copy``) on PostgreSQL and with big
``executemany`` chunks on SQLite, in one transaction. Then the daily rollup is built
with :func:`datasources.rollups.refresh_daily_rollup`, the analytics job runs once
(stored forecasts, anomalies, trends, recommendations) and the tables are analysed.
A few thousand automation executions and platform-health rows are added too, so the
automation and platform data sources have realistic tables to read.

Use the schema owner's URL (on PostgreSQL the superuser URL that
``python -m core.pgsetup --database pulse_bench --recreate`` prints as
``PULSE_ADMIN_DATABASE_URL``): the RLS-bound app role cannot replace an org.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import delete, func, insert, select, text
from sqlalchemy.orm import Session

from analytics.runner import run_analytics
from core.db import Database
from core.models import (
    AutomationExecution,
    AutomationRule,
    Campaign,
    MetricFactDaily,
    MetricFactHourly,
    Org,
    Platform,
    PlatformApiCalls,
    PlatformConnection,
    PlatformError,
    PlatformSyncRun,
)
from core.reference import PLATFORMS
from datasources.rollups import refresh_daily_rollup

ORG_NAME = "Bench Co"
ORG_TIMEZONE = "America/New_York"
ORG_CURRENCY = "USD"
FACT_COLUMNS = (
    "org_id",
    "campaign_id",
    "hour_utc",
    "country",
    "local_date",
    "impressions",
    "clicks",
    "conversions",
    "spend",
    "revenue",
)
# Rows generated and written per step: big enough that numpy and COPY run at full
# speed, small enough to keep memory flat (about 100 MB) at any --rows.
CHUNK_ROWS = 250_000
TWO_COUNTRY_SHARE = 0.2
PLATFORM_WEIGHTS = {
    "meta": 0.3,
    "google": 0.3,
    "tiktok": 0.15,
    "linkedin": 0.1,
    "snapchat": 0.15,
}
# Per platform: cost per thousand impressions, click-through rate, conversion rate and
# typical return on ad spend (the order value follows from them). Rough industry
# figures; the shape matters, not the exact values.
PLATFORM_ECONOMICS = {
    "meta": (9.0, 0.012, 0.030, 3.0),
    "google": (40.0, 0.035, 0.050, 4.0),
    "tiktok": (7.0, 0.010, 0.020, 2.2),
    "linkedin": (32.0, 0.006, 0.025, 1.6),
    "snapchat": (5.0, 0.008, 0.015, 1.8),
}
OBJECTIVES = ("conversions", "sales", "traffic", "awareness", "leads")
MARKETS = ("CAN", "GBR", "MEX", "DEU", "AUS")
HISTORY_DAYS = 14  # platform-health and automation history kept for the extras


@dataclass(frozen=True)
class CampaignPlan:
    """What one generated campaign looks like before it is written."""

    platform: str
    name: str
    objective: str
    status: str
    daily_spend: float
    cpm: float
    ctr: float
    cvr: float
    aov: float
    trend: float  # relative change of delivery from the first to the last day
    countries: tuple[str, ...]
    shares: tuple[float, ...]
    budget: float
    daily_budget: float | None
    end_date: dt.date | None


@dataclass(frozen=True)
class HourGrid:
    """The UTC hours of the generated history with their org-local calendar."""

    hours: pd.DatetimeIndex  # naive UTC
    local_hour: np.ndarray
    local_weekday: np.ndarray
    local_date: np.ndarray  # datetime.date objects
    position: np.ndarray  # 0..1 through the history, for trends

    @classmethod
    def build(cls, end_hour: dt.datetime, days: int, timezone: str) -> HourGrid:
        hours = pd.date_range(
            end=end_hour - dt.timedelta(hours=1), periods=days * 24, freq="h"
        )
        local = hours.tz_localize("UTC").tz_convert(timezone)
        return cls(
            hours=hours,
            local_hour=local.hour.to_numpy(),
            local_weekday=local.day_of_week.to_numpy(),
            local_date=np.array(local.date, dtype=object),
            position=np.linspace(0.0, 1.0, len(hours)),
        )


# Share of a day's delivery by org-local hour: a trough at 4 a.m., a lunch bump and an
# evening peak, as ad platforms deliver.
_HOUR = np.arange(24)
HOUR_PROFILE = (
    0.15
    + np.exp(-((_HOUR - 12.5) ** 2) / 8.0) * 0.9
    + np.exp(-((_HOUR - 20.0) ** 2) / 6.0) * 1.3
)
HOUR_PROFILE = HOUR_PROFILE / HOUR_PROFILE.mean()
# Monday..Sunday: B2B (LinkedIn) dips at weekends, consumer platforms peak on Sunday.
WEEK_PROFILE = {
    "b2b": np.array([1.12, 1.15, 1.14, 1.1, 1.0, 0.7, 0.69]),
    "consumer": np.array([0.95, 0.97, 0.98, 1.0, 1.03, 1.02, 1.05]),
}


def plan_campaigns(
    count: int, rng: np.random.Generator, first_day: dt.date, last_day: dt.date
) -> list[CampaignPlan]:
    """Draw ``count`` campaigns: platform, economics, markets, budget and flight."""
    platforms = rng.choice(
        list(PLATFORM_WEIGHTS), size=count, p=list(PLATFORM_WEIGHTS.values())
    )
    days = (last_day - first_day).days + 1
    plans = []
    for index, platform in enumerate(platforms.tolist()):
        cpm, ctr, cvr, roas = PLATFORM_ECONOMICS[platform]
        cpm, ctr, cvr = (
            cpm * float(rng.lognormal(0.0, 0.2)),
            ctr * float(rng.lognormal(0.0, 0.25)),
            cvr * float(rng.lognormal(0.0, 0.3)),
        )
        # Revenue per conversion that gives this campaign its return on ad spend.
        aov = roas * float(rng.lognormal(0.0, 0.35)) * (cpm / 1000.0 / ctr) / cvr
        daily_spend = float(np.clip(rng.lognormal(np.log(250.0), 0.8), 20.0, 8000.0))
        if rng.random() < TWO_COUNTRY_SHARE:
            primary = float(rng.uniform(0.6, 0.85))
            countries, shares = (
                ("USA", str(rng.choice(MARKETS))),
                (primary, 1.0 - primary),
            )
        else:
            countries, shares = (
                (("USA",) if rng.random() < 0.8 else (str(rng.choice(MARKETS)),)),
                (1.0,),
            )
        # Two in three campaigns have a flight with a lifetime budget that ends in the
        # coming months; the rest run open-ended on a daily budget.
        if rng.random() < 2 / 3:
            end_date = last_day + dt.timedelta(days=int(rng.integers(14, 180)))
            flight_days = (end_date - first_day).days + 1
            budget = round(
                daily_spend * flight_days * float(rng.uniform(0.85, 1.25)), -2
            )
            daily_budget = None
        else:
            end_date = None
            daily_budget = round(daily_spend * float(rng.uniform(0.9, 1.3)), 0)
            budget = daily_budget * days
        objective = str(rng.choice(OBJECTIVES))
        plans.append(
            CampaignPlan(
                platform=platform,
                name=f"{PLATFORMS[platform]} · {objective.title()} · {index + 1:04d}",
                objective=objective,
                status="active" if rng.random() < 0.92 else "paused",
                daily_spend=daily_spend,
                cpm=cpm,
                ctr=ctr,
                cvr=cvr,
                aov=aov,
                trend=float(rng.uniform(-0.3, 0.5)),
                countries=countries,
                shares=shares,
                budget=budget,
                daily_budget=daily_budget,
                end_date=end_date,
            )
        )
    return plans


def days_for(rows: int, plans: list[CampaignPlan]) -> int:
    """Days of history that give about ``rows`` hourly rows for these campaigns."""
    series = sum(len(p.countries) for p in plans)
    return max(1, round(rows / (series * 24)))


def fact_chunks(
    plans: list[CampaignPlan],
    campaign_ids: list[int],
    grid: HourGrid,
    rng: np.random.Generator,
    org_id: int,
) -> Iterator[dict[str, np.ndarray]]:
    """Hourly fact columns, one chunk of (campaign, country) series at a time.

    Each chunk is a matrix of series × hours, so every draw is one numpy call.
    """
    series = [
        (i, country, share)
        for i, plan in enumerate(plans)
        for country, share in zip(plan.countries, plan.shares, strict=True)
    ]
    hours = len(grid.hours)
    per_chunk = max(1, CHUNK_ROWS // hours)
    hour_shape = HOUR_PROFILE[grid.local_hour]
    week_shape = {
        kind: profile[grid.local_weekday] for kind, profile in WEEK_PROFILE.items()
    }
    for start in range(0, len(series), per_chunk):
        block = series[start : start + per_chunk]
        chosen = [plans[i] for i, _, _ in block]
        column = lambda values: np.array(values, dtype=float)[:, None]  # noqa: E731
        share = column([s for _, _, s in block])
        week = np.stack(
            [
                week_shape["b2b" if p.platform == "linkedin" else "consumer"]
                for p in chosen
            ]
        )
        trend = 1.0 + column([p.trend for p in chosen]) * grid.position[None, :]
        # Day-level shocks (a good or bad day for one campaign) and hour-level noise.
        day_index = np.arange(hours) // 24
        day_noise = rng.lognormal(0.0, 0.15, size=(len(block), day_index[-1] + 1))[
            :, day_index
        ]
        hour_noise = rng.lognormal(0.0, 0.25, size=(len(block), hours))
        expected_spend = (
            column([p.daily_spend for p in chosen])
            / 24.0
            * share
            * hour_shape[None, :]
            * week
            * trend
            * day_noise
            * hour_noise
        )
        impressions = rng.poisson(
            expected_spend / column([p.cpm for p in chosen]) * 1000.0
        )
        clicks = rng.binomial(
            impressions, np.clip(column([p.ctr for p in chosen]), 0, 0.5)
        )
        conversions = rng.binomial(
            clicks, np.clip(column([p.cvr for p in chosen]), 0, 0.5)
        )
        spend = np.round(impressions * column([p.cpm for p in chosen]) / 1000.0, 2)
        revenue = np.round(
            conversions
            * column([p.aov for p in chosen])
            * rng.lognormal(0.0, 0.3, size=conversions.shape),
            2,
        )
        count = len(block) * hours
        yield {
            "org_id": np.full(count, org_id),
            "campaign_id": np.repeat([campaign_ids[i] for i, _, _ in block], hours),
            "hour_index": np.tile(np.arange(hours), len(block)),
            "country": np.repeat(
                np.array([c for _, c, _ in block], dtype=object), hours
            ),
            "impressions": impressions.ravel(),
            "clicks": clicks.ravel(),
            "conversions": conversions.ravel(),
            "spend": spend.ravel(),
            "revenue": revenue.ravel(),
        }


class FactLoader:
    """Writes fact chunks: COPY on PostgreSQL, executemany on SQLite.

    Timestamps and dates are rendered once per hour of the grid (a few thousand values)
    and then picked by index, so no per-row Python formatting happens for them.
    """

    def __init__(self, session: Session, grid: HourGrid) -> None:
        self.session = session
        self.dbapi = session.connection().connection.driver_connection
        self.postgres = session.get_bind().dialect.name == "postgresql"
        table = MetricFactHourly.__table__
        dialect = session.get_bind().dialect
        if self.postgres:
            self.hour_values = np.array(
                [h.strftime("%Y-%m-%d %H:%M:%S") for h in grid.hours], dtype=object
            )
            self.date_values = np.array(
                [d.isoformat() for d in grid.local_date], dtype=object
            )
        else:
            # SQLite stores dates as text in SQLAlchemy's own format: use its processors so
            # range filters compare like with like.
            to_hour = table.c.hour_utc.type.dialect_impl(dialect).bind_processor(
                dialect
            )
            to_date = table.c.local_date.type.dialect_impl(dialect).bind_processor(
                dialect
            )
            self.hour_values = np.array(
                [to_hour(h.to_pydatetime()) for h in grid.hours], dtype=object
            )
            self.date_values = np.array(
                [to_date(d) for d in grid.local_date], dtype=object
            )
        self.rows = 0
        self.seconds = 0.0

    def write(self, chunk: dict[str, np.ndarray]) -> None:
        started = time.perf_counter()
        index = chunk["hour_index"]
        rows = zip(
            chunk["org_id"].tolist(),
            chunk["campaign_id"].tolist(),
            self.hour_values[index].tolist(),
            chunk["country"].tolist(),
            self.date_values[index].tolist(),
            chunk["impressions"].tolist(),
            chunk["clicks"].tolist(),
            chunk["conversions"].tolist(),
            chunk["spend"].tolist(),
            chunk["revenue"].tolist(),
            strict=True,
        )
        if self.postgres:
            statement = (
                f"COPY {MetricFactHourly.__tablename__} ({', '.join(FACT_COLUMNS)}) "
                "FROM STDIN"
            )
            with self.dbapi.cursor() as cursor, cursor.copy(statement) as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            placeholders = ", ".join("?" * len(FACT_COLUMNS))
            self.dbapi.executemany(
                f"INSERT INTO {MetricFactHourly.__tablename__} ({', '.join(FACT_COLUMNS)}) "
                f"VALUES ({placeholders})",
                rows,
            )
        self.rows += len(index)
        self.seconds += time.perf_counter() - started


def replace_org(session: Session, slug: str) -> int:
    """Delete the org with ``slug`` (big fact tables first) and create it anew."""
    old = session.scalars(select(Org.id).where(Org.slug == slug)).all()
    if old:
        for model in (MetricFactHourly, MetricFactDaily, PlatformApiCalls):
            session.execute(delete(model).where(model.org_id.in_(old)))
        session.execute(delete(Org).where(Org.id.in_(old)))
    present = set(session.scalars(select(Platform.code)))
    missing = [{"code": c, "name": n} for c, n in PLATFORMS.items() if c not in present]
    if missing:
        session.execute(insert(Platform.__table__), missing)
    org = Org(
        name=ORG_NAME,
        slug=slug,
        timezone=ORG_TIMEZONE,
        currency=ORG_CURRENCY,
        allowed_recipient_domains=[f"{slug}.example"],
    )
    session.add(org)
    session.flush()
    return org.id


def insert_campaigns(
    session: Session, org_id: int, plans: list[CampaignPlan], first_day: dt.date
) -> list[int]:
    rows = [
        Campaign(
            org_id=org_id,
            platform=p.platform,
            external_id=f"bench-{i:05d}",
            name=p.name,
            objective=p.objective,
            status=p.status,
            budget=p.budget,
            daily_budget=p.daily_budget,
            start_date=first_day,
            end_date=p.end_date,
            target_cpa=round(p.aov * 0.4, 2),
            target_roas=2.0 if p.objective in ("sales", "conversions") else None,
        )
        for i, p in enumerate(plans)
    ]
    session.add_all(rows)
    session.flush()
    return [row.id for row in rows]


def add_extras(
    session: Session,
    org_id: int,
    plans: list[CampaignPlan],
    campaign_ids: list[int],
    end_hour: dt.datetime,
    rng: np.random.Generator,
) -> int:
    """Automation rules with executions and platform connections with their health rows.

    Sized like a busy account (five executions per campaign over two weeks, hourly
    syncs and API usage per platform) so those data sources read realistic tables.
    """
    rules = [
        AutomationRule(
            org_id=org_id,
            name="Pause high-CPA campaigns",
            status="active",
            condition={
                "metric": "cpa",
                "operator": ">",
                "threshold": 60,
                "window": "7d",
            },
            action={"type": "pause"},
            scope={},
        ),
        AutomationRule(
            org_id=org_id,
            name="Scale winners",
            status="active",
            condition={
                "metric": "roas",
                "operator": ">",
                "threshold": 4,
                "window": "7d",
            },
            action={"type": "budget_adjust", "percent": 15},
            scope={},
        ),
        AutomationRule(
            org_id=org_id,
            name="Notify on spend spike",
            status="active",
            condition={
                "metric": "spend_change_pct",
                "operator": ">",
                "threshold": 50,
                "window": "1d",
            },
            action={
                "type": "notify",
                "channels": ["email"],
                "recipients": ["ops@bench.example"],
            },
            scope={},
        ),
        AutomationRule(
            org_id=org_id,
            name="Trim budget on low ROAS",
            status="paused",
            condition={
                "metric": "roas",
                "operator": "<",
                "threshold": 1.0,
                "window": "14d",
            },
            action={"type": "budget_adjust", "percent": -20},
            scope={},
        ),
    ]
    session.add_all(rules)
    session.flush()
    span = HISTORY_DAYS * 24 * 3600
    count = 5 * len(plans)
    offsets = np.sort(rng.integers(60, span, size=count))[::-1]
    statuses = rng.choice(
        ["success", "failed", "skipped"], size=count, p=[0.86, 0.07, 0.07]
    )
    rule_index = rng.integers(0, len(rules), size=count)
    campaign_index = rng.integers(0, len(plans), size=count)
    executions = []
    for offset, status, r, c in zip(
        offsets.tolist(),
        statuses.tolist(),
        rule_index.tolist(),
        campaign_index.tolist(),
        strict=True,
    ):
        rule = rules[r]
        executions.append(
            {
                "org_id": org_id,
                "rule_id": rule.id,
                "campaign_id": campaign_ids[c],
                "executed_at": end_hour - dt.timedelta(seconds=offset),
                "status": status,
                "action_taken": rule.action["type"],
                "details": {
                    "metric": rule.condition["metric"],
                    "threshold": rule.condition["threshold"],
                },
                "error": "platform API timed out after 30 s"
                if status == "failed"
                else None,
            }
        )
    session.execute(insert(AutomationExecution.__table__), executions)

    hours = [end_hour - dt.timedelta(hours=h) for h in range(HISTORY_DAYS * 24, 0, -1)]
    syncs, calls, errors = [], [], []
    for platform in PLATFORMS:
        connection = PlatformConnection(
            org_id=org_id,
            platform=platform,
            account_name=f"Bench Co · {PLATFORMS[platform]}",
            status="active",
            rate_limit_limit=10_000,
            token_expires_at=end_hour + dt.timedelta(days=30),
        )
        session.add(connection)
        session.flush()
        failed = rng.random(len(hours)) < 0.02
        used = np.clip(
            rng.normal(0.35, 0.1, len(hours))
            * HOUR_PROFILE[[h.hour for h in hours]]
            / HOUR_PROFILE.max(),
            0.01,
            0.98,
        )
        for hour, fail, share in zip(
            hours, failed.tolist(), used.tolist(), strict=True
        ):
            finished = hour + dt.timedelta(minutes=2)
            syncs.append(
                {
                    "org_id": org_id,
                    "connection_id": connection.id,
                    "started_at": hour,
                    "finished_at": finished,
                    "status": "failed" if fail else "success",
                    "records_synced": 0 if fail else int(rng.integers(500, 5000)),
                    "error": "TIMEOUT: the platform did not answer" if fail else None,
                }
            )
            call_count = int(share * connection.rate_limit_limit)
            calls.append(
                {
                    "org_id": org_id,
                    "connection_id": connection.id,
                    "hour_utc": hour,
                    "call_count": call_count,
                    "error_count": int(call_count * 0.004),
                    "rate_limit_used": call_count,
                }
            )
            if fail:
                errors.append(
                    {
                        "org_id": org_id,
                        "connection_id": connection.id,
                        "occurred_at": finished,
                        "error_code": "TIMEOUT",
                        "message": "The platform did not answer within 30 s",
                        "severity": "error",
                    }
                )
        connection.last_sync_at = syncs[-1]["finished_at"]
        connection.last_sync_status = syncs[-1]["status"]
    for model, rows in (
        (PlatformSyncRun, syncs),
        (PlatformApiCalls, calls),
        (PlatformError, errors),
    ):
        if rows:
            session.execute(insert(model.__table__), rows)
    return len(executions) + len(syncs) + len(calls) + len(errors)


def analyse(db: Database) -> None:
    """Refresh planner statistics (and, on PostgreSQL, the visibility map, as autovacuum
    would soon after a bulk load, so index-only scans behave as in steady state)."""
    tables = (
        MetricFactHourly.__tablename__,
        MetricFactDaily.__tablename__,
        Campaign.__tablename__,
    )
    with db.engine.connect().execution_options(
        isolation_level="AUTOCOMMIT"
    ) as connection:
        if db.dialect == "postgresql":
            for table in tables:
                connection.execute(text(f"VACUUM (ANALYZE) {table}"))
        else:
            connection.execute(text("ANALYZE"))


def generate(
    db: Database,
    *,
    rows: int,
    campaigns: int,
    seed: int,
    slug: str,
    end_hour: dt.datetime | None = None,
    log=print,
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
        log: where progress lines go.
    """
    if rows < 1 or campaigns < 1:
        raise ValueError("--rows and --campaigns must be at least 1")
    end_hour = end_hour or dt.datetime.now(dt.UTC).replace(
        tzinfo=None, minute=0, second=0, microsecond=0
    )
    rng = np.random.default_rng(seed)
    today = pd.Timestamp(end_hour).tz_localize("UTC").tz_convert(ORG_TIMEZONE).date()
    # Plan with a provisional first day to learn the series count, then fix the days.
    provisional = plan_campaigns(campaigns, np.random.default_rng(seed), today, today)
    days = days_for(rows, provisional)
    grid = HourGrid.build(end_hour, days, ORG_TIMEZONE)
    first_day = grid.local_date[0]
    plans = plan_campaigns(campaigns, rng, first_day, today)
    stats: dict[str, float] = {"days": days, "campaigns": campaigns}

    with db.unscoped_session() as session:
        org_id = replace_org(session, slug)
        campaign_ids = insert_campaigns(session, org_id, plans, first_day)
        stats["extras"] = add_extras(
            session, org_id, plans, campaign_ids, end_hour, rng
        )
    log(
        f"org {slug!r} (id {org_id}): {campaigns} campaigns, {days} days of hourly facts "
        f"from {first_day} to {today}"
    )

    started = time.perf_counter()
    with db.unscoped_session() as session:
        loader = FactLoader(session, grid)
        for chunk in fact_chunks(plans, campaign_ids, grid, rng, org_id):
            loader.write(chunk)
            log(f"  {loader.rows:>12,} rows written", end="\r")
        log("")
    total = time.perf_counter() - started
    stats |= {
        "org_id": org_id,
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
    with db.unscoped_session() as session:
        refresh_daily_rollup(session, org_id)
        # The driver's rowcount of INSERT ... SELECT is not reliable (psycopg gives -1).
        daily = session.scalar(
            select(func.count())
            .select_from(MetricFactDaily)
            .where(MetricFactDaily.org_id == org_id)
        )
    stats |= {"daily_rows": daily, "rollup_seconds": time.perf_counter() - started}
    log(f"daily rollup: {daily:,} rows in {stats['rollup_seconds']:.1f} s")

    # What the daily analytics job would have stored by now: forecasts, anomalies,
    # trends and recommendations, so their widgets read stored rows as in production.
    started = time.perf_counter()
    run_analytics(db, org_id)
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.generate",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--database-url",
        required=True,
        help="schema owner URL, e.g. postgresql+psycopg://postgres@127.0.0.1:5432/"
        "pulse_bench or sqlite:///var/bench.db (migrated already)",
    )
    parser.add_argument(
        "--rows", type=int, default=5_000_000, help="hourly fact rows (about)"
    )
    parser.add_argument("--campaigns", type=int, default=500)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--org-slug", default="bench")
    args = parser.parse_args(argv)
    db = Database(args.database_url)
    try:
        generate(
            db,
            rows=args.rows,
            campaigns=args.campaigns,
            seed=args.seed,
            slug=args.org_slug,
            log=lambda *a, **k: print(*a, **k, flush=True),
        )
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        db.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
