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
from pydantic import BaseModel, ConfigDict, Field, StrictInt, ValidationError

from commands import dashboards as dashboard_commands
from commands.dashboards import DashboardView
from core.errors import validation_messages
from core.filters import Filters, QueryError, parse_filters
from core.reference import MAX_ROW_ID
from dashboards import store as dashboard_store
from dashboards.render import query_widget, spec_from_row
from dashboards.schema import TemplateError
from server.api._core import (
    PAGE_ARGS,
    ApiError,
    authenticated,
    blueprint,
    json_body,
    page_of,
    refuse_unknown_args,
)
from server.api.data import FILTER_FIELDS, split_query
from server.runtime import runtime

# A dashboard's data takes every filter of its filter bar: besides the data sources'
# filters, the comparison (previous period, same period last year) its KPI cards and
# charts honour, and a drill-down's finer buckets.
DASHBOARD_FILTER_FIELDS = (*FILTER_FIELDS, "comparison", "drill")

# Keys of a dashboard's JSON that describe the stored row, not the template document.
READ_ONLY_KEYS = frozenset(
    {"id", "url", "updated_at", "source_template_id", "widget_count"}
)


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


class CloneRequest(BaseModel):
    """``POST /dashboards`` with a template id: clone it (optionally named)."""

    model_config = ConfigDict(extra="forbid")

    template_id: StrictInt = Field(ge=1, le=MAX_ROW_ID)
    name: str | None = Field(None, max_length=200)


@blueprint.get("/templates")
@authenticated
def list_templates():
    refuse_unknown_args(PAGE_ARGS)
    templates = [
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
    return jsonify(page_of(templates, "templates"))


@blueprint.get("/dashboards")
@authenticated
def list_dashboards():
    refuse_unknown_args(PAGE_ARGS)
    rows = dashboard_commands.list_dashboards(runtime(), g.caller)
    return jsonify(page_of([_dashboard_json(d, n) for d, n in rows], "dashboards"))


@blueprint.post("/dashboards")
@authenticated
def create_dashboard():
    body = json_body()
    if isinstance(body, dict) and "template_id" in body:
        try:
            clone = CloneRequest.model_validate(body)
        except ValidationError as exc:
            details = validation_messages(exc)
            raise ApiError(422, details[0], details) from None
        view = dashboard_commands.create_dashboard_from_template(
            runtime(), g.caller, clone.template_id, clone.name
        )
    else:
        view = dashboard_commands.create_dashboard(runtime(), g.caller, body)
    return jsonify(_view_json(view)), 201


@blueprint.get("/dashboards/<id:dashboard_id>")
@authenticated
def get_dashboard(dashboard_id: int):
    view = dashboard_commands.read_dashboard(
        runtime(), g.caller, dashboard_id, {"read": "document"}
    )
    widgets = [dashboard_store.widget_document(w) for w in view.widgets]
    return jsonify(_dashboard_json(view.dashboard) | {"widgets": widgets})


@blueprint.put("/dashboards/<id:dashboard_id>")
@authenticated
def replace_dashboard(dashboard_id: int):
    body = json_body()
    if isinstance(body, dict):
        # What GET answers can be sent back as it is: the keys it adds about the
        # stored row are not part of the template document and are not changed.
        body = {k: v for k, v in body.items() if k not in READ_ONLY_KEYS}
    view = dashboard_commands.update_dashboard(runtime(), g.caller, dashboard_id, body)
    return jsonify(_view_json(view))


@blueprint.delete("/dashboards/<id:dashboard_id>")
@authenticated
def delete_dashboard(dashboard_id: int):
    dashboard_commands.delete_dashboard(runtime(), g.caller, dashboard_id)
    return "", 204


@blueprint.get("/dashboards/<id:dashboard_id>/data")
@authenticated
def dashboard_data(dashboard_id: int):
    svc = runtime()
    refuse_unknown_args(DASHBOARD_FILTER_FIELDS)
    try:
        filters = parse_filters(
            {
                k: v
                for k, v in split_query(Filters, request.args).items()
                if k in DASHBOARD_FILTER_FIELDS
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
