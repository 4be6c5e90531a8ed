"""Report schedules: validation naming the field, and run instants that keep the
local time across DST changes and month ends (fixed instants, no clock)."""

from __future__ import annotations

import datetime as dt

import pytest

from reports.schedules import ScheduleError, describe, next_runs, parse_schedule

NEW_YORK = {"time": "09:00", "timezone": "America/New_York"}


def instant(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def runs(frequency: str, config: dict, after: str, count: int = 5) -> list[str]:
    parsed = parse_schedule(frequency, config)
    return [x.isoformat() for x in next_runs(frequency, parsed, instant(after), count)]


def test_weekly_9am_new_york_stays_9am_local_across_the_spring_change():
    # The clocks go forward on Sunday 8 March 2026.
    assert runs("weekly", NEW_YORK | {"day_of_week": 1}, "2026-02-25T00:00:00Z") == [
        "2026-03-02T09:00:00-05:00",
        "2026-03-09T09:00:00-04:00",
        "2026-03-16T09:00:00-04:00",
        "2026-03-23T09:00:00-04:00",
        "2026-03-30T09:00:00-04:00",
    ]


def test_daily_9am_new_york_runs_once_a_day_on_both_sides_of_each_change():
    spring = runs("daily", NEW_YORK, "2026-03-07T00:00:00Z", 3)
    autumn = runs("daily", NEW_YORK, "2026-10-31T00:00:00Z", 3)
    assert spring == [
        "2026-03-07T09:00:00-05:00",
        "2026-03-08T09:00:00-04:00",
        "2026-03-09T09:00:00-04:00",
    ]
    assert autumn == [
        "2026-10-31T09:00:00-04:00",
        "2026-11-01T09:00:00-05:00",
        "2026-11-02T09:00:00-05:00",
    ]
    # 24 hours apart in local time means 23 and 25 hours in UTC on the change days.
    utc = [instant(x).astimezone(dt.UTC).hour for x in spring + autumn]
    assert utc == [14, 13, 13, 13, 14, 14]


def test_a_wall_time_skipped_or_repeated_by_a_change_runs_once():
    skipped = runs(
        "daily",
        {"time": "02:30", "timezone": "America/New_York"},
        "2026-03-07T12:00:00Z",
        2,
    )
    repeated = runs(
        "daily",
        {"time": "01:30", "timezone": "America/New_York"},
        "2026-10-31T12:00:00Z",
        2,
    )
    # 02:30 does not exist on 8 March: it runs an hour later on the new clock.
    assert skipped == ["2026-03-08T03:30:00-04:00", "2026-03-09T02:30:00-04:00"]
    # 01:30 happens twice on 1 November: only the first (EDT) one runs.
    assert repeated == ["2026-11-01T01:30:00-04:00", "2026-11-02T01:30:00-05:00"]


def test_monthly_on_the_31st_runs_on_the_last_day_of_shorter_months():
    config = {"time": "18:00", "timezone": "Europe/Paris", "day_of_month": 31}
    assert runs("monthly", config, "2027-12-31T12:00:00Z", 6) == [
        "2027-12-31T18:00:00+01:00",
        "2028-01-31T18:00:00+01:00",
        "2028-02-29T18:00:00+01:00",  # a leap year
        "2028-03-31T18:00:00+02:00",  # after the change on 26 March
        "2028-04-30T18:00:00+02:00",
        "2028-05-31T18:00:00+02:00",
    ]
    feb = runs("monthly", config | {"day_of_month": 30}, "2027-02-01T00:00:00Z", 1)
    assert feb == ["2027-02-28T18:00:00+01:00"]


def test_quarterly_runs_in_january_april_july_and_october():
    config = {"time": "06:00", "timezone": "Asia/Tokyo"}
    assert runs("quarterly", config, "2026-02-10T00:00:00Z", 4) == [
        "2026-04-01T06:00:00+09:00",
        "2026-07-01T06:00:00+09:00",
        "2026-10-01T06:00:00+09:00",
        "2027-01-01T06:00:00+09:00",
    ]
    last_day = runs("quarterly", config | {"day_of_month": 31}, "2026-02-10T00:00Z", 2)
    assert last_day == ["2026-04-30T06:00:00+09:00", "2026-07-31T06:00:00+09:00"]


def test_runs_are_strictly_after_the_given_instant():
    # Exactly at a run instant: that run is not "next".
    assert runs("daily", NEW_YORK, "2026-06-01T13:00:00Z", 1) == [
        "2026-06-02T09:00:00-04:00"
    ]
    # A naive instant is UTC, the database's convention.
    parsed = parse_schedule("daily", NEW_YORK)
    naive = next_runs("daily", parsed, dt.datetime(2026, 6, 1, 12, 59), 1)
    assert naive[0].isoformat() == "2026-06-01T09:00:00-04:00"


def test_sunday_is_7_or_0():
    seven = runs("weekly", NEW_YORK | {"day_of_week": 7}, "2026-06-01T00:00Z", 1)
    zero = runs("weekly", NEW_YORK | {"day_of_week": 0}, "2026-06-01T00:00Z", 1)
    assert seven == zero == ["2026-06-07T09:00:00-04:00"]


@pytest.mark.parametrize(
    ("frequency", "config", "message"),
    [
        ("hourly", NEW_YORK, "frequency: expected one of daily, weekly"),
        ("daily", {"time": "9:00", "timezone": "UTC"}, "schedule_config.time:"),
        ("daily", {"time": "24:00", "timezone": "UTC"}, "schedule_config.time:"),
        (
            "daily",
            {"time": "09:00", "timezone": "Mars/Olympus"},
            "schedule_config.timezone: unknown time zone 'Mars/Olympus'",
        ),
        ("daily", {"time": "09:00"}, "schedule_config.timezone: Field required"),
        ("weekly", NEW_YORK, "schedule_config.day_of_week: a weekly schedule needs"),
        ("weekly", NEW_YORK | {"day_of_week": 8}, "schedule_config.day_of_week:"),
        ("monthly", NEW_YORK, "schedule_config.day_of_month: a monthly schedule"),
        ("monthly", NEW_YORK | {"day_of_month": 32}, "schedule_config.day_of_month:"),
        (
            "daily",
            NEW_YORK | {"day_of_week": 1},
            "schedule_config.day_of_week: not used by a daily schedule",
        ),
        ("weekly", NEW_YORK | {"day_of_weak": 1}, "schedule_config.day_of_weak:"),
        ("daily", ["09:00"], "schedule_config: expected an object"),
    ],
)
def test_a_bad_schedule_is_refused_naming_the_field(frequency, config, message):
    with pytest.raises(ScheduleError) as caught:
        parse_schedule(frequency, config)
    assert any(detail.startswith(message) for detail in caught.value.details), (
        caught.value.details
    )


def test_description_reads_as_a_sentence():
    weekly = parse_schedule("weekly", NEW_YORK | {"day_of_week": 1})
    monthly = parse_schedule("monthly", NEW_YORK | {"day_of_month": 31})
    assert describe("weekly", weekly) == "weekly on Monday at 09:00 America/New_York"
    assert describe("monthly", monthly).startswith("monthly on the last day")
