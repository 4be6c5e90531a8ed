"""Analytics in the JSON API: apply or dismiss recommendations, acknowledge or resolve
anomalies, and re-run the org's analytics (editors and admins).

Another org's ids answer 404 like ids that do not exist. Every change is audited (by
the data layer) and invalidates the org's cached figures.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import g, jsonify

from accounts.audit import record
from analytics.anomalies import (
    AnomalyNotFound,
    AnomalyStatusRefused,
    set_anomaly_status,
)
from analytics.recommendations import (
    RecommendationNotFound,
    RecommendationNotPending,
    apply_recommendation,
    dismiss_recommendation,
)
from analytics.runner import run_analytics
from commands.campaigns import CampaignChangeRefused, CampaignNotFound
from server.api._core import ApiError, authenticated, blueprint, require_role
from server.runtime import runtime

EDITORS = ("admin", "editor")


def _change(action: Callable[..., dict], object_id: int) -> dict:
    """Run ``action(session, id, user_id)`` in the caller's org, mapping refusals to 4xx,
    then invalidate the org's cache."""
    svc = runtime()
    try:
        with svc.db.session(g.principal.org_id) as session:
            result = action(session, object_id, g.principal.user_id)
    except (RecommendationNotFound, AnomalyNotFound, CampaignNotFound) as exc:
        raise ApiError(404, "not found", [str(exc)]) from None
    except (
        RecommendationNotPending,
        AnomalyStatusRefused,
        CampaignChangeRefused,
    ) as exc:
        raise ApiError(409, str(exc)) from None
    svc.data.invalidate_org(g.principal.org_id)
    return result


@blueprint.post("/recommendations/<int:rec_id>/apply")
@authenticated
def apply_recommendation_route(rec_id: int):
    require_role(*EDITORS)
    return jsonify(_change(apply_recommendation, rec_id))


@blueprint.post("/recommendations/<int:rec_id>/dismiss")
@authenticated
def dismiss_recommendation_route(rec_id: int):
    require_role(*EDITORS)
    return jsonify(_change(dismiss_recommendation, rec_id))


@blueprint.post("/anomalies/<int:anomaly_id>/acknowledge")
@authenticated
def acknowledge_anomaly(anomaly_id: int):
    require_role(*EDITORS)
    return jsonify(
        _change(
            lambda s, i, u: set_anomaly_status(s, i, "acknowledged", user_id=u),
            anomaly_id,
        )
    )


@blueprint.post("/anomalies/<int:anomaly_id>/resolve")
@authenticated
def resolve_anomaly(anomaly_id: int):
    require_role(*EDITORS)
    return jsonify(
        _change(
            lambda s, i, u: set_anomaly_status(s, i, "resolved", user_id=u), anomaly_id
        )
    )


@blueprint.post("/analytics/run")
@authenticated
def run_org_analytics():
    """Recompute forecasts, anomalies, trends and recommendations now."""
    require_role(*EDITORS)
    svc = runtime()
    org_id = g.principal.org_id
    summary = run_analytics(svc.db, org_id)
    with svc.db.session(org_id) as session:
        record(
            session,
            "run",
            "analytics",
            None,
            user_id=g.principal.user_id,
            details=summary,
        )
    svc.data.invalidate_org(org_id)
    return jsonify(summary)
