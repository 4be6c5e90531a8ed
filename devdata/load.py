"""The one bulk loader of generated facts, and what follows a load.

:class:`FactLoader` writes :class:`~devdata.facts.HourlyFacts` into
``metric_facts_hourly``: COPY (psycopg 3 ``cursor.copy``) on PostgreSQL, one
``executemany`` of the raw driver on SQLite, inside the caller's
transaction. Times and days are rendered once per hour of the grid (a few thousand
values) and then picked by index, so no per-row formatting happens for them; that is
what lets the benchmark load millions of rows in a couple of minutes.

After the facts, :func:`refresh_rollups` builds the org's rollups and
:func:`analyse` refreshes the planner statistics. (The analytics run,
:func:`analytics.runner.run_analytics`, needs committed facts, so the callers run it
after their transaction.)
"""

from __future__ import annotations

import time

import numpy as np
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from core.db import Database
from core.models import (
    FACT_COLUMNS,
    Campaign,
    MetricFactDaily,
    MetricFactHourly,
)
from datasources.rollups import refresh_daily_rollup
from devdata.facts import HourlyFacts
from devdata.grid import HourGrid

FACT_TABLE = MetricFactHourly.__tablename__
# Rows per write: big enough that COPY runs at full speed, small enough to keep memory
# flat (tens of MB) at any size.
BATCH_ROWS = 100_000


class FactLoader:
    """Writes one org's hourly facts drawn on one grid.

    Campaigns' facts are gathered until about ``batch_rows`` rows are pending and then
    written in one statement: one COPY per campaign would cost a round trip each.
    Call :meth:`finish` after the last campaign.

    Args:
        session: an unscoped (schema owner) session; the rows join its transaction.
        grid: the grid the facts were drawn on.
        org_id: the org the facts belong to.
        batch_rows: rows gathered before a write.
    """

    def __init__(
        self,
        session: Session,
        grid: HourGrid,
        org_id: int,
        batch_rows: int = BATCH_ROWS,
    ) -> None:
        self.org_id = org_id
        self.batch_rows = batch_rows
        bind = session.get_bind()
        self.postgres = bind.dialect.name == "postgresql"
        self.driver_connection = session.connection().connection.driver_connection
        if self.postgres:
            # Binary COPY: the server parses no text; each value is sent in the binary
            # format of its column's type, as the catalog states it.
            self.hour_values = grid.hours
            self.date_values = grid.local_date_objects
            oids = dict(
                session.execute(
                    text(
                        "SELECT attname, atttypid::int FROM pg_attribute "
                        "WHERE attrelid = CAST(:table AS regclass) AND attnum > 0 "
                        "AND NOT attisdropped"
                    ),
                    {"table": FACT_TABLE},
                ).all()
            )
            self.column_types = [oids[name] for name in FACT_COLUMNS]
        else:
            # SQLite stores times and dates as text in SQLAlchemy's own format: use its
            # processors so that range filters compare like with like.
            table = MetricFactHourly.__table__
            to_hour = table.c.hour_utc.type.dialect_impl(bind.dialect).bind_processor(
                bind.dialect
            )
            to_date = table.c.local_date.type.dialect_impl(bind.dialect).bind_processor(
                bind.dialect
            )
            self.hour_values = np.array([to_hour(h) for h in grid.hours], dtype=object)
            self.date_values = np.array(
                [to_date(d) for d in grid.local_date_objects], dtype=object
            )
        self.pending: list[tuple[int, HourlyFacts]] = []
        self.pending_rows = 0
        self.rows = 0
        self.seconds = 0.0

    def add(self, campaign_id: int, facts: HourlyFacts) -> None:
        """Queue one campaign's facts; writes the batch once it is full.

        Args:
            campaign_id: the campaign the facts belong to.
            facts: its facts, as :func:`devdata.facts.draw_campaign_facts` drew them.
        """
        self.pending.append((campaign_id, facts))
        self.pending_rows += len(facts)
        if self.pending_rows >= self.batch_rows:
            self._write()

    def finish(self) -> None:
        """Write what is still pending."""
        if self.pending:
            self._write()

    def _write(self) -> None:
        started = time.perf_counter()
        batch = [facts for _, facts in self.pending]

        def column(name: str) -> list:
            return np.concatenate([getattr(facts, name) for facts in batch]).tolist()

        index = np.concatenate([facts.hour_index for facts in batch])
        count = len(index)
        values = {
            "org_id": [self.org_id] * count,
            "campaign_id": np.repeat(
                [campaign_id for campaign_id, _ in self.pending],
                [len(facts) for facts in batch],
            ).tolist(),
            "hour_utc": self.hour_values[index].tolist(),
            "country": column("country"),
            "local_date": self.date_values[index].tolist(),
            "impressions": column("impressions"),
            "clicks": column("clicks"),
            "conversions": column("conversions"),
            "spend": column("spend"),
            "revenue": column("revenue"),
        }
        rows = zip(*(values[name] for name in FACT_COLUMNS), strict=True)
        columns = ", ".join(FACT_COLUMNS)
        if self.postgres:
            statement = f"COPY {FACT_TABLE} ({columns}) FROM STDIN (FORMAT BINARY)"
            with (
                self.driver_connection.cursor() as cursor,
                cursor.copy(statement) as copy,
            ):
                copy.set_types(self.column_types)
                for row in rows:
                    copy.write_row(row)
        else:
            placeholders = ", ".join("?" * len(FACT_COLUMNS))
            self.driver_connection.executemany(
                f"INSERT INTO {FACT_TABLE} ({columns}) VALUES ({placeholders})", rows
            )
        self.pending = []
        self.pending_rows = 0
        self.rows += count
        self.seconds += time.perf_counter() - started


def refresh_rollups(session: Session, org_id: int) -> int:
    """Build the org's daily, daily-platform and hourly-platform rollups.

    Returns:
        The number of daily rollup rows, counted: the rowcount of an INSERT ... SELECT
        is not reported on every driver (-1 on psycopg).
    """
    refresh_daily_rollup(session, org_id)
    return session.scalar(
        select(func.count())
        .select_from(MetricFactDaily)
        .where(MetricFactDaily.org_id == org_id)
    )


def analyse(db: Database) -> None:
    """Refresh the planner statistics after a bulk load.

    On PostgreSQL also the visibility map (``VACUUM (ANALYZE)``), as autovacuum would
    soon after the load, so that index-only scans behave as in steady state.
    """
    tables = (FACT_TABLE, MetricFactDaily.__tablename__, Campaign.__tablename__)
    with db.engine.connect().execution_options(
        isolation_level="AUTOCOMMIT"
    ) as connection:
        if db.dialect == "postgresql":
            for table in tables:
                connection.execute(text(f"VACUUM (ANALYZE) {table}"))
        # Every other table too (rule executions, analytics, connections): without
        # statistics the planner takes a thousand rows for one and picks nested loops.
        connection.execute(text("ANALYZE"))
