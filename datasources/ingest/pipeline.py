"""The ingest pipeline: one batch, validated whole, then written all or nothing.

:func:`ingest` reads the batch with its format (:mod:`datasources.ingest.formats`),
validates every row (:func:`validate_rows`), resolves the campaigns inside the org and
looks for duplicates; any problem rejects the batch, records the rejection as an
``IngestBatch`` (status ``rejected``, with the per-row report) and raises
:class:`IngestRejected` with that report. Otherwise, in one transaction: campaigns to
create are created, the facts are upserted, the rollups of the touched days are kept
current (:func:`datasources.rollups.refresh_campaign_days`), the org's analytics
refresh window is widened to those days, and a ``committed`` ``IngestBatch`` is
recorded with its audit row.
"""

from __future__ import annotations

import datetime as dt
import gc
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal, cast
from zoneinfo import ZoneInfo

from pydantic import ValidationError
from sqlalchemy import case, column, or_, select, table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import TableClause

from accounts import audit
from accounts.permissions import Caller
from core.db import Database
from core.filters import OrgContext
from core.metrics import BASE_COLUMNS
from core.models import (
    CAMPAIGN_EXTERNAL_KEY,
    CAMPAIGN_HAS_EXTERNAL_ID,
    FACT_COLUMNS,
    AnalyticsRefresh,
    Campaign,
    IngestBatch,
    MetricFactHourly,
    Org,
    utcnow,
)
from core.reference import COUNTRIES
from datasources.ingest import formats
from datasources.ingest._campaigns import (
    CampaignIndex,
    KnownCampaign,
    NewCampaign,
    UnknownCampaigns,
    find_duplicates,
    resolve_campaigns,
)
from datasources.ingest._rows import (
    EARLIEST_DAY,
    MAX_REPORTED_ERRORS,
    FactRow,
    FieldError,
    IngestRejected,
    ParsedRow,
    RowError,
    clean_export_metrics,
    pydantic_reason,
)
from datasources.ingest.formats import Table, read_csv, read_json
from datasources.retention import RawHorizon, raw_horizon
from datasources.rollups import (
    APPLY_DELTA_SQL,
    DELTA_TABLE,
    STAGE_DELTA_SQL,
    STAGING_TABLE,
    lock_org_facts,
    refresh_campaign_days,
)

WRITE_CHUNK_ROWS = 5000


# --------------------------------------------------------------- validation
class _Clock:
    """Turns a row's time fields into (naive UTC hour, org-local day), memoised."""

    def __init__(
        self, timezone: str, now: dt.datetime, horizon: RawHorizon | None = None
    ) -> None:
        self.zone = ZoneInfo(timezone)
        self.latest = now.replace(minute=0, second=0, microsecond=0)
        self.horizon = horizon
        self.memo: dict[tuple, tuple[dt.datetime, dt.date]] = {}

    def place(self, row: FactRow) -> tuple[dt.datetime, dt.date]:
        key = (row.hour, row.date, row.hour_of_day)
        placed = self.memo.get(key)
        if placed is None:
            placed = self.memo[key] = self._place(row)
        return placed

    def _place(self, row: FactRow) -> tuple[dt.datetime, dt.date]:
        if row.hour is not None:
            moment = row.hour if row.hour.tzinfo else self._localise(row.hour, "hour")
        elif row.date is not None and row.hour_of_day is not None:
            moment = self._localise(
                dt.datetime.combine(row.date, dt.time(row.hour_of_day)), "hour_of_day"
            )
        else:
            missing = "date" if row.date is None and row.hour is None else "hour_of_day"
            raise FieldError(missing, "is required")
        hour_utc = moment.astimezone(dt.UTC).replace(tzinfo=None)
        if hour_utc > self.latest:
            raise FieldError(
                "hour" if row.hour is not None else "date",
                f"{moment.isoformat()} is in the future",
            )
        local_date = moment.astimezone(self.zone).date()
        if local_date < EARLIEST_DAY:
            raise FieldError(
                "hour" if row.hour is not None else "date",
                f"{local_date} is before {EARLIEST_DAY}",
            )
        refusal = self.horizon.refusal(local_date) if self.horizon else None
        if refusal:
            raise FieldError("hour" if row.hour is not None else "date", refusal)
        return hour_utc, local_date

    def _localise(self, naive: dt.datetime, field_name: str) -> dt.datetime:
        local = naive.replace(tzinfo=self.zone)
        round_trip = local.astimezone(dt.UTC).astimezone(self.zone).replace(tzinfo=None)
        if round_trip != naive:
            raise FieldError(
                field_name,
                f"{naive:%Y-%m-%d %H:00} does not exist in "
                f"{self.zone.key} (the clocks skip that hour)",
            )
        return local


def validate_rows(
    table: Table,
    org: OrgContext,
    *,
    default_country: str | None = None,
    now: dt.datetime | None = None,
    horizon: RawHorizon | None = None,
) -> tuple[list[ParsedRow], list[RowError]]:
    """Validate every record of ``table``; returns the valid rows and ALL problems.

    ``horizon`` is the org's raw-data horizon: rows of earlier org-local days, whose
    facts have been purged, are refused (see :mod:`datasources.retention`)."""
    errors = list(table.errors)
    if table.currency and table.currency != org.currency.upper():
        errors.append(
            RowError(
                table.header_row,
                table.label("spend"),
                f"currency {table.currency} does not match the org's "
                f"currency {org.currency}",
            )
        )
    if errors:
        return [], errors
    country = None
    if default_country is not None:
        country = COUNTRIES.get(default_country.strip().upper())
        if country is None:
            return [], [
                RowError(
                    None, "country", f"unknown default country {default_country!r}"
                )
            ]
    context = {"currency": org.currency, "default_country": country}
    exports = table.format.exports
    validate = FactRow.__pydantic_validator__.validate_python
    clock = _Clock(org.timezone, (now or utcnow()).replace(tzinfo=None), horizon)
    check_row = table.format.row_check(table)
    platform = table.format.platform
    rows: list[ParsedRow] = []
    for line, record in table.records:
        try:
            fact = validate(
                clean_export_metrics(record) if exports else record, context=context
            )
        except ValidationError as exc:
            errors.extend(
                RowError(
                    line,
                    table.label(str(e["loc"][0]) if e["loc"] else "row"),
                    pydantic_reason(e),
                )
                for e in exc.errors()
            )
            continue
        if check_row is not None:
            try:
                check_row(record, fact)
            except FieldError as exc:
                errors.append(RowError(line, table.label(exc.field_name), exc.reason))
                continue
        if (
            fact.campaign_id is None
            and fact.campaign is None
            and fact.campaign_name is None
        ):
            name = "campaign" if "campaign" in table.columns else "campaign_name"
            errors.append(RowError(line, table.label(name), "is required"))
            continue
        try:
            hour_utc, local_date = clock.place(fact)
        except FieldError as exc:
            errors.append(RowError(line, table.label(exc.field_name), exc.reason))
            continue
        rows.append(
            ParsedRow(
                line,
                fact.campaign_id,
                fact.campaign,
                fact.campaign_name,
                platform or fact.platform,
                hour_utc,
                local_date,
                fact.country,
                fact.impressions,
                fact.clicks,
                fact.conversions,
                fact.spend,
                fact.revenue,
            )
        )
    return rows, errors


# ------------------------------------------------------------------------- writing
def _dialect_insert(dialect: str):
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


def _fact_upsert(dialect: str, staged: TableClause | None = None):
    """INSERT ... ON CONFLICT (campaign, hour, country) DO UPDATE, only when changed.

    With ``staged`` the rows come from that (temporary) table, else from parameters.
    """
    table = MetricFactHourly.__table__
    statement = _dialect_insert(dialect)(table)
    if staged is not None:
        statement = statement.from_select(FACT_COLUMNS, select(*staged.c))
    excluded = statement.excluded
    updated = (*BASE_COLUMNS, "local_date")
    return statement.on_conflict_do_update(
        index_elements=["campaign_id", "hour_utc", "country"],
        set_={c: excluded[c] for c in updated},
        where=or_(*(table.c[c].is_distinct_from(excluded[c]) for c in updated)),
    )


def _fact_tuples(
    org_id: int, rows: list[ParsedRow], convert_hour=None, convert_day=None
) -> Iterable[tuple]:
    """Rows as tuples in ``FACT_COLUMNS`` order, times converted (memoised) if asked."""
    hours: dict[dt.datetime, Any] = {}
    days: dict[dt.date, Any] = {}
    for r in rows:
        hour, day = r.hour_utc, r.local_date
        if convert_hour is not None:
            hour = hours.get(hour) or hours.setdefault(hour, convert_hour(hour))
            day = days.get(day) or days.setdefault(day, convert_day(day))
        yield (
            org_id,
            r.campaign_id,
            hour,
            r.country,
            day,
            r.impressions,
            r.clicks,
            r.conversions,
            r.spend,
            r.revenue,
        )


def _upsert_facts(
    session: Session, org_id: int, rows: list[ParsedRow]
) -> tuple[int, bool]:
    """Upsert the rows; returns how many were inserted or changed, and whether the
    daily and hourly-platform rollups already received the differences (PostgreSQL).

    PostgreSQL: COPY into a temporary table and one INSERT ... SELECT ... ON CONFLICT.
    SQLite: the same upsert statement, compiled once and run as a driver executemany
    in chunks (the per-row parameter handling of SQLAlchemy would double the time).
    """
    connection = session.connection()
    dialect = connection.dialect
    if dialect.name == "postgresql":
        connection.exec_driver_sql(
            f"CREATE TEMPORARY TABLE {STAGING_TABLE} "
            f"(LIKE {MetricFactHourly.__tablename__}) ON COMMIT DROP"
        )
        driver: Any = connection.connection.driver_connection  # psycopg's own
        cursor = driver.cursor()
        with cursor.copy(
            f"COPY {STAGING_TABLE} ({', '.join(FACT_COLUMNS)}) FROM STDIN"
        ) as copy:
            for values in _fact_tuples(org_id, rows):
                copy.write_row(values)
        staged = table(STAGING_TABLE, *(column(c) for c in FACT_COLUMNS))
        # What the upsert will change, per rollup row, read before it runs.
        connection.exec_driver_sql(STAGE_DELTA_SQL)
        written = connection.execute(
            _fact_upsert("postgresql", staged).execution_options(preserve_rowcount=True)
        ).rowcount
        if written:
            for statement in APPLY_DELTA_SQL:
                connection.exec_driver_sql(statement, {"org": org_id})
        connection.exec_driver_sql(f"DROP TABLE {STAGING_TABLE}, {DELTA_TABLE}")
        return max(written or 0, 0), True
    compiled = _fact_upsert(dialect.name).compile(
        dialect=dialect, column_keys=list(FACT_COLUMNS)
    )
    order = [FACT_COLUMNS.index(name) for name in compiled.positiontup]
    columns = MetricFactHourly.__table__.c
    convert_hour = columns.hour_utc.type.dialect_impl(dialect).bind_processor(dialect)
    convert_day = columns.local_date.type.dialect_impl(dialect).bind_processor(dialect)
    tuples = [
        tuple(values[i] for i in order)
        for values in _fact_tuples(org_id, rows, convert_hour, convert_day)
    ]
    written = 0
    for start in range(0, len(tuples), WRITE_CHUNK_ROWS):
        result = connection.exec_driver_sql(
            str(compiled), tuples[start : start + WRITE_CHUNK_ROWS]
        )
        written += max(result.rowcount or 0, 0)
    return written, False


def widen_analytics_refresh(
    session: Session, org_id: int, first_day: dt.date, last_day: dt.date
) -> None:
    """Upsert the org's analytics refresh window so it covers [first_day, last_day]."""
    table = AnalyticsRefresh.__table__
    statement = _dialect_insert(session.get_bind().dialect.name)(table).values(
        org_id=org_id, first_day=first_day, last_day=last_day, requested_at=utcnow()
    )
    excluded = statement.excluded
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["org_id"],
            set_={
                "first_day": case(
                    (table.c.first_day <= excluded.first_day, table.c.first_day),
                    else_=excluded.first_day,
                ),
                "last_day": case(
                    (table.c.last_day >= excluded.last_day, table.c.last_day),
                    else_=excluded.last_day,
                ),
                "requested_at": excluded.requested_at,
            },
        )
    )


def _create_campaigns(
    session: Session, org_id: int, plans: Iterable[NewCampaign]
) -> list[NewCampaign]:
    """Create the planned campaigns and set each plan's ``id``; returns the plans this
    batch created.

    A campaign with an external id is upserted on the (org, platform, external id) key
    (``INSERT ... ON CONFLICT DO NOTHING``, then read back): when another creator made
    it since the batch was validated, that campaign is used, never a second one. Plans
    go in key order, so two batches creating the same campaigns never deadlock.
    """
    plans = list(plans)
    created: set[int] = set()  # id() of the plans created here
    named_only = []
    table = Campaign.__table__
    insert = _dialect_insert(session.get_bind().dialect.name)
    for plan in sorted(plans, key=lambda p: (p.platform, p.external_id, p.name)):
        if not plan.external_id:
            named_only.append(plan)
            continue
        statement = (
            insert(table)
            .values(
                org_id=org_id,
                platform=plan.platform,
                external_id=plan.external_id,
                name=plan.name[:200],
                start_date=plan.start_date,
                status="active",
                budget=0.0,
            )
            .on_conflict_do_nothing(
                index_elements=list(CAMPAIGN_EXTERNAL_KEY),
                index_where=CAMPAIGN_HAS_EXTERNAL_ID,
            )
            .returning(table.c.id)
        )
        plan.id = session.execute(statement).scalar_one_or_none()
        if plan.id is not None:
            created.add(id(plan))
            continue
        plan.id = session.execute(
            select(Campaign.id).where(
                Campaign.org_id == org_id,
                Campaign.platform == plan.platform,
                Campaign.external_id == plan.external_id,
            )
        ).scalar_one()
    rows = []
    for plan in named_only:
        row = Campaign(
            org_id=org_id,
            platform=plan.platform,
            external_id=plan.external_id,
            name=plan.name[:200],
            start_date=plan.start_date,
            status="active",
            budget=0.0,
        )
        session.add(row)
        rows.append((plan, row))
    session.flush()
    for plan, row in rows:
        plan.id = row.id
        created.add(id(plan))
    return [plan for plan in plans if id(plan) in created]


# --------------------------------------------------------------------------- ingest
def org_info(db: Database, org_id: int) -> tuple[OrgContext, RawHorizon | None]:
    """The org's context and its raw-data horizon (``None``: nothing purged yet)."""
    with db.session(org_id) as session:
        org = session.scalars(select(Org).where(Org.id == org_id)).one_or_none()
        if org is None:
            raise LookupError(f"no org with id {org_id}")
        return OrgContext.of(org), raw_horizon(org)


class _PurgedMeanwhile(Exception):
    """A retention purge moved the org's horizon past rows of the batch after they
    were validated (checked again under the org's write lock)."""

    def __init__(self, first_day: dt.date, retention_days: int) -> None:
        super().__init__(first_day)
        self.first_day, self.retention_days = first_day, retention_days


def _known_campaigns(session: Session) -> list[KnownCampaign]:
    return [
        KnownCampaign(*row)
        for row in session.execute(
            select(Campaign.id, Campaign.platform, Campaign.external_id, Campaign.name)
        )
    ]


def _record_rejection(
    db: Database,
    org_id: int,
    errors: list[RowError],
    rows_received: int,
    meta: dict[str, Any],
) -> int | None:
    """Record a rejected batch in its own transaction; returns its id."""
    with db.session(org_id) as session:
        batch = IngestBatch(
            org_id=org_id,
            status="rejected",
            rows_received=rows_received,
            rows_written=0,
            errors=[e.as_dict() for e in errors[:MAX_REPORTED_ERRORS]],
            **meta,
        )
        session.add(batch)
        session.flush()
        return batch.id


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a batch is parsed.

    Parsing allocates a few objects per row that all stay alive until the batch is
    written; the collector would rescan them again and again (half the parse time of a
    100k-row file). Reference counting still frees everything; no cycles are made here.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def ingest(
    db: Database,
    org_id: int,
    data: bytes | str | list | dict,
    *,
    fmt: str = "native",
    source: Literal["api", "cli"] = "api",
    on_unknown_campaign: UnknownCampaigns = "refuse",
    default_country: str | None = None,
    user_id: int | None = None,
    api_key_id: int | None = None,
    now: dt.datetime | None = None,
    caller: Caller | None = None,
) -> dict[str, Any]:
    """Ingest one batch of facts for an org, all or nothing.

    Args:
        db: the database (an RLS-bound app URL works: everything runs in the org's
            context).
        org_id: the org the facts belong to (from the caller's credentials).
        data: CSV text/bytes, or JSON rows (a list of objects, or ``{"rows": [...]}``).
        fmt: a registered format: ``native``, ``google_ads`` or ``meta_ads`` (see
            their modules in :mod:`datasources.ingest`).
        source: ``api`` or ``cli``, recorded on the batch.
        on_unknown_campaign: ``create`` makes campaigns named by unknown rows (they
            need a platform); ``refuse`` reports those rows.
        default_country: the country of every row of a file without a country column.
        user_id, api_key_id: who sent the batch, recorded on it.
        now: the current time (naive UTC) for the "not in the future" check.
        caller: who sent it, for the audit row's address and user agent.

    Returns:
        ``{"batch_id", "status": "committed", "format", "rows_received", "rows_written",
        "rows_unchanged", "days_touched": [ISO days], "first_day", "last_day",
        "campaigns_created": [{"id", "name", "platform", "external_id"}]}``.

    Raises:
        IngestRejected: any problem; nothing was written and the rejection was recorded.
        LookupError: the org does not exist.
    """
    formats.get(fmt)  # an unknown format is a ValueError naming the known ones
    if on_unknown_campaign not in ("create", "refuse"):
        raise ValueError("on_unknown_campaign must be 'create' or 'refuse'")
    org, horizon = org_info(db, org_id)
    meta = {
        "source": source,
        "format": fmt,
        "user_id": user_id,
        "api_key_id": api_key_id,
    }
    with _collector_paused():
        return _ingest(
            db,
            org,
            data,
            fmt,
            on_unknown_campaign,
            default_country,
            meta,
            now,
            horizon,
            caller,
        )


def _ingest(
    db: Database,
    org: OrgContext,
    data: bytes | str | list | dict,
    fmt: str,
    on_unknown_campaign: UnknownCampaigns,
    default_country: str | None,
    meta: dict[str, Any],
    now: dt.datetime | None,
    horizon: RawHorizon | None,
    caller: Caller | None,
) -> dict[str, Any]:
    table = (
        read_json(data, fmt, default_country=default_country)
        if isinstance(data, (list, dict))
        else read_csv(data, fmt, default_country=default_country)
    )
    rows_received = len(table.records)
    rows, errors = validate_rows(
        table, org, default_country=default_country, now=now, horizon=horizon
    )
    if not errors and not rows:
        errors = [RowError(None, "rows", "the batch has no data rows")]
    planned: dict[tuple, NewCampaign] = {}
    pending: dict[int, tuple] = {}
    if not errors:
        with db.session(org.id) as session:
            index = CampaignIndex(_known_campaigns(session))
        planned, pending, errors = resolve_campaigns(
            rows, index, table, on_unknown_campaign
        )
        errors += find_duplicates(rows, pending, table)
    if errors:
        errors.sort(key=lambda e: e.row or 0)
        batch_id = _record_rejection(db, org.id, errors, rows_received, meta)
        raise IngestRejected(errors, rows_received, batch_id)
    try:
        return _commit(db, org, rows, planned, pending, rows_received, meta, caller)
    except _PurgedMeanwhile as exc:
        late = RawHorizon(exc.first_day, exc.retention_days)
        errors = [
            RowError(r.row, "hour", late.refusal(r.local_date) or "")
            for r in rows
            if late.refusal(r.local_date)
        ]
        batch_id = _record_rejection(db, org.id, errors, rows_received, meta)
        raise IngestRejected(errors, rows_received, batch_id) from None


def _commit(
    db: Database,
    org: OrgContext,
    rows: list[ParsedRow],
    planned: dict[tuple, NewCampaign],
    pending: dict[int, tuple],
    rows_received: int,
    meta: dict[str, Any],
    caller: Caller | None = None,
) -> dict[str, Any]:
    days = sorted({r.local_date for r in rows})
    with db.session(org.id) as session:
        lock_org_facts(session, org.id)
        purged_before, retention_days = session.execute(
            select(Org.raw_purged_before, Org.retention_raw_days).where(
                Org.id == org.id
            )
        ).one()
        if purged_before is not None and days[0] < purged_before:
            raise _PurgedMeanwhile(purged_before, retention_days)
        created = _create_campaigns(session, org.id, planned.values())
        for row in rows:
            if row.campaign_id is None:
                row.campaign_id = planned[pending[row.row]].id
        written, deltas_applied = _upsert_facts(session, org.id, rows)
        if written:
            campaign_days: dict[int, set[dt.date]] = defaultdict(set)
            for row in rows:
                # Every row has its campaign id by now: resolved, or created above.
                campaign_days[cast(int, row.campaign_id)].add(row.local_date)
            refresh_campaign_days(
                session, org.id, campaign_days, deltas_applied=deltas_applied
            )
            widen_analytics_refresh(session, org.id, days[0], days[-1])
        batch = IngestBatch(
            org_id=org.id,
            status="committed",
            rows_received=rows_received,
            rows_written=written,
            first_day=days[0],
            last_day=days[-1],
            errors=[],
            **meta,
        )
        session.add(batch)
        session.flush()
        audit.record(
            session,
            "ingest",
            "ingest_batch",
            batch.id,
            user_id=meta["user_id"],
            api_key_id=meta["api_key_id"],
            caller=caller,
            details={
                "format": meta["format"],
                "source": meta["source"],
                "rows_written": written,
                "campaigns_created": len(created),
            },
        )
    return {
        "batch_id": batch.id,
        "status": "committed",
        "format": meta["format"],
        "rows_received": rows_received,
        "rows_written": written,
        "rows_unchanged": len(rows) - written,
        "days_touched": [d.isoformat() for d in days],
        "first_day": days[0].isoformat(),
        "last_day": days[-1].isoformat(),
        "campaigns_created": [
            {
                "id": p.id,
                "name": p.name,
                "platform": p.platform,
                "external_id": p.external_id,
            }
            for p in created
        ],
    }


def load_file(path: Path) -> bytes | list | dict:
    """A file's content: parsed JSON for ``.json`` files, raw bytes otherwise."""
    if path.suffix.lower() == ".json":
        return json.loads(path.read_text(encoding="utf-8-sig"))
    return path.read_bytes()
