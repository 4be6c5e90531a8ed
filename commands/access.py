"""Reads of an org's data through the JSON API, audited.

A script with an API key (or a person's session) that reads dashboards' data, a data
source or the campaigns leaves one audit row per request: ``action="read"``, what it
read and with which parameters, who (the user or the key) and from where. Each read
writes exactly one row: in the transaction that reads the rows when there is one; else
(a data-source answer usually comes from the cache, with no transaction at all) the web
app's read log writes it within a second, together with the other reads of that second.
"""

from __future__ import annotations

from typing import Any

from accounts import audit
from accounts.permissions import Caller
from commands.context import CommandContext
from core.models import utcnow


def record_read(
    context: CommandContext,
    caller: Caller,
    entity_type: str,
    entity_id: object = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Audit one read of the caller's org's data (one INSERT).

    Args:
        context: the database and query cache.
        caller: who read (a person or an org API key), and from where.
        entity_type: what kind of thing was read (``data_source``, ``dashboard``,
            ``campaign``).
        entity_id: which one (the source's name, the dashboard's id), if any.
        details: the parameters and filters of the read, JSON-able.
    """
    # A record of a read, not a change. In the web app the runtime's read log writes
    # such records a few at a time (one transaction a second instead of one per
    # request, see accounts.audit.ReadLog); elsewhere each is written at once.
    read_log: audit.ReadLog | None = getattr(context, "read_log", None)
    if read_log is not None:
        read_log.add(
            caller.org_id,
            audit.audit_row(
                "read",
                entity_type,
                entity_id,
                caller=caller,
                details=details,
                created_at=utcnow(),
            ),
        )
        return
    with context.db.session(caller.org_id, durable=False) as session:
        audit.record(
            session, "read", entity_type, entity_id, caller=caller, details=details
        )
