"""The metrics cache backend, chosen by configuration.

Simple (one process) or FileSystem (several processes on one machine) when embedded;
Redis when ``REDIS_URL`` is set, shared by every web worker and the scheduler.

The cache is an accelerator, never a dependency: on Redis every operation goes through
:class:`ResilientRedisCache`, which turns an unreachable Redis into a miss (reads) or a
no-op (writes), so the app answers straight from the database while Redis is down.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections import OrderedDict
from typing import Any

import redis
from flask import Flask
from flask_caching import Cache
from flask_caching.backends.rediscache import RedisCache

from core.settings import Settings

log = logging.getLogger(__name__)

# Redis is on the local network: a connection that takes longer than this is down. A
# request must not wait seconds per cache call while Redis is unreachable.
REDIS_CONNECT_TIMEOUT_SECONDS = 0.5
REDIS_SOCKET_TIMEOUT_SECONDS = 1.0
# After a failure, calls skip Redis for this long instead of each paying a timeout.
REDIS_RETRY_AFTER_SECONDS = 3.0


class ResilientRedisCache(RedisCache):
    """Flask-Caching's Redis backend whose operations never raise a Redis error.

    While Redis is unreachable a read is a miss and a write does nothing, so every
    caller computes from the database. The first failure logs one warning; for
    :data:`REDIS_RETRY_AFTER_SECONDS` after any failure the calls do not even try; the
    first call after that tries again. When Redis answers again the backend first
    deletes every Pulse entry (``pulse:*``) and logs one info line: a write some process
    could not make during the outage (an org's cache version bumped by an ingest, an
    API key's revocation mark) would otherwise leave an outdated entry to be served.
    Until that is done no caller reads from Redis.
    """

    retry_after_seconds = REDIS_RETRY_AFTER_SECONDS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._state_lock = threading.Lock()
        self._down = False
        self._retry_at = 0.0
        self.last_error: str | None = None

    @classmethod
    def factory(cls, app, config, args, kwargs):
        client = redis.Redis.from_url(
            config["CACHE_REDIS_URL"],
            socket_connect_timeout=REDIS_CONNECT_TIMEOUT_SECONDS,
            socket_timeout=REDIS_SOCKET_TIMEOUT_SECONDS,
        )
        return cls(
            client,
            default_timeout=kwargs["default_timeout"],
            key_prefix=config.get("CACHE_KEY_PREFIX"),
        )

    @property
    def address(self) -> str:
        """Where Redis is, for log lines (never its password)."""
        found = self._write_client.connection_pool.connection_kwargs
        return f"{found.get('host')}:{found.get('port')}/{found.get('db', 0)}"

    @property
    def available(self) -> bool:
        """Whether the last call reached Redis."""
        return not self._down

    # ----------------------------------------------------------------- the guard
    def _guarded(self, default: Any, operation, *args: Any, **kwargs: Any) -> Any:
        if self._down and not self._try_recovery():
            return default
        try:
            return operation(*args, **kwargs)
        except redis.RedisError as exc:
            self._failed(exc)
            return default

    def _failed(self, exc: Exception) -> None:
        with self._state_lock:
            self.last_error = f"{type(exc).__name__}: {exc}"[:300]
            self._retry_at = time.monotonic() + self.retry_after_seconds
            if self._down:
                return
            self._down = True
        log.warning(
            "Redis cache at %s is unreachable (%s); serving straight from the database "
            "and trying Redis again every %g s",
            self.address,
            self.last_error,
            self.retry_after_seconds,
        )

    def _try_recovery(self, *, force: bool = False) -> bool:
        """Whether Redis may be used: once the back-off has passed, clear the entries
        written before the outage and mark Redis up (one thread does it, the others
        wait for it)."""
        if not force and time.monotonic() < self._retry_at:
            return False
        with self._state_lock:
            if not self._down:
                return True
            if not force and time.monotonic() < self._retry_at:
                return False
            try:
                cleared = self._clear_namespace()
            except redis.RedisError as exc:
                self.last_error = f"{type(exc).__name__}: {exc}"[:300]
                self._retry_at = time.monotonic() + self.retry_after_seconds
                return False
            self._down = False
            self.last_error = None
        log.info(
            "Redis cache at %s is reachable again; cleared what was cached before the "
            "outage (%d keys)",
            self.address,
            cleared,
        )
        return True

    def _clear_namespace(self) -> int:
        prefix = self._get_prefix()
        keys = list(self._read_client.scan_iter(match=f"{prefix}*", count=1000))
        for start in range(0, len(keys), 1000):
            self._write_client.unlink(*keys[start : start + 1000])
        return len(keys)

    def check(self) -> None:
        """Raise if Redis cannot be reached now (ignoring the back-off); a success
        after an outage recovers as any call would."""
        if self._down and not self._try_recovery(force=True):
            raise ConnectionError(self.last_error or "Redis is unreachable")
        try:
            self._write_client.ping()
        except redis.RedisError as exc:
            self._failed(exc)
            raise

    # ------------------------------------------------------------ the operations
    def get(self, key: str) -> Any:
        return self._guarded(None, super().get, key)

    def get_many(self, *keys: str) -> list[Any]:
        return self._guarded([None] * len(keys), super().get_many, *keys)

    def has(self, key: str) -> bool:
        return self._guarded(False, super().has, key)

    def set(
        self, key: str, value: Any, timeout: int | dt.timedelta | None = None
    ) -> Any:
        return self._guarded(False, super().set, key, value, timeout)

    def add(
        self, key: str, value: Any, timeout: int | dt.timedelta | None = None
    ) -> Any:
        return self._guarded(False, super().add, key, value, timeout)

    def set_many(
        self, mapping: dict[str, Any], timeout: int | dt.timedelta | None = None
    ) -> Any:
        return self._guarded([], super().set_many, mapping, timeout)

    def delete(self, key: str) -> bool:
        return self._guarded(False, super().delete, key)

    def delete_many(self, *keys: str) -> Any:
        return self._guarded([], super().delete_many, *keys)

    def unlink(self, *keys: str) -> Any:
        return self._guarded(None, super().unlink, *keys)

    def clear(self) -> bool:
        return self._guarded(False, super().clear)

    def inc(self, key: str, delta: int = 1) -> Any:
        return self._guarded(None, super().inc, key, delta)

    def dec(self, key: str, delta: int = 1) -> Any:
        return self._guarded(None, super().dec, key, delta)


class LocalMemo:
    """A small least-recently-used memo kept in this process, safe across threads:
    for values that are costly to derive from something the shared cache holds (a
    widget drawn from its cached answer) and cheap to derive again in another
    process. Keys must name everything the value depends on, the org included.
    (An ``OrderedDict`` and a lock: the whole need, no dependency for it.)"""

    def __init__(self, max_entries: int = 256) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[str, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> Any | None:
        with self._lock:
            value = self._entries.get(key)
            if value is not None:
                self._entries.move_to_end(key)
            return value

    def put(self, key: str, value: Any) -> None:
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)


def cache_config(settings: Settings) -> dict:
    kind = settings.effective_cache_type
    config = {
        "CACHE_DEFAULT_TIMEOUT": settings.cache_default_timeout,
        "CACHE_KEY_PREFIX": "pulse:",
    }
    if kind == "redis":
        if not settings.redis_url:
            raise ValueError("PULSE_CACHE_TYPE=redis needs REDIS_URL")
        config |= {
            "CACHE_TYPE": f"{__name__}.{ResilientRedisCache.__name__}",
            "CACHE_REDIS_URL": settings.redis_url,
        }
    elif kind == "filesystem":
        settings.cache_dir.mkdir(parents=True, exist_ok=True)
        config |= {
            "CACHE_TYPE": "FileSystemCache",
            "CACHE_DIR": str(settings.cache_dir),
            "CACHE_THRESHOLD": 5000,
        }
    else:
        config |= {"CACHE_TYPE": "SimpleCache", "CACHE_THRESHOLD": 5000}
    return config


def make_cache(settings: Settings, app: Flask | None = None) -> Cache:
    """A Flask-Caching ``Cache`` bound to ``app`` (or to a bare Flask app for CLIs)."""
    cache = Cache(config=cache_config(settings))
    cache.init_app(app or Flask("pulse-cache"))
    return cache


def ping(cache: Cache) -> None:
    """Raise if the cache backend cannot store and read a value."""
    backend = cache.cache
    if isinstance(backend, ResilientRedisCache):
        backend.check()
    cache.set("pulse:healthz", "ok", timeout=10)
    if cache.get("pulse:healthz") != "ok":
        raise RuntimeError("cache did not return the value just stored")
