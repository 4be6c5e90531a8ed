"""Widget-query benchmark: ``pulse bench queries``.

Times every distinct data-source query that the built-in templates make (each widget's
``query_params`` over its type's defaults), for the org made by ``pulse bench
generate``:

- **cold**: the cache cannot answer (``fresh``), so the query runs in the database and
  its result is stored;
- **warm**: the same query answered from the cache.

In-process it goes through :class:`datasources.cache.QueryCache` (Redis when
``--redis-url`` is given). With ``--http`` it starts gunicorn (2 workers) on the same
database and cache and times ``GET /api/v1/data/<source>`` with an org API key, the
way a dashboard or a provisioning script asks; ``fresh=1`` makes the cold requests.

Prints a table and, with ``--json``, writes the figures for BENCHMARKS.md.
"""

from __future__ import annotations

import json
import statistics
import time
from typing import Any

import numpy as np
from sqlalchemy import func, select

from accounts.apikeys import create_key, revoke_key
from bench.common import ROOT, BenchTarget, gunicorn, org_id_of
from core.cache import make_cache
from core.db import Database
from core.models import MetricFactHourly
from core.settings import load_settings
from dashboards.schema import widget_query_params
from datasources.cache import QueryCache

TEMPLATES = ROOT / "dashboards" / "templates"


def template_queries() -> list[tuple[str, str, dict[str, Any]]]:
    """``(label, source, params)`` for each distinct query the built-in templates
    make."""
    seen: dict[str, tuple[str, str, dict[str, Any]]] = {}
    for path in sorted(TEMPLATES.glob("*.json")):
        template = json.loads(path.read_text())
        for widget in template["widgets"]:
            params = widget_query_params(
                widget["type"], widget["data_source"], widget.get("query_params", {})
            )
            key = json.dumps([widget["data_source"], params], sort_keys=True)
            seen.setdefault(
                key, (f"{path.stem}: {widget['title']}", widget["data_source"], params)
            )
    return list(seen.values())


def percentiles(samples_ms: list[float]) -> dict[str, float]:
    values = np.asarray(samples_ms)
    return {
        "p50": float(np.percentile(values, 50)),
        "p95": float(np.percentile(values, 95)),
        "max": float(values.max()),
        "n": len(samples_ms),
    }


def time_calls(call, repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def in_process(
    target: BenchTarget, queries: list[tuple[str, str, dict[str, Any]]], repeat: int
) -> list[dict[str, Any]]:
    """Cold and warm timings of each query through :class:`QueryCache`."""
    settings = load_settings(
        database_url=target.database_url,
        redis_url=target.redis_url,
        cache_type="redis" if target.redis_url else "simple",
    )
    db = Database(target.database_url)
    admin = Database(target.owner_url)
    org = org_id_of(admin, target.org)
    service = QueryCache(db, make_cache(settings))
    rows = []
    for label, source, params in queries:

        def run(fresh: bool, source: str = source, params: dict = params) -> None:
            service.query(org, source, params, fresh=fresh)

        run(True)  # first touch: connections, imports
        cold = time_calls(lambda: run(True), repeat)
        warm = time_calls(lambda: run(False), repeat)
        rows.append(
            {
                "widget": label,
                "source": source,
                "params": params,
                "cold": percentiles(cold),
                "warm": percentiles(warm),
            }
        )
    db.dispose()
    admin.dispose()
    return rows


def over_http(
    target: BenchTarget, queries: list[tuple[str, str, dict[str, Any]]], repeat: int
) -> list[dict[str, Any]]:
    """Cold (``fresh=1``) and warm timings of each query through the HTTP API under
    gunicorn, with an org API key made for the run and revoked after it."""
    import requests  # noqa: PLC0415 - test extras only

    admin = Database(target.owner_url)
    _, key = create_key(admin, target.org, name="benchmark")
    http = requests.Session()
    http.headers["Authorization"] = f"Bearer {key}"
    try:
        with gunicorn(target.database_url, target.redis_url) as (base, _):
            rows = []
            for label, source, params in queries:
                url = f"{base}/api/v1/data/{source}"

                def get(fresh: bool, url: str = url, params: dict = params) -> None:
                    query = {k: v for k, v in params.items() if v is not None}
                    response = http.get(
                        url,
                        params={**query, **({"fresh": "1"} if fresh else {})},
                        timeout=30,
                    )
                    response.raise_for_status()

                for _ in range(
                    4
                ):  # both workers: imports, pools, first compiled statements
                    get(True)
                cold = time_calls(lambda: get(True), repeat)
                warm = time_calls(lambda: get(False), repeat)
                rows.append(
                    {
                        "widget": label,
                        "source": source,
                        "params": params,
                        "cold": percentiles(cold),
                        "warm": percentiles(warm),
                    }
                )
            return rows
    finally:
        revoke_key(admin, target.org, key[:12])
        admin.dispose()


def rows_in_org(target: BenchTarget) -> int:
    """How many hourly fact rows the benchmark org has."""
    admin = Database(target.owner_url)
    org = org_id_of(admin, target.org)
    with admin.unscoped_session() as session:
        count = session.scalar(
            select(func.count())
            .select_from(MetricFactHourly)
            .where(MetricFactHourly.org_id == org)
        )
    admin.dispose()
    return int(count)


def print_table(title: str, rows: list[dict[str, Any]]) -> None:
    print(f"\n{title}")
    print(
        f"{'widget query':<58} {'cold p50':>9} {'cold p95':>9} {'warm p50':>9} "
        f"{'warm p95':>9}"
    )
    for row in rows:
        cold, warm = row["cold"], row["warm"]
        print(
            f"{row['widget'][:58]:<58} {cold['p50']:>8.1f}ms {cold['p95']:>8.1f}ms "
            f"{warm['p50']:>8.2f}ms {warm['p95']:>8.2f}ms"
        )
    cold95 = max(r["cold"]["p95"] for r in rows)
    warm95 = max(r["warm"]["p95"] for r in rows)
    median = statistics.median(r["cold"]["p50"] for r in rows)
    print(
        f"{'worst p95 / median p50 over widgets':<58} {median:>8.1f}ms "
        f"{cold95:>8.1f}ms {'':>9} {warm95:>8.2f}ms"
    )
