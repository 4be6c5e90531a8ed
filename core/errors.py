"""Turning pydantic validation errors into the messages Pulse shows its users.

Every validated input (widget specs, data-source params, filters, ingest rows, rules,
settings) reports problems the same way: ``prefix: field.path: what is wrong``.
"""

from __future__ import annotations

from pydantic import ValidationError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError


def validation_messages(
    exc: ValidationError, *, prefix: str = "", field_prefix: str = ""
) -> list[str]:
    """One message per error of ``exc``, each naming the field it is about.

    Args:
        exc: the pydantic error.
        prefix: what was being validated (``"widget 3 \\"CPA\\""``), put first.
        field_prefix: prepended to each field path (``"query_params."``).

    Returns:
        Messages such as ``campaigns: query_params.metric: Input should be ...``.
    """
    messages = []
    for error in exc.errors():
        location = ".".join(str(part) for part in error["loc"])
        where = f"{field_prefix}{location}" if location else field_prefix.rstrip(".")
        text = error["msg"].removeprefix("Value error, ")
        messages.append(": ".join(part for part in (prefix, where, text) if part))
    return messages


def unreachable_database(exc: DBAPIError, url: str | None = None) -> str:
    """One line for a database that cannot be reached, naming where it was sought:
    ``database: cannot connect to PostgreSQL at 127.0.0.1:5999 (Connection refused);
    ...``. Without ``url`` the driver's own first line names the host and port."""
    reason = str(exc.orig or exc).strip().splitlines()[0]
    reason = reason.removeprefix("connection failed: ")
    if url is None:
        return f"database: cannot connect: {reason}"
    target = make_url(url)
    if target.get_backend_name() == "sqlite":
        return f"database: cannot open SQLite database {target.database!r}: {reason}"
    return (
        f"database: cannot connect to PostgreSQL at {target.host or 'localhost'}:"
        f"{target.port or 5432} ({reason}); is it running, and is DATABASE_URL right?"
    )
