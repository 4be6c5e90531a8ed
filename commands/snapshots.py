"""Dashboard snapshots: a dashboard's data, filters and instant, kept as taken,
encrypted at rest.

People take one from the dashboard page ("Take snapshot"), through the API
(``POST /api/v1/snapshots``), and a report schedule of format ``snapshot`` takes one at
each fire instant. :func:`take_snapshot` gathers every widget the caller may see
exactly as a report does (:func:`reports.collect.query_widget_answer`: the widget's
validated spec through :func:`dashboards.render.widget_result`, the org's context,
the query cache, the dashboard filters), plus the report's sections, and stores the
seed-shaped document (:mod:`reports.snapshots`) Fernet-encrypted
(:class:`core.crypto.SnapshotCipher`) in ``dashboard_snapshots.data``. Its name, type,
instant, dashboard and author stay plain so the list needs no decryption.

Reading one (:func:`get_snapshot`), exporting it as JSON, PDF or Excel
(:func:`export_snapshot`) and comparing two (:func:`compare_snapshots`) decrypt the
stored document and render the stored answers through the report builders: no query
runs again, so a snapshot says what the dashboard said then. Everything is read in
the caller's org-scoped session, so another org's snapshot id is "not found" like one
that does not exist. Taking, viewing, exporting and deleting are audited
(``create``, ``view``, ``export``, ``delete`` of entity ``snapshot``).

Taking and deleting need :attr:`~accounts.permissions.Permission.EDIT` (editors,
admins, API keys); everyone of the org may list, view, export and compare. The
org's snapshot retention (``orgs.snapshot_retention_days``; ``None``: keep forever)
is applied daily by the ``snapshot_retention`` job (:func:`apply_snapshot_retention`).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    ValidationError,
    model_validator,
)
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from accounts import audit
from accounts.permissions import Caller, Permission, require
from commands.context import CommandContext
from commands.dashboards import DashboardNotFound
from commands.errors import Invalid, NotFound
from core.crypto import SnapshotCipher
from core.errors import validation_messages
from core.filters import Filters, FilterState, QueryError, filters_for_state
from core.models import Dashboard, DashboardSnapshot, Org, User, utcnow
from core.reference import CUSTOM_RANGE, FILTER_BAR_RANGES, parse_row_id
from core.windows import zone
from dashboards import store as dashboard_store
from dashboards.filters import org_campaign_ids
from reports.collect import query_sections, query_widget_answer, report_period
from reports.content import ReportContent
from reports.render import RenderedReport, render_report
from reports.snapshots import (
    SNAPSHOT_TYPES,
    ChartOverlay,
    KpiChange,
    compare_charts,
    compare_kpis,
    decode_document,
    encode_document,
    snapshot_content,
    snapshot_document,
)

EXPORT_FORMATS = ("json", "pdf", "xlsx")
# "excel" is what people type; the file is an .xlsx workbook.
FORMAT_ALIASES = {"excel": "xlsx"}
RETENTION_CEILING_DAYS = 3650
DEFAULT_LIST_LIMIT = 500
NAME_LENGTH = 200  # dashboard_snapshots.name


class SnapshotNotFound(NotFound):
    """No such snapshot in the caller's org (other orgs' ids included)."""

    kind = "snapshot"

    def __init__(self, snapshot_id: object) -> None:
        super().__init__(f"no snapshot {snapshot_id} in your org")


class SnapshotFilters(BaseModel):
    """The dashboard filters a snapshot is taken with, as the filter bar holds
    them (the seed's ``metadata.filters``): ``date_range`` is one of the bar's
    choices (``widget``: each widget's own period; ``custom`` with ``date_from`` and
    ``date_to``)."""

    model_config = ConfigDict(extra="forbid")

    date_range: str = "widget"
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    comparison: Literal["previous_period", "previous_year"] | None = None
    platforms: list[str] = Field(default_factory=list)
    campaign_ids: list[StrictInt] = Field(default_factory=list)
    countries: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _days_only_when_custom(self) -> SnapshotFilters:
        if self.date_range != CUSTOM_RANGE and (self.date_from or self.date_to):
            raise ValueError(
                f"give date_from and date_to only with date_range {CUSTOM_RANGE!r}"
            )
        return self

    def state(self) -> FilterState:
        return FilterState(
            date_range=self.date_range,
            date_from=self.date_from,
            date_to=self.date_to,
            comparison=self.comparison,
            platforms=tuple(self.platforms),
            campaign_ids=tuple(self.campaign_ids),
            countries=tuple(self.countries),
        )


class SnapshotInput(BaseModel):
    """A snapshot as the API's body asks for it."""

    model_config = ConfigDict(extra="forbid")

    dashboard_id: StrictInt = Field(ge=1)
    name: str | None = Field(None, max_length=NAME_LENGTH)
    filters: SnapshotFilters | None = None


def parse_snapshot_input(body: Any) -> SnapshotInput:
    """The API's body as a :class:`SnapshotInput`.

    Raises:
        Invalid: a field is missing, unknown or wrong; ``details`` names each.
    """
    try:
        return SnapshotInput.model_validate(body)
    except ValidationError as exc:
        details = validation_messages(exc)
        raise Invalid(details[0], details) from None


@dataclass(frozen=True)
class SnapshotSummary:
    """A snapshot as the list shows it (nothing decrypted)."""

    id: int
    name: str
    dashboard_id: int
    dashboard_name: str
    snapshot_type: str
    snapshot_date: dt.datetime  # naive UTC
    created_by: int | None
    taken_by: str  # who, in words: a person's name or email, "API key", "schedule"
    timezone: str  # the org's, for showing the instant

    @property
    def local_date(self) -> dt.datetime:
        """The instant in the org's zone."""
        return _aware(self.snapshot_date).astimezone(zone(self.timezone))

    def document(self) -> dict[str, Any]:
        """The list entry as the API answers it."""
        return {
            "id": self.id,
            "name": self.name,
            "dashboard_id": self.dashboard_id,
            "dashboard_name": self.dashboard_name,
            "snapshot_type": self.snapshot_type,
            "snapshot_date": _aware(self.snapshot_date).isoformat(),
            "snapshot_date_local": self.local_date.isoformat(),
            "created_by": self.created_by,
            "taken_by": self.taken_by,
        }


@dataclass(frozen=True)
class SnapshotView:
    """One snapshot, decrypted: its summary, its document and its report content
    (figures drawn from the stored answers)."""

    summary: SnapshotSummary
    document: dict[str, Any]
    content: ReportContent


@dataclass(frozen=True)
class Comparison:
    """Two snapshots side by side: every KPI with both values and the change from
    A to B, and the charts both drew, overlaid."""

    a: SnapshotView
    b: SnapshotView
    kpis: list[KpiChange]
    charts: list[ChartOverlay]

    def document(self) -> dict[str, Any]:
        return {
            "a": self.a.summary.document(),
            "b": self.b.summary.document(),
            "kpis": [
                {
                    "title": k.title,
                    "format": k.format,
                    "a": k.a,
                    "b": k.b,
                    "change": k.change,
                    "change_pct": k.change_pct,
                }
                for k in self.kpis
            ],
            "charts": [c.title for c in self.charts],
        }


# ------------------------------------------------------------------------- taking
def take_snapshot(
    context: CommandContext,
    cipher: SnapshotCipher,
    caller: Caller,
    dashboard_id: Any,
    *,
    filters: SnapshotFilters | FilterState | dict[str, Any] | None = None,
    name: str | None = None,
    snapshot_type: str = "manual",
    now: dt.datetime | None = None,
) -> SnapshotSummary:
    """Snapshot every widget of the dashboard the caller may see, with the filters
    and the instant; stored encrypted, audited as ``create``.

    Args:
        context: the database and query cache.
        cipher: encrypts the document (the newest snapshot key).
        caller: who asks; needs :attr:`Permission.EDIT`.
        dashboard_id: as the browser or API sent it.
        filters: the dashboard filters (a :class:`SnapshotFilters`, its dict, or
            the filter bar's :class:`FilterState`); default: each widget's period.
        name: default: "<dashboard> <org-local date and time>".
        snapshot_type: ``manual`` or ``scheduled``.
        now: the snapshot's instant (default: now).

    Raises:
        PermissionDenied: the caller may not take snapshots.
        DashboardNotFound: no such dashboard in the caller's org.
        Invalid: a filter or the name is wrong (named).
        ReportRenderError: a widget cannot be shown (named); nothing is stored.
    """
    require(caller, Permission.EDIT, "take snapshots")
    dashboard_pk = parse_row_id(dashboard_id)
    if dashboard_pk is None:
        raise DashboardNotFound(dashboard_id)
    return _take(
        context,
        cipher,
        caller.org_id,
        dashboard_pk,
        caller=caller,
        filters=filters,
        name=name,
        snapshot_type=snapshot_type,
        now=now,
    )


def take_scheduled_snapshot(
    context: CommandContext,
    cipher: SnapshotCipher,
    org_id: int,
    dashboard_id: int,
    *,
    name: str,
    now: dt.datetime,
    schedule_id: int | None = None,
) -> SnapshotSummary:
    """A report schedule's snapshot at its fire instant ``now``: the dashboard's
    shared widgets (a schedule is nobody's), each widget's own period, audited as
    ``create`` by nobody.

    Raises:
        DashboardNotFound, ReportRenderError: as :func:`take_snapshot`.
    """
    return _take(
        context,
        cipher,
        org_id,
        dashboard_id,
        caller=None,
        filters=None,
        name=name,
        snapshot_type="scheduled",
        now=now,
        schedule_id=schedule_id,
    )


def _take(
    context: CommandContext,
    cipher: SnapshotCipher,
    org_id: int,
    dashboard_id: int,
    *,
    caller: Caller | None,
    filters: SnapshotFilters | FilterState | dict[str, Any] | None,
    name: str | None,
    snapshot_type: str,
    now: dt.datetime | None,
    schedule_id: int | None = None,
) -> SnapshotSummary:
    if snapshot_type not in SNAPSHOT_TYPES:
        raise Invalid(
            f"snapshot_type: {snapshot_type!r} is not one of "
            + ", ".join(SNAPSHOT_TYPES)
        )
    instant = _aware(now or utcnow())
    org = context.data.org_context(org_id)
    state = _filter_state(filters)
    applied = _applied_filters(context, org_id, state)
    user_id = caller.user_id if caller else None
    with context.db.session(org_id) as session:
        dashboard = dashboard_store.get_dashboard(session, dashboard_id)
        if dashboard is None:
            raise DashboardNotFound(dashboard_id)
        dashboard_name = dashboard.name
        rows = dashboard_store.visible_widgets(session, dashboard.id, user_id)
        specs = [dashboard_store.widget_document(row) for row in rows]
    answers = [
        query_widget_answer(row, data=context.data, org=org, filters=applied)
        for row in rows
    ]
    period = report_period(applied, answers, org)
    sections = query_sections(
        data=context.data, org=org, filters=applied, period=period
    )
    local = instant.astimezone(zone(org.timezone))
    stamp = f" {local:%Y-%m-%d %H:%M}"
    title = ((name or "").strip() or dashboard_name + stamp)[:NAME_LENGTH]
    taken_by = {
        "user_id": user_id,
        "api_key_id": caller.api_key_id if caller else None,
        "schedule_id": schedule_id,
    }
    document = snapshot_document(
        snapshot_type=snapshot_type,
        snapshot_date=instant,
        name=title,
        org=org,
        dashboard_id=dashboard_id,
        dashboard_name=dashboard_name,
        answers=answers,
        specs=specs,
        sections=sections,
        filters=applied,
        date_range=state.date_range,
        period=period,
        taken_by=taken_by,
    )
    sealed = cipher.encrypt(encode_document(document))
    with context.db.session(org_id) as session:
        snapshot = DashboardSnapshot(
            org_id=org_id,
            dashboard_id=dashboard_id,
            snapshot_type=snapshot_type,
            snapshot_date=_naive_utc(instant),
            name=title,
            data=sealed,
            meta={"document_version": document["schema_version"], **taken_by},
            export_formats=list(EXPORT_FORMATS),
            created_by=user_id,
        )
        session.add(snapshot)
        session.flush()
        audit.record(
            session,
            "create",
            "snapshot",
            snapshot.id,
            caller=caller,
            details={
                "dashboard_id": dashboard_id,
                "name": title,
                "snapshot_type": snapshot_type,
                "filters": document["metadata"]["filters"],
                "widgets": len(answers),
                "schedule_id": schedule_id,
            },
        )
        return _summary(session, snapshot, org.timezone)


def _filter_state(
    filters: SnapshotFilters | FilterState | dict[str, Any] | None,
) -> FilterState:
    if filters is None:
        return FilterState()
    if isinstance(filters, FilterState):
        return filters
    if not isinstance(filters, SnapshotFilters):
        try:
            filters = SnapshotFilters.model_validate(filters)
        except ValidationError as exc:
            details = validation_messages(exc, field_prefix="filters.")
            raise Invalid(details[0], details) from None
    return filters.state()


def _applied_filters(
    context: CommandContext, org_id: int, state: FilterState
) -> Filters:
    """The :class:`Filters` the widgets are queried with; a range the bar does not
    offer, or a campaign not of the org, is refused by name."""
    if state.date_range not in FILTER_BAR_RANGES:
        raise Invalid(
            f"filters.date_range: {state.date_range!r} is not one of "
            f"{', '.join(FILTER_BAR_RANGES)}"
        )
    known = org_campaign_ids(context.data, org_id, state.campaign_ids)
    foreign = [i for i in state.campaign_ids if i not in known]
    if foreign:
        raise Invalid(
            f"filters.campaign_ids: {foreign[0]} is not one of your campaigns"
        )
    timezone = context.data.org_context(org_id).timezone
    try:
        return filters_for_state(state, timezone, known)
    except QueryError as exc:
        raise Invalid(str(exc), exc.details) from None


# ------------------------------------------------------------------------ reading
def list_snapshots(
    context: CommandContext,
    caller: Caller,
    dashboard_id: Any = None,
    limit: int = DEFAULT_LIST_LIMIT,
) -> list[SnapshotSummary]:
    """The caller's org's snapshots, newest first (one dashboard's when given).

    Raises:
        DashboardNotFound: ``dashboard_id`` names no dashboard of the caller's org.
    """
    with context.db.session(caller.org_id) as session:
        timezone = _org(session, caller.org_id).timezone
        query = (
            select(DashboardSnapshot)
            .order_by(
                DashboardSnapshot.snapshot_date.desc(), DashboardSnapshot.id.desc()
            )
            .limit(limit)
        )
        if dashboard_id is not None:
            dashboard_pk = parse_row_id(dashboard_id)
            if (
                dashboard_pk is None
                or dashboard_store.get_dashboard(session, dashboard_pk) is None
            ):
                raise DashboardNotFound(dashboard_id)
            query = query.where(DashboardSnapshot.dashboard_id == dashboard_pk)
        snapshots = list(session.scalars(query))
        return _summaries(session, snapshots, timezone)


def get_snapshot(
    context: CommandContext,
    cipher: SnapshotCipher,
    caller: Caller,
    snapshot_id: Any,
    *,
    figures: bool = True,
) -> SnapshotView:
    """One snapshot of the caller's org, decrypted, its charts drawn from the stored
    data; audited as a ``view``.

    Raises:
        SnapshotNotFound: no such snapshot in the caller's org.
        SnapshotDecryptError: no configured key opens it.
        ReportRenderError: a stored widget cannot be shown (named).
    """
    view = _open(context, cipher, caller, snapshot_id, figures=figures)
    _audit(context, caller, "view", view.summary)
    return view


def export_snapshot(
    context: CommandContext,
    cipher: SnapshotCipher,
    caller: Caller,
    snapshot_id: Any,
    fmt: str,
    *,
    paper: str = "A4",
) -> RenderedReport:
    """The snapshot as a file, audited as an ``export``: ``json`` (the stored
    document), ``pdf`` or ``xlsx`` (``excel``) rendered from the stored data by the
    report renderers.

    Raises:
        Invalid: an unknown format.
        SnapshotNotFound, SnapshotDecryptError, ReportRenderError: as
            :func:`get_snapshot`.
    """
    chosen = FORMAT_ALIASES.get(fmt, fmt)
    if chosen not in EXPORT_FORMATS:
        raise Invalid(f"format: {fmt!r} is not one of {', '.join(EXPORT_FORMATS)}")
    view = _open(context, cipher, caller, snapshot_id, figures=chosen == "pdf")
    stem = _file_stem(view.summary)
    if chosen == "json":
        data = json.dumps(view.document, indent=2, ensure_ascii=False).encode("utf-8")
        report = RenderedReport(f"{stem}.json", "application/json", data)
    else:
        rendered = render_report(view.content, chosen, paper=paper)
        extension = rendered.filename.rsplit(".", 1)[-1]
        report = RenderedReport(f"{stem}.{extension}", rendered.mimetype, rendered.data)
    _audit(
        context,
        caller,
        "export",
        view.summary,
        {"format": chosen, "file": report.filename, "bytes": len(report.data)},
    )
    return report


def compare_snapshots(
    context: CommandContext,
    cipher: SnapshotCipher,
    caller: Caller,
    a_id: Any,
    b_id: Any,
) -> Comparison:
    """Snapshots ``a`` and ``b`` side by side (each audited as a ``view``).

    Raises:
        SnapshotNotFound, SnapshotDecryptError, ReportRenderError: as
            :func:`get_snapshot`, for either.
    """
    a = _open(context, cipher, caller, a_id, figures=True)
    b = _open(context, cipher, caller, b_id, figures=True)
    for view, other in ((a, b), (b, a)):
        _audit(
            context, caller, "view", view.summary, {"compared_with": other.summary.id}
        )
    return Comparison(
        a,
        b,
        compare_kpis(a.content, b.content),
        compare_charts(a.content, b.content, "A", "B"),
    )


# ----------------------------------------------------------------------- deleting
def delete_snapshot(context: CommandContext, caller: Caller, snapshot_id: Any) -> None:
    """Delete a snapshot of the caller's org, audited.

    Raises:
        PermissionDenied: the caller may not delete snapshots.
        SnapshotNotFound: no such snapshot in the caller's org.
    """
    require(caller, Permission.EDIT, "delete snapshots")
    with context.db.session(caller.org_id) as session:
        snapshot = _snapshot(session, snapshot_id)
        details = {
            "name": snapshot.name,
            "dashboard_id": snapshot.dashboard_id,
            "snapshot_type": snapshot.snapshot_type,
            "snapshot_date": _aware(snapshot.snapshot_date).isoformat(),
        }
        session.delete(snapshot)
        audit.record(
            session, "delete", "snapshot", snapshot.id, caller=caller, details=details
        )


# ---------------------------------------------------------------------- retention
class SnapshotRetention(BaseModel):
    """How many days an org keeps its snapshots; ``None`` keeps them forever."""

    model_config = ConfigDict(extra="forbid")

    days: StrictInt | None = Field(..., ge=1, le=RETENTION_CEILING_DAYS)


def get_snapshot_retention(context: CommandContext, caller: Caller) -> dict[str, Any]:
    """The org's snapshot retention: ``{"days": N}`` (``None``: forever).

    Raises:
        PermissionDenied: the caller is not an admin.
    """
    require(caller, Permission.ADMINISTER, "see the snapshot retention")
    with context.db.session(caller.org_id) as session:
        return {"days": _org(session, caller.org_id).snapshot_retention_days}


def set_snapshot_retention(
    context: CommandContext, caller: Caller, body: Any
) -> dict[str, Any]:
    """Change the org's snapshot retention (admins, the command line), audited with
    the values before and after; the daily ``snapshot_retention`` job applies it.

    Args:
        body: ``{"days": 90}``, or ``{"days": null}`` to keep snapshots forever.

    Raises:
        PermissionDenied: the caller is not an admin.
        Invalid: ``days`` is not a whole number from 1 to 3650, or null.
    """
    require(caller, Permission.ADMINISTER, "change the snapshot retention")
    try:
        change = SnapshotRetention.model_validate(body)
    except ValidationError as exc:
        details = validation_messages(exc)
        raise Invalid(details[0], details) from None
    with context.db.session(caller.org_id) as session:
        org = _org(session, caller.org_id)
        before = org.snapshot_retention_days
        org.snapshot_retention_days = change.days
        audit.record(
            session,
            "update",
            "snapshot_retention",
            org.id,
            caller=caller,
            details={"before": {"days": before}, "after": {"days": change.days}},
        )
    return {"days": change.days}


def apply_snapshot_retention(
    context: CommandContext, org_id: int, now: dt.datetime | None = None
) -> dict[str, Any]:
    """Delete the org's snapshots taken more than its ``snapshot_retention_days``
    ago (the daily ``snapshot_retention`` job), audited as a ``purge`` in the same
    transaction.

    Returns:
        ``{"removed": N, "cutoff": ISO instant, "retention_days": N}``, or
        ``{"skipped": reason}`` when the org keeps its snapshots forever.
    """
    with context.db.session(org_id) as session:
        days = _org(session, org_id).snapshot_retention_days
        if days is None:
            return {"skipped": "the org keeps its snapshots forever", "removed": 0}
        cutoff = _naive_utc(_aware(now or utcnow())) - dt.timedelta(days=days)
        removed = session.execute(
            delete(DashboardSnapshot)
            .where(DashboardSnapshot.snapshot_date < cutoff)
            .execution_options(synchronize_session=False)
        )
        summary = {
            "removed": int(getattr(removed, "rowcount", 0) or 0),
            "cutoff": _aware(cutoff).isoformat(),
            "retention_days": days,
        }
        audit.record(session, "purge", "snapshot_retention", org_id, details=summary)
    return summary


def rotate_snapshot_keys(
    context: CommandContext, cipher: SnapshotCipher, org_id: int
) -> int:
    """Re-encrypt every snapshot of the org with the newest key (``pulse snapshots
    rotate-keys``), in one transaction; how many were re-encrypted.

    Raises:
        SnapshotDecryptError: a snapshot opens with none of the keys (nothing of
            the org is changed then).
    """
    with context.db.session(org_id) as session:
        snapshots = list(session.scalars(select(DashboardSnapshot)))
        for snapshot in snapshots:
            snapshot.data = cipher.rotate(snapshot.data)
        if snapshots:
            audit.record(
                session,
                "rotate_keys",
                "snapshot",
                None,
                details={"snapshots": len(snapshots)},
            )
        return len(snapshots)


# ------------------------------------------------------------------------ helpers
def _open(
    context: CommandContext,
    cipher: SnapshotCipher,
    caller: Caller,
    snapshot_id: Any,
    *,
    figures: bool,
) -> SnapshotView:
    with context.db.session(caller.org_id) as session:
        timezone = _org(session, caller.org_id).timezone
        snapshot = _snapshot(session, snapshot_id)
        summary = _summaries(session, [snapshot], timezone)[0]
        sealed = snapshot.data
    document = decode_document(cipher.decrypt(sealed))
    return SnapshotView(summary, document, snapshot_content(document, figures=figures))


def _audit(
    context: CommandContext,
    caller: Caller,
    action: str,
    summary: SnapshotSummary,
    details: dict[str, Any] | None = None,
) -> None:
    with context.db.session(caller.org_id) as session:
        audit.record(
            session,
            action,
            "snapshot",
            summary.id,
            caller=caller,
            details={"dashboard_id": summary.dashboard_id, **(details or {})},
        )


def _snapshot(session: Session, snapshot_id: Any) -> DashboardSnapshot:
    pk = parse_row_id(snapshot_id)
    snapshot = (
        session.scalars(
            select(DashboardSnapshot).where(DashboardSnapshot.id == pk)
        ).one_or_none()
        if pk is not None
        else None
    )
    if snapshot is None:
        raise SnapshotNotFound(snapshot_id)
    return snapshot


def _summary(
    session: Session, snapshot: DashboardSnapshot, timezone: str
) -> SnapshotSummary:
    return _summaries(session, [snapshot], timezone)[0]


def _summaries(
    session: Session, snapshots: list[DashboardSnapshot], timezone: str
) -> list[SnapshotSummary]:
    dashboard_ids = {s.dashboard_id for s in snapshots}
    user_ids = {s.created_by for s in snapshots if s.created_by}
    dashboards = dict(
        session.execute(
            select(Dashboard.id, Dashboard.name).where(Dashboard.id.in_(dashboard_ids))
        ).all()
    )
    people = {
        user.id: user.full_name or user.email
        for user in session.scalars(select(User).where(User.id.in_(user_ids)))
    }
    return [
        SnapshotSummary(
            id=s.id,
            name=s.name,
            dashboard_id=s.dashboard_id,
            dashboard_name=dashboards.get(s.dashboard_id, ""),
            snapshot_type=s.snapshot_type,
            snapshot_date=s.snapshot_date,
            created_by=s.created_by,
            taken_by=_taken_by(s, people),
            timezone=timezone,
        )
        for s in snapshots
    ]


def _taken_by(snapshot: DashboardSnapshot, people: dict[int, str]) -> str:
    if snapshot.created_by:
        return people.get(snapshot.created_by, f"user {snapshot.created_by}")
    meta = snapshot.meta or {}
    if meta.get("schedule_id"):
        return "schedule"
    if meta.get("api_key_id"):
        return "API key"
    return "—"


def _file_stem(summary: SnapshotSummary) -> str:
    words = re.sub(r"[^\w\s-]+", "", summary.dashboard_name, flags=re.ASCII).split()
    name = "-".join(words) or "dashboard"
    return f"{name}_snapshot-{summary.id}_{summary.local_date:%Y-%m-%d}"


def _org(session: Session, org_id: int) -> Org:
    return session.scalars(select(Org).where(Org.id == org_id)).one()


def _aware(instant: dt.datetime) -> dt.datetime:
    return instant if instant.tzinfo else instant.replace(tzinfo=dt.UTC)


def _naive_utc(instant: dt.datetime) -> dt.datetime:
    return _aware(instant).astimezone(dt.UTC).replace(tzinfo=None)
