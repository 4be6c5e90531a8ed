"""Alerts: the alerts people manage, and their evaluation and delivery.

The scheduler's ``alerts`` job (every minute) and every ingest that committed rows
call :func:`run_alerts` for the org: :func:`alerts.engine.evaluate_alerts` moves each
(alert, entity) through its states in one transaction, then
:func:`alerts.delivery.deliver_pending` sends what changed to firing or resolved.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from alerts.delivery import deliver_pending
from alerts.engine import evaluate_alerts
from core.db import Database
from core.filters import OrgContext
from core.models import Org
from core.settings import Settings

log = logging.getLogger(__name__)


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
    """
    with db.session(org_id) as session:
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
