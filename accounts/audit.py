"""The audit trail: who viewed, exported or changed what."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from core.models import AuditLog


def record(
    session: Session,
    action: str,
    entity_type: str,
    entity_id: object = None,
    *,
    user_id: int | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Add one audit row in the session's org (committed with the caller's work)."""
    session.add(
        AuditLog(
            action=action,
            entity_type=entity_type,
            entity_id=None if entity_id is None else str(entity_id),
            user_id=user_id,
            details=details or {},
        )
    )
