"""A realtime dashboard in real Chromium, under gunicorn with PostgreSQL and Redis: a
refresh tick with unchanged data redraws nothing, an ingest through the API shows up
without waiting for the interval, and every widget says how old its data is."""

from __future__ import annotations

import datetime as dt
import time

import pytest
import redis
import requests
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import select

from commands.apikeys import create_api_key
from core.db import Database
from core.models import Dashboard, Org, User
from core.windows import org_today
from dashboards.builtin import create_dashboard_from_template, sync_builtin_templates
from tests.browser.conftest import PulseServer, console_errors
from tests.browser.test_executive_dashboard import KPI_VALUE, sign_in
from tests.conftest import PostgresDatabase, seed_small_demo

# Counts, in the page, the callback requests that send widgets new content and the
# refresh ticks, with their HTTP status (Dash's renderer calls window.fetch).
COUNT_REQUESTS = """
if (window.__pulseCounts) return;
window.__pulseCounts = {redraws: 0, ticks: [], versions: []};
const originalFetch = window.fetch;
window.fetch = function (input, init) {
  const url = String(typeof input === 'string' ? input : input.url);
  const body = String((init && init.body) || '');
  const answer = originalFetch(input, init);
  answer.then(function (response) {
    const counts = window.__pulseCounts;
    if (url.includes('/live/version')) counts.versions.push(response.status);
    if (!url.includes('_dash-update-component')) return;
    if (body.includes('dashboard-keys-digest.data')) counts.ticks.push(response.status);
    if (body.includes('widget-body') && response.status === 200) counts.redraws += 1;
  });
  return answer;
};
"""
COUNTS = "return window.__pulseCounts;"
REVENUE = KPI_VALUE.format(title="Total Revenue")
# The ROAS Trend chart's plot, zoomed as a user's drag would (Plotly.relayout), and its
# x range and data as drawn now.
ROAS_PLOT = """
for (const card of document.querySelectorAll('.widget-card')) {
  const title = card.querySelector('.widget-title');
  if (title && title.textContent === 'ROAS Trend') {
    return card.querySelector('.js-plotly-plot');
  }
}
return null;
"""
ZOOM = ROAS_PLOT.replace(
    "return card.querySelector('.js-plotly-plot');",
    "const plot = card.querySelector('.js-plotly-plot');"
    "const x = plot._fullData[0].x;"
    "return Plotly.relayout(plot, {'xaxis.range': [x[x.length - 20], x[x.length - 1]]})"
    ".then(() => plot.layout.xaxis.range.map(String));",
)
X_RANGE = ROAS_PLOT.replace(
    "return card.querySelector('.js-plotly-plot');",
    "const plot = card.querySelector('.js-plotly-plot');"
    "return plot && plot.layout.xaxis.range ? plot.layout.xaxis.range.map(String)"
    " : null;",
)

# The ROAS Trend chart's data as drawn now.
ROAS_DATA = ROAS_PLOT.replace(
    "return card.querySelector('.js-plotly-plot');",
    "const plot = card.querySelector('.js-plotly-plot');"
    "return plot ? JSON.stringify(plot.data.map((t) => t.y)) : null;",
)

PLATFORM_PLOT = ROAS_PLOT.replace("ROAS Trend", "Revenue by Platform")
PLATFORM_DATA = ROAS_DATA.replace("ROAS Trend", "Revenue by Platform")
# The platforms whose Revenue by Platform lines a legend click hid (each platform's
# line and its dotted "so far" part are one legend group).
HIDDEN = PLATFORM_PLOT.replace(
    "return card.querySelector('.js-plotly-plot');",
    "const plot = card.querySelector('.js-plotly-plot');"
    "return [...new Set(plot._fullData.filter((t) => t.visible === 'legendonly')"
    ".map((t) => t.legendgroup))];",
)


def revenue_text(browser) -> str | None:
    """The Total Revenue card's value as shown now (read in one step: the card is
    replaced when it is redrawn)."""
    return browser.execute_script(
        "const node = document.evaluate(arguments[0], document, null,"
        " XPathResult.FIRST_ORDERED_NODE_TYPE, null).singleNodeValue;"
        "return node ? node.textContent : null;",
        REVENUE,
    )


@pytest.fixture(scope="module")
def live_postgres(postgres_admin_url, seed_now):
    """A demo of its own on PostgreSQL: the ingest these tests make (a new campaign)
    must not reach the session's shared demo, whose figures other tests check."""
    database = PostgresDatabase(postgres_admin_url)
    seed_small_demo(database.admin_url, seed_now)
    yield {"admin": database.admin_url, "app": database.app_url}
    database.drop()


@pytest.fixture(scope="module")
def live(live_postgres, redis_url, output_dir):
    """gunicorn (2 workers) on the PostgreSQL demo as the app role, with Redis; a copy
    of the Executive Overview whose refresh interval is ``realtime``; an Acme API
    key."""
    admin = Database(live_postgres["admin"])
    with admin.unscoped_session() as session:
        org = session.scalars(select(Org).where(Org.slug == "acme")).one()
        owner = session.scalars(
            select(User).where(User.email == "viewer@acme.example")
        ).one()
        sync_builtin_templates(session)
        template = session.scalars(
            select(Dashboard).where(
                Dashboard.org_id.is_(None), Dashboard.slug == "executive"
            )
        ).one()
        dashboard = create_dashboard_from_template(
            session, template, org_id=org.id, owner_id=owner.id
        )
        dashboard.name = "Live Executive"
        dashboard.refresh_interval = "realtime"
        dashboard_id, timezone = dashboard.id, org.timezone
    _, key = create_api_key(admin, "acme", "live dashboard test")
    admin.dispose()
    server = PulseServer(
        {
            "PULSE_DATABASE_URL": live_postgres["app"],
            "PULSE_REDIS_URL": redis_url,
            "PULSE_CACHE_TYPE": "redis",
        },
        gunicorn=True,
        log=output_dir / "server-live.log",
    )
    yield server, dashboard_id, key, timezone
    server.stop()
    # Its own database, but the session's Redis: what it cached after its ingest
    # (under the same org ids as the shared demo's) must not answer later tests.
    redis.Redis.from_url(redis_url).flushdb()


def clear_of_the_hour(seconds: float = 75) -> None:
    """Wait until the next ``seconds`` do not cross a UTC hour: the keys of hour-level
    sources hold the UTC hour (their "24h" windows move then), so a tick across it
    rightly redraws those widgets."""
    now = dt.datetime.now(dt.UTC)
    left = 3600 - (now.minute * 60 + now.second)
    if left < seconds:
        time.sleep(left + 2)


def open_live_dashboard(browser, server, dashboard_id):
    sign_in(browser, server.url, "viewer@acme.example")
    browser.get(f"{server.url}/dashboards/{dashboard_id}")
    wait = WebDriverWait(browser, 45)
    wait.until(lambda d: d.find_elements(By.XPATH, REVENUE))
    wait.until(lambda d: not d.find_elements(By.CSS_SELECTOR, ".widget-placeholder"))
    browser.execute_script(COUNT_REQUESTS)
    return wait


def test_bwl001_a_tick_with_unchanged_data_redraws_nothing(browser, live, output_dir):
    server, dashboard_id, _, _ = live
    clear_of_the_hour()
    open_live_dashboard(browser, server, dashboard_id)
    revenue = revenue_text(browser)
    zoomed = browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        f"(function () {{ {ZOOM} }})().then(done);"
    )
    # The dashboard's own interval (15 s for realtime) runs one tick.
    WebDriverWait(browser, 40).until(lambda d: d.execute_script(COUNTS)["ticks"])
    time.sleep(1)  # what that tick would have asked for has had time to arrive
    counts = browser.execute_script(COUNTS)
    assert counts["redraws"] == 0, counts
    # The version was asked every second and never changed: 304s only.
    assert counts["versions"] and set(counts["versions"]) == {304}, counts
    assert revenue_text(browser) == revenue
    # Nothing was redrawn, so the user's zoom is still there.
    assert browser.execute_script(X_RANGE) == zoomed
    # Every widget says how old its data is.
    ages = [
        element.text
        for element in browser.find_elements(By.CSS_SELECTOR, ".widget-age")
    ]
    assert ages and all(age.startswith("updated ") for age in ages), ages
    assert browser.find_element(By.ID, "dashboard-updated").text.startswith("Updated ")
    browser.save_screenshot(str(output_dir / "live-unchanged.png"))
    assert console_errors(browser) == []
    browser.get(f"{server.url}/")  # no polling page open when the next signs out


def test_bwl002_an_ingest_shows_on_a_realtime_dashboard_before_the_next_tick(
    browser, live, output_dir
):
    server, dashboard_id, key, timezone = live
    open_live_dashboard(browser, server, dashboard_id)
    before = revenue_text(browser)
    row = {
        "campaign": "Live Test Campaign",
        "platform": "meta",
        "date": org_today(timezone).isoformat(),
        "hour": 0,
        "country": "US",
        "spend": 10.0,
        "impressions": 1000,
        "clicks": 10,
        "conversions": 1,
        "revenue": 12_345.0,
    }
    started = time.monotonic()
    answer = requests.post(
        f"{server.url}/api/v1/ingest?unknown_campaigns=create",
        json={"rows": [row]},
        headers={"Authorization": f"Bearer {key}"},
        timeout=30,
    )
    assert answer.status_code == 201, answer.text
    # Without waiting for the 15 s interval: the new version runs the tick (the
    # poll's 200 below says so; the wait allows for a loaded CI machine, the time it
    # took is written beside the screenshots).
    WebDriverWait(browser, 20, poll_frequency=0.05).until(
        lambda d: revenue_text(d) not in (before, None)
    )
    took = time.monotonic() - started
    counts = browser.execute_script(COUNTS)
    assert 200 in counts["versions"], counts
    assert counts["redraws"] > 0
    browser.save_screenshot(str(output_dir / "live-after-ingest.png"))
    (output_dir / "live-ingest-to-figure.txt").write_text(
        f"{dt.datetime.now(dt.UTC).isoformat()} ingest to figure: {took:.2f} s\n"
    )
    assert console_errors(browser) == []
    browser.get(f"{server.url}/")


def test_bwl003_a_chart_whose_data_changed_keeps_the_users_zoom(
    browser, live, output_dir
):
    server, dashboard_id, key, timezone = live
    open_live_dashboard(browser, server, dashboard_id)
    before = revenue_text(browser)
    roas_before = browser.execute_script(ROAS_DATA)
    # A user's drag across the middle of the ROAS Trend plot zooms its x axis.
    drag = browser.execute_script(ROAS_PLOT).find_element(By.CSS_SELECTOR, ".nsewdrag")
    ActionChains(browser).move_to_element_with_offset(
        drag, -drag.size["width"] // 4, 0
    ).click_and_hold().move_by_offset(drag.size["width"] // 3, 0).release().perform()
    WebDriverWait(browser, 5).until(lambda d: d.execute_script(X_RANGE))
    zoomed = browser.execute_script(X_RANGE)
    # ... and a click on "TikTok" in the Revenue by Platform legend hides that line.
    platforms = browser.execute_script(PLATFORM_PLOT)
    next(
        item.find_element(By.CSS_SELECTOR, ".legendtoggle")
        for item in platforms.find_elements(By.CSS_SELECTOR, ".traces")
        if item.find_element(By.CSS_SELECTOR, ".legendtext").text == "TikTok"
    ).click()
    WebDriverWait(browser, 5).until(lambda d: d.execute_script(HIDDEN) == ["TikTok"])
    platforms_before = browser.execute_script(PLATFORM_DATA)
    row = {
        "campaign": "Live Test Campaign",
        "platform": "meta",
        "date": org_today(timezone).isoformat(),
        "hour": 1,
        "country": "US",
        "spend": 5.0,
        "impressions": 500,
        "clicks": 5,
        "conversions": 1,
        "revenue": 54_321.0,
    }
    answer = requests.post(
        f"{server.url}/api/v1/ingest?unknown_campaigns=create",
        json={"rows": [row]},
        headers={"Authorization": f"Bearer {key}"},
        timeout=30,
    )
    assert answer.status_code == 201, answer.text
    wait = WebDriverWait(browser, 20, poll_frequency=0.1)
    wait.until(lambda d: revenue_text(d) not in (before, None))
    # The ROAS Trend's data changed on screen (today's ROAS rose) ...
    wait.until(lambda d: d.execute_script(ROAS_DATA) not in (roas_before, None))
    # ... in the same plot, zoomed as the user left it.
    assert browser.execute_script(X_RANGE) == zoomed
    # Meta's revenue line changed too, and TikTok's stays hidden.
    wait.until(lambda d: d.execute_script(PLATFORM_DATA) != platforms_before)
    assert browser.execute_script(HIDDEN) == ["TikTok"]
    browser.save_screenshot(str(output_dir / "live-zoom-kept.png"))
    assert console_errors(browser) == []
    browser.get(f"{server.url}/")
