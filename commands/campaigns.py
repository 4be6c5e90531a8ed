"""Changing a campaign (pause/resume, budgets): authorized, validated, audited, and the
org's cached figures made stale.

:func:`update_campaign` is the one place a campaign's status or budgets are written, in
a session the caller owns: the commands here, applied recommendations and automation
rules all go through it, so every change is audited with its old and new values.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts import audit
from accounts.permissions import Caller, Permission, require
from commands.context import CommandContext
from commands.errors import Invalid, NotFound, Refused
from commands.visibility import visible_widget_spec
from core.errors import validation_messages
from core.models import Campaign

# The table column an inline edit changes -> the table action that must be configured.
EDITABLE_FIELDS = {"status": "pause_resume", "daily_budget": "budget"}


class CampaignChange(BaseModel):
    """What a user may change on a campaign; at least one field."""

    model_config = ConfigDict(extra="forbid")

    status: Literal["active", "paused"] | None = None
    budget: float | None = Field(default=None, ge=0, le=1e10)
    daily_budget: float | None = Field(default=None, ge=0, le=1e9)

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


class CampaignNotFound(NotFound):
    """No such campaign in the caller's org (other orgs' ids included)."""

    kind = "campaign"


class CampaignChangeRefused(Refused):
    """The campaign's state forbids the change (e.g. its flight has ended)."""


class BudgetChangeNeedsConfirmation(Refused):
    """A daily budget change from a table beyond the table's confirmation factor
    (``budget_confirm_factor``): nothing is changed until it is asked again with
    ``confirmed=True``. ``name``, ``current`` and ``new`` say what was asked."""

    def __init__(self, name: str, current: float, new: float) -> None:
        super().__init__(
            f"changing the daily budget of “{name}” from {current:g} to {new:g} "
            "needs a confirmation"
        )
        self.name, self.current, self.new = name, current, new


def budget_value(value: Any) -> float:
    """A daily budget typed into a table cell: a number of 0 or more (``1250``,
    ``1250.5``, ``1,250.50``).

    Raises:
        Invalid: "Enter a number ..." for text, "... cannot be negative" below 0.
    """
    text = str(value).strip().replace(",", "") if value is not None else ""
    try:
        amount = float(text)
    except ValueError:
        raise Invalid(
            f"Enter a number for the daily budget (got {str(value)[:40]!r})."
        ) from None
    if amount != amount or amount in (float("inf"), float("-inf")):
        raise Invalid(f"Enter a number for the daily budget (got {text[:40]!r}).")
    if amount < 0:
        raise Invalid(f"A daily budget cannot be negative (got {amount:g}).")
    return amount


def needs_confirmation(current: float | None, new: float, factor: float) -> bool:
    """Whether a daily budget change is big enough to ask first: more than
    ``factor`` times the current budget, or less than the current ÷ ``factor``. A
    campaign without a current daily budget has no scale to compare with."""
    if not current:
        return False
    return new > current * factor or new < current / factor


def campaign_dict(campaign: Campaign) -> dict:
    """A campaign's changeable fields as JSON-able data."""
    return {
        "id": campaign.id,
        "name": campaign.name,
        "platform": campaign.platform,
        "status": campaign.status,
        "budget": campaign.budget,
        "daily_budget": campaign.daily_budget,
    }


def update_campaign(
    session: Session,
    campaign_id: int,
    change: CampaignChange | Mapping[str, Any],
    *,
    user_id: int | None,
    caller: Caller | None = None,
) -> dict:
    """Apply ``change`` to a campaign of the session's org and audit old and new values.

    The caller has authorized the change and owns the session; it invalidates the
    org's cache after the commit. ``change`` may be the fields of a
    :class:`CampaignChange` (as automation rules give them).

    Raises:
        pydantic.ValidationError: ``change`` does not validate as a CampaignChange.
        CampaignNotFound: no such campaign in this org (other orgs' ids included).
        CampaignChangeRefused: e.g. resuming a campaign whose flight has ended.
    """
    if not isinstance(change, CampaignChange):
        change = CampaignChange.model_validate(change)
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
        caller=caller,
        details={"before": before, "after": after},
    )
    return campaign_dict(campaign)


def list_campaigns(
    context: CommandContext, caller: Caller, *, audited: bool = False
) -> list[dict]:
    """The caller's org's campaigns by name, with their flight dates.

    Args:
        context: the database and query cache.
        caller: who asks.
        audited: record the read (``action="read"``) in the same transaction, as the
            JSON API does for every read of org data.
    """
    with context.db.session(caller.org_id) as session:
        rows = session.scalars(select(Campaign).order_by(Campaign.name)).all()
        if audited:
            audit.record(
                session,
                "read",
                "campaign",
                None,
                caller=caller,
                details={"campaigns": len(rows)},
            )
        return [
            {
                **campaign_dict(c),
                "start_date": c.start_date.isoformat(),
                "end_date": c.end_date.isoformat() if c.end_date else None,
            }
            for c in rows
        ]


def change_campaign(
    context: CommandContext,
    caller: Caller,
    campaign_id: int,
    change: CampaignChange | Mapping[str, Any],
) -> dict:
    """Change a campaign of the caller's org, audited, and invalidate the org's cache.

    Args:
        context: the database and query cache.
        caller: who asks; needs :attr:`Permission.EDIT`.
        campaign_id: the campaign.
        change: a :class:`CampaignChange`, or the fields to validate as one.

    Returns:
        The campaign's changeable fields after the change.

    Raises:
        PermissionDenied: the caller may not change campaigns.
        Invalid: ``change`` does not validate.
        CampaignNotFound: no such campaign in the caller's org.
        CampaignChangeRefused: the campaign's state forbids the change.
    """
    require(caller, Permission.EDIT, "change campaigns")
    if not isinstance(change, CampaignChange):
        try:
            change = CampaignChange.model_validate(change)
        except ValidationError as exc:
            details = validation_messages(exc)
            raise Invalid(details[0], details) from None
    with context.db.session(caller.org_id) as session:
        changed = update_campaign(
            session, campaign_id, change, user_id=caller.user_id, caller=caller
        )
    context.data.invalidate_org(caller.org_id)
    return changed


def change_campaign_in_table(
    context: CommandContext,
    caller: Caller,
    dashboard_id: Any,
    widget_id: Any,
    field: str,
    campaign_id: Any,
    value: Any,
    *,
    confirmed: bool = False,
) -> dict:
    """Pause/resume a campaign or set its daily budget from a table widget's cell.

    The ids and the value come from the browser: the table must be the caller's to see
    on that dashboard and offer the action of that column.

    Args:
        confirmed: the user agreed to a budget change beyond the table's
            ``budget_confirm_factor`` (see :func:`needs_confirmation`).

    Returns:
        The campaign's changeable fields after the change.

    Raises:
        PermissionDenied: the caller may not change campaigns.
        WidgetNotVisible: no such table on that dashboard for the caller.
        WidgetSettingsInvalid: the table's stored settings do not validate.
        Refused: the column is not one this table lets users edit.
        Invalid: the value is not one the column takes (text, a negative budget).
        BudgetChangeNeedsConfirmation: a large budget change, not ``confirmed``.
        CampaignNotFound / CampaignChangeRefused: as :func:`update_campaign`.
    """
    require(caller, Permission.EDIT, "change campaigns")
    _, spec = visible_widget_spec(context, caller, dashboard_id, widget_id, "table")
    action = EDITABLE_FIELDS.get(field)
    if action is None or action not in spec.config.actions:
        raise Refused(f"The “{field}” column of this table cannot be edited.")
    try:
        campaign_pk = int(campaign_id)
    except (TypeError, ValueError):
        raise Invalid(f"{campaign_id!r} is not a campaign of this table.") from None
    if field == "daily_budget":
        change = CampaignChange(daily_budget=budget_value(value))
        if not confirmed:
            _ask_before_a_large_change(
                context,
                caller,
                campaign_pk,
                float(change.daily_budget or 0),
                spec.config.budget_confirm_factor,
            )
    else:
        try:
            change = CampaignChange(status=value)
        except ValidationError:
            raise Invalid(
                f"{value!r} is not a valid value here: give active or paused."
            ) from None
    return change_campaign(context, caller, campaign_pk, change)


def _ask_before_a_large_change(
    context: CommandContext,
    caller: Caller,
    campaign_id: int,
    new: float,
    factor: float,
) -> None:
    with context.db.session(caller.org_id) as session:
        campaign = session.get(Campaign, campaign_id)
        if campaign is None:
            raise CampaignNotFound(f"no campaign {campaign_id} in your org")
        if needs_confirmation(campaign.daily_budget, new, factor):
            raise BudgetChangeNeedsConfirmation(
                campaign.name, float(campaign.daily_budget or 0), new
            )
