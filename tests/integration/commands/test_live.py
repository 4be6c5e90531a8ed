"""What an open screen polls: the org's data version and a dashboard's widget data
keys change when the org's data does, and only then; another org sees nothing."""

from __future__ import annotations

from commands.live import dashboard_data_keys, data_version, keys_digest
from core.filters import Filters


def test_the_version_moves_with_the_orgs_data_only(world):
    svc, users = world["svc"], world["users"]
    acme_viewer = users["viewer@acme.example"]
    globex_editor = users["editor@globex.example"]
    before = data_version(svc, acme_viewer)
    assert data_version(svc, acme_viewer) == before
    svc.data.invalidate_org(world["globex"])
    assert data_version(svc, acme_viewer) == before
    assert data_version(svc, globex_editor) != before
    svc.data.invalidate_org(world["acme"])
    assert data_version(svc, acme_viewer) != before


def test_widget_keys_change_after_new_data_and_not_on_a_quiet_tick(world):
    svc, caller = world["svc"], world["users"]["viewer@acme.example"]
    keys = dashboard_data_keys(svc, caller, world["dashboard"], Filters())
    assert set(keys) == {str(wid) for wid in world["widgets"].values()}
    again = dashboard_data_keys(svc, caller, world["dashboard"], Filters())
    assert again == keys and keys_digest(again) == keys_digest(keys)
    narrowed = dashboard_data_keys(
        svc, caller, world["dashboard"], Filters(platforms=["meta"])
    )
    assert keys_digest(narrowed) != keys_digest(keys)
    svc.data.invalidate_org(world["acme"])
    after = dashboard_data_keys(svc, caller, world["dashboard"], Filters())
    assert set(after) == set(keys)
    assert all(after[wid] != keys[wid] for wid in keys)


def test_another_orgs_dashboard_has_no_keys(world):
    svc = world["svc"]
    globex_editor = world["users"]["editor@globex.example"]
    assert dashboard_data_keys(svc, globex_editor, world["dashboard"], Filters()) == {}
    assert dashboard_data_keys(svc, globex_editor, "not-an-id", Filters()) == {}
