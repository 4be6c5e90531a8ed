"""The audit trail on real SQLite and PostgreSQL: reads by API key recorded with the
key, the address and the parameters; people's views and exports with their address;
the admins' audit log (command, API and page callback): filters, paging, org-local
dates, and never another org's rows."""

from __future__ import annotations

import datetime as dt
import json
import time
import uuid

import pytest
from sqlalchemy import func, select

from accounts.apikeys import create_key
from accounts.permissions import API_KEY_ROLE, Caller, PermissionDenied
from app import create_app
from commands.audit_log import audit_filter_choices, list_audit_entries
from commands.dashboards import open_dashboard
from commands.errors import Invalid
from commands.exports import export_table
from core.db import Database
from core.filters import Filters
from core.models import AuditLog, DashboardWidget, User
from server.auth import CurrentUser
from tests.conftest import login, logout, make_settings, org_id

CLIENT = {"REMOTE_ADDR": "203.0.113.9"}
AGENT = {"User-Agent": "audit-test-agent/1.0"}
AUDIT_OUTPUT = (
    "..audit-table.children...audit-summary.children..."
    "audit-pagination.max_value...audit-pagination.active_page.."
)


@pytest.fixture
def svc(app_client):
    return app_client.application.extensions["pulse"]


@pytest.fixture
def people(admin_db) -> dict[str, Caller]:
    with admin_db.unscoped_session() as session:
        return {
            u.email: Caller(u.org_id, u.id, u.role)
            for u in session.scalars(select(User))
        }


def rows(admin_db: Database, org: int, *conditions) -> list[AuditLog]:
    """The org's audit rows in the order things happened (a read's row is written a
    moment after the read, with the read's time)."""
    with admin_db.session(org) as session:
        return list(
            session.scalars(
                select(AuditLog)
                .where(*conditions)
                .order_by(AuditLog.created_at, AuditLog.id)
            )
        )


def written(app_client) -> None:
    """Write the reads the app's read log still holds (it does within a second)."""
    app_client.application.extensions["pulse"].read_log.flush()


def executive(app_client, headers) -> int:
    dashboards = app_client.get("/api/v1/dashboards", headers=headers).get_json()
    return next(d["id"] for d in dashboards["dashboards"] if "Executive" in d["name"])


def test_reads_by_an_api_key_are_audited_with_the_key_address_and_params(
    app_client, admin_db
):
    key_row, key = create_key(admin_db, "acme", f"reader-{uuid.uuid4().hex[:6]}")
    headers = {"Authorization": f"Bearer {key}", **AGENT}
    acme = key_row.org_id
    data = app_client.get(
        "/api/v1/data/campaigns?metric=roas&view=summary&period=7d&platforms=meta",
        headers=headers,
        environ_base=CLIENT,
    )
    assert data.status_code == 200
    refused = app_client.get(
        "/api/v1/data/campaigns?metric=nope", headers=headers, environ_base=CLIENT
    )
    assert refused.status_code == 422  # refused queries read nothing: not audited
    assert app_client.get("/api/v1/campaigns", headers=headers).status_code == 200
    dashboard = executive(app_client, headers)
    widgets = app_client.get(
        f"/api/v1/dashboards/{dashboard}/data?date_from=2026-01-01&date_to=2026-01-31",
        headers=headers,
        environ_base=CLIENT,
    )
    assert widgets.status_code == 200
    written(app_client)
    reads = rows(
        admin_db, acme, AuditLog.api_key_id == key_row.id, AuditLog.action == "read"
    )
    assert [(r.entity_type, r.entity_id) for r in reads] == [
        ("data_source", "campaigns"),
        ("campaign", None),
        ("dashboard", str(dashboard)),
    ]
    assert all(r.user_id is None and r.address for r in reads)
    assert reads[0].address == reads[2].address == "203.0.113.9"
    assert reads[0].user_agent == "audit-test-agent/1.0"
    assert reads[0].details == {
        "params": {"metric": "roas", "view": "summary", "period": "7d"},
        "filters": {"platforms": ["meta"]},
    }
    assert reads[1].details["campaigns"] > 0
    assert reads[2].details["read"] == "data"
    assert reads[2].details["filters"]["date_from"] == "2026-01-01"
    document = app_client.get(f"/api/v1/dashboards/{dashboard}", headers=headers)
    assert document.status_code == 200
    written(app_client)
    [last] = rows(admin_db, acme, AuditLog.api_key_id == key_row.id)[-1:]
    assert (last.action, last.entity_id) == ("read", str(dashboard))
    assert last.details == {"read": "document"}


def test_a_forwarded_address_counts_only_behind_a_configured_proxy(demo_db, admin_db):
    _, key = create_key(admin_db, "acme", "proxy-test")
    headers = {"Authorization": f"Bearer {key}", "X-Forwarded-For": "198.51.100.7"}
    seen = {}
    for hops in (0, 1):
        app = create_app(
            make_settings(
                demo_db["app"],
                admin_database_url=demo_db["admin"],
                trusted_proxies=hops,
            )
        )
        response = app.server.test_client().get(
            "/api/v1/campaigns", headers=headers, environ_base=CLIENT
        )
        assert response.status_code == 200
        [last] = rows(
            admin_db,
            org_id(admin_db, "acme"),
            AuditLog.entity_type == "campaign",
            AuditLog.action == "read",
        )[-1:]
        seen[hops] = last.address
        app.server.extensions["pulse"].db.dispose()
    assert seen == {0: "203.0.113.9", 1: "198.51.100.7"}


def test_views_and_exports_by_people_record_their_address(app_client, svc, admin_db):
    acme = org_id(admin_db, "acme")
    with admin_db.session(acme) as session:
        user = session.scalars(select(User).where(User.role == "viewer")).first()
        table = session.scalars(
            select(DashboardWidget).where(DashboardWidget.widget_type == "table")
        ).first()
        person = CurrentUser(user.id, acme, user.email, "", user.role, "Acme", "t")
    with app_client.application.test_request_context(
        "/dashboards", environ_base=CLIENT, headers=AGENT
    ):
        caller = person.caller
    assert (caller.address, caller.user_agent) == (
        "203.0.113.9",
        "audit-test-agent/1.0",
    )
    # This test's own rows: those written after it started (other tests on the
    # shared demo write rows for the same viewer, some with other timestamps).
    with admin_db.session(acme) as session:
        before = session.scalar(select(func.max(AuditLog.id))) or 0
    open_dashboard(svc, caller, table.dashboard_id)
    export_table(svc, caller, table.dashboard_id, table.id, Filters(), "csv")
    view, export = rows(
        admin_db, acme, AuditLog.user_id == user.id, AuditLog.id > before
    )
    assert (view.action, view.entity_id) == ("view", str(table.dashboard_id))
    assert (export.action, export.entity_id) == ("export", str(table.id))
    assert {view.address, export.address} == {"203.0.113.9"}
    assert view.user_agent == "audit-test-agent/1.0"


def test_only_admins_read_the_audit_log(app_client, svc, people, admin_db):
    acme = org_id(admin_db, "acme")
    for email in ("viewer@acme.example", "editor@acme.example"):
        with pytest.raises(PermissionDenied) as refused:
            list_audit_entries(svc, people[email], {})
        assert refused.value.message == "Only admins can see the audit log."
    key = Caller(acme, None, API_KEY_ROLE, None)
    with pytest.raises(PermissionDenied):
        list_audit_entries(svc, key, {})
    _, plain = create_key(admin_db, "acme", "audit-reader")
    by_key = app_client.get(
        "/api/v1/audit", headers={"Authorization": f"Bearer {plain}"}
    )
    assert by_key.status_code == 403
    assert by_key.get_json()["details"] == ["needs role admin; you are api"]
    assert app_client.get("/api/v1/audit").status_code == 401
    login(app_client, "editor@acme.example")
    assert app_client.get("/api/v1/audit").status_code == 403
    logout(app_client)
    login(app_client, "admin@acme.example")
    page = app_client.get("/api/v1/audit?per_page=5")
    assert page.status_code == 200
    body = page.get_json()
    assert len(body["items"]) == 5 and body["total"] >= 5 and body["page"] == 1


def add_entries(admin_db, org: int, tag: str, entries: list[dict]) -> None:
    with admin_db.session(org) as session:
        for entry in entries:
            session.add(AuditLog(org_id=org, entity_type=tag, details={}, **entry))


def test_filters_paging_order_and_org_local_days(svc, people, admin_db):
    acme = org_id(admin_db, "acme")
    admin, editor = people["admin@acme.example"], people["editor@acme.example"]
    key_row, _ = create_key(admin_db, "acme", "filter-test")
    tag = f"test_{uuid.uuid4().hex[:8]}"
    # New York: 2026-03-10 23:30 local is 2026-03-11 03:30 UTC (EDT from 03-08).
    late_evening = dt.datetime(2026, 3, 11, 3, 30)
    add_entries(
        admin_db,
        acme,
        tag,
        [
            {
                "action": "view",
                "entity_id": "dash-1",
                "user_id": admin.user_id,
                "created_at": late_evening,
            },
            {
                "action": "read",
                "entity_id": "dash-2",
                "api_key_id": key_row.id,
                "created_at": late_evening + dt.timedelta(hours=1),
            },
            {
                "action": "update",
                "entity_id": "campaign-7",
                "user_id": editor.user_id,
                "created_at": late_evening + dt.timedelta(days=2),
                "address": "192.0.2.1",
            },
        ],
    )

    def ids(**filters):
        page = list_audit_entries(svc, admin, {"entity_type": tag, **filters})
        return [item["entity_id"] for item in page.items]

    assert ids() == ["campaign-7", "dash-2", "dash-1"]  # newest first
    assert ids(action="read") == ["dash-2"]
    assert ids(user_id=editor.user_id) == ["campaign-7"]
    assert ids(api_key_id=key_row.id) == ["dash-2"]
    assert ids(entity_id="dash") == ["dash-2", "dash-1"]
    assert ids(entity_id="%") == []  # the text is matched literally
    assert ids(date_to="2026-03-10") == ["dash-1"]
    assert ids(date_from="2026-03-11", date_to="2026-03-11") == ["dash-2"]
    assert ids(date_from="2026-03-12") == ["campaign-7"]
    first = list_audit_entries(svc, admin, {"entity_type": tag}, page=1, per_page=2)
    second = list_audit_entries(svc, admin, {"entity_type": tag}, page="2", per_page=2)
    assert (first.total, first.pages, len(first.items)) == (3, 2, 2)
    assert [i["entity_id"] for i in second.items] == ["dash-1"]
    newest = first.items[0]
    assert newest["when"] == "2026-03-12T23:30:00-04:00"
    assert newest["address"] == "192.0.2.1"
    assert newest["who"]["kind"] == "user"
    assert newest["who"]["email"] == "editor@acme.example"
    by_key = first.items[1]["who"]
    assert by_key["kind"] == "api_key" and by_key["api_key_name"] == "filter-test"
    assert by_key["api_key_prefix"] == key_row.prefix
    choices = audit_filter_choices(svc, admin)
    assert tag in choices["entity_types"]
    assert {u["id"] for u in choices["users"]} == {
        c.user_id for c in people.values() if c.org_id == acme
    }


@pytest.mark.parametrize(
    "query,field",
    [
        ("date_from=last-week", "date_from"),
        ("date_from=2026-02-02&date_to=2026-02-01", "date_to"),
        ("user_id=alice", "user_id"),
        ("per_page=1000", "per_page"),
        ("page=0", "page"),
        ("colour=red", "colour"),
    ],
)
def test_bad_audit_parameters_are_422_naming_the_field(app_client, query, field):
    login(app_client, "admin@acme.example")
    response = app_client.get(f"/api/v1/audit?{query}")
    assert response.status_code == 422
    assert field in response.get_json()["error"]


def test_bad_filters_are_invalid_for_the_command_too(svc, people):
    with pytest.raises(Invalid) as invalid:
        list_audit_entries(svc, people["admin@acme.example"], {"user_id": "x"}, 0)
    assert [d.split(":")[0] for d in invalid.value.details] == ["user_id", "page"]


def test_an_acme_admin_never_sees_globex_rows(app_client, svc, people, admin_db):
    globex = org_id(admin_db, "globex")
    globex_admin = people["admin@globex.example"]
    tag = f"globex_{uuid.uuid4().hex[:8]}"
    add_entries(
        admin_db,
        globex,
        tag,
        [{"action": "view", "entity_id": "secret", "user_id": globex_admin.user_id}],
    )
    acme_admin = people["admin@acme.example"]
    # The command, with Globex's ids and entity type.
    assert list_audit_entries(svc, acme_admin, {"entity_type": tag}).total == 0
    page = list_audit_entries(svc, acme_admin, {"user_id": globex_admin.user_id})
    assert page.total == 0
    # The API.
    login(app_client, "admin@acme.example")
    for query in (f"entity_type={tag}", f"user_id={globex_admin.user_id}"):
        body = app_client.get(f"/api/v1/audit?{query}").get_json()
        assert body["total"] == 0 and body["items"] == []
    everything = app_client.get("/api/v1/audit?per_page=200").get_json()
    assert all(i["entity_type"] != tag for i in everything["items"])
    assert all(
        i["who"]["email"] is None or i["who"]["email"].endswith("@acme.example")
        for i in everything["items"]
    )
    # The page's callback, asked for Globex's user.
    app_client.get("/")  # Dash builds its callback map on the first page request
    inputs = {
        "audit-action": None,
        "audit-entity-type": tag,
        "audit-user": globex_admin.user_id,
        "audit-api-key": None,
        "audit-entity-id": None,
    }
    payload = {
        "output": AUDIT_OUTPUT,
        "outputs": [
            {"id": "audit-table", "property": "children"},
            {"id": "audit-summary", "property": "children"},
            {"id": "audit-pagination", "property": "max_value"},
            {"id": "audit-pagination", "property": "active_page"},
        ],
        "inputs": [
            *(
                {"id": component, "property": "value", "value": value}
                for component, value in list(inputs.items())[:4]
            ),
            {"id": "audit-dates", "property": "start_date", "value": None},
            {"id": "audit-dates", "property": "end_date", "value": None},
            {"id": "audit-entity-id", "property": "value", "value": None},
            {"id": "audit-pagination", "property": "active_page", "value": 1},
        ],
        "changedPropIds": ["audit-user.value"],
        "state": [],
    }
    response = app_client.post("/_dash-update-component", json=payload)
    text = response.get_data(as_text=True)
    assert response.status_code == 200, text
    assert "No audit entries match these filters." in text and "secret" not in text
    # The same callback for a viewer shows the refusal and no rows.
    logout(app_client)
    login(app_client, "viewer@acme.example")
    payload["inputs"][1]["value"] = None
    refused = app_client.post("/_dash-update-component", json=payload)
    body = json.loads(refused.get_data(as_text=True))
    assert "Only admins can see the audit log." in json.dumps(body)
    assert "audit-row" not in json.dumps(body)


def test_the_read_log_writes_a_read_within_seconds_without_being_asked(
    app_client, admin_db
):
    """No flush: the web app's read log writes the read's row by itself, with the
    moment of the read."""
    key_row, key = create_key(admin_db, "acme", f"later-{uuid.uuid4().hex[:6]}")
    headers = {"Authorization": f"Bearer {key}"}
    before = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    response = app_client.get(
        "/api/v1/data/campaigns?metric=spend&view=summary", headers=headers
    )
    assert response.status_code == 200
    deadline = time.monotonic() + 10
    found: list[AuditLog] = []
    while not found and time.monotonic() < deadline:
        time.sleep(0.2)
        found = rows(admin_db, key_row.org_id, AuditLog.api_key_id == key_row.id)
    assert [(r.action, r.entity_id) for r in found] == [("read", "campaigns")]
    assert before <= found[0].created_at <= before + dt.timedelta(seconds=5)
