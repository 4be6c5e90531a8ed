"""Pulse settings: the one place configuration is read.

Precedence: an explicit argument to ``Settings(...)`` > environment variable > default.
Environment variables are ``PULSE_<FIELD>``; a few conventional names are accepted too
(``DATABASE_URL``, ``REDIS_URL``, ``HOST``, ``PORT``, ``SECRET_KEY``). Secrets come only
from the environment or from the generated secret file: without ``PULSE_SECRET_KEY`` the
first start writes a random one to ``var/secret_key`` (mode 0600) and every later start,
web worker and tool reads it back; production requires ``PULSE_SECRET_KEY``. A known or
short secret is refused in every environment. The keys that encrypt dashboard snapshots
work the same way: ``PULSE_SNAPSHOT_KEYS``, else a key generated once into
``var/snapshot_keys``; production requires ``PULSE_SNAPSHOT_KEYS``.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path
from typing import Literal
from urllib.parse import parse_qs, urlsplit

from limits import parse_many
from pydantic import (
    AliasChoices,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from core.crypto import KEYS_VARIABLE, SnapshotKeyError, generate_key, parse_keys
from core.errors import validation_messages

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# The development key earlier releases signed sessions with. It is public (it was in
# the repository), so a cookie signed with it proves nothing: refused like the others.
DEV_SECRET = "pulse-development-secret-do-not-use-in-production"
MIN_SECRET_LENGTH = 32
# Placeholders people paste from examples; compared case-insensitively.
KNOWN_SECRETS = frozenset(
    {
        DEV_SECRET,
        "change-me",
        "changeme",
        "change-me-in-production",
        "secret",
        "secret-key",
        "your-secret-key",
        "development",
        "test-secret",
        "browser-test-secret",
        "bench",
    }
)
GENERATE_SECRET_HINT = (
    'generate one with: python -c "import secrets; print(secrets.token_urlsafe(48))"'
)


# The one folder Pulse creates for a SQLite file: its own ``var/`` (``make run``'s
# default database lives there). Any other folder must exist: a typo in
# DATABASE_URL should not quietly start an empty database somewhere else.
DEFAULT_DATA_DIR = PROJECT_ROOT / "var"


def sqlite_folder_problem(url: str) -> str | None:
    """Why a SQLite ``url``'s file cannot be created (its folder is missing and is
    not Pulse's own ``var/``), or ``None``."""
    if not url.startswith("sqlite:///") or url.endswith(":memory:"):
        return None
    folder = Path(url.removeprefix("sqlite:///")).parent
    if folder.is_dir() or folder.resolve() == DEFAULT_DATA_DIR.resolve():
        return None
    return (
        f"DATABASE_URL {url!r}: the folder {str(folder)!r} does not exist; create it "
        "first (Pulse creates only its own var/ folder)"
    )


class ConfigurationError(RuntimeError):
    """A setting is missing or malformed; the message names the variable."""


def _env(name: str) -> AliasChoices:
    """Accept ``PULSE_NAME`` first, then the conventional bare ``NAME``."""
    return AliasChoices(f"PULSE_{name}", name)


class Settings(BaseSettings):
    """Typed settings for the web app, the scheduler and the command-line tools."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    env: Literal["development", "test", "production"] = Field(
        "development", validation_alias=_env("ENV")
    )
    database_url: str = Field(
        f"sqlite:///{PROJECT_ROOT / 'var' / 'pulse.db'}",
        validation_alias=_env("DATABASE_URL"),
        description=(
            "SQLAlchemy URL the web app uses (on PostgreSQL: the RLS-bound app role)."
        ),
    )
    admin_database_url: str | None = Field(
        None,
        validation_alias=AliasChoices("PULSE_ADMIN_DATABASE_URL"),
        description="URL of the schema owner, used by migrations and the demo seeder. "
        "Defaults to database_url.",
    )
    db_app_role: str = Field(
        "pulse_app", validation_alias=AliasChoices("PULSE_DB_APP_ROLE")
    )
    redis_url: str | None = Field(None, validation_alias=_env("REDIS_URL"))
    cache_type: Literal["simple", "filesystem", "redis"] | None = Field(
        None,
        validation_alias=AliasChoices("PULSE_CACHE_TYPE"),
        description="Defaults to redis when REDIS_URL is set, else filesystem.",
    )
    cache_dir: Path = Field(
        PROJECT_ROOT / "var" / "cache", validation_alias=AliasChoices("PULSE_CACHE_DIR")
    )
    cache_default_timeout: int = Field(
        300, validation_alias=AliasChoices("PULSE_CACHE_TIMEOUT")
    )
    secret_key: str | None = Field(
        None,
        validation_alias=_env("SECRET_KEY"),
        description="Signs session cookies; unset: a random one in secret_key_file.",
    )
    secret_key_file: Path = Field(
        PROJECT_ROOT / "var" / "secret_key",
        validation_alias=AliasChoices("PULSE_SECRET_KEY_FILE"),
        description="Where the generated secret lives when PULSE_SECRET_KEY is unset.",
    )
    snapshot_keys: str | None = Field(
        None,
        validation_alias=AliasChoices(KEYS_VARIABLE),
        description="Fernet keys that encrypt dashboard snapshots, comma-separated, "
        "newest first; unset: one generated into snapshot_keys_file.",
    )
    snapshot_keys_file: Path = Field(
        PROJECT_ROOT / "var" / "snapshot_keys",
        validation_alias=AliasChoices("PULSE_SNAPSHOT_KEYS_FILE"),
        description="Where the generated snapshot key lives when PULSE_SNAPSHOT_KEYS "
        "is unset (one key a line, newest first).",
    )
    host: str = Field("127.0.0.1", validation_alias=_env("HOST"))
    port: int = Field(8050, validation_alias=_env("PORT"))
    debug: bool = Field(False, validation_alias=AliasChoices("PULSE_DEBUG"))
    query_timeout_seconds: float = Field(
        10.0,
        gt=0,
        validation_alias=AliasChoices("PULSE_QUERY_TIMEOUT"),
        description=(
            "a widget's data query running longer is stopped and the widget says so"
        ),
    )
    scheduler: Literal["embedded", "off"] = Field(
        "embedded",
        validation_alias=AliasChoices("PULSE_SCHEDULER"),
        description="`python app.py` runs the job scheduler in-process when embedded; "
        "gunicorn workers never do (run `python -m scheduler` once beside them).",
    )

    session_idle_minutes: int = Field(
        60,
        gt=0,
        validation_alias=AliasChoices("PULSE_SESSION_IDLE_MINUTES"),
        description="a sign-in with no request for this long is over (server-side)",
    )
    session_max_hours: int = Field(
        24,
        gt=0,
        validation_alias=AliasChoices("PULSE_SESSION_MAX_HOURS"),
        description="a sign-in is over this long after it began, however active",
    )
    trusted_proxies: int = Field(
        0,
        ge=0,
        validation_alias=AliasChoices("PULSE_TRUSTED_PROXIES"),
        description="how many reverse proxies stand in front of Pulse; their "
        "X-Forwarded-For/-Proto/-Host headers are believed (the client IP of rate "
        "limits and sessions); 0: none, the connecting address is the client",
    )
    rate_limits: bool = Field(
        True,
        validation_alias=AliasChoices("PULSE_RATE_LIMITS"),
        description="false turns every rate limit off (the tests do, unless a test "
        "is about the limits)",
    )
    rate_limit_login_ip: str = Field(
        "20 per minute",
        validation_alias=AliasChoices("PULSE_RATE_LIMIT_LOGIN_IP"),
        description="sign-in attempts (POST /login) per client IP address",
    )
    rate_limit_login_account: str = Field(
        "5 per 15 minutes",
        validation_alias=AliasChoices("PULSE_RATE_LIMIT_LOGIN_ACCOUNT"),
        description="failed sign-in attempts per email address",
    )
    rate_limit_api: str = Field(
        "600 per minute",
        validation_alias=AliasChoices("PULSE_RATE_LIMIT_API"),
        description="/api/v1 requests per API key, or per signed-in user",
    )

    smtp_url: str | None = Field(
        None,
        validation_alias=_env("SMTP_URL"),
        description="where scheduled reports are mailed: smtp://user:pass@host:587"
        "?starttls=1 (plain SMTP, upgraded with STARTTLS when starttls=1) or "
        "smtps://user:pass@host:465 (TLS from the start); unset: each message is "
        "written as an .eml file to outbox_dir instead",
    )
    smtp_from: str = Field(
        "Pulse Reports <reports@pulse.localhost>",
        validation_alias=AliasChoices("PULSE_SMTP_FROM"),
        description="the From address of report emails",
    )
    smtp_timeout_seconds: float = Field(
        30.0, gt=0, validation_alias=AliasChoices("PULSE_SMTP_TIMEOUT")
    )
    outbox_dir: Path = Field(
        PROJECT_ROOT / "var" / "outbox",
        validation_alias=AliasChoices("PULSE_OUTBOX_DIR"),
        description="where report emails go as .eml files when SMTP_URL is unset",
    )
    report_grace_minutes: int = Field(
        120,
        ge=1,
        validation_alias=AliasChoices("PULSE_REPORT_GRACE_MINUTES"),
        description="a scheduled report found due later than this after its time "
        "(the scheduler was down) is recorded as missed instead of sent late",
    )
    report_max_attempts: int = Field(
        3,
        ge=1,
        validation_alias=AliasChoices("PULSE_REPORT_MAX_ATTEMPTS"),
        description="attempts to render and send a report before it is failed",
    )
    report_retry_seconds: float = Field(
        60.0,
        ge=0,
        validation_alias=AliasChoices("PULSE_REPORT_RETRY_SECONDS"),
        description="wait before the second attempt; each later wait is 4 times "
        "longer (60 s, 4 min, 16 min ...)",
    )
    report_lease_seconds: float = Field(
        900.0,
        gt=0,
        validation_alias=AliasChoices("PULSE_REPORT_LEASE_SECONDS"),
        description="a delivery still running after this long belongs to a process "
        "that died: another scheduler takes it over",
    )
    webhook_allowlist: str = Field(
        "",
        validation_alias=AliasChoices("PULSE_WEBHOOK_ALLOWLIST"),
        description="comma-separated host names, addresses or networks (CIDR) that "
        "alert webhooks and Slack URLs may reach although they are private, loopback "
        "or link-local (refused otherwise, at save and at send time); e.g. "
        "'127.0.0.1,hooks.internal.example,10.20.0.0/16'",
    )
    alert_http_timeout_seconds: float = Field(
        5.0,
        gt=0,
        le=60,
        validation_alias=AliasChoices("PULSE_ALERT_HTTP_TIMEOUT"),
        description="connect and read timeout of one webhook or Slack request",
    )
    alert_max_attempts: int = Field(
        3,
        ge=1,
        le=10,
        validation_alias=AliasChoices("PULSE_ALERT_MAX_ATTEMPTS"),
        description="attempts per alert notification and channel before it fails",
    )
    alert_retry_seconds: float = Field(
        1.0,
        ge=0,
        le=60,
        validation_alias=AliasChoices("PULSE_ALERT_RETRY_SECONDS"),
        description="wait before the second attempt of a notification; doubled for "
        "each later one (1 s, 2 s, 4 s ...)",
    )
    public_url: str = Field(
        "http://127.0.0.1:8050",
        validation_alias=AliasChoices("PULSE_PUBLIC_URL"),
        description="the address people open Pulse at; alert messages link to it",
    )
    kiosk_tick_seconds: float = Field(
        10.0,
        ge=0.2,
        le=3600,
        validation_alias=AliasChoices("PULSE_KIOSK_TICK_SECONDS"),
        description="how often a kiosk display asks whether its widgets changed "
        "(a revoked token, a deploy and a recovered outage show within a tick or two)",
    )
    release: str = Field(
        "",
        max_length=120,
        validation_alias=AliasChoices("PULSE_RELEASE"),
        description="a name for the deployed version (e.g. the git commit); with "
        "the assets' content it makes the version an open kiosk display compares to "
        "reload itself after a deploy",
    )

    @field_validator(
        "rate_limit_login_ip", "rate_limit_login_account", "rate_limit_api"
    )
    @classmethod
    def _check_rate_limit(cls, value: str, info: ValidationInfo) -> str:
        variable = f"PULSE_{(info.field_name or '').upper()}"
        try:
            parse_many(value)
        except ValueError:
            raise ValueError(
                f"{variable} {value!r} is not a rate limit; expected e.g. "
                "'20 per minute', '5 per 15 minutes' or '600/minute;20/second'"
            ) from None
        return value

    @field_validator("smtp_url")
    @classmethod
    def _check_smtp_url(cls, value: str | None) -> str | None:
        if not value:
            return None
        problem = smtp_url_problem(value)
        if problem:
            raise ValueError(f"SMTP_URL: {problem}")
        return value

    @field_validator("database_url", "admin_database_url")
    @classmethod
    def _check_database_url(cls, value: str | None) -> str | None:
        if value is None:
            return value
        try:
            url = make_url(value)
        except ArgumentError as exc:
            raise ValueError(
                f"DATABASE_URL {value!r} is not a database URL; expected e.g. "
                "'sqlite:///var/pulse.db' or 'postgresql+psycopg://user@host/db'"
            ) from exc
        if url.get_backend_name() not in ("sqlite", "postgresql"):
            raise ValueError(
                f"DATABASE_URL {value!r} uses {url.get_backend_name()!r}; "
                "Pulse supports sqlite and postgresql"
            )
        problem = sqlite_folder_problem(value)
        if problem:
            raise ValueError(problem)
        if (
            url.get_backend_name() == "postgresql"
            and url.drivername != "postgresql+psycopg"
        ):
            # Normalise 'postgresql://' to the psycopg 3 driver this project installs.
            url = url.set(drivername="postgresql+psycopg")
            return url.render_as_string(hide_password=False)
        return value

    @field_validator("secret_key")
    @classmethod
    def _refuse_weak_secret(cls, value: str | None) -> str | None:
        if value is None:
            return value
        problem = weak_secret_problem(value)
        if problem:
            raise ValueError(f"PULSE_SECRET_KEY {problem}")
        return value

    @field_validator("snapshot_keys")
    @classmethod
    def _check_snapshot_keys(cls, value: str | None) -> str | None:
        if value is None:
            return value
        parse_keys(value)  # SnapshotKeyError is a ValueError: it names the key
        return value

    @model_validator(mode="after")
    def _production_needs_a_secret(self) -> Settings:
        if self.env == "production" and self.secret_key is None:
            raise ValueError(
                "PULSE_SECRET_KEY must be set in production (every web server must "
                f"sign sessions with the same key); {GENERATE_SECRET_HINT}"
            )
        if self.env == "production" and self.snapshot_keys is None:
            raise ValueError(
                f"{KEYS_VARIABLE} must be set in production (every server must "
                "encrypt and decrypt snapshots with the same keys); generate one with "
                "`pulse snapshots generate-key`"
            )
        return self

    def session_secret(self) -> str:
        """The key that signs session cookies: ``secret_key`` when set, else the one
        in ``secret_key_file``, generated on first use.

        Raises:
            ConfigurationError: the secret file holds a weak secret or is unreadable.
        """
        if self.secret_key is not None:
            return self.secret_key
        return load_or_create_secret(self.secret_key_file)

    def snapshot_key_list(self) -> list[str]:
        """The keys that encrypt snapshots, newest first: ``snapshot_keys`` when set,
        else those in ``snapshot_keys_file`` (one generated there on first use).

        Raises:
            ConfigurationError: the key file is unreadable or holds a malformed key.
        """
        if self.snapshot_keys is not None:
            return parse_keys(self.snapshot_keys)
        return load_or_create_snapshot_keys(self.snapshot_keys_file)

    @property
    def effective_cache_type(self) -> str:
        if self.cache_type:
            return self.cache_type
        return "redis" if self.redis_url else "filesystem"

    @property
    def migration_database_url(self) -> str:
        return self.admin_database_url or self.database_url


def smtp_url_problem(url: str) -> str | None:
    """Why ``url`` is not a usable ``SMTP_URL`` (never repeats its password), or
    ``None``."""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps"):
        return (
            f"expected smtp://host:port or smtps://host:port, got scheme "
            f"{parts.scheme or 'none'!r}"
        )
    if not parts.hostname:
        return "no host; expected e.g. smtp://user:pass@mail.example.com:587"
    try:
        parts.port  # noqa: B018 - urlsplit checks the port only when asked
    except ValueError:
        return "the port is not a number from 0 to 65535"
    options = set(parse_qs(parts.query)) - {"starttls"}
    if options:
        return f"unknown option(s) {', '.join(sorted(options))}; expected starttls=1"
    return None


def weak_secret_problem(value: str) -> str | None:
    """Why ``value`` is not fit to sign sessions (``None`` when it is)."""
    if value.strip().lower() in {known.lower() for known in KNOWN_SECRETS}:
        return f"is a known example value, not a secret; {GENERATE_SECRET_HINT}"
    if len(value) < MIN_SECRET_LENGTH:
        return (
            f"is too short ({len(value)} characters, at least {MIN_SECRET_LENGTH} "
            f"needed); {GENERATE_SECRET_HINT}"
        )
    if len(set(value)) < 10:
        return f"has too few distinct characters to be random; {GENERATE_SECRET_HINT}"
    return None


def load_or_create_secret(path: Path) -> str:
    """The secret kept in ``path``, written there first (random, mode 0600) if absent.

    Creation is atomic: the secret is written to a private temporary file and then
    hard-linked into place, which fails if another process got there first; then that
    process's secret is read. So concurrent web workers all end up with one secret, and
    no one ever reads a partly written file.

    Raises:
        ConfigurationError: naming PULSE_SECRET_KEY_FILE, when the file holds a weak
            secret or cannot be read or written.
    """
    try:
        if not path.exists():
            _create_secret_file(path)
        value = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ConfigurationError(
            f"PULSE_SECRET_KEY_FILE {str(path)!r}: cannot read or create the "
            f"generated secret ({exc.strerror or exc}); set PULSE_SECRET_KEY instead"
        ) from None
    problem = weak_secret_problem(value)
    if problem:
        raise ConfigurationError(
            f"PULSE_SECRET_KEY_FILE {str(path)!r}: the secret it holds {problem} "
            "(or delete the file to have a new one generated)"
        )
    return value


def load_or_create_snapshot_keys(path: Path) -> list[str]:
    """The snapshot keys kept in ``path`` (one a line, newest first), a new random
    one written there first (mode 0600, atomically, as :func:`load_or_create_secret`)
    if the file is absent.

    Raises:
        ConfigurationError: naming PULSE_SNAPSHOT_KEYS_FILE, when the file cannot be
            read or written or holds a malformed key.
    """
    try:
        if not path.exists():
            _create_secret_file(path, generate_key())
        value = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigurationError(
            f"PULSE_SNAPSHOT_KEYS_FILE {str(path)!r}: cannot read or create the "
            f"generated key ({exc.strerror or exc}); set {KEYS_VARIABLE} instead"
        ) from None
    try:
        return parse_keys(value, source=f"PULSE_SNAPSHOT_KEYS_FILE {str(path)!r}")
    except SnapshotKeyError as exc:
        raise ConfigurationError(str(exc)) from None


def _create_secret_file(path: Path, value: str | None = None) -> None:
    """Write ``value`` (default: a random session secret) to ``path`` atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            os.fchmod(handle.fileno(), 0o600)
            handle.write((value or secrets.token_urlsafe(48)) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        # Fails if another process created it first: then that one is used.
        with contextlib.suppress(FileExistsError):
            os.link(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def load_settings(**overrides) -> Settings:
    """Build settings, turning validation failures into one readable message.

    Raises:
        ConfigurationError: naming each bad variable and why.
    """
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = validation_messages(exc)
        raise ConfigurationError(
            "Invalid configuration:\n  " + "\n  ".join(problems)
        ) from None
