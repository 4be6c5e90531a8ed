"""Changing a campaign (pause/resume, budgets): validated, audited, in the org's session.

The caller invalidates the org's cache after the commit; every place that changes a
campaign goes through :func:`update_campaign`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy.orm import Session

from accounts import audit
from core.models import Campaign


class CampaignChange(BaseModel):
    """What a user may change on a campaign; at least one field."""

    model_config = ConfigDict(extra="forbid")

    status: Literal["active", "paused"] | None = None
    budget: float | None = Field(None, ge=0, le=1e10)
    daily_budget: float | None = Field(None, ge=0, le=1e9)

    @model_validator(mode="after")
    def _something(self) -> CampaignChange:
        if not self.model_fields_set:
            raise ValueError("give at least one of status, budget, daily_budget")
        empty = [
            f
            for f in ("status", "budget")
            if f in self.model_fields_set and getattr(self, f) is None
        ]
        if empty:
            raise ValueError(f"{', '.join(empty)} cannot be empty")
        return self


class CampaignNotFound(LookupError):
    pass


class CampaignChangeRefused(ValueError):
    pass


def update_campaign(
    session: Session, campaign_id: int, change: CampaignChange, *, user_id: int | None
) -> dict:
    """Apply ``change`` to a campaign of the session's org and audit old and new values.

    Raises:
        CampaignNotFound: no such campaign in this org (other orgs' ids included).
        CampaignChangeRefused: e.g. resuming a campaign whose flight has ended.
    """
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise CampaignNotFound(f"no campaign {campaign_id} in your org")
    if change.status is not None and campaign.status == "completed":
        raise CampaignChangeRefused("a completed campaign cannot be paused or resumed")
    before = {field: getattr(campaign, field) for field in change.model_fields_set}
    for field in change.model_fields_set:
        setattr(campaign, field, getattr(change, field))
    after = {field: getattr(campaign, field) for field in change.model_fields_set}
    audit.record(
        session,
        "update",
        "campaign",
        campaign.id,
        user_id=user_id,
        details={"before": before, "after": after},
    )
    return {
        "id": campaign.id,
        "name": campaign.name,
        "platform": campaign.platform,
        "status": campaign.status,
        "budget": campaign.budget,
        "daily_budget": campaign.daily_budget,
    }
