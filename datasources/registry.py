"""The data-source registry: each ``data_source`` name maps to a validated query.

A data source is a function ``run(session, org, params, filters) -> dict`` plus the
pydantic model of its ``query_params``. Results are plain JSON-able dicts, so they can
be cached in Redis, served by the API and turned into figures alike.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError
from sqlalchemy.orm import Session

from core.errors import validation_messages
from core.filters import Filters, OrgContext, QueryError


class QueryParams(BaseModel):
    """Base for every data source's ``query_params`` model: typos are errors."""

    model_config = ConfigDict(extra="forbid")


Runner = Callable[[Session, OrgContext, Any, Filters], dict]
# How long a result stays fresh, by the aggregation period it reports (realtime,
# hourly, daily or weekly). Data changes (ingests, campaign edits) invalidate
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
            details = validation_messages(
                exc, prefix=self.name, field_prefix="query_params."
            )
            raise QueryError(details[0], details) from None


_REGISTRY: dict[str, DataSource] = {}


def register(
    name: str,
    params_model: type[QueryParams],
    *,
    period: Period = "hourly",
    ttl_seconds: int | None = None,
    description: str = "",
) -> Callable[[Runner], Runner]:
    """Decorator: register ``run`` as the data source ``name``; duplicates are refused.

    Args:
        name: the ``data_source`` name templates use.
        params_model: pydantic model of its ``query_params``.
        period: aggregation period (``realtime``, ``hourly``, ``daily``, ``weekly``),
            or a function of the params returning one; it sets the cache TTL.
        ttl_seconds: accepted for compatibility; the nearest period is used.
        description: one line for the API listing (defaults to the docstring).
    """
    if ttl_seconds is not None and not callable(period):
        period = min(
            PERIOD_TTL_SECONDS, key=lambda p: abs(PERIOD_TTL_SECONDS[p] - ttl_seconds)
        )

    def decorate(run: Runner) -> Runner:
        if name in _REGISTRY:
            raise ValueError(f"data source {name!r} is already registered")
        _REGISTRY[name] = DataSource(
            name,
            params_model,
            run,
            period,
            description or (run.__doc__ or "").strip().split("\n")[0],
        )
        return run

    return decorate


def get(name: str) -> DataSource:
    """The data source called ``name``; an unknown name raises :class:`QueryError`."""
    load_builtin_sources()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise QueryError(
            f"unknown data_source {name!r}; expected one of "
            f"{', '.join(sorted(_REGISTRY))}"
        ) from None


def names() -> list[str]:
    load_builtin_sources()
    return sorted(_REGISTRY)


def all_sources() -> list[DataSource]:
    load_builtin_sources()
    return [_REGISTRY[name] for name in sorted(_REGISTRY)]


_LOADED = False


SOURCES_PACKAGE = "datasources.sources"


def load_builtin_sources() -> None:
    """Import every module of ``datasources.sources`` so their ``@register`` calls run
    (idempotent: Python imports each module once).

    The sources import this module for ``register``, so they are found by name on first
    use (a plugin registry, like redash's query runners), not imported at its top.
    """
    global _LOADED
    if _LOADED:
        return
    package = importlib.import_module(SOURCES_PACKAGE)
    for module in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"{SOURCES_PACKAGE}.{module.name}")
    _LOADED = True
