"""Dashboard render benchmark in real headless Chromium: ``pulse bench render``.

Serves Pulse with gunicorn (2 workers, Redis cache) on the database made by
``pulse bench generate``, signs in as a bench user, and times the Executive dashboard
from navigation start until it is *fully rendered*: no widget placeholder left, every
chart has drawn its data, every KPI shows its number, no Dash loading state. *Cold* runs
empty the Redis cache first (every widget query runs in the database); *warm* runs are
answered from it. Also reports the gunicorn processes' memory after the runs.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import redis
from sqlalchemy import select

from accounts.passwords import hash_password
from bench.common import BenchTarget, gunicorn
from core.db import Database
from core.models import Dashboard, Org, User
from dashboards.builtin import create_dashboard_from_template, sync_builtin_templates

EMAIL, PASSWORD = "analyst@bench.example", "bench-password"

FULLY_RENDERED = """
const bodies = document.querySelectorAll('.widget-body');
if (!bodies.length
    || document.querySelector('.widget-placeholder, ._dash-loading')) return null;
// Every graph container holds a drawn Plotly plot (dcc.Graph mounts its plot div only
// once plotly.js has loaded, so an empty container means "not yet", not "no graph").
for (const graph of document.querySelectorAll('.widget-body .dash-graph')) {
  const plot = graph.querySelector('.js-plotly-plot');
  if (!plot || !plot._fullData || !plot.querySelector('.main-svg')) return null;
}
for (const table of document.querySelectorAll('.widget-body.widget-table')) {
  if (!table.querySelector('.ag-center-cols-container .ag-row')) return null;
}
for (const kpi of document.querySelectorAll('.widget-body.widget-kpi_card')) {
  const value = kpi.querySelector('.kpi-value');
  if (!value || !value.textContent.trim()) return null;
}
return performance.now();
"""


# Where a page load's time goes, from the browser's Resource and Navigation Timing
# (milliseconds from navigation start): the HTML, the scripts (plotly.js among them),
# Dash's layout and dependencies, and the widget callbacks (how many ran at once).
PROFILE = """
const entries = performance.getEntriesByType('resource');
const nav = performance.getEntriesByType('navigation')[0];
const pick = (test) => entries.filter((e) => test(e.name));
const span = (list) => list.length
  ? [Math.min(...list.map((e) => e.startTime)),
     Math.max(...list.map((e) => e.responseEnd))]
  : null;
const callbacks = pick((n) => n.includes('_dash-update-component'));
let overlap = 0;
for (const c of callbacks) {
  overlap = Math.max(overlap, callbacks.filter(
    (d) => d.startTime < c.responseEnd && d.responseEnd > c.startTime).length);
}
const waits = callbacks.map((c) => c.responseStart - c.requestStart)
  .sort((a, b) => a - b);
return {
  html_done: nav.responseEnd,
  dom_content_loaded: nav.domContentLoadedEventEnd,
  scripts: span(pick((n) => n.includes('.js'))),
  plotly: span(pick((n) => n.includes('plotly'))),
  layout: span(pick((n) => n.includes('_dash-layout'))),
  dependencies: span(pick((n) => n.includes('_dash-dependencies'))),
  callbacks: span(callbacks),
  callback_count: callbacks.length,
  callbacks_at_once: overlap,
  callback_wait_p50: waits.length ? waits[Math.floor(waits.length / 2)] : null,
  callback_wait_max: waits.length ? waits[waits.length - 1] : null,
};
"""


def prepare(admin: Database, slug: str, template_slug: str) -> int:
    """A bench user and a dashboard from the template in the bench org; its id."""
    with admin.unscoped_session() as session:
        org = session.scalars(select(Org).where(Org.slug == slug)).one()
        user = session.scalars(select(User).where(User.email == EMAIL)).one_or_none()
        if user is None:
            user = User(
                org_id=org.id,
                email=EMAIL,
                full_name="Bench analyst",
                role="editor",
                password_hash=hash_password(PASSWORD),
            )
            session.add(user)
            session.flush()
        sync_builtin_templates(session)
        template = session.scalars(
            select(Dashboard).where(
                Dashboard.org_id.is_(None),
                Dashboard.slug == template_slug,
            )
        ).one()
        existing = session.scalars(
            select(Dashboard).where(
                Dashboard.org_id == org.id,
                Dashboard.name == template.name,
            )
        ).first()
        if existing is not None:
            return existing.id
        return create_dashboard_from_template(
            session, template, org_id=org.id, owner_id=user.id
        ).id


def browser(performance_log: bool = False):
    """Headless Chromium; with ``performance_log`` its network events are kept for
    ``driver.get_log("performance")``."""
    from selenium import webdriver  # noqa: PLC0415 - test extras only
    from selenium.webdriver.chrome.service import Service  # noqa: PLC0415 - test extras only

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--window-size=1400,1400",
    ):
        options.add_argument(argument)
    if performance_log:
        options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def _memory_mb(pid: int, field: str) -> float:
    """``field`` of ``/proc/<pid>/smaps_rollup`` summed over a process and its
    children, in MB."""
    out = subprocess.run(
        ["ps", "-o", "pid=", "--ppid", str(pid), "-p", str(pid)],
        capture_output=True,
        text=True,
    ).stdout
    total_kb = 0
    for process in out.split():
        try:
            rollup = Path(f"/proc/{process}/smaps_rollup").read_text()
        except FileNotFoundError:  # ended since ps listed it
            continue
        for line in rollup.splitlines():
            if line.startswith(f"{field}:"):
                total_kb += int(line.split()[1])
    return total_kb / 1024


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children, in MB (a page the workers
    share counts in each of them)."""
    return _memory_mb(pid, "Rss")


def pss_mb(pid: int) -> float:
    """Proportional memory of a process and its children, in MB: each shared page
    (the libraries the workers have in common) counted once across them, as the
    machine pays for it."""
    return _memory_mb(pid, "Pss")


def measure_render(
    target: BenchTarget, template: str = "executive", repeat: int = 7
) -> dict[str, Any]:
    """Time the template's dashboard fully rendering, cold and warm, ``repeat`` times
    each; also the gunicorn processes' memory afterwards.

    Args:
        target: the database and the Redis cache (required: cold runs flush it).
        template: the slug of the built-in template to render.
        repeat: runs of each kind.

    Returns:
        ``{"dashboard", "widgets", "gunicorn_rss_mb", "cold": {...}, "warm": {...}}``
        with ``p50``, ``p95``, ``n`` and ``samples_ms`` per kind.
    """
    from selenium.webdriver.common.by import By  # noqa: PLC0415 - test extras only
    from selenium.webdriver.support.ui import WebDriverWait  # noqa: PLC0415 - test extras only

    if target.redis_url is None:
        raise ValueError("the render benchmark needs a Redis cache (redis_url)")
    admin = Database(target.owner_url)
    dashboard_id = prepare(admin, target.org, template)
    admin.dispose()
    cache = redis.Redis.from_url(target.redis_url)
    timings: dict[str, list[float]] = {"cold": [], "warm": []}
    with gunicorn(target.database_url, target.redis_url) as (base, server):
        driver = browser()
        try:
            driver.get(f"{base}/login")
            driver.find_element(By.ID, "email").send_keys(EMAIL)
            driver.find_element(By.ID, "password").send_keys(PASSWORD)
            driver.find_element(By.ID, "login-submit").click()
            WebDriverWait(driver, 30).until(
                lambda d: d.find_elements(By.ID, "dashboard-list")
            )
            url = f"{base}/dashboards/{dashboard_id}"
            # Both workers: imports, pools, plotly.js in the browser cache.
            for _ in range(2):
                driver.get(url)
                WebDriverWait(driver, 60).until(
                    lambda d: d.execute_script(FULLY_RENDERED)
                )
            for _ in range(repeat):
                for kind in ("cold", "warm"):
                    if kind == "cold":
                        cache.flushdb()
                    driver.get(url)
                    took = WebDriverWait(driver, 60, poll_frequency=0.02).until(
                        lambda d: d.execute_script(FULLY_RENDERED)
                    )
                    timings[kind].append(float(took))
            widgets = len(driver.find_elements(By.CSS_SELECTOR, ".widget-card"))
            profile = driver.execute_script(PROFILE)
            profile["fully_rendered"] = timings["warm"][-1]
            memory = rss_mb(server.pid)
            proportional = pss_mb(server.pid)
        finally:
            driver.quit()
    report = {
        "dashboard": template,
        "widgets": widgets,
        "gunicorn_rss_mb": round(memory, 1),
        "gunicorn_pss_mb": round(proportional, 1),
        "warm_profile": profile,
    }
    for kind, values in timings.items():
        report[kind] = {
            "p50": float(np.percentile(values, 50)),
            "p95": float(np.percentile(values, 95)),
            "n": len(values),
            "samples_ms": [round(v) for v in values],
        }
    return report
