"""Analytics in the JSON API: apply or dismiss recommendations, acknowledge or resolve
anomalies, and re-run the org's analytics (editors and admins).

Another org's ids answer 404 like ids that do not exist. Every change is audited and
invalidates the org's cached figures (the commands do both).
"""

from __future__ import annotations

from flask import g, jsonify

from commands.analytics import run_org_analytics
from commands.anomalies import acknowledge_anomaly, resolve_anomaly
from commands.recommendations import apply_recommendation, dismiss_recommendation
from server.api._core import authenticated, blueprint
from server.runtime import runtime


@blueprint.post("/recommendations/<id:rec_id>/apply")
@authenticated
def apply_recommendation_route(rec_id: int):
    return jsonify(apply_recommendation(runtime(), g.caller, rec_id))


@blueprint.post("/recommendations/<id:rec_id>/dismiss")
@authenticated
def dismiss_recommendation_route(rec_id: int):
    return jsonify(dismiss_recommendation(runtime(), g.caller, rec_id))


@blueprint.post("/anomalies/<id:anomaly_id>/acknowledge")
@authenticated
def acknowledge_anomaly_route(anomaly_id: int):
    return jsonify(acknowledge_anomaly(runtime(), g.caller, anomaly_id))


@blueprint.post("/anomalies/<id:anomaly_id>/resolve")
@authenticated
def resolve_anomaly_route(anomaly_id: int):
    return jsonify(resolve_anomaly(runtime(), g.caller, anomaly_id))


@blueprint.post("/analytics/run")
@authenticated
def run_org_analytics_route():
    """Recompute forecasts, anomalies, trends and recommendations now."""
    return jsonify(run_org_analytics(runtime(), g.caller))
