"""The time axis of generated data: UTC hours and the org-local days they fall on.

Pulse stores every hourly fact with the org-local calendar day of its UTC hour, and
every day-level figure groups by those days. The generators therefore draw delivery on
an :class:`HourGrid`: consecutive UTC hours, each converted to the org's time zone one
by one, so that daylight-saving switches give the 23- and 25-hour local days a real
account has.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class HourGrid:
    """Every UTC hour of a generated window with its org-local calendar attributes.

    Per-hour arrays have one entry per UTC hour; per-day arrays one per org-local day
    that the window touches (``day_index`` maps the first onto the second).
    """

    hours: np.ndarray  # naive UTC datetimes (objects), one per hour
    local_dates: np.ndarray  # datetime64[D], the org-local day of each hour
    local_date_objects: np.ndarray  # the same as datetime.date objects
    local_hour: np.ndarray  # org-local hour of day (0-23) of each hour
    day_index: np.ndarray  # index of each hour's local day in ``days``
    days: np.ndarray  # datetime64[D], the local days the window touches
    weekday: np.ndarray  # per day, Monday = 0
    day_of_year: np.ndarray  # per day

    @classmethod
    def build(cls, first_hour: dt.datetime, hours: int, timezone: str) -> HourGrid:
        """The grid of ``hours`` consecutive UTC hours from ``first_hour``.

        Args:
            first_hour: the first hour, naive UTC, on the hour.
            hours: how many hours the grid has.
            timezone: the org's IANA time zone, e.g. ``"America/New_York"``.
        """
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

    @classmethod
    def ending(cls, end_hour: dt.datetime, days: int, timezone: str) -> HourGrid:
        """The ``days × 24`` hours that end with the hour before ``end_hour``."""
        return cls.build(end_hour - dt.timedelta(days=days), days * 24, timezone)


def utc_naive(value: dt.datetime) -> dt.datetime:
    """``value`` as a naive UTC datetime (a naive value is taken to be UTC already)."""
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


def current_hour() -> dt.datetime:
    """The start of the current hour, naive UTC."""
    return dt.datetime.now(dt.UTC).replace(
        tzinfo=None, minute=0, second=0, microsecond=0
    )


def local_date(value: dt.datetime, timezone: str) -> dt.date:
    """The org-local calendar day of a naive-UTC timestamp."""
    return value.replace(tzinfo=dt.UTC).astimezone(ZoneInfo(timezone)).date()
