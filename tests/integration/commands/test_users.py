"""Deleting a user (GDPR erasure) on real SQLite and PostgreSQL: anonymised, their
audit rows without address, private widgets gone, their session refused on the next
request; admins only, never yourself or the last admin, another org's user is not
found like a missing one; through the command, the API and the CLI."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from accounts.passwords import hash_password
from accounts.permissions import API_KEY_ROLE, Caller, PermissionDenied
from app import create_app
from cli.main import pulse
from commands.users import (
    UserDeletionRefused,
    UserNotFound,
    delete_user,
    list_users,
)
from core.db import Database
from core.models import AuditLog, Dashboard, DashboardWidget, User, UserSession
from tests.conftest import login as sign_in
from tests.conftest import logout, make_settings, org_id

PASSWORD = "pulse-demo"


@pytest.fixture(scope="module")
def world(own_demo):
    admin = Database(own_demo["admin"])
    app = create_app(
        make_settings(own_demo["app"], admin_database_url=own_demo["admin"])
    )
    yield {
        "demo": own_demo,
        "app": app,
        "svc": app.server.extensions["pulse"],
        "admin": admin,
        "acme": org_id(admin, "acme"),
        "globex": org_id(admin, "globex"),
    }
    app.server.extensions["pulse"].db.dispose()
    admin.dispose()


def add_user(world, email: str, role: str = "editor", org: str = "acme") -> Caller:
    with world["admin"].session(world[org]) as session:
        user = User(
            org_id=world[org],
            email=email,
            full_name="Jane Example",
            password_hash=hash_password(PASSWORD),
            role=role,
        )
        session.add(user)
        session.flush()
        return Caller(user.org_id, user.id, role)


def callers(world) -> dict[str, Caller]:
    with world["admin"].unscoped_session() as session:
        return {
            u.email: Caller(u.org_id, u.id, u.role)
            for u in session.scalars(select(User))
        }


def login(client, email: str) -> None:
    response = sign_in(client, email, PASSWORD)
    assert response.status_code == 302, response.get_data(as_text=True)


def test_deleting_a_user_anonymises_them_and_ends_their_session(world):
    jane = add_user(world, "jane@acme.example")
    admin = callers(world)["admin@acme.example"]
    # Jane is signed in (from a browser that left its address in the audit log) and
    # owns a private widget and a shared one.
    jane_browser = world["app"].server.test_client()
    jane_browser.environ_base["REMOTE_ADDR"] = "203.0.113.50"
    login(jane_browser, "jane@acme.example")
    assert jane_browser.get("/api/v1/dashboards").status_code == 200
    with world["admin"].session(world["acme"]) as session:
        dashboard = session.scalars(
            select(Dashboard).where(Dashboard.is_template.is_(False))
        ).first()
        for shared in (False, True):
            session.add(
                DashboardWidget(
                    org_id=world["acme"],
                    dashboard_id=dashboard.id,
                    owner_id=jane.user_id,
                    is_shared=shared,
                    widget_type="kpi_card",
                    title=f"Jane's {'shared' if shared else 'private'} KPI",
                    data_source="campaigns",
                )
            )
        session.add(
            AuditLog(
                org_id=world["acme"],
                user_id=jane.user_id,
                action="view",
                entity_type="dashboard",
                entity_id=str(dashboard.id),
                address="203.0.113.50",
                user_agent="Jane's browser",
            )
        )
    result = delete_user(world["svc"], admin, jane.user_id)

    assert result["private_widgets_deleted"] == 1
    assert result["audit_rows_anonymised"] >= 2  # the view, and her login
    with world["admin"].session(world["acme"]) as session:
        user = session.get(User, jane.user_id)
        assert user.email == f"deleted-user-{jane.user_id}@deleted.invalid"
        assert user.full_name == "Deleted user" and not user.is_active
        assert not user.password_hash.startswith("$argon2")
        titles = set(
            session.scalars(
                select(DashboardWidget.title).where(
                    DashboardWidget.owner_id == jane.user_id
                )
            )
        )
        assert titles == {"Jane's shared KPI"}
        history = session.scalars(
            select(AuditLog).where(AuditLog.user_id == jane.user_id)
        ).all()
        assert {r.action for r in history} >= {"login", "view"}
        assert all(r.address is None and r.user_agent is None for r in history)
        deletion = session.scalars(
            select(AuditLog).where(
                AuditLog.action == "delete", AuditLog.entity_type == "user"
            )
        ).one()
        assert deletion.user_id == admin.user_id
        assert deletion.entity_id == str(jane.user_id)
        assert "jane" not in str(deletion.details).lower()
        assert deletion.details["sessions_ended"] == 1
        assert not session.scalars(
            select(UserSession).where(UserSession.user_id == jane.user_id)
        ).all()
    # Her open session is refused on its next request, and she cannot sign in.
    assert jane_browser.get("/api/v1/dashboards").status_code == 401
    refused = sign_in(world["app"].server.test_client(), "jane@acme.example", PASSWORD)
    assert refused.status_code == 401
    with pytest.raises(UserDeletionRefused, match="already deleted"):
        delete_user(world["svc"], admin, jane.user_id)


def test_who_may_delete_whom(world):
    people = callers(world)
    admin = people["admin@acme.example"]
    for email in ("viewer@acme.example", "editor@acme.example"):
        with pytest.raises(PermissionDenied) as refused:
            delete_user(
                world["svc"], people[email], people["viewer@acme.example"].user_id
            )
        assert refused.value.message == "Only admins can delete users."
    key = Caller(world["acme"], None, API_KEY_ROLE, None)
    with pytest.raises(PermissionDenied):
        list_users(world["svc"], key)
    with pytest.raises(UserDeletionRefused, match="cannot delete yourself"):
        delete_user(world["svc"], admin, admin.user_id)
    # Another org's user is not found, exactly like a missing one.
    globex_user = people["viewer@globex.example"].user_id
    with pytest.raises(UserNotFound) as other:
        delete_user(world["svc"], admin, globex_user)
    with pytest.raises(UserNotFound) as missing:
        delete_user(world["svc"], admin, 999_999)
    assert type(other.value) is type(missing.value)
    assert str(other.value) == f"no user {globex_user} in your org"
    # The last active admin stays: a second admin may delete the first, not both.
    second = add_user(world, "second-admin@acme.example", role="admin")
    delete_user(world["svc"], second, admin.user_id)
    with pytest.raises(UserDeletionRefused, match="last active admin"):
        delete_user(
            world["svc"], Caller(world["acme"], None, "operator"), second.user_id
        )


def test_the_api_lists_and_deletes_for_admin_sessions(world):
    people = callers(world)
    client = world["app"].server.test_client()
    target = add_user(world, "api-target@globex.example", org="globex")
    login(client, "editor@globex.example")
    assert client.delete(f"/api/v1/users/{target.user_id}").status_code == 403
    logout(client)
    login(client, "admin@globex.example")
    listed = client.get("/api/v1/users").get_json()["users"]
    assert {"admin@globex.example", "api-target@globex.example"} <= {
        u["email"] for u in listed
    }
    assert all(u["email"].endswith(("@globex.example", ".invalid")) for u in listed)
    acme_user = people["viewer@acme.example"].user_id
    other = client.delete(f"/api/v1/users/{acme_user}")
    missing = client.delete("/api/v1/users/999999")
    assert other.status_code == missing.status_code == 404
    assert other.get_json()["error"] == missing.get_json()["error"] == "user not found"
    deleted = client.delete(f"/api/v1/users/{target.user_id}")
    assert deleted.status_code == 200
    assert deleted.get_json()["user"]["deleted"] is True


def test_pulse_users_list_and_delete(world):
    url = world["demo"]["admin"]
    add_user(world, "cli-target@globex.example", role="viewer", org="globex")
    runner = CliRunner()
    listed = runner.invoke(
        pulse, ["users", "list", "--org", "globex", "--database-url", url]
    )
    assert listed.exit_code == 0, listed.output
    assert "cli-target@globex.example" in listed.stdout
    assert "acme.example" not in listed.stdout
    deleted = runner.invoke(
        pulse,
        [
            "users",
            "delete",
            "--org",
            "globex",
            "CLI-Target@globex.example",
            "--database-url",
            url,
        ],
    )
    assert deleted.exit_code == 0, deleted.output
    assert "deleted user" in deleted.stdout and "@deleted.invalid" in deleted.stdout
    again = runner.invoke(
        pulse,
        [
            "users",
            "delete",
            "--org",
            "globex",
            "cli-target@globex.example",
            "--database-url",
            url,
        ],
    )
    assert (
        again.exit_code == 1 and "no user 'cli-target@globex.example'" in again.stderr
    )
    other_org = runner.invoke(
        pulse,
        [
            "users",
            "delete",
            "--org",
            "globex",
            "editor@acme.example",
            "--database-url",
            url,
        ],
    )
    assert other_org.exit_code == 1
