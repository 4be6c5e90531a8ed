"""The audit trail: who viewed, exported, read or changed what, when and from where."""

from __future__ import annotations

import atexit
import datetime as dt
import logging
import threading
from typing import Any

from sqlalchemy.orm import Session

from accounts.permissions import USER_AGENT_LENGTH, Caller
from core.db import Database
from core.models import AuditLog

log = logging.getLogger(__name__)


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
    session.add(
        audit_row(
            action,
            entity_type,
            entity_id,
            user_id=user_id,
            details=details,
            caller=caller,
            api_key_id=api_key_id,
            address=address,
            user_agent=user_agent,
        )
    )


def audit_row(
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
    created_at: dt.datetime | None = None,
) -> AuditLog:
    """The audit row :func:`record` adds (the arguments are the same)."""
    if caller is not None:
        user_id = caller.user_id if user_id is None else user_id
        api_key_id = caller.api_key_id if api_key_id is None else api_key_id
        address = caller.address or address
        user_agent = caller.user_agent or user_agent
    user_agent = (user_agent or "")[:USER_AGENT_LENGTH] or None
    row = AuditLog(
        action=action,
        entity_type=entity_type,
        entity_id=None if entity_id is None else str(entity_id),
        user_id=user_id,
        api_key_id=api_key_id,
        address=address,
        user_agent=user_agent,
        details=details or {},
    )
    if created_at is not None:
        row.created_at = created_at
    return row


class ReadLog:
    """Records of reads waiting to be written: a few per second are written together,
    one transaction per org, instead of one transaction per request.

    An API read served from the cache takes under a millisecond; its own audit
    transaction (org context, INSERT, commit) took about 1.9 ms more. Rows keep the
    moment of the read. They are written every ``interval`` seconds, as soon as
    ``batch`` are waiting, when the process exits, or on :meth:`flush`; a process
    killed outright loses at most the last ``interval`` of read records (never a
    change's record: those are written with the change).
    """

    def __init__(self, db: Database, *, interval: float = 1.0, batch: int = 200):
        self._db, self._interval, self._batch = db, interval, batch
        self._rows: list[tuple[int, AuditLog]] = []
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._writer: threading.Thread | None = None

    def add(self, org_id: int, row: AuditLog) -> None:
        """Queue ``row`` for ``org_id`` (written within ``interval`` seconds)."""
        with self._lock:
            self._rows.append((org_id, row))
            waiting = len(self._rows)
            if self._writer is None or not self._writer.is_alive():
                self._writer = threading.Thread(
                    target=self._write_forever, name="pulse-read-log", daemon=True
                )
                self._writer.start()
                atexit.register(self.flush)
        if waiting >= self._batch:
            self._wake.set()

    def flush(self) -> int:
        """Write every queued row now; returns how many. A failed org's rows are
        logged and dropped (the next reads are recorded as usual)."""
        with self._lock:
            rows, self._rows = self._rows, []
        by_org: dict[int, list[AuditLog]] = {}
        for org_id, row in rows:
            by_org.setdefault(org_id, []).append(row)
        written = 0
        for org_id, org_rows in by_org.items():
            try:
                with self._db.session(org_id, durable=False) as session:
                    session.add_all(org_rows)
                written += len(org_rows)
            except Exception:
                log.exception("could not write %d read records", len(org_rows))
        return written

    def _write_forever(self) -> None:
        while True:
            self._wake.wait(self._interval)
            self._wake.clear()
            self.flush()
