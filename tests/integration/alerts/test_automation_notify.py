"""The automation rules' ``notify`` action delivers through the alert channels: a
real SMTP server and a loopback webhook receiver get it, every attempt is logged with
the execution, and the timeline says it was sent."""

from __future__ import annotations

import datetime as dt
import json
from types import SimpleNamespace

from sqlalchemy import text

from commands.automation import run_automation_rules
from core.cache import make_cache
from core.models import AutomationRule
from datasources.cache import QueryCache
from datasources.sources.automation import describe_execution
from tests.conftest import make_settings
from tests.integration.alerts.conftest import campaign_id, hour_now, ingest_hours
from tests.receiver import verify_signature
from tests.smtp import SmtpServer

SECRET = "rule-secret-0123456789"


def test_aln010_notify_action_sends_email_and_signed_webhook(
    alerts_db, receiver, tmp_path
):
    app, admin, org = alerts_db["app"], alerts_db["admin"], alerts_db["org"]
    base = hour_now()
    external = ingest_hours(
        app,
        org.id,
        "Rule – Notify me",
        [(base - dt.timedelta(hours=1), {"spend": 300.0, "conversions": 1})],
    )
    cid = campaign_id(admin, org.id, external)
    with app.session(org.id) as session:
        rule = AutomationRule(
            org_id=org.id,
            name="CPA watch",
            status="active",
            condition={
                "metric": "cpa",
                "operator": ">",
                "threshold": 100,
                "window": "2h",
            },
            action={
                "type": "notify",
                "channels": ["email", "webhook"],
                "recipients": ["ops@acme.example"],
                "webhook_url": f"{receiver.url}/rules",
                "webhook_secret": SECRET,
            },
            scope={"campaign_ids": [cid]},
        )
        session.add(rule)
        session.flush()
        rule_id = rule.id
    with admin.engine.begin() as connection:  # only this test's rule runs
        connection.execute(
            text("UPDATE automation_rules SET status = 'paused' WHERE id <> :r"),
            {"r": rule_id},
        )
    with SmtpServer() as smtp:
        settings = make_settings(
            admin.url,
            smtp_url=smtp.url,
            webhook_allowlist="127.0.0.1",
            alert_retry_seconds=0,
        )
        context = SimpleNamespace(db=app, data=QueryCache(app, make_cache(settings)))
        summary = run_automation_rules(
            context, org.id, now=base + dt.timedelta(minutes=1), settings=settings
        )
        [message] = smtp.inbox.wait_for(1)
    assert summary["actions"] == 1 and summary["notified"] == 1, summary
    assert (
        "CPA watch" in message["Subject"] and "Rule – Notify me" in message["Subject"]
    )
    [request] = receiver.requests
    assert verify_signature(request, SECRET)
    payload = json.loads(request["body"])
    assert payload["event"] == "automation"
    assert payload["alert"] == {
        "id": rule_id,
        "name": "CPA watch",
        "type": "automation_rule",
    }
    assert payload["value"] == 300.0 and payload["threshold"] == 100
    with admin.engine.connect() as connection:
        execution = connection.execute(
            text("SELECT id, details FROM automation_executions WHERE rule_id = :r"),
            {"r": rule_id},
        ).one()
        attempts = connection.execute(
            text(
                "SELECT channel, ok, status_code FROM alert_deliveries "
                "WHERE execution_id = :e ORDER BY id"
            ),
            {"e": execution.id},
        ).all()
    details = execution.details
    details = json.loads(details) if isinstance(details, str) else details
    assert details["delivery"] == "sent"
    assert [(a.channel, bool(a.ok), a.status_code) for a in attempts] == [
        ("email", True, None),
        ("webhook", True, 200),
    ]
    line = describe_execution("notify", "success", "Rule – Notify me", details, None)
    assert line == "Notified ops@acme.example about Rule – Notify me (email, webhook)"
