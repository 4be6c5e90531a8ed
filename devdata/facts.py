"""The delivery model: a campaign's hourly facts drawn from its plan on the hour grid.

Spend follows the day (the week's rhythm, the org's seasons and growth, an AR(1)
wobble so that consecutive days resemble each other, the campaign's pacing, capped by
its daily budget) and is spread over org-local hours by the audience's hour curve, then
over the campaign's countries. Impressions are Poisson at the country's CPM, clicks and
conversions binomial (so the funnel never inverts), spend carries CPM noise and
revenue is a gamma sum of order values. Every draw is one numpy call per campaign.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from devdata.grid import HourGrid
from devdata.plan import (
    COUNTRY_CPM,
    HOUR_CURVES,
    PLATFORM_PROFILES,
    WEEK_CURVES,
    CampaignPlan,
    OrgSpec,
)


class DayTrend(NamedTuple):
    """Per org-local day of the grid: the org's demand level and its age in years."""

    factor: np.ndarray  # seasons × growth, 1 = an ordinary day today
    age_years: np.ndarray  # negative: years before the last day of the grid


@dataclass(frozen=True)
class HourlyFacts:
    """One campaign's drawn facts, one entry per (hour, country) with impressions.

    ``hour_index`` points into the :class:`~devdata.grid.HourGrid` the facts were drawn
    on, which knows each hour's UTC time and org-local day.
    """

    hour_index: np.ndarray
    country: np.ndarray  # ISO 3166 alpha-3 codes (objects)
    impressions: np.ndarray
    clicks: np.ndarray
    conversions: np.ndarray
    spend: np.ndarray
    revenue: np.ndarray

    def __len__(self) -> int:
        return len(self.hour_index)


def day_trend(spec: OrgSpec, grid: HourGrid, today: dt.date) -> DayTrend:
    """The org's seasons and year-on-year growth over the grid's days."""
    curve = np.ones(len(grid.day_of_year))
    for peak, width, amplitude in spec.seasons:
        distance = np.abs(grid.day_of_year - peak)
        distance = np.minimum(distance, 365 - distance)  # the year wraps around
        curve += amplitude * np.exp(-0.5 * (distance / width) ** 2)
    age_years = (grid.days - np.datetime64(today, "D")).astype(int) / 365.0
    growth = np.clip(1.1 + 0.25 * age_years, 0.8, None)
    return DayTrend(factor=curve * growth, age_years=age_years)


def draw_campaign_facts(
    plan: CampaignPlan,
    spec: OrgSpec,
    grid: HourGrid,
    trend: DayTrend,
    rng: np.random.Generator,
) -> HourlyFacts | None:
    """Draw one campaign's hourly facts for every hour of its flight in the window.

    Args:
        plan: the campaign, as planned.
        spec: its org (the week curve follows the org's vertical).
        grid: the hours of the window.
        trend: the org's :func:`day_trend` on ``grid``.
        rng: the org's numpy stream.

    Returns:
        The facts in (hour, country) order, rows without impressions dropped, or
        ``None`` when the flight does not overlap the window.
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
    daily = week[grid.weekday] * trend.factor * np.exp(wobble) * plan.pacing
    # Platforms stop delivering at the daily budget.
    daily = np.minimum(daily, 0.98)
    spend_day = plan.daily_budget * daily
    cvr_day = (
        plan.cvr * (1.0 + 0.08 * trend.age_years) * rng.lognormal(0.0, 0.08, n_days)
    )
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
    return HourlyFacts(
        hour_index=np.repeat(np.arange(lo, hi), n_countries)[keep],
        country=np.tile(np.array(plan.countries, dtype=object), hi - lo)[keep],
        impressions=impressions.ravel()[keep],
        clicks=clicks.ravel()[keep],
        conversions=conversions.ravel()[keep],
        spend=spend.ravel()[keep],
        revenue=revenue.ravel()[keep],
    )
