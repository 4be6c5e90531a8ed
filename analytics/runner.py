"""Run every analytic for one org and store the results.

Each step runs in its own org-scoped transaction (a failing step leaves the others'
results in place and the job records the error). The org's analytics refresh-queue row
is cleared at the end, so the after-ingest job does not run again for the same data.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import delete

from analytics.anomalies import detect_anomalies
from analytics.forecast import METHODS, forecast_metric
from analytics.recommendations import generate_recommendations
from analytics.series import last_complete_day, org_context
from analytics.trends import compute_trends
from core.db import Database
from core.models import AnalyticsRefresh, Forecast

FORECAST_METRICS = ("revenue", "spend", "conversions", "roas")
FORECAST_HORIZON = 30


def store_forecasts(session, org, as_of: dt.date) -> int:
    """Replace the org-level forecasts (every metric × method) with fresh ones.

    The history the model saw is kept in ``params`` so the data source can draw the
    chart from the stored row alone.
    """
    session.execute(delete(Forecast).where(Forecast.entity_type == "org"))
    written = 0
    for metric in FORECAST_METRICS:
        for method in METHODS:
            result = forecast_metric(
                session, org, metric, FORECAST_HORIZON, method, as_of=as_of
            )
            if not result["points"]:
                continue
            session.add(
                Forecast(
                    org_id=org.id,
                    entity_type="org",
                    entity_id=None,
                    metric=metric,
                    forecast_type=method,
                    horizon_days=FORECAST_HORIZON,
                    points=result["points"],
                    accuracy_mape=result["accuracy_smape"],
                    params={
                        "as_of": result["as_of"],
                        "history": result["history"],
                        "accuracy": "smape",
                        "slope": result["slope"],
                        "sigma": result["sigma"],
                        "interval": 0.95,
                    },
                )
            )
            written += 1
    return written


def run_analytics(
    db: Database, org_id: int, now: dt.datetime | None = None
) -> dict[str, Any]:
    """Forecasts, anomalies, trends and recommendations for ``org_id``.

    Returns a JSON-able summary: the ``as_of`` day and counts per analytic.
    """
    with db.session(org_id) as session:
        org = org_context(session, org_id)
        as_of = last_complete_day(session, org.timezone, now)
    summary: dict[str, Any] = {"as_of": as_of.isoformat() if as_of else None}
    if as_of is not None:
        with db.session(org_id) as session:
            summary["forecasts"] = store_forecasts(session, org, as_of)
        with db.session(org_id) as session:
            found = detect_anomalies(session, org_id, as_of)
            summary["anomalies_detected"] = found["detected"]
            summary["anomalies_new"] = found["new"]
        with db.session(org_id) as session:
            summary["trends"] = compute_trends(session, org_id, as_of)
        with db.session(org_id) as session:
            recs = generate_recommendations(session, org_id, as_of, org.currency)
            summary["recommendations_new"] = recs["new"]
            summary["recommendations_pending"] = recs["pending"]
    with db.session(org_id) as session:
        session.execute(delete(AnalyticsRefresh))
    return summary
