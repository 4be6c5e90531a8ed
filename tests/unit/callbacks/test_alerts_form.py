"""The alerts form's fields become valid alert JSON for every type."""

from __future__ import annotations

import pytest

from alerts.specs import parse_alert
from callbacks.alerts import condition_from_form, notification_from_form

NOTIFY = {"channels": ["email"], "recipients": ["a@acme.example"]}


@pytest.mark.parametrize(
    ("alert_type", "expected"),
    [
        (
            "threshold",
            {
                "metric": "cpa",
                "operator": ">",
                "threshold": 50,
                "window": "7d",
                "entity_type": "campaign",
                "platforms": ["meta"],
                "pending_evaluations": 2,
                "recovery_threshold": 45,
            },
        ),
        (
            "change",
            {
                "metric": "cpa",
                "change_percent": 50,
                "period": "7d",
                "entity_type": "campaign",
                "platforms": ["meta"],
                "pending_evaluations": 2,
                "recovery_change_percent": 45,
            },
        ),
        (
            "anomaly",
            {
                "severity": ["high", "critical"],
                "entity_type": "campaign",
                "pending_evaluations": 2,
            },
        ),
        (
            "forecast",
            {
                "metric": "budget_depletion",
                "forecast_days": 7,
                "threshold": 50,
                "platforms": ["meta"],
                "pending_evaluations": 2,
                "recovery_threshold": 45,
            },
        ),
    ],
)
def test_alf001_form_fields_make_valid_conditions(alert_type, expected):
    condition = condition_from_form(
        alert_type, "cpa", ">", 50, "7d", "campaign", ["meta"], 2, 45
    )
    assert condition == expected
    parse_alert(alert_type, condition, NOTIFY)


def test_alf002_notification_fields():
    assert notification_from_form(
        ["email", "slack"],
        "a@acme.example, b@acme.example\nc@acme.example",
        " https://hooks.slack.com/x ",
        "",
    ) == {
        "channels": ["email", "slack"],
        "recipients": ["a@acme.example", "b@acme.example", "c@acme.example"],
        "slack_webhook": "https://hooks.slack.com/x",
    }
