"""Campaigns in the JSON API: list, and change status or budgets (editors, admins and
API keys)."""

from __future__ import annotations

from flask import g, jsonify, request

from commands.campaigns import change_campaign, list_campaigns
from server.api._core import ApiError, authenticated, blueprint
from server.runtime import runtime


@blueprint.get("/campaigns")
@authenticated
def list_campaigns_route():
    return jsonify(campaigns=list_campaigns(runtime(), g.caller, audited=True))


@blueprint.patch("/campaigns/<int:campaign_id>")
@authenticated
def change_campaign_route(campaign_id: int):
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiError(
            400, "the body must be a JSON object", ['e.g. {"status": "paused"}']
        )
    return jsonify(change_campaign(runtime(), g.caller, campaign_id, body))
