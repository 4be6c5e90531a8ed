"""Dashboards in the JSON API: provisioning dashboards as code.

GET    /api/v1/templates                 global and org templates, with usage counts
GET    /api/v1/dashboards                the org's dashboards
POST   /api/v1/dashboards                {"template_id": 1, "name": "..."} or a template document
GET    /api/v1/dashboards/<id>           the dashboard document with its visible widgets
PUT    /api/v1/dashboards/<id>           replace it with a template document (422 if invalid)
DELETE /api/v1/dashboards/<id>
GET    /api/v1/dashboards/<id>/data      every widget's current data (filters as query params)
"""

from __future__ import annotations

from flask import g, jsonify, request

from accounts import audit
from core.filters import QueryError, parse_filters
from dashboards import store as dashboard_store
from dashboards.builtin import create_dashboard_from_template
from dashboards.render import spec_from_row
from dashboards.schema import TemplateError, parse_template, widget_query_params
from server.api._core import ApiError, authenticated, blueprint, require_role
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


def _document_or_422(document) -> object:
    try:
        return parse_template(document if document is not None else "")
    except TemplateError as exc:
        raise ApiError(422, "invalid dashboard template", exc.details) from None


def _dashboard_or_404(session, dashboard_id: int):
    dashboard = dashboard_store.get_dashboard(session, dashboard_id)
    if dashboard is None:
        raise ApiError(
            404, "dashboard not found", [f"no dashboard {dashboard_id} in your org"]
        )
    return dashboard


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
    with runtime().db.session(g.principal.org_id) as session:
        rows = dashboard_store.list_templates(session)
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
                for t, used in rows
            ]
        )


@blueprint.get("/dashboards")
@authenticated
def list_dashboards():
    with runtime().db.session(g.principal.org_id) as session:
        rows = dashboard_store.list_dashboards(session)
        return jsonify(dashboards=[_dashboard_json(d, n) for d, n in rows])


@blueprint.post("/dashboards")
@authenticated
def create_dashboard():
    require_role("admin", "editor", "api")
    body = _body()
    principal = g.principal
    with runtime().db.session(principal.org_id) as session:
        if isinstance(body, dict) and "template_id" in body:
            template = dashboard_store.get_template(session, int(body["template_id"]))
            if template is None:
                raise ApiError(
                    404, "template not found", [f"no template {body['template_id']}"]
                )
            try:
                dashboard = create_dashboard_from_template(
                    session,
                    template,
                    org_id=principal.org_id,
                    owner_id=principal.user_id,
                    name=body.get("name"),
                )
            except TemplateError as exc:
                raise ApiError(422, "invalid dashboard template", exc.details) from None
        else:
            spec = _document_or_422(body)
            try:
                dashboard = dashboard_store.create_dashboard(
                    session, spec, org_id=principal.org_id, user_id=principal.user_id
                )
            except TemplateError as exc:
                raise ApiError(422, "invalid dashboard template", exc.details) from None
        audit.record(
            session, "create", "dashboard", dashboard.id, user_id=principal.user_id
        )
        document = dashboard_store.dashboard_document(
            session, dashboard, principal.user_id
        )
        return jsonify(_dashboard_json(dashboard) | document), 201


@blueprint.get("/dashboards/<int:dashboard_id>")
@authenticated
def get_dashboard(dashboard_id: int):
    with runtime().db.session(g.principal.org_id) as session:
        dashboard = _dashboard_or_404(session, dashboard_id)
        widgets = dashboard_store.visible_widgets(
            session, dashboard.id, g.principal.user_id
        )
        return jsonify(
            _dashboard_json(dashboard)
            | {"widgets": [dashboard_store.widget_document(w) for w in widgets]}
        )


@blueprint.put("/dashboards/<int:dashboard_id>")
@authenticated
def replace_dashboard(dashboard_id: int):
    require_role("admin", "editor", "api")
    spec = _document_or_422(_body())
    with runtime().db.session(g.principal.org_id) as session:
        dashboard = _dashboard_or_404(session, dashboard_id)
        try:
            dashboard_store.update_dashboard(
                session, dashboard, spec, user_id=g.principal.user_id
            )
        except TemplateError as exc:
            raise ApiError(422, "invalid dashboard template", exc.details) from None
        audit.record(
            session, "update", "dashboard", dashboard.id, user_id=g.principal.user_id
        )
        document = dashboard_store.dashboard_document(
            session, dashboard, g.principal.user_id
        )
        return jsonify(_dashboard_json(dashboard) | document)


@blueprint.delete("/dashboards/<int:dashboard_id>")
@authenticated
def delete_dashboard(dashboard_id: int):
    require_role("admin", "editor", "api")
    with runtime().db.session(g.principal.org_id) as session:
        dashboard = _dashboard_or_404(session, dashboard_id)
        dashboard_store.delete_dashboard(session, dashboard)
        audit.record(
            session, "delete", "dashboard", dashboard_id, user_id=g.principal.user_id
        )
    return "", 204


@blueprint.get("/dashboards/<int:dashboard_id>/data")
@authenticated
def dashboard_data(dashboard_id: int):
    svc = runtime()
    try:
        filters = parse_filters(
            {
                k: v
                for k, v in split_query(
                    parse_filters({}).__class__, request.args
                ).items()
                if k in FILTER_FIELDS
            }
        )
    except QueryError as exc:
        raise ApiError(422, str(exc), exc.details) from None
    with svc.db.session(g.principal.org_id) as session:
        dashboard = _dashboard_or_404(session, dashboard_id)
        widgets = dashboard_store.visible_widgets(
            session, dashboard.id, g.principal.user_id
        )
    results = []
    for widget in widgets:
        entry = {"id": widget.id, "title": widget.title, "type": widget.widget_type}
        try:
            spec = spec_from_row(widget)
            params = widget_query_params(spec.type, spec.data_source, spec.query_params)
            entry["data"] = svc.data.query(
                g.principal.org_id, spec.data_source, params, filters
            )
        except (TemplateError, QueryError) as exc:
            entry["error"] = "; ".join(getattr(exc, "details", [str(exc)]))
        results.append(entry)
    return jsonify(
        dashboard=_dashboard_json(dashboard),
        filters=filters.model_dump(mode="json"),
        widgets=results,
    )
