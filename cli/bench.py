"""``pulse bench``: the benchmarks of BENCHMARKS.md (see :mod:`bench`).

pulse bench generate ...   # one large org to measure (cli.devdata)
pulse bench queries ...    # every template's widget queries, in process and HTTP
pulse bench render ...     # the Executive dashboard in headless Chromium
pulse bench ingest ...     # ingest rows/s and commit-to-figure
pulse bench kiosk ...      # 1,000 kiosk displays ticking
pulse bench report         # markdown tables from bench/results/*.json
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from bench import ingest as ingest_bench
from bench import kiosk as kiosk_bench
from bench import queries as query_bench
from bench import render as render_bench
from bench.common import BenchTarget
from bench.report import RESULTS, report_markdown

APP_URL_HELP = "the app's URL (on PostgreSQL the RLS-bound app role)"
OWNER_URL_HELP = "the schema owner's URL"
json_option = click.option(
    "--json",
    "json_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="write the figures here",
)
org_option = click.option(
    "--org", default="bench", show_default=True, help="the benchmark org's slug"
)


def _write_json(path: Path | None, report: dict[str, Any], **dump: Any) -> None:
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(report, indent=2, **dump))


@click.group("bench")
def bench() -> None:
    """Measure Pulse on a large org; BENCHMARKS.md holds the figures."""


@bench.command("queries")
@click.option("--database-url", required=True, help=APP_URL_HELP)
@click.option("--admin-url", help=f"{OWNER_URL_HELP} (API keys, row counts)")
@click.option("--redis-url", help="use Redis for the cache (else an in-process cache)")
@org_option
@click.option("--repeat", type=int, default=30, show_default=True)
@click.option("--http", is_flag=True, help="also time the HTTP API under gunicorn")
@json_option
def queries(
    database_url: str,
    admin_url: str | None,
    redis_url: str | None,
    org: str,
    repeat: int,
    http: bool,
    json_path: Path | None,
) -> None:
    """Time the templates' widget queries.

    Every distinct data-source query of the built-in templates, cold (``fresh``) and
    warm (from the cache), in process and, with --http, through the API.
    """
    target = BenchTarget(database_url, admin_url, redis_url, org)
    template_queries = query_bench.template_queries()
    rows = query_bench.rows_in_org(target)
    click.echo(
        f"{len(template_queries)} distinct widget queries from the templates; org "
        f"{org!r} has {rows:,} hourly fact rows; {repeat} runs each"
    )
    report: dict[str, Any] = {
        "hourly_rows": rows,
        "database": database_url.split("@")[-1],
        "cache": "redis" if redis_url else "simple",
    }
    report["in_process"] = query_bench.in_process(target, template_queries, repeat)
    query_bench.print_table("in process (QueryCache)", report["in_process"])
    if http:
        report["http"] = query_bench.over_http(target, template_queries, repeat)
        query_bench.print_table("HTTP API under gunicorn (2 workers)", report["http"])
    _write_json(json_path, report, default=str)


@bench.command("render")
@click.option("--database-url", required=True, help="the app role's URL")
@click.option("--admin-url", required=True, help=OWNER_URL_HELP)
@click.option("--redis-url", required=True, help="the shared cache (flushed cold)")
@org_option
@click.option("--template", default="executive", show_default=True)
@click.option("--repeat", type=int, default=7, show_default=True)
@json_option
def render(
    database_url: str,
    admin_url: str,
    redis_url: str,
    org: str,
    template: str,
    repeat: int,
    json_path: Path | None,
) -> None:
    """Time a dashboard rendering in Chromium.

    From navigation start until fully rendered, cold (Redis flushed) and warm.
    """
    target = BenchTarget(database_url, admin_url, redis_url, org)
    report = render_bench.measure_render(target, template, repeat)
    click.echo(
        f"{template} dashboard, {report['widgets']} widgets, fully rendered from "
        "navigation start:"
    )
    for kind in ("cold", "warm"):
        figures = report[kind]
        click.echo(
            f"  {kind}: p50 {figures['p50']:.0f} ms, p95 {figures['p95']:.0f} ms "
            f"({figures['n']} runs)"
        )
    click.echo(
        f"  gunicorn master + 2 workers: {report['gunicorn_rss_mb']:.0f} MB resident"
    )
    _write_json(json_path, report)


@bench.command("ingest")
@click.option("--database-url", required=True, help="the app role's URL")
@click.option("--admin-url", required=True, help=OWNER_URL_HELP)
@click.option("--redis-url", help="enables the commit-to-figure measurement")
@org_option
@click.option("--rows", type=int, default=100_000, show_default=True)
@click.option("--campaigns", type=int, default=50, show_default=True)
@click.option("--repeat", type=int, default=10, show_default=True)
@json_option
def ingest(
    database_url: str,
    admin_url: str,
    redis_url: str | None,
    org: str,
    rows: int,
    campaigns: int,
    repeat: int,
    json_path: Path | None,
) -> None:
    """Time ingest throughput and commit to figure.

    Commit to figure (POST to the new KPI through the API) needs --redis-url.
    """
    target = BenchTarget(database_url, admin_url, redis_url, org)
    report = {"throughput": ingest_bench.throughput(target, rows, campaigns)}
    if redis_url:
        report["commit_to_figure"] = ingest_bench.commit_to_figure(target, repeat)
    _write_json(json_path, report)


@bench.command("kiosk")
@click.option("--database-url", required=True, help="the app role's URL")
@click.option("--admin-url", required=True, help=OWNER_URL_HELP)
@click.option("--redis-url", required=True, help="the shared cache")
@org_option
@click.option("--displays", type=int, default=1000, show_default=True)
@click.option("--tick", type=float, default=10.0, show_default=True, help="seconds")
@click.option("--duration", type=float, default=300.0, show_default=True)
@json_option
def kiosk(
    database_url: str,
    admin_url: str,
    redis_url: str,
    org: str,
    displays: int,
    tick: float,
    duration: float,
    json_path: Path | None,
) -> None:
    """Simulate kiosk displays ticking on the Executive dashboard.

    Each display has its own token; after one whole-screen draw each, they tick
    every --tick seconds for --duration seconds while nothing changes.
    """
    target = BenchTarget(database_url, admin_url, redis_url, org)
    report = kiosk_bench.measure(target, displays, tick, duration)
    server, trip = report["server_ms"], report["round_trip_ms"]
    click.echo(
        f"{displays} displays, a tick every {tick:g} s for {duration:g} s: "
        f"{report['ticks']} ticks ({report['ticks_per_second']:.0f}/s), "
        f"{report['errors']} errors {report['error_kinds']}"
    )
    click.echo(
        f"  server time per tick: p50 {server['p50']:.2f} ms, p95 "
        f"{server['p95']:.2f} ms, p99 {server['p99']:.2f} ms (n={server['n']})"
    )
    click.echo(
        f"  round trip: p50 {trip['p50']:.2f} ms, p95 {trip['p95']:.2f} ms; "
        f"unchanged ticks answered 204: {report['answers_204']}"
    )
    click.echo(
        f"  bytes per unchanged tick: response body "
        f"{report['response_body_bytes_unchanged']}, headers "
        f"{report['response_header_bytes_unchanged']}; request body "
        f"{report['request_bytes_p50']:.0f}"
    )
    click.echo(f"  warm-up (first draw of every display): {report['warm_up']}")
    _write_json(json_path, report)


@bench.command("report")
@click.option(
    "--results",
    type=click.Path(file_okay=False, path_type=Path),
    default=RESULTS,
    show_default="bench/results",
    help="the directory of result files",
)
def report(results: Path) -> None:
    """Print the tables that BENCHMARKS.md quotes."""
    click.echo(report_markdown(results))
