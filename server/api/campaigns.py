"""Campaigns in the JSON API: list, and change status or budgets (editors and admins)."""

from __future__ import annotations

from flask import g, jsonify, request
from pydantic import ValidationError
from sqlalchemy import select

from commands.campaigns import (
    CampaignChange,
    CampaignChangeRefused,
    CampaignNotFound,
    update_campaign,
)
from core.errors import validation_messages
from core.models import Campaign
from server.api._core import ApiError, authenticated, blueprint, require_role
from server.runtime import runtime


@blueprint.get("/campaigns")
@authenticated
def list_campaigns():
    with runtime().db.session(g.principal.org_id) as session:
        rows = session.scalars(select(Campaign).order_by(Campaign.name)).all()
        return jsonify(
            campaigns=[
                {
                    "id": c.id,
                    "name": c.name,
                    "platform": c.platform,
                    "status": c.status,
                    "budget": c.budget,
                    "daily_budget": c.daily_budget,
                    "start_date": c.start_date.isoformat(),
                    "end_date": c.end_date.isoformat() if c.end_date else None,
                }
                for c in rows
            ]
        )


@blueprint.patch("/campaigns/<int:campaign_id>")
@authenticated
def change_campaign(campaign_id: int):
    require_role("admin", "editor", "api")
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiError(
            400, "the body must be a JSON object", ['e.g. {"status": "paused"}']
        )
    try:
        change = CampaignChange.model_validate(body)
    except ValidationError as exc:
        details = validation_messages(exc)
        raise ApiError(422, details[0], details) from None
    svc = runtime()
    try:
        with svc.db.session(g.principal.org_id) as session:
            result = update_campaign(
                session, campaign_id, change, user_id=g.principal.user_id
            )
    except CampaignNotFound as exc:
        raise ApiError(404, "campaign not found", [str(exc)]) from None
    except CampaignChangeRefused as exc:
        raise ApiError(409, str(exc)) from None
    svc.data.invalidate_org(g.principal.org_id)
    return jsonify(result)
