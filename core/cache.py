"""The metrics cache backend, chosen by configuration.

Simple (one process) or FileSystem (several processes on one machine) when embedded;
Redis when ``REDIS_URL`` is set, shared by every web worker and the scheduler.
"""

from __future__ import annotations

from flask import Flask
from flask_caching import Cache

from core.settings import Settings


def cache_config(settings: Settings) -> dict:
    kind = settings.effective_cache_type
    config = {
        "CACHE_DEFAULT_TIMEOUT": settings.cache_default_timeout,
        "CACHE_KEY_PREFIX": "pulse:",
    }
    if kind == "redis":
        if not settings.redis_url:
            raise ValueError("PULSE_CACHE_TYPE=redis needs REDIS_URL")
        config |= {"CACHE_TYPE": "RedisCache", "CACHE_REDIS_URL": settings.redis_url}
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
    cache.set("pulse:healthz", "ok", timeout=10)
    if cache.get("pulse:healthz") != "ok":
        raise RuntimeError("cache did not return the value just stored")
