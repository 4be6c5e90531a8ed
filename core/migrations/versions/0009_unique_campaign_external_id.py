"""One campaign per (org, platform, external id): merge duplicates, then a unique key.

Two creators at the same moment (an API ingest and a CLI ingest, say) could each find
no campaign with a platform's external id and each insert one. From here on the key
``uq_campaigns_org_platform_external_id`` refuses the second row and the creators
upsert on it (``INSERT ... ON CONFLICT DO NOTHING``, then read the row back). Campaigns
created by name only keep an empty ``external_id`` and are not keyed: the index is
partial (``WHERE external_id <> ''``), on SQLite and PostgreSQL alike. A unique index
needs no table rebuild, so SQLite needs no batch mode here.

Existing duplicates are merged first, deterministically: in each group the campaign
with the lowest id is kept and every other one ("the duplicate") is folded into it.

* ``metric_facts_hourly``: the duplicate's facts are moved to the kept campaign; where
  both hold the same (UTC hour, country) the kept campaign's row stays and the
  duplicate's is dropped (adding them would count one platform report twice).
* The rollups derived from those facts are rebuilt for the days the duplicate had
  facts on: ``metric_facts_daily`` of the kept campaign,
  ``metric_facts_hourly_platform`` and ``metric_facts_daily_platform`` of the org and
  platform, and the kept campaign's ``campaign_totals``.
* ``automation_executions`` (the history of what rules did) is repointed to the kept
  campaign.
* Derived analytics of the duplicate (``anomalies``, ``recommendations``) are deleted
  and the org's analytics refresh window is widened to those days, so the next
  analytics run computes them for the kept campaign.
* Then the duplicate campaign row is deleted.

Downgrade drops the key; merged campaigns are not split again.

Revision ID: 0009
Revises: 0008
"""

import datetime as dt
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

INDEX = "uq_campaigns_org_platform_external_id"
HAS_EXTERNAL_ID = "external_id <> ''"
SUMS = "impressions, clicks, conversions, spend, revenue"
SUM_ALL = ", ".join(f"SUM({m})" for m in SUMS.split(", "))


def _day(value) -> dt.date:
    """A date as the driver returns it (a ``date``, or ISO text on SQLite)."""
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def _run(bind, sql: str, *, days: list[dt.date] | None = None, **params: Any):
    statement = sa.text(sql)
    if days is not None:
        statement = statement.bindparams(sa.bindparam("days", expanding=True))
        params["days"] = days
    return bind.execute(statement, params)


def _merge(bind, org: int, platform: str, keep: int, duplicate: int) -> None:
    ids: dict[str, Any] = {
        "org": org,
        "platform": platform,
        "keep": keep,
        "dup": duplicate,
    }
    days = sorted(
        _day(d)
        for (d,) in _run(
            bind,
            "SELECT DISTINCT local_date FROM metric_facts_hourly"
            " WHERE campaign_id = :dup",
            **ids,
        )
    )
    _run(
        bind,
        """DELETE FROM metric_facts_hourly
        WHERE campaign_id = :dup AND EXISTS (
            SELECT 1 FROM metric_facts_hourly AS k
            WHERE k.campaign_id = :keep AND k.hour_utc = metric_facts_hourly.hour_utc
              AND k.country = metric_facts_hourly.country)""",
        **ids,
    )
    _run(
        bind,
        "UPDATE metric_facts_hourly SET campaign_id = :keep WHERE campaign_id = :dup",
        **ids,
    )
    _run(
        bind,
        "UPDATE automation_executions SET campaign_id = :keep WHERE campaign_id = :dup",
        **ids,
    )
    # Named rather than left to ON DELETE CASCADE: SQLite enforces foreign keys only
    # when a connection asks it to.
    for derived in ("metric_facts_daily", "anomalies", "recommendations"):
        _run(bind, f"DELETE FROM {derived} WHERE campaign_id = :dup", **ids)
    _run(bind, "DELETE FROM campaign_totals WHERE campaign_id IN (:keep, :dup)", **ids)
    if days:
        _rebuild_days(bind, ids, days)
    _run(
        bind,
        f"""INSERT INTO campaign_totals
            (org_id, campaign_id, first_day, last_day, {SUMS})
        SELECT org_id, campaign_id, MIN(day), MAX(day), {SUM_ALL}
        FROM metric_facts_daily WHERE campaign_id = :keep
        GROUP BY org_id, campaign_id""",
        **ids,
    )
    _run(bind, "DELETE FROM campaigns WHERE id = :dup", **ids)


def _rebuild_days(bind, ids: dict[str, Any], days: list[dt.date]) -> None:
    """The kept campaign's daily rollup and the org's platform rollups on ``days``."""
    _run(
        bind,
        "DELETE FROM metric_facts_daily WHERE campaign_id = :keep AND day IN :days",
        days=days,
        **ids,
    )
    daily = _run(
        bind,
        f"""SELECT local_date, country, {SUM_ALL} FROM metric_facts_hourly
        WHERE campaign_id = :keep AND local_date IN :days
        GROUP BY local_date, country""",
        days=days,
        **ids,
    ).all()
    if daily:
        bind.execute(
            sa.text(
                f"""INSERT INTO metric_facts_daily
                    (org_id, campaign_id, day, country, platform, week_start, {SUMS})
                VALUES (:org, :keep, :day, :country, :platform, :week_start,
                        :impressions, :clicks, :conversions, :spend, :revenue)"""
            ),
            [
                {
                    **ids,
                    "day": _day(day),
                    "country": country,
                    # Monday of the org-local week (the day is already org-local).
                    "week_start": _day(day) - dt.timedelta(days=_day(day).weekday()),
                    "impressions": impressions,
                    "clicks": clicks,
                    "conversions": conversions,
                    "spend": spend,
                    "revenue": revenue,
                }
                for day, country, impressions, clicks, conversions, spend, revenue in (
                    daily
                )
            ],
        )
    _run(
        bind,
        """DELETE FROM metric_facts_hourly_platform
        WHERE org_id = :org AND platform = :platform AND local_date IN :days""",
        days=days,
        **ids,
    )
    _run(
        bind,
        f"""INSERT INTO metric_facts_hourly_platform
            (org_id, hour_utc, platform, local_date, {SUMS})
        SELECT f.org_id, f.hour_utc, c.platform, MIN(f.local_date),
               {", ".join(f"SUM(f.{m})" for m in SUMS.split(", "))}
        FROM metric_facts_hourly AS f JOIN campaigns AS c ON c.id = f.campaign_id
        WHERE f.org_id = :org AND c.platform = :platform AND f.local_date IN :days
        GROUP BY f.org_id, f.hour_utc, c.platform""",
        days=days,
        **ids,
    )
    _run(
        bind,
        """DELETE FROM metric_facts_daily_platform
        WHERE org_id = :org AND platform = :platform AND day IN :days""",
        days=days,
        **ids,
    )
    _run(
        bind,
        f"""INSERT INTO metric_facts_daily_platform
            (org_id, day, platform, week_start, {SUMS})
        SELECT org_id, day, platform, MIN(week_start), {SUM_ALL}
        FROM metric_facts_daily
        WHERE org_id = :org AND platform = :platform AND day IN :days
        GROUP BY org_id, day, platform""",
        days=days,
        **ids,
    )
    _widen_analytics_refresh(bind, ids["org"], days[0], days[-1])


def _widen_analytics_refresh(bind, org: int, first: dt.date, last: dt.date) -> None:
    row = _run(
        bind,
        "SELECT first_day, last_day FROM analytics_refresh_queue WHERE org_id = :org",
        org=org,
    ).first()
    if row is None:
        _run(
            bind,
            """INSERT INTO analytics_refresh_queue
                (org_id, first_day, last_day, requested_at)
            VALUES (:org, :first, :last, :now)""",
            org=org,
            first=first,
            last=last,
            now=dt.datetime.now(dt.UTC).replace(tzinfo=None),
        )
    else:
        _run(
            bind,
            """UPDATE analytics_refresh_queue SET first_day = :first, last_day = :last
            WHERE org_id = :org""",
            org=org,
            first=min(first, _day(row[0])),
            last=max(last, _day(row[1])),
        )


def upgrade() -> None:
    bind = op.get_bind()
    groups = _run(
        bind,
        f"""SELECT org_id, platform, external_id, MIN(id) FROM campaigns
        WHERE {HAS_EXTERNAL_ID}
        GROUP BY org_id, platform, external_id HAVING COUNT(*) > 1
        ORDER BY org_id, platform, external_id""",
    ).all()
    for org, platform, external_id, keep in groups:
        duplicates = _run(
            bind,
            """SELECT id FROM campaigns WHERE org_id = :org AND platform = :platform
            AND external_id = :external AND id <> :keep ORDER BY id""",
            org=org,
            platform=platform,
            external=external_id,
            keep=keep,
        ).all()
        for (duplicate,) in duplicates:
            _merge(bind, org, platform, keep, duplicate)
    op.create_index(
        INDEX,
        "campaigns",
        ["org_id", "platform", "external_id"],
        unique=True,
        sqlite_where=sa.text(HAS_EXTERNAL_ID),
        postgresql_where=sa.text(HAS_EXTERNAL_ID),
    )


def downgrade() -> None:
    op.drop_index(INDEX, "campaigns")
