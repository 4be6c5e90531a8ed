"""``pulse migrate`` and ``pulse pgsetup``: bring a database up to date, or create one
on PostgreSQL."""

from __future__ import annotations

import click
import psycopg

from cli._context import PulseContext, database_url_option, fail, pass_pulse
from commands.database import install_builtin_templates, migrate_database
from core import pgsetup


@click.command("migrate")
@database_url_option
@pass_pulse
def migrate_command(pulse: PulseContext, database_url: str | None) -> None:
    """Migrate the schema; install the templates.

    Applies every migration, then installs or updates the built-in dashboard templates.
    """
    migrate_database(pulse.admin_database_url(database_url))
    click.echo("database schema is up to date")


@click.command("pgsetup")
@click.option(
    "--admin-url",
    default="postgresql://postgres@127.0.0.1:5432/postgres",
    show_default=True,
    help="a superuser's URL on the PostgreSQL server",
)
@click.option(
    "--database", default="pulse", show_default=True, help="the database to create"
)
@click.option(
    "--app-role",
    envvar="PULSE_DB_APP_ROLE",
    default="pulse_app",
    show_default=True,
    show_envvar=True,
    help="the role the web app connects as",
)
@click.option(
    "--app-password",
    envvar="PULSE_DB_APP_PASSWORD",
    show_envvar=True,
    help="its password (trust-auth setups may leave it unset)",
)
@click.option("--recreate", is_flag=True, help="drop the database first")
def pgsetup_command(
    admin_url: str,
    database: str,
    app_role: str,
    app_password: str | None,
    recreate: bool,
) -> None:
    """Prepare a PostgreSQL database for Pulse.

    Creates the database (owned by the admin role, which runs migrations) and the app
    role the web app connects as (LOGIN, NOSUPERUSER, NOBYPASSRLS, not the owner, so
    row-level security applies to it), migrates, installs the built-in templates and
    prints the two URLs.
    """
    try:
        owner_url, app_url = pgsetup.setup(
            admin_url, database, app_role, app_password, recreate=recreate
        )
        install_builtin_templates(owner_url)
    except (ValueError, psycopg.Error) as exc:
        fail(f"error: {exc}")
    click.echo(f"PULSE_ADMIN_DATABASE_URL={owner_url}\nDATABASE_URL={app_url}")
