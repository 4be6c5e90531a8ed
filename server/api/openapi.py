"""``GET /api/v1/openapi.json``: the API described for clients and tooling.

Data-source paths and their parameters are generated from the registry, so the
document always matches the params models that validate requests.
"""

from __future__ import annotations

from flask import jsonify

from datasources import registry
from server.api._core import blueprint

ERROR = {"$ref": "#/components/schemas/Error"}
FILTER_PARAMETERS = [
    {"name": "date_from", "in": "query", "schema": {"type": "string", "format": "date"},
     "description": "first org-local day of the dashboard date range"},
    {"name": "date_to", "in": "query", "schema": {"type": "string", "format": "date"},
     "description": "last org-local day of the dashboard date range"},
    {"name": "platforms", "in": "query", "style": "form", "explode": False,
     "schema": {"type": "array", "items": {"type": "string"}}},
    {"name": "campaign_ids", "in": "query", "style": "form", "explode": False,
     "schema": {"type": "array", "items": {"type": "integer"}}},
    {"name": "fresh", "in": "query", "schema": {"type": "boolean"},
     "description": "recompute instead of serving the cached value"},
]


def _responses(ok: str) -> dict:
    return {"200": {"description": ok, "content": {"application/json": {"schema": {"type": "object"}}}},
            "401": {"description": "not authenticated", "content": {"application/json": {"schema": ERROR}}},
            "404": {"description": "not found", "content": {"application/json": {"schema": ERROR}}},
            "422": {"description": "invalid parameters",
                    "content": {"application/json": {"schema": ERROR}}}}


def _source_path(source: registry.DataSource) -> dict:
    schema = source.params_model.model_json_schema()
    parameters = [
        {"name": name, "in": "query", "required": name in schema.get("required", []),
         "schema": {k: v for k, v in prop.items() if k != "title"},
         **({"description": prop["description"]} if "description" in prop else {})}
        for name, prop in schema.get("properties", {}).items()
    ]
    return {"get": {"summary": source.description or source.name, "tags": ["data"],
                    "operationId": f"data_{source.name}",
                    "parameters": parameters + FILTER_PARAMETERS,
                    "responses": _responses(f"the {source.name} result")}}


def build_openapi() -> dict:
    paths = {
        "/api/v1/dashboards": {"get": {"summary": "The org's dashboards", "tags": ["dashboards"],
                                       "operationId": "list_dashboards",
                                       "responses": _responses("dashboards")}},
        "/api/v1/dashboards/{id}": {"get": {
            "summary": "One dashboard with its visible widgets", "tags": ["dashboards"],
            "operationId": "get_dashboard",
            "parameters": [{"name": "id", "in": "path", "required": True,
                            "schema": {"type": "integer"}}],
            "responses": _responses("the dashboard")}},
        "/api/v1/data": {"get": {"summary": "The data sources and their parameters",
                                 "tags": ["data"], "operationId": "list_data_sources",
                                 "responses": _responses("sources")}},
    }
    for source in registry.all_sources():
        paths[f"/api/v1/data/{source.name}"] = _source_path(source)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Pulse API", "version": "1.0.0",
                 "description": "Marketing analytics data of the caller's org."},
        "servers": [{"url": "/"}],
        "security": [{"apiKey": []}, {"session": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "apiKey": {"type": "http", "scheme": "bearer",
                           "description": "an org API key: `python -m datasources.apikeys create`"},
                "session": {"type": "apiKey", "in": "cookie", "name": "session"},
            },
            "schemas": {"Error": {"type": "object", "required": ["error", "details"], "properties": {
                "error": {"type": "string"}, "details": {"type": "array", "items": {"type": "string"}}}}},
        },
    }


@blueprint.get("/openapi.json")
def openapi_document():
    return jsonify(build_openapi())
