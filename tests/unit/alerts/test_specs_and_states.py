"""Alert specs (the seed's JSON, errors naming the field, the registry) and the pure
state machine."""

from __future__ import annotations

import datetime as dt

import pytest

from alerts import specs
from alerts.engine import next_state
from alerts.specs import AlertSpecError, parse_alert

NOW = dt.datetime(2026, 12, 5, 9, 0)
EMAIL = {
    "channels": ["email", "slack"],
    "recipients": ["a@acme.example"],
    "slack_webhook": "https://hooks.slack.com/services/x",
}


def test_alu001_seed_shapes_are_accepted_as_written():
    threshold = parse_alert(
        "threshold",
        {"metric": "cpa", "operator": ">", "threshold": 50, "entity_type": "campaign"},
        EMAIL,
    )
    assert threshold.spec.operator == "gt" and threshold.spec.entity == "campaign"
    change = parse_alert(
        "change", {"metric": "revenue", "change_percent": -20, "period": "24h"}, EMAIL
    )
    assert change.spec.condition().operator == "change_pct_lte"
    anomaly = parse_alert(
        "anomaly", {"severity": ["high", "critical"], "metric": "conversions"}, EMAIL
    )
    assert anomaly.spec.severity == ["high", "critical"]
    forecast = parse_alert(
        "forecast",
        {"metric": "budget_depletion", "forecast_days": 7, "threshold": 90},
        EMAIL,
    )
    assert forecast.spec.forecast_days == 7


@pytest.mark.parametrize(
    ("alert_type", "condition", "notification", "field"),
    [
        (
            "threshold",
            {"metric": "cpx", "operator": ">", "threshold": 1},
            EMAIL,
            "condition.metric",
        ),
        (
            "threshold",
            {"metric": "cpa", "operator": "~", "threshold": 1},
            EMAIL,
            "condition.operator",
        ),
        (
            "threshold",
            {"metric": "cpa", "operator": ">", "threshold": 1, "window": "9y"},
            EMAIL,
            "condition.window",
        ),
        (
            "threshold",
            {
                "metric": "cpa",
                "operator": ">",
                "threshold": 50,
                "recovery_threshold": 60,
            },
            EMAIL,
            "recovery_threshold",
        ),
        (
            "threshold",
            {"metric": "cpa", "operator": ">", "threshold": 1, "colour": "red"},
            EMAIL,
            "condition.colour",
        ),
        ("change", {"metric": "revenue", "change_percent": 0}, EMAIL, "change_percent"),
        ("anomaly", {"severity": ["huge"]}, EMAIL, "condition.severity"),
        ("forecast", {"forecast_days": 0}, EMAIL, "condition.forecast_days"),
        (
            "threshold",
            {"metric": "cpa", "operator": ">", "threshold": 1},
            {"channels": ["email"]},
            "notification_config.recipients",
        ),
        (
            "threshold",
            {"metric": "cpa", "operator": ">", "threshold": 1},
            {"channels": ["webhook"]},
            "webhook_url",
        ),
        ("sometimes", {}, EMAIL, "alert_type"),
    ],
)
def test_alu002_errors_name_the_field(alert_type, condition, notification, field):
    with pytest.raises(AlertSpecError) as caught:
        parse_alert(alert_type, condition, notification)
    assert field in str(caught.value), caught.value.details


def test_alu003_registry_rejects_duplicates_and_resets():
    specs.alert_types()  # the built-in types are loaded
    held = specs.reset_registry()
    try:
        assert set(held) == {"threshold", "change", "anomaly", "forecast"}

        @specs.register("custom", specs.ThresholdSpec)
        def observe(session, org, spec, now):
            return []

        with pytest.raises(ValueError, match="registered twice"):
            specs.register("custom", specs.ThresholdSpec)(observe)
    finally:
        specs.restore_registry(held)
    assert "custom" not in specs.alert_types()


def step(state, count, met, holds, needed=2, resolved_at=None, cooldown=0):
    return next_state(
        state,
        count,
        met,
        holds,
        pending_needed=needed,
        resolved_at=resolved_at,
        cooldown=dt.timedelta(minutes=cooldown),
        now=NOW,
    )


def test_alu004_state_machine():
    assert step("ok", 0, True, True) == ("pending", 1)
    assert step("pending", 1, True, True) == ("firing", 0)
    assert step("pending", 1, False, False) == ("ok", 0)
    assert step("ok", 0, True, True, needed=1) == ("firing", 0)
    # Hysteresis: below the firing threshold but not past the recovery one.
    assert step("firing", 0, False, True) == ("firing", 0)
    assert step("firing", 0, False, False) == ("resolved", 0)
    # Cooldown after a resolution.
    recent = NOW - dt.timedelta(minutes=5)
    assert step("resolved", 0, True, True, resolved_at=recent, cooldown=30) == (
        "resolved",
        0,
    )
    assert step("resolved", 0, True, True, resolved_at=recent, cooldown=1) == (
        "pending",
        1,
    )


def test_alu005_the_benchmark_mix_is_valid():
    from bench.alerts import alert_mix

    mix = alert_mix(1000)
    kinds = [kind for kind, _ in mix]
    assert kinds.count("threshold") == 400 and kinds.count("forecast") == 200
    for kind, condition in mix:
        parse_alert(kind, condition, EMAIL)
