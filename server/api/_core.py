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

Errors are ``{"error": "...", "details": [...]}``.
"""

from __future__ import annotations

from functools import wraps

from flask import Blueprint, g, jsonify, request
from flask_login import current_user
from werkzeug.exceptions import HTTPException

from accounts.apikeys import cached_org_for_key
from accounts.permissions import API_KEY_ROLE, Caller, PermissionDenied
from commands.errors import Invalid, NotFound, Refused
from dashboards.schema import TemplateError
from server.origin import request_origin
from server.runtime import runtime

blueprint = Blueprint("api", __name__, url_prefix="/api/v1")


class ApiError(Exception):
    def __init__(
        self, status: int, error: str, details: list[str] | None = None
    ) -> None:
        super().__init__(error)
        self.status, self.error, self.details = status, error, details or []


def error_response(status: int, error: str, details: list[str] | None = None):
    return jsonify(error=error, details=details or []), status


def _caller() -> Caller | None:
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        org_id, key_id = _org_of_key(header[7:].strip())
        return Caller(org_id, None, API_KEY_ROLE, key_id, **request_origin())
    if current_user.is_authenticated:
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


@blueprint.errorhandler(HTTPException)
def _http_error(exc: HTTPException):
    return error_response(exc.code or 500, exc.name.lower(), [exc.description or ""])


@blueprint.route("/<path:_unknown>", methods=["GET", "POST", "PUT", "DELETE", "PATCH"])
def unknown_route(_unknown: str):
    return error_response(404, "not found", [f"no API resource at {request.path}"])
