"""Fixtures of the integration tests that act inside widgets (commands and callbacks).

``world`` is a seeded SQLite database of its own per test module (the tests change
campaigns and undo it), the full app on it, and a dashboard holding the widgets under
test; the helpers read it back independently.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from accounts.permissions import Caller
from app import create_app
from core.db import Database
from core.models import (
    AuditLog,
    Campaign,
    DashboardWidget,
    Recommendation,
    User,
)
from dashboards.schema import parse_template
from dashboards.store import create_dashboard
from tests.conftest import make_settings, org_id, seed_small_demo, sqlite_url

DASHBOARD = {
    "name": "Widget actions",
    "widgets": [
        {
            "type": "table",
            "title": "Campaign pacing",
            "data_source": "campaigns",
            "query_params": {"view": "pacing", "limit": 50},
            "config": {"actions": ["pause_resume", "budget"]},
            "position_x": 0,
            "position_y": 0,
            "width": 12,
            "height": 6,
        },
        {
            "type": "table",
            "title": "Top Campaigns",
            "data_source": "campaigns",
            "query_params": {
                "view": "breakdown",
                "group_by": "campaign",
                "limit": 50,
                "period": "30d",
            },
            "config": {
                "columns": [
                    {"field": "name", "header": "Campaign"},
                    {"field": "spend", "format": "currency"},
                    {"field": "revenue", "format": "currency"},
                    {"field": "roas", "header": "ROAS", "format": "ratio"},
                ]
            },
            "position_x": 0,
            "position_y": 6,
            "width": 12,
            "height": 6,
        },
        {
            "type": "list_cards",
            "title": "Recommendations",
            "data_source": "recommendations",
            "query_params": {"status": "all"},
            "position_x": 0,
            "position_y": 12,
            "width": 6,
            "height": 6,
        },
        {
            "type": "list_cards",
            "title": "Anomalies",
            "data_source": "anomalies",
            "query_params": {"status": "all", "period": "90d"},
            "position_x": 6,
            "position_y": 12,
            "width": 6,
            "height": 6,
        },
    ],
}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """A seeded database of its own, the app on it, and a dashboard with the widgets
    under test."""
    url = sqlite_url(tmp_path_factory.mktemp("widget-actions"))
    seed_small_demo(
        url,
        dt.datetime.now(dt.UTC).replace(tzinfo=None, minute=0, second=0, microsecond=0),
    )
    app = create_app(make_settings(url))
    svc = app.server.extensions["pulse"]
    db: Database = svc.db
    acme, globex = org_id(db, "acme"), org_id(db, "globex")
    with db.unscoped_session() as session:
        users = {
            u.email: Caller(u.org_id, u.id, u.role)
            for u in session.scalars(select(User))
        }
    with db.session(acme) as session:
        dashboard = create_dashboard(
            session,
            parse_template(DASHBOARD),
            org_id=acme,
            user_id=users["admin@acme.example"].user_id,
        )
        widgets = {
            w.title: w.id
            for w in session.scalars(
                select(DashboardWidget).where(
                    DashboardWidget.dashboard_id == dashboard.id
                )
            )
        }
        dashboard_id = dashboard.id
    yield {
        "app": app,
        "svc": svc,
        "db": db,
        "acme": acme,
        "globex": globex,
        "users": users,
        "dashboard": dashboard_id,
        "widgets": widgets,
    }
    db.dispose()


def campaign(world, status="active", org="acme") -> Campaign:
    with world["db"].session(world[org]) as session:
        return session.scalars(
            select(Campaign)
            .where(Campaign.status == status)
            .order_by(Campaign.id)
            .limit(1)
        ).one()


def reload(world, model, pk, org="acme"):
    with world["db"].session(world[org]) as session:
        return session.get(model, pk)


def audits(world, entity_type, entity_id, action=None) -> list[AuditLog]:
    with world["db"].session(world["acme"]) as session:
        statement = select(AuditLog).where(
            AuditLog.entity_type == entity_type,
            AuditLog.entity_id.is_(None)
            if entity_id is None
            else AuditLog.entity_id == str(entity_id),
        )
        if action:
            statement = statement.where(AuditLog.action == action)
        return list(session.scalars(statement.order_by(AuditLog.id)))


def pacing_status(world, campaign_id) -> str | None:
    data = world["svc"].data.query(
        world["acme"], "campaigns", {"view": "pacing", "limit": 50}
    )
    return next((i["status"] for i in data["items"] if i["key"] == campaign_id), None)


def add_recommendation(world, campaign_id: int, title: str) -> int:
    with world["db"].session(world["acme"]) as session:
        rec = Recommendation(
            org_id=world["acme"],
            campaign_id=campaign_id,
            rec_type="pause",
            title=title,
            priority="high",
            status="pending",
            payload={"action": "pause", "campaign_id": campaign_id},
            expected_impact=42.0,
        )
        session.add(rec)
        session.flush()
        return rec.id
