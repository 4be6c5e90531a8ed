"""The audit trail: who viewed, exported, read or changed what, when and from where."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from accounts.permissions import USER_AGENT_LENGTH, Caller
from core.models import AuditLog


def record(
    session: Session,
    action: str,
    entity_type: str,
    entity_id: object = None,
    *,
    user_id: int | None = None,
    details: dict[str, Any] | None = None,
    caller: Caller | None = None,
    api_key_id: int | None = None,
    address: str | None = None,
    user_agent: str | None = None,
) -> None:
    """Add one audit row in the session's org (committed with the caller's work).

    Args:
        session: the org-scoped session of the work being audited.
        action: what was done (``view``, ``read``, ``export``, ``update``, ...).
        entity_type, entity_id: what it was done to.
        user_id: the person; taken from ``caller`` when not given.
        details: what else to keep (filters, before/after values); JSON-able.
        caller: who asked: their user or API key, address and user agent are kept.
        api_key_id: the key, for callers that have no :class:`Caller` (ingest).
        address, user_agent: where the request came from, for callers that have no
            :class:`Caller` (signing in); a caller's own take precedence.
    """
    if caller is not None:
        user_id = caller.user_id if user_id is None else user_id
        api_key_id = caller.api_key_id if api_key_id is None else api_key_id
        address = caller.address or address
        user_agent = caller.user_agent or user_agent
    user_agent = (user_agent or "")[:USER_AGENT_LENGTH] or None
    session.add(
        AuditLog(
            action=action,
            entity_type=entity_type,
            entity_id=None if entity_id is None else str(entity_id),
            user_id=user_id,
            api_key_id=api_key_id,
            address=address,
            user_agent=user_agent,
            details=details or {},
        )
    )
