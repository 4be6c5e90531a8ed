"""Signing in and out, and whose session a request carries.

A sign-in is a change like any other (the user's ``last_login_at``, a session row and
an audit row); the web layer only keeps the session's token in the signed cookie.

Sessions are enforced here, on the server, not by the cookie's lifetime: every request
loads its user through :func:`session_user`, which finds the ``user_sessions`` row of
the cookie's token in the same query as the user. A session that was ended (signed
out), has been idle for longer than :attr:`SessionPolicy.idle`, or began longer ago
than :attr:`SessionPolicy.max_age` loads nobody, so a copied cookie stops working too.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import CursorResult, select, update

from accounts import audit
from accounts.passwords import authenticate
from commands.context import CommandContext
from core.models import Org, User, UserSession, utcnow

# How stale ``last_seen_at`` may get before a request writes it again. Every Dash
# callback loads the user: writing on each would put a database write on the hot path,
# so idle time is measured to within this much.
TOUCH_INTERVAL = dt.timedelta(minutes=1)
# Column sizes of user_sessions (longer values are cut, not refused).
MAX_USER_AGENT = 400
MAX_IP_ADDRESS = 45


@dataclass(frozen=True)
class SessionUser:
    """A signed-in person as the app shows them (the navigation bar)."""

    user_id: int
    org_id: int
    email: str
    full_name: str
    role: str
    org_name: str


@dataclass(frozen=True)
class SessionPolicy:
    """How long a sign-in lasts: ``idle`` without a request, ``max_age`` at most."""

    idle: dt.timedelta
    max_age: dt.timedelta


@dataclass(frozen=True)
class SignedIn:
    """A new session: whose it is, and the token the browser keeps (shown once)."""

    org_id: int
    user_id: int
    token: str


def session_id(token: str) -> str:
    """The stored id of a session token: its SHA-256 hash (the token is never
    stored)."""
    return hashlib.sha256(token.encode()).hexdigest()


def sign_in(
    context: CommandContext,
    email: str,
    password: str,
    *,
    ip_address: str | None = None,
    user_agent: str | None = None,
) -> SignedIn | None:
    """Check the password and open a session.

    Args:
        context: the database to sign in against.
        email: the login (case-insensitive).
        password: the password typed.
        ip_address: where the request came from (kept on the session row).
        user_agent: the browser's User-Agent (kept on the session row).

    Returns:
        The new session, or ``None`` when the password is wrong or the user unknown
        or inactive (nothing says which). The sign-in is audited.
    """
    record = authenticate(context.db, email, password)
    if record is None:
        return None
    token = secrets.token_urlsafe(32)
    with context.db.session(record.org_id) as session:
        session.add(
            UserSession(
                id=session_id(token),
                org_id=record.org_id,
                user_id=record.user_id,
                ip_address=(ip_address or None) and ip_address[:MAX_IP_ADDRESS],
                user_agent=(user_agent or None) and user_agent[:MAX_USER_AGENT],
            )
        )
        audit.record(
            session,
            "login",
            "user",
            record.user_id,
            user_id=record.user_id,
            address=ip_address,
            user_agent=user_agent,
        )
    return SignedIn(record.org_id, record.user_id, token)


def session_user(
    context: CommandContext,
    org_id: int,
    user_id: int,
    token: str,
    policy: SessionPolicy,
) -> SessionUser | None:
    """The active user ``user_id`` of ``org_id`` if ``token`` is one of their live
    sessions, else ``None`` (signed out, idle or too old, user gone or deactivated).

    A live session's ``last_seen_at`` is moved to now when it is older than
    :data:`TOUCH_INTERVAL`.
    """
    now = utcnow()
    token_id = session_id(token)
    with context.db.session(org_id) as session:
        row = session.execute(
            select(User, Org.name, UserSession.last_seen_at)
            .join(Org, Org.id == User.org_id)
            .join(UserSession, UserSession.user_id == User.id)
            .where(
                User.id == user_id,
                UserSession.id == token_id,
                UserSession.ended_at.is_(None),
                UserSession.last_seen_at > now - policy.idle,
                UserSession.created_at > now - policy.max_age,
            )
        ).first()
        if row is None or not row[0].is_active:
            return None
        user, org_name, last_seen_at = row
        if now - last_seen_at >= TOUCH_INTERVAL:
            # Conditional, so that of several workers touching at once only one
            # changes the row.
            session.execute(
                update(UserSession)
                .where(
                    UserSession.id == token_id,
                    UserSession.last_seen_at < now - TOUCH_INTERVAL,
                )
                .values(last_seen_at=now)
            )
    return SessionUser(
        user.id, user.org_id, user.email, user.full_name, user.role, org_name
    )


def sign_out(context: CommandContext, org_id: int, user_id: int, token: str) -> bool:
    """End the session ``token`` of the user (audited); ``False`` when it had already
    ended or is not theirs.

    Once ended, the session's cookie opens nothing, wherever a copy of it is.
    """
    with context.db.session(org_id) as session:
        # An UPDATE gives a CursorResult (Session.execute is typed as any Result).
        ended = cast(
            CursorResult[Any],
            session.execute(
                update(UserSession)
                .where(
                    UserSession.id == session_id(token),
                    UserSession.user_id == user_id,
                    UserSession.ended_at.is_(None),
                )
                .values(ended_at=utcnow())
            ),
        )
        if not ended.rowcount:
            return False
        audit.record(session, "logout", "user", user_id, user_id=user_id)
    return True
