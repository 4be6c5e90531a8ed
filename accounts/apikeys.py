"""Org API keys (``pulse apikeys create|list|revoke --org <slug>``).

A key is shown once when created; only its SHA-256 hash is stored. Requests send it as
``Authorization: Bearer <key>``.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import TYPE_CHECKING

from sqlalchemy import select, text

from core.db import Database
from core.models import ApiKey, Org, utcnow

if TYPE_CHECKING:
    from flask_caching import Cache

KEY_PREFIX = "pulse_"


# How long a web worker may remember which org a key belongs to. `revoke` deletes the
# remembered entry from the shared cache at once; only an in-process ("simple") cache
# can keep a revoked key working for up to this long.
KEY_CACHE_SECONDS = 60


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
        cache: the app's shared cache, to forget the revoked keys there at once.

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
            if cache is not None:
                cache.delete(key_cache_key(row.key_hash))
        return list(rows)


def list_keys(db: Database, org_slug: str) -> list[ApiKey]:
    with db.unscoped_session() as session:
        org = _org(session, org_slug)
        return list(
            session.scalars(
                select(ApiKey).where(ApiKey.org_id == org.id).order_by(ApiKey.id)
            )
        )


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
