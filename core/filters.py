"""What every query is asked in: the org it runs for and the dashboard's filters.

:class:`Filters` are validated here once (known platforms and countries, a date range
in the org's days); :class:`QueryError` names the field a request got wrong, for the
data sources, the dashboards and the API alike.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from core.errors import validation_messages
from core.models import Org
from core.reference import (
    COMPARISONS,
    COUNTRIES,
    CUSTOM_RANGE,
    DATE_RANGE_CHOICES,
    DATE_RANGE_URL_CODES,
    EARLIEST_DAY,
    MAX_ROW_ID,
    MAX_WINDOW_DAYS,
    PLATFORMS,
    WIDGET_PERIODS,
)
from core.windows import DateWindow, org_today, preset_window, week_start


class QueryError(ValueError):
    """A data-source request was invalid; the message names the source and field."""

    def __init__(self, message: str, details: list[str] | None = None) -> None:
        super().__init__(message)
        self.details = details or [message]


@dataclass(frozen=True)
class OrgContext:
    """What a query needs to know about the org it runs for."""

    id: int
    slug: str
    name: str
    timezone: str
    currency: str

    @classmethod
    def of(cls, org: Org) -> OrgContext:
        """The context of a stored org."""
        return cls(org.id, org.slug, org.name, org.timezone, org.currency)


class Filters(BaseModel):
    """The dashboard's global filters, applied to every widget.

    ``date_from``/``date_to`` are org-local days; when absent each widget uses its own
    ``period``. Campaign ids are only ever matched inside the caller's org.
    """

    model_config = ConfigDict(extra="forbid")

    date_from: dt.date | None = None
    date_to: dt.date | None = None
    platforms: list[str] = Field(default_factory=list)
    campaign_ids: list[Annotated[int, Field(ge=1, le=MAX_ROW_ID)]] = Field(
        default_factory=list
    )
    # ISO 3166 alpha-3, upper case, as the facts store them (a click on the map).
    countries: list[str] = Field(default_factory=list)
    # What KPI cards and line charts compare with (``None``: KPI cards the previous
    # period, charts nothing).
    comparison: Literal["previous_period", "previous_year"] | None = None
    # A drill-down narrowed the date range to one week or one day: time series show
    # the buckets one level finer (a week's days, a day's hours).
    drill: Literal["week", "day"] | None = None

    @field_validator("countries")
    @classmethod
    def _known_countries(cls, value: list[str]) -> list[str]:
        known = set(COUNTRIES.values())
        unknown = [c for c in value if c not in known]
        if unknown:
            raise ValueError(
                f"unknown country code(s) {unknown}; expected ISO 3166 alpha-3 "
                f"codes in upper case such as 'USA' or 'DEU'"
            )
        return sorted(set(value))

    @field_validator("platforms")
    @classmethod
    def _known_platforms(cls, value: list[str]) -> list[str]:
        unknown = [p for p in value if p not in PLATFORMS]
        if unknown:
            raise ValueError(
                f"unknown platform(s) {unknown}; expected some of {list(PLATFORMS)}"
            )
        return sorted(set(value))

    def cache_key(self) -> str:
        return self.model_dump_json()


def parse_filters(raw: dict[str, Any] | None) -> Filters:
    """Validate filters from a request, naming the bad field."""
    try:
        filters = Filters.model_validate(raw or {})
    except ValidationError as exc:
        details = validation_messages(exc, field_prefix="filters.")
        raise QueryError(details[0], details) from None
    if filters.date_from and filters.date_to and filters.date_to < filters.date_from:
        raise QueryError("filters.date_to: the date range ends before it starts")
    if (filters.date_from is None) != (filters.date_to is None):
        raise QueryError("filters: give both date_from and date_to, or neither")
    if filters.date_from and filters.date_to:
        _check_bounds(filters.date_from, filters.date_to)
    if filters.drill is not None:
        _check_drill(filters)
    return filters


def _check_drill(filters: Filters) -> None:
    """A drill-down names the week or day the date range was narrowed to (as the
    dashboard page sends it): a week's range is at most 7 days, a day's is one day."""
    if filters.date_from is None or filters.date_to is None:
        raise QueryError(
            f"filters.drill: drill={filters.drill} needs date_from and date_to, the "
            f"{filters.drill} drilled into"
        )
    days = (filters.date_to - filters.date_from).days + 1
    longest = 7 if filters.drill == "week" else 1
    if days > longest:
        raise QueryError(
            f"filters.drill: drill={filters.drill} covers at most {longest} "
            f"day{'s' if longest > 1 else ''}; the date range is {days} days long"
        )


def _check_bounds(start: dt.date, end: dt.date) -> None:
    """A date range is at most MAX_WINDOW_DAYS long and lies between EARLIEST_DAY and
    a year from now (far outside any org's data is a mistake, not a question)."""
    days = (end - start).days + 1
    if days > MAX_WINDOW_DAYS:
        raise QueryError(
            f"filters: the date range is {days} days long; the longest is "
            f"{MAX_WINDOW_DAYS} days (3 years)"
        )
    earliest = dt.date.fromisoformat(EARLIEST_DAY)
    if start < earliest:
        raise QueryError(
            f"filters.date_from: {start.isoformat()} is before {EARLIEST_DAY}, "
            "earlier than any data"
        )
    latest = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=366)
    if end > latest:
        raise QueryError(
            f"filters.date_to: {end.isoformat()} is more than a year from now; "
            f"the latest day is {latest.isoformat()}"
        )


def filters_for_preset(
    preset: str | None,
    platforms: list[str] | None,
    timezone: str,
    countries: list[str] | None = None,
) -> Filters:
    """Filters from the dashboard bar: a date-range preset in the org's days, platforms
    and the countries picked on a map.

    ``None`` or ``"widget"`` leaves each widget on its own period.
    """
    raw: dict[str, Any] = {"platforms": platforms or [], "countries": countries or []}
    if preset and preset != WIDGET_PERIODS:
        try:
            window = preset_window(preset, org_today(timezone))
        except ValueError as exc:
            raise QueryError(f"filters.date_range: {exc}") from None
        raw |= {"date_from": window.start, "date_to": window.end}
    return parse_filters(raw)


# ----------------------------------------------------------------- the address bar
@dataclass(frozen=True)
class FilterState:
    """The dashboard's filters as the filter bar and the address bar hold them.

    ``date_range`` is a key of :data:`core.reference.FILTER_BAR_RANGES`; ``date_from``
    and ``date_to`` are the days of a custom range; ``week`` (its Monday) and ``day``
    are the drill-down, inside the date range. Campaign ids are only what the URL or
    the browser said: they are checked against the org before any query.
    """

    date_range: str = WIDGET_PERIODS
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    comparison: str | None = None
    platforms: tuple[str, ...] = ()
    campaign_ids: tuple[int, ...] = ()
    countries: tuple[str, ...] = ()
    week: dt.date | None = None
    day: dt.date | None = None


URL_RANGES = {code: name for name, code in DATE_RANGE_URL_CODES.items()}


def _values(raw: Any) -> list[str]:
    """A query parameter's values: ``a,b`` and a repeated key alike."""
    items = raw if isinstance(raw, list | tuple) else [raw]
    return [
        part.strip()
        for item in items
        if isinstance(item, str)
        for part in item.split(",")
        if part.strip()
    ]


def _day(raw: Any) -> dt.date | None:
    """An ISO day (``2026-11-02``) from a query parameter, or ``None``."""
    values = _values(raw)
    if len(values) != 1:
        return None
    try:
        return dt.date.fromisoformat(values[0]) if len(values[0]) == 10 else None
    except ValueError:
        return None


def range_window(state: FilterState, timezone: str) -> DateWindow | None:
    """The days of the state's date range before any drill-down (``None``: each
    widget's own period)."""
    if state.date_range == CUSTOM_RANGE and state.date_from and state.date_to:
        return DateWindow(state.date_from, state.date_to)
    if state.date_range in (WIDGET_PERIODS, CUSTOM_RANGE):
        return None
    return preset_window(state.date_range, org_today(timezone))


def _week_of(monday: dt.date) -> DateWindow:
    return DateWindow(monday, monday + dt.timedelta(days=6))


def _overlaps(first: DateWindow, second: DateWindow) -> bool:
    return first.start <= second.end and second.start <= first.end


def state_window(state: FilterState, timezone: str) -> DateWindow | None:
    """The days every widget shows: the drilled day, else the drilled week (its days
    inside the date range), else the date range (``None``: each widget's own
    period)."""
    if state.day is not None:
        return DateWindow(state.day, state.day)
    bounds = range_window(state, timezone)
    if state.week is not None:
        week = _week_of(state.week)
        if bounds is None or not _overlaps(week, bounds):
            return week
        return DateWindow(max(week.start, bounds.start), min(week.end, bounds.end))
    return bounds


def parse_filter_query(
    query: Mapping[str, Any], default_range: str, timezone: str
) -> tuple[FilterState, list[str]]:
    """The filter state a dashboard address asks for, and a notice for each value it
    drops (an unknown range, a bad date, an unknown platform or country, a campaign
    that is not an id). Nothing here raises: a hand-edited link opens the dashboard
    without what it got wrong, and says so.

    Args:
        query: the query parameters (``range``, ``from``, ``to``, ``compare``,
            ``platforms``, ``campaigns``, ``countries``, ``week``, ``day``); a value is
            a string (``meta,google``) or a list of them.
        default_range: the dashboard's saved default, used without (or instead of a
            bad) ``range``.
        timezone: the org's, for the drill-down's bounds.
    """
    notices: list[str] = []
    date_range, date_from, date_to = default_range, None, None
    if "range" in query:
        code = (_values(query["range"]) or [""])[0]
        name = URL_RANGES.get(code, code)
        if name not in DATE_RANGE_URL_CODES:
            notices.append(f"Unknown date range “{code}” ignored.")
        elif name == CUSTOM_RANGE:
            start, end = _day(query.get("from")), _day(query.get("to"))
            problem = _custom_range_problem(start, end)
            if problem:
                notices.append(f"Custom date range ignored: {problem}.")
            else:
                date_range, date_from, date_to = name, start, end
        else:
            date_range = name
    comparison = None
    if "compare" in query:
        choice = (_values(query["compare"]) or [""])[0]
        if choice in COMPARISONS:
            comparison = choice
        else:
            notices.append(f"Unknown comparison “{choice}” ignored.")
    platforms = _known(query.get("platforms"), PLATFORMS, "platform", notices)
    countries = _known(
        query.get("countries"), set(COUNTRIES.values()), "country", notices
    )
    campaign_ids: list[int] = []
    for value in _values(query.get("campaigns")):
        number = int(value) if value.isdigit() else 0
        if 1 <= number <= MAX_ROW_ID:
            campaign_ids.append(number)
        else:
            notices.append(f"Campaign “{value}” is not a campaign id; ignored.")
    state = FilterState(
        date_range=date_range,
        date_from=date_from,
        date_to=date_to,
        comparison=comparison,
        platforms=tuple(platforms),
        campaign_ids=tuple(dict.fromkeys(campaign_ids)),
        countries=tuple(countries),
    )
    week, day = _drill(query, state, timezone, notices)
    return replace(state, week=week, day=day), notices


def _known(raw: Any, known: Any, kind: str, notices: list[str]) -> list[str]:
    kept = []
    for value in _values(raw):
        if value in known:
            kept.append(value)
        else:
            notices.append(f"Unknown {kind} “{value}” ignored.")
    return sorted(set(kept))


def _custom_range_problem(start: dt.date | None, end: dt.date | None) -> str | None:
    if start is None or end is None:
        return "give both from and to as dates like 2026-11-02"
    if end < start:
        return "it ends before it starts"
    try:
        _check_bounds(start, end)
    except QueryError as exc:
        return str(exc).split(": ", 1)[-1]
    return None


def _drill(
    query: Mapping[str, Any],
    state: FilterState,
    timezone: str,
    notices: list[str],
) -> tuple[dt.date | None, dt.date | None]:
    """The drilled week (a Monday) and day, each kept only inside what it narrows."""
    bounds = range_window(state, timezone)
    week = _day(query.get("week")) if "week" in query else None
    if "week" in query and (
        week is None
        or week != week_start(week)
        or (bounds and not _overlaps(_week_of(week), bounds))
    ):
        notices.append(
            "The drilled-down week is not a week of the date range; ignored."
        )
        week = None
    day = _day(query.get("day")) if "day" in query else None
    inside = _week_of(week) if week is not None else bounds
    if "day" in query and (
        day is None or (inside and not inside.start <= day <= inside.end)
    ):
        notices.append("The drilled-down day is not a day of the date range; ignored.")
        day = None
    return week, day


def filter_query(state: FilterState) -> str:
    """The query string that reproduces ``state`` (``?range=30d&platforms=meta``):
    the date range always, everything else when set."""
    pairs: list[tuple[str, str]] = [
        ("range", DATE_RANGE_URL_CODES.get(state.date_range, state.date_range))
    ]
    if state.date_range == CUSTOM_RANGE and state.date_from and state.date_to:
        pairs += [
            ("from", state.date_from.isoformat()),
            ("to", state.date_to.isoformat()),
        ]
    if state.comparison:
        pairs.append(("compare", state.comparison))
    for key, values in (
        ("platforms", state.platforms),
        ("campaigns", [str(i) for i in state.campaign_ids]),
        ("countries", state.countries),
    ):
        if values:
            pairs.append((key, ",".join(values)))
    if state.week:
        pairs.append(("week", state.week.isoformat()))
    if state.day:
        pairs.append(("day", state.day.isoformat()))
    return "?" + urlencode(pairs, safe=",")


def filters_for_state(
    state: FilterState, timezone: str, campaign_ids: list[int] | tuple[int, ...]
) -> Filters:
    """The :class:`Filters` every widget is queried with under ``state``.

    Args:
        state: the bar's (or the address's) filters.
        timezone: the org's, for the presets' days.
        campaign_ids: the state's campaigns that belong to the org (the caller checks
            them against the database; the browser's word is not enough).

    Raises:
        QueryError: a range or code the bar cannot have sent.
    """
    raw: dict[str, Any] = {
        "platforms": list(state.platforms),
        "countries": list(state.countries),
        "campaign_ids": list(campaign_ids),
        "comparison": state.comparison,
        "drill": "day" if state.day else "week" if state.week else None,
    }
    if state.date_range not in DATE_RANGE_CHOICES and state.date_range != CUSTOM_RANGE:
        raise QueryError(f"filters.date_range: unknown date range {state.date_range!r}")
    if state.date_range == CUSTOM_RANGE and not (state.date_from and state.date_to):
        raise QueryError("filters.date_range: pick the first and last day of the range")
    try:
        window = state_window(state, timezone)
    except ValueError as exc:
        raise QueryError(f"filters.date_range: {exc}") from None
    if window is not None:
        raw |= {"date_from": window.start, "date_to": window.end}
    return parse_filters(raw)
