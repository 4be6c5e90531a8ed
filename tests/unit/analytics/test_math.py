"""The analytics' arithmetic on synthetic series whose answer is known."""

from __future__ import annotations

import numpy as np
import pytest

from analytics.anomalies import MetricRule, episode_starts, robust_scores, severity_for
from analytics.forecast import (
    InsufficientData,
    backtest_smape,
    linear_forecast,
    seasonal_forecast,
    smape,
    t_quantile_975,
)
from analytics.series import metric_values
from analytics.trends import classify_trend
from core.metrics import resolve_metric

WEEK = np.array([10.0, 5.0, 0.0, -5.0, -10.0, 25.0, -25.0])


def weekly_series(days: int, noise: float = 2.0, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(days)
    return (
        200 + 0.5 * t + np.tile(WEEK, days // 7 + 1)[:days] + rng.normal(0, noise, days)
    )


def test_t_quantiles_match_published_tables():
    assert t_quantile_975(1) == pytest.approx(12.706, abs=1e-3)
    assert t_quantile_975(10) == pytest.approx(2.228, abs=1e-3)
    assert t_quantile_975(40) == pytest.approx(2.021, abs=1e-3)
    assert t_quantile_975(120) == pytest.approx(1.980, abs=1e-3)
    assert t_quantile_975(10**6) == pytest.approx(1.960, abs=1e-3)


def test_a_perfect_line_is_forecast_exactly_with_a_zero_width_interval():
    y = 5.0 + 2.5 * np.arange(40)
    result = linear_forecast(y, 10)
    assert result["slope"] == pytest.approx(2.5)
    assert result["intercept"] == pytest.approx(5.0)
    truth = 5.0 + 2.5 * np.arange(40, 50)
    assert result["value"] == pytest.approx(truth)
    assert result["lower"] == pytest.approx(truth) and result["upper"] == pytest.approx(
        truth
    )


def test_linear_interval_is_the_textbook_prediction_interval():
    rng = np.random.default_rng(3)
    x = np.arange(30.0)
    y = 10 + 0.8 * x + rng.normal(0, 3, 30)
    result = linear_forecast(y, 5)
    slope, intercept = np.polyfit(x, y, 1)
    residuals = y - (intercept + slope * x)
    s = np.sqrt((residuals**2).sum() / 28)
    x0 = np.arange(30.0, 35.0)
    half = (
        2.0484
        * s
        * np.sqrt(1 + 1 / 30 + (x0 - x.mean()) ** 2 / ((x - x.mean()) ** 2).sum())
    )
    assert result["value"] == pytest.approx(intercept + slope * x0)
    assert result["upper"] - result["value"] == pytest.approx(half)
    # The interval widens away from the data.
    widths = result["upper"] - result["lower"]
    assert np.all(np.diff(widths) > 0)


def test_linear_intervals_cover_about_95_percent_of_future_days():
    rng = np.random.default_rng(11)
    inside = total = 0
    for _ in range(300):
        y = 50 + 1.5 * np.arange(60) + rng.normal(0, 5, 60)
        future = 50 + 1.5 * np.arange(60, 67) + rng.normal(0, 5, 7)
        result = linear_forecast(y, 7)
        inside += int(((future >= result["lower"]) & (future <= result["upper"])).sum())
        total += 7
    assert 0.93 <= inside / total <= 0.97


def test_missing_days_are_skipped_not_read_as_zero():
    y = 3.0 * np.arange(20) + 1
    y[[4, 9, 15]] = np.nan
    result = linear_forecast(y, 2)
    assert result["slope"] == pytest.approx(3.0)
    assert result["value"] == pytest.approx([61.0, 64.0])


def test_too_short_a_history_is_refused_with_the_reason():
    with pytest.raises(InsufficientData, match="at least 3"):
        linear_forecast(np.array([1.0, 2.0]), 3)
    with pytest.raises(InsufficientData, match="at least 14"):
        seasonal_forecast(np.arange(10.0), 3)


def test_seasonal_model_recovers_the_weekday_pattern_and_trend():
    y = weekly_series(84, noise=0.0)
    result = seasonal_forecast(y, 14)
    assert result["slope"] == pytest.approx(0.5)
    assert result["weekly"] == pytest.approx(WEEK - WEEK.mean(), abs=1e-9)
    expected = 200 + 0.5 * np.arange(84, 98) + np.tile(WEEK, 2)
    assert result["value"] == pytest.approx(expected)


def test_seasonal_interval_contains_the_truth_and_is_narrower_than_linear():
    y = weekly_series(84)
    truth = 200 + 0.5 * np.arange(84, 98) + np.tile(WEEK, 2)
    seasonal, linear = seasonal_forecast(y, 14), linear_forecast(y, 14)
    assert np.all((truth >= seasonal["lower"]) & (truth <= seasonal["upper"]))
    assert np.mean(seasonal["upper"] - seasonal["lower"]) < np.mean(
        linear["upper"] - linear["lower"]
    )


def test_on_a_weekly_pattern_the_seasonal_method_backtests_better():
    y = weekly_series(90)
    seasonal = backtest_smape(y, "seasonal", 14)
    linear = backtest_smape(y, "linear", 14)
    assert seasonal is not None and linear is not None
    assert seasonal < linear / 3
    assert seasonal < 2.0


def test_smape_of_known_values_and_of_nothing():
    assert smape(np.array([100.0, 200.0]), np.array([110.0, 200.0])) == pytest.approx(
        (2 * 10 / 210) / 2 * 100
    )
    assert smape(np.array([0.0, np.nan]), np.array([0.0, 5.0])) is None
    assert backtest_smape(np.arange(10.0), "linear", 30) is None


def test_ratio_metrics_are_ratios_of_the_days_sums_with_no_value_for_zero_spend():
    sums = {
        "revenue": np.array([300.0, 0.0, 50.0]),
        "spend": np.array([100.0, 0.0, 0.0]),
    }
    values = metric_values(sums, resolve_metric("roas"))
    assert values[0] == pytest.approx(3.0)
    assert np.isnan(values[1]) and np.isnan(values[2])


def test_a_spike_is_scored_as_a_high_severity_anomaly():
    rng = np.random.default_rng(5)
    y = 1000 + rng.normal(0, 30, 60)
    y[50] = 1400
    scores = robust_scores(y, MetricRule(1.0))
    assert scores["expected"][50] == pytest.approx(1000, abs=40)
    # A 400 spike on noise of sd 30 scores about 8 robust sds: high, not yet critical.
    assert severity_for(scores["score"][50]) == "high"
    quiet = np.abs(scores["score"][28:50])
    assert np.all(quiet < 3.5)


def test_weekends_of_a_weekday_business_are_not_anomalies():
    pattern = np.array([100, 110, 110, 100, 95, 40, 40], dtype=float)
    rng = np.random.default_rng(2)
    y = np.tile(pattern, 10) * rng.lognormal(0, 0.03, 70)
    scores = robust_scores(y, MetricRule(1.0))["score"][28:]
    assert np.all(np.abs(scores) < 3.5)


def test_a_constant_history_has_no_division_by_zero():
    y = np.full(40, 100.0)
    scores = robust_scores(y, MetricRule(1.0))
    assert np.all(scores["score"][28:] == 0)
    y[35] = 150.0
    jump = robust_scores(y, MetricRule(1.0))["score"][35]
    assert np.isfinite(jump) and jump == pytest.approx(50 / 5.0)  # the 5% floor
    zeros = robust_scores(np.zeros(40), MetricRule(0.0))["score"]
    assert np.all(np.isnan(zeros[28:]))  # nothing to compare with, no verdict


def test_count_metrics_are_judged_against_poisson_noise():
    y = np.full(40, 4.0)
    y[35] = 9.0  # +5 on an expected 4: 2.5 Poisson standard deviations
    score = robust_scores(y, MetricRule(1.0, count=True))["score"][35]
    assert score == pytest.approx(2.5)
    assert severity_for(score) is None


def test_severity_thresholds():
    assert [severity_for(s) for s in (1.0, -3.6, 5.0, -7.5, 12.0)] == [
        None,
        "low",
        "medium",
        "high",
        "critical",
    ]


def test_a_lasting_shift_is_reported_once():
    scores = np.array([0.0, 5.0, 6.0, 5.5, 0.1, -4.0, -4.0, np.nan, 4.0])
    assert list(np.flatnonzero(episode_starts(scores))) == [1, 5, 8]


@pytest.mark.parametrize(
    "slope,expected", [(3.0, "increasing"), (-3.0, "decreasing"), (0.1, "stable")]
)
def test_trend_direction_from_the_slope(slope, expected):
    rng = np.random.default_rng(4)
    y = 100 + slope * np.arange(28) + rng.normal(0, 1, 28)
    result = classify_trend(y)
    assert result["trend_type"] == expected
    assert result["slope_pct_per_day"] == pytest.approx(
        slope / np.mean(y) * 100, rel=0.2
    )


@pytest.mark.parametrize("change,expected", [(-13, "decreasing"), (8, "increasing")])
def test_the_words_match_the_change_over_the_window(change, expected):
    """A 13 % fall over four weeks is a decrease (once read "stable"); under 5 %
    either way is stable."""
    y = 50 * (1 + change / 100 * np.arange(28) / 27)
    assert classify_trend(y)["trend_type"] == expected
    assert classify_trend(50 * (1 - 0.04 * np.arange(28) / 27))["trend_type"] == (
        "stable"
    )


def test_erratic_series_are_volatile_and_weekly_rhythm_is_not():
    rng = np.random.default_rng(8)
    assert classify_trend(100 * rng.lognormal(0, 0.8, 28))["trend_type"] == "volatile"
    rhythm = np.tile([100, 110, 110, 100, 95, 40, 40], 4).astype(float)
    assert classify_trend(rhythm)["trend_type"] == "stable"
    assert classify_trend(np.zeros(28)) is None
