"""The campaign plan: what each generated campaign is before any fact is drawn.

An :class:`OrgSpec` describes an org the generators can build (its markets, audience,
seasons and campaign ideas); :func:`plan_campaigns` turns it into ``count``
:class:`CampaignPlan` s: a platform for each, a name from the org's themes, a flight
(always-on, recently launched, paused, finished or seasonal), markets and their shares,
budgets, unit economics and targets. Platform economics and the delivery rhythm of each
audience (hour-of-day and day-of-week curves) live here too, so the demo orgs and the
benchmark org are drawn from one model.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from core.models import Campaign, Platform
from core.reference import PLATFORMS


class Theme(NamedTuple):
    """A campaign idea: its name, objective, optional season and fixed markets."""

    label: str
    objective: str
    season: tuple[int, int, int] | None = None  # (month, day, flight length in days)
    countries: tuple[str, ...] | None = None


class PlatformProfile(NamedTuple):
    """Typical unit economics and audience rhythm of an ad platform."""

    cpm: float  # cost per 1000 impressions in the org's currency
    ctr: float
    cvr: float  # conversions per click
    order_value: float  # multiplier on the org's average order value
    daily_budget: tuple[int, int]
    hour_curve: str
    week_curve: str
    rate_limit: int  # API calls per hour


PLATFORM_PROFILES: dict[str, PlatformProfile] = {
    # Search is expensive per impression but converts best; TikTok and Snapchat buy
    # cheap reach that rarely converts; LinkedIn clicks are the most expensive.
    "meta": PlatformProfile(
        9.0, 0.012, 0.025, 1.0, (200, 1400), "consumer", "consumer", 9000
    ),
    "google": PlatformProfile(
        42.0, 0.035, 0.05, 1.1, (250, 1800), "search", "search", 15000
    ),
    "tiktok": PlatformProfile(
        5.0, 0.009, 0.008, 0.8, (100, 700), "youth", "consumer", 6000
    ),
    "linkedin": PlatformProfile(
        40.0, 0.0055, 0.03, 4.0, (150, 600), "business", "business", 2000
    ),
    "snapchat": PlatformProfile(
        4.0, 0.007, 0.012, 0.9, (80, 500), "youth", "consumer", 5000
    ),
}
PLATFORM_WEIGHTS = {
    "meta": 0.3,
    "google": 0.3,
    "tiktok": 0.15,
    "linkedin": 0.1,
    "snapchat": 0.15,
}


def _normalised(values: list[float]) -> np.ndarray:
    array = np.asarray(values, dtype=float)
    return array * (len(array) / array.sum())


# Share of a day's delivery per org-local hour (mean 1): quiet at night, evening peak;
# business audiences peak in office hours, young audiences late in the evening.
HOUR_CURVES: dict[str, np.ndarray] = {
    "consumer": _normalised(
        [
            0.35,
            0.22,
            0.15,
            0.12,
            0.12,
            0.18,
            0.35,
            0.6,
            0.8,
            0.9,
            0.95,
            1.0,
            1.1,
            1.05,
            1.0,
            1.0,
            1.05,
            1.15,
            1.35,
            1.6,
            1.75,
            1.7,
            1.35,
            0.8,
        ]
    ),
    "search": _normalised(
        [
            0.3,
            0.2,
            0.15,
            0.12,
            0.12,
            0.2,
            0.45,
            0.75,
            1.0,
            1.15,
            1.2,
            1.2,
            1.25,
            1.2,
            1.15,
            1.1,
            1.1,
            1.15,
            1.25,
            1.35,
            1.4,
            1.3,
            1.0,
            0.6,
        ]
    ),
    "youth": _normalised(
        [
            0.7,
            0.45,
            0.3,
            0.2,
            0.15,
            0.15,
            0.25,
            0.45,
            0.6,
            0.7,
            0.75,
            0.8,
            0.9,
            0.9,
            0.9,
            0.95,
            1.05,
            1.2,
            1.4,
            1.65,
            1.85,
            1.95,
            1.75,
            1.2,
        ]
    ),
    "business": _normalised(
        [
            0.1,
            0.06,
            0.05,
            0.05,
            0.06,
            0.12,
            0.35,
            0.9,
            1.5,
            1.8,
            1.85,
            1.75,
            1.5,
            1.6,
            1.7,
            1.6,
            1.4,
            1.15,
            0.9,
            0.75,
            0.65,
            0.55,
            0.4,
            0.2,
        ]
    ),
}
# Day-of-week multipliers, Monday first.
WEEK_CURVES: dict[str, tuple[float, ...]] = {
    "retail": (0.95, 0.93, 0.95, 0.98, 1.05, 1.15, 1.12),
    "travel": (1.0, 0.97, 0.97, 0.98, 0.95, 0.85, 1.18),  # trips get planned on Sunday
    "search": (1.02, 1.02, 1.0, 1.0, 0.97, 0.92, 1.02),
    "business": (1.1, 1.15, 1.15, 1.1, 0.95, 0.4, 0.4),
}
COUNTRY_CPM = {
    "USA": 1.0,
    "CAN": 0.85,
    "GBR": 0.9,
    "DEU": 0.9,
    "FRA": 0.8,
    "AUT": 0.85,
    "CHE": 1.2,
    "NLD": 0.85,
    "ESP": 0.65,
    "ITA": 0.7,
}


@dataclass(frozen=True)
class OrgSpec:
    """Everything that makes one generated org different from another."""

    name: str
    slug: str
    timezone: str
    currency: str
    vertical: str
    markets: dict[str, float]  # country -> weight when picking a campaign's markets
    order_value: float
    cvr_factor: float
    # (peak day of year, width in days, amplitude) of each seasonal bump or dip
    seasons: tuple[tuple[int, float, float], ...]
    users: tuple[tuple[str, str], ...]  # (role, full name)
    themes: dict[str, tuple[Theme, ...]]
    cpa_threshold: float
    error_platform: str
    expiring_platform: str
    hot_platform: str
    # Multiplier on how often the automation rules run (1 = the demo's rhythm, sized
    # for about 40 campaigns); a bigger account runs its rules more often.
    execution_rate: float = 1.0


# Flight shapes of campaigns without a season, cycled so even a handful of campaigns
# shows each: always-on, recently launched, paused and finished.
KIND_CYCLE = (
    "evergreen",
    "recent",
    "evergreen",
    "paused",
    "completed",
    "evergreen",
    "recent",
    "completed",
    "evergreen",
    "paused",
)


@dataclass
class CampaignPlan:
    """One campaign's attributes and the parameters its delivery is drawn from."""

    platform: str
    name: str
    objective: str
    status: str
    start_date: dt.date
    end_date: dt.date | None
    last_delivery: dt.date  # last org-local day with delivery
    countries: tuple[str, ...]
    shares: np.ndarray
    daily_budget: float
    budget: float
    pacing: float
    cpm: float
    ctr: float
    cvr: float
    order_value: float
    target_cpa: float | None
    target_roas: float | None
    external_id: str
    anomalies: list[tuple[dt.date, str]] = field(default_factory=list)
    id: int | None = None

    @property
    def expected_cpa(self) -> float:
        return self.cpm / 1000 / self.ctr / self.cvr

    @property
    def expected_roas(self) -> float:
        return self.cvr * self.order_value * self.ctr * 1000 / self.cpm


def _round_to(value: float, step: float) -> float:
    return float(round(value / step) * step)


def _seasonal_flight(
    theme: Theme, today: dt.date, window_start: dt.date, years_back: int = 0
) -> tuple[dt.date, dt.date] | None:
    """Place a seasonal flight in the calendar.

    Returns the latest occurrence that started by ``today``, or the one ``years_back``
    years before it; ``None`` if that occurrence does not overlap the window.
    """
    month, day, length = theme.season
    year = today.year if dt.date(today.year, month, day) <= today else today.year - 1
    start = dt.date(year - years_back, month, day)
    end = start + dt.timedelta(days=length - 1)
    return (start, end) if end >= window_start else None


def plan_campaigns(
    spec: OrgSpec,
    count: int,
    today: dt.date,
    window_start: dt.date,
    pyrng: random.Random,
    rng: np.random.Generator,
) -> list[CampaignPlan]:
    """Decide each campaign's platform, name, flight, markets and economics.

    The first five campaigns take one platform each, the rest are drawn by
    :data:`PLATFORM_WEIGHTS`; each platform's themes are used in a shuffled order, a
    theme's second use being its next "wave" (for a seasonal theme, last year's
    edition).

    Args:
        spec: the org the campaigns belong to.
        count: how many campaigns to plan.
        today: the org-local day the history ends with.
        window_start: the org-local day the history starts with.
        pyrng: the org's stream for choices (names, flights, budgets, targets).
        rng: the org's numpy stream (market shares).

    Returns:
        The plans, in the order their campaign rows are to be written.
    """
    window_days = (today - window_start).days + 1
    platforms = list(PLATFORMS)[:count]
    platforms += pyrng.choices(
        list(PLATFORM_WEIGHTS),
        weights=list(PLATFORM_WEIGHTS.values()),
        k=count - len(platforms),
    )
    theme_orders = {
        p: pyrng.sample(spec.themes[p], len(spec.themes[p])) for p in PLATFORMS
    }
    theme_used = dict.fromkeys(PLATFORMS, 0)
    plans: list[CampaignPlan] = []
    kind_counter = 0
    for platform in platforms:
        themes = theme_orders[platform]
        used = theme_used[platform]
        theme = themes[used % len(themes)]
        wave = used // len(themes) + 1
        theme_used[platform] += 1
        name = f"{PLATFORMS[platform]} – {theme.label}"
        if wave > 1:
            name += f" – Wave {wave}"

        end: dt.date | None
        # A seasonal theme's second wave is last year's edition of the campaign.
        flight = (
            _seasonal_flight(theme, today, window_start, years_back=wave - 1)
            if theme.season
            else None
        )
        if flight is not None:
            start, end = flight
            kind = "completed" if end < today else "seasonal"
        else:
            kind = KIND_CYCLE[kind_counter % len(KIND_CYCLE)]
            kind_counter += 1
            start, end = _generic_flight(kind, today, window_start, window_days, pyrng)
        last_delivery = min(end or today, today)
        if kind == "paused":
            # Paused within the last six weeks, after at least a day of delivery.
            paused_for = pyrng.randint(1, max(1, min(45, (today - start).days)))
            last_delivery = today - dt.timedelta(days=paused_for)
        status = {"completed": "completed", "paused": "paused"}.get(kind, "active")

        countries = theme.countries or _pick_markets(spec, pyrng)
        shares = np.array([spec.markets.get(c, 0.1) for c in countries])
        shares = shares * rng.lognormal(0.0, 0.25, len(countries))
        shares = shares / shares.sum()

        profile = PLATFORM_PROFILES[platform]
        cpm, ctr, cvr = profile.cpm, profile.ctr, profile.cvr * spec.cvr_factor
        label = theme.label
        # Brand terms and retargeting convert far better than cold audiences, and
        # awareness buys reach rather than clicks.
        if label.startswith("Brand Search"):
            cpm, ctr, cvr = cpm * 0.6, ctr * 1.8, cvr * 1.6
        elif any(k in label for k in ("Retargeting", "Remarketing", "Loyalty")):
            ctr, cvr = ctr * 1.4, cvr * 2.0
        if theme.objective == "awareness":
            cpm, ctr, cvr = cpm * 0.6, ctr * 0.5, cvr * 0.25
        cpm *= pyrng.uniform(0.85, 1.2)
        ctr *= pyrng.uniform(0.8, 1.25)
        cvr *= pyrng.uniform(0.75, 1.3)
        order_value = spec.order_value * profile.order_value * pyrng.uniform(0.85, 1.2)

        low, high = profile.daily_budget
        daily_budget = _round_to(pyrng.uniform(low, high), 10)
        if label.startswith("Brand Search"):
            daily_budget = _round_to(daily_budget * 0.25, 10)
        flight_days = ((end or today) - start).days + 1
        if end is not None:
            budget = _round_to(daily_budget * flight_days, 100)
        else:
            budget = _round_to(daily_budget * max(365, flight_days + 90), 1000)

        plan = CampaignPlan(
            platform=platform,
            name=name,
            objective=theme.objective,
            status=status,
            start_date=start,
            end_date=end,
            last_delivery=last_delivery,
            countries=tuple(countries),
            shares=shares,
            daily_budget=daily_budget,
            budget=budget,
            pacing=pyrng.uniform(0.6, 0.78),
            cpm=cpm,
            ctr=ctr,
            cvr=cvr,
            order_value=order_value,
            target_cpa=None,
            target_roas=None,
            external_id=_external_id(platform, pyrng),
        )
        # Targets near what the campaign achieves, so some beat them and some miss.
        if theme.objective != "awareness":
            cpa = plan.expected_cpa * pyrng.uniform(0.85, 1.25)
            plan.target_cpa = round(cpa * 2) / 2
        if theme.objective in ("sales", "conversions"):
            plan.target_roas = round(plan.expected_roas * pyrng.uniform(0.8, 1.2), 1)
        plans.append(plan)
    return plans


def _generic_flight(
    kind: str,
    today: dt.date,
    window_start: dt.date,
    window_days: int,
    pyrng: random.Random,
) -> tuple[dt.date, dt.date | None]:
    """A flight of the given shape, scaled to the window so small windows work too."""
    delta = dt.timedelta

    def frac(share: float, minimum: int) -> int:
        return max(minimum, round(window_days * share))

    if kind == "evergreen":
        start = window_start - delta(pyrng.randint(0, 200))
        end = today + delta(pyrng.randint(20, 150)) if pyrng.random() < 0.3 else None
    elif kind == "recent":
        start = today - delta(pyrng.randint(frac(0.05, 1), frac(0.45, 2)))
        end = today + delta(pyrng.randint(14, 90)) if pyrng.random() < 0.5 else None
    elif kind == "completed":
        length = pyrng.randint(frac(0.06, 2), frac(0.3, 3))
        end = today - delta(pyrng.randint(1, max(1, window_days - 2)))
        start = end - delta(length - 1)
    else:  # paused
        start = today - delta(pyrng.randint(frac(0.25, 3), frac(0.9, 4)))
        end = today + delta(pyrng.randint(30, 120)) if pyrng.random() < 0.3 else None
    return start, end


def _pick_markets(spec: OrgSpec, pyrng: random.Random) -> list[str]:
    """One to three markets, the org's home market most likely first."""
    size = pyrng.choices((1, 2, 3), weights=(0.4, 0.35, 0.25))[0]
    pool = dict(spec.markets)
    chosen: list[str] = []
    for _ in range(min(size, len(pool))):
        country = pyrng.choices(list(pool), weights=list(pool.values()))[0]
        chosen.append(country)
        del pool[country]
    return chosen


def _external_id(platform: str, pyrng: random.Random) -> str:
    if platform == "meta":
        return f"2385{pyrng.randrange(10**12, 10**13)}"
    if platform == "google":
        return str(pyrng.randrange(10**9, 10**10))
    if platform == "tiktok":
        return f"17{pyrng.randrange(10**16, 10**17)}"
    if platform == "linkedin":
        return str(pyrng.randrange(10**8, 10**9))
    return "-".join(f"{pyrng.getrandbits(b):0{b // 4}x}" for b in (32, 16, 16, 16, 48))


def inject_anomalies(
    plans: list[CampaignPlan],
    today: dt.date,
    window_start: dt.date,
    pyrng: random.Random,
) -> None:
    """Mark a few campaign-days as anomalous for the anomaly detector to find.

    One spend spike, one conversion collapse (a tracking outage) and one delivery drop
    per org, each on a recent day of a long-running campaign.
    """
    window_days = (today - window_start).days + 1
    latest = today - dt.timedelta(days=1)
    earliest = max(
        window_start + dt.timedelta(days=7),
        today - dt.timedelta(days=min(90, window_days - 1)),
    )
    if earliest > latest:
        return
    candidates = [
        p for p in plans if p.start_date <= earliest and p.last_delivery >= latest
    ]
    kinds = ("spend_spike", "conversion_collapse", "delivery_drop")
    # Distinct campaigns, so that no two anomalies cancel out on the same day.
    for plan, kind in zip(
        pyrng.sample(candidates, min(len(kinds), len(candidates))), kinds, strict=False
    ):
        offset = pyrng.randint(0, (latest - earliest).days)
        plan.anomalies.append((earliest + dt.timedelta(days=offset), kind))


def planned_fact_rows(
    plans: list[CampaignPlan], window_start: dt.date, today: dt.date
) -> int:
    """About how many hourly fact rows these campaigns deliver in the window.

    Counts 24 hours per delivering day and country; the drawn facts differ by the
    hours of daylight-saving days and the rare hour without an impression.
    """
    rows = 0
    for plan in plans:
        first = max(plan.start_date, window_start)
        last = min(plan.last_delivery, today)
        if last >= first:
            rows += ((last - first).days + 1) * 24 * len(plan.countries)
    return rows


def ensure_platforms(session: Session) -> None:
    """The migrations load the platform list; add any that is missing all the same."""
    present = set(session.scalars(select(Platform.code)))
    missing = [{"code": c, "name": n} for c, n in PLATFORMS.items() if c not in present]
    if missing:
        session.execute(insert(Platform.__table__), missing)


def insert_campaigns(
    session: Session, org_id: int, plans: list[CampaignPlan]
) -> list[Campaign]:
    """Write one campaign row per plan and set each plan's ``id``.

    Args:
        session: an unscoped (schema owner) session.
        org_id: the org the campaigns belong to.
        plans: the planned campaigns, as :func:`plan_campaigns` returns them.

    Returns:
        The campaign rows, flushed, in plan order.
    """
    rows = [
        Campaign(
            org_id=org_id,
            platform=p.platform,
            external_id=p.external_id,
            name=p.name,
            objective=p.objective,
            status=p.status,
            budget=p.budget,
            daily_budget=p.daily_budget,
            start_date=p.start_date,
            end_date=p.end_date,
            target_cpa=p.target_cpa,
            target_roas=p.target_roas,
            created_at=dt.datetime.combine(p.start_date, dt.time(9))
            - dt.timedelta(days=3),
        )
        for p in plans
    ]
    session.add_all(rows)
    session.flush()
    for plan, row in zip(plans, rows, strict=True):
        plan.id = row.id
    return rows
