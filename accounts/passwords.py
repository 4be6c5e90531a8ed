"""Users and passwords: hashing, and the login lookup that runs before any org is known.

On PostgreSQL the lookup goes through the ``pulse_login_lookup`` SECURITY DEFINER
function (the app role cannot read ``users`` without an org context); on SQLite it is
one unscoped query for exactly that row.
"""

from __future__ import annotations

from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select, text

from core.db import Database
from core.models import User, utcnow

_hasher = PasswordHasher()
# Verified against when the email is unknown, so both paths take the same time.
_DUMMY_HASH = _hasher.hash("pulse-timing-equaliser")


@dataclass(frozen=True)
class LoginRecord:
    user_id: int
    org_id: int
    password_hash: str
    is_active: bool


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def find_login(db: Database, email: str) -> LoginRecord | None:
    """The login record for ``email`` (case-insensitive), or ``None``."""
    email = email.strip()
    if db.dialect == "postgresql":
        with db.engine.connect() as connection:
            row = connection.execute(
                text(
                    "SELECT user_id, org_id, password_hash, is_active FROM "
                    "pulse_login_lookup(:e)"
                ),
                {"e": email},
            ).first()
    else:
        with db.unscoped_session() as session:
            row = session.execute(
                select(User.id, User.org_id, User.password_hash, User.is_active).where(
                    func.lower(User.email) == email.lower()
                )
            ).first()
    return LoginRecord(*row) if row else None


def authenticate(db: Database, email: str, password: str) -> LoginRecord | None:
    """The user's login record if the password is right and the user active, else
    ``None``."""
    record = find_login(db, email) if email else None
    try:
        _hasher.verify(record.password_hash if record else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if record is None or not record.is_active:
        return None
    with db.session(record.org_id) as session:
        user = session.get(User, record.user_id)
        if user is not None:
            user.last_login_at = utcnow()
    return record
