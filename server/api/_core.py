"""The JSON API's shared parts: blueprint, authentication, errors.

Callers authenticate with the session cookie or ``Authorization: Bearer <org API key>``
(an org API key acts with the role ``api``, see :mod:`accounts.permissions`); the
authenticated :class:`~accounts.permissions.Caller` is ``g.caller``. Routes parse the
request, call a command and shape its answer; the refusals of the commands become
errors here, the same for every route:

* ``PermissionDenied`` -> 403 ``forbidden``;
* ``NotFound`` -> 404 (another org's ids exactly like ids that do not exist, so ids
  reveal nothing);
* ``Refused`` -> 409; ``Invalid`` and ``TemplateError`` -> 422.

A cookie-authenticated request that changes something must come from Pulse's own
origin or carry the CSRF header (:func:`server.csrf.cross_site_problem`), else 400;
API keys need no such proof. Each caller (API key, or signed-in user) has
``PULSE_RATE_LIMIT_API`` requests (see :mod:`server.limits`); over it, 429 with
``Retry-After``.

Errors are ``{"error": "...", "details": [...]}``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import wraps
from typing import Any

from flask import Blueprint, g, jsonify, request
from flask_login import current_user
from werkzeug.exceptions import HTTPException
from werkzeug.routing import BaseConverter

from accounts.apikeys import cached_org_for_key
from accounts.permissions import API_KEY_ROLE, Caller, PermissionDenied
from commands.errors import Invalid, NotFound, Refused
from core.reference import parse_row_id
from dashboards.schema import TemplateError
from server import limits
from server.csrf import cross_site_problem
from server.origin import request_origin
from server.runtime import runtime

blueprint = Blueprint("api", __name__, url_prefix="/api/v1")


class RowIdConverter(BaseConverter):
    """``<id:name>``: a row id. Any number of digits matches (so the route answers,
    whatever the method); one beyond MAX_ROW_ID becomes 0, an id no row has, so it
    is "not found" like any id that names nothing instead of overflowing the
    database's integer column."""

    regex = r"\d+"
    weight = 50

    def to_python(self, value: str) -> int:
        return parse_row_id(value) or 0

    def to_url(self, value: object) -> str:
        return str(int(str(value)))


# Recorded before any route, so the converter exists when the routes are added.
blueprint.record_once(
    lambda state: state.app.url_map.converters.setdefault("id", RowIdConverter)
)


class ApiError(Exception):
    def __init__(
        self, status: int, error: str, details: list[str] | None = None
    ) -> None:
        super().__init__(error)
        self.status, self.error, self.details = status, error, details or []


def error_response(status: int, error: str, details: list[str] | None = None):
    return jsonify(error=error, details=details or []), status


def json_body() -> Any:
    """The request's JSON body; a body that is not JSON is refused with where the
    parser stopped, never with the body itself (it may hold anything)."""
    text = request.get_data(as_text=True)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ApiError(
            400,
            "the body must be JSON",
            [f"malformed JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"],
        ) from None


def refuse_unknown_args(allowed: Iterable[str]) -> None:
    """422 naming every query parameter the route does not take (a typo would
    otherwise be silently ignored)."""
    known = list(allowed)
    unknown = sorted(set(request.args) - set(known))
    if unknown:
        raise ApiError(
            422,
            f"unknown query parameter(s): {', '.join(unknown)}",
            [
                f"{name}: not a parameter of this route; expected one of "
                f"{', '.join(known) or 'none'}"
                for name in unknown
            ],
        )


# List routes page with ``limit`` (1..MAX_PAGE, default MAX_PAGE) and ``offset``.
MAX_PAGE = 500
PAGE_ARGS = ("limit", "offset")


def page_of(items: list, what: str) -> dict:
    """``{what: items[offset:offset + limit], "total", "limit", "offset"}`` for a list
    route; a limit or offset that is not a whole number in range is a 422."""
    bounds = {"limit": (1, MAX_PAGE, MAX_PAGE), "offset": (0, 10**9, 0)}
    values = {}
    for name, (low, high, default) in bounds.items():
        raw = request.args.get(name)
        if raw is None:
            values[name] = default
            continue
        if not raw.isdigit() or not low <= int(raw) <= high:
            raise ApiError(
                422,
                f"{name}: must be a whole number from {low} to {high}",
                [f"{name}: got {raw[:40]!r}"],
            )
        values[name] = int(raw)
    start = values["offset"]
    return {
        what: items[start : start + values["limit"]],
        "total": len(items),
        **values,
    }


def _caller() -> Caller | None:
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        org_id, key_id = _org_of_key(header[7:].strip())
        return Caller(org_id, None, API_KEY_ROLE, key_id, **request_origin())
    if current_user.is_authenticated:
        problem = cross_site_problem()
        if problem is not None:
            raise ApiError(400, "CSRF check failed", [problem])
        return current_user.caller
    return None


def _org_of_key(key: str) -> tuple[int, int]:
    """The key's ``(org id, key id)``, remembered briefly in the shared cache, where
    revoking marks it revoked (see :func:`accounts.apikeys.cached_org_for_key`)."""
    svc = runtime()
    identity = cached_org_for_key(svc.db, svc.cache, key)
    if identity is None:
        raise ApiError(401, "invalid or revoked API key")
    return identity


def authenticated(view):
    """Refuse (401) a request without credentials; else set ``g.caller``."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        caller = _caller()
        if caller is None:
            raise ApiError(
                401,
                "authentication required",
                ["send the session cookie or 'Authorization: Bearer <org API key>'"],
            )
        g.caller = caller
        return view(*args, **kwargs)

    return wrapper


@blueprint.errorhandler(ApiError)
def _api_error(exc: ApiError):
    return error_response(exc.status, exc.error, exc.details)


@blueprint.errorhandler(PermissionDenied)
def _permission_denied(exc: PermissionDenied):
    return error_response(403, "forbidden", [str(exc)])


@blueprint.errorhandler(NotFound)
def _not_found(exc: NotFound):
    return error_response(404, f"{exc.kind} not found".lstrip(), [str(exc)])


@blueprint.errorhandler(Refused)
def _refused(exc: Refused):
    return error_response(409, str(exc))


@blueprint.errorhandler(Invalid)
def _invalid(exc: Invalid):
    return error_response(422, str(exc), exc.details)


@blueprint.errorhandler(TemplateError)
def _invalid_template(exc: TemplateError):
    return error_response(422, "invalid dashboard template", exc.details)


@blueprint.errorhandler(limits.RateLimitExceeded)
def _too_many_requests(exc: limits.RateLimitExceeded):
    seconds = limits.retry_after_seconds()
    response, status = error_response(
        429,
        "too many requests",
        [
            f"at most {exc.description} for each API key or user; "
            f"try again in {seconds} seconds"
        ],
    )
    response.headers["Retry-After"] = str(seconds)
    return response, status


@blueprint.errorhandler(HTTPException)
def _http_error(exc: HTTPException):
    return error_response(exc.code or 500, exc.name.lower(), [exc.description or ""])


@blueprint.route("/<path:_unknown>", methods=["GET", "POST", "PUT", "DELETE", "PATCH"])
def unknown_route(_unknown: str):
    return error_response(404, "not found", [f"no API resource at {request.path}"])
