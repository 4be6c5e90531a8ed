"""Acknowledging or resolving an anomaly: a person moves it on, audited.

:mod:`analytics.anomalies` detects anomalies (re-runs never touch a status set here);
an anomaly goes new → acknowledged → resolved, and resolving a new one also records
who looked at it.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts import audit
from accounts.permissions import Caller, Permission, require
from analytics.anomalies import anomaly_dict
from commands.context import CommandContext
from commands.errors import NotFound, Refused
from core.models import Anomaly, utcnow

# The status an anomaly moves to -> the statuses it may move from.
TRANSITIONS = {"acknowledged": ("new",), "resolved": ("new", "acknowledged")}


class AnomalyNotFound(NotFound):
    """No such anomaly in the caller's org."""


class AnomalyStatusRefused(Refused):
    """The requested status change does not follow new → acknowledged → resolved."""


def acknowledge_anomaly(
    context: CommandContext, caller: Caller, anomaly_id: int
) -> dict:
    """Mark a new anomaly acknowledged by the caller.

    Returns:
        The anomaly as JSON-able data.

    Raises:
        PermissionDenied: the caller may not decide on anomalies.
        AnomalyNotFound: no such anomaly in the caller's org.
        AnomalyStatusRefused: it is not new any more.
    """
    require(caller, Permission.DECIDE, "acknowledge anomalies")
    return _move(context, caller, anomaly_id, "acknowledged")


def resolve_anomaly(context: CommandContext, caller: Caller, anomaly_id: int) -> dict:
    """Mark a new or acknowledged anomaly resolved (by the caller).

    Raises:
        PermissionDenied, AnomalyNotFound: as :func:`acknowledge_anomaly`.
        AnomalyStatusRefused: it is already resolved.
    """
    require(caller, Permission.DECIDE, "resolve anomalies")
    return _move(context, caller, anomaly_id, "resolved")


def _move(
    context: CommandContext, caller: Caller, anomaly_id: int, status: str
) -> dict:
    with context.db.session(caller.org_id) as session:
        result = set_anomaly_status(
            session, anomaly_id, status, user_id=caller.user_id, caller=caller
        )
    context.data.invalidate_org(caller.org_id)
    return result


def set_anomaly_status(
    session: Session,
    anomaly_id: int,
    status: str,
    *,
    user_id: int | None,
    caller: Caller | None = None,
) -> dict:
    """Acknowledge or resolve an anomaly of the session's org, audited (the caller has
    authorized it and owns the session).

    Raises:
        AnomalyNotFound: no such anomaly in this org.
        AnomalyStatusRefused: e.g. acknowledging an already resolved anomaly.
    """
    if status not in TRANSITIONS:
        raise ValueError(f"unknown anomaly status {status!r}")
    anomaly = session.scalars(
        select(Anomaly).where(Anomaly.id == anomaly_id)
    ).one_or_none()
    if anomaly is None:
        raise AnomalyNotFound(f"no anomaly {anomaly_id} in your org")
    if anomaly.status not in TRANSITIONS[status]:
        raise AnomalyStatusRefused(f"anomaly {anomaly_id} is already {anomaly.status}")
    now = utcnow()
    before = anomaly.status
    if anomaly.acknowledged_at is None:
        anomaly.acknowledged_by, anomaly.acknowledged_at = user_id, now
    if status == "resolved":
        anomaly.resolved_at = now
    anomaly.status = status
    audit.record(
        session,
        "acknowledge" if status == "acknowledged" else "resolve",
        "anomaly",
        anomaly.id,
        user_id=user_id,
        caller=caller,
        details={"before": before, "after": status},
    )
    return anomaly_dict(anomaly)
