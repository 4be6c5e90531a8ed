"""Org API keys (``pulse apikeys create|list|revoke --org <slug>``).

A key is shown once when created; only its SHA-256 hash is stored. Requests send it as
``Authorization: Bearer <key>``.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from typing import TYPE_CHECKING

from sqlalchemy import select, text

from core.db import Database
from core.models import ApiKey, Org, utcnow

if TYPE_CHECKING:
    from flask_caching import Cache

KEY_PREFIX = "pulse_"


# How long a web worker may remember which org a key belongs to. Once `revoke` has
# committed it overwrites the remembered entry in the shared cache with REVOKED, which
# every lookup honours; only an in-process ("simple") cache, which the revoking process
# does not share, can keep a revoked key working for up to this long.
KEY_CACHE_SECONDS = 60
# What a revoked key's cache entry holds, and for how long. A lookup never overwrites
# it (it remembers a key with `add`), so a worker that read the key as active just
# before the revocation committed cannot bring it back; after the mark expires lookups
# go to the database, which refuses the key.
REVOKED = "revoked"
REVOKED_MARK_SECONDS = 24 * 3600


def key_cache_key(digest: str) -> str:
    return f"apikey:{digest}"


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_key(db: Database, org_slug: str, name: str = "") -> tuple[ApiKey, str]:
    """Create a key for the org; returns the row and the plain key (shown once)."""
    plain = KEY_PREFIX + secrets.token_urlsafe(32)
    with db.unscoped_session() as session:
        org = _org(session, org_slug)
        row = ApiKey(
            org_id=org.id, name=name, prefix=plain[:12], key_hash=hash_key(plain)
        )
        session.add(row)
    return row, plain


def revoke_key(
    db: Database, org_slug: str, prefix: str, cache: Cache | None = None
) -> list[ApiKey]:
    """Revoke the org's active keys whose visible prefix is ``prefix``.

    Args:
        db: the database (the schema owner's URL: keys are looked up across orgs).
        org_slug: the org whose keys to revoke.
        prefix: the key's first 12 characters, as :func:`list_keys` shows them.
        cache: the app's shared cache, where the revoked keys are marked REVOKED once
            the revocation has committed, so no worker accepts them from there.

    Returns:
        The keys revoked.
    """
    with db.unscoped_session() as session:
        org = _org(session, org_slug)
        rows = session.scalars(
            select(ApiKey).where(
                ApiKey.org_id == org.id,
                ApiKey.prefix == prefix,
                ApiKey.revoked_at.is_(None),
            )
        ).all()
        for row in rows:
            row.revoked_at = utcnow()
    # Only now that the revocation is committed: a lookup before the commit still finds
    # the key active, and a mark written earlier would be raced by it.
    if cache is not None:
        mark_revoked(cache, rows)
    return list(rows)


def mark_revoked(cache: Cache, rows: Iterable[ApiKey]) -> bool:
    """Mark committed revocations REVOKED in the shared cache (REVOKED_MARK_SECONDS).

    Returns:
        Whether every mark was stored (``False`` while the cache is unreachable).
    """
    stored = True
    for row in rows:
        done = cache.set(
            key_cache_key(row.key_hash), REVOKED, timeout=REVOKED_MARK_SECONDS
        )
        stored = stored and bool(done)
    return stored


def list_keys(db: Database, org_slug: str) -> list[ApiKey]:
    with db.unscoped_session() as session:
        org = _org(session, org_slug)
        return list(
            session.scalars(
                select(ApiKey).where(ApiKey.org_id == org.id).order_by(ApiKey.id)
            )
        )


def cached_org_for_key(db: Database, cache: Cache, key: str) -> tuple[int, int] | None:
    """``(org id, key id)`` of an active key, remembered in ``cache`` for
    KEY_CACHE_SECONDS; ``None`` for an unknown key or one marked REVOKED there.

    A cache that cannot be read (Redis down) is a miss: the database decides, so a key
    revoked during the outage is refused."""
    cache_key = key_cache_key(hash_key(key))
    remembered = cache.get(cache_key)
    if remembered == REVOKED:
        return None
    if isinstance(remembered, (list, tuple)):
        return remembered[0], remembered[1]
    # Absent (or an org id cached by an older release): ask the database.
    identity = org_for_key(db, key)
    if identity is not None:
        # `add`, not `set`: a REVOKED mark written since the lookup above stays.
        cache.add(cache_key, identity, timeout=KEY_CACHE_SECONDS)
    return identity


def org_for_key(db: Database, key: str) -> tuple[int, int] | None:
    """``(org id, key id)`` of an active key, or ``None``."""
    digest = hash_key(key)
    if db.dialect == "postgresql":
        with db.engine.connect() as connection:
            row = connection.execute(
                text("SELECT key_id, org_id FROM pulse_api_key_lookup(:h)"),
                {"h": digest},
            ).first()
    else:
        with db.unscoped_session() as session:
            row = session.execute(
                select(ApiKey.id.label("key_id"), ApiKey.org_id).where(
                    ApiKey.key_hash == digest, ApiKey.revoked_at.is_(None)
                )
            ).first()
    return (row.org_id, row.key_id) if row else None


def _org(session, slug: str) -> Org:
    org = session.scalars(select(Org).where(Org.slug == slug)).one_or_none()
    if org is None:
        raise LookupError(f"no org with slug {slug!r}")
    return org
