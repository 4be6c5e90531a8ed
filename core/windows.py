"""Date windows in an org's own calendar.

A window is a closed range of org-local days. "Last 30 days" ends today (org-local,
partial day included) and its comparison period is the 30 days just before it; a window
that holds today is compared up to the same local time of day (:func:`comparison_cut`).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.reference import DATE_RANGE_LABELS, DATE_RANGE_PRESETS, MAX_WINDOW_DAYS

PERIOD_PATTERN = re.compile(r"^(\d{1,4})d$")


class InvalidTimezone(ValueError):
    """An IANA time-zone name that does not exist."""


def zone(name: str) -> ZoneInfo:
    """Return the ZoneInfo for ``name`` or raise :class:`InvalidTimezone` naming it."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidTimezone(
            f"unknown time zone {name!r}; use an IANA name such as 'Europe/Berlin'"
        ) from exc


def org_today(timezone: str, now: dt.datetime | None = None) -> dt.date:
    """The current calendar day in the org's time zone."""
    now = now or dt.datetime.now(dt.UTC)
    if now.tzinfo is None:
        now = now.replace(tzinfo=dt.UTC)
    return now.astimezone(zone(timezone)).date()


def local_date_of(hour_utc: dt.datetime, timezone: str) -> dt.date:
    """The org-local day a naive-UTC timestamp falls on."""
    return hour_utc.replace(tzinfo=dt.UTC).astimezone(zone(timezone)).date()


@dataclass(frozen=True)
class DateWindow:
    """A closed range of org-local days, ``start`` to ``end`` inclusive."""

    start: dt.date
    end: dt.date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(
                f"date range ends ({self.end}) before it starts ({self.start})"
            )

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> DateWindow:
        """The window of equal length just before this one."""
        end = self.start - dt.timedelta(days=1)
        return DateWindow(end - dt.timedelta(days=self.days - 1), end)

    def year_before(self) -> DateWindow:
        """The same days a year earlier (29 February becomes the 28th)."""
        return DateWindow(_year_before(self.start), _year_before(self.end))

    def compared_with(self, comparison: str | None) -> DateWindow:
        """The window this one is compared with: the same days a year earlier for
        ``"previous_year"``, else the previous window of equal length."""
        return self.year_before() if comparison == "previous_year" else self.previous()

    def dates(self) -> list[dt.date]:
        return [self.start + dt.timedelta(days=i) for i in range(self.days)]

    @classmethod
    def last_days(cls, days: int, today: dt.date) -> DateWindow:
        return cls(today - dt.timedelta(days=days - 1), today)


def _year_before(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


@dataclass(frozen=True)
class ComparisonCut:
    """Where a window holding today stops, and where its previous window stops.

    The current window runs from its first day's local midnight to ``current_until``
    (now); the previous one, ``days`` days earlier, from its first day's local midnight
    to ``previous_until``, the same local time of day ``days`` days ago. All four
    bounds are naive UTC, for comparing with ``hour_utc``; local times are kept for
    display.
    """

    days: int
    today: dt.date
    previous_day: dt.date
    current_from: dt.datetime
    current_until: dt.datetime
    previous_from: dt.datetime
    previous_until: dt.datetime
    local_until: dt.datetime
    previous_local_until: dt.datetime


def _utc(day: dt.date, time: dt.time, tz: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, time, tz).astimezone(dt.UTC).replace(tzinfo=None)


def comparison_cut(
    window: DateWindow,
    timezone: str,
    now: dt.datetime | None = None,
    previous: DateWindow | None = None,
) -> ComparisonCut | None:
    """The like-for-like cut of ``window`` and the window it is compared with
    (``previous``, by default the previous window of equal length), or ``None`` when the
    window is of complete days (it does not hold today) and compares whole days.

    Today so far (00:00 to now, org-local) is compared with the day as far before it as
    ``previous`` starts before ``window`` (``window.days`` for the previous period, a
    year for the same period last year) from 00:00 to the same local time; the days
    before are whole days on both sides. Local midnights and the cut-off are converted
    to UTC with the zone's rules of each day, so a DST change between the two days
    moves neither.
    """
    now = now or dt.datetime.now(dt.UTC)
    if now.tzinfo is None:
        now = now.replace(tzinfo=dt.UTC)
    tz = zone(timezone)
    local_now = now.astimezone(tz)
    today = local_now.date()
    if not window.start <= today <= window.end:
        return None
    offset = (
        window.start - previous.start
        if previous is not None
        else dt.timedelta(days=window.days)
    )
    previous_day = today - offset
    time_of_day = local_now.time().replace(tzinfo=None)
    return ComparisonCut(
        days=window.days,
        today=today,
        previous_day=previous_day,
        current_from=_utc(today, dt.time(), tz),
        current_until=now.astimezone(dt.UTC).replace(tzinfo=None),
        previous_from=_utc(previous_day, dt.time(), tz),
        previous_until=_utc(previous_day, time_of_day, tz),
        local_until=local_now.replace(tzinfo=None),
        previous_local_until=dt.datetime.combine(previous_day, time_of_day),
    )


def week_start(day: dt.date) -> dt.date:
    """The Monday of ``day``'s week (weeks run Monday to Sunday)."""
    return day - dt.timedelta(days=day.weekday())


def filling_bucket(window: DateWindow, today: dt.date, granularity: str) -> str | None:
    """The day (or week, by its Monday) of a daily or weekly series that holds
    ``today`` when the window reaches it: its figures are so far, not final, and a
    chart draws it as such. ``None`` for an hourly series or a window of past days."""
    if granularity not in ("day", "week") or not window.start <= today <= window.end:
        return None
    return (week_start(today) if granularity == "week" else today).isoformat()


def preset_window(preset: str, today: dt.date) -> DateWindow:
    """The org-local days a date-range preset covers on ``today``: the last N days,
    yesterday, or this month, quarter (January, April, July, October) or year so far.

    Raises:
        ValueError: ``preset`` is not one of :data:`core.reference.DATE_RANGE_LABELS`.
    """
    if preset in DATE_RANGE_PRESETS:
        return DateWindow.last_days(DATE_RANGE_PRESETS[preset], today)
    if preset == "yesterday":
        day = today - dt.timedelta(days=1)
        return DateWindow(day, day)
    if preset == "month_to_date":
        return DateWindow(today.replace(day=1), today)
    if preset == "quarter_to_date":
        first_month = 3 * ((today.month - 1) // 3) + 1
        return DateWindow(dt.date(today.year, first_month, 1), today)
    if preset == "year_to_date":
        return DateWindow(dt.date(today.year, 1, 1), today)
    raise ValueError(
        f"unknown preset {preset!r}; expected one of {', '.join(DATE_RANGE_LABELS)}"
    )


def period_days(period: str) -> int:
    """Days in a period like ``'30d'`` or a preset like ``'last_30_days'``."""
    if period in DATE_RANGE_PRESETS:
        return DATE_RANGE_PRESETS[period]
    match = PERIOD_PATTERN.match(period)
    if not match or int(match.group(1)) < 1:
        raise ValueError(
            f"period {period!r} is not like '30d' or one of "
            f"{sorted(DATE_RANGE_PRESETS)}"
        )
    days = int(match.group(1))
    if days > MAX_WINDOW_DAYS:
        raise ValueError(
            f"period {period!r} is longer than the longest window, "
            f"{MAX_WINDOW_DAYS} days (3 years)"
        )
    return days
