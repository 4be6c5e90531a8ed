"""The demo data: two orgs to look around Pulse with (the ``seed`` command).

Creates two demo orgs ("Acme Retail" in New York, "Globex Travel" in Berlin), their
users, about a year of campaigns with hourly delivery facts and the daily rollup,
automation rules with their execution history, platform connections with sync runs,
API-call usage and errors, each org's dashboards from the built-in templates, and the
stored analytics. Both orgs are drawn by the one generator in
:mod:`devdata.generator`. The same seed (and ``now``) always gives the same data, so
screenshots, tests and bug reports can refer to it.

The schema must exist already. The seeder refuses a database that already has orgs
unless ``force`` is given, in which case it replaces the two demo orgs (by slug) and
leaves every other org alone.
"""

from __future__ import annotations

import datetime as dt

from argon2 import PasswordHasher
from sqlalchemy import select, text
from sqlalchemy.orm import Session
from tqdm import tqdm

from analytics.runner import run_analytics
from core.db import Database
from core.models import Dashboard, Org, User
from core.settings import Settings
from dashboards.builtin import create_dashboard_from_template, sync_builtin_templates
from datasources.cache import invalidate_shared_cache
from devdata.generator import SyntheticOrg, delete_orgs
from devdata.grid import utc_naive
from devdata.plan import OrgSpec, Theme, ensure_platforms

DEMO_PASSWORD = "pulse-demo"
DEMO_SLUGS = ("acme", "globex")
DEMO_LOGINS = tuple(
    f"{role}@{org}.example"
    for org in DEMO_SLUGS
    for role in ("admin", "editor", "viewer")
)
# What seed_demo reports, in this order.
SEEDED_TABLES = (
    "orgs",
    "users",
    "campaigns",
    "metric_facts_hourly",
    "metric_facts_daily",
    "automation_rules",
    "automation_executions",
    "platform_connections",
    "platform_sync_runs",
    "platform_api_calls",
    "platform_errors",
)


class DatabaseNotEmpty(RuntimeError):
    """The database already holds orgs and ``force`` was not given."""


class SeedingNotPossible(RuntimeError):
    """The database role cannot see or write every org (PostgreSQL RLS)."""


ACME = OrgSpec(
    name="Acme Retail",
    slug="acme",
    timezone="America/New_York",
    currency="USD",
    vertical="retail",
    markets={"USA": 0.75, "CAN": 0.18, "GBR": 0.07},
    order_value=85.0,
    cvr_factor=1.0,
    # Black Friday / Cyber week, the pre-Christmas rush and the January lull.
    seasons=((330, 12.0, 0.3), (350, 9.0, 0.15), (20, 16.0, -0.12)),
    users=(
        ("admin", "Alice Morgan"),
        ("editor", "Ethan Brooks"),
        ("viewer", "Vera Lopez"),
    ),
    themes={
        "meta": (
            Theme("Black Friday Prospecting", "sales", (11, 1, 32)),
            Theme("Retargeting – Cart Abandoners", "conversions"),
            Theme("Lookalike – Top Customers", "conversions"),
            Theme("Spring Collection Launch", "sales", (3, 10, 45)),
            Theme("Holiday Gift Guide", "sales", (11, 20, 36)),
            Theme("Summer Sale Prospecting", "sales", (6, 15, 40)),
            Theme("Back to School", "sales", (7, 20, 40)),
            Theme("Catalog Sales – Home & Garden", "sales"),
            Theme("Video Views – Brand Story", "awareness"),
            Theme("Loyalty Members Upsell", "conversions"),
        ),
        "google": (
            Theme("Brand Search US", "conversions", countries=("USA",)),
            Theme("Brand Search CA", "conversions", countries=("CAN",)),
            Theme("Shopping – Electronics", "sales"),
            Theme("Performance Max – All Products", "sales"),
            Theme("Generic Search – Running Shoes", "conversions"),
            Theme("Competitor Terms", "conversions"),
            Theme("Display Remarketing", "conversions"),
            Theme("YouTube – Holiday Bumper", "awareness", (11, 15, 45)),
            Theme("Shopping – Home & Kitchen", "sales"),
            Theme("Generic Search – Outdoor Gear", "conversions", (4, 1, 120)),
        ),
        "tiktok": (
            Theme("Spark Ads – Creator Hauls", "traffic"),
            Theme("Back to School Challenge", "awareness", (7, 25, 35)),
            Theme("Summer Drop Teaser", "awareness", (5, 20, 30)),
            Theme("In-Feed – Sneaker Launch", "conversions"),
            Theme("TopView – Black Friday", "awareness", (11, 20, 14)),
            Theme("Creator UGC Prospecting", "conversions"),
        ),
        "linkedin": (
            Theme("Corporate Gifting – HR Leaders", "leads", (10, 1, 75)),
            Theme("B2B Bulk Orders", "leads"),
            Theme("Employer Brand – Store Jobs", "awareness"),
            Theme("Retail Partners Lead Gen", "leads"),
        ),
        "snapchat": (
            Theme("AR Lens – Sunglasses Try-On", "awareness", (5, 1, 60)),
            Theme("Story Ads – Weekend Deals", "conversions"),
            Theme("Dynamic Ads – Retargeting", "conversions"),
            Theme("Collection Ads – New Arrivals", "sales"),
            Theme("Snap Pixel Prospecting", "conversions"),
        ),
    },
    cpa_threshold=60.0,
    error_platform="snapchat",
    expiring_platform="google",
    hot_platform="meta",
)

GLOBEX = OrgSpec(
    name="Globex Travel",
    slug="globex",
    timezone="Europe/Berlin",
    currency="EUR",
    vertical="travel",
    markets={
        "DEU": 0.38,
        "AUT": 0.12,
        "CHE": 0.12,
        "NLD": 0.1,
        "FRA": 0.1,
        "ESP": 0.06,
        "ITA": 0.06,
        "GBR": 0.06,
    },
    order_value=320.0,
    cvr_factor=0.3,
    # January booking peak, early-summer last bookings, quiet Christmas week.
    seasons=((15, 18.0, 0.22), (150, 28.0, 0.16), (356, 7.0, -0.15)),
    users=(
        ("admin", "Anna Schmidt"),
        ("editor", "Erik Weber"),
        ("viewer", "Valentina Rossi"),
    ),
    themes={
        "meta": (
            Theme("Summer Beach Deals", "sales", (4, 15, 90)),
            Theme("Retargeting – Abandoned Bookings", "conversions"),
            Theme("City Breaks DACH", "sales", countries=("DEU", "AUT", "CHE")),
            Theme("Lookalike – Frequent Travellers", "conversions"),
            Theme("Ski Season Alps", "sales", (11, 1, 110)),
            Theme("Last-Minute Offers", "sales"),
            Theme("Christmas Markets", "sales", (11, 10, 40)),
            Theme("Family Holidays Prospecting", "conversions"),
            Theme("Cruise Collection", "sales"),
            Theme("Early Booking Discount", "sales", (1, 5, 60)),
        ),
        "google": (
            Theme("Brand Search DE", "conversions", countries=("DEU",)),
            Theme("Brand Search AT", "conversions", countries=("AUT",)),
            Theme("Brand Search CH", "conversions", countries=("CHE",)),
            Theme("Hotel Ads – Berlin", "sales"),
            Theme("Generic Search – Mallorca Flights", "conversions", (3, 1, 120)),
            Theme("Performance Max – Packages", "sales"),
            Theme("Competitor Terms", "conversions"),
            Theme("Display Remarketing", "conversions"),
            Theme("YouTube – Destination Films", "awareness"),
            Theme("Generic Search – Ski Holidays", "conversions", (10, 15, 120)),
        ),
        "tiktok": (
            Theme("Spark Ads – Travel Creators", "traffic"),
            Theme("Hidden Gems Series", "awareness"),
            Theme("Summer Vibes In-Feed", "awareness", (5, 15, 60)),
            Theme("Weekend Getaway Challenge", "conversions"),
            Theme("TopView – Summer Launch", "awareness", (5, 1, 10)),
        ),
        "linkedin": (
            Theme("Business Travel – Travel Managers", "leads"),
            Theme("MICE Events Lead Gen", "leads"),
            Theme("Corporate Rates – HR", "leads"),
            Theme("Employer Brand – Tour Guides", "awareness", (2, 1, 45)),
        ),
        "snapchat": (
            Theme("Story Ads – Last-Minute", "conversions"),
            Theme("AR Lens – Beach Filter", "awareness", (6, 1, 45)),
            Theme("Dynamic Ads – Retargeting", "conversions"),
            Theme("Collection Ads – City Breaks", "sales"),
        ),
    },
    cpa_threshold=150.0,
    error_platform="tiktok",
    expiring_platform="meta",
    hot_platform="google",
)

DEMO_ORGS = (ACME, GLOBEX)


def database_is_empty(db: Database) -> bool:
    """Whether the database has no orgs yet.

    Args:
        db: the database to inspect (schema already migrated).

    Returns:
        ``True`` when the ``orgs`` table has no rows.

    Raises:
        SeedingNotPossible: on PostgreSQL, row-level security hides orgs from the role.
    """
    with db.unscoped_session() as session:
        _require_rls_bypass(session)
        return session.execute(select(Org.id).limit(1)).first() is None


def _require_rls_bypass(session: Session) -> None:
    """Refuse a PostgreSQL role that row-level security hides orgs from.

    Such a role could neither tell whether the database is empty nor write the demo
    orgs, so fail with a message that says which URL to use instead.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    blocked = session.execute(
        text("""
        SELECT c.relrowsecurity
               AND NOT (r.rolsuper OR r.rolbypassrls)
               AND (c.relforcerowsecurity
                    OR pg_get_userbyid(c.relowner) <> current_user)
        FROM pg_class c, pg_roles r
        WHERE c.oid = 'orgs'::regclass AND r.rolname = current_user
    """)
    ).scalar()
    if blocked:
        raise SeedingNotPossible(
            "row-level security hides other orgs from this database role; seed with a "
            "role that bypasses RLS (set PULSE_ADMIN_DATABASE_URL)"
        )


def seed_demo(
    db: Database,
    *,
    seed: int = 42,
    campaigns: int = 40,
    days: int = 395,
    force: bool = False,
    now: dt.datetime | None = None,
    progress: bool = True,
) -> dict[str, int]:
    """Create the demo orgs and their data in one transaction.

    Args:
        db: the database to seed; its schema must be migrated.
        seed: seed of every random draw; equal seeds give equal data.
        campaigns: campaigns per org.
        days: days of hourly history, ending with the last full hour before ``now``.
        force: replace existing demo orgs and seed even if other orgs exist.
        now: the moment the data ends (naive means UTC); defaults to the current hour.
        progress: show a progress bar over campaigns.

    Returns:
        Rows written per table.

    Raises:
        DatabaseNotEmpty: the database has orgs and ``force`` is false.
        SeedingNotPossible: on PostgreSQL, the role cannot see every org.
        ValueError: ``campaigns`` or ``days`` is less than 1.
    """
    if campaigns < 1 or days < 1:
        raise ValueError("campaigns and days must be at least 1")
    now = utc_naive(now or dt.datetime.now(dt.UTC)).replace(
        minute=0, second=0, microsecond=0
    )
    # Argon2 is slow on purpose: hash once, share the hash between the demo users.
    password_hash = PasswordHasher().hash(DEMO_PASSWORD)
    counts = dict.fromkeys(SEEDED_TABLES, 0)

    with db.unscoped_session() as session:
        _require_rls_bypass(session)
        if force:
            delete_orgs(session, DEMO_SLUGS)
        elif session.execute(select(Org.id).limit(1)).first() is not None:
            raise DatabaseNotEmpty(
                "the database already has orgs; pass --force to replace the demo orgs"
            )
        ensure_platforms(session)
        with tqdm(
            total=campaigns * len(DEMO_ORGS),
            desc="hourly facts",
            unit="campaign",
            disable=not progress,
            leave=False,
        ) as bar:
            for stream, spec in enumerate(DEMO_ORGS):
                org = SyntheticOrg.create(
                    session, spec, seed=seed, stream=stream, days=days, now=now
                )
                org.add_users(password_hash)
                org.add_campaigns(campaigns)
                org.load_facts(after_campaign=lambda _loader: bar.update())
                org.refresh_rollups()
                org.add_automation()
                org.add_platform_health()
                for table, rows in org.counts.items():
                    counts[table] += rows
        counts["dashboards"] = _create_demo_dashboards(session)
        org_ids = list(session.scalars(select(Org.id).where(Org.slug.in_(DEMO_SLUGS))))
    # Forecasts, anomalies, trends and recommendations, so the demo shows them at once.
    for org_id in org_ids:
        run_analytics(db, org_id, now=now)
    return counts


def _create_demo_dashboards(session: Session) -> int:
    """Give each demo org a dashboard cloned from every built-in template, owned by
    its admin."""
    sync_builtin_templates(session)
    templates = session.scalars(
        select(Dashboard)
        .where(Dashboard.org_id.is_(None), Dashboard.is_template.is_(True))
        .order_by(Dashboard.id)
    ).all()
    created = 0
    for org in session.scalars(select(Org).where(Org.slug.in_(DEMO_SLUGS))).all():
        admin = session.scalars(
            select(User).where(User.org_id == org.id, User.role == "admin")
        ).first()
        for template in templates:
            create_dashboard_from_template(
                session, template, org_id=org.id, owner_id=admin.id if admin else None
            )
            created += 1
    return created


def invalidate_demo_caches(db: Database, settings: Settings) -> str:
    """Bump the demo orgs' cache versions in the configured shared cache.

    After a forced re-seed a running server's shared cache still holds the replaced
    data's figures (and SQLite may give the new orgs the old ids).

    Returns:
        What was done, for the log; a failure is reported, not raised, because the
        seed itself stands.
    """
    with db.unscoped_session() as session:
        org_ids = session.scalars(select(Org.id).where(Org.slug.in_(DEMO_SLUGS))).all()
    try:
        notes = {invalidate_shared_cache(db, org_id, settings) for org_id in org_ids}
    except Exception as exc:  # noqa: BLE001 - the seed stands; say why the cache did not move
        return (
            f"cache NOT invalidated ({exc}); dashboards show the new data at their TTL"
        )
    return "; ".join(sorted(notes))
