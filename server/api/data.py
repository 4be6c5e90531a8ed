"""Data sources in the JSON API: ``GET /api/v1/data`` and ``GET /api/v1/data/<source>``.

Query parameters are the source's ``query_params`` plus the global filters
(``date_from``, ``date_to``, ``platforms``, ``campaign_ids``); list values may repeat
(``platforms=meta&platforms=google``) or be comma-separated. The org always comes from
the credentials. Every answered query is audited as a read (who, from where, the
params and filters).
"""

from __future__ import annotations

import typing

from flask import g, jsonify, request

from commands.access import record_read
from core.filters import QueryError, parse_filters
from datasources import registry
from server.api._core import ApiError, authenticated, blueprint
from server.runtime import runtime

FILTER_FIELDS = ("date_from", "date_to", "platforms", "campaign_ids", "countries")


def _is_list(model, name: str) -> bool:
    field = model.model_fields.get(name)
    if field is None:
        return False
    annotation = field.annotation
    candidates = (
        typing.get_args(annotation)
        if typing.get_origin(annotation) is typing.Union
        or type(annotation).__name__ == "UnionType"
        else (annotation,)
    )
    return any(typing.get_origin(c) is list for c in candidates)


def split_query(model, args) -> dict:
    """Query-string values as the model expects them: lists for list fields."""
    out = {}
    for name in args:
        values = args.getlist(name)
        if _is_list(model, name):
            out[name] = [item for value in values for item in value.split(",") if item]
        else:
            out[name] = values[-1]
    return out


@blueprint.get("/data")
@authenticated
def list_sources():
    return jsonify(
        sources=[
            {
                "name": s.name,
                "description": s.description,
                "url": f"/api/v1/data/{s.name}",
                "query_params": s.params_model.model_json_schema(),
            }
            for s in registry.all_sources()
        ]
    )


@blueprint.get("/data/<source_name>")
@authenticated
def query_source(source_name: str):
    try:
        source = registry.get(source_name)
        filter_args = {
            k: v
            for k, v in split_query(registry.Filters, request.args).items()
            if k in FILTER_FIELDS
        }
        param_args = {
            k: v
            for k, v in split_query(source.params_model, request.args).items()
            if k not in FILTER_FIELDS and k != "fresh"
        }
        filters = parse_filters(filter_args)
        fresh = request.args.get("fresh", "").lower() in ("1", "true", "yes")
        svc = runtime()
        result = svc.data.query(
            g.caller.org_id, source_name, param_args, filters, fresh=fresh
        )
    except QueryError as exc:
        status = 404 if str(exc).startswith("unknown data_source") else 422
        raise ApiError(status, str(exc), exc.details) from None
    record_read(
        svc,
        g.caller,
        "data_source",
        source_name,
        {
            "params": param_args,
            "filters": filters.model_dump(mode="json", exclude_defaults=True),
        },
    )
    return jsonify(result)
