"""Alert channels end to end: a real SMTP server on loopback (aiosmtpd), a real HTTP
receiver on loopback (http.server in a thread) that checks the webhook's signature
and the Slack payload's shape, retries with every attempt's status code logged, and
the SSRF guard refusing loopback and private addresses without the allow-list."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import text

from commands.alerts import run_alerts
from tests.conftest import make_settings
from tests.integration.alerts.conftest import add_alert, history, hour_now
from tests.receiver import verify_signature
from tests.smtp import SmtpServer

SECRET = "whsec-test-0123456789abcdef"
ALWAYS = {"metric": "spend", "operator": ">=", "threshold": 0, "window": "7d"}


def deliveries(admin, alert_id: int) -> list[dict]:
    with admin.engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT channel, attempt, status_code, ok, error FROM alert_deliveries "
                "WHERE alert_id = :a ORDER BY id"
            ),
            {"a": alert_id},
        ).all()
    return [row._asdict() for row in rows]


def settings_for(alerts_db, tmp_path, **overrides):
    return make_settings(
        alerts_db["admin"].url,
        outbox_dir=tmp_path / "outbox",
        alert_retry_seconds=0,
        public_url="https://pulse.acme.example",
        **overrides,
    )


def test_alc001_webhook_signed_and_slack_payload_on_loopback(
    alerts_db, receiver, tmp_path
):
    app, admin, org = alerts_db["app"], alerts_db["admin"], alerts_db["org"]
    alert = add_alert(
        app,
        org.id,
        "threshold",
        ALWAYS,
        {
            "channels": ["webhook", "slack"],
            "webhook_url": f"{receiver.url}/hook?token=abc",
            "slack_webhook": f"{receiver.url}/slack",
        },
        name="Any spend",
        secret=SECRET,
    )
    settings = settings_for(alerts_db, tmp_path, webhook_allowlist="127.0.0.1")
    summary = run_alerts(
        app,
        settings,
        org.id,
        now=hour_now() + dt.timedelta(minutes=1),
        alert_ids=[alert],
    )
    assert summary["sent"] == 1, summary
    hook = next(r for r in receiver.requests if r["path"].startswith("/hook"))
    slack = next(r for r in receiver.requests if r["path"] == "/slack")
    assert hook["path"] == "/hook?token=abc"
    assert verify_signature(hook, SECRET)
    assert not verify_signature(hook, "another secret")
    tampered = {**hook, "body": hook["body"].replace(b"firing", b"resolved")}
    assert not verify_signature(tampered, SECRET)
    payload = json.loads(hook["body"])
    assert payload["schema"] == "pulse.alert.v1"
    assert payload["event"] == "firing" and payload["state"] == "firing"
    assert payload["alert"] == {"id": alert, "name": "Any spend", "type": "threshold"}
    assert payload["entity"] == {"key": "org", "label": "Org total"}
    assert payload["threshold"] == 0 and payload["value"] > 0
    assert payload["url"] == "https://pulse.acme.example/alerts"
    message = json.loads(slack["body"])
    assert message["text"].startswith("FIRING: Any spend — Org total")
    assert [block["type"] for block in message["blocks"]] == [
        "header",
        "section",
        "actions",
    ]
    fields = [f["text"] for f in message["blocks"][1]["fields"]]
    assert fields[0] == "*State*\nfiring" and fields[1] == "*Entity*\nOrg total"
    assert fields[2].startswith("*Value*\n") and fields[3] == "*Threshold*\n0"
    button = message["blocks"][2]["elements"][0]
    assert button["url"] == "https://pulse.acme.example/alerts"
    assert [
        (d["channel"], d["status_code"], d["ok"]) for d in deliveries(admin, alert)
    ] == [
        ("webhook", 200, True),
        ("slack", 200, True),
    ]
    assert history(admin, alert)[-1]["notify_status"] == "sent"


def test_alc002_retries_with_backoff_and_logs_every_status(
    alerts_db, receiver, tmp_path
):
    app, admin, org = alerts_db["app"], alerts_db["admin"], alerts_db["org"]
    receiver.statuses = [503, 500]
    alert = add_alert(
        app,
        org.id,
        "threshold",
        ALWAYS,
        {"channels": ["webhook"], "webhook_url": f"{receiver.url}/hook"},
        secret=SECRET,
    )
    settings = settings_for(alerts_db, tmp_path, webhook_allowlist="127.0.0.0/8")
    run_alerts(
        app,
        settings,
        org.id,
        now=hour_now() + dt.timedelta(minutes=2),
        alert_ids=[alert],
    )
    assert [
        (d["attempt"], d["status_code"], d["ok"]) for d in deliveries(admin, alert)
    ] == [
        (1, 503, False),
        (2, 500, False),
        (3, 200, True),
    ]
    assert len(receiver.requests) == 3
    assert all(verify_signature(r, SECRET) for r in receiver.requests)
    # A 4xx is the receiver's refusal: not retried, and the notification failed.
    receiver.statuses = [400]
    second = add_alert(
        app,
        org.id,
        "threshold",
        ALWAYS,
        {"channels": ["webhook"], "webhook_url": f"{receiver.url}/hook"},
        secret=SECRET,
    )
    run_alerts(
        app,
        settings,
        org.id,
        now=hour_now() + dt.timedelta(minutes=3),
        alert_ids=[second],
    )
    assert [(d["attempt"], d["status_code"]) for d in deliveries(admin, second)] == [
        (1, 400)
    ]
    assert history(admin, second)[-1]["notify_status"] == "failed"


def test_alc003_loopback_refused_at_send_time_without_the_allow_list(
    alerts_db, receiver, tmp_path
):
    app, admin, org = alerts_db["app"], alerts_db["admin"], alerts_db["org"]
    alert = add_alert(
        app,
        org.id,
        "threshold",
        ALWAYS,
        {"channels": ["slack"], "slack_webhook": f"{receiver.url}/slack"},
    )
    run_alerts(
        app,
        settings_for(alerts_db, tmp_path),
        org.id,
        now=hour_now() + dt.timedelta(minutes=4),
        alert_ids=[alert],
    )
    assert receiver.requests == []
    [attempt] = deliveries(admin, alert)
    assert attempt["ok"] is False or attempt["ok"] == 0
    assert "127.0.0.1" in attempt["error"] and "refused" in attempt["error"]
    assert history(admin, alert)[-1]["notify_status"] == "failed"


def test_alc004_email_through_a_real_smtp_server(alerts_db, tmp_path):
    app, admin, org = alerts_db["app"], alerts_db["admin"], alerts_db["org"]
    alert = add_alert(
        app,
        org.id,
        "threshold",
        ALWAYS,
        {"channels": ["email"], "recipients": ["ops@acme.example", "cmo@acme.example"]},
        name="Spend watch",
    )
    with SmtpServer() as smtp:
        run_alerts(
            app,
            settings_for(alerts_db, tmp_path, smtp_url=smtp.url),
            org.id,
            now=hour_now() + dt.timedelta(minutes=5),
            alert_ids=[alert],
        )
        [message] = smtp.inbox.wait_for(1)
    assert message["Subject"].startswith("FIRING: Spend watch — Org total")
    assert sorted(smtp.inbox.envelopes[0]) == ["cmo@acme.example", "ops@acme.example"]
    assert (
        "https://pulse.acme.example/alerts"
        in message.get_body(("plain",)).get_content()
    )
    assert message.get_body(("html",)) is not None
    assert [(d["channel"], d["ok"]) for d in deliveries(admin, alert)] == [
        ("email", True)
    ]


def test_alc005_muted_alert_changes_state_but_sends_nothing(
    alerts_db, receiver, tmp_path
):
    app, admin, org = alerts_db["app"], alerts_db["admin"], alerts_db["org"]
    alert = add_alert(
        app,
        org.id,
        "threshold",
        ALWAYS,
        {"channels": ["slack"], "slack_webhook": f"{receiver.url}/slack"},
    )
    with admin.engine.begin() as connection:
        connection.execute(
            text("UPDATE dashboard_alerts SET muted_until = :u WHERE id = :a"),
            {"u": hour_now() + dt.timedelta(days=1), "a": alert},
        )
    run_alerts(
        app,
        settings_for(alerts_db, tmp_path, webhook_allowlist="127.0.0.1"),
        org.id,
        now=hour_now() + dt.timedelta(minutes=6),
        alert_ids=[alert],
    )
    assert receiver.requests == []
    assert [(r["to_state"], r["notify_status"]) for r in history(admin, alert)] == [
        ("firing", "muted")
    ]
