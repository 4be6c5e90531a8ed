"""The data-source registry: each ``data_source`` name maps to a validated query.

A data source is a function ``run(session, org, params, filters) -> dict`` plus the
pydantic model of its ``query_params``. Results are plain JSON-able dicts, so they can
be cached in Redis, served by the API and turned into figures alike.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy.orm import Session

from datasources.models import PLATFORMS


class DataSourceError(ValueError):
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


class Filters(BaseModel):
    """The dashboard's global filters, applied to every widget.

    ``date_from``/``date_to`` are org-local days; when absent each widget uses its own
    ``period``. Campaign ids are only ever matched inside the caller's org.
    """

    model_config = ConfigDict(extra="forbid")

    date_from: dt.date | None = None
    date_to: dt.date | None = None
    platforms: list[str] = Field(default_factory=list)
    campaign_ids: list[int] = Field(default_factory=list)
    # ISO 3166 alpha-3, upper case, as the facts store them (a click on the map).
    countries: list[str] = Field(default_factory=list)

    @field_validator("countries")
    @classmethod
    def _known_countries(cls, value: list[str]) -> list[str]:
        from datasources.ingest import COUNTRIES

        known = set(COUNTRIES.values())
        unknown = [c for c in value if c not in known]
        if unknown:
            raise ValueError(f"unknown country code(s) {unknown}; expected ISO 3166 alpha-3 "
                             f"codes in upper case such as 'USA' or 'DEU'")
        return sorted(set(value))

    @field_validator("platforms")
    @classmethod
    def _known_platforms(cls, value: list[str]) -> list[str]:
        unknown = [p for p in value if p not in PLATFORMS]
        if unknown:
            raise ValueError(f"unknown platform(s) {unknown}; expected some of {list(PLATFORMS)}")
        return sorted(set(value))

    def cache_key(self) -> str:
        return self.model_dump_json()


class QueryParams(BaseModel):
    """Base for every data source's ``query_params`` model: typos are errors."""

    model_config = ConfigDict(extra="forbid")


Runner = Callable[[Session, OrgContext, Any, Filters], dict]
# How long a result stays fresh, by the aggregation period it reports (the seed's
# realtime/hourly/daily/weekly). Data changes (ingests, campaign edits) invalidate
# sooner; the TTL only bounds how far "now" may move under a cached value.
PERIOD_TTL_SECONDS = {"realtime": 60, "hourly": 300, "daily": 3600, "weekly": 6 * 3600}
Period = str | Callable[[Any], str]


@dataclass(frozen=True)
class DataSource:
    name: str
    params_model: type[QueryParams]
    run: Runner
    period: Period = "hourly"
    description: str = ""

    def ttl_for(self, params: QueryParams) -> tuple[int, str]:
        """``(seconds fresh, aggregation period)`` of a result for these params."""
        period = self.period(params) if callable(self.period) else self.period
        return PERIOD_TTL_SECONDS[period], period

    def parse_params(self, raw: dict[str, Any] | None) -> QueryParams:
        """Validate ``raw`` query params, naming the source and field on failure."""
        try:
            return self.params_model.model_validate(raw or {})
        except ValidationError as exc:
            details = [
                f"{self.name}: query_params.{'.'.join(str(p) for p in err['loc'])}: "
                f"{err['msg'].removeprefix('Value error, ')}"
                for err in exc.errors()
            ]
            raise DataSourceError(details[0], details) from None


_REGISTRY: dict[str, DataSource] = {}


def register(name: str, params_model: type[QueryParams], *, period: Period = "hourly",
             ttl_seconds: int | None = None, description: str = ""
             ) -> Callable[[Runner], Runner]:
    """Decorator: register ``run`` as the data source ``name``; duplicates are refused.

    Args:
        name: the ``data_source`` name templates use.
        params_model: pydantic model of its ``query_params``.
        period: aggregation period (``realtime``, ``hourly``, ``daily``, ``weekly``), or a
            function of the params returning one; it sets the cache TTL.
        ttl_seconds: accepted for compatibility; the nearest period is used.
        description: one line for the API listing (defaults to the docstring).
    """
    if ttl_seconds is not None and not callable(period):
        period = min(PERIOD_TTL_SECONDS, key=lambda p: abs(PERIOD_TTL_SECONDS[p] - ttl_seconds))

    def decorate(run: Runner) -> Runner:
        if name in _REGISTRY:
            raise ValueError(f"data source {name!r} is already registered")
        _REGISTRY[name] = DataSource(name, params_model, run, period,
                                     description or (run.__doc__ or "").strip().split("\n")[0])
        return run

    return decorate


def get(name: str) -> DataSource:
    """The data source called ``name``; an unknown name raises :class:`DataSourceError`."""
    load_builtin_sources()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise DataSourceError(
            f"unknown data_source {name!r}; expected one of {', '.join(sorted(_REGISTRY))}"
        ) from None


def names() -> list[str]:
    load_builtin_sources()
    return sorted(_REGISTRY)


def all_sources() -> list[DataSource]:
    load_builtin_sources()
    return [_REGISTRY[name] for name in sorted(_REGISTRY)]


_LOADED = False


def load_builtin_sources() -> None:
    """Import every module of ``datasources.sources`` so their ``@register`` calls run
    (idempotent: Python imports each module once)."""
    global _LOADED
    if _LOADED:
        return
    import importlib
    import pkgutil

    import datasources.sources as package

    for module in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"{package.__name__}.{module.name}")
    _LOADED = True


def parse_filters(raw: dict[str, Any] | None) -> Filters:
    """Validate filters from a request, naming the bad field."""
    try:
        filters = Filters.model_validate(raw or {})
    except ValidationError as exc:
        details = [
            f"filters.{'.'.join(str(p) for p in err['loc'])}: "
            f"{err['msg'].removeprefix('Value error, ')}"
            for err in exc.errors()
        ]
        raise DataSourceError(details[0], details) from None
    if filters.date_from and filters.date_to and filters.date_to < filters.date_from:
        raise DataSourceError("filters.date_to: the date range ends before it starts")
    if (filters.date_from is None) != (filters.date_to is None):
        raise DataSourceError("filters: give both date_from and date_to, or neither")
    return filters


def filters_for_preset(preset: str | None, platforms: list[str] | None, timezone: str,
                       countries: list[str] | None = None) -> Filters:
    """Filters from the dashboard bar: a date-range preset in the org's days, platforms
    and the countries picked on a map.

    ``None`` or ``"widget"`` leaves each widget on its own period.
    """
    from datasources.windows import DATE_RANGE_PRESETS, DateWindow, org_today

    raw: dict[str, Any] = {"platforms": platforms or [], "countries": countries or []}
    if preset and preset != "widget":
        if preset not in DATE_RANGE_PRESETS:
            raise DataSourceError(f"filters.date_range: unknown preset {preset!r}; expected one "
                                  f"of {', '.join(DATE_RANGE_PRESETS)}")
        window = DateWindow.last_days(DATE_RANGE_PRESETS[preset], org_today(timezone))
        raw |= {"date_from": window.start, "date_to": window.end}
    return parse_filters(raw)
