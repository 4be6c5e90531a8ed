"""``/api/v1/snapshots``: take, list, read (JSON and Excel), compare and delete
through the API with a session and with an org API key, the refusals, and the admins'
snapshot retention, on a demo database of the module's own."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from accounts.apikeys import create_key
from app import create_app
from core.db import Database
from tests.conftest import (
    TEST_ORIGIN,
    login,
    make_settings,
    seed_small_demo,
    sqlite_url,
)

API = "/api/v1/snapshots"


@pytest.fixture(scope="module")
def app_world(tmp_path_factory, seed_now):
    url = sqlite_url(tmp_path_factory.mktemp("snapshot-api"))
    seed_small_demo(url, seed_now)
    app = create_app(make_settings(url, scheduler="off"))
    admin = Database(url)
    _, key = create_key(admin, "acme", "snapshot api test")
    _, globex_key = create_key(admin, "globex", "snapshot api test")

    def signed_in(email: str):
        client = app.server.test_client()
        assert login(client, email).status_code == 302
        return client

    yield {
        "signed_in": signed_in,
        "client": app.server.test_client(),
        "key": {"Authorization": f"Bearer {key}"},
        "globex_key": {"Authorization": f"Bearer {globex_key}"},
    }
    admin.dispose()
    app.server.extensions["pulse"].db.dispose()


def executive(client, headers=None) -> int:
    dashboards = client.get("/api/v1/dashboards", headers=headers).get_json()
    return next(
        d["id"] for d in dashboards["dashboards"] if d["name"] == "Executive Overview"
    )


def test_take_list_read_compare_and_delete_with_a_key(app_world):
    client, key = app_world["client"], app_world["key"]
    dashboard = executive(client, key)
    first = client.post(API, json={"dashboard_id": dashboard}, headers=key)
    assert first.status_code == 201, first.get_json()
    second = client.post(
        API,
        json={
            "dashboard_id": dashboard,
            "name": "Meta only",
            "filters": {"date_range": "last_30_days", "platforms": ["meta"]},
        },
        headers=key,
    )
    assert second.status_code == 201, second.get_json()
    a, b = first.get_json(), second.get_json()
    assert b["name"] == "Meta only" and b["taken_by"] == "API key"
    assert a["snapshot_date"].endswith("+00:00")
    listed = client.get(f"{API}?dashboard_id={dashboard}", headers=key).get_json()
    assert [s["id"] for s in listed["snapshots"][:2]] == [b["id"], a["id"]]
    assert listed["total"] >= 2

    document = client.get(f"{API}/{b['id']}", headers=key).get_json()
    assert document["snapshot_type"] == "manual"
    assert document["metadata"]["filters"]["platforms"] == ["meta"]
    assert set(document["data"]["kpis"]) >= {"total_revenue", "roas"}
    assert all("widget_type" in w for w in document["data"]["widgets"])

    workbook = client.get(f"{API}/{b['id']}?format=xlsx", headers=key)
    assert workbook.status_code == 200
    assert "attachment" in workbook.headers["Content-Disposition"]
    summary = load_workbook(io.BytesIO(workbook.data))["Summary"]
    revenue = next(
        r for r in summary.iter_rows(min_row=2) if r[0].value == "Total Revenue"
    )
    assert revenue[1].value == pytest.approx(document["data"]["kpis"]["total_revenue"])

    compared = client.get(f"{API}/compare?a={a['id']}&b={b['id']}", headers=key)
    assert compared.status_code == 200, compared.get_json()
    rows = {k["title"]: k for k in compared.get_json()["kpis"]}
    revenue_row = rows["Total Revenue"]
    assert revenue_row["change"] == pytest.approx(revenue_row["b"] - revenue_row["a"])

    assert client.delete(f"{API}/{a['id']}", headers=key).status_code == 204
    assert client.get(f"{API}/{a['id']}", headers=key).status_code == 404


def test_refusals(app_world):
    client, key = app_world["client"], app_world["key"]
    dashboard = executive(client, key)
    taken = client.post(API, json={"dashboard_id": dashboard}, headers=key).get_json()
    # Another org's snapshot and dashboard are "not found", like missing ones.
    other = app_world["globex_key"]
    missing = client.get(f"{API}/{taken['id']}", headers=other)
    assert missing.status_code == 404
    assert missing.get_json()["error"] == "snapshot not found"
    assert client.delete(f"{API}/{taken['id']}", headers=other).status_code == 404
    assert (
        client.post(API, json={"dashboard_id": dashboard}, headers=other).status_code
        == 404
    )
    assert taken["id"] not in [
        s["id"] for s in client.get(API, headers=other).get_json()["snapshots"]
    ]
    assert client.get(f"{API}/99999999", headers=key).status_code == 404
    # Bad input is a 422 naming the field.
    bad = client.post(API, json={"dashboard_id": "x"}, headers=key)
    assert bad.status_code == 422 and "dashboard_id" in bad.get_json()["error"]
    bad = client.post(
        API,
        json={"dashboard_id": dashboard, "filters": {"platforms": ["myspace"]}},
        headers=key,
    )
    assert bad.status_code == 422 and "platforms" in " ".join(bad.get_json()["details"])
    assert client.get(f"{API}/{taken['id']}?format=csv", headers=key).status_code == 422
    assert client.get(f"{API}/{taken['id']}?colour=red", headers=key).status_code == 422
    assert client.get(f"{API}/compare?a={taken['id']}", headers=key).status_code == 422
    assert client.post(API, json={"dashboard_id": dashboard}).status_code == 401
    # Viewers read but may not take or delete.
    viewer = app_world["signed_in"]("viewer@acme.example")
    assert viewer.get(f"{API}/{taken['id']}").status_code == 200
    assert viewer.post(API, json={"dashboard_id": dashboard}).status_code == 403
    assert viewer.delete(f"{API}/{taken['id']}").status_code == 403


def test_a_cookie_write_needs_the_sites_origin(app_world):
    editor = app_world["signed_in"]("editor@acme.example")
    dashboard = executive(editor)
    editor.environ_base.pop("HTTP_ORIGIN")
    foreign = editor.post(
        API,
        json={"dashboard_id": dashboard},
        headers={"Origin": "https://evil.example"},
    )
    assert foreign.status_code == 400
    editor.environ_base["HTTP_ORIGIN"] = TEST_ORIGIN
    assert editor.post(API, json={"dashboard_id": dashboard}).status_code == 201


def test_admins_set_the_snapshot_retention(app_world):
    admin = app_world["signed_in"]("admin@acme.example")
    assert admin.get("/api/v1/org/snapshot-retention").get_json() == {"days": None}
    changed = admin.put("/api/v1/org/snapshot-retention", json={"days": 90})
    assert changed.status_code == 200 and changed.get_json() == {"days": 90}
    assert admin.get("/api/v1/org/snapshot-retention").get_json() == {"days": 90}
    bad = admin.put("/api/v1/org/snapshot-retention", json={"days": -3})
    assert bad.status_code == 422 and "days" in bad.get_json()["error"]
    forever = admin.put("/api/v1/org/snapshot-retention", json={"days": None})
    assert forever.get_json() == {"days": None}
    editor = app_world["signed_in"]("editor@acme.example")
    assert editor.get("/api/v1/org/snapshot-retention").status_code == 403
    key = app_world["key"]
    client = app_world["client"]
    assert (
        client.put(
            "/api/v1/org/snapshot-retention", json={"days": 5}, headers=key
        ).status_code
        == 403
    )
