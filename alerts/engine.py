"""Evaluating an org's alerts: each (alert, entity) moves ok -> pending -> firing ->
resolved, and every change is one ``alert_history`` row.

The rules, per entity, at each evaluation (:func:`next_state`, pure):

* ``ok`` or ``resolved`` and the condition holds: ``pending`` (count 1), or straight
  to ``firing`` once the count reaches ``pending_evaluations``. A ``resolved`` entity
  stays resolved for the alert's ``cooldown_minutes`` after it resolved, whatever the
  value does: a metric hovering at the threshold cannot fire again at once.
* ``pending``: the condition holds again, the count grows (firing at
  ``pending_evaluations``); it does not, back to ``ok``.
* ``firing``: stays firing while the *recovery* condition holds (the value has not
  come back past the recovery threshold: hysteresis); then ``resolved``. No value
  (no data, a zero denominator) is not firing: it resolves.

Only the changes to ``firing`` and from ``firing`` to ``resolved`` are notified: their
history rows are written ``notify_status = pending`` (``muted`` while the alert is
muted) and :mod:`alerts.delivery` sends them after the evaluation has committed. A
broken alert (invalid JSON, a deleted campaign, a failing query) is marked broken with
the reason, inside its own savepoint, and the others go on.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import insert, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from alerts.observe import BrokenAlert, Observation
from alerts.specs import AlertSpecError, parse_alert
from core.filters import OrgContext
from core.models import AlertHistory, AlertState, DashboardAlert

log = logging.getLogger(__name__)

STATES = ("ok", "pending", "firing", "resolved")
BROKEN_KEY = "alert"


class Step(NamedTuple):
    state: str
    pending_count: int


def next_state(
    state: str,
    pending_count: int,
    observation_met: bool,
    observation_holds: bool,
    *,
    pending_needed: int,
    resolved_at: dt.datetime | None,
    cooldown: dt.timedelta,
    now: dt.datetime,
) -> Step:
    """Where an entity goes from ``state`` given this evaluation (see the module
    docstring)."""
    if state == "firing":
        return Step("firing", 0) if observation_holds else Step("resolved", 0)
    if not observation_met:
        return Step("ok", 0) if state == "pending" else Step(state, 0)
    if state == "resolved" and resolved_at is not None and now < resolved_at + cooldown:
        return Step("resolved", 0)
    count = pending_count + 1 if state == "pending" else 1
    return Step("firing", 0) if count >= pending_needed else Step("pending", count)


def _utc_naive(now: dt.datetime | None) -> dt.datetime:
    now = now or dt.datetime.now(dt.UTC)
    return now.astimezone(dt.UTC).replace(tzinfo=None) if now.tzinfo else now


@dataclass
class _Summary:
    alerts: int = 0
    entities: int = 0
    changes: int = 0
    firing: int = 0
    notifications: int = 0
    broken: int = 0

    def as_dict(self, broken: list[dict[str, Any]]) -> dict[str, Any]:
        return {**self.__dict__, "broken_alerts": broken}


def evaluate_alerts(
    session: Session,
    org: OrgContext,
    now: dt.datetime | None = None,
    alert_ids: list[int] | None = None,
) -> dict[str, Any]:
    """Evaluate the org's active alerts (or only ``alert_ids``) once.

    Args:
        session: a session scoped to ``org`` (the caller commits).
        org: the org whose alerts run.
        now: the evaluation instant (naive means UTC); defaults to now.
        alert_ids: only these alerts (a test-send or a preview); default all active.

    Returns:
        Counts (``alerts``, ``entities``, ``changes``, ``firing``, ``notifications``,
        ``broken``) and ``broken_alerts``: ``[{alert_id, name, reason}]``.
    """
    now = _utc_naive(now)
    statement = select(DashboardAlert).where(DashboardAlert.is_active.is_(True))
    if alert_ids is not None:
        statement = statement.where(DashboardAlert.id.in_(alert_ids))
    alerts = session.scalars(statement.order_by(DashboardAlert.id)).all()
    states: dict[int, dict[str, AlertState]] = {}
    if alerts:
        for row in session.scalars(
            select(AlertState).where(
                AlertState.alert_id.in_([alert.id for alert in alerts])
            )
        ):
            states.setdefault(row.alert_id, {})[row.entity_key] = row
    summary, broken = _Summary(), []
    # Alerts that read the same window and scope share one query in this pass.
    memo: dict = {}
    for alert in alerts:
        summary.alerts += 1
        try:
            with session.begin_nested():
                _evaluate_one(
                    session, org, alert, states.get(alert.id, {}), now, summary, memo
                )
        except OperationalError:
            # The database itself failed (locked, gone): not the alert's fault, so
            # nothing is marked broken; the pass fails and the next one tries again.
            raise
        except Exception as exc:  # noqa: BLE001 - one alert must not stop the others
            reason = _reason(exc)
            log.warning("alert %s (%s) is broken: %s", alert.id, alert.name, reason)
            _mark_broken(session, org, alert, reason, now)
            summary.broken += 1
            broken.append({"alert_id": alert.id, "name": alert.name, "reason": reason})
    session.flush()
    return summary.as_dict(broken)


def _reason(exc: Exception) -> str:
    if isinstance(exc, AlertSpecError):
        return "; ".join(exc.details)
    if isinstance(exc, BrokenAlert):
        return str(exc)
    return f"evaluation failed: {type(exc).__name__}: {str(exc)[:300]}"


def _mark_broken(
    session: Session,
    org: OrgContext,
    alert: DashboardAlert,
    reason: str,
    now: dt.datetime,
) -> None:
    if alert.broken_reason != reason:
        session.add(
            AlertHistory(
                org_id=org.id,
                alert_id=alert.id,
                entity_key=BROKEN_KEY,
                entity_label="the alert",
                from_state=alert.state,
                to_state="broken",
                reason=reason,
                created_at=now,
                notify_status="none",
            )
        )
    alert.state, alert.broken_reason, alert.last_evaluated_at = "broken", reason, now


def _evaluate_one(
    session: Session,
    org: OrgContext,
    alert: DashboardAlert,
    states: dict[str, AlertState],
    now: dt.datetime,
    summary: _Summary,
    memo: dict,
) -> None:
    parsed = parse_alert(alert.alert_type, alert.condition, alert.notification_config)
    observations: dict[str, Observation] = {
        item.entity_key: item
        for item in parsed.type.observe(session, org, parsed.spec, now, memo=memo)
    }
    muted = alert.muted_until is not None and alert.muted_until > now
    cooldown = dt.timedelta(minutes=alert.cooldown_minutes or 0)
    if alert.broken_reason is not None:
        session.add(
            AlertHistory(
                org_id=org.id,
                alert_id=alert.id,
                entity_key=BROKEN_KEY,
                entity_label="the alert",
                from_state="broken",
                to_state="ok",
                reason="the alert can be evaluated again",
                created_at=now,
                notify_status="none",
            )
        )
        alert.broken_reason = None
    fired = False
    # New entity rows and history rows are inserted in bulk at the end: a first pass
    # over many alerts creates tens of thousands of them.
    created: list[dict[str, Any]] = []
    history: list[dict[str, Any]] = []
    current: list[str] = []
    for key in sorted(set(observations) | set(states)):
        seen = observations.get(key)
        row = states.get(key)
        if row is None and (seen is None or not seen.met):
            continue  # nothing to remember about an entity that is fine
        summary.entities += 1
        before = row.state if row is not None else "ok"
        step = next_state(
            before,
            row.pending_count if row is not None else 0,
            seen.met if seen else False,
            seen.holds if seen else False,
            pending_needed=parsed.spec.pending_evaluations,
            resolved_at=row.resolved_at if row is not None else None,
            cooldown=cooldown,
            now=now,
        )
        value = seen.value if seen else None
        label = (seen.label if seen else row.entity_label if row else key)[:200]
        changed = step.state != before
        if changed:
            notify = step.state == "firing" or (
                before == "firing" and step.state == "resolved"
            )
            history.append(
                {
                    "org_id": org.id,
                    "alert_id": alert.id,
                    "entity_key": key,
                    "entity_label": label,
                    "from_state": before,
                    "to_state": step.state,
                    "value": value,
                    "threshold": seen.threshold if seen else None,
                    "reason": seen.reason
                    if seen
                    else "no data for this entity in the window",
                    "created_at": now,
                    "notify_status": ("muted" if muted else "pending")
                    if notify
                    else "none",
                    "notified_at": None,
                }
            )
            summary.changes += 1
            summary.notifications += int(notify and not muted)
            fired = fired or step.state == "firing"
        current.append(step.state)
        if row is None:
            created.append(
                {
                    "org_id": org.id,
                    "alert_id": alert.id,
                    "entity_key": key,
                    "entity_label": label,
                    "state": step.state,
                    "pending_count": step.pending_count,
                    "value": value,
                    "since": now,
                    "last_evaluated_at": now,
                    "last_fired_at": now if step.state == "firing" else None,
                    "resolved_at": None,
                }
            )
            continue
        if changed:
            if step.state == "firing":
                row.last_fired_at = now
            if step.state == "resolved":
                row.resolved_at = now
            row.state, row.since = step.state, now
        # Only what changed is written: a steady minute updates no entity row (the
        # alert's last_evaluated_at says when it was looked at).
        if row.pending_count != step.pending_count:
            row.pending_count = step.pending_count
        if row.value != value:
            row.value = value
            row.last_evaluated_at = now
        if seen is not None and row.entity_label != label:
            row.entity_label = label
    if created:
        session.execute(insert(AlertState), created)
    if history:
        session.execute(insert(AlertHistory), history)
    summary.firing += current.count("firing")
    alert.state = (
        "firing" if "firing" in current else "pending" if "pending" in current else "ok"
    )
    alert.last_evaluated_at = now
    if fired:
        alert.last_triggered_at = now
        alert.acknowledged_at = alert.acknowledged_by = None
    session.flush()
