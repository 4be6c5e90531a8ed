"""Signing in: checking a password, and who a session belongs to.

A login is a change like any other (the user's ``last_login_at`` and an audit row);
the web layer only keeps the session cookie.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from accounts import audit
from accounts.passwords import LoginRecord, authenticate
from commands.context import CommandContext
from core.models import Org, User


@dataclass(frozen=True)
class SessionUser:
    """A signed-in person as the app shows them (the navigation bar)."""

    user_id: int
    org_id: int
    email: str
    full_name: str
    role: str
    org_name: str


def sign_in(context: CommandContext, email: str, password: str) -> LoginRecord | None:
    """The user's login record if the password is right and the user active (the
    login is audited), else ``None`` (nothing says which was wrong)."""
    record = authenticate(context.db, email, password)
    if record is not None:
        with context.db.session(record.org_id) as session:
            audit.record(
                session, "login", "user", record.user_id, user_id=record.user_id
            )
    return record


def session_user(
    context: CommandContext, org_id: int, user_id: int
) -> SessionUser | None:
    """The active user ``user_id`` of ``org_id``, or ``None`` (gone or deactivated)."""
    with context.db.session(org_id) as session:
        row = session.execute(
            select(User, Org.name)
            .join(Org, Org.id == User.org_id)
            .where(User.id == user_id)
        ).first()
    if row is None or not row[0].is_active:
        return None
    user, org_name = row
    return SessionUser(
        user.id, user.org_id, user.email, user.full_name, user.role, org_name
    )
