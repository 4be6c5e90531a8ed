"""Recommendations: concrete budget and status changes a user can apply with one click.

From each active campaign's last :data:`LOOKBACK_DAYS` complete days (sums in SQL,
ratios of the sums):

* ``pause`` a campaign whose CPA is more than :data:`PAUSE_CPA_RATIO` times its target
  (its own ``target_cpa``, else the median CPA of the org's active campaigns), or that
  spent twice the target without a conversion;
* ``budget_shift``: move :data:`SHIFT_SHARE` of a low-ROAS campaign's daily budget to a
  high-ROAS one (payload ``{from_campaign_id, to_campaign_id, amount}``);
* ``scale_budget``: raise the daily budget of a high-ROAS campaign that is held back by
  its budget.

Re-runs never create a second identical pending recommendation (same type, campaign
and target): they refresh its figures, drop pending ones that no longer hold, and
leave alone what a user applied or dismissed in the last :data:`SUPPRESS_DAYS` days.
Users apply or dismiss them through :mod:`commands.recommendations`.
"""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass

from babel.numbers import format_currency
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from core.models import Campaign, MetricFactDaily, Recommendation, utcnow

LOOKBACK_DAYS = 14
PAUSE_CPA_RATIO = 1.5
SHIFT_SHARE = 0.2
SCALE_SHARE = 0.2
LOW_ROAS_RATIO = 0.75
HIGH_ROAS_RATIO = 1.25
SCALE_ROAS_RATIO = 1.5
BUDGET_LIMITED = 0.9
MAX_SHIFTS = 3
SUPPRESS_DAYS = 7
# Objectives judged on conversions and revenue (reach campaigns are not).
NON_CONVERSION_OBJECTIVES = ("awareness", "traffic")
PRIORITIES = ("low", "medium", "high")


@dataclass(frozen=True)
class CampaignStats:
    """One active campaign and its sums over the lookback window."""

    campaign: Campaign
    spend: float
    revenue: float
    conversions: float
    days: int

    @property
    def cpa(self) -> float | None:
        return self.spend / self.conversions if self.conversions else None

    @property
    def roas(self) -> float | None:
        return self.revenue / self.spend if self.spend else None

    @property
    def daily_spend(self) -> float:
        return self.spend / self.days


def _money(amount: float, currency: str) -> str:
    """Whole amounts in the org's currency as every card shows money ("$2,164",
    "€94"), so a recommendation never mixes "94 USD" with "$2,164"."""
    return format_currency(
        round(amount), currency, format="¤#,##0", locale="en_US", currency_digits=False
    )


def campaign_stats(
    session: Session, as_of: dt.date, lookback: int = LOOKBACK_DAYS
) -> list[CampaignStats]:
    """Active, in-flight campaigns with their spend, revenue and conversions (sums in
    SQL)."""
    start = as_of - dt.timedelta(days=lookback - 1)
    sums = {
        row.campaign_id: row
        for row in session.execute(
            select(
                MetricFactDaily.campaign_id,
                func.sum(MetricFactDaily.spend).label("spend"),
                func.sum(MetricFactDaily.revenue).label("revenue"),
                func.sum(MetricFactDaily.conversions).label("conversions"),
            )
            .where(MetricFactDaily.day.between(start, as_of))
            .group_by(MetricFactDaily.campaign_id)
        )
    }
    campaigns = session.scalars(
        select(Campaign).where(Campaign.status == "active").order_by(Campaign.id)
    ).all()
    stats = []
    for campaign in campaigns:
        row = sums.get(campaign.id)
        if row is None or (
            campaign.end_date is not None and campaign.end_date <= as_of
        ):
            continue
        days = (as_of - max(start, campaign.start_date)).days + 1
        stats.append(
            CampaignStats(
                campaign,
                float(row.spend or 0),
                float(row.revenue or 0),
                float(row.conversions or 0),
                max(days, 1),
            )
        )
    return stats


def _pause_candidates(stats: list[CampaignStats], currency: str) -> list[dict]:
    judged = [s for s in stats if s.campaign.objective not in NON_CONVERSION_OBJECTIVES]
    cpas = [s.cpa for s in judged if s.cpa is not None]
    median_cpa = statistics.median(cpas) if cpas else None
    found = []
    for s in judged:
        target = s.campaign.target_cpa or median_cpa
        source = "campaign target" if s.campaign.target_cpa else "org median"
        if not target or s.spend <= 0:
            continue
        if s.cpa is None:
            if s.spend < 2 * target:
                continue
            ratio, why = None, f"spent {_money(s.spend, currency)} without a conversion"
        else:
            ratio = s.cpa / target
            if ratio <= PAUSE_CPA_RATIO:
                continue
            why = (
                f"CPA {_money(s.cpa, currency)} is {ratio:.1f}× the {source} "
                f"({_money(target, currency)})"
            )
        priority = (
            "high"
            if ratio is None or ratio >= 2.5
            else "medium"
            if ratio >= 2
            else "low"
        )
        found.append(
            {
                "rec_type": "pause",
                "campaign_id": s.campaign.id,
                "priority": priority,
                "title": f"Pause {s.campaign.name}",
                "description": f"In the last {LOOKBACK_DAYS} days it {why}. "
                f"Pausing saves about {_money(s.daily_spend, currency)} a day.",
                "payload": {
                    "action": "pause",
                    "campaign_id": s.campaign.id,
                    "cpa": s.cpa,
                    "target_cpa": target,
                    "target_source": source,
                },
                "expected_impact": round(s.daily_spend, 2),
            }
        )
    return found


def _shift_and_scale(
    stats: list[CampaignStats], paused: set[int], currency: str
) -> list[dict]:
    judged = [
        s
        for s in stats
        if s.campaign.objective not in NON_CONVERSION_OBJECTIVES
        and s.spend > 0
        and s.campaign.daily_budget
    ]
    spend = sum(s.spend for s in judged)
    if not judged or spend <= 0:
        return []
    org_roas = sum(s.revenue for s in judged) / spend
    losers = sorted(
        (
            s
            for s in judged
            if s.roas < LOW_ROAS_RATIO * org_roas and s.campaign.id not in paused
        ),
        key=lambda s: s.roas,
    )
    winners = sorted(
        (s for s in judged if s.roas > HIGH_ROAS_RATIO * org_roas),
        key=lambda s: -s.roas,
    )
    found = []
    targets = set()
    for loser, winner in list(zip(losers, winners, strict=False))[:MAX_SHIFTS]:
        amount = float(round(SHIFT_SHARE * loser.campaign.daily_budget))
        if amount < 1:
            continue
        lift = winner.roas / loser.roas if loser.roas else None
        targets.add(winner.campaign.id)
        found.append(
            {
                "rec_type": "budget_shift",
                "campaign_id": loser.campaign.id,
                "priority": "high"
                if lift is None or lift >= 3
                else "medium"
                if lift >= 1.5
                else "low",
                "title": f"Move {_money(amount, currency)}/day from "
                f"{loser.campaign.name} to {winner.campaign.name}",
                "description": f"ROAS {loser.roas:.2f} against {winner.roas:.2f} "
                f"over the last {LOOKBACK_DAYS} days (org {org_roas:.2f}). Shifting "
                f"{SHIFT_SHARE:.0%} of the daily budget should earn about "
                f"{_money(amount * (winner.roas - loser.roas), currency)} more a day.",
                "payload": {
                    "action": "budget_shift",
                    "field": "daily_budget",
                    "from_campaign_id": loser.campaign.id,
                    "to_campaign_id": winner.campaign.id,
                    "amount": amount,
                    "from_roas": loser.roas,
                    "to_roas": winner.roas,
                },
                "expected_impact": round(amount * (winner.roas - loser.roas), 2),
            }
        )
    for s in judged:
        target_roas = s.campaign.target_roas or 0
        if (
            s.campaign.id in targets
            or s.roas < max(SCALE_ROAS_RATIO * org_roas, target_roas)
            or s.daily_spend < BUDGET_LIMITED * s.campaign.daily_budget
        ):
            continue
        amount = float(round(SCALE_SHARE * s.campaign.daily_budget))
        if amount < 1:
            continue
        found.append(
            {
                "rec_type": "scale_budget",
                "campaign_id": s.campaign.id,
                "priority": "high" if s.roas >= 2 * org_roas else "medium",
                "title": f"Raise the daily budget of {s.campaign.name} by "
                f"{_money(amount, currency)}",
                "description": f"ROAS {s.roas:.2f} (org {org_roas:.2f}) and it spends "
                f"{s.daily_spend / s.campaign.daily_budget:.0%} of its daily budget: "
                "the budget holds it back.",
                "payload": {
                    "action": "increase_budget",
                    "field": "daily_budget",
                    "campaign_id": s.campaign.id,
                    "amount": amount,
                    "roas": s.roas,
                },
                "expected_impact": round(amount * s.roas, 2),
            }
        )
    return found


def _signature(rec_type: str, campaign_id: int | None, payload: dict) -> tuple:
    return rec_type, campaign_id, payload.get("to_campaign_id")


def generate_recommendations(
    session: Session, org_id: int, as_of: dt.date, currency: str = "USD"
) -> dict[str, int]:
    """Recompute the org's recommendations and reconcile them with the stored ones.

    Returns counts ``{"new", "updated", "removed", "pending"}``.
    """
    stats = campaign_stats(session, as_of)
    pauses = _pause_candidates(stats, currency)
    candidates = pauses + _shift_and_scale(
        stats, {p["campaign_id"] for p in pauses}, currency
    )
    stored = session.scalars(select(Recommendation)).all()
    pending = {
        _signature(r.rec_type, r.campaign_id, r.payload): r
        for r in stored
        if r.status == "pending"
    }
    cutoff = utcnow() - dt.timedelta(days=SUPPRESS_DAYS)
    decided = {
        _signature(r.rec_type, r.campaign_id, r.payload)
        for r in stored
        if r.status != "pending" and r.decided_at and r.decided_at >= cutoff
    }
    new = updated = 0
    for item in candidates:
        key = _signature(item["rec_type"], item["campaign_id"], item["payload"])
        if key in decided:
            continue
        row = pending.pop(key, None)
        if row is None:
            session.add(Recommendation(org_id=org_id, status="pending", **item))
            new += 1
            continue
        for field, value in item.items():
            if getattr(row, field) != value:
                setattr(row, field, value)
        updated += 1
    stale = [r.id for r in pending.values()]
    if stale:
        session.execute(delete(Recommendation).where(Recommendation.id.in_(stale)))
    return {
        "new": new,
        "updated": updated,
        "removed": len(stale),
        "pending": new + updated,
    }


def recommendation_dict(rec: Recommendation) -> dict:
    """A recommendation as JSON-able data."""
    return {
        "id": rec.id,
        "rec_type": rec.rec_type,
        "campaign_id": rec.campaign_id,
        "title": rec.title,
        "description": rec.description,
        "priority": rec.priority,
        "status": rec.status,
        "payload": rec.payload,
        "expected_impact": rec.expected_impact,
        "created_at": rec.created_at.isoformat() if rec.created_at else None,
        "decided_by": rec.decided_by,
        "decided_at": rec.decided_at.isoformat() if rec.decided_at else None,
    }
