"""``pulse apikeys create|list|revoke``: an org's API keys.

A key is shown once when created; only its SHA-256 hash is stored. Requests send it as
``Authorization: Bearer <key>``.
"""

from __future__ import annotations

import click

from accounts.apikeys import list_keys
from cli._context import PulseContext, database_url_option, fail, pass_pulse
from commands.apikeys import create_api_key, revoke_api_key
from core.cache import make_cache


@click.group("apikeys")
def apikeys() -> None:
    """Create, list and revoke an org's API keys."""


@apikeys.command("create")
@click.option("--org", required=True, help="org slug, e.g. acme")
@click.option("--name", default="", help="what the key is for")
@database_url_option
@pass_pulse
def create(pulse: PulseContext, org: str, name: str, database_url: str | None) -> None:
    """Create a key and print it once."""
    with pulse.admin_database(database_url) as database:
        try:
            row, plain = create_api_key(database, org, name)
        except LookupError as exc:
            fail(f"error: {exc}")
    click.echo(
        f"created key {row.prefix}… for org {org}; it is shown only once:\n{plain}"
    )


@apikeys.command("list")
@click.option("--org", required=True, help="org slug, e.g. acme")
@database_url_option
@pass_pulse
def list_keys_command(pulse: PulseContext, org: str, database_url: str | None) -> None:
    """List the org's keys (prefixes only)."""
    with pulse.admin_database(database_url) as database:
        try:
            rows = list_keys(database, org)
        except LookupError as exc:
            fail(f"error: {exc}")
    for row in rows:
        state = f"revoked {row.revoked_at:%Y-%m-%d}" if row.revoked_at else "active"
        click.echo(f"{row.prefix}  {state:<20} {row.name}")


@apikeys.command("revoke")
@click.option("--org", required=True, help="org slug, e.g. acme")
@click.argument("prefix")
@database_url_option
@pass_pulse
def revoke(
    pulse: PulseContext, org: str, prefix: str, database_url: str | None
) -> None:
    """Revoke a key by its PREFIX (its first 12 characters, as `list` shows) and
    forget it in the shared cache at once."""
    with pulse.admin_database(database_url) as database:
        try:
            count = revoke_api_key(database, org, prefix, make_cache(pulse.settings))
        except LookupError as exc:
            fail(f"error: {exc}")
    if not count:
        fail(f"no active key with prefix {prefix!r} in org {org}", code=1)
    click.echo(f"revoked {count} key(s) with prefix {prefix}")
