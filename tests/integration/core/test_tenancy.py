"""The query-layer tenant guard, on both engines (RLS is tested on its own)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from core.db import CrossTenantWrite, TenantContextMissing
from core.models import Campaign, Dashboard, MetricFactDaily, User
from tests.conftest import org_id


def test_no_org_context_fails_closed(app_db):
    with (
        pytest.raises(TenantContextMissing, match="campaigns"),
        app_db.session(None) as session,
    ):
        session.scalars(select(Campaign)).all()
    # A statement that names the table only in FROM is caught too.
    with (
        pytest.raises(TenantContextMissing, match="metric_facts_daily"),
        app_db.session(None) as session,
    ):
        session.scalar(select(func.count()).select_from(MetricFactDaily))


def test_each_org_sees_only_its_rows(app_db, admin_db):
    acme, globex = org_id(admin_db, "acme"), org_id(admin_db, "globex")
    with app_db.session(acme) as session:
        orgs_seen = set(session.scalars(select(Campaign.org_id).distinct()))
        users = session.scalars(select(User.email)).all()
        facts_orgs = set(session.scalars(select(MetricFactDaily.org_id).distinct()))
        globex_campaign = None
    assert orgs_seen == {acme} and facts_orgs == {acme}
    assert users and all(email.endswith("@acme.example") for email in users)
    with admin_db.unscoped_session() as session:
        globex_campaign = session.scalars(
            select(Campaign.id).where(Campaign.org_id == globex)
        ).first()
    with app_db.session(acme) as session:
        assert session.get(Campaign, globex_campaign) is None
        assert (
            session.scalar(
                select(func.count())
                .select_from(Campaign)
                .where(Campaign.id == globex_campaign)
            )
            == 0
        )


def test_global_templates_are_visible_to_every_org(app_db, admin_db):
    for slug in ("acme", "globex"):
        with app_db.session(org_id(admin_db, slug)) as session:
            slugs = session.scalars(
                select(Dashboard.slug).where(Dashboard.org_id.is_(None))
            ).all()
        assert "executive" in slugs


def test_writing_another_orgs_row_is_refused(app_db, admin_db):
    acme, globex = org_id(admin_db, "acme"), org_id(admin_db, "globex")
    with pytest.raises(CrossTenantWrite), app_db.session(acme) as session:
        session.add(
            Campaign(
                org_id=globex,
                platform="meta",
                name="sneaky",
                start_date=dt.date.today(),
            )
        )
    with admin_db.unscoped_session() as session:
        assert (
            session.scalar(select(func.count()).where(Campaign.name == "sneaky")) == 0
        )


def test_new_rows_take_the_session_org(app_db, admin_db):
    acme = org_id(admin_db, "acme")
    with app_db.session(acme) as session:
        campaign = Campaign(
            platform="google", name="stamped", start_date=dt.date.today()
        )
        session.add(campaign)
        session.flush()
        assert campaign.org_id == acme
        session.delete(campaign)
