"""Delivery channels of alert (and automation ``notify``) notifications: one registry.

* ``email``: the reports' mail path (:mod:`reports.mail`): ``SMTP_URL`` when set,
  else an ``.eml`` file in the outbox (``PULSE_OUTBOX_DIR/<org>/alert-....eml``).
  Recipients must be within the org's allowed recipient domains, like reports'.
* ``slack``: a Slack incoming webhook; the payload is ``text`` (the fallback line)
  plus ``blocks``: a header, a section with what fired, value, threshold and entity,
  and a link to the dashboard (:func:`slack_payload`).
* ``webhook``: JSON of schema ``pulse.alert.v1`` (:func:`webhook_payload`), signed:
  ``X-Pulse-Timestamp`` (Unix seconds) and ``X-Pulse-Signature: sha256=<hex>``, the
  HMAC-SHA256 with the alert's secret over ``"<timestamp>.<body>"``; a receiver
  recomputes it and refuses old timestamps (replays).

Slack and webhook URLs pass the SSRF guard (:mod:`alerts.net`) when saved and when
sent. Every attempt is returned as an :class:`Attempt` (HTTP status code or error)
for the caller to log; a failed attempt (no answer, 429 or 5xx; an SMTP error) is
retried after ``PULSE_ALERT_RETRY_SECONDS``, doubled each time, up to
``PULSE_ALERT_MAX_ATTEMPTS``; a 4xx other than 429 is not retried.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import html
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from alerts.net import AllowList, UnsafeUrl, check_url, describe_target, post
from alerts.specs import NotificationConfig
from reports.mail import (
    MailError,
    address_problem,
    build_notification_message,
    send_smtp,
    write_outbox,
)

WEBHOOK_SCHEMA = "pulse.alert.v1"


@dataclass(frozen=True)
class Notification:
    """What happened, as every channel tells it."""

    event: str  # firing, resolved, test, automation
    title: str  # the alert's or the rule's name
    kind: str  # threshold, change, anomaly, forecast, automation_rule
    source_id: int | None
    org_slug: str
    org_name: str
    entity_key: str
    entity_label: str
    value: float | None
    threshold: float | None
    reason: str
    from_state: str
    to_state: str
    occurred_at: dt.datetime  # naive UTC
    link: str
    key: str  # unique per notification: the Message-ID and the outbox file name


@dataclass(frozen=True)
class Delivery:
    """Where one notification goes, and what the channels need to send it."""

    config: NotificationConfig
    allowed_domains: list[str]
    webhook_secret: str | None
    smtp_url: str | None
    smtp_from: str
    smtp_timeout: float
    outbox_dir: Path
    http_timeout: float
    allowlist: AllowList
    max_attempts: int = 3
    retry_seconds: float = 1.0
    sleep: Callable[[float], None] = field(default=time.sleep)


@dataclass(frozen=True)
class Attempt:
    channel: str
    target: str
    attempt: int
    status_code: int | None
    ok: bool
    error: str | None


class Channel(Protocol):
    name: str

    def check(
        self,
        config: NotificationConfig,
        allowed_domains: list[str],
        allowlist: AllowList,
    ) -> list[str]: ...

    def send(self, notification: Notification, delivery: Delivery) -> list[Attempt]: ...


_CHANNELS: dict[str, Channel] = {}


def register(cls: type) -> type:
    """Register a channel class by its ``name``.

    Raises:
        ValueError: a channel of that name is registered already.
    """
    name = cls.name  # type: ignore[attr-defined]
    if name in _CHANNELS:
        raise ValueError(f"channel {name!r} is registered twice")
    _CHANNELS[name] = cls()
    return cls


def reset_channels() -> dict[str, Channel]:
    """Empty the registry and return what it held (tests put it back)."""
    held = dict(_CHANNELS)
    _CHANNELS.clear()
    return held


def restore_channels(held: dict[str, Channel]) -> None:
    _CHANNELS.clear()
    _CHANNELS.update(held)


def channel(name: str) -> Channel:
    if name not in _CHANNELS:
        raise KeyError(f"unknown channel {name!r}; expected one of {sorted(_CHANNELS)}")
    return _CHANNELS[name]


def check_targets(
    config: NotificationConfig, allowed_domains: list[str], allowlist: AllowList
) -> list[str]:
    """Every problem of a notification config's targets (addresses outside the
    org's domains, refused URLs), each naming its field."""
    problems: list[str] = []
    for name in config.channels:
        problems += channel(name).check(config, allowed_domains, allowlist)
    return problems


def deliver(notification: Notification, delivery: Delivery) -> list[Attempt]:
    """Send on every channel of the config; one channel failing does not stop the
    others. Returns every attempt made."""
    attempts: list[Attempt] = []
    for name in delivery.config.channels:
        try:
            attempts += channel(name).send(notification, delivery)
        except Exception as exc:  # noqa: BLE001 - the other channels still go out
            attempts.append(Attempt(name, "", 1, None, False, _text(exc)))
    return attempts


def _text(exc: BaseException) -> str:
    return (str(exc).strip() or type(exc).__name__).splitlines()[0][:300]


def _retrying(
    name: str,
    target: str,
    delivery: Delivery,
    once: Callable[[], int | None],
) -> list[Attempt]:
    """Call ``once`` (returns an HTTP status, or None for a non-HTTP success) until
    it succeeds, fails for good or runs out of attempts."""
    attempts = []
    for number in range(1, delivery.max_attempts + 1):
        if number > 1:
            delivery.sleep(delivery.retry_seconds * 2 ** (number - 2))
        try:
            status = once()
        except UnsafeUrl as exc:
            attempts.append(Attempt(name, target, number, None, False, _text(exc)))
            break  # refusing again will not help
        except (OSError, MailError) as exc:
            attempts.append(Attempt(name, target, number, None, False, _text(exc)))
            continue
        ok = status is None or 200 <= status < 300
        error = None if ok else f"HTTP {status}"
        attempts.append(Attempt(name, target, number, status, ok, error))
        if ok or (status is not None and 400 <= status < 500 and status != 429):
            break
    return attempts


# ------------------------------------------------------------------------ payloads
def _value_text(value: float | None) -> str:
    if value is None:
        return "no value"
    return f"{value:,.2f}" if abs(value) >= 100 else f"{value:,.4g}"


def headline(notification: Notification) -> str:
    """``FIRING: CPA too high — Campaign X: 61.2 (threshold 50)``."""
    state = {"firing": "FIRING", "resolved": "RESOLVED", "test": "TEST"}.get(
        notification.to_state, notification.to_state.upper()
    )
    threshold = (
        f" (threshold {_value_text(notification.threshold)})"
        if notification.threshold is not None
        else ""
    )
    return (
        f"{state}: {notification.title} — {notification.entity_label}: "
        f"{_value_text(notification.value)}{threshold}"
    )


def webhook_payload(notification: Notification) -> dict[str, Any]:
    """The webhook's JSON (schema ``pulse.alert.v1``)."""
    return {
        "schema": WEBHOOK_SCHEMA,
        "event": notification.event,
        "state": notification.to_state,
        "previous_state": notification.from_state,
        "alert": {
            "id": notification.source_id,
            "name": notification.title,
            "type": notification.kind,
        },
        "org": {"slug": notification.org_slug, "name": notification.org_name},
        "entity": {"key": notification.entity_key, "label": notification.entity_label},
        "value": notification.value,
        "threshold": notification.threshold,
        "reason": notification.reason,
        "occurred_at": notification.occurred_at.replace(tzinfo=dt.UTC).isoformat(),
        "url": notification.link,
        "id": notification.key,
    }


def slack_payload(notification: Notification) -> dict[str, Any]:
    """A Slack incoming-webhook message: ``text`` and ``blocks``."""
    fields = [
        ("State", notification.to_state),
        ("Entity", notification.entity_label),
        ("Value", _value_text(notification.value)),
        (
            "Threshold",
            _value_text(notification.threshold)
            if notification.threshold is not None
            else "—",
        ),
    ]
    return {
        "text": headline(notification),
        "blocks": [
            {
                "type": "header",
                "text": {"type": "plain_text", "text": headline(notification)[:150]},
            },
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": notification.reason[:2900]},
                "fields": [
                    {"type": "mrkdwn", "text": f"*{label}*\n{value}"}
                    for label, value in fields
                ],
            },
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": "Open in Pulse"},
                        "url": notification.link,
                    }
                ],
            },
        ],
    }


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=<hex>``: HMAC-SHA256 with ``secret`` over ``timestamp + "." + body``."""
    digest = hmac.new(
        secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    return f"sha256={digest}"


# ------------------------------------------------------------------------ channels
def _check_url(field_name: str, url: str | None, allowlist: AllowList) -> list[str]:
    if not url:
        return []
    try:
        check_url(url, allowlist)
    except UnsafeUrl as exc:
        return [f"notification_config.{field_name}: {exc}"]
    return []


@register
class EmailChannel:
    name = "email"

    def check(
        self,
        config: NotificationConfig,
        allowed_domains: list[str],
        allowlist: AllowList,
    ) -> list[str]:
        return [
            f"notification_config.recipients: {problem}"
            for address in config.recipients
            if (problem := address_problem(address, allowed_domains))
        ]

    def send(self, notification: Notification, delivery: Delivery) -> list[Attempt]:
        recipients = list(delivery.config.recipients)
        target = ", ".join(recipients)
        problems = self.check(
            delivery.config, delivery.allowed_domains, delivery.allowlist
        )
        if problems:
            return [Attempt(self.name, target, 1, None, False, "; ".join(problems))]
        text = "\n".join(
            [
                headline(notification),
                "",
                notification.reason,
                "",
                f"Entity: {notification.entity_label}",
                f"Value: {_value_text(notification.value)}",
                f"Threshold: {_value_text(notification.threshold)}"
                if notification.threshold is not None
                else "",
                f"Open in Pulse: {notification.link}",
            ]
        )
        body = (
            '<!doctype html><html><body style="font-family:Arial,sans-serif">'
            f"<h3>{html.escape(headline(notification))}</h3>"
            f"<p>{html.escape(notification.reason)}</p>"
            f'<p><a href="{html.escape(notification.link)}">Open in Pulse</a></p>'
            "</body></html>"
        )
        message = build_notification_message(
            sender=delivery.smtp_from,
            recipients=recipients,
            subject=headline(notification)[:200],
            text=text,
            html_body=body,
            message_id=f"<alert.{notification.key}@pulse>",
        )
        outbox: list[Path] = []

        def once() -> None:
            if delivery.smtp_url:
                send_smtp(message, delivery.smtp_url, delivery.smtp_timeout)
            else:
                outbox.append(
                    write_outbox(
                        message,
                        delivery.outbox_dir / notification.org_slug,
                        f"alert-{notification.key}",
                    )
                )
            return None

        attempts = _retrying(self.name, target, delivery, once)
        if outbox and attempts and attempts[-1].ok:
            last = attempts[-1]
            attempts[-1] = Attempt(
                last.channel,
                f"{target} (outbox {outbox[-1]})",
                last.attempt,
                None,
                True,
                None,
            )
        return attempts


@register
class SlackChannel:
    name = "slack"

    def check(
        self,
        config: NotificationConfig,
        allowed_domains: list[str],
        allowlist: AllowList,
    ) -> list[str]:
        return _check_url("slack_webhook", config.slack_webhook, allowlist)

    def send(self, notification: Notification, delivery: Delivery) -> list[Attempt]:
        url = delivery.config.slack_webhook or ""
        body = json.dumps(slack_payload(notification)).encode()
        return _retrying(
            self.name,
            describe_target(url),
            delivery,
            lambda: post(
                url,
                body,
                {},
                timeout=delivery.http_timeout,
                allowlist=delivery.allowlist,
            ),
        )


@register
class WebhookChannel:
    name = "webhook"

    def check(
        self,
        config: NotificationConfig,
        allowed_domains: list[str],
        allowlist: AllowList,
    ) -> list[str]:
        return _check_url("webhook_url", config.webhook_url, allowlist)

    def send(self, notification: Notification, delivery: Delivery) -> list[Attempt]:
        url = delivery.config.webhook_url or ""
        if not delivery.webhook_secret:
            return [
                Attempt(
                    self.name,
                    describe_target(url),
                    1,
                    None,
                    False,
                    "no webhook secret to sign with",
                )
            ]
        secret = delivery.webhook_secret
        body = json.dumps(webhook_payload(notification)).encode()

        def once() -> int:
            # A fresh timestamp (and signature) per attempt: a retry is not a replay.
            timestamp = str(int(time.time()))
            headers = {
                "X-Pulse-Timestamp": timestamp,
                "X-Pulse-Signature": signature(secret, timestamp, body),
                "User-Agent": "Pulse-Alerts/1",
            }
            return post(
                url,
                body,
                headers,
                timeout=delivery.http_timeout,
                allowlist=delivery.allowlist,
            )

        return _retrying(self.name, describe_target(url), delivery, once)
