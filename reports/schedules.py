"""When a scheduled report runs: validated schedules and their next run instants.

A schedule is the seed's shape: a ``frequency`` and a ``schedule_config``::

    {"frequency": "weekly",
     "schedule_config": {"day_of_week": 1, "time": "09:00",
                         "timezone": "America/New_York"}}

* ``daily``: every day at ``time``;
* ``weekly``: on ``day_of_week`` (ISO 8601: 1 Monday ... 7 Sunday; 0 is also Sunday,
  as in cron);
* ``monthly``: on ``day_of_month`` (1-31; a day the month does not have means its last
  day: 31 runs on 30 April and 28 or 29 February);
* ``quarterly``: on ``day_of_month`` (default 1, same rule) of January, April, July
  and October.

``time`` is a wall-clock time in the IANA ``timezone``, so a 09:00 America/New_York
report runs at 09:00 local on both sides of a DST change, once a day. Two wall times a
year need a rule: a time that does not exist (02:30 on the night the clocks go forward)
runs at the same instant as the hour before the change would have (03:30 local, the
time an hour later on the new clock), and a time that happens twice (01:30 on the night
they go back) runs at its first occurrence only.

Everything here is pure: no database, no clock (callers pass ``after``).
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import re
from collections.abc import Iterator
from typing import Any, Literal
from zoneinfo import ZoneInfo, available_timezones

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

Frequency = Literal["daily", "weekly", "monthly", "quarterly"]
FREQUENCIES: tuple[str, ...] = ("daily", "weekly", "monthly", "quarterly")
QUARTER_MONTHS = (1, 4, 7, 10)
# The config keys each frequency takes besides time and timezone.
DAY_FIELDS: dict[str, tuple[str, ...]] = {
    "daily": (),
    "weekly": ("day_of_week",),
    "monthly": ("day_of_month",),
    "quarterly": ("day_of_month",),
}
TIME_PATTERN = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


class ScheduleError(ValueError):
    """A schedule is invalid; ``details`` names each field that is wrong."""

    def __init__(self, details: list[str]) -> None:
        super().__init__(details[0])
        self.details = details


class ScheduleConfig(BaseModel):
    """The ``schedule_config`` of a report schedule (unknown keys are refused, so a
    typo such as ``day_of_weak`` is not silently ignored)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    time: str = Field(description="local wall-clock time, HH:MM (24 hours)")
    timezone: str = Field(description="an IANA time zone, e.g. America/New_York")
    day_of_week: int | None = Field(None, ge=0, le=7)
    day_of_month: int | None = Field(None, ge=1, le=31)

    @field_validator("time")
    @classmethod
    def _check_time(cls, value: str) -> str:
        if not TIME_PATTERN.match(value):
            raise ValueError(f"expected HH:MM from 00:00 to 23:59, got {value!r}")
        return value

    @field_validator("timezone")
    @classmethod
    def _check_timezone(cls, value: str) -> str:
        if value not in zone_names():
            raise ValueError(
                f"unknown time zone {value!r}; expected an IANA name such as "
                "America/New_York or Europe/Paris"
            )
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def local_time(self) -> dt.time:
        hour, minute = self.time.split(":")
        return dt.time(int(hour), int(minute))

    @property
    def iso_weekday(self) -> int:
        """1 Monday ... 7 Sunday (0 given as Sunday too)."""
        return 7 if self.day_of_week in (0, 7) else int(self.day_of_week or 1)


@functools.cache
def zone_names() -> frozenset[str]:
    """Every IANA time zone name a schedule may use."""
    # ``available_timezones`` walks the tz database on every call: once is enough.
    return frozenset(available_timezones())


def parse_schedule(frequency: Any, schedule_config: Any) -> ScheduleConfig:
    """Validate a frequency and its config.

    Returns:
        The config, with the fields its frequency needs.

    Raises:
        ScheduleError: every problem, each naming its field (``frequency``,
            ``schedule_config.timezone``, ``schedule_config.day_of_week``, ...).
    """
    if frequency not in FREQUENCIES:
        raise ScheduleError(
            [f"frequency: expected one of {', '.join(FREQUENCIES)}, got {frequency!r}"]
        )
    if not isinstance(schedule_config, dict):
        raise ScheduleError(
            ["schedule_config: expected an object with time and timezone"]
        )
    try:
        config = ScheduleConfig.model_validate(schedule_config)
    except ValidationError as exc:
        raise ScheduleError(_messages(exc)) from None
    problems = []
    for name in ("day_of_week", "day_of_month"):
        given = getattr(config, name) is not None
        if given and name not in DAY_FIELDS[frequency]:
            problems.append(
                f"schedule_config.{name}: not used by a {frequency} schedule"
            )
        # Quarterly defaults to the quarter's first day; the others must say.
        needed = name in DAY_FIELDS[frequency] and frequency != "quarterly"
        if needed and not given:
            problems.append(f"schedule_config.{name}: a {frequency} schedule needs it")
    if problems:
        raise ScheduleError(problems)
    return config


def _messages(exc: ValidationError) -> list[str]:
    messages = []
    for error in exc.errors():
        where = ".".join(str(part) for part in ("schedule_config", *error["loc"]))
        text = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            text = "not a schedule setting; expected time, timezone, day_of_week or "
            text += "day_of_month"
        messages.append(f"{where}: {text}")
    return messages


def next_runs(
    frequency: str, config: ScheduleConfig, after: dt.datetime, count: int = 5
) -> list[dt.datetime]:
    """The next ``count`` run instants strictly after ``after``.

    Args:
        frequency: one of :data:`FREQUENCIES`.
        config: the validated config (:func:`parse_schedule`).
        after: an aware instant (a naive one is taken as UTC, the database's
            convention).
        count: how many.

    Returns:
        Aware datetimes in the schedule's time zone, ascending, one per local date.
    """
    if after.tzinfo is None:
        after = after.replace(tzinfo=dt.UTC)
    found: list[dt.datetime] = []
    for day in _run_dates(frequency, config, after.astimezone(config.zone).date()):
        instant = local_instant(day, config.local_time, config.zone)
        if instant > after:
            found.append(instant)
            if len(found) == count:
                return found
    return found


def next_run(frequency: str, config: ScheduleConfig, after: dt.datetime) -> dt.datetime:
    """The first run instant strictly after ``after`` (see :func:`next_runs`)."""
    return next_runs(frequency, config, after, 1)[0]


def local_instant(day: dt.date, time: dt.time, zone: ZoneInfo) -> dt.datetime:
    """The instant of the wall time ``time`` on ``day`` in ``zone``.

    A wall time skipped by a forward change is taken with the offset before the
    change (02:30 becomes 03:30 on the new clock); a wall time that happens twice is
    its first occurrence (``fold=0``).
    """
    instant = dt.datetime.combine(day, time, tzinfo=zone)  # fold=0: first occurrence
    # Round-tripping through UTC normalises a skipped wall time to a real one.
    return instant.astimezone(dt.UTC).astimezone(zone)


def _run_dates(
    frequency: str, config: ScheduleConfig, start: dt.date
) -> Iterator[dt.date]:
    """The local dates the schedule runs on, from the day before ``start`` on (the
    day before: its run may still be after ``after`` across a zone difference)."""
    day = start - dt.timedelta(days=1)
    if frequency in ("daily", "weekly"):
        while True:
            if frequency == "daily" or day.isoweekday() == config.iso_weekday:
                yield day
            day += dt.timedelta(days=1)
    months = range(1, 13) if frequency == "monthly" else QUARTER_MONTHS
    year, month = day.year, day.month
    wanted = config.day_of_month or 1
    while True:
        if month in months:
            last = calendar.monthrange(year, month)[1]
            candidate = dt.date(year, month, min(wanted, last))
            if candidate >= day:
                yield candidate
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def describe(frequency: str, config: ScheduleConfig) -> str:
    """The schedule in a sentence: ``weekly on Monday at 09:00 America/New_York``."""
    where = f"at {config.time} {config.timezone}"
    if frequency == "weekly":
        return f"weekly on {calendar.day_name[config.iso_weekday - 1]} {where}"
    if frequency in ("monthly", "quarterly"):
        day = config.day_of_month or 1
        which = "the last day" if day == 31 else f"day {day}"  # shorter: the last
        months = "" if frequency == "monthly" else " of Jan, Apr, Jul and Oct"
        return f"{frequency} on {which}{months} {where}"
    return f"daily {where}"
