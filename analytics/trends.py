"""Trend analysis: is a metric rising, falling, flat or erratic over the last weeks?

The slope of a least-squares line over the window (fitted together with day-of-week
effects once the window has two weeks, so a window that ends on a quiet weekend does
not read as a decline), normalised to percent of the window's mean per day,
classifies a series as ``increasing`` or ``decreasing`` when the fitted line moves by
more than ±:data:`STABLE_CHANGE_PCT` of the mean over the whole window (a 13 % drop
over four weeks is a decrease, not "stable"), else ``stable``; a series whose
residuals (after the line and the weekday pattern are removed) vary by more than
:data:`VOLATILE_CV` of its mean is ``volatile`` whatever its slope. Computed for the
org total and each platform.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
from sqlalchemy import delete
from sqlalchemy.orm import Session

from analytics.forecast import InsufficientData, linear_forecast, seasonal_forecast
from analytics.series import load_daily, metric_values
from core.metrics import resolve_metric
from core.models import TrendAnalysis

WINDOW_DAYS = 28
METRICS = ("revenue", "spend", "conversions", "roas", "cpa", "ctr")
# A line that moves less than this (percent of the mean, first day to last) is
# "stable": the word a reader would use for it.
STABLE_CHANGE_PCT = 5.0
VOLATILE_CV = 0.35
TREND_TYPES = ("increasing", "decreasing", "stable", "volatile")


def classify_trend(values: np.ndarray) -> dict | None:
    """Slope (percent of mean per day), residual CV and trend type of a daily series.

    Returns ``None`` when fewer than 7 days have a value or the mean is not positive
    (a percent slope would mean nothing).
    """
    y = np.asarray(values, dtype=float)
    valid = ~np.isnan(y)
    if valid.sum() < 7:
        return None
    mean = float(np.nanmean(y))
    if mean <= 0:
        return None
    try:
        fit = seasonal_forecast(y, 1)
    except InsufficientData:
        try:
            fit = linear_forecast(y, 1)
        except InsufficientData:
            return None
    residuals = (y - fit["fitted"])[valid]
    cv = float(np.std(residuals) / mean)
    slope_pct = fit["slope"] / mean * 100.0
    change_pct = slope_pct * (len(y) - 1)
    if cv > VOLATILE_CV:
        kind = "volatile"
    elif change_pct > STABLE_CHANGE_PCT:
        kind = "increasing"
    elif change_pct < -STABLE_CHANGE_PCT:
        kind = "decreasing"
    else:
        kind = "stable"
    return {"slope_pct_per_day": slope_pct, "residual_cv": cv, "trend_type": kind}


def compute_trends(
    session: Session, org_id: int, as_of: dt.date, window_days: int = WINDOW_DAYS
) -> int:
    """Replace the org's trend rows for ``window_days`` with fresh ones ending
    ``as_of``.

    ``slope`` is stored in percent of the window's mean per day. Returns rows written.
    """
    start = as_of - dt.timedelta(days=window_days - 1)
    entities: list[tuple[str, str | None, dict]] = []
    total = load_daily(session, start, as_of).get(None)
    if total is not None:
        entities.append(("org", None, total))
    by_platform = load_daily(session, start, as_of, by="platform")
    entities += [
        ("platform", code, series) for code, series in sorted(by_platform.items())
    ]
    session.execute(
        delete(TrendAnalysis).where(TrendAnalysis.window_days == window_days)
    )
    rows = []
    for entity_type, entity_id, series in entities:
        for name in METRICS:
            result = classify_trend(metric_values(series, resolve_metric(name)))
            if result is None or not math.isfinite(result["slope_pct_per_day"]):
                continue
            rows.append(
                TrendAnalysis(
                    org_id=org_id,
                    entity_type=entity_type,
                    entity_id=entity_id,
                    metric=name,
                    trend_type=result["trend_type"],
                    slope=round(result["slope_pct_per_day"], 6),
                    window_days=window_days,
                    window_start=start,
                    window_end=as_of,
                )
            )
    session.add_all(rows)
    return len(rows)
