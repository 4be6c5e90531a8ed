"""``pulse snapshots``: a generated key, the key rotation procedure of the README
(new key first, rotate, old key removed: every snapshot still reads) and the
retention setting, on a seeded SQLite demo."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from accounts.permissions import Caller
from cli.main import pulse
from commands.snapshots import get_snapshot, take_snapshot
from core.crypto import SnapshotCipher, SnapshotDecryptError, parse_keys
from core.models import Dashboard, User
from scheduler.context import JobContext
from tests.conftest import make_settings, org_id, seed_small_demo, sqlite_url


@pytest.fixture(scope="module")
def demo(tmp_path_factory, seed_now):
    url = sqlite_url(tmp_path_factory.mktemp("snapshot-cli"))
    seed_small_demo(url, seed_now)
    ctx = JobContext.from_settings(make_settings(url))
    acme = org_id(ctx.admin_db, "acme")
    with ctx.admin_db.unscoped_session() as session:
        admin = session.scalars(
            select(User).where(User.email == "admin@acme.example")
        ).one()
        dashboard = session.scalars(
            select(Dashboard.id).where(
                Dashboard.org_id == acme, Dashboard.name == "Executive Overview"
            )
        ).one()
        caller = Caller(acme, admin.id, admin.role)
    yield {"url": url, "ctx": ctx, "caller": caller, "dashboard": dashboard}
    ctx.dispose()


def run(demo, *args: str, keys: str):
    return CliRunner().invoke(
        pulse,
        ["snapshots", *args],
        env={
            "DATABASE_URL": demo["url"],
            "PULSE_DATABASE_URL": None,
            "PULSE_ADMIN_DATABASE_URL": None,
            "PULSE_SNAPSHOT_KEYS": keys,
        },
    )


def new_key(demo) -> str:
    result = CliRunner().invoke(pulse, ["snapshots", "generate-key"])
    assert result.exit_code == 0, result.output
    return parse_keys(result.stdout)[0]


def test_rotation_keeps_every_snapshot_readable(demo):
    old = new_key(demo)
    taken = take_snapshot(
        demo["ctx"], SnapshotCipher([old]), demo["caller"], demo["dashboard"]
    )
    new = new_key(demo)
    assert new != old
    result = run(demo, "rotate-keys", keys=f"{new},{old}")
    assert result.exit_code == 0, result.output
    assert "acme: 1 snapshot(s) re-encrypted" in result.stdout
    assert "1 snapshot(s) re-encrypted with the newest key" in result.stdout
    # The old key removed: the snapshot still reads with the new one alone.
    view = get_snapshot(demo["ctx"], SnapshotCipher([new]), demo["caller"], taken.id)
    assert view.document["data"]["kpis"]
    with pytest.raises(SnapshotDecryptError):
        get_snapshot(demo["ctx"], SnapshotCipher([old]), demo["caller"], taken.id)
    # Rotating with a key list that cannot open it fails, naming the org.
    stranger = new_key(demo)
    result = run(demo, "rotate-keys", keys=stranger)
    assert result.exit_code == 2
    assert (
        "org acme" in result.output
        and "nothing of this org was changed" in result.output
    )


def test_retention_shows_and_sets_the_days(demo):
    keys = new_key(demo)
    result = run(demo, "retention", "--org", "acme", keys=keys)
    assert result.exit_code == 0, result.output
    assert result.stdout == "snapshots kept forever (no retention)\n"
    result = run(demo, "retention", "--org", "acme", "--days", "90", keys=keys)
    assert result.stdout == "snapshots kept 90 days\n"
    result = run(demo, "retention", "--org", "acme", "--days", "0", keys=keys)
    assert result.exit_code == 2 and "days" in result.output
    result = run(demo, "retention", "--org", "acme", "--forever", keys=keys)
    assert result.stdout == "snapshots kept forever (no retention)\n"
    result = run(demo, "retention", "--org", "nope", keys=keys)
    assert result.exit_code == 2
