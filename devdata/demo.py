"""Seed a deterministic demo dataset: ``python -m devdata.demo``.

Creates two demo orgs ("Acme Retail" in New York, "Globex Travel" in Berlin), their
users, about a year of campaigns with hourly delivery facts and the daily rollup,
automation rules with their execution history, and platform connections with sync
runs, API-call usage and errors. The same seed (and ``now``) always gives the same
data, so screenshots, tests and bug reports can refer to it.

The schema must exist already (``python -m core.migrate``). The seeder refuses
a database that already has orgs unless ``--force`` is given, in which case it
replaces the two demo orgs (by slug) and leaves every other org alone.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import time
from dataclasses import dataclass, field
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from argon2 import PasswordHasher
from sqlalchemy import delete, func, insert, select, text
from sqlalchemy.orm import Session
from tqdm import tqdm

from analytics.runner import run_analytics
from core.db import Database
from core.models import (
    AutomationExecution,
    AutomationRule,
    Campaign,
    CampaignTotals,
    DashboardTemplate,
    MetricFactDaily,
    MetricFactDailyPlatform,
    MetricFactHourly,
    MetricFactHourlyPlatform,
    Org,
    Platform,
    PlatformApiCalls,
    PlatformConnection,
    PlatformError,
    PlatformSyncRun,
    User,
)
from core.reference import PLATFORMS
from dashboards.builtin import create_dashboard_from_template, sync_builtin_templates
from datasources.rollups import refresh_daily_rollup

DEMO_PASSWORD = "pulse-demo"
DEMO_SLUGS = ("acme", "globex")
FACT_CHUNK_ROWS = 25_000
EXECUTION_DAYS = 60
PLATFORM_HISTORY_DAYS = 14

FACT_COLUMNS = (
    "org_id",
    "campaign_id",
    "hour_utc",
    "country",
    "local_date",
    "impressions",
    "clicks",
    "conversions",
    "spend",
    "revenue",
)


class DatabaseNotEmpty(RuntimeError):
    """The database already holds orgs and ``force`` was not given."""


class SeedingNotPossible(RuntimeError):
    """The database role cannot see or write every org (PostgreSQL RLS)."""


# ------------------------------------------------------------------ static demo content
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
    """Everything that makes one demo org different from the other."""

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


ACME = OrgSpec(
    name="Acme Retail",
    slug="acme",
    timezone="America/New_York",
    currency="USD",
    vertical="retail",
    markets={"USA": 0.75, "CAN": 0.18, "GBR": 0.07},
    order_value=85.0,
    cvr_factor=1.0,
    # Black Friday / Cyber week, the pre-Christmas rush and the January lull.
    seasons=((330, 12.0, 0.3), (350, 9.0, 0.15), (20, 16.0, -0.12)),
    users=(
        ("admin", "Alice Morgan"),
        ("editor", "Ethan Brooks"),
        ("viewer", "Vera Lopez"),
    ),
    themes={
        "meta": (
            Theme("Black Friday Prospecting", "sales", (11, 1, 32)),
            Theme("Retargeting – Cart Abandoners", "conversions"),
            Theme("Lookalike – Top Customers", "conversions"),
            Theme("Spring Collection Launch", "sales", (3, 10, 45)),
            Theme("Holiday Gift Guide", "sales", (11, 20, 36)),
            Theme("Summer Sale Prospecting", "sales", (6, 15, 40)),
            Theme("Back to School", "sales", (7, 20, 40)),
            Theme("Catalog Sales – Home & Garden", "sales"),
            Theme("Video Views – Brand Story", "awareness"),
            Theme("Loyalty Members Upsell", "conversions"),
        ),
        "google": (
            Theme("Brand Search US", "conversions", countries=("USA",)),
            Theme("Brand Search CA", "conversions", countries=("CAN",)),
            Theme("Shopping – Electronics", "sales"),
            Theme("Performance Max – All Products", "sales"),
            Theme("Generic Search – Running Shoes", "conversions"),
            Theme("Competitor Terms", "conversions"),
            Theme("Display Remarketing", "conversions"),
            Theme("YouTube – Holiday Bumper", "awareness", (11, 15, 45)),
            Theme("Shopping – Home & Kitchen", "sales"),
            Theme("Generic Search – Outdoor Gear", "conversions", (4, 1, 120)),
        ),
        "tiktok": (
            Theme("Spark Ads – Creator Hauls", "traffic"),
            Theme("Back to School Challenge", "awareness", (7, 25, 35)),
            Theme("Summer Drop Teaser", "awareness", (5, 20, 30)),
            Theme("In-Feed – Sneaker Launch", "conversions"),
            Theme("TopView – Black Friday", "awareness", (11, 20, 14)),
            Theme("Creator UGC Prospecting", "conversions"),
        ),
        "linkedin": (
            Theme("Corporate Gifting – HR Leaders", "leads", (10, 1, 75)),
            Theme("B2B Bulk Orders", "leads"),
            Theme("Employer Brand – Store Jobs", "awareness"),
            Theme("Retail Partners Lead Gen", "leads"),
        ),
        "snapchat": (
            Theme("AR Lens – Sunglasses Try-On", "awareness", (5, 1, 60)),
            Theme("Story Ads – Weekend Deals", "conversions"),
            Theme("Dynamic Ads – Retargeting", "conversions"),
            Theme("Collection Ads – New Arrivals", "sales"),
            Theme("Snap Pixel Prospecting", "conversions"),
        ),
    },
    cpa_threshold=60.0,
    error_platform="snapchat",
    expiring_platform="google",
    hot_platform="meta",
)

GLOBEX = OrgSpec(
    name="Globex Travel",
    slug="globex",
    timezone="Europe/Berlin",
    currency="EUR",
    vertical="travel",
    markets={
        "DEU": 0.38,
        "AUT": 0.12,
        "CHE": 0.12,
        "NLD": 0.1,
        "FRA": 0.1,
        "ESP": 0.06,
        "ITA": 0.06,
        "GBR": 0.06,
    },
    order_value=320.0,
    cvr_factor=0.3,
    # January booking peak, early-summer last bookings, quiet Christmas week.
    seasons=((15, 18.0, 0.22), (150, 28.0, 0.16), (356, 7.0, -0.15)),
    users=(
        ("admin", "Anna Schmidt"),
        ("editor", "Erik Weber"),
        ("viewer", "Valentina Rossi"),
    ),
    themes={
        "meta": (
            Theme("Summer Beach Deals", "sales", (4, 15, 90)),
            Theme("Retargeting – Abandoned Bookings", "conversions"),
            Theme("City Breaks DACH", "sales", countries=("DEU", "AUT", "CHE")),
            Theme("Lookalike – Frequent Travellers", "conversions"),
            Theme("Ski Season Alps", "sales", (11, 1, 110)),
            Theme("Last-Minute Offers", "sales"),
            Theme("Christmas Markets", "sales", (11, 10, 40)),
            Theme("Family Holidays Prospecting", "conversions"),
            Theme("Cruise Collection", "sales"),
            Theme("Early Booking Discount", "sales", (1, 5, 60)),
        ),
        "google": (
            Theme("Brand Search DE", "conversions", countries=("DEU",)),
            Theme("Brand Search AT", "conversions", countries=("AUT",)),
            Theme("Brand Search CH", "conversions", countries=("CHE",)),
            Theme("Hotel Ads – Berlin", "sales"),
            Theme("Generic Search – Mallorca Flights", "conversions", (3, 1, 120)),
            Theme("Performance Max – Packages", "sales"),
            Theme("Competitor Terms", "conversions"),
            Theme("Display Remarketing", "conversions"),
            Theme("YouTube – Destination Films", "awareness"),
            Theme("Generic Search – Ski Holidays", "conversions", (10, 15, 120)),
        ),
        "tiktok": (
            Theme("Spark Ads – Travel Creators", "traffic"),
            Theme("Hidden Gems Series", "awareness"),
            Theme("Summer Vibes In-Feed", "awareness", (5, 15, 60)),
            Theme("Weekend Getaway Challenge", "conversions"),
            Theme("TopView – Summer Launch", "awareness", (5, 1, 10)),
        ),
        "linkedin": (
            Theme("Business Travel – Travel Managers", "leads"),
            Theme("MICE Events Lead Gen", "leads"),
            Theme("Corporate Rates – HR", "leads"),
            Theme("Employer Brand – Tour Guides", "awareness", (2, 1, 45)),
        ),
        "snapchat": (
            Theme("Story Ads – Last-Minute", "conversions"),
            Theme("AR Lens – Beach Filter", "awareness", (6, 1, 45)),
            Theme("Dynamic Ads – Retargeting", "conversions"),
            Theme("Collection Ads – City Breaks", "sales"),
        ),
    },
    cpa_threshold=150.0,
    error_platform="tiktok",
    expiring_platform="meta",
    hot_platform="google",
)

DEMO_ORGS = (ACME, GLOBEX)

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

PLATFORM_ERRORS: dict[str, tuple[str, str]] = {
    "RATE_LIMIT": (
        "warning",
        "429 Too Many Requests: hourly rate limit reached, retrying after 60 s",
    ),
    "TOKEN_EXPIRED": (
        "critical",
        "401 Unauthorized: the access token has expired; reconnect the account",
    ),
    "TIMEOUT": ("warning", "Request timed out after 30 s fetching hourly insights"),
    "INVALID_PARAM": (
        "error",
        "400 Bad Request: invalid parameter 'breakdowns' for this report level",
    ),
    "SERVER_ERROR": (
        "warning",
        "503 Service Unavailable: the platform API is temporarily unavailable",
    ),
}


# ------------------------------------------------------------------------ data planning
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


@dataclass(frozen=True)
class HourGrid:
    """Every UTC hour of the seeded window with its org-local calendar attributes."""

    hours: np.ndarray  # naive UTC datetimes (objects)
    local_dates: np.ndarray  # datetime64[D]
    local_date_objects: np.ndarray  # datetime.date objects
    local_hour: np.ndarray
    day_index: np.ndarray  # index of each hour's local day in ``days``
    days: np.ndarray  # datetime64[D], the local days the window touches
    weekday: np.ndarray  # per day, Monday = 0
    day_of_year: np.ndarray  # per day

    @classmethod
    def build(cls, first_hour: dt.datetime, hours: int, timezone: str) -> HourGrid:
        """The grid of ``hours`` consecutive UTC hours from ``first_hour``."""
        index = pd.date_range(first_hour, periods=hours, freq="h")
        # Converted per hour, so DST transitions give 23- and 25-hour local days.
        local = index.tz_localize("UTC").tz_convert(timezone)
        local_dates = local.tz_localize(None).to_numpy().astype("datetime64[D]")
        days, day_index = np.unique(local_dates, return_inverse=True)
        day_stamps = pd.DatetimeIndex(days)
        return cls(
            hours=index.to_numpy().astype("datetime64[us]").astype(object),
            local_dates=local_dates,
            local_date_objects=local_dates.astype(object),
            local_hour=local.hour.to_numpy(),
            day_index=day_index,
            days=days,
            weekday=day_stamps.day_of_week.to_numpy(),
            day_of_year=day_stamps.day_of_year.to_numpy(),
        )


def _utc_naive(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


def _local_date(value: dt.datetime, timezone: str) -> dt.date:
    """The org-local calendar day of a naive-UTC timestamp."""
    return value.replace(tzinfo=dt.UTC).astimezone(ZoneInfo(timezone)).date()


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


def _plan_campaigns(
    spec: OrgSpec,
    count: int,
    today: dt.date,
    window_start: dt.date,
    pyrng: random.Random,
    rng: np.random.Generator,
) -> list[CampaignPlan]:
    """Decide each campaign's platform, name, flight, markets and economics."""
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


def _inject_anomalies(
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


# -------------------------------------------------------------------- hourly fact rows
def _season_curve(spec: OrgSpec, day_of_year: np.ndarray) -> np.ndarray:
    curve = np.ones(len(day_of_year))
    for peak, width, amplitude in spec.seasons:
        distance = np.abs(day_of_year - peak)
        distance = np.minimum(distance, 365 - distance)  # the year wraps around
        curve += amplitude * np.exp(-0.5 * (distance / width) ** 2)
    return curve


def _campaign_facts(
    plan: CampaignPlan,
    spec: OrgSpec,
    grid: HourGrid,
    day_factor: np.ndarray,
    age_years: np.ndarray,
    rng: np.random.Generator,
) -> dict[str, np.ndarray] | None:
    """Draw one campaign's hourly facts for every hour of its flight in the window.

    Returns column arrays in (hour, country) order, rows without impressions dropped,
    or ``None`` when the flight does not overlap the window.
    """
    first = np.datetime64(plan.start_date, "D")
    last = np.datetime64(plan.last_delivery, "D")
    lo = int(np.searchsorted(grid.local_dates, first, side="left"))
    hi = int(np.searchsorted(grid.local_dates, last, side="right"))
    if hi <= lo:
        return None
    profile = PLATFORM_PROFILES[plan.platform]
    n_days = len(grid.days)

    # Day level: rhythm of the week, season, trend, and an AR(1) wobble so that
    # consecutive days resemble each other.
    week = np.asarray(
        WEEK_CURVES[
            spec.vertical if profile.week_curve == "consumer" else profile.week_curve
        ]
    )
    wobble = np.empty(n_days)
    shocks = rng.normal(0.0, 0.07, n_days)
    level = 0.0
    for i in range(n_days):
        level = 0.7 * level + shocks[i]
        wobble[i] = level
    daily = week[grid.weekday] * day_factor * np.exp(wobble) * plan.pacing
    # Platforms stop delivering at the daily budget.
    daily = np.minimum(daily, 0.98)
    spend_day = plan.daily_budget * daily
    cvr_day = plan.cvr * (1.0 + 0.08 * age_years) * rng.lognormal(0.0, 0.08, n_days)
    ctr_day = plan.ctr * rng.lognormal(0.0, 0.05, n_days)
    for day, kind in plan.anomalies:
        where = grid.days == np.datetime64(day, "D")
        if kind == "spend_spike":
            spend_day[where] *= 3.0
        elif kind == "conversion_collapse":
            cvr_day[where] *= 0.05
        else:
            spend_day[where] *= 0.12

    # Hour level: the day's spend spread over local hours, then over countries.
    day_idx = grid.day_index[lo:hi]
    hour_share = HOUR_CURVES[profile.hour_curve][grid.local_hour[lo:hi]] / 24.0
    spend_hour = spend_day[day_idx] * hour_share
    country_cpm = plan.cpm * np.array([COUNTRY_CPM.get(c, 1.0) for c in plan.countries])
    expected_spend = spend_hour[:, None] * plan.shares[None, :]
    impressions = rng.poisson(expected_spend / country_cpm[None, :] * 1000.0)
    clicks = rng.binomial(impressions, np.minimum(ctr_day[day_idx], 1.0)[:, None])
    conversions = rng.binomial(clicks, np.minimum(cvr_day[day_idx], 1.0)[:, None])
    cpm_noise = rng.gamma(40.0, 1 / 40.0, impressions.shape)
    spend = np.round(impressions * country_cpm[None, :] / 1000.0 * cpm_noise, 2)
    # A sum of conversion values: gamma with shape proportional to the count.
    revenue = np.round(rng.gamma(4.0 * conversions, plan.order_value / 4.0), 2)

    n_countries = len(plan.countries)
    keep = impressions.ravel() > 0
    return {
        "hour_utc": np.repeat(grid.hours[lo:hi], n_countries)[keep],
        "country": np.tile(np.array(plan.countries, dtype=object), hi - lo)[keep],
        "local_date": np.repeat(grid.local_date_objects[lo:hi], n_countries)[keep],
        "impressions": impressions.ravel()[keep],
        "clicks": clicks.ravel()[keep],
        "conversions": conversions.ravel()[keep],
        "spend": spend.ravel()[keep],
        "revenue": revenue.ravel()[keep],
    }


class _FactWriter:
    """Buffers hourly fact rows and writes them in chunks.

    PostgreSQL gets COPY; other databases an executemany of a Core insert.
    """

    def __init__(self, session: Session, chunk_rows: int = FACT_CHUNK_ROWS) -> None:
        self.session = session
        self.chunk_rows = chunk_rows
        self.postgres = session.get_bind().dialect.name == "postgresql"
        self.buffer: list[tuple] = []
        self.written = 0

    def add(
        self, org_id: int, campaign_id: int, columns: dict[str, np.ndarray]
    ) -> None:
        """Queue one campaign's rows (see :func:`_campaign_facts`)."""
        n = len(columns["impressions"])
        self.buffer.extend(
            zip(
                [org_id] * n,
                [campaign_id] * n,
                columns["hour_utc"].tolist(),
                columns["country"].tolist(),
                columns["local_date"].tolist(),
                columns["impressions"].tolist(),
                columns["clicks"].tolist(),
                columns["conversions"].tolist(),
                columns["spend"].tolist(),
                columns["revenue"].tolist(),
                strict=True,
            )
        )
        if len(self.buffer) >= self.chunk_rows:
            self.flush()

    def flush(self) -> None:
        if not self.buffer:
            return
        if self.postgres:
            cursor = self.session.connection().connection.driver_connection.cursor()
            statement = (
                f"COPY {MetricFactHourly.__tablename__} "
                f"({', '.join(FACT_COLUMNS)}) FROM STDIN"
            )
            with cursor.copy(statement) as copy:
                for row in self.buffer:
                    copy.write_row(row)
        else:
            self.session.execute(
                insert(MetricFactHourly.__table__),
                [dict(zip(FACT_COLUMNS, row, strict=True)) for row in self.buffer],
            )
        self.written += len(self.buffer)
        self.buffer = []


# ------------------------------------------------------------------ automation records
def _automation_rules(spec: OrgSpec) -> list[dict[str, Any]]:
    admin = f"admin@{spec.slug}.example"
    rules = [
        (
            "Pause high-CPA campaigns",
            "active",
            {
                "metric": "cpa",
                "operator": ">",
                "threshold": spec.cpa_threshold,
                "window": "7d",
            },
            {"type": "pause"},
            {"platforms": ["meta", "google", "tiktok", "snapchat"]},
        ),
        (
            "Scale winners",
            "active" if spec.slug == "acme" else "paused",
            {"metric": "roas", "operator": ">", "threshold": 4, "window": "7d"},
            {"type": "budget_adjust", "percent": 15, "max_daily_budget": 2500},
            {},
        ),
        (
            "Notify on spend spike",
            "active",
            {
                "metric": "spend_change_pct",
                "operator": ">",
                "threshold": 50,
                "window": "1d",
            },
            {"type": "notify", "channels": ["email"], "recipients": [admin]},
            {},
        ),
        (
            "Trim budget on low ROAS",
            "active",
            {"metric": "roas", "operator": "<", "threshold": 1.0, "window": "14d"},
            {"type": "budget_adjust", "percent": -20},
            {"objectives": ["sales"]},
        ),
        (
            "Alert on conversion drop",
            "active",
            {
                "metric": "conversions_change_pct",
                "operator": "<",
                "threshold": -40,
                "window": "1d",
            },
            {"type": "notify", "channels": ["email"], "recipients": [admin]},
            {},
        ),
        (
            "Pause zero-conversion spenders",
            "paused",
            {
                "metric": "conversions",
                "operator": "==",
                "threshold": 0,
                "window": "3d",
                "min_spend": 500,
            },
            {"type": "pause"},
            {},
        ),
    ]
    return [
        {
            "name": name,
            "status": status,
            "condition": condition,
            "action": action,
            "scope": scope,
        }
        for name, status, condition, action, scope in rules
    ]


def _execution_rows(
    spec: OrgSpec,
    org_id: int,
    rules: list[AutomationRule],
    plans: list[CampaignPlan],
    now: dt.datetime,
    window_days: int,
    pyrng: random.Random,
) -> list[dict[str, Any]]:
    """A couple of hundred executions over the last 60 days, mostly successful."""
    span_hours = min(EXECUTION_DAYS, window_days) * 24
    rows: list[dict[str, Any]] = []
    weights = {"pause": 30, "budget_adjust": 45, "notify": 40}
    for rule in rules:
        action = rule.action["type"]
        in_scope = [p for p in plans if _rule_applies(rule, p)] or plans
        # A paused rule stopped running some days ago.
        paused_hours = (
            pyrng.randint(span_hours // 6, span_hours // 3)
            if rule.status == "paused"
            else 0
        )
        count = max(
            3,
            round(
                weights[action]
                * span_hours
                / (EXECUTION_DAYS * 24)
                * pyrng.uniform(0.7, 1.3)
            ),
        )
        times = sorted(
            now
            - dt.timedelta(
                seconds=pyrng.randint(paused_hours * 3600, span_hours * 3600)
            )
            for _ in range(count)
        )
        for executed_at in times:
            local_day = _local_date(executed_at, spec.timezone)
            live = [p for p in in_scope if p.start_date <= local_day <= p.last_delivery]
            plan = pyrng.choice(live or in_scope)
            status = pyrng.choices(
                ("success", "failed", "skipped"), (0.86, 0.07, 0.07)
            )[0]
            details, error = _execution_details(rule, plan, status, pyrng)
            rows.append(
                {
                    "org_id": org_id,
                    "rule_id": rule.id,
                    "campaign_id": plan.id,
                    "executed_at": executed_at,
                    "status": status,
                    "action_taken": action,
                    "details": details,
                    "error": error,
                }
            )
        rule.last_run_at = (
            times[-1]
            if rule.status == "paused"
            else now - dt.timedelta(minutes=pyrng.randint(3, 55))
        )
    rows.sort(key=lambda row: row["executed_at"])
    return rows


def _rule_applies(rule: AutomationRule, plan: CampaignPlan) -> bool:
    """Whether a rule's scope covers the campaign and its condition plausibly fires."""
    scope, condition = rule.scope, rule.condition
    if "platforms" in scope and plan.platform not in scope["platforms"]:
        return False
    if "objectives" in scope and plan.objective not in scope["objectives"]:
        return False
    threshold = float(condition["threshold"])
    if condition["metric"] == "cpa":
        return plan.objective != "awareness" and plan.expected_cpa > 0.8 * threshold
    if condition["metric"] == "roas":
        if condition["operator"] == ">":
            return plan.expected_roas > 0.8 * threshold
        return plan.expected_roas < 1.5 * threshold
    return True


def _execution_details(
    rule: AutomationRule, plan: CampaignPlan, status: str, pyrng: random.Random
) -> tuple[dict[str, Any], str | None]:
    condition, action = rule.condition, rule.action
    threshold = float(condition["threshold"])
    metric = condition["metric"]
    details: dict[str, Any] = {
        "metric": metric,
        "threshold": threshold,
        "window": condition["window"],
    }
    if metric in ("cpa", "roas"):
        over = pyrng.uniform(1.05, 1.6)
        value = threshold * over if condition["operator"] == ">" else threshold / over
    elif metric == "spend_change_pct":
        value = pyrng.uniform(55, 220)
        details["spend"] = round(
            plan.daily_budget * pyrng.uniform(0.5, 0.8) * (1 + value / 100), 2
        )
    elif metric == "conversions_change_pct":
        value = -pyrng.uniform(42, 95)
        details["conversions"] = pyrng.randint(0, 12)
    else:
        value = 0
        details["spend"] = round(pyrng.uniform(500, 1500), 2)
    details["metric_value"] = round(value, 2)
    if action["type"] == "budget_adjust":
        percent = action["percent"]
        details.update(
            old_budget=plan.daily_budget,
            percent=percent,
            new_budget=round(plan.daily_budget * (1 + percent / 100), 2),
        )
    elif action["type"] == "notify":
        details["recipients"] = action.get("recipients", [])
    if status == "skipped":
        details["reason"] = pyrng.choice(
            {
                "pause": ("campaign already paused", "cooldown active"),
                "budget_adjust": (
                    "budget already at the rule's limit",
                    "cooldown active",
                ),
                "notify": ("duplicate alert suppressed", "cooldown active"),
            }[action["type"]]
            + ("not enough data in the window",)
        )
        return details, None
    if status == "failed":
        platform = PLATFORMS[plan.platform]
        if action["type"] == "notify":
            return details, pyrng.choice(
                (
                    "SMTP server refused the connection (421 try again later)",
                    "Recipient address rejected: mailbox unavailable",
                )
            )
        return details, pyrng.choice(
            (
                f"{platform} API returned 400: daily budget below the platform minimum"
                if action["type"] == "budget_adjust"
                else f"{platform} API returned 400: campaign is locked while under review",
                f"{platform} access token expired; reconnect the account",
                f"Timed out after 30 s waiting for {platform}",
            )
        )
    return details, None


# ------------------------------------------------------------- platform health records
def _platform_records(
    spec: OrgSpec,
    org_id: int,
    connections: dict[str, PlatformConnection],
    plans: list[CampaignPlan],
    now: dt.datetime,
    window_days: int,
    rng: np.random.Generator,
    pyrng: random.Random,
) -> tuple[list[dict], list[dict], list[dict]]:
    """Hourly sync runs, hourly API-call usage and the errors behind the failures."""
    hours = min(PLATFORM_HISTORY_DAYS, window_days) * 24
    grid = HourGrid.build(now - dt.timedelta(hours=hours), hours, spec.timezone)
    curve = HOUR_CURVES["search"][grid.local_hour]
    curve = curve / curve.max()
    sync_rows: list[dict] = []
    call_rows: list[dict] = []
    error_rows: list[dict] = []
    for platform, connection in connections.items():
        cid = connection.id
        broken = platform == spec.error_platform
        # The broken connection's token expired a few hours ago; every sync since
        # then has failed.
        broken_since = hours - pyrng.randint(5, 9) if broken else hours
        if broken:
            connection.token_expires_at = grid.hours[broken_since] - dt.timedelta(
                minutes=pyrng.randint(5, 50)
            )
        campaigns_here = sum(p.platform == platform for p in plans)
        for i, hour in enumerate(grid.hours):
            started = hour + dt.timedelta(
                minutes=pyrng.randint(0, 9), seconds=pyrng.randint(0, 59)
            )
            # Only the broken connection's latest sync failed, so exactly one
            # connection per org reports a failed last sync.
            failed = i >= broken_since or (i < hours - 1 and pyrng.random() < 0.02)
            finished = started + dt.timedelta(seconds=pyrng.randint(15, 240))
            if failed:
                code = (
                    "TOKEN_EXPIRED"
                    if i >= broken_since
                    else pyrng.choice(("TIMEOUT", "SERVER_ERROR", "RATE_LIMIT"))
                )
                severity, message = PLATFORM_ERRORS[code]
                error_rows.append(
                    {
                        "org_id": org_id,
                        "connection_id": cid,
                        "occurred_at": finished,
                        "error_code": code,
                        "message": message,
                        "severity": severity,
                    }
                )
                error = f"{code}: {message}"
            else:
                error = None
            sync_rows.append(
                {
                    "org_id": org_id,
                    "connection_id": cid,
                    "started_at": started,
                    "finished_at": finished,
                    "status": "failed" if failed else "success",
                    "records_synced": 0
                    if failed
                    else int(rng.poisson(30 + 45 * max(campaigns_here, 1))),
                    "error": error,
                }
            )
        last = sync_rows[-1]
        connection.last_sync_at = last["finished_at"]
        connection.last_sync_status = last["status"]

        limit = connection.rate_limit_limit
        if platform == spec.hot_platform:
            # Running hot: 85-95% of the hourly quota most of the day.
            utilisation = np.clip(
                0.85 + 0.08 * curve + rng.normal(0, 0.015, hours), 0.8, 0.95
            )
            error_rate = 0.015
        else:
            utilisation = (
                pyrng.uniform(0.12, 0.45) * curve * rng.lognormal(0, 0.1, hours)
            )
            error_rate = 0.003
        calls = np.minimum(np.round(utilisation * limit), limit).astype(int)
        if broken:
            calls[broken_since:] = rng.integers(20, 60, hours - broken_since)
        errors = rng.binomial(calls, error_rate)
        if broken:
            errors[broken_since:] = calls[broken_since:]
        for hour, call_count, error_count in zip(
            grid.hours, calls.tolist(), errors.tolist(), strict=True
        ):
            call_rows.append(
                {
                    "org_id": org_id,
                    "connection_id": cid,
                    "hour_utc": hour,
                    "call_count": call_count,
                    "error_count": error_count,
                    "rate_limit_used": call_count,
                }
            )

        # Errors that did not fail a sync: throttling on the hot connection, the odd
        # bad request elsewhere.
        hot = platform == spec.hot_platform
        for _ in range(pyrng.randint(12, 20) if hot else pyrng.randint(1, 4)):
            if hot and pyrng.random() < 0.8:
                code = "RATE_LIMIT"
            else:
                code = pyrng.choice(("INVALID_PARAM", "TIMEOUT"))
            severity, message = PLATFORM_ERRORS[code]
            error_rows.append(
                {
                    "org_id": org_id,
                    "connection_id": cid,
                    "occurred_at": now
                    - dt.timedelta(seconds=pyrng.randint(60, hours * 3600)),
                    "error_code": code,
                    "message": message,
                    "severity": severity,
                }
            )
    error_rows.sort(key=lambda row: row["occurred_at"])
    return sync_rows, call_rows, error_rows


# ------------------------------------------------------------------------------ seeding
def database_is_empty(db: Database) -> bool:
    """Whether the database has no orgs yet.

    Args:
        db: the database to inspect (schema already migrated).

    Returns:
        ``True`` when the ``orgs`` table has no rows.

    Raises:
        SeedingNotPossible: on PostgreSQL, row-level security hides orgs from the role.
    """
    with db.unscoped_session() as session:
        _require_rls_bypass(session)
        return session.execute(select(Org.id).limit(1)).first() is None


def _require_rls_bypass(session: Session) -> None:
    """Refuse a PostgreSQL role that row-level security hides orgs from.

    Such a role could neither tell whether the database is empty nor write the demo
    orgs, so fail with a message that says which URL to use instead.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    blocked = session.execute(
        text("""
        SELECT c.relrowsecurity
               AND NOT (r.rolsuper OR r.rolbypassrls)
               AND (c.relforcerowsecurity
                    OR pg_get_userbyid(c.relowner) <> current_user)
        FROM pg_class c, pg_roles r
        WHERE c.oid = 'orgs'::regclass AND r.rolname = current_user
    """)
    ).scalar()
    if blocked:
        raise SeedingNotPossible(
            "row-level security hides other orgs from this database role; seed with a "
            "role that bypasses RLS (set PULSE_ADMIN_DATABASE_URL)"
        )


def _delete_demo_orgs(session: Session) -> None:
    org_ids = session.scalars(select(Org.id).where(Org.slug.in_(DEMO_SLUGS))).all()
    if not org_ids:
        return
    # The big fact tables go first with one statement each; the org delete then
    # cascades through the rest.
    for model in (
        MetricFactHourly,
        MetricFactDaily,
        MetricFactDailyPlatform,
        MetricFactHourlyPlatform,
        CampaignTotals,
        PlatformApiCalls,
    ):
        session.execute(delete(model).where(model.org_id.in_(org_ids)))
    session.execute(delete(Org).where(Org.id.in_(org_ids)))


def _ensure_platforms(session: Session) -> None:
    """The migrations load the platform list; add any that is missing all the same."""
    present = set(session.scalars(select(Platform.code)))
    missing = [{"code": c, "name": n} for c, n in PLATFORMS.items() if c not in present]
    if missing:
        session.execute(insert(Platform.__table__), missing)


def seed_demo(
    db: Database,
    *,
    seed: int = 42,
    campaigns: int = 40,
    days: int = 395,
    force: bool = False,
    now: dt.datetime | None = None,
    progress: bool = True,
) -> dict[str, int]:
    """Create the demo orgs and their data in one transaction.

    Args:
        db: the database to seed; its schema must be migrated.
        seed: seed of every random draw; equal seeds give equal data.
        campaigns: campaigns per org.
        days: days of hourly history, ending with the last full hour before ``now``.
        force: replace existing demo orgs and seed even if other orgs exist.
        now: the moment the data ends (naive means UTC); defaults to the current hour.
        progress: show a progress bar over campaigns.

    Returns:
        Rows written per table.

    Raises:
        DatabaseNotEmpty: the database has orgs and ``force`` is false.
        SeedingNotPossible: on PostgreSQL, the role cannot see every org.
        ValueError: ``campaigns`` or ``days`` is less than 1.
    """
    if campaigns < 1 or days < 1:
        raise ValueError("campaigns and days must be at least 1")
    now = _utc_naive(now or dt.datetime.now(dt.UTC)).replace(
        minute=0, second=0, microsecond=0
    )
    # Argon2 is slow on purpose: hash once, share the hash between the demo users.
    password_hash = PasswordHasher().hash(DEMO_PASSWORD)
    counts: dict[str, int] = dict.fromkeys(
        (
            "orgs",
            "users",
            "campaigns",
            "metric_facts_hourly",
            "metric_facts_daily",
            "automation_rules",
            "automation_executions",
            "platform_connections",
            "platform_sync_runs",
            "platform_api_calls",
            "platform_errors",
        ),
        0,
    )

    with db.unscoped_session() as session:
        _require_rls_bypass(session)
        if force:
            _delete_demo_orgs(session)
        elif session.execute(select(Org.id).limit(1)).first() is not None:
            raise DatabaseNotEmpty(
                "the database already has orgs; pass --force to replace the demo orgs"
            )
        _ensure_platforms(session)
        bar = tqdm(
            total=campaigns * len(DEMO_ORGS),
            desc="hourly facts",
            unit="campaign",
            disable=not progress,
            leave=False,
        )
        for index, spec in enumerate(DEMO_ORGS):
            org_counts = _seed_org(
                session,
                spec,
                index,
                seed=seed,
                campaigns=campaigns,
                days=days,
                now=now,
                password_hash=password_hash,
                bar=bar,
            )
            for table, rows in org_counts.items():
                counts[table] += rows
        bar.close()
        counts["dashboards"] = _create_demo_dashboards(session)
        org_ids = list(session.scalars(select(Org.id).where(Org.slug.in_(DEMO_SLUGS))))
    # Forecasts, anomalies, trends and recommendations, so the demo shows them at once.
    for org_id in org_ids:
        run_analytics(db, org_id, now=now)
    return counts


def _create_demo_dashboards(session: Session) -> int:
    """Give each demo org a dashboard cloned from every built-in template, owned by
    its admin."""
    sync_builtin_templates(session)
    templates = session.scalars(
        select(DashboardTemplate)
        .where(
            DashboardTemplate.org_id.is_(None), DashboardTemplate.is_template.is_(True)
        )
        .order_by(DashboardTemplate.id)
    ).all()
    created = 0
    for org in session.scalars(select(Org).where(Org.slug.in_(DEMO_SLUGS))).all():
        admin = session.scalars(
            select(User).where(User.org_id == org.id, User.role == "admin")
        ).first()
        for template in templates:
            create_dashboard_from_template(
                session, template, org_id=org.id, owner_id=admin.id if admin else None
            )
            created += 1
    return created


def _seed_org(
    session: Session,
    spec: OrgSpec,
    index: int,
    *,
    seed: int,
    campaigns: int,
    days: int,
    now: dt.datetime,
    password_hash: str,
    bar: tqdm,
) -> dict[str, int]:
    # Separate streams per org, so one org's data does not shift when the other's
    # content changes.
    pyrng = random.Random(seed * 1000 + index)
    rng = np.random.default_rng([seed, index])
    first_hour = now - dt.timedelta(days=days)
    grid = HourGrid.build(first_hour, days * 24, spec.timezone)
    today = _local_date(now - dt.timedelta(hours=1), spec.timezone)
    window_start = _local_date(first_hour, spec.timezone)

    org = Org(
        name=spec.name,
        slug=spec.slug,
        timezone=spec.timezone,
        currency=spec.currency,
        allowed_recipient_domains=[f"{spec.slug}.example"],
        created_at=first_hour - dt.timedelta(days=30),
    )
    session.add(org)
    session.flush()
    session.add_all(
        [
            User(
                org_id=org.id,
                email=f"{role}@{spec.slug}.example",
                full_name=full_name,
                password_hash=password_hash,
                role=role,
                is_active=True,
                created_at=org.created_at,
                last_login_at=None
                if role == "viewer"
                else now - dt.timedelta(hours=pyrng.randint(2, 72)),
            )
            for role, full_name in spec.users
        ]
    )

    plans = _plan_campaigns(spec, campaigns, today, window_start, pyrng, rng)
    _inject_anomalies(plans, today, window_start, pyrng)
    rows = [
        Campaign(
            org_id=org.id,
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

    day_factor = _season_curve(spec, grid.day_of_year)
    age_years = (grid.days - np.datetime64(today, "D")).astype(int) / 365.0
    day_factor = day_factor * np.clip(1.1 + 0.25 * age_years, 0.8, None)  # growth
    writer = _FactWriter(session)
    for plan in plans:
        columns = _campaign_facts(plan, spec, grid, day_factor, age_years, rng)
        if columns is not None:
            writer.add(org.id, plan.id, columns)
        bar.update()
    writer.flush()
    refresh_daily_rollup(session, org.id)
    # Counted rather than taken from the rollup's return value: the rowcount of an
    # INSERT ... SELECT is not reported on every driver (-1 on psycopg).
    daily_rows = session.scalar(
        select(func.count())
        .select_from(MetricFactDaily)
        .where(MetricFactDaily.org_id == org.id)
    )

    rules = [
        AutomationRule(org_id=org.id, created_at=first_hour, **rule)
        for rule in _automation_rules(spec)
    ]
    session.add_all(rules)
    session.flush()
    executions = _execution_rows(spec, org.id, rules, plans, now, days, pyrng)
    if executions:
        session.execute(insert(AutomationExecution.__table__), executions)

    connections: dict[str, PlatformConnection] = {}
    for platform, label in PLATFORMS.items():
        if platform == spec.expiring_platform:
            expires = now + dt.timedelta(days=pyrng.uniform(1.5, 4.5))
        else:
            expires = now + dt.timedelta(days=pyrng.uniform(30, 60))
        connections[platform] = PlatformConnection(
            org_id=org.id,
            platform=platform,
            account_name=f"{spec.name} – {label} Ads",
            status="error" if platform == spec.error_platform else "active",
            token_expires_at=expires.replace(second=0, microsecond=0),
            rate_limit_limit=PLATFORM_PROFILES[platform].rate_limit,
            created_at=first_hour - dt.timedelta(days=14),
        )
    session.add_all(connections.values())
    session.flush()
    sync_rows, call_rows, error_rows = _platform_records(
        spec, org.id, connections, plans, now, days, rng, pyrng
    )
    for model, batch in (
        (PlatformSyncRun, sync_rows),
        (PlatformApiCalls, call_rows),
        (PlatformError, error_rows),
    ):
        session.execute(insert(model.__table__), batch)
    session.flush()

    return {
        "orgs": 1,
        "users": len(spec.users),
        "campaigns": len(plans),
        "metric_facts_hourly": writer.written,
        "metric_facts_daily": daily_rows,
        "automation_rules": len(rules),
        "automation_executions": len(executions),
        "platform_connections": len(connections),
        "platform_sync_runs": len(sync_rows),
        "platform_api_calls": len(call_rows),
        "platform_errors": len(error_rows),
    }


# ---------------------------------------------------------------------------------- CLI
def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError(f"{value} is not a positive integer")
    return number


def _invalidate_demo_caches(db: Database) -> str:
    """After ``--force``: a running server's shared cache still holds the replaced data's
    figures (and SQLite may give the new orgs the old ids), so bump the demo orgs'
    cache versions."""
    from datasources.cache import invalidate_shared_cache

    with db.unscoped_session() as session:
        org_ids = session.scalars(select(Org.id).where(Org.slug.in_(DEMO_SLUGS))).all()
    try:
        notes = {invalidate_shared_cache(db, org_id) for org_id in org_ids}
    except Exception as exc:  # noqa: BLE001 - the seed stands; say why the cache did not move
        return (
            f"cache NOT invalidated ({exc}); dashboards show the new data at their TTL"
        )
    return "; ".join(sorted(notes))


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the process exit code."""
    parser = argparse.ArgumentParser(
        prog="python -m devdata.demo",
        description="Seed the demo orgs Acme Retail and Globex Travel.",
    )
    parser.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    parser.add_argument(
        "--campaigns", type=_positive, default=40, help="campaigns per org (default 40)"
    )
    parser.add_argument(
        "--days",
        type=_positive,
        default=395,
        help="days of hourly history (default 395)",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="replace the demo orgs; seed even if other orgs exist",
    )
    parser.add_argument(
        "--database-url", help="defaults to PULSE_ADMIN_DATABASE_URL or DATABASE_URL"
    )
    parser.add_argument(
        "--quiet", action="store_true", help="no progress bar and no summary"
    )
    args = parser.parse_args(argv)

    url = args.database_url
    if url is None:
        from core.settings import ConfigurationError, load_settings

        try:
            url = load_settings().migration_database_url
        except ConfigurationError as exc:
            print(exc, file=sys.stderr)
            return 2
    db = Database(url)
    started = time.perf_counter()
    try:
        counts = seed_demo(
            db,
            seed=args.seed,
            campaigns=args.campaigns,
            days=args.days,
            force=args.force,
            progress=not args.quiet,
        )
    except (DatabaseNotEmpty, SeedingNotPossible) as exc:
        db.dispose()
        print(f"error: {exc}", file=sys.stderr)
        return 2
    cache_note = _invalidate_demo_caches(db) if args.force else None
    db.dispose()
    if not args.quiet:
        elapsed = time.perf_counter() - started
        width = max(map(len, counts))
        for table, rows in counts.items():
            print(f"  {table:<{width}}  {rows:>9,}")
        print(
            f"seeded demo orgs {', '.join(DEMO_SLUGS)} in {elapsed:.1f} s "
            f"(log in as admin@acme.example / {DEMO_PASSWORD})"
        )
        if cache_note:
            print(cache_note)
    return 0


if __name__ == "__main__":
    sys.exit(main())
