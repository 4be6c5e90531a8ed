"""Finding an org by the slug an operator types (``pulse ... --org acme``)."""

from __future__ import annotations

from sqlalchemy import select

from core.db import Database
from core.models import Org


def org_id_by_slug(db: Database, slug: str) -> int:
    """The id of the org called ``slug``, read with the schema owner's database (no org
    context yet).

    Raises:
        LookupError: no org has that slug.
    """
    with db.unscoped_session() as session:
        org_id = session.scalar(select(Org.id).where(Org.slug == slug))
    if org_id is None:
        raise LookupError(f"no org with slug {slug!r}")
    return org_id
