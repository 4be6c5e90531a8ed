"""``pulse retention show|set``: how long an org keeps raw facts, audit rows and job
runs.

    pulse retention show --org acme
    pulse retention set --org acme --raw-days 400 --audit-days 730 --job-runs-days 90

The change goes through :func:`commands.retention.set_retention` (validated, audited);
the daily ``retention`` job applies it (``pulse scheduler run retention --org acme``
runs it now).
"""

from __future__ import annotations

import click

from cli._context import PulseContext, database_url_option, fail, pass_pulse
from commands.errors import Invalid
from commands.retention import get_retention, set_retention


@click.group("retention")
def retention() -> None:
    """Show or change an org's retention settings."""


def _echo(settings: dict) -> None:
    floors = settings["floors"]
    click.echo(
        f"raw hourly facts  {settings['raw_days']} days (min {floors['raw_days']})"
    )
    click.echo(
        f"audit rows        {settings['audit_days']} days (min {floors['audit_days']})"
    )
    click.echo(
        f"job runs          {settings['job_runs_days']} days "
        f"(min {floors['job_runs_days']})"
    )
    click.echo(
        f"raw facts purged before {settings['raw_purged_before'] or '- (never purged)'}"
    )


@retention.command("show")
@click.option("--org", required=True, help="org slug, e.g. acme")
@database_url_option
@pass_pulse
def show(pulse: PulseContext, org: str, database_url: str | None) -> None:
    """Print the org's retention settings."""
    with pulse.operator(org, database_url) as operator:
        _echo(get_retention(operator, operator.caller))


@retention.command("set")
@click.option("--org", required=True, help="org slug, e.g. acme")
@click.option("--raw-days", type=int, help="keep raw hourly facts this many days")
@click.option("--audit-days", type=int, help="keep audit rows this many days")
@click.option("--job-runs-days", type=int, help="keep job runs this many days")
@database_url_option
@pass_pulse
def set_command(
    pulse: PulseContext,
    org: str,
    raw_days: int | None,
    audit_days: int | None,
    job_runs_days: int | None,
    database_url: str | None,
) -> None:
    """Change the org's retention settings (audited)."""
    change = {
        k: v
        for k, v in {
            "raw_days": raw_days,
            "audit_days": audit_days,
            "job_runs_days": job_runs_days,
        }.items()
        if v is not None
    }
    with pulse.operator(org, database_url) as operator:
        try:
            _echo(set_retention(operator, operator.caller, change))
        except Invalid as exc:
            fail("error: " + "; ".join(exc.details))
