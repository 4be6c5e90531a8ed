"""The JSON API's shared parts: blueprint, authentication, errors.

Callers authenticate with the session cookie or ``Authorization: Bearer <org API key>``.
Errors are ``{"error": "...", "details": [...]}`` with a 4xx status; another org's ids
answer 404 exactly like ids that do not exist, so ids reveal nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import wraps

from flask import Blueprint, g, jsonify, request
from flask_login import current_user
from werkzeug.exceptions import HTTPException

from accounts.apikeys import KEY_CACHE_SECONDS, hash_key, key_cache_key, org_for_key
from server.runtime import runtime

blueprint = Blueprint("api", __name__, url_prefix="/api/v1")


@dataclass(frozen=True)
class Principal:
    org_id: int
    user_id: int | None  # None for an org API key
    role: str
    api_key_id: int | None = None  # the org API key that authenticated the request


class ApiError(Exception):
    def __init__(
        self, status: int, error: str, details: list[str] | None = None
    ) -> None:
        super().__init__(error)
        self.status, self.error, self.details = status, error, details or []


def error_response(status: int, error: str, details: list[str] | None = None):
    return jsonify(error=error, details=details or []), status


def _principal() -> Principal | None:
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        org_id, key_id = _org_of_key(header[7:].strip())
        return Principal(org_id, None, "api", key_id)
    if current_user.is_authenticated:
        return Principal(current_user.org_id, current_user.user_id, current_user.role)
    return None


def _org_of_key(key: str) -> tuple[int, int]:
    """The key's ``(org id, key id)``, remembered briefly in the shared cache (revoking
    deletes it there)."""
    svc = runtime()
    cache_key = key_cache_key(hash_key(key))
    identity = svc.cache.get(cache_key)
    if not isinstance(
        identity, (list, tuple)
    ):  # absent, or an org id cached by an older release
        identity = org_for_key(svc.db, key)
        if identity is None:
            raise ApiError(401, "invalid or revoked API key")
        svc.cache.set(cache_key, identity, timeout=KEY_CACHE_SECONDS)
    return identity[0], identity[1]


def require_role(*roles: str) -> None:
    """Refuse the request (403) unless the caller has one of ``roles``."""
    if g.principal.role not in roles:
        raise ApiError(
            403,
            "forbidden",
            [f"needs role {' or '.join(roles)}; you are {g.principal.role}"],
        )


def authenticated(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        principal = _principal()
        if principal is None:
            raise ApiError(
                401,
                "authentication required",
                ["send the session cookie or 'Authorization: Bearer <org API key>'"],
            )
        g.principal = principal
        return view(*args, **kwargs)

    return wrapper


@blueprint.errorhandler(ApiError)
def _api_error(exc: ApiError):
    return error_response(exc.status, exc.error, exc.details)


@blueprint.errorhandler(HTTPException)
def _http_error(exc: HTTPException):
    return error_response(exc.code or 500, exc.name.lower(), [exc.description or ""])


@blueprint.route("/<path:_unknown>", methods=["GET", "POST", "PUT", "DELETE", "PATCH"])
def unknown_route(_unknown: str):
    return error_response(404, "not found", [f"no API resource at {request.path}"])
