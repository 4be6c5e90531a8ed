"""``pulse seed``, ``pulse bootstrap`` and ``pulse bench generate``: synthetic data.

A placeholder that hands each command to today's entry points (``devdata.demo``,
``devdata.bootstrap``, ``bench.generate``) until the one synthetic generator of
``devdata`` brings its own commands here.
"""

from __future__ import annotations

import click

from bench import generate as bench_generate
from cli._context import PulseContext, database_url_option, pass_pulse
from cli.db import install_builtin_templates
from devdata import bootstrap as devdata_bootstrap
from devdata import demo


@click.command("seed")
@click.option("--seed", type=int, default=42, show_default=True, help="random seed")
@click.option(
    "--campaigns",
    type=click.IntRange(min=1),
    default=40,
    show_default=True,
    help="campaigns per org",
)
@click.option(
    "--days",
    type=click.IntRange(min=1),
    default=395,
    show_default=True,
    help="days of hourly history",
)
@click.option(
    "--force", is_flag=True, help="replace the demo orgs; seed even if other orgs exist"
)
@database_url_option
@click.option("--quiet", is_flag=True, help="no progress bar and no summary")
@pass_pulse
def seed(
    pulse: PulseContext,
    seed: int,
    campaigns: int,
    days: int,
    force: bool,
    database_url: str | None,
    quiet: bool,
) -> None:
    """Seed the demo orgs Acme Retail and Globex Travel."""
    argv = [
        "--seed",
        str(seed),
        "--campaigns",
        str(campaigns),
        "--days",
        str(days),
        "--database-url",
        pulse.admin_database_url(database_url),
    ]
    argv += ["--force"] * force + ["--quiet"] * quiet
    raise click.exceptions.Exit(demo.main(argv))


@click.command("bootstrap")
@pass_pulse
def bootstrap(pulse: PulseContext) -> None:
    """Migrate, and seed the demo if the database is empty.

    What ``make run`` runs before serving: applies the migrations, installs the
    built-in templates, seeds the demo orgs into an empty database and prints the demo
    logins.
    """
    url = pulse.settings.migration_database_url
    code = devdata_bootstrap.main()  # migrates, seeds an empty database, says where
    if code == 0:
        install_builtin_templates(url)
    raise click.exceptions.Exit(code)


@click.command("generate")
@click.option(
    "--database-url",
    required=True,
    help="the schema owner's URL, e.g. postgresql+psycopg://postgres@127.0.0.1:5432/"
    "pulse_bench or sqlite:///var/bench.db (migrated already)",
)
@click.option(
    "--rows",
    type=int,
    default=5_000_000,
    show_default=True,
    help="hourly fact rows (about)",
)
@click.option("--campaigns", type=int, default=500, show_default=True)
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--org-slug", default="bench", show_default=True)
def generate(
    database_url: str, rows: int, campaigns: int, seed: int, org_slug: str
) -> None:
    """Generate (or replace) one large org for the benchmarks."""
    argv = ["--database-url", database_url, "--rows", str(rows)]
    argv += ["--campaigns", str(campaigns), "--seed", str(seed)]
    argv += ["--org-slug", org_slug]
    raise click.exceptions.Exit(bench_generate.main(argv))
