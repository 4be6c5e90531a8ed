"""What every query is asked in: the org it runs for and the dashboard's filters.

:class:`Filters` are validated here once (known platforms and countries, a date range
in the org's days); :class:`QueryError` names the field a request got wrong, for the
data sources, the dashboards and the API alike.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from core.errors import validation_messages
from core.models import Org
from core.reference import (
    COUNTRIES,
    EARLIEST_DAY,
    MAX_ROW_ID,
    MAX_WINDOW_DAYS,
    PLATFORMS,
    WIDGET_PERIODS,
)
from core.windows import org_today, preset_window


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
    return filters


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
