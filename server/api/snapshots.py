"""Dashboard snapshots in the JSON API, all through :mod:`commands.snapshots`.

=======  ========================================  =====================================
POST     /api/v1/snapshots                         take one: ``{"dashboard_id", "name"?,
                                                   "filters"?}``; 201 with its entry
GET      /api/v1/snapshots[?dashboard_id=]         the org's snapshots, newest first
GET      /api/v1/snapshots/<id>[?format=]          the snapshot document (``json``, the
                                                   default), or its ``pdf`` or ``xlsx``
                                                   file rendered from the stored data
DELETE   /api/v1/snapshots/<id>                    delete it
GET      /api/v1/snapshots/compare?a=&b=           both side by side: every KPI with
                                                   both values and the change
GET      /api/v1/org/snapshot-retention            ``{"days": 90}`` (``null``: forever)
PUT      /api/v1/org/snapshot-retention            change it (admins)
=======  ========================================  =====================================

Taking and deleting need editors, admins or an API key (403 otherwise); everyone of
the org may read. Another org's snapshot id answers 404 like a missing one. A
snapshot whose key is no longer configured answers 500 with the reason logged.
"""

from __future__ import annotations

from flask import Response, g, jsonify, request

from commands import snapshots
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


@blueprint.post("/snapshots")
@authenticated
def take_snapshot():
    refuse_unknown_args(())
    data = snapshots.parse_snapshot_input(json_body())
    svc = runtime()
    try:
        summary = snapshots.take_snapshot(
            svc,
            svc.snapshots(),
            g.caller,
            data.dashboard_id,
            filters=data.filters,
            name=data.name,
        )
    except ReportRenderError as exc:
        raise ApiError(422, "the snapshot could not be taken", [str(exc)]) from None
    return jsonify(summary.document()), 201


@blueprint.get("/snapshots")
@authenticated
def list_snapshots():
    refuse_unknown_args((*PAGE_ARGS, "dashboard_id"))
    items = snapshots.list_snapshots(
        runtime(), g.caller, dashboard_id=request.args.get("dashboard_id")
    )
    return jsonify(page_of([s.document() for s in items], "snapshots"))


@blueprint.get("/snapshots/<id:snapshot_id>")
@authenticated
def get_snapshot(snapshot_id: int):
    refuse_unknown_args(("format",))
    svc = runtime()
    fmt = request.args.get("format", "json")
    try:
        report = snapshots.export_snapshot(
            svc, svc.snapshots(), g.caller, snapshot_id, fmt
        )
    except ReportRenderError as exc:
        raise ApiError(422, "the snapshot could not be rendered", [str(exc)]) from None
    if fmt == "json":
        return Response(report.data, mimetype=report.mimetype)
    return Response(
        report.data,
        mimetype=report.mimetype,
        headers={"Content-Disposition": f'attachment; filename="{report.filename}"'},
    )


@blueprint.delete("/snapshots/<id:snapshot_id>")
@authenticated
def delete_snapshot(snapshot_id: int):
    snapshots.delete_snapshot(runtime(), g.caller, snapshot_id)
    return "", 204


@blueprint.get("/snapshots/compare")
@authenticated
def compare_snapshots():
    refuse_unknown_args(("a", "b"))
    missing = [name for name in ("a", "b") if not request.args.get(name)]
    if missing:
        raise ApiError(
            422,
            "give two snapshot ids: ?a=<id>&b=<id>",
            [f"{name}: required" for name in missing],
        )
    svc = runtime()
    try:
        comparison = snapshots.compare_snapshots(
            svc, svc.snapshots(), g.caller, request.args["a"], request.args["b"]
        )
    except ReportRenderError as exc:
        raise ApiError(422, "the snapshots could not be compared", [str(exc)]) from None
    return jsonify(comparison.document())


@blueprint.get("/org/snapshot-retention")
@authenticated
def get_snapshot_retention():
    refuse_unknown_args(())
    return jsonify(snapshots.get_snapshot_retention(runtime(), g.caller))


@blueprint.put("/org/snapshot-retention")
@authenticated
def set_snapshot_retention():
    body = json_body()
    return jsonify(snapshots.set_snapshot_retention(runtime(), g.caller, body))
