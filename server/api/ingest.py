"""Ingest campaign facts over HTTP: ``POST /api/v1/ingest``.

Query parameters: ``format`` (``native`` | ``google_ads`` | ``meta_ads``, default
``native``), ``unknown_campaigns`` (``refuse`` | ``create``, default ``refuse``) and
``country`` (the country of every row when the data has no country column).

The body is JSON ``{"rows": [{...}, ...]}`` (``Content-Type: application/json``) or a
CSV file (``Content-Type: text/csv``), at most :data:`MAX_BODY_BYTES`. Callers are an
org API key (``Authorization: Bearer ...``) or a signed-in admin or editor; the org
always comes from the credentials. A committed batch answers 201 (200 when it changed
nothing, e.g. a re-sent file) with the result of :func:`datasources.ingest.ingest`; a
rejected one answers 422 with ``details`` as ``"row 3: spend: must be ≥ 0"`` strings and
the same problems as objects in ``row_errors`` (``{"row", "field", "reason"}``), and
nothing is written.
"""

from __future__ import annotations

import json

from flask import g, jsonify, request

from commands.ingest import authorize_ingest, ingest_facts
from datasources.ingest import FORMATS, IngestRejected
from server.api._core import ApiError, authenticated, blueprint
from server.runtime import runtime

MAX_BODY_BYTES = 32 * 1024 * 1024
CSV_TYPES = ("text/csv", "application/csv", "text/plain")


def _body() -> bytes:
    """The request body, refusing (413) anything over :data:`MAX_BODY_BYTES` before
    reading it all."""
    too_big = ApiError(
        413,
        "request body too large",
        [
            (
                f"send at most {MAX_BODY_BYTES // (1024 * 1024)} MiB per request; "
                "split bigger files into several batches"
            )
        ],
    )
    if (request.content_length or 0) > MAX_BODY_BYTES:
        raise too_big
    data = request.stream.read(MAX_BODY_BYTES + 1)
    if len(data) > MAX_BODY_BYTES:
        raise too_big
    return data


def _payload(body: bytes):
    """JSON rows or CSV bytes, by the request's content type."""
    if request.mimetype == "application/json":
        try:
            document = json.loads(body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ApiError(400, "the body is not valid JSON", [str(exc)]) from None
        if not isinstance(document, dict) or not isinstance(document.get("rows"), list):
            raise ApiError(
                400,
                'the body must be a JSON object {"rows": [...]}',
                [
                    (
                        'e.g. {"rows": [{"campaign": "Brand Search US", "hour": '
                        '"2024-09-01T13:00:00Z", "country": "US", "spend": 12.5, '
                        '"impressions": 1000, "clicks": 40}]}'
                    )
                ],
            )
        return document["rows"]
    if request.mimetype in CSV_TYPES:
        return body
    raise ApiError(
        415,
        "unsupported content type",
        [f"send application/json or text/csv, not {request.mimetype or 'nothing'}"],
    )


def _option(name: str, allowed: tuple[str, ...], default: str) -> str:
    value = request.args.get(name, default)
    if value not in allowed:
        raise ApiError(
            422,
            f"{name}: must be one of {', '.join(allowed)}",
            [f"{name}: got {value!r}; expected one of {', '.join(allowed)}"],
        )
    return value


@blueprint.post("/ingest")
@authenticated
def ingest_facts_route():
    authorize_ingest(g.caller)  # before reading a body that may be large
    fmt = _option("format", FORMATS, "native")
    unknown = _option("unknown_campaigns", ("refuse", "create"), "refuse")
    payload = _payload(_body())
    try:
        result = ingest_facts(
            runtime(),
            g.caller,
            payload,
            fmt=fmt,
            on_unknown_campaign=unknown,
            default_country=request.args.get("country"),
            settings=runtime().settings,
        )
    except IngestRejected as exc:
        return jsonify(
            error=str(exc),
            details=[str(e) for e in exc.errors],
            row_errors=exc.report(),
            error_count=exc.error_count,
            batch_id=exc.batch_id,
        ), 422
    return jsonify(result), 201 if result["rows_written"] else 200
