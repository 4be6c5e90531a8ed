from __future__ import annotations

import pytest

from core.settings import DEV_SECRET, ConfigurationError, load_settings


def test_precedence_argument_over_environment(monkeypatch):
    monkeypatch.setenv("PULSE_PORT", "9000")
    assert load_settings().port == 9000
    assert load_settings(port=9100).port == 9100
    monkeypatch.setenv("DATABASE_URL", "postgresql://app@db/pulse")
    monkeypatch.delenv("PULSE_DATABASE_URL", raising=False)
    assert load_settings().database_url == "postgresql+psycopg://app@db/pulse"


def test_cache_backend_follows_redis_url(monkeypatch):
    monkeypatch.delenv("PULSE_CACHE_TYPE", raising=False)
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.delenv("PULSE_REDIS_URL", raising=False)
    assert load_settings().effective_cache_type == "filesystem"
    assert (
        load_settings(redis_url="redis://127.0.0.1:6379/0").effective_cache_type
        == "redis"
    )


@pytest.mark.parametrize(
    "url,message",
    [
        ("nonsense", "is not a database URL"),
        ("oracle://x/y", "Pulse supports sqlite and postgresql"),
    ],
)
def test_bad_database_url_is_named(url, message):
    with pytest.raises(ConfigurationError, match=message):
        load_settings(database_url=url)


def test_production_needs_a_secret():
    with pytest.raises(ConfigurationError, match="PULSE_SECRET_KEY must be set"):
        load_settings(env="production", secret_key=DEV_SECRET)
    assert load_settings(env="production", secret_key="s3cret").env == "production"
