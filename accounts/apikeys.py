"""Org API keys: ``python -m accounts.apikeys create|revoke|list --org <slug>``.

A key is shown once when created; only its SHA-256 hash is stored. Requests send it as
``Authorization: Bearer <key>``.
"""

from __future__ import annotations

import argparse
import hashlib
import secrets
import sys

from sqlalchemy import select, text

from core.db import Database
from core.models import ApiKey, Org, utcnow

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


def revoke_key(db: Database, org_slug: str, prefix: str, cache=None) -> int:
    """Revoke the org's active keys whose visible prefix is ``prefix``; returns how many.

    ``cache``: the app's shared cache, to forget the revoked keys there at once.
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
        return len(rows)


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


def main(argv: list[str] | None = None) -> int:
    from core.settings import ConfigurationError, load_settings

    parser = argparse.ArgumentParser(
        prog="python -m accounts.apikeys", description=__doc__
    )
    parser.add_argument(
        "--database-url", help="defaults to PULSE_ADMIN_DATABASE_URL or DATABASE_URL"
    )
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create", help="create a key and print it once")
    create.add_argument("--org", required=True, help="org slug, e.g. acme")
    create.add_argument("--name", default="", help="what the key is for")
    revoke = commands.add_parser("revoke", help="revoke a key by its prefix")
    revoke.add_argument("--org", required=True)
    revoke.add_argument("prefix", help="the key's first 12 characters, as `list` shows")
    listing = commands.add_parser("list", help="list the org's keys (prefixes only)")
    listing.add_argument("--org", required=True)
    args = parser.parse_args(argv)
    try:
        db = Database(args.database_url or load_settings().migration_database_url)
        if args.command == "create":
            row, plain = create_key(db, args.org, args.name)
            print(
                f"created key {row.prefix}… for org {args.org}; it is shown only once:\n{plain}"
            )
        elif args.command == "revoke":
            from core.cache import make_cache

            count = revoke_key(
                db, args.org, args.prefix, cache=make_cache(load_settings())
            )
            if not count:
                print(
                    f"no active key with prefix {args.prefix!r} in org {args.org}",
                    file=sys.stderr,
                )
                return 1
            print(f"revoked {count} key(s) with prefix {args.prefix}")
        else:
            for row in list_keys(db, args.org):
                state = (
                    f"revoked {row.revoked_at:%Y-%m-%d}" if row.revoked_at else "active"
                )
                print(f"{row.prefix}  {state:<20} {row.name}")
    except (LookupError, ConfigurationError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
