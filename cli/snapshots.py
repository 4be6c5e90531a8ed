"""``pulse snapshots generate-key|rotate-keys|retention``: the keys that encrypt
dashboard snapshots, and how long an org keeps them.

    pulse snapshots generate-key                  # print a new Fernet key
    pulse snapshots rotate-keys                   # re-encrypt every snapshot with the
                                                  # newest key of PULSE_SNAPSHOT_KEYS
    pulse snapshots retention --org acme          # show the org's retention
    pulse snapshots retention --org acme --days 90    # keep 90 days (audited)
    pulse snapshots retention --org acme --forever    # keep them all

Key rotation: put the new key first in ``PULSE_SNAPSHOT_KEYS`` (``new,old``; or as the
first line of ``var/snapshot_keys`` in development), restart the app, run
``rotate-keys``, then remove the old key. See the README's "Snapshots" section.
"""

from __future__ import annotations

import click
from sqlalchemy import select

from cli._context import PulseContext, database_url_option, fail, pass_pulse
from commands.errors import Invalid
from commands.snapshots import (
    get_snapshot_retention,
    rotate_snapshot_keys,
    set_snapshot_retention,
)
from core.crypto import SnapshotCipher, SnapshotDecryptError, generate_key
from core.models import Org


@click.group("snapshots")
def snapshots() -> None:
    """Snapshot encryption keys and retention."""


@snapshots.command("generate-key")
def generate_key_command() -> None:
    """Print a new random snapshot key (a Fernet key) for PULSE_SNAPSHOT_KEYS."""
    click.echo(generate_key())


@snapshots.command("rotate-keys")
@database_url_option
@pass_pulse
def rotate_keys(pulse: PulseContext, database_url: str | None) -> None:
    """Re-encrypt every org's snapshots with the newest key (the first of
    PULSE_SNAPSHOT_KEYS); prints how many. Run it after putting a new key first,
    before removing the old one."""
    cipher = SnapshotCipher(pulse.settings.snapshot_key_list())
    with (
        pulse.admin_database(database_url) as database,
        database.unscoped_session() as session,
    ):
        slugs = list(session.scalars(select(Org.slug).order_by(Org.id)))
    total = 0
    for slug in slugs:
        with pulse.operator(slug, database_url) as operator:
            try:
                count = rotate_snapshot_keys(operator, cipher, operator.caller.org_id)
            except SnapshotDecryptError as exc:
                fail(f"error: org {slug}: {exc}; nothing of this org was changed")
        click.echo(f"{slug}: {count} snapshot(s) re-encrypted")
        total += count
    click.echo(f"{total} snapshot(s) re-encrypted with the newest key")


@snapshots.command("retention")
@click.option("--org", required=True, help="org slug, e.g. acme")
@click.option("--days", type=int, help="keep snapshots this many days (1-3650)")
@click.option("--forever", is_flag=True, help="keep every snapshot (the default)")
@database_url_option
@pass_pulse
def retention(
    pulse: PulseContext,
    org: str,
    days: int | None,
    forever: bool,
    database_url: str | None,
) -> None:
    """Show or change how many days the org keeps its snapshots (audited). The
    daily snapshot_retention job deletes older ones (`pulse scheduler run
    snapshot_retention --org ORG` runs it now)."""
    if days is not None and forever:
        fail("error: give --days or --forever, not both")
    with pulse.operator(org, database_url) as operator:
        if days is not None or forever:
            try:
                set_snapshot_retention(
                    operator, operator.caller, {"days": None if forever else days}
                )
            except Invalid as exc:
                fail("error: " + "; ".join(exc.details))
        kept = get_snapshot_retention(operator, operator.caller)["days"]
    click.echo(
        f"snapshots kept {kept} days"
        if kept
        else "snapshots kept forever (no retention)"
    )
