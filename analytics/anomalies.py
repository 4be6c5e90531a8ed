"""Anomaly detection: a weekday-aware robust z-score on daily metrics.

For each day, the trailing four weeks (28 days, not including the day) give

* the *expected* value: the median of the same weekday in those four weeks, so a
  business campaign's quiet weekends are not anomalies;
* the *scale*: the deviations of the 28 days from their own weekday's median, as the
  larger of 2.37 × their median and 1.73 × their mean (both calibrated by simulation so
  that for Gaussian noise the score has unit standard deviation; the larger of the two
  keeps heavy-tailed noise and mostly-constant series from raising false alarms),
  never below a floor (5% of the expected value, a minimum per metric, and for counts
  the Poisson standard deviation ``sqrt(expected)``). The floor keeps a constant
  history from dividing by zero.

``score = (observed - expected) / scale``; |score| sets the severity. Metrics driven by
conversions (conversions, revenue, ROAS) are only judged while the trailing median is
at least :data:`MIN_DAILY_CONVERSIONS` a day: below that a day with one sale is noise.
Only the first day of a run of anomalous days in one direction is reported (a lasting
level shift, such as a campaign launch lifting its platform, is one event, not one per
day). Days
before an entity's first delivery have no value. Detection runs per campaign and per
platform; results are upserted on (entity, metric, day) so re-runs never duplicate a
row and never touch a status a user set.
"""

from __future__ import annotations

import datetime as dt
import warnings
from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from analytics.series import day_range, load_daily, metric_values
from core.metrics import resolve_metric
from core.models import Anomaly, Campaign, utcnow

WINDOW = 28
SEASON = 7
MIN_HISTORY = 14
SCAN_DAYS = 90
MAD_SCALE = 2.37
MEAN_AD_SCALE = 1.73
# Lower bounds of |score| per severity, highest first.
SEVERITY_THRESHOLDS = (("critical", 10.0), ("high", 7.0), ("medium", 5.0), ("low", 3.5))
SEVERITIES = ("low", "medium", "high", "critical")
STATUSES = ("new", "acknowledged", "resolved")


@dataclass(frozen=True)
class MetricRule:
    """How a metric's scale is floored: ``absolute`` minimum, and Poisson for counts."""

    absolute: float
    count: bool = False
    relative: float = 0.05
    needs_conversions: bool = False


RULES: dict[str, MetricRule] = {
    "spend": MetricRule(1.0),
    "revenue": MetricRule(1.0, needs_conversions=True),
    "conversions": MetricRule(1.0, count=True, needs_conversions=True),
    "roas": MetricRule(0.01, needs_conversions=True),
}
MIN_DAILY_CONVERSIONS = 3.0


def severity_for(score: float) -> str | None:
    """The severity of a robust z-score, or ``None`` below the lowest threshold."""
    magnitude = abs(score)
    for name, threshold in SEVERITY_THRESHOLDS:
        if magnitude >= threshold:
            return name
    return None


def robust_scores(
    values: np.ndarray,
    rule: MetricRule = MetricRule(0.0),
    window: int = WINDOW,
    min_history: int = MIN_HISTORY,
) -> dict[str, np.ndarray]:
    """Expected value, scale and score of every day of ``values`` (NaN = no value).

    Days without a full trailing ``window`` (a whole number of weeks), with fewer than
    ``min_history`` valid days in it, or without a value themselves get NaN.
    """
    if window % SEASON:
        raise ValueError(f"the window must be whole weeks, got {window} days")
    y = np.asarray(values, dtype=float)
    n = len(y)
    expected = np.full(n, np.nan)
    scale = np.full(n, np.nan)
    if n <= window:
        return {"expected": expected, "scale": scale, "score": np.full(n, np.nan)}
    # windows[i] holds the `window` days before day i + window, in weeks x weekdays;
    # column 0 is always the target day's weekday.
    windows = sliding_window_view(y[:-1], window).reshape(-1, window // SEASON, SEASON)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN slices give NaN
        level = np.nanmedian(windows.reshape(len(windows), -1), axis=1)
        weekday = np.nanmedian(windows, axis=1)
        seen = (~np.isnan(windows)).sum(axis=1)
        weekday = np.where(seen >= 2, weekday, level[:, None])
        deviation = np.abs(windows - weekday[:, None, :]).reshape(len(windows), -1)
        spread = np.fmax(
            MAD_SCALE * np.nanmedian(deviation, axis=1),
            MEAN_AD_SCALE * np.nanmean(deviation, axis=1),
        )
    valid = (~np.isnan(windows)).reshape(len(windows), -1).sum(axis=1) >= min_history
    centre = np.where(valid, weekday[:, 0], np.nan)
    floor = np.maximum(rule.relative * np.abs(centre), rule.absolute)
    if rule.count:
        floor = np.maximum(floor, np.sqrt(np.maximum(centre, 1.0)))
    spread = np.fmax(spread, floor)
    spread = np.where(spread > 0, spread, np.nan)
    expected[window:] = centre
    scale[window:] = np.where(valid, spread, np.nan)
    with np.errstate(invalid="ignore"):
        score = (y - expected) / scale
    return {"expected": expected, "scale": scale, "score": score}


def trailing_median(values: np.ndarray, window: int = WINDOW) -> np.ndarray:
    """Median of the ``window`` days before each day (NaN for the first ``window``)."""
    y = np.asarray(values, dtype=float)
    out = np.full(len(y), np.nan)
    if len(y) > window:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            out[window:] = np.nanmedian(sliding_window_view(y[:-1], window), axis=1)
    return out


# --------------------------------------------------------------------- stored anomalies
def _campaign_mask(
    campaign: Campaign, days: list[dt.date], rows: np.ndarray
) -> np.ndarray:
    """Days on which a campaign's figures mean something: inside its flight, and for
    a campaign that is no longer active only days it delivered (its stop is no
    anomaly)."""
    mask = np.array(
        [
            d >= campaign.start_date
            and (campaign.end_date is None or d <= campaign.end_date)
            for d in days
        ]
    )
    if campaign.status != "active":
        mask &= rows > 0
    return mask


def episode_starts(scores: np.ndarray) -> np.ndarray:
    """Days whose score is anomalous (|score| at least the lowest threshold) while the
    day before was not anomalous in the same direction."""
    threshold = SEVERITY_THRESHOLDS[-1][1]
    with np.errstate(invalid="ignore"):
        direction = np.where(
            scores >= threshold, 1, np.where(scores <= -threshold, -1, 0)
        )
    previous = np.concatenate([[0], direction[:-1]])
    return (direction != 0) & (direction != previous)


def _detections(
    series: dict, days: list[dt.date], scan_from: int, mask: np.ndarray | None
) -> list[dict]:
    found = []
    started = series["rows"] > 0
    delivering = np.cumsum(started) > 0  # from the first day with facts on
    keep = delivering if mask is None else delivering & mask
    volume = trailing_median(np.where(keep, series["conversions"], np.nan))
    with np.errstate(invalid="ignore"):
        enough_conversions = volume >= MIN_DAILY_CONVERSIONS
    for name, rule in RULES.items():
        values = np.where(keep, metric_values(series, resolve_metric(name)), np.nan)
        scores = robust_scores(values, rule)
        if rule.needs_conversions:
            scores["score"] = np.where(enough_conversions, scores["score"], np.nan)
        starts = episode_starts(scores["score"])
        for i in range(scan_from, len(days)):
            score = scores["score"][i]
            if not starts[i]:
                continue
            severity = severity_for(score)
            if severity:
                found.append(
                    {
                        "metric": name,
                        "day": days[i],
                        "observed": float(values[i]),
                        "expected": float(scores["expected"][i]),
                        "score": round(float(score), 4),
                        "severity": severity,
                    }
                )
    return found


def detect_anomalies(
    session: Session, org_id: int, as_of: dt.date, scan_days: int = SCAN_DAYS
) -> dict[str, int]:
    """Detect anomalies on the ``scan_days`` days up to ``as_of`` and store them.

    New (entity, metric, day) keys are inserted as ``new``; existing ones get their
    figures refreshed and keep their status; ``new`` ones no longer detected (the data
    was corrected) are removed. Returns counts ``{"detected", "new", "removed"}``.
    """
    start = as_of - dt.timedelta(days=scan_days + WINDOW - 1)
    days = day_range(start, as_of)
    scan_from = WINDOW
    campaigns = {c.id: c for c in session.scalars(select(Campaign))}
    found: list[dict] = []
    for cid, series in load_daily(session, start, as_of, by="campaign").items():
        campaign = campaigns.get(cid)
        if campaign is None:
            continue
        mask = _campaign_mask(campaign, days, series["rows"])
        found += [
            {
                **d,
                "entity_key": f"campaign:{cid}",
                "campaign_id": cid,
                "platform": campaign.platform,
            }
            for d in _detections(series, days, scan_from, mask)
        ]
    for code, series in load_daily(session, start, as_of, by="platform").items():
        found += [
            {
                **d,
                "entity_key": f"platform:{code}",
                "campaign_id": None,
                "platform": code,
            }
            for d in _detections(series, days, scan_from, None)
        ]
    return _store(session, org_id, found, days[scan_from], as_of)


def _store(
    session: Session, org_id: int, found: list[dict], first: dt.date, last: dt.date
) -> dict[str, int]:
    existing = {
        (a.entity_key, a.metric, a.day): a
        for a in session.scalars(
            select(Anomaly).where(Anomaly.day.between(first, last))
        )
    }
    fresh = []
    for item in found:
        row = existing.pop((item["entity_key"], item["metric"], item["day"]), None)
        if row is None:
            fresh.append(
                {**item, "org_id": org_id, "status": "new", "detected_at": utcnow()}
            )
            continue
        for field in ("observed", "expected", "score", "severity"):
            if getattr(row, field) != item[field]:
                setattr(row, field, item[field])
    stale = [a.id for a in existing.values() if a.status == "new"]
    if stale:
        session.execute(delete(Anomaly).where(Anomaly.id.in_(stale)))
    if fresh:
        dialect = (
            postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
        )
        statement = dialect.insert(Anomaly).on_conflict_do_nothing(
            index_elements=["org_id", "entity_key", "metric", "day"]
        )
        session.execute(statement, fresh)
    return {"detected": len(found), "new": len(fresh), "removed": len(stale)}


def anomaly_dict(anomaly: Anomaly) -> dict:
    """An anomaly as JSON-able data."""

    def stamp(value: dt.datetime | None) -> str | None:
        return value.isoformat() if value else None

    return {
        "id": anomaly.id,
        "entity_key": anomaly.entity_key,
        "campaign_id": anomaly.campaign_id,
        "platform": anomaly.platform,
        "metric": anomaly.metric,
        "day": anomaly.day.isoformat(),
        "observed": anomaly.observed,
        "expected": anomaly.expected,
        "score": anomaly.score,
        "severity": anomaly.severity,
        "status": anomaly.status,
        "detected_at": stamp(anomaly.detected_at),
        "acknowledged_by": anomaly.acknowledged_by,
        "acknowledged_at": stamp(anomaly.acknowledged_at),
        "resolved_at": stamp(anomaly.resolved_at),
    }
