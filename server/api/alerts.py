"""Alerts in the JSON API, all through :mod:`commands.alerts`.

=======  ===================================  ==========================================
GET      /api/v1/alerts                       the org's alerts with their firing
                                              entities
POST     /api/v1/alerts                       create one: ``{"name", "alert_type",
                                              "condition", "notification_config",
                                              "dashboard_id", "cooldown_minutes",
                                              "is_active"}``; answers the webhook
                                              secret once
POST     /api/v1/alerts/preview               ``{"alert_type", "condition"}``: each
                                              entity's current value, nothing saved
GET      /api/v1/alerts/<id>                  one alert
PUT      /api/v1/alerts/<id>                  replace its settings (same body)
DELETE   /api/v1/alerts/<id>                  delete it with its history
POST     /api/v1/alerts/<id>/acknowledge      acknowledge it (people only)
POST     /api/v1/alerts/<id>/mute             ``{"minutes": 120}`` (0 unmutes)
GET      /api/v1/alerts/<id>/history          its state changes with delivery attempts
POST     /api/v1/alerts/<id>/test             send a test notification now
=======  ===================================  ==========================================

Changes need editors or admins (an acknowledgement a person); everyone of the org
may read.
"""

from __future__ import annotations

from flask import g, jsonify

from commands import alerts
from server.api._core import (
    PAGE_ARGS,
    ApiError,
    authenticated,
    blueprint,
    json_body,
    page_of,
    refuse_unknown_args,
)
from server.runtime import runtime


@blueprint.get("/alerts")
@authenticated
def list_alerts():
    refuse_unknown_args(PAGE_ARGS)
    views = alerts.list_alerts(runtime(), g.caller)
    return jsonify(page_of([v.document() for v in views], "alerts"))


@blueprint.post("/alerts")
@authenticated
def create_alert():
    svc = runtime()
    view = alerts.create_alert(svc, svc.settings, g.caller, json_body())
    return jsonify(view.document()), 201


@blueprint.post("/alerts/preview")
@authenticated
def preview_alert():
    body = json_body()
    if not isinstance(body, dict) or not set(body) <= {"alert_type", "condition"}:
        raise ApiError(422, 'expected {"alert_type": "...", "condition": {...}}')
    return jsonify(
        alerts.preview_alert(
            runtime(), g.caller, body.get("alert_type"), body.get("condition")
        )
    )


@blueprint.get("/alerts/<id:alert_id>")
@authenticated
def get_alert(alert_id: int):
    refuse_unknown_args(())
    return jsonify(alerts.get_alert(runtime(), g.caller, alert_id).document())


@blueprint.put("/alerts/<id:alert_id>")
@authenticated
def replace_alert(alert_id: int):
    body = json_body()
    if isinstance(body, dict):
        # What GET answers can be sent back as it is.
        fields = alerts.AlertInput.model_fields
        body = {k: v for k, v in body.items() if k in fields}
    svc = runtime()
    view = alerts.update_alert(svc, svc.settings, g.caller, alert_id, body)
    return jsonify(view.document())


@blueprint.delete("/alerts/<id:alert_id>")
@authenticated
def delete_alert(alert_id: int):
    alerts.delete_alert(runtime(), g.caller, alert_id)
    return "", 204


@blueprint.post("/alerts/<id:alert_id>/acknowledge")
@authenticated
def acknowledge_alert(alert_id: int):
    return jsonify(alerts.acknowledge_alert(runtime(), g.caller, alert_id).document())


@blueprint.post("/alerts/<id:alert_id>/mute")
@authenticated
def mute_alert(alert_id: int):
    body = json_body()
    if not isinstance(body, dict) or set(body) != {"minutes"}:
        raise ApiError(422, 'expected {"minutes": 120} (0 unmutes)')
    view = alerts.mute_alert(runtime(), g.caller, alert_id, body["minutes"])
    return jsonify(view.document())


@blueprint.get("/alerts/<id:alert_id>/history")
@authenticated
def alert_history(alert_id: int):
    refuse_unknown_args(PAGE_ARGS)
    rows = alerts.alert_history(runtime(), g.caller, alert_id, limit=500)
    return jsonify(page_of([r.document() for r in rows], "history"))


@blueprint.post("/alerts/<id:alert_id>/test")
@authenticated
def test_alert(alert_id: int):
    svc = runtime()
    attempts = alerts.send_test_notification(svc, svc.settings, g.caller, alert_id)
    return jsonify(
        attempts=attempts, ok=bool(attempts) and all(a["ok"] for a in attempts)
    )
