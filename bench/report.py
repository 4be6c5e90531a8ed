"""Markdown tables from the benchmark results: ``pulse bench report``.

Reads the JSON files that ``pulse bench queries``, ``pulse bench render`` and ``pulse
bench ingest`` write (``--json``) and makes the tables that BENCHMARKS.md quotes, so the
numbers there are copied from measurements, never typed by hand.
"""

from __future__ import annotations

import json
from pathlib import Path

RESULTS = Path(__file__).parent / "results"


def load(path: Path) -> dict | None:
    return json.loads(path.read_text()) if path.exists() else None


def widget_table(large: dict, small: dict | None, part: str) -> list[str]:
    """One row per widget query: cold and warm p50/p95, and the cold p95 growth from the
    small database when it is given."""
    head = "| widget query | cold p50 | cold p95 | warm p50 | warm p95 |"
    rule = "|---|---:|---:|---:|---:|"
    by_widget = {row["widget"]: row for row in small[part]} if small else {}
    if small:
        head += " cold p95 at 0.5M | growth |"
        rule += "---:|---:|"
    lines = [head, rule]
    for row in large[part]:
        cells = [
            row["widget"],
            *(
                f"{row[kind][p]:.1f} ms"
                for kind in ("cold", "warm")
                for p in ("p50", "p95")
            ),
        ]
        if small and row["widget"] in by_widget:
            before = by_widget[row["widget"]]["cold"]["p95"]
            cells += [f"{before:.1f} ms", f"{row['cold']['p95'] / before:.1f}×"]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def summary(result: dict, part: str) -> str:
    rows = result[part]
    cold = sorted(row["cold"]["p95"] for row in rows)
    warm = sorted(row["warm"]["p95"] for row in rows)
    median = cold[len(cold) // 2]
    return (
        f"{len(rows)} queries on {result['hourly_rows']:,} hourly rows ({part}): "
        f"cold p95 median {median:.1f} ms, worst {cold[-1]:.1f} ms; "
        f"{sum(c <= 40 for c in cold)} of {len(cold)} within 40 ms; "
        f"warm p95 worst {warm[-1]:.2f} ms, "
        f"{sum(w <= 3 for w in warm)} of {len(warm)} within 3 ms"
    )


def live_lines(live: dict) -> list[str]:
    """The ``pulse bench live`` figures, one line each."""
    big = live["big_dashboard"]
    lines = [
        f"- {big['widgets']}-widget dashboard fully rendered: cold p50 "
        f"{big['cold']['p50']:.0f} ms, p95 {big['cold']['p95']:.0f} ms; warm p50 "
        f"{big['warm']['p50']:.0f} ms, p95 {big['warm']['p95']:.0f} ms "
        f"({big['warm']['n']} runs each)"
    ]
    for name, traffic in live["idle_ticks"].items():
        ticks = ", ".join(
            f"{t['sent']} B sent, {t['received']} B body back (HTTP {t['status']})"
            for t in traffic["ticks"]
        )
        polls = traffic["version_polls"]
        lines.append(
            f"- idle {name} dashboard, as Chromium counts it (request headers and "
            f"body; response body): ticks {ticks or 'none'}; "
            f"{traffic['widget_redraws']} widget redraws; {len(polls)} version polls, "
            f"{max((p['bytes'] for p in polls), default=0)} B each at most "
            f"(HTTP {sorted({p['status'] for p in polls})})"
        )
    for name, figures in live["tick_server_ms"].items():
        lines.append(
            f"- refresh tick round trip, {name}: p50 {figures['p50']:.1f} ms, "
            f"p95 {figures['p95']:.1f} ms ({figures['n']} ticks, HTTP "
            f"{figures['statuses']})"
        )
    figures = live["ingest_to_figure_ms"]
    lines.append(
        f"- ingest commit to the new figure on a realtime screen: p50 "
        f"{figures['p50']:.0f} ms, p95 {figures['p95']:.0f} ms ({figures['n']} runs)"
    )
    return lines


def report_markdown(results: Path = RESULTS) -> str:
    """The markdown of every result file found in ``results``."""
    out: list[str] = []
    large = load(results / "queries-pg-5m.json")
    small = load(results / "queries-pg-0.5m.json")
    sqlite = load(results / "queries-sqlite-5m.json")
    if large:
        for part in ("http", "in_process"):
            if large.get(part):
                out += [
                    f"### PostgreSQL, {part.replace('_', ' ')}",
                    "",
                    summary(large, part),
                    "",
                    *widget_table(large, small, part),
                    "",
                ]
    if sqlite:
        out += [
            "### SQLite, in process",
            "",
            summary(sqlite, "in_process"),
            "",
            *widget_table(sqlite, None, "in_process"),
            "",
        ]
    for path in sorted(results.glob("render-*.json")):
        render = load(path)
        cold, warm = render["cold"], render["warm"]
        out += [
            f"### Render ({path.stem}): {render['dashboard']}, "
            f"{render['widgets']} widgets",
            "",
            f"cold p50 {cold['p50']:.0f} ms, p95 {cold['p95']:.0f} ms; "
            f"warm p50 {warm['p50']:.0f} ms, p95 {warm['p95']:.0f} ms "
            f"({warm['n']} runs each); gunicorn master + 2 workers "
            f"{render['gunicorn_rss_mb']:.0f} MB resident",
            "",
        ]
    for path in sorted(results.glob("live-*.json")):
        out += [f"### Live dashboards ({path.stem})", "", *live_lines(load(path)), ""]
    for path in sorted(results.glob("filters-*.json")):
        changes = load(path)
        lines = [
            f"- {key}: p50 {figures['p50']:.0f} ms, p95 {figures['p95']:.0f} ms "
            f"({figures['n']} runs); last answer p50 {figures['answered_p50']:.0f} "
            f"ms, p95 {figures['answered_p95']:.0f} ms"
            for key, figures in changes.items()
            if isinstance(figures, dict)
        ]
        out += [
            f"### Filter change ({path.stem}): {changes['dashboard']}, "
            f"{changes['widgets']} widgets, click until every widget is updated",
            "",
            *lines,
            "",
        ]
    for path in sorted(results.glob("kiosk-*.json")):
        kiosk = load(path)
        server, trip = kiosk["server_ms"], kiosk["round_trip_ms"]
        out += [
            f"### Kiosk displays ({path.stem})",
            "",
            f"{kiosk['displays']:,} displays ticking every {kiosk['tick_seconds']:g} s "
            f"for {kiosk['duration_seconds']:g} s: {kiosk['ticks']:,} ticks "
            f"({kiosk['ticks_per_second']:.0f}/s), {kiosk['errors']} errors, "
            f"{kiosk['answers_204']:,} answered 204 (nothing changed); server time "
            f"per tick p50 {server['p50']:.1f} ms, p95 {server['p95']:.1f} ms, p99 "
            f"{server['p99']:.1f} ms; round trip p50 {trip['p50']:.1f} ms, p95 "
            f"{trip['p95']:.1f} ms; an unchanged tick sends "
            f"{kiosk['response_body_bytes_unchanged']} body bytes and "
            f"{kiosk['response_header_bytes_unchanged']} header bytes, and receives "
            f"{kiosk['request_bytes_p50']:.0f} body bytes",
            "",
        ]
    for path in sorted(results.glob("ingest-*.json")):
        ingest = load(path)
        t, c = ingest["throughput"], ingest.get("commit_to_figure")
        line = (
            f"{t['rows']:,} new rows in {t['new_rows_seconds']:.2f} s = "
            f"{t['new_rows_per_second']:,.0f} rows/s; the same rows again "
            f"{t['resend_rows_per_second']:,.0f} rows/s "
            f"({t['resend_rows_written']} written)"
        )
        if c:
            line += (
                f"; POST to the new KPI figure p50 {c['p50_ms']:.0f} ms, p95 "
                f"{c['p95_ms']:.0f} ms ({c['runs']} runs, POST alone p50 "
                f"{c['post_p50_ms']:.0f} ms)"
            )
        out += [f"### Ingest ({path.stem})", "", line, ""]
    for path in sorted(results.glob("reports-*.json")):
        out += report_files_table(path.stem, load(path) or {})
    for path in sorted(results.glob("deliveries-*.json")):
        burst = load(path)
        last = burst["last_arrival_s"]
        runs = burst["runs"]
        out += [
            f"### Report burst ({path.stem})",
            "",
            f"{burst['reports']} {burst['format'].upper()} reports due at the same "
            f"minute, {burst['processes']} scheduler processes, {len(runs)} runs: "
            f"{'all delivered' if burst['all_delivered'] else 'NOT all delivered'}, "
            f"{burst['duplicates']} duplicates; the last one arrived after "
            f"{last['median']:.1f} s (median; {last['min']:.1f}–{last['max']:.1f} s), "
            f"the first after "
            + ", ".join(f"{run['first_arrival_s']:.1f}" for run in runs)
            + " s",
            "",
        ]
    for path in sorted(results.glob("alerts-*.json")):
        passes = load(path)
        out += [
            f"### Alert evaluation ({path.stem})",
            "",
            f"{passes['alerts']:,} alerts, {len(passes['runs'])} passes: first "
            f"{passes['first_pass_s']:.2f} s, then median "
            f"{passes['steady_median_s']:.2f} s (max {passes['steady_max_s']:.2f} s; "
            f"goal {passes['goal_s']:.0f} s); passes "
            + ", ".join(
                f"{run['seconds']:.2f} s ({run['changes']:,} changes)"
                for run in passes["runs"]
            ),
            "",
        ]
    for path in sorted(results.glob("alert-webhook-*.json")):
        hook = load(path)
        out += [
            f"### Ingest to webhook ({path.stem})",
            "",
            f"{hook['alerts']:,} alert(s) in the org, {hook['repeat']} runs: from the "
            f"ingest call to the webhook's arrival p50 {hook['p50_ms']:.0f} ms, max "
            f"{hook['max_ms']:.0f} ms; each "
            + ", ".join(f"{t:,.0f} ms" for t in hook["ingest_to_webhook_ms"]),
            "",
        ]
    return "\n".join(out)


def report_files_table(name: str, run: dict) -> list[str]:
    """``pulse bench reports``: one row per format, warm and cold."""
    lines = [
        f"### Report files ({name}): {run.get('template')}, {run.get('repeat')} runs, "
        f"load average {run.get('load_average_1min', 0):.1f} at the start",
        "",
        "| format | warm p50 | warm p95 | cold p50 | cold p95 | size |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for fmt in ("pdf", "xlsx", "csv"):
        warm, cold = run[f"{fmt}_warm"], run[f"{fmt}_cold"]
        lines.append(
            f"| {fmt} | {warm['p50']:.0f} ms | {warm['p95']:.0f} ms | "
            f"{cold['p50']:.0f} ms | {cold['p95']:.0f} ms | "
            f"{run[f'{fmt}_bytes']:,} B |"
        )
    return [*lines, ""]
