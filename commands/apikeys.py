"""Creating and revoking an org's API keys (``pulse apikeys create|revoke``).

Keys are made by an operator with the schema owner's database URL (a key is looked up
across orgs); each change is written to the org's audit log, and once a revocation has
committed the key is marked revoked in the shared cache, so that no worker accepts it
from there: the first request after ``revoke`` returns is refused.
"""

from __future__ import annotations

import time

from flask_caching import Cache

from accounts import apikeys, audit
from core.db import Database
from core.models import ApiKey

# How often `revoke` tries again to mark a key revoked in an unreachable cache.
MARK_RETRY_SECONDS = 0.5


def create_api_key(db: Database, org_slug: str, name: str = "") -> tuple[ApiKey, str]:
    """Create a key for the org, audited; returns the row and the plain key, which is
    shown once and stored only as a hash.

    Raises:
        LookupError: no org with that slug.
    """
    row, plain = apikeys.create_key(db, org_slug, name)
    with db.session(row.org_id) as session:
        audit.record(
            session,
            "create",
            "api_key",
            row.id,
            user_id=None,
            details={"prefix": row.prefix, "name": name},
        )
    return row, plain


def revoke_api_key(db: Database, org_slug: str, prefix: str, cache: Cache) -> int:
    """Revoke the org's active keys with that visible prefix, audited, and mark them
    revoked in ``cache`` after the commit. Returns how many keys were revoked.

    Raises:
        LookupError: no org with that slug.
    """
    revoked = apikeys.revoke_key(db, org_slug, prefix)
    for row in revoked:
        with db.session(row.org_id) as session:
            audit.record(
                session,
                "revoke",
                "api_key",
                row.id,
                user_id=None,
                details={"prefix": row.prefix},
            )
    # After the commit (and the audit, which a cache outage must not lose); before
    # returning, so that the first request after `revoke` returns is refused.
    # While the cache is unreachable, keep trying until the mark is stored or the
    # entries remembered before the commit have expired.
    give_up_at = time.monotonic() + apikeys.KEY_CACHE_SECONDS + 1
    while not apikeys.mark_revoked(cache, revoked) and time.monotonic() < give_up_at:
        time.sleep(MARK_RETRY_SECONDS)
    return len(revoked)
