"""Dashboard report files benchmark: ``pulse bench reports``.

Times :func:`commands.report_files.render_dashboard_report` for the Executive dashboard
of the benchmark org (made from its template if the org has none), in process, as the
scheduler calls it:

- **PDF, warm**: one Chromium kept warm for the batch (``reports.charts.chart_browser``)
  and the widget queries answered from the cache: layout and chart export alone.
- **PDF, cold**: a fresh query cache and a Chromium started for the report (what a
  single report costs in a process that has made none).
- **Excel** and **CSV**: warm (cached queries) and cold (a fresh cache).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bench.common import BenchTarget, org_id_of
from bench.queries import percentiles
from bench.render import prepare
from commands.report_files import render_dashboard_report
from core.cache import make_cache
from core.db import Database
from core.settings import load_settings
from datasources.cache import QueryCache
from reports.charts import chart_browser

WARM_UP = 3


@dataclass(frozen=True)
class _Context:
    db: Database
    data: QueryCache


def _timed(call: Callable[[], Any], repeat: int) -> tuple[list[float], Any]:
    samples, last = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        last = call()
        samples.append((time.perf_counter() - started) * 1000)
    return samples, last


def measure_reports(
    target: BenchTarget, template: str = "executive", repeat: int = 7
) -> dict[str, Any]:
    """Warm and cold timings (ms) of each format, and the files' sizes."""
    settings = load_settings(database_url=target.database_url, cache_type="simple")
    db, admin = Database(target.database_url), Database(target.owner_url)
    org = org_id_of(admin, target.org)
    dashboard = prepare(admin, target.org, template)

    def fresh_context() -> _Context:
        return _Context(db, QueryCache(db, make_cache(settings)))

    warm_context = fresh_context()

    def render(context: _Context, fmt: str) -> Any:
        return render_dashboard_report(context, org, dashboard, fmt)

    # The machine's load when the run starts: a shared 2-core VM moves these figures.
    report: dict[str, Any] = {
        "template": template,
        "repeat": repeat,
        "load_average_1min": os.getloadavg()[0],
    }
    try:
        with chart_browser():
            # First touches: imports, pools, the browser's tabs and plotly.js JIT (the
            # first PDFs of a fresh Chromium are up to twice as slow).
            for _ in range(WARM_UP):
                render(warm_context, "pdf")
            for fmt in ("pdf", "xlsx", "csv"):
                samples, made = _timed(
                    lambda fmt=fmt: render(warm_context, fmt), repeat
                )
                report[f"{fmt}_warm"] = percentiles(samples)
                report[f"{fmt}_bytes"] = len(made.data)
            for fmt in ("xlsx", "csv"):
                samples, _ = _timed(
                    lambda fmt=fmt: render(fresh_context(), fmt), repeat
                )
                report[f"{fmt}_cold"] = percentiles(samples)
        # Outside any warm block: every PDF starts (and stops) its own Chromium.
        cold_runs = max(3, repeat // 2)
        samples, _ = _timed(lambda: render(fresh_context(), "pdf"), cold_runs)
        report["pdf_cold"] = percentiles(samples)
    finally:
        db.dispose()
        admin.dispose()
    return report
