"""Filter-change benchmark in real headless Chromium: ``pulse bench filters``.

Serves Pulse with gunicorn (2 workers, Redis cache) on the database made by
``pulse bench generate``, opens the Executive dashboard on the last 30 days, and times
a filter change from the user's click until *every* widget shows the new filters: each
widget's refresh has been answered and applied, no placeholder or Dash loading state is
left, and every chart, table and KPI has drawn (the render benchmark's "fully
rendered"). The change is a click on the first bar of "ROAS by
Platform" (a cross-filter to that platform), then "Clear all". The time is taken in the
page: ``performance.now()`` at the click (a capturing listener) and at the first
animation frame after every widget's refresh request has been answered, no Dash
request is still out, and the page is fully rendered.

*Cold* changes flush Redis just before the click (every widget query runs in the
database); *warm* ones repeat a change whose answers are cached.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import redis

from bench.common import BenchTarget, gunicorn
from bench.render import EMAIL, FULLY_RENDERED, PASSWORD, browser, prepare
from core.db import Database

# Before the click: count the widgets and watch Dash's callback requests; after the
# click, check on every animation frame whether each widget's refresh has been answered,
# no request is still out, and the page is fully rendered.
ARM = (
    """
const state = window.__pulseBench = {
  click: null, done: null, out: 0,
  widgets: document.querySelectorAll('.widget-body').length, answered: new Set(),
};
if (!window.__pulseFetch) {
  window.__pulseFetch = window.fetch;
  window.fetch = function (input, init) {
    const watching = window.__pulseBench;
    const url = typeof input === 'string' ? input : input.url;
    if (!watching || watching.click === null
        || !url.includes('_dash-update-component')) {
      return window.__pulseFetch.apply(this, arguments);
    }
    let widgets = [];
    try {
      const body = JSON.parse(init.body);
      if (String(body.output).includes('widget-body')) {
        // The widget callbacks have several outputs; the cards are the first: one
        // widget's (a tick's refresh) or a list of every widget's (the filters').
        const outputs = Array.isArray(body.outputs) ? body.outputs : [body.outputs];
        const cards = Array.isArray(outputs[0]) ? outputs[0] : [outputs[0]];
        widgets = cards.map(card => card.id.index);
      }
    } catch (error) { /* not a widget's refresh */ }
    watching.out += 1;
    const settled = () => setTimeout(() => {
      // After Dash has read the answer too (as we did) and applied it.
      watching.out -= 1;
      widgets.forEach(widget => watching.answered.add(widget));
      watching.lastAnswer = performance.now();
    }, 0);
    return window.__pulseFetch.apply(this, arguments).then(response => {
      response.clone().text().then(settled, settled);
      return response;
    }, error => {
      settled();
      throw error;
    });
  };
}
const fullyRendered = () => {"""
    + FULLY_RENDERED
    + """};
document.addEventListener('click', () => {
  if (state.click !== null) return;
  state.click = performance.now();
  const watch = () => {
    if (state.answered.size >= state.widgets && state.out === 0
        && fullyRendered() !== null) {
      state.done = performance.now();
    } else {
      requestAnimationFrame(watch);
    }
  };
  requestAnimationFrame(watch);
}, {capture: true, once: true});
"""
)
TOOK = """
const state = window.__pulseBench;
return state.done === null ? null : [state.done - state.click,
                                     state.lastAnswer - state.click];
"""
CHANGES = ("platform bar", "clear all")
READY = {
    "platform bar": "return !!document.querySelector('#filter-chips .filter-chip')",
    "clear all": "return !document.querySelector('#filter-chips .filter-chip')",
}
TO_MIDDLE = "arguments[0].scrollIntoView({block: 'center', behavior: 'instant'})"


def _click(driver, change: str) -> None:
    from selenium.webdriver.common.action_chains import ActionChains  # noqa: PLC0415 - test extras only
    from selenium.webdriver.common.by import By  # noqa: PLC0415 - test extras only

    if change == "platform bar":
        card = driver.find_element(
            By.XPATH,
            "//div[contains(@class,'widget-card')][div[@class='widget-title' and "
            "text()='ROAS by Platform']]",
        )
        bar = card.find_elements(By.CSS_SELECTOR, "g.point path")[0]
        driver.execute_script(TO_MIDDLE, bar)
        ActionChains(driver).move_to_element(bar).click().perform()
    else:
        button = driver.find_element(By.CSS_SELECTOR, "#filter-chips .filter-clear-all")
        driver.execute_script(
            "arguments[0].scrollIntoView({block: 'center', behavior: 'instant'})",
            button,
        )
        button.click()


def measure_filter_change(
    target: BenchTarget, template: str = "executive", repeat: int = 7
) -> dict[str, Any]:
    """Time filter changes on the template's dashboard until every widget is
    updated, ``repeat`` times each, cold and warm.

    Returns:
        ``{"dashboard", "widgets", "<change> cold|warm": {"p50", "p95", "n",
        "samples_ms", "answered_p50", "answered_p95"}}`` for each change in
        :data:`CHANGES`; ``answered`` is until the last callback answer arrived (the
        server's and the network's share; the rest is the browser drawing).
    """
    from selenium.webdriver.common.by import By  # noqa: PLC0415 - test extras only
    from selenium.webdriver.support.ui import WebDriverWait  # noqa: PLC0415 - test extras only

    if target.redis_url is None:
        raise ValueError("the filter benchmark needs a Redis cache (redis_url)")
    admin = Database(target.owner_url)
    dashboard_id = prepare(admin, target.org, template)
    admin.dispose()
    cache = redis.Redis.from_url(target.redis_url)
    timings: dict[str, list[float]] = {
        f"{change} {kind}": [] for change in CHANGES for kind in ("cold", "warm")
    }
    # Until the last callback answer (server and network; the rest is drawing).
    answered: dict[str, list[float]] = {key: [] for key in timings}
    with gunicorn(target.database_url, target.redis_url) as (base, _server):
        driver = browser()
        try:
            driver.get(f"{base}/login")
            driver.find_element(By.ID, "email").send_keys(EMAIL)
            driver.find_element(By.ID, "password").send_keys(PASSWORD)
            driver.find_element(By.ID, "login-submit").click()
            WebDriverWait(driver, 30).until(
                lambda d: d.find_elements(By.ID, "dashboard-list")
            )
            driver.get(f"{base}/dashboards/{dashboard_id}?range=30d")
            WebDriverWait(driver, 60).until(lambda d: d.execute_script(FULLY_RENDERED))

            def change_once(change: str, kind: str) -> None:
                if kind == "cold":
                    cache.flushdb()
                driver.execute_script(ARM)
                _click(driver, change)
                took = WebDriverWait(driver, 60, poll_frequency=0.05).until(
                    lambda d: d.execute_script(TOOK)
                )
                timings[f"{change} {kind}"].append(float(took[0]))
                answered[f"{change} {kind}"].append(float(took[1]))
                # What the next change clicks is on screen (the chips' "Clear all",
                # the unfiltered chart's bars).
                WebDriverWait(driver, 30).until(
                    lambda d: d.execute_script(READY[change])
                )

            # Both workers warmed up: imports, pools, the filtered queries' plans.
            for _ in range(2):
                for change in CHANGES:
                    change_once(change, "warm")
            for key in timings:
                timings[key].clear()
                answered[key].clear()
            for _ in range(repeat):
                for kind in ("cold", "warm"):
                    for change in CHANGES:
                        change_once(change, kind)
            widgets = len(driver.find_elements(By.CSS_SELECTOR, ".widget-card"))
        finally:
            driver.quit()
    report: dict[str, Any] = {"dashboard": template, "widgets": widgets}
    for key, values in timings.items():
        report[key] = {
            "p50": float(np.percentile(values, 50)),
            "p95": float(np.percentile(values, 95)),
            "n": len(values),
            "samples_ms": [round(v) for v in values],
            "answered_p50": float(np.percentile(answered[key], 50)),
            "answered_p95": float(np.percentile(answered[key], 95)),
        }
    return report
