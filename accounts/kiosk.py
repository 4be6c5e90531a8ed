"""Kiosk tokens: the credential of a wall display (``/kiosk/<token>``).

A token is shown once when created; only its SHA-256 hash is stored, like an org API
key's (:mod:`accounts.apikeys`). A display sends it with every refresh, so it is looked
up on every tick: before any org context exists, through the ``SECURITY DEFINER``
function ``pulse_kiosk_token_lookup`` on PostgreSQL (migration 0012), which answers
only "which active token has this hash". A revoked token is refused at its next tick.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import TYPE_CHECKING

from sqlalchemy import select, text

from core.db import Database
from core.models import KioskToken

if TYPE_CHECKING:
    from flask_caching import Cache

TOKEN_PREFIX = "kiosk_"
# How many characters of a token lists show (the prefix and a few more).
SHOWN_PREFIX_LENGTH = 12
# A token is TOKEN_PREFIX and 43 URL-safe characters; anything much longer is not one.
MAX_TOKEN_LENGTH = 100
# How long a web worker remembers which org a token belongs to. Only the org: whether
# the token is still active is read from its row on every tick (commands.kiosk), so a
# revocation is seen at the next tick whatever is remembered here.
ORG_CACHE_SECONDS = 300


def new_token() -> str:
    """A fresh random token (256 bits)."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def looks_like_token(token: object) -> bool:
    """Whether ``token`` could be a token at all (cheap, before any lookup)."""
    return (
        isinstance(token, str)
        and token.startswith(TOKEN_PREFIX)
        and len(token) <= MAX_TOKEN_LENGTH
        and token.replace("-", "").replace("_", "").isalnum()
    )


def cached_org_for_token(
    db: Database, cache: Cache, token: str
) -> tuple[int, int] | None:
    """:func:`org_for_token`, remembered in the shared cache for ORG_CACHE_SECONDS
    (a display asks every few seconds; the lookup is a database round trip). A cache
    that cannot be read is a miss."""
    if not looks_like_token(token):
        return None
    cache_key = f"kiosktoken:{hash_token(token)}"
    remembered = cache.get(cache_key)
    if isinstance(remembered, (list, tuple)) and len(remembered) == 2:
        return int(remembered[0]), int(remembered[1])
    identity = org_for_token(db, token)
    if identity is not None:
        cache.set(cache_key, list(identity), timeout=ORG_CACHE_SECONDS)
    return identity


def org_for_token(db: Database, token: str) -> tuple[int, int] | None:
    """``(org id, token id)`` of an active (not revoked) token, or ``None``."""
    if not looks_like_token(token):
        return None
    digest = hash_token(token)
    if db.dialect == "postgresql":
        with db.engine.connect() as connection:
            row = connection.execute(
                text("SELECT token_id, org_id FROM pulse_kiosk_token_lookup(:h)"),
                {"h": digest},
            ).first()
    else:
        with db.unscoped_session() as session:
            row = session.execute(
                select(KioskToken.id.label("token_id"), KioskToken.org_id).where(
                    KioskToken.token_hash == digest, KioskToken.revoked_at.is_(None)
                )
            ).first()
    return (row.org_id, row.token_id) if row else None
