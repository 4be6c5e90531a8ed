"""``pulse bench``: the benchmarks of BENCHMARKS.md (see :mod:`bench`).

pulse bench generate ...   # one large org to measure (cli.devdata)
pulse bench queries ...    # every template's widget queries, in process and HTTP
pulse bench render ...     # the Executive dashboard in headless Chromium
pulse bench ingest ...     # ingest rows/s and commit-to-figure
pulse bench live ...       # 45-widget render, refresh ticks, ingest to the screen
pulse bench reports ...    # the Executive dashboard's PDF, Excel and CSV report files
pulse bench deliveries ... # a burst of scheduled reports due at the same minute
pulse bench kiosk ...      # 1,000 kiosk displays ticking
pulse bench alerts ...     # one evaluation pass over 1,000 alerts
pulse bench alert-webhook  # an ingest that fires an alert, until its webhook arrives
pulse bench report         # markdown tables from bench/results/*.json
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from bench import alerts as alerts_bench
from bench import deliveries as deliveries_bench
from bench import filters as filter_bench
from bench import ingest as ingest_bench
from bench import kiosk as kiosk_bench
from bench import live as live_bench
from bench import queries as query_bench
from bench import render as render_bench
from bench import reports as reports_bench
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


@bench.command("filters")
@click.option("--database-url", required=True, help="the app role's URL")
@click.option("--admin-url", required=True, help=OWNER_URL_HELP)
@click.option("--redis-url", required=True, help="the shared cache (flushed cold)")
@org_option
@click.option("--template", default="executive", show_default=True)
@click.option("--repeat", type=int, default=7, show_default=True)
@json_option
def filters(
    database_url: str,
    admin_url: str,
    redis_url: str,
    org: str,
    template: str,
    repeat: int,
    json_path: Path | None,
) -> None:
    """Time a filter change in Chromium until every widget is updated.

    From the click on a platform's bar (and on "Clear all") until every widget shows
    new content, fully drawn; cold (Redis flushed) and warm.
    """
    target = BenchTarget(database_url, admin_url, redis_url, org)
    report = filter_bench.measure_filter_change(target, template, repeat)
    click.echo(
        f"{template} dashboard, {report['widgets']} widgets, from the click until "
        "every widget is updated:"
    )
    for change in filter_bench.CHANGES:
        for kind in ("cold", "warm"):
            figures = report[f"{change} {kind}"]
            click.echo(
                f"  {change}, {kind}: p50 {figures['p50']:.0f} ms, "
                f"p95 {figures['p95']:.0f} ms ({figures['n']} runs); last answer "
                f"p50 {figures['answered_p50']:.0f} ms"
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


@bench.command("live")
@click.option("--database-url", required=True, help="the app role's URL")
@click.option("--admin-url", required=True, help=OWNER_URL_HELP)
@click.option("--redis-url", required=True, help="the shared cache (flushed cold)")
@org_option
@click.option("--repeat", type=int, default=5, show_default=True)
@click.option(
    "--watch-seconds",
    type=float,
    default=46,
    show_default=True,
    help="how long to watch an idle realtime dashboard (a tick every 15 s)",
)
@json_option
def live(
    database_url: str,
    admin_url: str,
    redis_url: str,
    org: str,
    repeat: int,
    watch_seconds: float,
    json_path: Path | None,
) -> None:
    """Time live dashboards in Chromium.

    The 45-widget dashboard fully rendered, an idle tick's bytes, the tick's server
    time, and an ingest's commit to the new figure on a realtime screen.
    """
    target = BenchTarget(database_url, admin_url, redis_url, org)
    report = live_bench.measure_live(target, repeat, watch_seconds)
    big = report["big_dashboard"]
    click.echo(f"{big['widgets']}-widget dashboard, fully rendered:")
    for kind in ("cold", "warm"):
        click.echo(
            f"  {kind}: p50 {big[kind]['p50']:.0f} ms, p95 {big[kind]['p95']:.0f} ms"
        )
    for name, traffic in report["idle_ticks"].items():
        ticks = [t["bytes"] for t in traffic["ticks"]]
        polls = [p["bytes"] for p in traffic["version_polls"]]
        click.echo(
            f"  idle {name}: ticks {ticks} bytes, {traffic['widget_redraws']} redraws, "
            f"{len(polls)} version polls of {max(polls, default=0)} bytes at most"
        )
    for name, figures in report["tick_server_ms"].items():
        click.echo(
            f"  tick round trip ({name}): p50 {figures['p50']:.1f} ms, "
            f"p95 {figures['p95']:.1f} ms"
        )
    figures = report["ingest_to_figure_ms"]
    click.echo(
        f"  ingest commit to figure: p50 {figures['p50']:.0f} ms, "
        f"p95 {figures['p95']:.0f} ms"
    )
    _write_json(json_path, report)


@bench.command("reports")
@click.option("--database-url", required=True, help=APP_URL_HELP)
@click.option("--admin-url", help=OWNER_URL_HELP)
@org_option
@click.option("--template", default="executive", show_default=True)
@click.option("--repeat", type=int, default=7, show_default=True)
@json_option
def reports(
    database_url: str,
    admin_url: str | None,
    org: str,
    template: str,
    repeat: int,
    json_path: Path | None,
) -> None:
    """Time a dashboard's report files (PDF, Excel, CSV).

    PDF warm (one Chromium kept warm, cached queries) and cold (a fresh cache and a
    Chromium started for the report); Excel and CSV warm and cold (fresh cache).
    """
    target = BenchTarget(database_url, admin_url, None, org)
    report = reports_bench.measure_reports(target, template, repeat)
    click.echo(f"{template} dashboard report files ({repeat} runs, ms):")
    for fmt in ("pdf", "xlsx", "csv"):
        for kind in ("warm", "cold"):
            figures = report[f"{fmt}_{kind}"]
            click.echo(
                f"  {fmt:<4} {kind}: p50 {figures['p50']:.0f}, p95 "
                f"{figures['p95']:.0f} ({figures['n']} runs)"
            )
        click.echo(f"  {fmt:<4} size: {report[f'{fmt}_bytes']:,} bytes")
    _write_json(json_path, report)


@bench.command("deliveries")
@click.option("--database-url", required=True, help=APP_URL_HELP)
@click.option("--admin-url", required=True, help=OWNER_URL_HELP)
@click.option("--redis-url", help="a shared cache (else one per process)")
@org_option
@click.option("--reports", "count", type=int, default=20, show_default=True)
@click.option("--processes", type=int, default=2, show_default=True)
@click.option("--repeat", type=int, default=3, show_default=True)
@json_option
def deliveries(
    database_url: str,
    admin_url: str,
    redis_url: str | None,
    org: str,
    count: int,
    processes: int,
    repeat: int,
    json_path: Path | None,
) -> None:
    """Deliver a burst of scheduled reports due at the same minute.

    COUNT CSV reports, due at once, sent by PROCESSES scheduler processes to an SMTP
    server on loopback: all delivered, none twice, and the time until the last one
    arrived.
    """
    target = BenchTarget(database_url, admin_url, redis_url, org)
    report = deliveries_bench.measure_report_burst(target, count, processes, repeat)
    click.echo(
        f"{count} reports due at the same minute, {processes} scheduler processes, "
        f"{repeat} runs:"
    )
    for run in report["runs"]:
        click.echo(
            f"  delivered {run['delivered']}/{count}, duplicates {run['duplicates']}, "
            f"first after {run['first_arrival_s']:.2f} s, last after "
            f"{run['last_arrival_s']:.2f} s"
        )
    _write_json(json_path, report)


@bench.command("alerts")
@click.option("--database-url", required=True, help=APP_URL_HELP)
@click.option("--admin-url", required=True, help=OWNER_URL_HELP)
@org_option
@click.option("--alerts", "count", type=int, default=1000, show_default=True)
@click.option("--repeat", type=int, default=5, show_default=True)
@json_option
def alerts(
    database_url: str,
    admin_url: str,
    org: str,
    count: int,
    repeat: int,
    json_path: Path | None,
) -> None:
    """Time full evaluation passes over COUNT alerts of the org.

    A mix of threshold, change, anomaly and forecast alerts; each pass is the
    scheduler's ``alerts`` job without delivery. The alerts are deleted afterwards.
    """
    target = BenchTarget(database_url, admin_url, None, org)
    report = alerts_bench.measure_alert_pass(target, count, repeat)
    click.echo(f"{count} alerts, {repeat} evaluation passes:")
    for run in report["runs"]:
        click.echo(
            f"  pass {run['pass']}: {run['seconds']:.2f} s, {run['entities']} entity "
            f"evaluations, {run['changes']} state changes, {run['firing']} firing, "
            f"{run['broken']} broken"
        )
    click.echo(
        f"first pass {report['first_pass_s']:.2f} s; steady median "
        f"{report['steady_median_s']:.2f} s (goal <= {report['goal_s']:.0f} s)"
    )
    _write_json(json_path, report)


@bench.command("alert-webhook")
@click.option("--database-url", required=True, help=APP_URL_HELP)
@click.option("--admin-url", required=True, help=OWNER_URL_HELP)
@org_option
@click.option(
    "--with-alerts",
    "mix",
    type=int,
    default=0,
    show_default=True,
    help="more alerts of the org evaluated with the one that fires",
)
@click.option("--repeat", type=int, default=5, show_default=True)
@json_option
def alert_webhook(
    database_url: str,
    admin_url: str,
    org: str,
    mix: int,
    repeat: int,
    json_path: Path | None,
) -> None:
    """Time an ingest that fires an alert until its webhook arrives on loopback.

    The ingest command as the API calls it (commit, evaluate the org's alerts, send);
    the alert and the state it leaves are deleted afterwards.
    """
    target = BenchTarget(database_url, admin_url, None, org)
    report = alerts_bench.measure_ingest_to_webhook(target, repeat, mix)
    click.echo(
        f"ingest to webhook, {report['alerts']} alert(s) in the org, {repeat} runs: "
        f"p50 {report['p50_ms']:.0f} ms, max {report['max_ms']:.0f} ms "
        f"(each: {report['ingest_to_webhook_ms']})"
    )
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
