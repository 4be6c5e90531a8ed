"""Forecasts of a daily metric: linear regression and a weekly-seasonal model.

The numerical core is pure numpy on plain arrays (one value per consecutive day, NaN
where a day has no value, e.g. a ratio with a zero denominator):

* :func:`linear_forecast` fits ``y = a + b·t`` by least squares and gives the 95%
  prediction interval ``ŷ ± t(0.975, n-2)·s·sqrt(1 + 1/n + (t0 - t̄)²/Sxx)``;
* :func:`seasonal_forecast` fits a linear trend plus day-of-week effects (additive,
  period 7) and gives the general OLS prediction interval
  ``ŷ ± t(0.975, n-p)·s·sqrt(1 + x0ᵀ(XᵀX)⁻¹x0)``, the same formula in matrix form;
* :func:`backtest_smape` scores a method by rolling-origin backtesting (train on the
  past, forecast the next days, compare) as a symmetric MAPE in percent.

:func:`forecast_metric` reads an org's daily series from the database and runs them.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from typing import Literal

import numpy as np
from sqlalchemy.orm import Session

from analytics.series import (
    day_range,
    last_complete_day,
    load_daily,
    metric_values,
    parse_entity,
)
from core.filters import Filters, OrgContext
from core.metrics import resolve_metric

Method = Literal["linear", "seasonal"]
METHODS: tuple[str, ...] = ("linear", "seasonal")
SEASON = 7
HISTORY_DAYS = 90
# Two-sided 95% quantiles of Student's t for 1..30 degrees of freedom.
_T975 = (
    12.7062,
    4.3027,
    3.1824,
    2.7764,
    2.5706,
    2.4469,
    2.3646,
    2.3060,
    2.2622,
    2.2281,
    2.2010,
    2.1788,
    2.1604,
    2.1448,
    2.1314,
    2.1199,
    2.1098,
    2.1009,
    2.0930,
    2.0860,
    2.0796,
    2.0739,
    2.0687,
    2.0639,
    2.0595,
    2.0555,
    2.0518,
    2.0484,
    2.0452,
    2.0423,
)
_Z975 = 1.959963984540054


class InsufficientData(ValueError):
    """Too few valid days to fit the model (the message says how many are needed)."""


def t_quantile_975(df: int) -> float:
    """The 0.975 quantile of Student's t with ``df`` degrees of freedom.

    Exact table values up to 30; above, the Cornish-Fisher expansion around the normal
    quantile, accurate to better than 1e-4 there.
    """
    if df < 1:
        raise ValueError("degrees of freedom must be at least 1")
    if df <= len(_T975):
        return _T975[df - 1]
    z = _Z975
    return (
        z
        + (z**3 + z) / (4 * df)
        + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2)
        + (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / (384 * df**3)
    )


def _valid(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions (day offsets) and values of the non-NaN days of ``y``."""
    y = np.asarray(y, dtype=float)
    mask = ~np.isnan(y)
    return np.arange(len(y), dtype=float)[mask], y[mask]


def linear_forecast(y: np.ndarray, horizon: int) -> dict[str, np.ndarray | float]:
    """Least-squares line through ``y`` (day t = 0..n-1), extended ``horizon`` days.

    Returns ``value``/``lower``/``upper`` arrays for days n..n+horizon-1 (95% prediction
    interval), the in-sample ``fitted`` values, ``slope``, ``intercept`` and ``sigma``
    (residual standard error).

    Raises:
        InsufficientData: fewer than 3 valid days (no residual degree of freedom).
    """
    x, values = _valid(y)
    n = len(values)
    if n < 3:
        raise InsufficientData(
            f"a linear forecast needs at least 3 days with a value, got {n}"
        )
    xbar = x.mean()
    sxx = float(((x - xbar) ** 2).sum())
    slope = float(((x - xbar) * (values - values.mean())).sum() / sxx)
    intercept = float(values.mean() - slope * xbar)
    residuals = values - (intercept + slope * x)
    sigma = math.sqrt(float((residuals**2).sum()) / (n - 2))
    future = np.arange(len(y), len(y) + horizon, dtype=float)
    value = intercept + slope * future
    half = (
        t_quantile_975(n - 2) * sigma * np.sqrt(1 + 1 / n + (future - xbar) ** 2 / sxx)
    )
    return {
        "value": value,
        "lower": value - half,
        "upper": value + half,
        "fitted": intercept + slope * np.arange(len(y), dtype=float),
        "slope": slope,
        "intercept": intercept,
        "sigma": sigma,
    }


def _seasonal_design(t: np.ndarray) -> np.ndarray:
    """Columns: intercept, trend, and one indicator per weekday position 1..6
    (position 0 is the baseline), positions counted from the first day of the
    series."""
    position = t.astype(int) % SEASON
    dummies = (position[:, None] == np.arange(1, SEASON)[None, :]).astype(float)
    return np.column_stack([np.ones_like(t), t, dummies])


def seasonal_forecast(y: np.ndarray, horizon: int) -> dict[str, np.ndarray | float]:
    """Linear trend plus additive day-of-week effects, extended ``horizon`` days.

    Same result keys as :func:`linear_forecast` plus ``weekly`` (the seven effects by
    position, mean zero).

    Raises:
        InsufficientData: fewer than 14 valid days (two weeks) or a weekday never seen.
    """
    x, values = _valid(y)
    n = len(values)
    if n < 2 * SEASON:
        raise InsufficientData(
            f"a seasonal forecast needs at least {2 * SEASON} days with a "
            f"value, got {n}"
        )
    design = _seasonal_design(x)
    p = design.shape[1]
    xtx_inv = np.linalg.pinv(design.T @ design)
    if np.linalg.matrix_rank(design) < p:
        raise InsufficientData("a seasonal forecast needs every weekday at least once")
    beta = xtx_inv @ design.T @ values
    residuals = values - design @ beta
    sigma = math.sqrt(float((residuals**2).sum()) / (n - p))
    future_t = np.arange(len(y), len(y) + horizon, dtype=float)
    future = _seasonal_design(future_t)
    value = future @ beta
    leverage = np.einsum("ij,jk,ik->i", future, xtx_inv, future)
    half = t_quantile_975(n - p) * sigma * np.sqrt(1 + leverage)
    effects = np.concatenate([[0.0], beta[2:]])
    return {
        "value": value,
        "lower": value - half,
        "upper": value + half,
        "fitted": _seasonal_design(np.arange(len(y), dtype=float)) @ beta,
        "slope": float(beta[1]),
        "intercept": float(beta[0]),
        "sigma": sigma,
        "weekly": effects - effects.mean(),
    }


FORECASTERS: dict[str, Callable[[np.ndarray, int], dict]] = {
    "linear": linear_forecast,
    "seasonal": seasonal_forecast,
}


def smape(actual: np.ndarray, predicted: np.ndarray) -> float | None:
    """Symmetric MAPE in percent, ``mean(2|F-A| / (|F|+|A|))·100`` over the days where
    the actual value exists and not both are 0; ``None`` if no such day."""
    actual = np.asarray(actual, dtype=float)
    predicted = np.asarray(predicted, dtype=float)
    denominator = np.abs(actual) + np.abs(predicted)
    keep = ~np.isnan(actual) & ~np.isnan(predicted) & (denominator > 0)
    if not keep.any():
        return None
    return float(
        np.mean(2 * np.abs(predicted[keep] - actual[keep]) / denominator[keep]) * 100
    )


def backtest_smape(
    y: np.ndarray, method: str, horizon: int, *, folds: int = 4, min_train: int = 28
) -> float | None:
    """Rolling-origin backtest: sMAPE (percent) of ``method`` over up to ``folds``
    origins.

    The test horizon is ``min(horizon, n // 3)`` days; origins step back a week at a
    time from the end, so the folds see every weekday. Each fold trains only on the days
    before its origin. ``None`` when not even one fold has ``min_train`` training days.
    """
    y = np.asarray(y, dtype=float)
    n = len(y)
    test_days = max(1, min(horizon, n // 3))
    actual_parts, predicted_parts = [], []
    for fold in range(folds):
        origin = n - test_days - fold * SEASON
        if origin < min_train:
            break
        try:
            result = FORECASTERS[method](y[:origin], test_days)
        except InsufficientData:
            continue
        actual_parts.append(y[origin : origin + test_days])
        predicted_parts.append(result["value"])
    if not actual_parts:
        return None
    return smape(np.concatenate(actual_parts), np.concatenate(predicted_parts))


def forecast_series(
    y: np.ndarray, horizon: int, method: str, *, floor: float | None = 0.0
) -> dict:
    """Fit ``method`` to ``y``, forecast ``horizon`` days and backtest it.

    ``floor`` clips forecasts and bounds from below (metrics here are never negative).
    Returns arrays ``value``/``lower``/``upper``, ``slope``, ``sigma`` and ``smape``.
    """
    result = FORECASTERS[method](y, horizon)
    clip = (lambda a: np.maximum(a, floor)) if floor is not None else (lambda a: a)
    return {
        "value": clip(result["value"]),
        "lower": clip(result["lower"]),
        "upper": clip(result["upper"]),
        "slope": result["slope"],
        "sigma": result["sigma"],
        "smape": backtest_smape(y, method, horizon),
    }


def _number(value: float) -> float | None:
    return None if value is None or not math.isfinite(value) else round(float(value), 6)


def forecast_metric(
    session: Session,
    org: OrgContext,
    metric: str,
    horizon_days: int,
    method: str,
    *,
    entity: str | None = None,
    filters: Filters | None = None,
    as_of: dt.date | None = None,
    history_days: int = HISTORY_DAYS,
) -> dict:
    """Forecast an org's daily ``metric`` from its last ``history_days`` complete days.

    Args:
        session: an org-scoped session.
        org: the org (its time zone sets the days).
        metric: a metric name (ratios are ratios of each day's sums).
        horizon_days: days to forecast after ``as_of``.
        method: ``"linear"`` or ``"seasonal"``.
        entity: ``None``/``"org"`` for the org total, ``"platform:<code>"`` or
            ``"campaign:<id>"``.
        filters: platform/campaign filters (the history's date range is always the
            ``history_days`` before ``as_of``).
        as_of: last day of history; defaults to the org's last complete day.

    Returns:
        ``{"metric", "method", "entity", "as_of", "horizon_days", "history": [{date,
        value}], "points": [{date, value, lower, upper}], "accuracy_smape", "slope",
        "sigma", "note"}``; ``points`` is empty (with a ``note``) when there is too
        little history.
    """
    definition = resolve_metric(metric)
    if method not in FORECASTERS:
        raise ValueError(
            f"unknown forecast method {method!r}; expected one of {METHODS}"
        )
    as_of = as_of or last_complete_day(session, org.timezone)
    base = {
        "metric": definition.name,
        "method": method,
        "entity": entity or "org",
        "horizon_days": horizon_days,
        "as_of": as_of.isoformat() if as_of else None,
        "history": [],
        "points": [],
        "accuracy_smape": None,
        "slope": None,
        "sigma": None,
        "note": None,
    }
    if as_of is None:
        return {**base, "note": "no data yet"}
    start = as_of - dt.timedelta(days=history_days - 1)
    scope = parse_entity(entity, filters or Filters())
    sums = load_daily(session, start, as_of, scope).get(None)
    if sums is None:
        return {**base, "note": f"no data in the last {history_days} days"}
    # Days before the first delivery are "not yet started", not zeros.
    first = int(np.argmax(sums["rows"] > 0))
    values = metric_values(sums, definition)[first:]
    days = day_range(start, as_of)[first:]
    history = [
        {"date": d.isoformat(), "value": _number(v)}
        for d, v in zip(days, values, strict=True)
    ]
    try:
        result = forecast_series(values, horizon_days, method)
    except InsufficientData as exc:
        return {**base, "history": history, "note": str(exc)}
    future = [as_of + dt.timedelta(days=i + 1) for i in range(horizon_days)]
    points = [
        {
            "date": d.isoformat(),
            "value": _number(v),
            "lower": _number(lo),
            "upper": _number(hi),
        }
        for d, v, lo, hi in zip(
            future, result["value"], result["lower"], result["upper"], strict=True
        )
    ]
    return {
        **base,
        "history": history,
        "points": points,
        "accuracy_smape": _number(result["smape"])
        if result["smape"] is not None
        else None,
        "slope": _number(result["slope"]),
        "sigma": _number(result["sigma"]),
    }
