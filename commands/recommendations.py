"""Applying or dismissing a recommendation: a person's decision, audited.

:mod:`analytics.recommendations` generates the recommendations; here a user acts on one.
Applying makes the recommended campaign change(s) through
:func:`commands.campaigns.update_campaign` (each audited with old and new values) and
marks the recommendation applied by the caller, in one transaction: a refused change
leaves both the campaigns and the recommendation as they were.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts import audit
from accounts.permissions import Caller, Permission, require
from analytics.recommendations import recommendation_dict
from commands.campaigns import CampaignChange, CampaignChangeRefused, update_campaign
from commands.context import CommandContext
from commands.errors import NotFound, Refused
from core.models import Campaign, Recommendation, utcnow


class RecommendationNotFound(NotFound):
    """No such recommendation in the caller's org."""


class RecommendationNotPending(Refused):
    """Only a pending recommendation can be applied or dismissed; ``status`` is what it
    already is."""

    def __init__(self, rec_id: int, status: str) -> None:
        super().__init__(
            f"recommendation {rec_id} is already {status}; only "
            "pending recommendations can be applied or dismissed"
        )
        self.status = status


def apply_recommendation(context: CommandContext, caller: Caller, rec_id: int) -> dict:
    """Make the recommended campaign change(s) and mark the recommendation applied.

    Returns:
        ``{"recommendation": {...}, "changes": [campaign after each change]}``.

    Raises:
        PermissionDenied: the caller may not decide on recommendations.
        RecommendationNotFound: no such recommendation in the caller's org.
        RecommendationNotPending: it was already applied or dismissed.
        Refused: it names no action Pulse knows how to apply.
        CampaignNotFound / CampaignChangeRefused: from the campaign change itself (e.g.
            the source campaign's daily budget is now below the amount to move).
    """
    require(caller, Permission.DECIDE, "apply recommendations")
    with context.db.session(caller.org_id) as session:
        rec = _pending(session, rec_id)
        changes = _apply(session, rec, caller)
        _decide(session, rec, "applied", caller, {"changes": changes})
        result = {"recommendation": recommendation_dict(rec), "changes": changes}
    context.data.invalidate_org(caller.org_id)
    return result


def dismiss_recommendation(
    context: CommandContext, caller: Caller, rec_id: int
) -> dict:
    """Mark a pending recommendation dismissed by the caller (audited); no campaign
    changes.

    Returns:
        ``{"recommendation": {...}}``.

    Raises:
        PermissionDenied, RecommendationNotFound, RecommendationNotPending: as
            :func:`apply_recommendation`.
    """
    require(caller, Permission.DECIDE, "dismiss recommendations")
    with context.db.session(caller.org_id) as session:
        rec = _pending(session, rec_id)
        _decide(session, rec, "dismissed", caller, {})
        result = {"recommendation": recommendation_dict(rec)}
    context.data.invalidate_org(caller.org_id)
    return result


def _pending(session: Session, rec_id: int) -> Recommendation:
    rec = session.scalars(
        select(Recommendation).where(Recommendation.id == rec_id)
    ).one_or_none()
    if rec is None:
        raise RecommendationNotFound(f"no recommendation {rec_id} in your org")
    if rec.status != "pending":
        raise RecommendationNotPending(rec_id, rec.status)
    return rec


def _daily_budget(session: Session, campaign_id: int) -> float:
    campaign = session.scalars(
        select(Campaign).where(Campaign.id == campaign_id)
    ).one_or_none()
    return (campaign.daily_budget or 0.0) if campaign is not None else 0.0


def _apply(session: Session, rec: Recommendation, caller: Caller) -> list[dict]:
    """The campaign changes of ``rec``'s payload, made; the campaigns after each."""
    user_id = caller.user_id
    payload = rec.payload or {}
    action = payload.get("action")
    if action == "pause":
        return [
            update_campaign(
                session,
                payload["campaign_id"],
                CampaignChange(status="paused"),
                user_id=user_id,
                caller=caller,
            )
        ]
    if action == "budget_shift":
        amount = float(payload["amount"])
        source_budget = _daily_budget(session, payload["from_campaign_id"])
        if source_budget < amount:
            raise CampaignChangeRefused(
                f"campaign {payload['from_campaign_id']} has a daily budget of "
                f"{source_budget:g}, less than the {amount:g} to move"
            )
        target_budget = _daily_budget(session, payload["to_campaign_id"])
        return [
            update_campaign(
                session,
                payload["from_campaign_id"],
                CampaignChange(daily_budget=source_budget - amount),
                user_id=user_id,
                caller=caller,
            ),
            update_campaign(
                session,
                payload["to_campaign_id"],
                CampaignChange(daily_budget=target_budget + amount),
                user_id=user_id,
                caller=caller,
            ),
        ]
    if action == "increase_budget":
        raised = _daily_budget(session, payload["campaign_id"]) + float(
            payload["amount"]
        )
        return [
            update_campaign(
                session,
                payload["campaign_id"],
                CampaignChange(daily_budget=raised),
                user_id=user_id,
                caller=caller,
            )
        ]
    raise Refused(f"recommendation {rec.id} has no action to apply")


def _decide(
    session: Session,
    rec: Recommendation,
    status: str,
    caller: Caller,
    details: dict,
) -> None:
    rec.status, rec.decided_by, rec.decided_at = status, caller.user_id, utcnow()
    audit.record(
        session,
        "apply" if status == "applied" else "dismiss",
        "recommendation",
        rec.id,
        caller=caller,
        details={"rec_type": rec.rec_type, "title": rec.title, **details},
    )
