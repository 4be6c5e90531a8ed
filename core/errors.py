"""Turning pydantic validation errors into the messages Pulse shows its users.

Every validated input (widget specs, data-source params, filters, ingest rows, rules,
settings) reports problems the same way: ``prefix: field.path: what is wrong``.
"""

from __future__ import annotations

from pydantic import ValidationError


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
