"""``/api/v1/report-schedules``: the schedules, preview, send now and the delivery log
through the API, with a session, on a demo database of the module's own."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile

import pytest

from app import create_app
from tests.conftest import login, make_settings, seed_small_demo, sqlite_url

API = "/api/v1/report-schedules"


@pytest.fixture(scope="module")
def client_factory(tmp_path_factory, seed_now):
    url = sqlite_url(tmp_path_factory.mktemp("report-api"))
    seed_small_demo(url, seed_now)
    outbox = tmp_path_factory.mktemp("outbox")
    app = create_app(make_settings(url, outbox_dir=outbox, scheduler="off"))

    def signed_in(email: str):
        client = app.server.test_client()
        assert login(client, email).status_code == 302
        return client

    yield signed_in
    app.server.extensions["pulse"].db.dispose()


def schedule_body(client, **changes) -> dict:
    dashboards = client.get("/api/v1/dashboards").get_json()["dashboards"]
    return {
        "name": "Monday numbers",
        "dashboard_id": dashboards[0]["id"],
        "frequency": "monthly",
        "schedule_config": {"day_of_month": 31, "time": "08:00", "timezone": "UTC"},
        "recipients": ["cfo@acme.example"],
        "format": "csv",
    } | changes


def test_create_list_pause_and_delete_a_schedule(client_factory):
    admin = client_factory("admin@acme.example")
    created = admin.post(API, json=schedule_body(admin))
    assert created.status_code == 201, created.get_json()
    schedule = created.get_json()
    runs = [dt.datetime.fromisoformat(x) for x in schedule["next_runs"]]
    assert len(runs) == 5 and all(r.utcoffset() == dt.timedelta(0) for r in runs)
    assert all(r.day == 31 or (r + dt.timedelta(days=1)).day == 1 for r in runs)
    listed = admin.get(API).get_json()
    assert [s["id"] for s in listed["report_schedules"]] == [schedule["id"]]
    paused = admin.patch(f"{API}/{schedule['id']}", json={"is_active": False})
    assert paused.get_json()["is_active"] is False
    assert paused.get_json()["next_runs"] == []
    # What GET answers can be PUT back, changed.
    document = admin.get(f"{API}/{schedule['id']}").get_json()
    replaced = admin.put(
        f"{API}/{schedule['id']}", json=document | {"name": "Month end"}
    )
    assert replaced.status_code == 200 and replaced.get_json()["name"] == "Month end"
    assert admin.delete(f"{API}/{schedule['id']}").status_code == 204
    assert admin.get(f"{API}/{schedule['id']}").status_code == 404


def test_refusals_name_the_field_or_the_address(client_factory):
    admin = client_factory("admin@acme.example")
    outsider = admin.post(
        API, json=schedule_body(admin, recipients=["cfo@acme.example", "me@evil.test"])
    )
    assert outsider.status_code == 422
    assert "me@evil.test" in outsider.get_json()["error"]
    zone = admin.post(
        API,
        json=schedule_body(
            admin, schedule_config={"day_of_month": 1, "time": "08:00", "timezone": "X"}
        ),
    )
    assert zone.status_code == 422
    assert zone.get_json()["details"][0].startswith("schedule_config.timezone")
    viewer = client_factory("viewer@acme.example")
    forbidden = viewer.post(API, json=schedule_body(viewer))
    assert forbidden.status_code == 403
    assert admin.get(f"{API}/999999").status_code == 404


def test_preview_send_now_and_the_delivery_log(client_factory):
    admin = client_factory("admin@acme.example")
    schedule = admin.post(API, json=schedule_body(admin, name="Sent now")).get_json()
    preview = admin.get(f"{API}/{schedule['id']}/preview")
    assert preview.status_code == 200 and preview.mimetype == "application/zip"
    assert "attachment" in preview.headers["Content-Disposition"]
    with zipfile.ZipFile(io.BytesIO(preview.get_data())) as archive:
        assert archive.namelist()[:2] == ["00-report.csv", "01-summary.csv"]
    sent = admin.post(f"{API}/{schedule['id']}/send")
    assert sent.status_code == 200, sent.get_json()
    delivery = sent.get_json()
    assert delivery["status"] == "sent" and delivery["trigger"] == "manual"
    assert delivery["outbox_file"].endswith(".eml")
    viewer = client_factory("viewer@acme.example")
    log = viewer.get(f"{API}/{schedule['id']}/deliveries").get_json()
    assert [d["id"] for d in log["deliveries"]] == [delivery["id"]]
    everything = viewer.get(f"{API}/deliveries").get_json()
    assert delivery["id"] in [d["id"] for d in everything["deliveries"]]
    assert viewer.post(f"{API}/{schedule['id']}/send").status_code == 403


def test_admins_set_the_allowed_recipient_domains(client_factory):
    admin = client_factory("admin@acme.example")
    assert admin.get("/api/v1/org/recipient-domains").get_json() == {
        "domains": ["acme.example"]
    }
    changed = admin.put(
        "/api/v1/org/recipient-domains",
        data=json.dumps({"domains": ["acme.example", "Partner.example"]}),
        content_type="application/json",
    )
    assert changed.get_json() == {"domains": ["acme.example", "partner.example"]}
    bad = admin.put("/api/v1/org/recipient-domains", json={"domains": ["nodot"]})
    assert bad.status_code == 422
    editor = client_factory("editor@acme.example")
    assert (
        editor.put(
            "/api/v1/org/recipient-domains", json={"domains": ["acme.example"]}
        ).status_code
        == 403
    )
