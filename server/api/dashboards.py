"""Dashboards in the JSON API: provisioning dashboards as code.

=======  ===========================  =================================================
GET      /api/v1/templates            global and org templates, with usage counts
GET      /api/v1/dashboards           the org's dashboards
POST     /api/v1/dashboards           ``{"template_id": 1, "name": "..."}`` clones a
                                      template; a template document is created as is
GET      /api/v1/dashboards/<id>      the dashboard document with its visible widgets;
                                      audited as a read
PUT      /api/v1/dashboards/<id>      replace it with a template document (422 if
                                      invalid)
DELETE   /api/v1/dashboards/<id>      delete it and its widgets
GET      /api/v1/dashboards/<id>/data every widget's current data (filters as query
                                      parameters); audited as a read
=======  ===========================  =================================================
"""

from __future__ import annotations

from flask import g, jsonify, request

from commands import dashboards as dashboard_commands
from commands.dashboards import DashboardView
from core.filters import Filters, QueryError, parse_filters
from dashboards import store as dashboard_store
from dashboards.render import query_widget, spec_from_row
from dashboards.schema import TemplateError
from server.api._core import ApiError, authenticated, blueprint
from server.api.data import FILTER_FIELDS, split_query
from server.runtime import runtime


def _dashboard_json(dashboard, widget_count: int | None = None) -> dict:
    body = {
        "id": dashboard.id,
        "name": dashboard.name,
        "category": dashboard.category,
        "description": dashboard.description,
        "refresh_interval": dashboard.refresh_interval,
        "default_filters": dashboard.default_filters,
        "layout_config": dashboard.layout_config,
        "schema_version": dashboard.schema_version,
        "source_template_id": dashboard.source_template_id,
        "updated_at": dashboard.updated_at.isoformat()
        if dashboard.updated_at
        else None,
        "url": f"/dashboards/{dashboard.id}",
    }
    if widget_count is not None:
        body["widget_count"] = widget_count
    return body


def _view_json(view: DashboardView) -> dict:
    return _dashboard_json(view.dashboard) | view.document()


def _body():
    body = request.get_json(silent=True)
    if body is None:
        raise ApiError(
            400, "the body must be JSON", [request.get_data(as_text=True)[:80]]
        )
    return body


@blueprint.get("/templates")
@authenticated
def list_templates():
    return jsonify(
        templates=[
            {
                "id": t.id,
                "name": t.name,
                "slug": t.slug,
                "category": t.category,
                "description": t.description,
                "scope": "global" if t.org_id is None else "org",
                "refresh_interval": t.refresh_interval,
                "widget_count": len(t.widgets or []),
                "usage_count": used,
            }
            for t, used in dashboard_commands.list_templates(runtime(), g.caller)
        ]
    )


@blueprint.get("/dashboards")
@authenticated
def list_dashboards():
    rows = dashboard_commands.list_dashboards(runtime(), g.caller)
    return jsonify(dashboards=[_dashboard_json(d, n) for d, n in rows])


@blueprint.post("/dashboards")
@authenticated
def create_dashboard():
    body = _body()
    if isinstance(body, dict) and "template_id" in body:
        try:
            template_id = int(body["template_id"])
        except (TypeError, ValueError):
            raise ApiError(
                422,
                "template_id: must be an integer",
                [f"template_id: got {body['template_id']!r}"],
            ) from None
        view = dashboard_commands.create_dashboard_from_template(
            runtime(), g.caller, template_id, body.get("name")
        )
    else:
        view = dashboard_commands.create_dashboard(runtime(), g.caller, body)
    return jsonify(_view_json(view)), 201


@blueprint.get("/dashboards/<int:dashboard_id>")
@authenticated
def get_dashboard(dashboard_id: int):
    view = dashboard_commands.read_dashboard(
        runtime(), g.caller, dashboard_id, {"read": "document"}
    )
    widgets = [dashboard_store.widget_document(w) for w in view.widgets]
    return jsonify(_dashboard_json(view.dashboard) | {"widgets": widgets})


@blueprint.put("/dashboards/<int:dashboard_id>")
@authenticated
def replace_dashboard(dashboard_id: int):
    view = dashboard_commands.update_dashboard(
        runtime(), g.caller, dashboard_id, _body()
    )
    return jsonify(_view_json(view))


@blueprint.delete("/dashboards/<int:dashboard_id>")
@authenticated
def delete_dashboard(dashboard_id: int):
    dashboard_commands.delete_dashboard(runtime(), g.caller, dashboard_id)
    return "", 204


@blueprint.get("/dashboards/<int:dashboard_id>/data")
@authenticated
def dashboard_data(dashboard_id: int):
    svc = runtime()
    try:
        filters = parse_filters(
            {
                k: v
                for k, v in split_query(Filters, request.args).items()
                if k in FILTER_FIELDS
            }
        )
    except QueryError as exc:
        raise ApiError(422, str(exc), exc.details) from None
    view = dashboard_commands.read_dashboard(
        svc,
        g.caller,
        dashboard_id,
        {"read": "data", "filters": filters.model_dump(mode="json")},
    )
    results = []
    for widget in view.widgets:
        entry = {"id": widget.id, "title": widget.title, "type": widget.widget_type}
        try:
            entry["data"] = query_widget(
                spec_from_row(widget),
                data=svc.data,
                org_id=g.caller.org_id,
                filters=filters,
            )
        except (TemplateError, QueryError) as exc:
            entry["error"] = "; ".join(getattr(exc, "details", [str(exc)]))
        results.append(entry)
    return jsonify(
        dashboard=_dashboard_json(view.dashboard),
        filters=filters.model_dump(mode="json"),
        widgets=results,
    )
