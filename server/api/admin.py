"""Admin resources in the JSON API: the audit log, the org's users and its retention
settings. Signed-in admins only: a viewer, an editor or an org API key gets 403 (a
leaked key must not read who did what, erase people or shorten the audit trail).

=======  ==========================  ==================================================
GET      /api/v1/audit               the audit log, newest first: ``action``,
                                     ``entity_type``, ``entity_id`` (contains),
                                     ``user_id``, ``api_key_id``, ``date_from``,
                                     ``date_to`` (org-local days), ``page``,
                                     ``per_page`` (at most 200)
GET      /api/v1/users               the org's users (``limit``/``offset``)
DELETE   /api/v1/users/<id>          anonymise a user (GDPR erasure)
GET      /api/v1/org/retention       the retention settings
PATCH    /api/v1/org/retention       ``{"raw_days": 400, "audit_days": 730,
                                     "job_runs_days": 90}`` (any of them)
=======  ==========================  ==================================================
"""

from __future__ import annotations

from flask import g, jsonify, request

from commands.audit_log import AuditFilters, list_audit_entries
from commands.retention import get_retention, set_retention
from commands.users import delete_user, list_users
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

PAGING = ("page", "per_page")


@blueprint.get("/audit")
@authenticated
def audit_log_route():
    filters = {k: v for k, v in request.args.items() if k not in PAGING}
    page = list_audit_entries(
        runtime(),
        g.caller,
        filters,
        request.args.get("page", 1),
        request.args.get("per_page", 50),
    )
    return jsonify(page.as_dict())


@blueprint.get("/users")
@authenticated
def list_users_route():
    refuse_unknown_args(PAGE_ARGS)
    return jsonify(page_of(list_users(runtime(), g.caller), "users"))


@blueprint.delete("/users/<id:user_id>")
@authenticated
def delete_user_route(user_id: int):
    refuse_unknown_args(())
    return jsonify(delete_user(runtime(), g.caller, user_id))


@blueprint.get("/org/retention")
@authenticated
def get_retention_route():
    refuse_unknown_args(())
    return jsonify(get_retention(runtime(), g.caller))


@blueprint.patch("/org/retention")
@authenticated
def set_retention_route():
    refuse_unknown_args(())
    body = json_body()
    if not isinstance(body, dict):
        raise ApiError(
            400, "the body must be a JSON object", ['e.g. {"raw_days": 400}']
        )
    return jsonify(set_retention(runtime(), g.caller, body))


# The filter names the API accepts, for the OpenAPI document.
AUDIT_FILTERS = tuple(AuditFilters.model_fields)
