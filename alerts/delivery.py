"""Sending the notifications an evaluation recorded, after it has committed.

The evaluation writes a history row with ``notify_status = pending`` for each change
to be told; :func:`deliver_pending` takes each such row with one conditional UPDATE
(``pending -> sending``: of two processes only one sends it), delivers it on the
alert's channels outside any transaction, logs every attempt as an
``alert_deliveries`` row, and ends the row ``sent`` (every channel delivered) or
``failed``. A process that dies mid-send leaves a row ``sending``; it is not sent
again (a notification twice is worse than a logged gap).
"""

from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy import select, update

from alerts.channels import Attempt, Delivery, Notification, deliver
from alerts.net import AllowList
from alerts.specs import NotificationConfig
from automation.rules import NotifyAction
from core.db import Database
from core.models import (
    AlertDelivery,
    AlertHistory,
    AutomationExecution,
    AutomationRule,
    Campaign,
    DashboardAlert,
    Org,
    utcnow,
)
from core.settings import Settings

log = logging.getLogger(__name__)


def delivery_for(
    settings: Settings,
    config: NotificationConfig,
    allowed_domains: list[str],
    secret: str | None,
) -> Delivery:
    """The channels' settings for one notification config."""
    return Delivery(
        config=config,
        allowed_domains=list(allowed_domains or []),
        webhook_secret=secret,
        smtp_url=settings.smtp_url,
        smtp_from=settings.smtp_from,
        smtp_timeout=settings.smtp_timeout_seconds,
        outbox_dir=Path(settings.outbox_dir),
        http_timeout=settings.alert_http_timeout_seconds,
        allowlist=AllowList.parse(settings.webhook_allowlist),
        max_attempts=settings.alert_max_attempts,
        retry_seconds=settings.alert_retry_seconds,
    )


def alert_link(settings: Settings, alert: DashboardAlert) -> str:
    base = settings.public_url.rstrip("/")
    if alert.dashboard_id:
        return f"{base}/dashboards/{alert.dashboard_id}"
    return f"{base}/alerts"


def record_attempts(
    db: Database,
    org_id: int,
    attempts: list[Attempt],
    *,
    alert_id: int | None = None,
    history_id: int | None = None,
    execution_id: int | None = None,
) -> None:
    with db.session(org_id) as session:
        for item in attempts:
            session.add(
                AlertDelivery(
                    org_id=org_id,
                    alert_id=alert_id,
                    history_id=history_id,
                    execution_id=execution_id,
                    channel=item.channel,
                    target=item.target[:500],
                    attempt=item.attempt,
                    status_code=item.status_code,
                    ok=item.ok,
                    error=item.error,
                    created_at=utcnow(),
                )
            )


def deliver_pending(db: Database, settings: Settings, org_id: int) -> dict[str, int]:
    """Send the org's pending alert notifications.

    Returns:
        ``{"sent": n, "failed": n}``.
    """
    counts = {"sent": 0, "failed": 0}
    with db.session(org_id) as session:
        pending = list(
            session.scalars(
                select(AlertHistory.id)
                .where(AlertHistory.notify_status == "pending")
                .order_by(AlertHistory.id)
            )
        )
    for history_id in pending:
        with db.session(org_id) as session:
            result = session.execute(
                update(AlertHistory)
                .where(
                    AlertHistory.id == history_id,
                    AlertHistory.notify_status == "pending",
                )
                .values(notify_status="sending")
            )
            if not getattr(result, "rowcount", 0):
                continue
            row = session.get(AlertHistory, history_id)
            alert = session.get(DashboardAlert, row.alert_id) if row else None
            org = session.scalars(select(Org).where(Org.id == org_id)).one()
            if row is None or alert is None:
                continue
            notification, delivery = _prepare(settings, org, alert, row)
            alert_id = alert.id
        attempts = deliver(notification, delivery) if delivery else []
        record_attempts(db, org_id, attempts, alert_id=alert_id, history_id=history_id)
        ok = bool(attempts) and _all_channels_ok(attempts)
        with db.session(org_id) as session:
            session.execute(
                update(AlertHistory)
                .where(AlertHistory.id == history_id)
                .values(notify_status="sent" if ok else "failed", notified_at=utcnow())
            )
        counts["sent" if ok else "failed"] += 1
    return counts


def _all_channels_ok(attempts: list[Attempt]) -> bool:
    last: dict[str, bool] = {}
    for item in attempts:
        last[item.channel] = item.ok
    return all(last.values())


def notification_of(
    settings: Settings,
    org: Org,
    alert: DashboardAlert,
    row: AlertHistory,
    event: str | None = None,
) -> Notification:
    return Notification(
        event=event or row.to_state,
        title=alert.name,
        kind=alert.alert_type,
        source_id=alert.id,
        org_slug=org.slug,
        org_name=org.name,
        entity_key=row.entity_key,
        entity_label=row.entity_label,
        value=row.value,
        threshold=row.threshold,
        reason=row.reason,
        from_state=row.from_state,
        to_state=row.to_state,
        occurred_at=row.created_at,
        link=alert_link(settings, alert),
        key=f"{org.id}.{alert.id}.{row.id or 0}.{row.created_at:%Y%m%dT%H%M%S%f}",
    )


def _prepare(
    settings: Settings, org: Org, alert: DashboardAlert, row: AlertHistory
) -> tuple[Notification, Delivery | None]:
    notification = notification_of(settings, org, alert, row)
    try:
        config = NotificationConfig.model_validate(alert.notification_config or {})
    except ValueError as exc:
        log.warning("alert %s: notification config invalid: %s", alert.id, exc)
        return notification, None
    return notification, delivery_for(
        settings, config, org.allowed_recipient_domains or [], alert.webhook_secret
    )


def deliver_rule_notifications(
    db: Database, settings: Settings, org_id: int, execution_ids: list[int]
) -> dict[str, int]:
    """Send the notifications of automation rules' ``notify`` executions through the
    alert channels; each attempt is logged with the execution's id and the
    execution's ``details.delivery`` ends ``sent`` or ``failed`` (with
    ``delivery_error``).

    Returns:
        ``{"notified": n, "notify_failed": n}``.
    """
    counts = {"notified": 0, "notify_failed": 0}
    for execution_id in execution_ids:
        with db.session(org_id) as session:
            execution = session.get(AutomationExecution, execution_id)
            if execution is None or (execution.details or {}).get("delivery") != (
                "pending"
            ):
                continue
            rule = session.get(AutomationRule, execution.rule_id)
            campaign = (
                session.get(Campaign, execution.campaign_id)
                if execution.campaign_id
                else None
            )
            org = session.scalars(select(Org).where(Org.id == org_id)).one()
            details = dict(execution.details or {})
            try:
                action = NotifyAction.model_validate(rule.action if rule else {})
                config = NotificationConfig(
                    channels=action.channels,
                    recipients=action.recipients,
                    slack_webhook=action.slack_webhook,
                    webhook_url=action.webhook_url,
                )
            except ValueError as exc:
                details.update(delivery="failed", delivery_error=str(exc)[:300])
                execution.details = details
                counts["notify_failed"] += 1
                continue
            label = campaign.name if campaign else "(deleted campaign)"
            notification = Notification(
                event="automation",
                title=rule.name if rule else "automation rule",
                kind="automation_rule",
                source_id=execution.rule_id,
                org_slug=org.slug,
                org_name=org.name,
                entity_key=f"campaign:{execution.campaign_id}",
                entity_label=label,
                value=details.get("metric_value"),
                threshold=details.get("threshold"),
                reason=str(details.get("condition") or ""),
                from_state="ok",
                to_state="firing",
                occurred_at=execution.executed_at,
                link=f"{settings.public_url.rstrip('/')}/dashboards",
                key=f"{org.id}.rule{execution.rule_id}.{execution.id}",
            )
            delivery = delivery_for(
                settings,
                config,
                org.allowed_recipient_domains or [],
                action.webhook_secret,
            )
        attempts = deliver(notification, delivery)
        record_attempts(db, org_id, attempts, execution_id=execution_id)
        ok = bool(attempts) and _all_channels_ok(attempts)
        details["delivery"] = "sent" if ok else "failed"
        if not ok:
            errors = [a.error for a in attempts if not a.ok and a.error]
            details["delivery_error"] = (errors[-1] if errors else "not sent")[:300]
        with db.session(org_id) as session:
            row = session.get(AutomationExecution, execution_id)
            if row is not None:
                row.details = details
        counts["notified" if ok else "notify_failed"] += 1
    return counts
