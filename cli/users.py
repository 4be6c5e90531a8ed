"""``pulse users list|delete``: an org's users, and deleting one (GDPR erasure).

    pulse users list --org acme
    pulse users delete --org acme someone@acme.example

Deleting goes through the same command as the API (:func:`commands.users.delete_user`):
the user is anonymised (email, name, password, active flag), their audit rows lose
the client address and user agent, their private widgets are deleted, and the
deletion is audited. The org's last admin cannot be deleted.
"""

from __future__ import annotations

import click

from cli._context import PulseContext, database_url_option, fail, pass_pulse
from commands.errors import CommandError
from commands.users import delete_user, find_user_id, list_users


@click.group("users")
def users() -> None:
    """List an org's users, or delete one."""


@users.command("list")
@click.option("--org", required=True, help="org slug, e.g. acme")
@database_url_option
@pass_pulse
def list_command(pulse: PulseContext, org: str, database_url: str | None) -> None:
    """List the org's users: id, email, role, state, last login."""
    with pulse.operator(org, database_url) as operator:
        rows = list_users(operator, operator.caller)
    for row in rows:
        state = "deleted" if row["deleted"] else "active" if row["is_active"] else "off"
        click.echo(
            f"{row['id']:>5}  {row['email']:<40} {row['role']:<7} {state:<8} "
            f"{row['last_login_at'] or '-'}"
        )


@users.command("delete")
@click.option("--org", required=True, help="org slug, e.g. acme")
@click.argument("email")
@database_url_option
@pass_pulse
def delete_command(
    pulse: PulseContext, org: str, email: str, database_url: str | None
) -> None:
    """Delete (anonymise) the org's user with this EMAIL."""
    with pulse.operator(org, database_url) as operator:
        try:
            user_id = find_user_id(operator, operator.caller, email)
            result = delete_user(operator, operator.caller, user_id)
        except CommandError as exc:
            fail(f"error: {exc}", code=1)
    click.echo(
        f"deleted user {user_id}: now {result['user']['email']}; "
        f"{result['private_widgets_deleted']} private widget(s) deleted, "
        f"{result['audit_rows_anonymised']} audit row(s) without address"
    )
