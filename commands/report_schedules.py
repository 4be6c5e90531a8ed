"""Scheduled reports: the schedules people manage, and the deliveries the scheduler
makes, each exactly once.

People (the API's ``/api/v1/report-schedules``, the Reports page) create, edit, pause
and delete schedules (editors and admins), preview a schedule's report and send it now;
everyone of the org sees the schedules and their delivery log. A schedule is validated
as a whole before anything is written: its ``frequency`` and ``schedule_config``
(:mod:`reports.schedules`), its format, and every recipient, which must be an address
within the org's allowed domains (``orgs.allowed_recipient_domains``). Each message
names its field or address.

A schedule of format ``snapshot`` mails nothing and has no recipients: each of its
deliveries takes a dashboard snapshot at the fire instant
(:func:`commands.snapshots.take_scheduled_snapshot`, type ``scheduled``) and records
its id in the row (``snapshot_id``), with the same claim, retries and grace period.

The scheduler calls :func:`run_due_reports` for each org every minute:

1. **Claim.** Every active schedule whose ``next_run_at`` has come gets one
   ``report_deliveries`` row per fire instant, inserted with ``ON CONFLICT DO
   NOTHING`` on the delivery key ``(schedule_id, scheduled_for)``, and its
   ``next_run_at`` moves to the next instant, in one transaction. Two scheduler
   processes that see the same schedule due insert the same key: one row results,
   so one message. A fire instant found more than ``PULSE_REPORT_GRACE_MINUTES``
   (default 120) late, after the scheduler was down, is recorded as ``missed``
   rather than sent late; one found within the grace period is sent once.
2. **Deliver.** Each ``pending`` row (and each ``retrying`` one whose wait is over) is
   taken by one conditional UPDATE (``status -> running, attempts + 1``): the process
   whose UPDATE changed the row sends it, any other skips it. The report is rendered
   (:func:`commands.report_files.render_dashboard_report`) and mailed (``SMTP_URL``) or
   written to the outbox. A failure of either is retried after
   ``PULSE_REPORT_RETRY_SECONDS`` (60), then 4 times longer each time, up to
   ``PULSE_REPORT_MAX_ATTEMPTS`` (3) attempts; then the row is ``failed`` with the
   error. A row still ``running`` after ``PULSE_REPORT_LEASE_SECONDS`` (900) belonged to
   a process that died mid-send; another process takes it over. (The one window this
   cannot close: a process killed after the mail server accepted a message and before
   its row was marked ``sent`` sends it again after the lease. The message's
   ``Message-ID`` is the delivery key, so the copies are recognisably one.)
"""

from __future__ import annotations

import datetime as dt
import logging
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, ValidationError
from sqlalchemy import and_, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from accounts import audit
from accounts.permissions import Caller, Permission, require
from commands.context import CommandContext
from commands.dashboards import DashboardNotFound
from commands.errors import Invalid, NotFound
from commands.report_files import preview_report, render_dashboard_report
from commands.snapshots import take_scheduled_snapshot
from core.crypto import SnapshotCipher
from core.errors import validation_messages
from core.filters import Filters, QueryError
from core.models import Dashboard, Org, ReportDelivery, ReportSchedule, utcnow
from core.settings import Settings
from dashboards import store as dashboard_store
from dashboards.render import query_widget, spec_from_row
from dashboards.schema import TemplateError
from reports.charts import chart_browser
from reports.errors import ReportRenderError
from reports.mail import (
    Headline,
    MailError,
    address_problem,
    build_message,
    send_smtp,
    write_outbox,
)
from reports.render import RenderedReport
from reports.schedules import (
    ScheduleConfig,
    ScheduleError,
    describe,
    next_run,
    next_runs,
    parse_schedule,
)
from widgets._formatting import format_change, format_value

log = logging.getLogger(__name__)

REPORT_FORMATS = ("pdf", "xlsx", "csv", "snapshot")
# A schedule of this format mails nothing: at each fire instant it takes a dashboard
# snapshot (commands.snapshots) and its delivery row records which.
SNAPSHOT_FORMAT = "snapshot"
MAX_RECIPIENTS = 50
# How many fire instants one claim walks through for a schedule (a scheduler down
# for months must not write years of "missed" rows in one transaction; the rest are
# recorded at the next minutes' runs).
MAX_CLAIMS_PER_RUN = 100
# Delivery statuses: still to do, and done.
OPEN_STATUSES = ("pending", "running", "retrying")
DONE_STATUSES = ("sent", "failed", "missed")


class ScheduleNotFound(NotFound):
    """No such report schedule in the caller's org (other orgs' ids included)."""

    kind = "report schedule"

    def __init__(self, schedule_id: int) -> None:
        super().__init__(f"no report schedule {schedule_id} in your org")


class ScheduleInput(BaseModel):
    """A report schedule as a person writes it (the API's body, the page's form)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    dashboard_id: StrictInt = Field(ge=1)
    frequency: str
    schedule_config: dict[str, Any]
    # At least one for the mailed formats, none for "snapshot" (checked as a whole).
    recipients: list[str] = Field(default_factory=list, max_length=MAX_RECIPIENTS)
    format: Literal["pdf", "xlsx", "csv", "snapshot"] = "pdf"
    is_active: bool = True


@dataclass(frozen=True)
class ScheduleView:
    """A schedule with what its pages show: the dashboard's name, the schedule in
    words and its next five run instants in its own time zone."""

    schedule: ReportSchedule
    dashboard_name: str
    description: str
    next_runs: list[dt.datetime]

    def document(self) -> dict[str, Any]:
        """The schedule as the API answers it (instants in ISO 8601 with the
        schedule's offset)."""
        item = self.schedule
        return {
            "id": item.id,
            "name": item.name,
            "dashboard_id": item.dashboard_id,
            "dashboard_name": self.dashboard_name,
            "frequency": item.frequency,
            "schedule_config": item.schedule_config,
            "recipients": item.recipients,
            "format": item.format,
            "is_active": item.is_active,
            "description": self.description,
            "next_runs": [instant.isoformat() for instant in self.next_runs],
            "last_run_at": _iso_utc(item.last_run_at),
            "created_at": _iso_utc(item.created_at),
        }


@dataclass(frozen=True)
class DeliveryView:
    """One row of the delivery log."""

    delivery: ReportDelivery
    schedule_name: str

    def document(self) -> dict[str, Any]:
        item = self.delivery
        return {
            "id": item.id,
            "schedule_id": item.schedule_id,
            "schedule_name": self.schedule_name,
            "trigger": item.trigger,
            "scheduled_for": _iso_utc(item.scheduled_for),
            "started_at": _iso_utc(item.started_at),
            "finished_at": _iso_utc(item.finished_at),
            "status": item.status,
            "recipients": item.recipients,
            "format": item.format,
            "attempts": item.attempts,
            "next_attempt_at": _iso_utc(item.next_attempt_at),
            "error": item.error,
            "message_id": item.message_id,
            "outbox_file": item.outbox_file,
            "snapshot_id": item.snapshot_id,
        }


def _iso_utc(value: dt.datetime | None) -> str | None:
    return value.replace(tzinfo=dt.UTC).isoformat() if value else None


# ------------------------------------------------------------------------- reading
def list_schedules(
    context: CommandContext, caller: Caller, now: dt.datetime | None = None
) -> list[ScheduleView]:
    """The caller's org's report schedules, by name."""
    with context.db.session(caller.org_id) as session:
        schedules = session.scalars(
            select(ReportSchedule).order_by(ReportSchedule.name, ReportSchedule.id)
        ).all()
        return [_view(session, item, now) for item in schedules]


def get_schedule(
    context: CommandContext, caller: Caller, schedule_id: int
) -> ScheduleView:
    """One schedule of the caller's org.

    Raises:
        ScheduleNotFound: no such schedule in the caller's org.
    """
    with context.db.session(caller.org_id) as session:
        return _view(session, _schedule(session, schedule_id))


def list_deliveries(
    context: CommandContext,
    caller: Caller,
    schedule_id: int | None = None,
    limit: int = 100,
) -> list[DeliveryView]:
    """The delivery log, newest fire instant first: every schedule's, or one's.

    Raises:
        ScheduleNotFound: ``schedule_id`` names no schedule of the caller's org.
    """
    with context.db.session(caller.org_id) as session:
        query = (
            select(ReportDelivery, ReportSchedule.name)
            .join(ReportSchedule, ReportSchedule.id == ReportDelivery.schedule_id)
            .order_by(ReportDelivery.scheduled_for.desc(), ReportDelivery.id.desc())
            .limit(limit)
        )
        if schedule_id is not None:
            _schedule(session, schedule_id)
            query = query.where(ReportDelivery.schedule_id == schedule_id)
        return [DeliveryView(row, name) for row, name in session.execute(query)]


# ------------------------------------------------------------------------ changing
def create_schedule(
    context: CommandContext, caller: Caller, body: Any, now: dt.datetime | None = None
) -> ScheduleView:
    """Create a report schedule of the caller's org, audited.

    Args:
        context: the database and query cache.
        caller: who asks; needs :attr:`Permission.EDIT`.
        body: the schedule (:class:`ScheduleInput`'s fields).
        now: the instant its first run comes after (default: now).

    Raises:
        PermissionDenied: the caller may not manage report schedules.
        Invalid: a field, the schedule or a recipient is wrong; ``details`` names each.
        DashboardNotFound: the dashboard is not in the caller's org.
    """
    require(caller, Permission.EDIT, "manage report schedules")
    with context.db.session(caller.org_id) as session:
        data, config = _validated(session, caller.org_id, body)
        schedule = ReportSchedule(
            org_id=caller.org_id, created_by=caller.user_id, **data.model_dump()
        )
        schedule.next_run_at = _next_run_at(schedule, config, now)
        session.add(schedule)
        session.flush()
        audit.record(
            session,
            "create",
            "report_schedule",
            schedule.id,
            caller=caller,
            details=data.model_dump(),
        )
        return _view(session, schedule, now)


def update_schedule(
    context: CommandContext,
    caller: Caller,
    schedule_id: int,
    body: Any,
    now: dt.datetime | None = None,
) -> ScheduleView:
    """Replace a schedule's settings (all of them, as :func:`create_schedule`
    takes them), audited with the values before and after. Its next run is worked
    out again from now: a changed time never fires for instants already past.

    Raises:
        PermissionDenied, Invalid, DashboardNotFound: as :func:`create_schedule`.
        ScheduleNotFound: no such schedule in the caller's org.
    """
    require(caller, Permission.EDIT, "manage report schedules")
    with context.db.session(caller.org_id) as session:
        schedule = _schedule(session, schedule_id)
        data, config = _validated(session, caller.org_id, body)
        before = _settings_of(schedule)
        for key, value in data.model_dump().items():
            setattr(schedule, key, value)
        schedule.next_run_at = _next_run_at(schedule, config, now)
        audit.record(
            session,
            "update",
            "report_schedule",
            schedule.id,
            caller=caller,
            details={"before": before, "after": data.model_dump()},
        )
        return _view(session, schedule, now)


def pause_schedule(
    context: CommandContext,
    caller: Caller,
    schedule_id: int,
    paused: bool = True,
    now: dt.datetime | None = None,
) -> ScheduleView:
    """Pause a schedule (no run until it is resumed) or resume it, audited. A
    resumed schedule runs next at its first instant after now: the runs it would have
    made while paused are not sent, and not recorded as missed either.

    Raises:
        PermissionDenied: the caller may not manage report schedules.
        ScheduleNotFound: no such schedule in the caller's org.
    """
    require(caller, Permission.EDIT, "manage report schedules")
    with context.db.session(caller.org_id) as session:
        schedule = _schedule(session, schedule_id)
        schedule.is_active = not paused
        config = parse_schedule(schedule.frequency, schedule.schedule_config)
        schedule.next_run_at = _next_run_at(schedule, config, now)
        action = "pause" if paused else "resume"
        audit.record(session, action, "report_schedule", schedule.id, caller=caller)
        return _view(session, schedule, now)


def delete_schedule(context: CommandContext, caller: Caller, schedule_id: int) -> None:
    """Delete a schedule and its delivery log, audited.

    Raises:
        PermissionDenied: the caller may not manage report schedules.
        ScheduleNotFound: no such schedule in the caller's org.
    """
    require(caller, Permission.EDIT, "manage report schedules")
    with context.db.session(caller.org_id) as session:
        schedule = _schedule(session, schedule_id)
        details = _settings_of(schedule)
        session.delete(schedule)
        audit.record(
            session,
            "delete",
            "report_schedule",
            schedule_id,
            caller=caller,
            details=details,
        )


def preview_schedule(
    context: CommandContext, caller: Caller, schedule_id: int
) -> RenderedReport:
    """The schedule's report, rendered now as its recipients would get it (format
    and time zone), for the caller to download; audited as an export. Anyone of the
    org who may see the dashboard may preview.

    Raises:
        ScheduleNotFound: no such schedule in the caller's org.
        ReportRenderError: the report could not be rendered (the reason named).
    """
    with context.db.session(caller.org_id) as session:
        schedule = _schedule(session, schedule_id)
        dashboard_id, fmt = schedule.dashboard_id, schedule.format
        zone = schedule.schedule_config.get("timezone")
    if fmt == SNAPSHOT_FORMAT:
        raise Invalid(
            "a snapshot schedule has no report to preview: Send now takes a "
            "snapshot, shown on the Snapshots page"
        )
    return preview_report(context, caller, dashboard_id, fmt, recipient_timezone=zone)


def send_now(
    context: CommandContext,
    settings: Settings,
    caller: Caller,
    schedule_id: int,
) -> DeliveryView:
    """Send the schedule's report to its recipients now (a paused schedule too),
    audited. The delivery is logged like a scheduled one (``trigger`` ``manual``); if
    the attempt fails the row is ``retrying`` and the scheduler makes the next
    attempts.

    Raises:
        PermissionDenied: the caller may not manage report schedules.
        ScheduleNotFound: no such schedule in the caller's org.
    """
    require(caller, Permission.EDIT, "send reports")
    with context.db.session(caller.org_id) as session:
        schedule = _schedule(session, schedule_id)
        delivery = ReportDelivery(
            org_id=caller.org_id,
            schedule_id=schedule.id,
            trigger="manual",
            scheduled_for=utcnow(),
            status="pending",
            recipients=list(schedule.recipients),
            format=schedule.format,
            attempts=0,
        )
        session.add(delivery)
        session.flush()
        delivery_id = delivery.id
        audit.record(
            session,
            "send",
            "report_schedule",
            schedule.id,
            caller=caller,
            details={"delivery_id": delivery_id},
        )
    deliver(context, settings, caller.org_id, delivery_id)
    with context.db.session(caller.org_id) as session:
        row = session.get(ReportDelivery, delivery_id)
        assert row is not None  # written above, in this org
        return DeliveryView(row, schedule.name)


def recipient_domains(context: CommandContext, caller: Caller) -> list[str]:
    """The org's allowed recipient domains."""
    with context.db.session(caller.org_id) as session:
        return list(_org(session, caller.org_id).allowed_recipient_domains or [])


def set_recipient_domains(
    context: CommandContext, caller: Caller, domains: Any
) -> list[str]:
    """Replace the org's allowed recipient domains (admins), audited. Existing
    schedules keep their recipients; a recipient no longer allowed makes its
    schedule's next delivery fail with the address named.

    Raises:
        PermissionDenied: the caller is not an admin.
        Invalid: a value is not a domain name (named).
    """
    require(caller, Permission.ADMINISTER, "change the allowed recipient domains")
    if not isinstance(domains, list) or not all(isinstance(d, str) for d in domains):
        raise Invalid("domains: expected a list of domain names")
    cleaned = sorted({d.strip().lower().lstrip("@").rstrip(".") for d in domains})
    bad = [d for d in cleaned if "." not in d or " " in d or "@" in d or not d]
    if bad:
        raise Invalid(
            f"domains: {bad[0]!r} is not a domain name",
            [f"domains: {d!r} is not a domain name" for d in bad],
        )
    with context.db.session(caller.org_id) as session:
        org = _org(session, caller.org_id)
        before = list(org.allowed_recipient_domains or [])
        org.allowed_recipient_domains = cleaned
        audit.record(
            session,
            "update",
            "recipient_domains",
            org.id,
            caller=caller,
            details={"before": before, "after": cleaned},
        )
    return cleaned


# ----------------------------------------------------------------- the scheduler
def run_due_reports(
    context: CommandContext,
    settings: Settings,
    org_id: int,
    now: dt.datetime | None = None,
) -> dict[str, int]:
    """Claim the org's due fire instants and deliver what is ready (see the module
    docstring). Safe to run in several processes at once.

    Args:
        now: naive UTC (default: now); which instants are due, and which are missed.

    Returns:
        Counts: ``claimed`` (fire instants claimed by this call), ``missed``, and the
        outcome of each delivery this call attempted (``sent``, ``retrying``,
        ``failed``).
    """
    now = now or utcnow()
    summary = {"claimed": 0, "missed": 0, "sent": 0, "retrying": 0, "failed": 0}
    claimed, missed = claim_due(context, settings, org_id, now)
    summary["claimed"], summary["missed"] = claimed, missed
    ready = ready_deliveries(context, settings, org_id, now)
    # One Chromium stays warm for every PDF of the batch (each would start its own
    # otherwise, ~5 s); a batch without a PDF starts none.
    with chart_browser() if _any_pdf(context, org_id, ready) else nullcontext():
        for delivery_id in ready:
            outcome = deliver(context, settings, org_id, delivery_id)
            if outcome is not None:
                summary[outcome] += 1
    return summary


def _any_pdf(context: CommandContext, org_id: int, delivery_ids: list[int]) -> bool:
    if not delivery_ids:
        return False
    with context.db.session(org_id) as session:
        formats = session.scalars(
            select(ReportDelivery.format).where(ReportDelivery.id.in_(delivery_ids))
        )
        return "pdf" in set(formats)


def claim_due(
    context: CommandContext, settings: Settings, org_id: int, now: dt.datetime
) -> tuple[int, int]:
    """Insert one delivery row per due fire instant of the org's active schedules
    and move each schedule's ``next_run_at`` on, in one transaction.

    Returns:
        ``(claimed, missed)``: rows this call inserted, and how many of them are
        ``missed`` (past the grace period).
    """
    grace = dt.timedelta(minutes=settings.report_grace_minutes)
    claimed = missed = 0
    with context.db.session(org_id) as session:
        query = (
            select(ReportSchedule)
            .where(
                ReportSchedule.is_active.is_(True),
                ReportSchedule.next_run_at <= now,
            )
            .order_by(ReportSchedule.next_run_at, ReportSchedule.id)
        )
        if context.db.dialect == "postgresql":
            # Another scheduler claiming the same schedule: skip it rather than wait
            # (the delivery key would refuse its rows anyway).
            query = query.with_for_update(skip_locked=True)
        for schedule in session.scalars(query):
            try:
                config = parse_schedule(schedule.frequency, schedule.schedule_config)
            except ScheduleError as exc:
                # Written before validation existed or by hand: never run it silently.
                log.error("report schedule %s is invalid: %s", schedule.id, exc)
                schedule.next_run_at = None
                continue
            fire = schedule.next_run_at
            for _ in range(MAX_CLAIMS_PER_RUN):
                if fire is None or fire > now:
                    break
                late = now - fire > grace
                if _insert_delivery(session, schedule, fire, late, now, grace):
                    claimed += 1
                    missed += late
                fire = _naive_utc(next_run(schedule.frequency, config, fire))
            schedule.next_run_at = fire
    return claimed, missed


def _insert_delivery(
    session: Session,
    schedule: ReportSchedule,
    fire: dt.datetime,
    late: bool,
    now: dt.datetime,
    grace: dt.timedelta,
) -> bool:
    """Insert the delivery row of ``(schedule, fire)`` unless it exists; whether
    this call inserted it."""
    values: dict[str, Any] = {
        "org_id": schedule.org_id,
        "schedule_id": schedule.id,
        "trigger": "schedule",
        "scheduled_for": fire,
        "status": "missed" if late else "pending",
        "recipients": list(schedule.recipients),
        "format": schedule.format,
        "attempts": 0,
        "created_at": now,
    }
    if late:
        minutes = int(grace.total_seconds() // 60)
        values["finished_at"] = now
        values["error"] = (
            f"missed: the scheduler was not running at {fire:%Y-%m-%d %H:%M} UTC and "
            f"found it {_duration(now - fire)} late, past the grace period of "
            f"{minutes} minutes"
        )
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = (
        insert(ReportDelivery)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["schedule_id", "scheduled_for"])
    )
    result = session.execute(statement)
    return bool(getattr(result, "rowcount", 0))


def ready_deliveries(
    context: CommandContext, settings: Settings, org_id: int, now: dt.datetime
) -> list[int]:
    """Ids of the org's deliveries to attempt now: pending, retrying whose wait is
    over, and running past the lease (their process died), oldest first."""
    lease_expired = now - dt.timedelta(seconds=settings.report_lease_seconds)
    with context.db.session(org_id) as session:
        return list(
            session.scalars(
                select(ReportDelivery.id)
                .where(_ready(now, lease_expired))
                .order_by(ReportDelivery.scheduled_for, ReportDelivery.id)
            )
        )


def _ready(now: dt.datetime, lease_expired: dt.datetime):
    return or_(
        ReportDelivery.status == "pending",
        and_(
            ReportDelivery.status == "retrying",
            or_(
                ReportDelivery.next_attempt_at.is_(None),
                ReportDelivery.next_attempt_at <= now,
            ),
        ),
        and_(
            ReportDelivery.status == "running",
            ReportDelivery.started_at < lease_expired,
        ),
    )


def deliver(
    context: CommandContext, settings: Settings, org_id: int, delivery_id: int
) -> str | None:
    """Make one attempt at a delivery, if this process wins it.

    Returns:
        ``sent``, ``retrying`` or ``failed``; ``None`` when another process had taken
        the delivery (or it is done).
    """
    now = utcnow()
    lease_expired = now - dt.timedelta(seconds=settings.report_lease_seconds)
    with context.db.session(org_id) as session:
        won = session.execute(
            update(ReportDelivery)
            .where(ReportDelivery.id == delivery_id, _ready(now, lease_expired))
            .values(
                status="running",
                started_at=now,
                attempts=ReportDelivery.attempts + 1,
                next_attempt_at=None,
            )
            .execution_options(synchronize_session=False)
        )
        if not getattr(won, "rowcount", 0):
            return None
    outcome: dict[str, Any]
    try:
        outcome = _send(context, settings, org_id, delivery_id)
        status = "sent"
    except (
        ReportRenderError,
        MailError,
        DashboardNotFound,
        QueryError,
        ScheduleError,
        ScheduleNotFound,
        RecipientRefused,
    ) as exc:
        outcome = {"error": f"{type(exc).__name__}: {exc}"}
        status = "failed" if isinstance(exc, RecipientRefused) else "retrying"
    except Exception as exc:
        # A bug must not leave the row running until its lease ends: record it.
        log.exception("report delivery %s failed", delivery_id)
        outcome = {"error": f"{type(exc).__name__}: {exc}"}
        status = "retrying"
    with context.db.session(org_id) as session:
        row = session.get(ReportDelivery, delivery_id)
        if row is None:  # its schedule was deleted meanwhile, with its log
            return None
        if status == "retrying" and row.attempts >= settings.report_max_attempts:
            status = "failed"
            outcome["error"] = (
                f"{outcome['error']} (gave up after {row.attempts} attempts)"
            )
        row.status = status
        row.error = outcome.get("error")
        row.message_id = outcome.get("message_id", row.message_id)
        row.outbox_file = outcome.get("outbox_file", row.outbox_file)
        row.snapshot_id = outcome.get("snapshot_id", row.snapshot_id)
        if status == "retrying":
            wait = settings.report_retry_seconds * 4 ** (row.attempts - 1)
            row.next_attempt_at = utcnow() + dt.timedelta(seconds=wait)
            log.warning(
                "report delivery %s: attempt %s failed (%s); next at %s",
                delivery_id,
                row.attempts,
                row.error,
                row.next_attempt_at,
            )
        else:
            row.finished_at = utcnow()
        if status == "sent":
            schedule = session.get(ReportSchedule, row.schedule_id)
            if schedule is not None:
                schedule.last_run_at = row.finished_at
    return status


class RecipientRefused(ValueError):
    """A recipient is no longer within the org's allowed domains: failing again
    would not help, so the delivery fails at once."""


def _send(
    context: CommandContext, settings: Settings, org_id: int, delivery_id: int
) -> dict[str, Any]:
    """Render and send one delivery; what to record of it (message id or file)."""
    with context.db.session(org_id) as session:
        delivery = session.get(ReportDelivery, delivery_id)
        if delivery is None:  # its schedule was deleted meanwhile, with its log
            raise ScheduleNotFound(0)
        schedule = _schedule(session, delivery.schedule_id)
        org = _org(session, org_id)
        dashboard = session.get(Dashboard, schedule.dashboard_id)
        config = parse_schedule(schedule.frequency, schedule.schedule_config)
        recipients = list(delivery.recipients)
        problems = [
            problem
            for address in recipients
            if (problem := address_problem(address, org.allowed_recipient_domains))
        ]
        if problems:
            raise RecipientRefused("; ".join(problems))
        fmt, scheduled_for = delivery.format, delivery.scheduled_for
        names = (org.slug, org.name, schedule.name, dashboard.name if dashboard else "")
        dashboard_id, schedule_id = schedule.dashboard_id, schedule.id
    slug, org_name, schedule_name, dashboard_name = names
    local = scheduled_for.replace(tzinfo=dt.UTC).astimezone(config.zone)
    if fmt == SNAPSHOT_FORMAT:
        snapshot = take_scheduled_snapshot(
            context,
            SnapshotCipher(settings.snapshot_key_list()),
            org_id,
            dashboard_id,
            name=f"{schedule_name} {local:%Y-%m-%d %H:%M}",
            now=local,
            schedule_id=schedule_id,
        )
        return {"snapshot_id": snapshot.id, "error": None}
    report = render_dashboard_report(
        context,
        org_id,
        dashboard_id,
        fmt,
        recipient_timezone=config.timezone,
        now=local,
    )
    key = f"{org_id}.{schedule_id}.{scheduled_for:%Y%m%dT%H%M%S%f}"
    message = build_message(
        sender=settings.smtp_from,
        recipients=recipients,
        subject=f"{schedule_name}: {dashboard_name}, {local:%d %b %Y}",
        intro=(
            f"{dashboard_name} for {org_name}, as of {local:%d %b %Y %H:%M} "
            f"{config.timezone}."
        ),
        headlines=headline_kpis(context, org_id, dashboard_id),
        report=report,
        message_id=f"<report.{key}@pulse>",
    )
    if settings.smtp_url:
        send_smtp(message, settings.smtp_url, settings.smtp_timeout_seconds)
        return {"message_id": message["Message-ID"], "error": None}
    path = write_outbox(message, settings.outbox_dir / slug, f"report-{key}")
    return {"message_id": message["Message-ID"], "outbox_file": str(path)}


def headline_kpis(
    context: CommandContext, org_id: int, dashboard_id: int
) -> list[Headline]:
    """The dashboard's KPI cards as an email's summary lines (value, and change vs
    the previous period), through the same cached queries as the screen. A card whose
    data cannot be read is left out: the attached report says why."""
    with context.db.session(org_id) as session:
        widgets = [
            w
            for w in dashboard_store.visible_widgets(session, dashboard_id, None)
            if w.widget_type == "kpi_card"
        ]
    currency = context.data.org_context(org_id).currency
    lines = []
    for widget in widgets:
        try:
            spec = spec_from_row(widget)
            data = query_widget(
                spec, data=context.data, org_id=org_id, filters=Filters()
            )
        except (TemplateError, QueryError):
            continue
        config = getattr(spec, "config", None)  # a KPI card's: its number format
        fmt = getattr(config, "format", None) or data.get("format", "number")
        change = data.get("change_pct") if "previous" in data else None
        lines.append(
            Headline(
                widget.title,
                format_value(data.get("value"), fmt, data.get("currency", currency)),
                f"{format_change(change)} vs previous period"
                if change is not None
                else None,
            )
        )
    return lines


# ------------------------------------------------------------------------- helpers
def _validated(
    session: Session, org_id: int, body: Any
) -> tuple[ScheduleInput, ScheduleConfig]:
    try:
        data = ScheduleInput.model_validate(body)
    except ValidationError as exc:
        details = validation_messages(exc)
        raise Invalid(details[0], details) from None
    problems = []
    try:
        config = parse_schedule(data.frequency, data.schedule_config)
    except ScheduleError as exc:
        problems += exc.details
    org = _org(session, org_id)
    recipients = [address.strip() for address in data.recipients]
    if data.format == SNAPSHOT_FORMAT and recipients:
        problems.append(
            "recipients: a snapshot schedule mails nothing (its snapshots are on the "
            "Snapshots page); leave recipients empty"
        )
    elif data.format != SNAPSHOT_FORMAT and not recipients:
        problems.append("recipients: give at least one address")
    for address in recipients:
        problem = address_problem(address, org.allowed_recipient_domains or [])
        if problem:
            problems.append(f"recipients: {problem}")
    if problems:
        raise Invalid(problems[0], problems)
    if dashboard_store.get_dashboard(session, data.dashboard_id) is None:
        raise DashboardNotFound(data.dashboard_id)
    data.recipients = list(dict.fromkeys(recipients))
    data.schedule_config = config.model_dump(exclude_none=True)
    return data, config


def _next_run_at(
    schedule: ReportSchedule, config: ScheduleConfig, now: dt.datetime | None
) -> dt.datetime | None:
    if not schedule.is_active:
        return None
    return _naive_utc(next_run(schedule.frequency, config, now or utcnow()))


def _naive_utc(instant: dt.datetime) -> dt.datetime:
    return instant.astimezone(dt.UTC).replace(tzinfo=None)


def _duration(span: dt.timedelta) -> str:
    minutes = int(span.total_seconds() // 60)
    if minutes < 120:
        return f"{minutes} minutes"
    hours = minutes // 60
    return f"{hours} hours" if hours < 48 else f"{hours // 24} days"


def _settings_of(schedule: ReportSchedule) -> dict[str, Any]:
    return {
        "name": schedule.name,
        "dashboard_id": schedule.dashboard_id,
        "frequency": schedule.frequency,
        "schedule_config": schedule.schedule_config,
        "recipients": schedule.recipients,
        "format": schedule.format,
        "is_active": schedule.is_active,
    }


def _schedule(session: Session, schedule_id: int) -> ReportSchedule:
    schedule = session.scalars(
        select(ReportSchedule).where(ReportSchedule.id == schedule_id)
    ).one_or_none()
    if schedule is None:
        raise ScheduleNotFound(schedule_id)
    return schedule


def _org(session: Session, org_id: int) -> Org:
    return session.scalars(select(Org).where(Org.id == org_id)).one()


def _view(
    session: Session, schedule: ReportSchedule, now: dt.datetime | None = None
) -> ScheduleView:
    dashboard = session.get(Dashboard, schedule.dashboard_id)
    try:
        config = parse_schedule(schedule.frequency, schedule.schedule_config)
    except ScheduleError as exc:
        return ScheduleView(schedule, dashboard.name if dashboard else "", str(exc), [])
    upcoming = (
        next_runs(schedule.frequency, config, now or utcnow(), 5)
        if schedule.is_active
        else []
    )
    return ScheduleView(
        schedule,
        dashboard.name if dashboard else "",
        describe(schedule.frequency, config),
        upcoming,
    )
