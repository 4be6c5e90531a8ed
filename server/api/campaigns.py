"""Campaigns in the JSON API: list, and change status or budgets (editors, admins and
API keys)."""

from __future__ import annotations

from flask import g, jsonify

from commands.campaigns import change_campaign, list_campaigns
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


@blueprint.get("/campaigns")
@authenticated
def list_campaigns_route():
    refuse_unknown_args(PAGE_ARGS)
    return jsonify(
        page_of(list_campaigns(runtime(), g.caller, audited=True), "campaigns")
    )


@blueprint.patch("/campaigns/<id:campaign_id>")
@authenticated
def change_campaign_route(campaign_id: int):
    body = json_body()
    if not isinstance(body, dict):
        raise ApiError(
            400, "the body must be a JSON object", ['e.g. {"status": "paused"}']
        )
    return jsonify(change_campaign(runtime(), g.caller, campaign_id, body))
