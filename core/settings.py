"""Pulse settings: the one place configuration is read.

Precedence: an explicit argument to ``Settings(...)`` > environment variable > default.
Environment variables are ``PULSE_<FIELD>``; a few conventional names are accepted too
(``DATABASE_URL``, ``REDIS_URL``, ``HOST``, ``PORT``, ``SECRET_KEY``). Secrets come only
from the environment, and production refuses to start with the development secret.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import (
    AliasChoices,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from core.errors import validation_messages

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEV_SECRET = "pulse-development-secret-do-not-use-in-production"


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
    secret_key: str = Field(DEV_SECRET, validation_alias=_env("SECRET_KEY"))
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
        if (
            url.get_backend_name() == "postgresql"
            and url.drivername != "postgresql+psycopg"
        ):
            # Normalise 'postgresql://' to the psycopg 3 driver this project installs.
            url = url.set(drivername="postgresql+psycopg")
            return url.render_as_string(hide_password=False)
        return value

    @model_validator(mode="after")
    def _refuse_default_secret_in_production(self) -> Settings:
        if self.env == "production" and self.secret_key == DEV_SECRET:
            raise ValueError(
                "PULSE_SECRET_KEY must be set in production; refusing to start "
                "with the development secret"
            )
        return self

    @property
    def effective_cache_type(self) -> str:
        if self.cache_type:
            return self.cache_type
        return "redis" if self.redis_url else "filesystem"

    @property
    def migration_database_url(self) -> str:
        return self.admin_database_url or self.database_url


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
