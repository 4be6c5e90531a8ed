"""The audit log as admins read it: filtered, newest first, a page at a time.

Only admins may read it (:attr:`~accounts.permissions.Permission.ADMINISTER`); viewers,
editors and API keys get :class:`~accounts.permissions.PermissionDenied` like any
other refused command. Everything is read in the caller's org-scoped session, so ids
of another org's users, keys or rows simply match nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from accounts.permissions import Caller, Permission, require
from commands.context import CommandContext
from commands.errors import Invalid
from core.errors import validation_messages
from core.models import ApiKey, AuditLog, Org, User
from core.windows import zone

MAX_PER_PAGE = 200


class AuditFilters(BaseModel):
    """What an admin narrows the audit log to; every field is optional.

    ``date_from`` and ``date_to`` are org-local days (both included); ``entity_id``
    matches any entity id containing the text.
    """

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    action: str | None = Field(None, max_length=64)
    entity_type: str | None = Field(None, max_length=64)
    entity_id: str | None = Field(None, max_length=64)
    user_id: int | None = None
    api_key_id: int | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None

    @model_validator(mode="after")
    def _ordered(self) -> AuditFilters:
        if self.date_from and self.date_to and self.date_to < self.date_from:
            raise ValueError(
                f"date_to {self.date_to} is before date_from {self.date_from}"
            )
        return self


class _Paging(BaseModel):
    model_config = ConfigDict(extra="forbid")

    page: int = Field(1, ge=1)
    per_page: int = Field(50, ge=1, le=MAX_PER_PAGE)


@dataclass(frozen=True)
class AuditPage:
    """One page of audit entries (as JSON-able dicts) and where it sits."""

    items: list[dict[str, Any]]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    def as_dict(self) -> dict[str, Any]:
        return {
            "items": self.items,
            "total": self.total,
            "page": self.page,
            "per_page": self.per_page,
            "pages": self.pages,
        }


def parse_audit_query(
    filters: AuditFilters | dict[str, Any] | None, page: Any = 1, per_page: Any = 50
) -> tuple[AuditFilters, int, int]:
    """Validate filters and paging (e.g. strings from a query string).

    Raises:
        Invalid: ``details`` names each bad field (``date_from: Input should be ...``).
    """
    problems: list[str] = []
    parsed = AuditFilters()
    try:
        parsed = (
            filters
            if isinstance(filters, AuditFilters)
            else AuditFilters.model_validate(
                {k: v for k, v in (filters or {}).items() if v not in (None, "")}
            )
        )
    except ValidationError as exc:
        problems += validation_messages(exc)
    paging = _Paging()
    try:
        paging = _Paging.model_validate(
            {
                k: v
                for k, v in {"page": page, "per_page": per_page}.items()
                if v not in (None, "")
            }
        )
    except ValidationError as exc:
        problems += validation_messages(exc)
    if problems:
        raise Invalid(problems[0], problems)
    return parsed, paging.page, paging.per_page


def list_audit_entries(
    context: CommandContext,
    caller: Caller,
    filters: AuditFilters | dict[str, Any] | None = None,
    page: Any = 1,
    per_page: Any = 50,
) -> AuditPage:
    """One page of the caller's org's audit log, newest first, with the total count.

    Args:
        context: the database and query cache.
        caller: who asks; needs :attr:`Permission.ADMINISTER` (admins).
        filters: an :class:`AuditFilters` or its fields (strings are parsed).
        page: 1-based page number.
        per_page: entries per page (1 to :data:`MAX_PER_PAGE`).

    Returns:
        Each item: ``id``, ``when`` (ISO 8601 with the org's UTC offset), ``action``,
        ``entity_type``, ``entity_id``, ``details``, ``address``, ``user_agent`` and
        ``who`` (``{"kind": "user" | "api_key" | "system", "label", "user_id",
        "email", "name", "api_key_id", "api_key_name", "api_key_prefix"}``).

    Raises:
        PermissionDenied: the caller is not an admin.
        Invalid: a filter or the paging is malformed; ``details`` names the field.
    """
    require(caller, Permission.ADMINISTER, "see the audit log")
    parsed, page_number, size = parse_audit_query(filters, page, per_page)
    with context.db.session(caller.org_id) as session:
        timezone = session.scalar(select(Org.timezone).where(Org.id == caller.org_id))
        conditions = _conditions(parsed, timezone or "UTC")
        total = session.scalar(
            select(func.count()).select_from(AuditLog).where(*conditions)
        )
        rows = session.execute(
            select(AuditLog, User.email, User.full_name, ApiKey.name, ApiKey.prefix)
            .outerjoin(User, User.id == AuditLog.user_id)
            .outerjoin(ApiKey, ApiKey.id == AuditLog.api_key_id)
            .where(*conditions)
            .order_by(AuditLog.created_at.desc(), AuditLog.id.desc())
            .limit(size)
            .offset((page_number - 1) * size)
        ).all()
        items = [_item(row, timezone or "UTC") for row in rows]
    return AuditPage(items, int(total or 0), page_number, size)


def audit_filter_choices(context: CommandContext, caller: Caller) -> dict[str, list]:
    """What the audit page's filter menus offer: the org's recorded actions and entity
    types, its users and its API keys.

    Raises:
        PermissionDenied: the caller is not an admin.
    """
    require(caller, Permission.ADMINISTER, "see the audit log")
    with context.db.session(caller.org_id) as session:
        return {
            "actions": _distinct(session, AuditLog.action),
            "entity_types": _distinct(session, AuditLog.entity_type),
            "users": [
                {"id": u.id, "label": f"{u.full_name or u.email} <{u.email}>"}
                for u in session.scalars(select(User).order_by(User.email))
            ],
            "api_keys": [
                {"id": k.id, "label": f"{k.name or 'key'} ({k.prefix}…)"}
                for k in session.scalars(select(ApiKey).order_by(ApiKey.id))
            ],
        }


def _distinct(session: Session, column) -> list[str]:
    return list(session.scalars(select(column).distinct().order_by(column)))


def _utc_midnight(day: dt.date, timezone: str) -> dt.datetime:
    """The org-local midnight starting ``day``, as naive UTC (as rows store time)."""
    local = dt.datetime.combine(day, dt.time(0), tzinfo=zone(timezone))
    return local.astimezone(dt.UTC).replace(tzinfo=None)


def _conditions(filters: AuditFilters, timezone: str) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if filters.action:
        conditions.append(AuditLog.action == filters.action)
    if filters.entity_type:
        conditions.append(AuditLog.entity_type == filters.entity_type)
    if filters.entity_id:
        conditions.append(
            AuditLog.entity_id.contains(filters.entity_id, autoescape=True)
        )
    if filters.user_id is not None:
        conditions.append(AuditLog.user_id == filters.user_id)
    if filters.api_key_id is not None:
        conditions.append(AuditLog.api_key_id == filters.api_key_id)
    if filters.date_from:
        conditions.append(
            AuditLog.created_at >= _utc_midnight(filters.date_from, timezone)
        )
    if filters.date_to:
        next_day = filters.date_to + dt.timedelta(days=1)
        conditions.append(AuditLog.created_at < _utc_midnight(next_day, timezone))
    return conditions


def _who(entry: AuditLog, email, name, key_name, key_prefix) -> dict[str, Any]:
    if entry.user_id is not None:
        kind, label = "user", (f"{name} <{email}>" if name else email or "")
    elif entry.api_key_id is not None:
        kind = "api_key"
        label = (
            f"API key {key_name} ({key_prefix}…)"
            if key_name
            else f"API key {key_prefix}…"
        )
    else:
        kind, label = "system", "Pulse (job or command line)"
    return {
        "kind": kind,
        "label": label,
        "user_id": entry.user_id,
        "email": email,
        "name": name,
        "api_key_id": entry.api_key_id,
        "api_key_name": key_name,
        "api_key_prefix": key_prefix,
    }


def _item(row, timezone: str) -> dict[str, Any]:
    entry, email, name, key_name, key_prefix = row
    when = entry.created_at.replace(tzinfo=dt.UTC).astimezone(zone(timezone))
    return {
        "id": entry.id,
        "when": when.isoformat(timespec="seconds"),
        "action": entry.action,
        "entity_type": entry.entity_type,
        "entity_id": entry.entity_id,
        "details": entry.details or {},
        "address": entry.address,
        "user_agent": entry.user_agent,
        "who": _who(entry, email, name, key_name, key_prefix),
    }
