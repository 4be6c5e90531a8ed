"""The shared condition evaluator: operators, "no value", windows and clear errors."""

from __future__ import annotations

import datetime as dt

import pytest

from automation.conditions import (
    CompoundCondition,
    Condition,
    ConditionError,
    evaluate,
    evaluate_tree,
    evaluation_window,
    parse_condition,
)
from automation.rules import RuleError, parse_rule

SUMS = {
    "impressions": 10_000,
    "clicks": 200,
    "conversions": 10,
    "spend": 500.0,
    "revenue": 1500.0,
}


def cond(**fields) -> Condition:
    return parse_condition(
        {"threshold": 0, "operator": "gt", "metric": "spend", **fields}
    )


@pytest.mark.parametrize(
    "operator,threshold,met",
    [
        ("gt", 49.99, True),
        ("gt", 50, False),
        ("gte", 50, True),
        ("gte", 50.01, False),
        ("lt", 50.01, True),
        ("lt", 50, False),
        ("lte", 50, True),
        ("lte", 49.99, False),
        ("eq", 50, True),
        ("eq", 50.5, False),
        (">", 49, True),
        (">=", 50, True),
        ("<", 51, True),
        ("<=", 50, True),
        ("==", 50, True),
    ],
)
def test_each_comparison_operator_compares_the_ratio_of_sums(operator, threshold, met):
    # CPA = spend / conversions = 500 / 10 = 50.
    result = evaluate(cond(metric="cpa", operator=operator, threshold=threshold), SUMS)
    assert result.met is met
    assert result.value == pytest.approx(50.0)
    assert ("met" if met else "not met") in result.reason


@pytest.mark.parametrize(
    "operator,threshold,met",
    [
        ("change_pct_gt", 99, True),
        ("change_pct_gt", 100, False),
        ("change_pct_gte", 100, True),
        ("change_pct_lt", 101, True),
        ("change_pct_lte", 100, True),
        ("change_pct_lt", 100, False),
    ],
)
def test_change_operators_compare_percent_change_with_previous_window(
    operator, threshold, met
):
    result = evaluate(
        cond(metric="spend", operator=operator, threshold=threshold),
        SUMS,
        {**SUMS, "spend": 250.0},
    )
    assert result.value == pytest.approx(100.0)
    assert result.met is met


def test_seed_shorthand_metric_change_pct_means_a_change_condition():
    condition = parse_condition(
        {
            "metric": "conversions_change_pct",
            "operator": "<",
            "threshold": -40,
            "window": "1d",
        }
    )
    assert (condition.metric, condition.operator) == ("conversions", "change_pct_lt")
    dropped = evaluate(
        condition, {**SUMS, "conversions": 5}, {**SUMS, "conversions": 10}
    )
    assert dropped.met and dropped.value == pytest.approx(-50.0)
    assert not evaluate(
        condition, {**SUMS, "conversions": 7}, {**SUMS, "conversions": 10}
    ).met


def test_metric_aliases_resolve_to_the_canonical_metric():
    assert cond(metric="total_spend").metric == "spend"
    assert cond(metric="cvr").metric == "conversion_rate"


@pytest.mark.parametrize("operator", ["gt", "gte", "lt", "lte", "eq"])
def test_no_value_never_satisfies_a_condition(operator):
    # No conversions: CPA has no value, whatever the threshold and operator.
    no_conversions = {**SUMS, "conversions": 0}
    for threshold in (-1e9, 0, 1e9):
        result = evaluate(
            cond(metric="cpa", operator=operator, threshold=threshold), no_conversions
        )
        assert result.met is False and result.value is None
        assert "no value" in result.reason


def test_change_without_a_previous_figure_is_not_met():
    condition = cond(metric="spend", operator="change_pct_gt", threshold=-1e9)
    assert evaluate(condition, SUMS, None).value is None
    assert not evaluate(condition, SUMS, None).met
    assert not evaluate(condition, SUMS, {**SUMS, "spend": 0}).met


def test_min_spend_guard_keeps_thin_data_from_being_judged():
    condition = parse_condition(
        {
            "metric": "conversions",
            "operator": "==",
            "threshold": 0,
            "window": "3d",
            "min_spend": 500,
        }
    )
    assert not evaluate(condition, {**SUMS, "conversions": 0, "spend": 499.99}).met
    assert (
        "below min_spend"
        in evaluate(condition, {**SUMS, "conversions": 0, "spend": 10}).reason
    )
    assert evaluate(condition, {**SUMS, "conversions": 0, "spend": 500}).met


def test_budget_utilization_uses_the_budget_the_caller_supplies():
    condition = cond(metric="budget_utilization", operator="gt", threshold=0.9)
    assert evaluate(condition, {**SUMS, "budget": 520.0}).met
    assert evaluate(condition, {**SUMS, "budget": 0.0}).value is None


def test_compound_all_and_any():
    compound = parse_condition(
        {
            "all": [
                {"metric": "cpa", "operator": ">", "threshold": 40},
                {
                    "any": [
                        {"metric": "roas", "operator": "<", "threshold": 1},
                        {"metric": "ctr", "operator": ">", "threshold": 0.01},
                    ]
                },
            ]
        }
    )
    assert isinstance(compound, CompoundCondition)
    result = evaluate_tree(compound, lambda leaf: (SUMS, None))
    assert result.met and result.value == pytest.approx(50.0) and len(result.parts) == 2
    stricter = parse_condition(
        {
            "all": [
                {"metric": "cpa", "operator": ">", "threshold": 60},
                {"metric": "roas", "operator": ">", "threshold": 1},
            ]
        }
    )
    assert not evaluate_tree(stricter, lambda leaf: (SUMS, None)).met
    either = parse_condition(
        {
            "any": [
                {"metric": "cpa", "operator": ">", "threshold": 60},
                {"metric": "roas", "operator": ">", "threshold": 1},
            ]
        }
    )
    assert evaluate_tree(either, lambda leaf: (SUMS, None)).met


@pytest.mark.parametrize(
    "raw,field",
    [
        ({"metric": "cpx", "operator": ">", "threshold": 1}, "condition.metric"),
        ({"metric": "cpa", "operator": "~", "threshold": 1}, "condition.operator"),
        ({"metric": "cpa", "operator": ">"}, "condition.threshold"),
        (
            {"metric": "cpa", "operator": ">", "threshold": "lots"},
            "condition.threshold",
        ),
        (
            {"metric": "cpa", "operator": ">", "threshold": 1, "window": "7w"},
            "condition.window",
        ),
        (
            {"metric": "cpa", "operator": ">", "threshold": 1, "window": "0d"},
            "condition.window",
        ),
        (
            {"metric": "cpa", "operator": ">", "threshold": 1, "min_spend": -5},
            "condition.min_spend",
        ),
        (
            {"metric": "cpa", "operator": ">", "threshold": 1, "colour": "red"},
            "condition.colour",
        ),
        (
            {"metric": "cpa_change_pct", "operator": "==", "threshold": 1},
            "condition.operator",
        ),
        ({"all": []}, "condition.all"),
        (
            {"any": [{"metric": "cpx", "operator": ">", "threshold": 1}]},
            "condition.any.0.metric",
        ),
        ([1, 2], "condition"),
    ],
)
def test_bad_condition_json_names_the_field(raw, field):
    with pytest.raises(ConditionError) as error:
        parse_condition(raw)
    assert str(error.value).startswith(f"{field}:"), str(error.value)


def test_bad_rule_json_names_every_bad_field():
    with pytest.raises(RuleError) as error:
        parse_rule(
            {"metric": "cpa", "operator": ">"},
            {"type": "budget_adjust", "percent": -150},
            {"platforms": ["myspace"]},
        )
    details = error.value.details
    assert details[0].startswith("condition.threshold:")
    assert any(d.startswith("action.percent:") for d in details)
    assert any(d.startswith("scope.platforms:") and "myspace" in d for d in details)
    for action, field in [
        ({}, "action.type"),
        ({"type": "explode"}, "action"),
        ({"type": "budget_adjust", "percent": 0}, "action.percent"),
        ({"type": "notify", "channels": ["pigeon"]}, "action.channels.0"),
    ]:
        with pytest.raises(RuleError) as error:
            parse_rule({"metric": "cpa", "operator": ">", "threshold": 1}, action, {})
        assert str(error.value).startswith(f"{field}:"), str(error.value)


def test_day_windows_are_complete_org_local_days_before_today():
    # 03:00 UTC on 1 May is still 30 April in New York.
    now = dt.datetime(2024, 5, 1, 3, 30)
    window = evaluation_window(cond(window="7d"), "America/New_York", now)
    assert (window.start, window.end) == (dt.date(2024, 4, 23), dt.date(2024, 4, 30))
    assert (window.previous_start, window.previous_end) == (
        dt.date(2024, 4, 16),
        dt.date(2024, 4, 23),
    )
    running = evaluation_window(
        cond(window="1d", include_current=True), "America/New_York", now
    )
    assert (running.start, running.end) == (dt.date(2024, 4, 30), dt.date(2024, 5, 1))


def test_hour_windows_are_complete_utc_hours():
    window = evaluation_window(
        cond(window="24h"), "Europe/Berlin", dt.datetime(2024, 5, 1, 10, 45)
    )
    assert (window.start, window.end) == (
        dt.datetime(2024, 4, 30, 10),
        dt.datetime(2024, 5, 1, 10),
    )
    assert window.previous_start == dt.datetime(2024, 4, 29, 10)


def test_a_notify_execution_never_claims_it_was_sent():
    from datasources.sources.automation import describe_execution

    line = describe_execution(
        "notify",
        "success",
        "Meta – Spring Sale",
        {"channels": ["email"], "recipients": ["ops@acme.example"]},
        None,
    )
    assert line.startswith("Notification for ops@acme.example about Meta – Spring Sale")
    assert "not sent" in line and "Notified" not in line
