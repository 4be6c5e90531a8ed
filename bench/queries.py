"""Widget-query benchmark: ``python -m bench.queries``.

Times every distinct data-source query that the built-in templates make (each widget's
``query_params`` over its type's defaults), for the org made by ``python -m
bench.generate``:

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

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import ROOT, gunicorn, org_id_of
from core.db import Database

TEMPLATES = ROOT / "dashboards" / "templates"


def template_queries() -> list[tuple[str, str, dict[str, Any]]]:
    """``(label, source, params)`` for each distinct query the built-in templates make."""
    from dashboards.schema import widget_query_params

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


def in_process(args, queries) -> list[dict[str, Any]]:
    from core.cache import make_cache
    from core.settings import load_settings
    from datasources.cache import QueryCache

    settings = load_settings(
        database_url=args.database_url,
        redis_url=args.redis_url,
        cache_type="redis" if args.redis_url else "simple",
    )
    db = Database(args.database_url)
    admin = Database(args.admin_url or args.database_url)
    org = org_id_of(admin, args.org)
    service = QueryCache(db, make_cache(settings))
    rows = []
    for label, source, params in queries:
        service.query(
            org, source, params, fresh=True
        )  # first touch: connections, imports
        cold = time_calls(
            lambda: service.query(org, source, params, fresh=True), args.repeat
        )
        warm = time_calls(lambda: service.query(org, source, params), args.repeat)
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


def over_http(args, queries) -> list[dict[str, Any]]:
    import requests

    from accounts.apikeys import create_key, revoke_key

    admin = Database(args.admin_url or args.database_url)
    _, key = create_key(admin, args.org, name="benchmark")
    http = requests.Session()
    http.headers["Authorization"] = f"Bearer {key}"
    try:
        with gunicorn(args.database_url, args.redis_url) as (base, _):
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
                cold = time_calls(lambda: get(True), args.repeat)
                warm = time_calls(lambda: get(False), args.repeat)
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
        revoke_key(admin, args.org, key[:12])
        admin.dispose()


def rows_in_org(args) -> int:
    from sqlalchemy import func, select

    from core.models import MetricFactHourly

    admin = Database(args.admin_url or args.database_url)
    org = org_id_of(admin, args.org)
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
        f"{'widget query':<58} {'cold p50':>9} {'cold p95':>9} {'warm p50':>9} {'warm p95':>9}"
    )
    for row in rows:
        print(
            f"{row['widget'][:58]:<58} {row['cold']['p50']:>8.1f}ms {row['cold']['p95']:>8.1f}ms "
            f"{row['warm']['p50']:>8.2f}ms {row['warm']['p95']:>8.2f}ms"
        )
    cold95 = max(r["cold"]["p95"] for r in rows)
    warm95 = max(r["warm"]["p95"] for r in rows)
    median = statistics.median(r["cold"]["p50"] for r in rows)
    print(
        f"{'worst p95 / median p50 over widgets':<58} {median:>8.1f}ms {cold95:>8.1f}ms "
        f"{'':>9} {warm95:>8.2f}ms"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.queries",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--database-url",
        required=True,
        help="the app's URL (on PostgreSQL the RLS-bound app role)",
    )
    parser.add_argument(
        "--admin-url", help="the schema owner's URL (API keys, row counts)"
    )
    parser.add_argument(
        "--redis-url", help="use Redis for the cache (else an in-process cache)"
    )
    parser.add_argument("--org", default="bench")
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument(
        "--http", action="store_true", help="also time the HTTP API under gunicorn"
    )
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args(argv)

    queries = template_queries()
    rows = rows_in_org(args)
    print(
        f"{len(queries)} distinct widget queries from the templates; org {args.org!r} has "
        f"{rows:,} hourly fact rows; {args.repeat} runs each"
    )
    report: dict[str, Any] = {
        "hourly_rows": rows,
        "database": args.database_url.split("@")[-1],
        "cache": "redis" if args.redis_url else "simple",
    }
    report["in_process"] = in_process(args, queries)
    print_table("in process (QueryCache)", report["in_process"])
    if args.http:
        report["http"] = over_http(args, queries)
        print_table("HTTP API under gunicorn (2 workers)", report["http"])
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
