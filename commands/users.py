"""An org's users as admins manage them: list, and delete (GDPR erasure).

Deleting a user anonymises them rather than removing the row, so the history stays
whole (audit rows, decisions, dashboards they created keep pointing at "Deleted user"):

* email ``deleted-user-<id>@deleted.invalid``, full name "Deleted user", a password
  hash no password matches, inactive; their sign-in sessions (with the addresses and
  browsers they recorded) are deleted, so an open session is refused on its next
  request (the session loader also refuses inactive users);
* their audit rows keep the actions but lose the client address and user agent;
* their private (unshared) widgets are deleted; shared ones stay with the dashboard.

The deletion itself is audited with the user's id and role only, never the old email.
Only admins (and the ``pulse`` command line as operator) may delete; nobody can delete
themselves or the org's last active admin, and another org's user id is not found
exactly like a missing one.
"""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from accounts import audit
from accounts.permissions import Caller, Permission, require
from commands.context import CommandContext
from commands.errors import NotFound, Refused
from core.models import AuditLog, DashboardWidget, User, UserSession

DELETED_DOMAIN = "deleted.invalid"
DELETED_NAME = "Deleted user"


class UserNotFound(NotFound):
    """No such user in the caller's org (other orgs' ids included)."""

    kind = "user"


class UserDeletionRefused(Refused):
    """The user exists but may not be deleted (yourself, the last admin, already)."""


def deleted_email(user_id: int) -> str:
    """The address an anonymised user keeps (unique, and undeliverable by RFC 2606)."""
    return f"deleted-user-{user_id}@{DELETED_DOMAIN}"


def user_dict(user: User) -> dict[str, Any]:
    """A user as admins see them in the API and the CLI."""
    return {
        "id": user.id,
        "email": user.email,
        "full_name": user.full_name,
        "role": user.role,
        "is_active": user.is_active,
        "deleted": user.email == deleted_email(user.id),
        "last_login_at": user.last_login_at.isoformat(timespec="seconds")
        if user.last_login_at
        else None,
    }


def list_users(context: CommandContext, caller: Caller) -> list[dict[str, Any]]:
    """The caller's org's users by email.

    Raises:
        PermissionDenied: the caller is not an admin.
    """
    require(caller, Permission.ADMINISTER, "manage users")
    with context.db.session(caller.org_id) as session:
        return [
            user_dict(u) for u in session.scalars(select(User).order_by(User.email))
        ]


def find_user_id(context: CommandContext, caller: Caller, email: str) -> int:
    """The id of the caller's org's user with that email (case-insensitive).

    Raises:
        PermissionDenied: the caller is not an admin.
        UserNotFound: no such user in the caller's org.
    """
    require(caller, Permission.ADMINISTER, "manage users")
    with context.db.session(caller.org_id) as session:
        user_id = session.scalar(
            select(User.id).where(func.lower(User.email) == email.strip().lower())
        )
    if user_id is None:
        raise UserNotFound(f"no user {email!r} in your org")
    return user_id


def delete_user(context: CommandContext, caller: Caller, user_id: Any) -> dict:
    """Anonymise a user of the caller's org (see the module docstring), audited.

    Returns:
        The user after the deletion (:func:`user_dict`) and what was removed:
        ``{"user": {...}, "private_widgets_deleted": n, "audit_rows_anonymised": n}``.

    Raises:
        PermissionDenied: the caller is not an admin.
        UserNotFound: no such user in the caller's org.
        UserDeletionRefused: the caller themselves, the org's last active admin, or
            a user already deleted.
    """
    require(caller, Permission.ADMINISTER, "delete users")
    try:
        user_pk = int(user_id)
    except (TypeError, ValueError):
        raise UserNotFound(f"no user {user_id!r} in your org") from None
    with context.db.session(caller.org_id) as session:
        user = session.scalars(select(User).where(User.id == user_pk)).one_or_none()
        if user is None:
            raise UserNotFound(f"no user {user_pk} in your org")
        _check_deletable(session, caller, user)
        role = user.role
        sessions = _end_sessions(session, user.id)
        widgets = _delete_private_widgets(session, user.id)
        anonymised = _forget_addresses(session, user.id)
        user.email = deleted_email(user.id)
        user.full_name = DELETED_NAME
        # Not an argon2 hash: no password verifies against it (InvalidHashError).
        user.password_hash = f"!deleted:{secrets.token_hex(16)}"
        user.is_active = False
        user.last_login_at = None
        audit.record(
            session,
            "delete",
            "user",
            user.id,
            caller=caller,
            details={
                "role": role,
                "sessions_ended": sessions,
                "private_widgets_deleted": widgets,
                "audit_rows_anonymised": anonymised,
            },
        )
        session.flush()
        result = user_dict(user)
    return {
        "user": result,
        "private_widgets_deleted": widgets,
        "audit_rows_anonymised": anonymised,
    }


def _check_deletable(session: Session, caller: Caller, user: User) -> None:
    if user.email == deleted_email(user.id):
        raise UserDeletionRefused(f"user {user.id} is already deleted")
    if caller.user_id == user.id:
        raise UserDeletionRefused("you cannot delete yourself; ask another admin")
    if user.role == "admin" and user.is_active:
        other_admins = session.scalar(
            select(func.count())
            .select_from(User)
            .where(User.role == "admin", User.is_active, User.id != user.id)
        )
        if not other_admins:
            raise UserDeletionRefused(
                "this is the org's last active admin; make another user admin first"
            )


def _end_sessions(session: Session, user_id: int) -> int:
    """Delete the user's sign-in sessions: they end at once, and with them the
    addresses and browsers they recorded."""
    result = session.execute(
        delete(UserSession)
        .where(UserSession.user_id == user_id)
        .execution_options(synchronize_session=False)
    )
    return max(getattr(result, "rowcount", 0) or 0, 0)


def _delete_private_widgets(session: Session, user_id: int) -> int:
    result = session.execute(
        delete(DashboardWidget)
        .where(
            DashboardWidget.owner_id == user_id, DashboardWidget.is_shared.is_(False)
        )
        .execution_options(synchronize_session=False)
    )
    return max(getattr(result, "rowcount", 0) or 0, 0)


def _forget_addresses(session: Session, user_id: int) -> int:
    result = session.execute(
        update(AuditLog)
        .where(AuditLog.user_id == user_id)
        .values(address=None, user_agent=None)
        .execution_options(synchronize_session=False)
    )
    return max(getattr(result, "rowcount", 0) or 0, 0)
