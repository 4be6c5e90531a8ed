from __future__ import annotations

import secrets
import stat
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from core.crypto import SnapshotCipher, generate_key
from core.settings import (
    DEV_SECRET,
    KNOWN_SECRETS,
    ConfigurationError,
    load_or_create_secret,
    load_settings,
)


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


def test_production_needs_a_secret(tmp_path):
    with pytest.raises(ConfigurationError, match="PULSE_SECRET_KEY must be set"):
        load_settings(env="production", secret_key_file=tmp_path / "secret_key")
    strong = secrets.token_urlsafe(48)
    settings = load_settings(
        env="production", secret_key=strong, snapshot_keys=generate_key()
    )
    assert settings.session_secret() == strong


def test_production_needs_snapshot_keys(tmp_path):
    strong = secrets.token_urlsafe(48)
    with pytest.raises(ConfigurationError, match="PULSE_SNAPSHOT_KEYS must be set"):
        load_settings(
            env="production",
            secret_key=strong,
            snapshot_keys_file=tmp_path / "snapshot_keys",
        )
    assert not (tmp_path / "snapshot_keys").exists()


def test_a_malformed_snapshot_key_is_named_never_repeated():
    good = generate_key()
    with pytest.raises(ConfigurationError) as refused:
        load_settings(snapshot_keys=f"{good},not-a-fernet-key")
    message = str(refused.value)
    assert "PULSE_SNAPSHOT_KEYS: key 2 of 2 is not a Fernet key" in message
    assert "not-a-fernet-key" not in message and good not in message


def test_snapshot_keys_are_read_newest_first_from_the_environment():
    new, old = generate_key(), generate_key()
    settings = load_settings(snapshot_keys=f" {new} , {old} ")
    assert settings.snapshot_key_list() == [new, old]


def test_without_snapshot_keys_one_is_generated_once_into_the_file(tmp_path):
    path = tmp_path / "var" / "snapshot_keys"
    settings = load_settings(snapshot_keys=None, snapshot_keys_file=path)
    first = settings.snapshot_key_list()
    assert len(first) == 1
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert settings.snapshot_key_list() == first
    SnapshotCipher(first).decrypt(SnapshotCipher(first).encrypt(b"figures"))
    path.write_text("broken\n")
    with pytest.raises(ConfigurationError, match="PULSE_SNAPSHOT_KEYS_FILE"):
        settings.snapshot_key_list()


@pytest.mark.parametrize("env", ["development", "test", "production"])
@pytest.mark.parametrize(
    "secret,reason",
    [
        (DEV_SECRET, "is a known example value"),
        ("change-me", "is a known example value"),
        ("Change-Me", "is a known example value"),
        ("s3cret", "is too short"),
        ("x" * 31, "is too short"),
        ("ab" * 40, "has too few distinct characters"),
    ],
)
def test_known_or_short_secrets_are_refused_everywhere(env, secret, reason):
    with pytest.raises(ConfigurationError) as refused:
        load_settings(env=env, secret_key=secret)
    message = str(refused.value)
    assert f"PULSE_SECRET_KEY {reason}" in message
    assert "secrets.token_urlsafe(48)" in message
    assert secret not in message.replace("PULSE_SECRET_KEY", "")


def test_the_secret_is_read_from_the_environment(monkeypatch):
    strong = secrets.token_urlsafe(48)
    monkeypatch.setenv("PULSE_SECRET_KEY", strong)
    assert load_settings().session_secret() == strong
    monkeypatch.setenv("PULSE_SECRET_KEY", "change-me")
    with pytest.raises(ConfigurationError, match="PULSE_SECRET_KEY is a known"):
        load_settings()


def test_without_a_secret_one_is_generated_once_and_kept_private(tmp_path, monkeypatch):
    monkeypatch.delenv("PULSE_SECRET_KEY", raising=False)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    path = tmp_path / "var" / "secret_key"
    first = load_settings(secret_key_file=path).session_secret()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(first) >= 60 and first not in KNOWN_SECRETS
    # Every later start, worker and tool reads the same one back.
    assert load_settings(secret_key_file=path).session_secret() == first
    assert path.read_text().strip() == first
    assert list(path.parent.iterdir()) == [path]  # no temporary file left behind


def test_workers_starting_together_agree_on_one_generated_secret(tmp_path):
    path = tmp_path / "secret_key"
    start = threading.Barrier(8)

    def worker() -> str:
        start.wait()
        return load_or_create_secret(path)

    with ThreadPoolExecutor(8) as pool:
        found = set(pool.map(lambda _: worker(), range(8)))
    assert found == {path.read_text().strip()}


def test_a_weak_secret_file_is_refused_naming_it(tmp_path):
    path = tmp_path / "secret_key"
    path.write_text("change-me\n")
    with pytest.raises(ConfigurationError, match="PULSE_SECRET_KEY_FILE .*known"):
        load_settings(secret_key_file=path).session_secret()


def test_sessions_and_rate_limits_have_safe_defaults(monkeypatch):
    for name in (
        "PULSE_RATE_LIMITS",
        "PULSE_RATE_LIMIT_LOGIN_IP",
        "PULSE_RATE_LIMIT_LOGIN_ACCOUNT",
        "PULSE_RATE_LIMIT_API",
        "PULSE_SESSION_IDLE_MINUTES",
        "PULSE_SESSION_MAX_HOURS",
    ):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings()
    assert settings.rate_limits is True  # on for `make run`
    assert settings.rate_limit_login_ip == "20 per minute"
    assert settings.rate_limit_login_account == "5 per 15 minutes"
    assert settings.rate_limit_api == "600 per minute"
    assert (settings.session_idle_minutes, settings.session_max_hours) == (60, 24)
    monkeypatch.setenv("PULSE_RATE_LIMIT_API", "100/minute;10/second")
    assert load_settings().rate_limit_api == "100/minute;10/second"


@pytest.mark.parametrize(
    "variable",
    [
        "PULSE_RATE_LIMIT_LOGIN_IP",
        "PULSE_RATE_LIMIT_LOGIN_ACCOUNT",
        "PULSE_RATE_LIMIT_API",
    ],
)
def test_a_malformed_rate_limit_is_refused_naming_its_variable(monkeypatch, variable):
    monkeypatch.setenv(variable, "lots per hour")
    with pytest.raises(ConfigurationError) as refused:
        load_settings()
    assert f"{variable} 'lots per hour' is not a rate limit" in str(refused.value)
    assert "'20 per minute'" in str(refused.value)


@pytest.mark.parametrize(
    "variable", ["PULSE_SESSION_IDLE_MINUTES", "PULSE_SESSION_MAX_HOURS"]
)
def test_session_lifetimes_must_be_positive(monkeypatch, variable):
    monkeypatch.setenv(variable, "0")
    with pytest.raises(ConfigurationError, match=variable):
        load_settings()
