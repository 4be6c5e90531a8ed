"""Scheduled reports in the JSON API, all through :mod:`commands.report_schedules`.

=======  ========================================  =====================================
GET      /api/v1/report-schedules                  the org's schedules, each with its
                                                   next five runs in its own zone
POST     /api/v1/report-schedules                  create one: ``{"name",
                                                   "dashboard_id", "frequency",
                                                   "schedule_config", "recipients",
                                                   "format", "is_active"}``
GET      /api/v1/report-schedules/<id>             one schedule
PUT      /api/v1/report-schedules/<id>             replace its settings (same body)
PATCH    /api/v1/report-schedules/<id>             ``{"is_active": false}`` pauses it,
                                                   ``true`` resumes it
DELETE   /api/v1/report-schedules/<id>             delete it and its delivery log
GET      /api/v1/report-schedules/<id>/preview     the report file, rendered now
POST     /api/v1/report-schedules/<id>/send        send it now; the delivery row
GET      /api/v1/report-schedules/<id>/deliveries  its delivery log, newest first
GET      /api/v1/report-schedules/deliveries       the org's delivery log
GET      /api/v1/org/recipient-domains             the allowed recipient domains
PUT      /api/v1/org/recipient-domains             ``{"domains": ["acme.example"]}``
                                                   (admins)
=======  ========================================  =====================================

Changes need editors or admins (403 otherwise); everyone of the org may read. A report
that cannot be rendered answers 422 with the reason.
"""

from __future__ import annotations

from flask import Response, g, jsonify

from commands import report_schedules as schedules
from reports.errors import ReportRenderError
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


@blueprint.get("/report-schedules")
@authenticated
def list_report_schedules():
    refuse_unknown_args(PAGE_ARGS)
    views = schedules.list_schedules(runtime(), g.caller)
    return jsonify(page_of([v.document() for v in views], "report_schedules"))


@blueprint.post("/report-schedules")
@authenticated
def create_report_schedule():
    view = schedules.create_schedule(runtime(), g.caller, json_body())
    return jsonify(view.document()), 201


@blueprint.get("/report-schedules/<id:schedule_id>")
@authenticated
def get_report_schedule(schedule_id: int):
    return jsonify(schedules.get_schedule(runtime(), g.caller, schedule_id).document())


@blueprint.put("/report-schedules/<id:schedule_id>")
@authenticated
def replace_report_schedule(schedule_id: int):
    body = json_body()
    if isinstance(body, dict):
        # What GET answers can be sent back as it is.
        fields = schedules.ScheduleInput.model_fields
        body = {k: v for k, v in body.items() if k in fields}
    view = schedules.update_schedule(runtime(), g.caller, schedule_id, body)
    return jsonify(view.document())


@blueprint.patch("/report-schedules/<id:schedule_id>")
@authenticated
def pause_report_schedule(schedule_id: int):
    body = json_body()
    if not isinstance(body, dict) or set(body) != {"is_active"}:
        raise ApiError(422, 'expected {"is_active": true} or {"is_active": false}')
    if not isinstance(body["is_active"], bool):
        raise ApiError(422, "is_active: expected true or false")
    view = schedules.pause_schedule(
        runtime(), g.caller, schedule_id, paused=not body["is_active"]
    )
    return jsonify(view.document())


@blueprint.delete("/report-schedules/<id:schedule_id>")
@authenticated
def delete_report_schedule(schedule_id: int):
    schedules.delete_schedule(runtime(), g.caller, schedule_id)
    return "", 204


@blueprint.get("/report-schedules/<id:schedule_id>/preview")
@authenticated
def preview_report_schedule(schedule_id: int):
    refuse_unknown_args(())
    try:
        report = schedules.preview_schedule(runtime(), g.caller, schedule_id)
    except ReportRenderError as exc:
        raise ApiError(422, "the report could not be rendered", [str(exc)]) from None
    return Response(
        report.data,
        mimetype=report.mimetype,
        headers={"Content-Disposition": f'attachment; filename="{report.filename}"'},
    )


@blueprint.post("/report-schedules/<id:schedule_id>/send")
@authenticated
def send_report_schedule(schedule_id: int):
    svc = runtime()
    delivery = schedules.send_now(svc, svc.settings, g.caller, schedule_id)
    return jsonify(delivery.document())


@blueprint.get("/report-schedules/<id:schedule_id>/deliveries")
@authenticated
def report_schedule_deliveries(schedule_id: int):
    refuse_unknown_args(PAGE_ARGS)
    rows = schedules.list_deliveries(runtime(), g.caller, schedule_id, limit=500)
    return jsonify(page_of([r.document() for r in rows], "deliveries"))


@blueprint.get("/report-schedules/deliveries")
@authenticated
def report_deliveries():
    refuse_unknown_args(PAGE_ARGS)
    rows = schedules.list_deliveries(runtime(), g.caller, limit=500)
    return jsonify(page_of([r.document() for r in rows], "deliveries"))


@blueprint.get("/org/recipient-domains")
@authenticated
def get_recipient_domains():
    return jsonify(domains=schedules.recipient_domains(runtime(), g.caller))


@blueprint.put("/org/recipient-domains")
@authenticated
def set_recipient_domains():
    body = json_body()
    if not isinstance(body, dict) or set(body) != {"domains"}:
        raise ApiError(422, 'expected {"domains": ["example.com", ...]}')
    domains = schedules.set_recipient_domains(runtime(), g.caller, body["domains"])
    return jsonify(domains=domains)
