"""The data service: validated, org-scoped, cached data-source queries.

Callbacks, the JSON API and report jobs all ask for data here.

Cache keys are made of the org, the org's cache version, the source, its validated
params, the filters and the org's clock (see :func:`window_clock`), so one org can
never be served another's entry, no answer computed for one date window is served for
another (a "today" computed before the org's midnight is not "today" after it), several
workers share one cache (Redis when configured), and bumping an org's version
(``invalidate_org``, on ingest or a campaign change) makes exactly that org's entries
unreachable: a value from before an invalidation is never served after it.

Stale-while-revalidate: an entry is *fresh* for its source's TTL (per aggregation
period) and then kept as *stale* for a grace period. A stale entry is served at once,
marked ``stale`` with its age, while one background recomputation (a lock in the shared
cache makes it one across workers) replaces it. A failed recomputation keeps the last
value, still marked stale, and logs why. A forced recomputation (``fresh``, the Refresh
button) that cannot reach the database answers with the cached value, marked stale,
if there is one.

When the cache itself is unreachable (Redis down), every read is a miss and every write
does nothing (:class:`core.cache.ResilientRedisCache`): queries are answered straight
from the database.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import time
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Any

from flask_caching import Cache
from sqlalchemy import select

from core.cache import LocalMemo, make_cache
from core.db import Database, is_unavailable
from core.filters import Filters, OrgContext, QueryError
from core.models import Campaign, Org
from core.settings import Settings
from core.windows import org_today
from datasources import registry
from datasources.metrics_cache import store_kpi

log = logging.getLogger(__name__)

# How long a stale value may still be served while it is being recomputed.
STALE_GRACE_SECONDS = 24 * 3600
REFRESH_LOCK_SECONDS = 60
# Part of every cache key: bump it when a data source's result changes shape, so that
# entries written by the previous release are never served (stale or not) after an
# upgrade.
RESULT_FORMAT = 3


# Aggregation periods whose sources have hour-level relative windows ("24h" is the last
# 24 UTC hours up to the running one, see ``resolve_span``): their keys also hold the
# current UTC hour. Daily and weekly sources only take day periods ("30d", "today",
# "last_7_days"), so the org-local date is all their windows depend on.
HOUR_LEVEL_PERIODS = frozenset({"realtime", "hourly"})


class UnknownOrg(LookupError):
    pass


class NotCached(LookupError):
    """A ``cached_only`` query whose answer is not in the cache."""


def window_clock(timezone: str, period: str, now: dt.datetime | None = None) -> str:
    """The part of a cache key that pins the date window relative periods resolve to.

    Every data source resolves ``"today"``, ``"7d"`` or ``"last_30_days"`` against the
    org-local date, so that date is in every key: at the org's midnight (DST-correct,
    from the same clock the sources read) every key changes and the first request of the
    new day computes the new day's answer instead of being served yesterday's, fresh or
    stale. Keys of explicit date ranges change too, which costs one recomputation per
    entry per day and keeps the rule simple. Hour-level sources also get the UTC hour,
    the boundary their "24h" windows move at; their TTL (1 or 5 minutes) would bound the
    error but a stale entry is still served for a day, so the TTL is not enough.

    Args:
        timezone: the org's IANA time zone.
        period: the source's aggregation period for these params (``ttl_for``).
        now: the instant; defaults to the current time.
    """
    now = now or dt.datetime.now(dt.UTC)
    clock = org_today(timezone, now).isoformat()
    if period in HOUR_LEVEL_PERIODS:
        clock += now.astimezone(dt.UTC).strftime("|%H")
    return clock


class QueryCache:
    """Run data sources for an org through the metrics cache.

    Args:
        db: the app's database.
        cache: a Flask-Caching ``Cache`` (Simple, FileSystem or Redis backend).
        background_workers: threads for stale-while-revalidate refreshes.
        query_timeout_seconds: a data-source query running longer is cut off (the
            widget shows an error card saying so).
    """

    def __init__(
        self,
        db: Database,
        cache: Cache,
        *,
        background_workers: int = 2,
        query_timeout_seconds: float = 10.0,
    ) -> None:
        self.db = db
        self.query_timeout_seconds = query_timeout_seconds
        self.cache = cache
        self._executor = ThreadPoolExecutor(
            max_workers=background_workers, thread_name_prefix="pulse-refresh"
        )
        self._pending: set[Future] = set()
        # Widgets drawn from cached answers, by a digest of everything a drawing
        # depends on (dashboards.render.draw_widget): building Plotly figures costs
        # more than reading the answer, and a dashboard redraws the same ones often.
        self.drawings = LocalMemo(max_entries=256)

    # ----------------------------------------------------------------- org context
    def org_context(self, org_id: int) -> OrgContext:
        key = f"org:{int(org_id)}"
        cached = self.cache.get(key)
        if cached:
            return OrgContext(**cached)
        with self.db.session(org_id) as session:
            org = session.scalars(select(Org).where(Org.id == org_id)).one_or_none()
            if org is None:
                raise UnknownOrg(org_id)
            context = OrgContext.of(org)
        self.cache.set(key, context.__dict__, timeout=300)
        return context

    def campaign_names(self, org_id: int) -> list[tuple[int, str]]:
        """The org's campaigns as ``(id, name)`` by name: what the filter bar offers
        and what a campaign id from a URL or a browser is checked against.

        Cached under the org's cache version (ingest and campaign changes make it
        new) for at most five minutes, so a filter change costs one cache round trip.
        """
        version = self.org_version(org_id)
        key = f"campaigns:{int(org_id)}:v{version}"
        cached = self.cache.get(key)
        if cached is not None:
            return [(int(i), str(name)) for i, name in cached]
        with self.db.session(org_id) as session:
            rows = session.execute(
                select(Campaign.id, Campaign.name).order_by(Campaign.name, Campaign.id)
            ).all()
        names = [(row.id, row.name) for row in rows]
        self.cache.set(key, names, timeout=300)
        return names

    # ------------------------------------------------------------------ versioning
    def org_version(self, org_id: int) -> int:
        """The org's cache version: one cache round trip, no query. Every change to
        the org's data (an ingest, a campaign change) bumps it, in the cache every
        worker shares, so an open screen that polls it learns of the change."""
        return int(self.cache.get(f"orgver:{int(org_id)}") or 0)

    def org_state(self, org_id: int) -> tuple[OrgContext, int]:
        """The org's context and cache version, read from the cache in one round trip
        (every query's key needs both; a caller keying many requests at once reads
        them once and passes them to :meth:`result_key`)."""
        cached, version = self.cache.get_many(
            f"org:{int(org_id)}", f"orgver:{int(org_id)}"
        )
        context = OrgContext(**cached) if cached else self.org_context(org_id)
        return context, int(version or 0)

    def invalidate_org(self, org_id: int) -> bool:
        """Make every cached result of this org unreachable (and only this org's).

        Returns:
            Whether the new version was stored. ``False`` while the cache is
            unreachable: nothing is served from it then, and the first process that
            reaches it again clears what was written before the outage.
        """
        key = f"orgver:{int(org_id)}"
        # A timestamp-based version never goes backwards, even if the key was evicted.
        version = max(self.org_version(org_id) + 1, time.time_ns())
        stored = bool(self.cache.set(key, version, timeout=0))
        self.cache.delete(f"org:{int(org_id)}")
        return stored

    def cache_key(
        self,
        org_id: int,
        source: str,
        params: dict[str, Any],
        filters: Filters,
        *,
        period: str | None = None,
        now: dt.datetime | None = None,
        state: tuple[OrgContext, int] | None = None,
    ) -> str:
        """The key of one source's answer for the org, its params and filters, now.

        ``period`` is the source's aggregation period for these (validated) params;
        :meth:`query` passes the one it has, other callers may leave it to be derived;
        ``state`` is :meth:`org_state` when the caller has read it already.
        The clock is read here and again by the source when it runs, always later: a
        query straddling midnight stores the new day's answer under the old day's key,
        which no request after midnight asks for.
        """
        if period is None:
            data_source = registry.get(source)
            _, period = data_source.ttl_for(data_source.parse_params(params))
        org, version = state or self.org_state(org_id)
        clock = window_clock(org.timezone, period, now)
        digest = hashlib.sha256(
            json.dumps(
                [RESULT_FORMAT, source, params, filters.cache_key(), clock],
                sort_keys=True,
                default=str,
            ).encode()
        ).hexdigest()[:32]
        return f"data:{int(org_id)}:v{version}:{source}:{digest}"

    def result_key(
        self,
        org_id: int,
        source_name: str,
        raw_params: dict[str, Any] | None,
        filters: Filters | None = None,
        *,
        state: tuple[OrgContext, int] | None = None,
    ) -> str:
        """The cache key :meth:`query` would read for this request, now, without
        running it: one cache round trip (none with ``state``, the org's
        :meth:`org_state` read once for many keys). Two equal keys mean the same
        answer (same org version, params, filters and window clock), so a refresh tick
        can skip a widget whose key has not changed since the screen last drew it.

        Raises:
            QueryError: unknown source or invalid params, naming the field.
        """
        source = registry.get(source_name)
        params = source.parse_params(raw_params)
        _, period = source.ttl_for(params)
        return self.cache_key(
            org_id,
            source_name,
            params.model_dump(mode="json"),
            filters or Filters(),
            period=period,
            state=state,
        )

    # ---------------------------------------------------------------------- query
    def query(
        self,
        org_id: int,
        source_name: str,
        raw_params: dict[str, Any] | None,
        filters: Filters | None = None,
        *,
        fresh: bool = False,
        cached_only: bool = False,
    ) -> dict:
        """Validate, then answer one data-source request for ``org_id``.

        Args:
            org_id: the caller's org (from its credentials, never from the request).
            source_name: a registered data source.
            raw_params: its ``query_params``.
            filters: the dashboard's global filters.
            fresh: recompute now even if a cached value exists (a manual refresh).
            cached_only: answer only from the cache (fresh or stale), never run the
                query: a page drawn at once with what is cached, the rest later.

        Returns:
            The source's result plus ``computed_at`` (epoch seconds), ``stale`` and
            ``age_seconds``.

        Raises:
            QueryError: unknown source or invalid params, naming the field.
            NotCached: ``cached_only`` and no cached answer.
        """
        source = registry.get(source_name)
        params = source.parse_params(raw_params)
        filters = filters or Filters()
        _, period = source.ttl_for(params)
        key = self.cache_key(
            org_id, source_name, params.model_dump(mode="json"), filters, period=period
        )
        entry = None if fresh else self.cache.get(key)
        now = time.time()
        if entry is not None:
            stale = now >= entry["fresh_until"]
            if stale:
                self._refresh_in_background(key, org_id, source, params, filters)
            return self._answer(entry, now, stale)
        if cached_only:
            raise NotCached(key)
        try:
            entry = self._compute(key, org_id, source, params, filters)
        except Exception as exc:
            # A manual refresh while the database is down: the last value, marked
            # stale with its age, is better than an error.
            last = self.cache.get(key) if fresh and is_unavailable(exc) else None
            if last is None:
                raise
            log.warning(
                "%s for org %s: database unavailable, serving the cached value",
                source_name,
                org_id,
            )
            return self._answer(last, time.time(), True)
        return self._answer(entry, time.time(), False)

    @staticmethod
    def _answer(entry: dict, now: float, stale: bool) -> dict:
        result = dict(entry["result"])
        result["stale"] = stale
        result["age_seconds"] = max(0.0, now - result["computed_at"])
        return result

    def _compute(
        self,
        key: str,
        org_id: int,
        source: registry.DataSource,
        params,
        filters: Filters,
    ) -> dict:
        org = self.org_context(org_id)
        with (
            self.db.session(org_id) as session,
            self.db.time_limit(session, self.query_timeout_seconds),
        ):
            result = source.run(session, org, params, filters)
            ttl, period = source.ttl_for(params)
            result["computed_at"] = time.time()
            result["aggregation_period"] = period
            if (
                source.name == "campaigns"
                and result.get("view") == "summary"
                and filters == Filters()
            ):
                store_kpi(session, params, result, ttl)
        entry = {"result": result, "fresh_until": result["computed_at"] + ttl}
        self.cache.set(key, entry, timeout=ttl + STALE_GRACE_SECONDS)
        return entry

    def _refresh_in_background(
        self, key: str, org_id: int, source, params, filters
    ) -> None:
        # One refresh per key across every worker sharing the cache.
        if not self.cache.add(f"lock:{key}", 1, timeout=REFRESH_LOCK_SECONDS):
            return

        def refresh() -> None:
            try:
                self._compute(key, org_id, source, params, filters)
            except Exception:
                log.exception(
                    "background refresh of %s for org %s failed; serving the last "
                    "value as stale",
                    source.name,
                    org_id,
                )
            finally:
                self.cache.delete(f"lock:{key}")

        future = self._executor.submit(refresh)
        self._pending.add(future)
        future.add_done_callback(self._pending.discard)

    def wait_for_refreshes(self, timeout: float = 10.0) -> None:
        """Block until the background refreshes started so far have finished."""
        wait(list(self._pending), timeout=timeout)


def invalidate_shared_cache(db: Database, org_id: int, settings: Settings) -> str:
    """From a command-line tool: bump the org's cache version in the deployment's cache
    when the app's processes share one (file system or Redis), so running servers stop
    serving figures computed before the change.

    Args:
        db: the database the tool changed.
        org_id: the org whose figures changed.
        settings: the settings the tool loaded (they name the cache backend).

    Returns:
        What was done, for the tool's log line.
    """
    kind = settings.effective_cache_type
    if kind == "simple":
        return "no shared cache to invalidate"
    if QueryCache(db, make_cache(settings)).invalidate_org(org_id):
        return f"{kind} cache invalidated"
    return (
        f"{kind} cache unreachable, NOT invalidated: the web workers clear it when "
        "they reach it again"
    )


__all__ = [
    "NotCached",
    "QueryCache",
    "QueryError",
    "UnknownOrg",
    "invalidate_shared_cache",
]
