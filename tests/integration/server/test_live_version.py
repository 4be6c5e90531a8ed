"""``GET /live/version``: 304 without a body while the org's data is unchanged, the
new tag once an ingest (or any change) bumped it; nothing for a signed-out caller."""

from __future__ import annotations

from core.db import Database
from tests.conftest import login, org_id


def test_the_version_answers_304_until_the_data_changes(app_client, demo_db):
    assert app_client.get("/live/version").status_code == 401
    login(app_client, "viewer@acme.example")
    first = app_client.get("/live/version")
    assert first.status_code == 200
    tag = first.get_data(as_text=True)
    assert first.headers["ETag"] == f'"{tag}"'
    assert "no-cache" in first.headers["Cache-Control"]
    unchanged = app_client.get("/live/version", headers={"If-None-Match": f'"{tag}"'})
    assert unchanged.status_code == 304 and unchanged.get_data() == b""

    svc = app_client.application.extensions["pulse"]
    admin = Database(demo_db["admin"])
    acme = org_id(admin, "acme")
    admin.dispose()
    # What an ingest does once its batch is committed.
    svc.data.invalidate_org(acme)
    changed = app_client.get("/live/version", headers={"If-None-Match": f'"{tag}"'})
    assert changed.status_code == 200
    assert changed.get_data(as_text=True) not in ("", tag)
