"""Alerts: the alerts people manage, and their evaluation and delivery.

People (the API's ``/api/v1/alerts``, the Alerts page) create, change and delete
alerts, acknowledge and mute them and send a test notification (editors and admins);
everyone of the org sees them, their states and history. One function per action:
validate (:func:`alerts.specs.parse_alert`, the recipients against the org's allowed
domains, Slack and webhook URLs against the SSRF guard), authorize, write, audit.

The scheduler's ``alerts`` job (every minute) and every ingest that committed rows
call :func:`run_alerts` for the org: :func:`alerts.engine.evaluate_alerts` moves each
(alert, entity) through its states in one transaction, then
:func:`alerts.delivery.deliver_pending` sends what changed to firing or resolved.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import threading
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictInt, ValidationError
from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session

from accounts import audit
from accounts.permissions import Caller, Permission, require
from alerts.channels import check_targets, deliver
from alerts.delivery import (
    deliver_pending,
    delivery_for,
    notification_of,
    record_attempts,
)
from alerts.engine import evaluate_alerts
from alerts.net import AllowList
from alerts.observe import BrokenAlert
from alerts.specs import AlertSpecError, NotificationConfig, parse_alert
from commands.context import CommandContext
from commands.dashboards import DashboardNotFound
from commands.errors import Invalid, NotFound
from core.db import Database
from core.errors import validation_messages
from core.filters import OrgContext
from core.models import (
    AlertDelivery,
    AlertHistory,
    AlertState,
    DashboardAlert,
    Org,
    utcnow,
)
from core.settings import Settings
from dashboards import store as dashboard_store

log = logging.getLogger(__name__)
# A key of the advisory lock that serialises one org's alert evaluations (PostgreSQL;
# SQLite has one writer at a time anyway).
ALERTS_LOCK_CLASS = 7_316
# SQLite has no advisory locks: one process (``python app.py`` runs the scheduler and
# the web requests that ingest) evaluates one org at a time instead, so two
# evaluations never wait on each other's write lock until it times out. Not state,
# a lock: the one module-level object of its kind here.
_SQLITE_EVALUATION = threading.Lock()


def run_alerts(
    db: Database,
    settings: Settings | None,
    org_id: int,
    now: dt.datetime | None = None,
    alert_ids: list[int] | None = None,
) -> dict[str, Any]:
    """Evaluate the org's active alerts and send what changed to firing or resolved.

    Args:
        db: the database (app role or owner; everything runs in the org's context).
        settings: the channels' settings; ``None`` evaluates only (the next run of
            the scheduler's job sends what is pending).
        org_id: the org whose alerts run.
        now: the evaluation instant (naive means UTC); defaults to now.
        alert_ids: only these alerts.

    Returns:
        The evaluation's summary (see :func:`alerts.engine.evaluate_alerts`) with
        ``sent`` and ``failed`` notifications.

    Raises:
        sqlalchemy.exc.OperationalError: the database failed; nothing was written.
    """
    serial = _SQLITE_EVALUATION if db.engine.dialect.name == "sqlite" else nullcontext()
    with serial, db.session(org_id) as session:
        if session.get_bind().dialect.name == "postgresql":
            # The scheduler's job and an ingest may evaluate one org at once: the
            # second waits for the first's commit, then sees its states.
            session.execute(
                text("SELECT pg_advisory_xact_lock(:k, :org)"),
                {"k": ALERTS_LOCK_CLASS, "org": org_id},
            )
        org = session.get(Org, org_id)
        if org is None:
            raise LookupError(f"no org {org_id}")
        summary = evaluate_alerts(session, OrgContext.of(org), now, alert_ids)
    if settings is not None:
        summary.update(deliver_pending(db, settings, org_id))
    return summary


def run_alerts_after_ingest(
    db: Database, settings: Settings | None, org_id: int
) -> dict[str, Any] | None:
    """:func:`run_alerts` right after an ingest committed; a failure is logged, not
    raised (the batch is committed and the scheduler's next run tries again)."""
    try:
        return run_alerts(db, settings, org_id)
    except Exception:
        log.exception("org %s: alerts not evaluated after an ingest", org_id)
        return None


# ------------------------------------------------------------------ people's alerts
MAX_COOLDOWN_MINUTES = 7 * 24 * 60
MAX_MUTE_MINUTES = 90 * 24 * 60


class AlertNotFound(NotFound):
    """No such alert in the caller's org (other orgs' ids included)."""

    kind = "alert"

    def __init__(self, alert_id: int) -> None:
        super().__init__(f"no alert {alert_id} in your org")


class AlertInput(BaseModel):
    """An alert as a person writes it (the API's body, the page's form)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    alert_type: str
    condition: dict[str, Any]
    notification_config: dict[str, Any] = Field(default_factory=dict)
    dashboard_id: StrictInt | None = Field(None, ge=1)
    cooldown_minutes: StrictInt = Field(60, ge=0, le=MAX_COOLDOWN_MINUTES)
    is_active: bool = True


@dataclass(frozen=True)
class AlertView:
    """An alert with where each of its entities stands."""

    alert: DashboardAlert
    states: list[AlertState]
    show_secret: bool = False

    def document(self) -> dict[str, Any]:
        item = self.alert
        document: dict[str, Any] = {
            "id": item.id,
            "name": item.name,
            "alert_type": item.alert_type,
            "condition": item.condition,
            "notification_config": item.notification_config,
            "dashboard_id": item.dashboard_id,
            "cooldown_minutes": item.cooldown_minutes,
            "is_active": item.is_active,
            "state": item.state,
            "broken_reason": item.broken_reason,
            "muted_until": _iso(item.muted_until),
            "acknowledged_at": _iso(item.acknowledged_at),
            "acknowledged_by": item.acknowledged_by,
            "last_evaluated_at": _iso(item.last_evaluated_at),
            "last_triggered_at": _iso(item.last_triggered_at),
            "created_at": _iso(item.created_at),
            "entities": [
                {
                    "key": row.entity_key,
                    "label": row.entity_label,
                    "state": row.state,
                    "value": row.value,
                    "since": _iso(row.since),
                    # Written when the value changes (a steady minute writes no
                    # entity row); the alert's last_evaluated_at is the last look.
                    "value_changed_at": _iso(row.last_evaluated_at),
                }
                for row in self.states
                if row.state != "ok"
            ],
            "firing": sum(1 for row in self.states if row.state == "firing"),
        }
        if self.show_secret and item.webhook_secret:
            # Shown when the alert is created (or its secret renewed), never again.
            document["webhook_secret"] = item.webhook_secret
        return document


def _iso(value: dt.datetime | None) -> str | None:
    return value.replace(tzinfo=dt.UTC).isoformat() if value else None


def _alert(session: Session, alert_id: int) -> DashboardAlert:
    alert = session.scalars(
        select(DashboardAlert).where(DashboardAlert.id == alert_id)
    ).one_or_none()
    if alert is None:
        raise AlertNotFound(alert_id)
    return alert


def _view(
    session: Session, alert: DashboardAlert, show_secret: bool = False
) -> AlertView:
    rows = session.scalars(
        select(AlertState)
        .where(AlertState.alert_id == alert.id)
        .order_by(AlertState.entity_label)
    ).all()
    return AlertView(alert, list(rows), show_secret)


def _settings_of(alert: DashboardAlert) -> dict[str, Any]:
    return {
        "name": alert.name,
        "alert_type": alert.alert_type,
        "condition": alert.condition,
        "notification_config": alert.notification_config,
        "dashboard_id": alert.dashboard_id,
        "cooldown_minutes": alert.cooldown_minutes,
        "is_active": alert.is_active,
    }


def _validated(
    session: Session, settings: Settings, org_id: int, body: Any
) -> AlertInput:
    try:
        data = AlertInput.model_validate(body)
    except ValidationError as exc:
        details = validation_messages(exc)
        raise Invalid(details[0], details) from None
    try:
        parsed = parse_alert(data.alert_type, data.condition, data.notification_config)
    except AlertSpecError as exc:
        raise Invalid(exc.details[0], exc.details) from None
    org = session.scalars(select(Org).where(Org.id == org_id)).one()
    problems = check_targets(
        parsed.notification,
        org.allowed_recipient_domains or [],
        AllowList.parse(settings.webhook_allowlist),
    )
    if problems:
        raise Invalid(problems[0], problems)
    if data.dashboard_id is not None and (
        dashboard_store.get_dashboard(session, data.dashboard_id) is None
    ):
        raise DashboardNotFound(data.dashboard_id)
    # Stored as validated, in the shape the seed documents (aliases kept).
    data.condition = parsed.spec.model_dump(by_alias=True, exclude_defaults=True)
    data.notification_config = parsed.notification.model_dump(exclude_none=True)
    return data


def list_alerts(context: CommandContext, caller: Caller) -> list[AlertView]:
    """The caller's org's alerts, firing first, then by name."""
    with context.db.session(caller.org_id) as session:
        alerts = session.scalars(
            select(DashboardAlert).order_by(DashboardAlert.name, DashboardAlert.id)
        ).all()
        views = [_view(session, alert) for alert in alerts]
    order = {"firing": 0, "broken": 1, "pending": 2}
    return sorted(views, key=lambda v: order.get(v.alert.state, 3))


def get_alert(context: CommandContext, caller: Caller, alert_id: int) -> AlertView:
    """One alert of the caller's org.

    Raises:
        AlertNotFound: no such alert in the caller's org.
    """
    with context.db.session(caller.org_id) as session:
        return _view(session, _alert(session, alert_id))


def firing_count(context: CommandContext, caller: Caller) -> int:
    """How many of the org's active alerts are firing (the navigation bar's badge)."""
    with context.db.session(caller.org_id) as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(DashboardAlert)
                .where(
                    DashboardAlert.state == "firing",
                    DashboardAlert.is_active.is_(True),
                )
            )
            or 0
        )


def create_alert(
    context: CommandContext, settings: Settings, caller: Caller, body: Any
) -> AlertView:
    """Create an alert of the caller's org, audited. An alert with a webhook gets
    its signing secret, returned this once.

    Raises:
        PermissionDenied: the caller may not manage alerts.
        Invalid: a field is wrong; ``details`` names each (``condition.metric: ...``,
            ``notification_config.webhook_url: ... refused``).
        DashboardNotFound: the dashboard is not in the caller's org.
    """
    require(caller, Permission.EDIT, "manage alerts")
    with context.db.session(caller.org_id) as session:
        data = _validated(session, settings, caller.org_id, body)
        alert = DashboardAlert(
            org_id=caller.org_id,
            created_by=caller.user_id,
            state="ok",
            history=[],
            webhook_secret=secrets.token_hex(24),
            **data.model_dump(),
        )
        session.add(alert)
        session.flush()
        audit.record(
            session,
            "create",
            "alert",
            alert.id,
            caller=caller,
            details=data.model_dump(),
        )
        return _view(session, alert, show_secret=True)


def update_alert(
    context: CommandContext,
    settings: Settings,
    caller: Caller,
    alert_id: int,
    body: Any,
) -> AlertView:
    """Replace an alert's settings, audited with the values before and after. A
    changed type or condition starts its entities afresh (their history stays); a
    webhook channel added now answers the signing secret, once.

    Raises:
        PermissionDenied, Invalid, DashboardNotFound: as :func:`create_alert`.
        AlertNotFound: no such alert in the caller's org.
    """
    require(caller, Permission.EDIT, "manage alerts")
    with context.db.session(caller.org_id) as session:
        alert = _alert(session, alert_id)
        data = _validated(session, settings, caller.org_id, body)
        before = _settings_of(alert)
        had_webhook = "webhook" in (alert.notification_config or {}).get("channels", [])
        new_webhook = "webhook" in data.notification_config.get("channels", [])
        if not alert.webhook_secret:
            alert.webhook_secret = secrets.token_hex(24)
        if (data.alert_type, data.condition) != (alert.alert_type, alert.condition):
            session.execute(delete(AlertState).where(AlertState.alert_id == alert.id))
            alert.state, alert.broken_reason = "ok", None
        for key, value in data.model_dump().items():
            setattr(alert, key, value)
        audit.record(
            session,
            "update",
            "alert",
            alert.id,
            caller=caller,
            details={"before": before, "after": data.model_dump()},
        )
        session.flush()
        # A webhook added now needs its secret: shown this once.
        return _view(session, alert, show_secret=new_webhook and not had_webhook)


def delete_alert(context: CommandContext, caller: Caller, alert_id: int) -> None:
    """Delete an alert with its states, history and delivery log, audited.

    Raises:
        PermissionDenied: the caller may not manage alerts.
        AlertNotFound: no such alert in the caller's org.
    """
    require(caller, Permission.EDIT, "manage alerts")
    with context.db.session(caller.org_id) as session:
        alert = _alert(session, alert_id)
        details = _settings_of(alert)
        for model in (AlertDelivery, AlertHistory, AlertState):
            session.execute(delete(model).where(model.alert_id == alert.id))
        session.delete(alert)
        audit.record(
            session, "delete", "alert", alert_id, caller=caller, details=details
        )


def acknowledge_alert(
    context: CommandContext, caller: Caller, alert_id: int
) -> AlertView:
    """Record that the caller has seen the alert firing (until it fires anew),
    audited. People only: an acknowledgement is a person's.

    Raises:
        PermissionDenied: the caller may not decide on alerts.
        AlertNotFound: no such alert in the caller's org.
    """
    require(caller, Permission.DECIDE, "acknowledge alerts")
    with context.db.session(caller.org_id) as session:
        alert = _alert(session, alert_id)
        alert.acknowledged_at, alert.acknowledged_by = utcnow(), caller.user_id
        audit.record(session, "acknowledge", "alert", alert.id, caller=caller)
        session.flush()
        return _view(session, alert)


def mute_alert(
    context: CommandContext,
    caller: Caller,
    alert_id: int,
    minutes: Any,
    now: dt.datetime | None = None,
) -> AlertView:
    """Mute an alert's notifications for ``minutes`` (0 unmutes), audited. A muted
    alert still changes state and writes its history; nothing is sent.

    Raises:
        PermissionDenied: the caller may not manage alerts.
        Invalid: ``minutes`` is not a whole number from 0 to 90 days.
        AlertNotFound: no such alert in the caller's org.
    """
    require(caller, Permission.EDIT, "mute alerts")
    if (
        not isinstance(minutes, int)
        or isinstance(minutes, bool)
        or not 0 <= minutes <= MAX_MUTE_MINUTES
    ):
        raise Invalid(f"minutes: expected a whole number from 0 to {MAX_MUTE_MINUTES}")
    now = now or utcnow()
    with context.db.session(caller.org_id) as session:
        alert = _alert(session, alert_id)
        alert.muted_until = now + dt.timedelta(minutes=minutes) if minutes else None
        audit.record(
            session,
            "mute" if minutes else "unmute",
            "alert",
            alert.id,
            caller=caller,
            details={"minutes": minutes, "muted_until": _iso(alert.muted_until)},
        )
        session.flush()
        return _view(session, alert)


@dataclass(frozen=True)
class HistoryEntry:
    row: AlertHistory
    deliveries: list[AlertDelivery]

    def document(self) -> dict[str, Any]:
        item = self.row
        return {
            "id": item.id,
            "entity_key": item.entity_key,
            "entity_label": item.entity_label,
            "from_state": item.from_state,
            "to_state": item.to_state,
            "value": item.value,
            "threshold": item.threshold,
            "reason": item.reason,
            "created_at": _iso(item.created_at),
            "notify_status": item.notify_status,
            "notified_at": _iso(item.notified_at),
            "deliveries": [
                {
                    "channel": d.channel,
                    "target": d.target,
                    "attempt": d.attempt,
                    "status_code": d.status_code,
                    "ok": d.ok,
                    "error": d.error,
                    "at": _iso(d.created_at),
                }
                for d in self.deliveries
            ],
        }


def alert_history(
    context: CommandContext, caller: Caller, alert_id: int, limit: int = 200
) -> list[HistoryEntry]:
    """The alert's state changes, newest first, each with its delivery attempts.

    Raises:
        AlertNotFound: no such alert in the caller's org.
    """
    with context.db.session(caller.org_id) as session:
        _alert(session, alert_id)
        rows = session.scalars(
            select(AlertHistory)
            .where(AlertHistory.alert_id == alert_id)
            .order_by(AlertHistory.id.desc())
            .limit(limit)
        ).all()
        attempts: dict[int | None, list[AlertDelivery]] = {}
        if rows:
            for item in session.scalars(
                select(AlertDelivery)
                .where(AlertDelivery.history_id.in_([r.id for r in rows]))
                .order_by(AlertDelivery.id)
            ):
                attempts.setdefault(item.history_id, []).append(item)
        return [HistoryEntry(row, attempts.get(row.id, [])) for row in rows]


def send_test_notification(
    context: CommandContext, settings: Settings, caller: Caller, alert_id: int
) -> list[dict[str, Any]]:
    """Send a test notification on the alert's channels now (event ``test``),
    audited; the attempts are logged like real ones.

    Raises:
        PermissionDenied: the caller may not manage alerts.
        AlertNotFound: no such alert in the caller's org.
        Invalid: the alert's notification config is invalid.
    """
    require(caller, Permission.EDIT, "send test alerts")
    with context.db.session(caller.org_id) as session:
        alert = _alert(session, alert_id)
        org = session.scalars(select(Org).where(Org.id == caller.org_id)).one()
        try:
            config = NotificationConfig.model_validate(alert.notification_config or {})
        except ValidationError as exc:
            details = validation_messages(exc, field_prefix="notification_config.")
            raise Invalid(details[0], details) from None
        row = AlertHistory(
            alert_id=alert.id,
            entity_key="test",
            entity_label="Test notification",
            from_state=alert.state,
            to_state="test",
            value=None,
            threshold=None,
            reason=f"A test of the alert {alert.name!r}, sent by hand.",
            created_at=utcnow(),
        )
        notification = notification_of(settings, org, alert, row, event="test")
        delivery = delivery_for(
            settings, config, org.allowed_recipient_domains or [], alert.webhook_secret
        )
        audit.record(session, "test_send", "alert", alert.id, caller=caller)
    attempts = deliver(notification, delivery)
    record_attempts(context.db, caller.org_id, attempts, alert_id=alert_id)
    return [item.__dict__ for item in attempts]


def preview_alert(
    context: CommandContext,
    caller: Caller,
    alert_type: Any,
    condition: Any,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """What an alert would see now, without saving anything (the form's live
    preview): each entity's value and whether it would fire.

    Raises:
        Invalid: the type or condition is invalid (fields named).
    """
    try:
        parsed = parse_alert(alert_type, condition, {"channels": []})
    except AlertSpecError as exc:
        raise Invalid(exc.details[0], exc.details) from None
    now_utc = now or utcnow()
    with context.db.session(caller.org_id) as session:
        org = session.scalars(select(Org).where(Org.id == caller.org_id)).one()
        try:
            observations = parsed.type.observe(
                session, OrgContext.of(org), parsed.spec, now_utc
            )
        except BrokenAlert as exc:
            raise Invalid(str(exc)) from None
    return {
        "entities": [
            {
                "key": item.entity_key,
                "label": item.label,
                "value": item.value,
                "threshold": item.threshold,
                "met": item.met,
                "reason": item.reason,
            }
            for item in sorted(observations, key=lambda o: o.label)
        ]
    }
