"""Live dashboards in real headless Chromium: ``pulse bench live``.

Under gunicorn (2 workers, Redis) on the database made by ``pulse bench generate``:

* a 45-widget dashboard (the built-in templates' widgets one under another) fully
  rendered from navigation start, cold and warm;
* the refresh tick when nothing changed: the bytes it sends and receives (from
  Chromium's network log: request headers and body, response headers and body) and
  the bytes of the realtime version poll;
* the tick's server time, measured as the HTTP round trip of the tick's own callback
  request on loopback (an upper bound of the server time), on the Executive and the
  45-widget dashboard;
* from an ingest's commit (``POST /api/v1/ingest`` answered) until the new figure is on
  a realtime screen.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from typing import Any

import numpy as np
import redis
import requests
from sqlalchemy import select

from bench.common import BenchTarget, gunicorn, org_id_of
from bench.render import EMAIL, FULLY_RENDERED, PASSWORD, browser, prepare
from callbacks._filters import FILTER_COMPONENTS
from commands.apikeys import create_api_key
from core.db import Database
from core.models import Dashboard, Org, User
from core.windows import org_today
from dashboards.builtin import builtin_template_documents
from dashboards.schema import parse_template
from dashboards.store import create_dashboard

BIG_DASHBOARD = "Every widget (bench)"
BIG_WIDGETS = 45

# The Total Revenue KPI's number on the Executive dashboard.
REVENUE_TEXT = """
for (const card of document.querySelectorAll('.widget-card')) {
  const title = card.querySelector('.widget-title');
  if (title && title.textContent === 'Total Revenue') {
    const value = card.querySelector('.kpi-value');
    return value ? value.textContent : null;
  }
}
return null;
"""


def big_dashboard_document(widgets: int = BIG_WIDGETS) -> dict:
    """The built-in templates' widgets, each template's block under the previous one,
    the first ``widgets`` of them."""
    placed: list[dict] = []
    offset = 0
    for document in builtin_template_documents():
        bottom = 0
        for widget in document["widgets"]:
            placed.append({**widget, "position_y": widget["position_y"] + offset})
            bottom = max(bottom, widget["position_y"] + widget["height"])
        offset += bottom
    return {
        "schema_version": 1,
        "name": BIG_DASHBOARD,
        "category": "custom",
        "description": "Every built-in widget on one page, for the render benchmark.",
        "layout_config": {"columns": 12, "row_height": 60},
        "refresh_interval": "realtime",
        "widgets": placed[:widgets],
    }


def prepare_big(admin: Database, slug: str) -> int:
    """The 45-widget dashboard in the bench org (made once); its id."""
    prepare(admin, slug, "executive")  # the bench user
    with admin.unscoped_session() as session:
        org = session.scalars(select(Org).where(Org.slug == slug)).one()
        existing = session.scalars(
            select(Dashboard).where(
                Dashboard.org_id == org.id, Dashboard.name == BIG_DASHBOARD
            )
        ).first()
        if existing is not None:
            return existing.id
        user = session.scalars(select(User).where(User.email == EMAIL)).one()
    with admin.session(org.id) as session:
        return create_dashboard(
            session,
            parse_template(big_dashboard_document()),
            org_id=org.id,
            user_id=user.id,
        ).id


def set_interval(admin: Database, dashboard_id: int, interval: str) -> str:
    """Set a dashboard's refresh interval; the one it had."""
    with admin.unscoped_session() as session:
        dashboard = session.get(Dashboard, dashboard_id)
        before, dashboard.refresh_interval = dashboard.refresh_interval, interval
    return before


def stats(values: list[float]) -> dict[str, Any]:
    return {
        "p50": float(np.percentile(values, 50)),
        "p95": float(np.percentile(values, 95)),
        "n": len(values),
        "samples": [round(v, 1) for v in values],
    }


def sign_in(driver, base: str) -> None:
    from selenium.webdriver.common.by import By  # noqa: PLC0415 - test extras only
    from selenium.webdriver.support.ui import WebDriverWait  # noqa: PLC0415 - test extras only

    driver.get(f"{base}/login")
    driver.find_element(By.ID, "email").send_keys(EMAIL)
    driver.find_element(By.ID, "password").send_keys(PASSWORD)
    driver.find_element(By.ID, "login-submit").click()
    WebDriverWait(driver, 30).until(lambda d: d.find_elements(By.ID, "dashboard-list"))


def open_rendered(driver, url: str) -> float:
    """Navigate and wait until fully rendered; milliseconds from navigation start."""
    from selenium.common.exceptions import TimeoutException  # noqa: PLC0415 - test extras only
    from selenium.webdriver.support.ui import WebDriverWait  # noqa: PLC0415 - test extras only

    driver.get(url)
    # A page drawing 45 widgets may keep Chromium's main thread busy for seconds: a
    # check that times out is asked again.
    return float(
        WebDriverWait(
            driver, 180, poll_frequency=0.02, ignored_exceptions=[TimeoutException]
        ).until(lambda d: d.execute_script(FULLY_RENDERED))
    )


def network_exchanges(driver) -> dict[str, dict[str, Any]]:
    """Chromium's network log since the last call, by request id: url, request bytes
    (headers + body), response status and the response bytes Chromium reports
    (``encodedDataLength``: on this loopback HTTP/1.1 the body only)."""
    exchanges: dict[str, dict[str, Any]] = {}
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        method, params = message["method"], message.get("params", {})
        request_id = params.get("requestId")
        if method == "Network.requestWillBeSent":
            request = params["request"]
            exchanges[request_id] = {
                "url": request["url"],
                "body": request.get("postData", ""),
                "request_bytes": len(request.get("postData", "").encode()),
            }
        elif method == "Network.requestWillBeSentExtraInfo" and request_id:
            headers = params.get("headers", {})
            size = sum(len(k) + len(str(v)) + 4 for k, v in headers.items())
            exchanges.setdefault(request_id, {}).setdefault("header_bytes", size)
        elif method == "Network.responseReceived" and request_id:
            exchanges.setdefault(request_id, {})["status"] = params["response"][
                "status"
            ]
        elif method == "Network.loadingFinished" and request_id:
            exchanges.setdefault(request_id, {})["response_bytes"] = params[
                "encodedDataLength"
            ]
    return exchanges


def tick_traffic(driver, seconds: float) -> dict[str, Any]:
    """Watch an open realtime dashboard for ``seconds`` with no data change: every
    refresh tick and version poll, with their bytes."""
    network_exchanges(driver)  # forget what came before
    time.sleep(seconds)
    ticks, polls, redraws = [], [], 0
    for exchange in network_exchanges(driver).values():
        url = exchange.get("url", "")
        total = (
            exchange.get("request_bytes", 0)
            + exchange.get("header_bytes", 0)
            + exchange.get("response_bytes", 0)
        )
        if "/live/version" in url:
            polls.append({"status": exchange.get("status"), "bytes": total})
        elif "_dash-update-component" in url:
            body = exchange.get("body", "")
            if "dashboard-keys-digest.data" in body:
                ticks.append(
                    {
                        "status": exchange.get("status"),
                        "bytes": total,
                        "sent": exchange.get("request_bytes", 0)
                        + exchange.get("header_bytes", 0),
                        "received": exchange.get("response_bytes", 0),
                    }
                )
            elif "widget-body" in body:
                redraws += 1
    return {"ticks": ticks, "version_polls": polls, "widget_redraws": redraws}


# What an unfiltered bar holds (a missing component is None: no value).
UNFILTERED: dict[str, Any] = {
    "filter-date-range": "widget",
    "filter-platforms": [],
    "filter-countries": [],
    "filter-campaigns": [],
    "filter-drill": {},
}


def tick_server_times(base: str, cookies, dashboard_id: int, repeat: int) -> dict:
    """The tick's callback request, as the page sends it, ``repeat`` times: its round
    trip in ms (loopback: server time plus well under a millisecond). The digest sent
    is the one the first answer gave, so every later tick is "nothing changed"."""
    session = requests.Session()
    session.cookies.update(cookies)
    payload: dict[str, Any] = {
        "output": "..dashboard-keys.data...dashboard-keys-digest.data..",
        "outputs": [
            {"id": "dashboard-keys", "property": "data"},
            {"id": "dashboard-keys-digest", "property": "data"},
        ],
        "inputs": [
            {"id": "dashboard-interval", "property": "n_intervals", "value": 1},
            {"id": "dashboard-data-version", "property": "data", "value": None},
        ],
        "changedPropIds": ["dashboard-interval.n_intervals"],
        "state": [
            {"id": "dashboard-id", "property": "data", "value": dashboard_id},
            {"id": "dashboard-keys-digest", "property": "data", "value": None},
            # The filter bar, unfiltered: every component the tick reads.
            *(
                {"id": component, "property": prop, "value": UNFILTERED.get(component)}
                for component, prop in FILTER_COMPONENTS
            ),
        ],
    }
    url = f"{base}/_dash-update-component"
    headers = {"Origin": base, "Content-Type": "application/json"}
    first = session.post(url, json=payload, headers=headers, timeout=30)
    first.raise_for_status()
    digest = first.json()["response"]["dashboard-keys-digest"]["data"]
    payload["state"][1]["value"] = digest
    times, statuses = [], set()
    for _ in range(repeat):
        started = time.perf_counter()
        answer = session.post(url, json=payload, headers=headers, timeout=30)
        times.append((time.perf_counter() - started) * 1000)
        statuses.add(answer.status_code)
    return {**stats(times), "statuses": sorted(statuses)}


def ingest_to_figure(
    driver, base: str, key: str, timezone: str, repeat: int
) -> dict[str, Any]:
    """On the open realtime Executive dashboard: POST one row, then time from the
    committed answer until the Total Revenue figure on screen changes."""
    times = []
    for run in range(repeat):
        before = driver.execute_script(REVENUE_TEXT)
        row = {
            "campaign": "Bench Live Campaign",
            "platform": "meta",
            "date": org_today(timezone).isoformat(),
            "hour": 0,
            "country": "US",
            "spend": 1.0,
            "impressions": 100,
            "clicks": 1,
            "conversions": 1,
            "revenue": 1000.0 + run,
        }
        answer = requests.post(
            f"{base}/api/v1/ingest?unknown_campaigns=create",
            json={"rows": [row]},
            headers={"Authorization": f"Bearer {key}"},
            timeout=30,
        )
        answer.raise_for_status()
        committed = time.perf_counter()
        deadline = committed + 20
        while driver.execute_script(REVENUE_TEXT) in (before, None):
            if time.perf_counter() > deadline:
                raise SystemExit("the new figure did not appear within 20 s")
            time.sleep(0.02)
        times.append((time.perf_counter() - committed) * 1000)
        time.sleep(2)  # let the redraws finish before the next batch
    return stats(times)


def measure_live(
    target: BenchTarget, repeat: int = 5, watch_seconds: float = 46
) -> dict[str, Any]:
    """Every live-dashboard measure (see the module docstring)."""
    from selenium.webdriver.common.by import By  # noqa: PLC0415 - test extras only

    if target.redis_url is None:
        raise ValueError("the live benchmark needs a Redis cache (redis_url)")
    admin = Database(target.owner_url)
    executive = prepare(admin, target.org, "executive")
    big = prepare_big(admin, target.org)
    # The Executive dashboard is realtime for this run only (the render bench opens it
    # at its own interval).
    interval = set_interval(admin, executive, "realtime")
    org = org_id_of(admin, target.org)
    with admin.unscoped_session() as session:
        timezone = session.get(Org, org).timezone
    _, key = create_api_key(admin, target.org, f"bench live {dt.datetime.now():%c}")
    cache = redis.Redis.from_url(target.redis_url)
    report: dict[str, Any] = {}
    with gunicorn(target.database_url, target.redis_url) as (base, _server):
        driver = browser(performance_log=True)
        driver.set_script_timeout(120)
        try:
            sign_in(driver, base)
            big_url = f"{base}/dashboards/{big}"
            for _ in range(2):  # both workers warm, plotly.js cached
                open_rendered(driver, big_url)
            renders: dict[str, list[float]] = {"cold": [], "warm": []}
            for _ in range(repeat):
                for kind in ("cold", "warm"):
                    if kind == "cold":
                        cache.flushdb()
                    renders[kind].append(open_rendered(driver, big_url))
            widgets = len(driver.find_elements(By.CSS_SELECTOR, ".widget-card"))
            report["big_dashboard"] = {
                "widgets": widgets,
                **{kind: stats(values) for kind, values in renders.items()},
            }
            report["idle_ticks"] = {}
            for name, dashboard_id in (("executive", executive), ("big", big)):
                open_rendered(driver, f"{base}/dashboards/{dashboard_id}")
                report["idle_ticks"][name] = tick_traffic(driver, watch_seconds)
            cookies = {c["name"]: c["value"] for c in driver.get_cookies()}
            report["tick_server_ms"] = {
                name: tick_server_times(base, cookies, dashboard_id, 200)
                for name, dashboard_id in (("executive", executive), ("big", big))
            }
            open_rendered(driver, f"{base}/dashboards/{executive}")
            report["ingest_to_figure_ms"] = ingest_to_figure(
                driver, base, key, timezone, repeat
            )
        finally:
            driver.quit()
            set_interval(admin, executive, interval)
            admin.dispose()
    return report
