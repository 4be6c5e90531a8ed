"""Fixtures of the alert tests: a seeded demo of their own per engine, campaigns made
by ingesting facts, and helpers that read the alerts' tables back with plain SQL."""

from __future__ import annotations

import datetime as dt
import itertools
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from core.db import Database
from core.models import DashboardAlert
from datasources.ingest import ingest
from tests.conftest import PostgresDatabase, seed_small_demo, sqlite_url
from tests.figures import org_context
from tests.receiver import Receiver

ACME_ZONE = ZoneInfo("America/New_York")
_external_ids = itertools.count(9_100_000_000)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def alerts_db(request, tmp_path_factory, seed_now):
    """``{"admin": Database, "app": Database, "org": OrgContext}`` on a fresh demo.

    The seeded demo has no alerts; each test adds its own and ingests facts for
    campaigns of its own, so the tests do not disturb each other.
    """
    database = None
    if request.param == "sqlite":
        admin_url = app_url = sqlite_url(tmp_path_factory.mktemp("alerts"))
    else:
        database = PostgresDatabase(request.getfixturevalue("postgres_admin_url"))
        admin_url, app_url = database.admin_url, database.app_url
    seed_small_demo(admin_url, seed_now)
    admin, app = Database(admin_url), Database(app_url)
    yield {
        "admin": admin,
        "app": app,
        "org": org_context(admin, "acme"),
        "engine": request.param,
    }
    admin.dispose()
    app.dispose()
    if database is not None:
        database.drop()


def hour_now() -> dt.datetime:
    """The current UTC hour (naive): ingested hours must not be in the future."""
    return dt.datetime.now(dt.UTC).replace(
        tzinfo=None, minute=0, second=0, microsecond=0
    )


def ingest_hours(
    db: Database,
    org_id: int,
    name: str,
    hours: list[tuple[dt.datetime, dict[str, float]]],
    *,
    platform: str = "meta",
    external_id: str | None = None,
) -> str:
    """Ingest one campaign's facts (created on first use) for naive-UTC hours; returns
    its external id so a later call can overwrite the same hours."""
    external_id = external_id or str(next(_external_ids))
    rows = []
    for hour, values in hours:
        local = hour.replace(tzinfo=dt.UTC).astimezone(ACME_ZONE)
        rows.append(
            {
                "campaign": external_id,
                "campaign_name": name,
                "platform": platform,
                "hour": local.isoformat(),
                "country": "US",
                "spend": values.get("spend", 0),
                "impressions": values.get("impressions", 1000),
                "clicks": values.get("clicks", 10),
                "conversions": values.get("conversions", 0),
                "revenue": values.get("revenue", 0),
                "currency": "USD",
            }
        )
    ingest(db, org_id, rows, on_unknown_campaign="create")
    return external_id


def campaign_id(admin: Database, org_id: int, external_id: str) -> int:
    with admin.engine.connect() as connection:
        return connection.execute(
            text("SELECT id FROM campaigns WHERE org_id = :o AND external_id = :e"),
            {"o": org_id, "e": external_id},
        ).scalar_one()


def add_alert(
    db: Database,
    org_id: int,
    alert_type: str,
    condition: dict,
    notification: dict | None = None,
    *,
    name: str = "test alert",
    cooldown_minutes: int = 0,
    secret: str | None = None,
) -> int:
    with db.session(org_id) as session:
        alert = DashboardAlert(
            org_id=org_id,
            name=name,
            alert_type=alert_type,
            condition=condition,
            notification_config=notification
            or {"channels": ["email"], "recipients": ["ops@acme.example"]},
            cooldown_minutes=cooldown_minutes,
            webhook_secret=secret,
        )
        session.add(alert)
        session.flush()
        return alert.id


def history(admin: Database, alert_id: int) -> list[dict]:
    with admin.engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT entity_key, from_state, to_state, value, notify_status "
                "FROM alert_history WHERE alert_id = :a ORDER BY id"
            ),
            {"a": alert_id},
        ).all()
    return [row._asdict() for row in rows]


def states(admin: Database, alert_id: int) -> dict[str, dict]:
    with admin.engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT entity_key, state, pending_count, value FROM alert_states "
                "WHERE alert_id = :a"
            ),
            {"a": alert_id},
        ).all()
    return {row.entity_key: row._asdict() for row in rows}


def alert_row(admin: Database, alert_id: int) -> dict:
    with admin.engine.connect() as connection:
        return (
            connection.execute(
                text(
                    "SELECT state, broken_reason, last_evaluated_at "
                    "FROM dashboard_alerts WHERE id = :a"
                ),
                {"a": alert_id},
            )
            .one()
            ._asdict()
        )


@pytest.fixture
def receiver():
    """A loopback HTTP receiver (:class:`tests.receiver.Receiver`)."""
    with Receiver() as running:
        yield running
