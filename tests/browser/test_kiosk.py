"""Kiosk wall displays (issue 14) in Chromium, on gunicorn with PostgreSQL and Redis.

Pulse runs scaled (gunicorn, two workers) on the throwaway PostgreSQL and Redis servers
of ``tests/outage.py``, with a short kiosk tick so that a test sees many ticks. The
tests open ``/kiosk/<token>`` with no session at all (the token is the only
credential), at the wall's exact resolutions, and stop and start the app server and
PostgreSQL under an open display. During an outage the console shows the deliberately
failed requests; after recovery there must be no new console error.
"""

from __future__ import annotations

import datetime as dt
import json
import time
import types
from zoneinfo import ZoneInfo

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import select

from accounts.permissions import Caller
from commands.kiosk import create_kiosk_token, create_playlist, revoke_kiosk_token
from core.cache import make_cache
from core.db import Database
from core.models import Dashboard, DashboardWidget, User
from datasources.cache import QueryCache
from tests.browser import conftest as browser_conftest
from tests.browser.conftest import PulseServer, console_errors
from tests.browser.test_audit_log import choose
from tests.browser.test_executive_dashboard import sign_in
from tests.conftest import make_settings
from tests.outage import _outage_postgres_server, outage_postgres, outage_redis

__all__ = ["_outage_postgres_server", "outage_postgres", "outage_redis"]

pytestmark = pytest.mark.postgres

TICK_SECONDS = 1.0
STALE = "kiosk-stale"


class Deployment:
    """gunicorn on the throwaway servers; it can be stopped and started again on the
    same port (the display keeps its address), with another release name to stand
    for a deploy."""

    def __init__(self, urls: dict, redis_url: str, log_dir) -> None:
        self.urls, self.redis_url, self.log_dir = urls, redis_url, log_dir
        self.server: PulseServer | None = None
        self.port: int | None = None
        self.starts = 0

    def start(self, release: str = "first") -> None:
        self.starts += 1
        env = {
            "PULSE_DATABASE_URL": self.urls["app"],
            "PULSE_ADMIN_DATABASE_URL": self.urls["admin"],
            "PULSE_REDIS_URL": self.redis_url,
            "PULSE_CACHE_TYPE": "redis",
            "PULSE_KIOSK_TICK_SECONDS": str(TICK_SECONDS),
            "PULSE_RELEASE": release,
        }
        port = self.port
        original = browser_conftest.free_port
        if port is not None:
            browser_conftest.free_port = lambda: port
        try:
            self.server = PulseServer(
                env, gunicorn=True, log=self.log_dir / f"kiosk-{self.starts}.log"
            )
        finally:
            browser_conftest.free_port = original
        self.port = self.server.port

    def stop(self) -> None:
        assert self.server is not None
        self.server.stop()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture
def deployment(outage_postgres, outage_redis, output_dir):
    postgres, urls = outage_postgres
    running = Deployment(urls, outage_redis.url, output_dir)
    running.start()
    yield postgres, running
    running.stop()


@pytest.fixture
def wall(browser):
    """The browser as a wall display: an exact viewport, cleared afterwards."""

    def resize(width: int, height: int) -> None:
        browser.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
        )

    browser.delete_all_cookies()
    resize(1920, 1080)
    yield resize
    browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    browser.get("about:blank")


class QueryCacheContext(types.SimpleNamespace):
    """What a command runs with: the owner's database and the shared cache."""

    def __init__(self, db: Database, data: QueryCache) -> None:
        super().__init__(db=db, data=data)


def admin_context(
    urls: dict, redis_url: str
) -> tuple[QueryCacheContext, Caller, dict[str, int]]:
    db = Database(urls["admin"])
    with db.unscoped_session() as session:
        admin = session.scalars(
            select(User).where(User.email == "admin@acme.example")
        ).one()
        dashboards = {
            row.name: row.id
            for row in session.scalars(
                select(Dashboard).where(
                    Dashboard.org_id == admin.org_id, Dashboard.is_template.is_(False)
                )
            )
        }
    caller = Caller(admin.org_id, admin.id, "admin")
    # The deployment's shared cache: a revocation marks the token there, as the
    # API's does.
    settings = make_settings(urls["admin"], cache_type="redis", redis_url=redis_url)
    return (
        QueryCacheContext(db, QueryCache(db, make_cache(settings))),
        caller,
        dashboards,
    )


def widget_count(urls: dict, dashboard_id: int) -> int:
    db = Database(urls["admin"])
    with db.unscoped_session() as session:
        count = len(
            session.scalars(
                select(DashboardWidget.id).where(
                    DashboardWidget.dashboard_id == dashboard_id,
                    DashboardWidget.is_shared.is_(True),
                )
            ).all()
        )
    db.dispose()
    return count


def drawn(driver, widgets: int) -> bool:
    cards = driver.find_elements(By.CSS_SELECTOR, ".kiosk-grid .widget-card")
    graphs = driver.find_elements(By.CSS_SELECTOR, ".kiosk-grid .main-svg")
    values = driver.find_elements(By.CSS_SELECTOR, ".kiosk-grid .kpi-value")
    return len(cards) == widgets and len(graphs) >= 2 and all(v.text for v in values)


def stale_shown(driver) -> bool:
    return bool(driver.find_element(By.ID, STALE).text)


def kpi_texts(driver) -> list[str]:
    return [e.text for e in driver.find_elements(By.CSS_SELECTOR, ".kpi-value")]


def open_display(browser, deployment, token: str, widgets: int) -> WebDriverWait:
    browser.get(f"{deployment.url}/kiosk/{token}")
    wait = WebDriverWait(browser, 60)
    wait.until(lambda d: drawn(d, widgets))
    # A marker that a reload would wipe out.
    browser.execute_script("window.kioskNotReloaded = true;")
    return wait


def test_bkx001_a_kiosk_fills_1080p_and_4k_with_data_only(
    browser, wall, deployment, output_dir
):
    _, running = deployment
    context, caller, dashboards = admin_context(running.urls, running.redis_url)
    dashboard_id = dashboards["Executive Overview"]
    _, token = create_kiosk_token(context, caller, "Lobby", dashboard_id=dashboard_id)
    widgets = widget_count(running.urls, dashboard_id)

    for width, height, name in ((1920, 1080, "1080p"), (3840, 2160, "4k")):
        wall(width, height)
        open_display(browser, running, token, widgets)
        time.sleep(2 * TICK_SECONDS)  # a few unchanged ticks, the charts' fonts
        page = browser.execute_script(
            "const d = document.documentElement, g = document.querySelector("
            "'.kiosk-grid').getBoundingClientRect();"
            "return {w: innerWidth, h: innerHeight, sw: d.scrollWidth,"
            " sh: d.scrollHeight, gridBottom: g.bottom, gridRight: g.right,"
            " controls: [...document.querySelectorAll("
            "  'button, input, select, textarea, nav, a[href], .ag-paging-panel')]"
            "  .filter(e => e.getClientRects().length > 0).length,"
            " cursor: getComputedStyle(document.body).cursor,"
            " background: getComputedStyle(document.body).backgroundColor}"
        )
        assert (page["w"], page["h"]) == (width, height)
        # Exactly the screen: nothing scrolls, the grid reaches the bottom edge.
        assert (page["sw"], page["sh"]) == (width, height)
        assert height - 0.02 * height <= page["gridBottom"] <= height
        assert width - 0.02 * width <= page["gridRight"] <= width
        assert page["controls"] == 0
        assert page["cursor"] == "none"
        assert page["background"] == "rgb(3, 7, 18)"
        header = browser.find_element(By.CLASS_NAME, "kiosk-header").text
        assert "Executive Overview" in header and "Data as of" in header
        # The clock is the org's (America/New_York), not the browser's (UTC).
        clock = browser.find_element(By.ID, "kiosk-clock").text
        new_york = dt.datetime.now(ZoneInfo("America/New_York"))
        allowed = {f"{new_york + dt.timedelta(minutes=m):%H:%M}" for m in (-1, 0, 1)}
        assert clock in allowed
        # Type grows with the screen: the KPI values are larger on 4K.
        size = browser.execute_script(
            "return parseFloat(getComputedStyle(document.querySelector("
            "'.kpi-value')).fontSize)"
        )
        assert size >= 24 * width / 1920
        assert browser.find_elements(By.CSS_SELECTOR, ".widget-error") == []
        browser.save_screenshot(str(output_dir / f"kiosk-{name}.png"))
        assert console_errors(browser) == []


def test_bkx002_the_display_keeps_its_data_while_the_app_server_is_stopped(
    browser, wall, deployment, output_dir
):
    _, running = deployment
    context, caller, dashboards = admin_context(running.urls, running.redis_url)
    dashboard_id = dashboards["Executive Overview"]
    _, token = create_kiosk_token(context, caller, "Hall", dashboard_id=dashboard_id)
    widgets = widget_count(running.urls, dashboard_id)
    wait = open_display(browser, running, token, widgets)
    before = kpi_texts(browser)

    running.stop()
    WebDriverWait(browser, 20).until(stale_shown)
    assert "Not updated since" in browser.find_element(By.ID, STALE).text
    time.sleep(4 * TICK_SECONDS)
    # The last data stays on screen, never an error.
    assert kpi_texts(browser) == before
    assert browser.find_elements(By.CSS_SELECTOR, ".widget-error") == []
    browser.save_screenshot(str(output_dir / "kiosk-app-server-down.png"))

    running.start()
    wait.until(lambda d: not stale_shown(d))
    assert browser.execute_script("return window.kioskNotReloaded === true")
    assert drawn(browser, widgets)
    console_errors(browser)  # the outage's own failed requests
    time.sleep(3 * TICK_SECONDS)
    assert console_errors(browser) == []


def test_bkx003_the_display_keeps_its_data_while_postgresql_is_stopped(
    browser, wall, deployment, output_dir
):
    postgres, running = deployment
    context, caller, dashboards = admin_context(running.urls, running.redis_url)
    dashboard_id = dashboards["Platform Health"]
    _, token = create_kiosk_token(context, caller, "Ops", dashboard_id=dashboard_id)
    context.db.dispose()
    widgets = widget_count(running.urls, dashboard_id)
    wait = open_display(browser, running, token, widgets)
    drawn = browser.find_element(By.CLASS_NAME, "kiosk-grid").text

    postgres.stop()
    WebDriverWait(browser, 30).until(stale_shown)
    # What is on screen once the outage shows stays there, tick after tick (a tick
    # that landed just before the stop may have redrawn a card: compare from here).
    titles = browser.find_element(By.CLASS_NAME, "kiosk-grid").text
    assert titles and titles.splitlines()[0] == drawn.splitlines()[0]
    time.sleep(3 * TICK_SECONDS)
    assert browser.find_element(By.CLASS_NAME, "kiosk-grid").text == titles
    page = browser.find_element(By.TAG_NAME, "body").text
    assert "Traceback" not in page and "OperationalError" not in page
    browser.save_screenshot(str(output_dir / "kiosk-postgres-down.png"))

    postgres.start()
    wait.until(lambda d: not stale_shown(d))
    assert browser.execute_script("return window.kioskNotReloaded === true")
    console_errors(browser)
    time.sleep(3 * TICK_SECONDS)
    assert console_errors(browser) == []


def test_bkx004_a_revoked_token_disconnects_the_display(
    browser, wall, deployment, output_dir
):
    _, running = deployment
    context, caller, dashboards = admin_context(running.urls, running.redis_url)
    playlist = create_playlist(
        context,
        caller,
        "Wall",
        [
            {"dashboard_id": dashboards["Executive Overview"], "seconds": 5},
            {"dashboard_id": dashboards["Platform Health"], "seconds": 5},
        ],
    )
    row, token = create_kiosk_token(context, caller, "Wall", playlist_id=playlist.id)
    browser.get(f"{running.url}/kiosk/{token}")
    wait = WebDriverWait(browser, 60)
    # The playlist turns: both dashboards come on screen in turn.
    seen: set[str] = set()
    deadline = time.monotonic() + 40
    while len(seen) < 2 and time.monotonic() < deadline:
        seen.update(e.text for e in browser.find_elements(By.ID, "kiosk-title"))
        seen.discard("")
        time.sleep(0.5)
    assert {"Executive Overview", "Platform Health"} <= seen

    revoke_kiosk_token(context, caller, row.id)
    wait.until(
        lambda d: (
            "This display was disconnected" in d.find_element(By.TAG_NAME, "body").text
        )
    )
    assert browser.find_elements(By.CSS_SELECTOR, ".kiosk-grid") == []
    browser.save_screenshot(str(output_dir / "kiosk-disconnected.png"))
    assert console_errors(browser) == []


def test_bkx005_after_a_deploy_the_display_reloads_itself(
    browser, wall, deployment, output_dir
):
    _, running = deployment
    context, caller, dashboards = admin_context(running.urls, running.redis_url)
    dashboard_id = dashboards["Platform Health"]
    _, token = create_kiosk_token(context, caller, "Deploy", dashboard_id=dashboard_id)
    widgets = widget_count(running.urls, dashboard_id)
    wait = open_display(browser, running, token, widgets)

    running.stop()
    WebDriverWait(browser, 20).until(stale_shown)
    running.start(release="second")
    wait.until(lambda d: d.execute_script("return window.kioskNotReloaded !== true"))
    wait.until(lambda d: drawn(d, widgets) and not stale_shown(d))
    console_errors(browser)
    time.sleep(3 * TICK_SECONDS)
    assert console_errors(browser) == []


def test_bkx006_the_page_does_not_grow_over_many_ticks(
    browser, wall, deployment, output_dir
):
    _, running = deployment
    context, caller, dashboards = admin_context(running.urls, running.redis_url)
    dashboard_id = dashboards["Executive Overview"]
    _, token = create_kiosk_token(context, caller, "Heap", dashboard_id=dashboard_id)
    widgets = widget_count(running.urls, dashboard_id)
    open_display(browser, running, token, widgets)

    def heap() -> int:
        browser.execute_cdp_cmd("HeapProfiler.collectGarbage", {})
        return browser.execute_cdp_cmd("Runtime.getHeapUsage", {})["usedSize"]

    ticks = lambda: browser.execute_script(  # noqa: E731
        "return document.querySelector('#kiosk-clock') && performance.getEntriesByType"
        "('resource').filter(e => e.name.includes('_dash-update-component')).length"
    )
    time.sleep(10 * TICK_SECONDS)  # warm up: fonts, first redraws
    browser.execute_script("performance.clearResourceTimings()")
    baseline = heap()
    time.sleep(60 * TICK_SECONDS)
    after = heap()
    (output_dir / "kiosk-heap.json").write_text(
        json.dumps({"baseline": baseline, "after_60_ticks": after, "ticks": ticks()})
    )
    assert ticks() >= 40  # the display kept ticking
    # Garbage collected, the page holds no more than it did (plus a little slack).
    assert after - baseline < 1_000_000, (baseline, after)
    assert console_errors(browser) == []


def test_bkx007_an_admin_makes_a_display_link_and_revokes_it_on_the_page(
    browser, wall, deployment, output_dir
):
    _, running = deployment
    wall(1400, 1000)
    sign_in(browser, running.url, "admin@acme.example")
    browser.get(f"{running.url}/kiosks")
    wait = WebDriverWait(browser, 30)
    wait.until(lambda d: d.find_elements(By.ID, "kiosks-token-create"))
    browser.find_element(By.ID, "kiosks-token-name").send_keys("Reception")
    choose(browser, "kiosks-token-target", "Dashboard: Platform Health")
    browser.find_element(By.ID, "kiosks-token-create").click()
    url = wait.until(lambda d: d.find_elements(By.ID, "kiosks-token-url"))[0].text
    assert "/kiosk/kiosk_" in url
    wait.until(lambda d: "Reception" in d.find_element(By.ID, "kiosks-tokens").text)
    # The token itself is on the page this once, never in the list.
    assert (
        url.rsplit("/", 1)[1] not in browser.find_element(By.ID, "kiosks-tokens").text
    )
    browser.save_screenshot(str(output_dir / "kiosk-admin-page.png"))
    assert console_errors(browser) == []

    # The link works without the admin's session.
    browser.delete_all_cookies()
    browser.get(url)
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, ".kiosk-grid .widget-card"))
    assert browser.find_element(By.ID, "kiosk-title").text == "Platform Health"

    sign_in(browser, running.url, "admin@acme.example")
    browser.get(f"{running.url}/kiosks")
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, ".kiosks-token-row"))
    _revoke_named(browser, "Reception")
    wait.until(lambda d: "revoked" in d.find_element(By.ID, "kiosks-tokens").text)
    browser.delete_all_cookies()
    browser.get(url)
    wait.until(
        lambda d: (
            "This display was disconnected" in d.find_element(By.TAG_NAME, "body").text
        )
    )
    assert console_errors(browser) == []

    # Anyone else is told the page is for admins.
    sign_in(browser, running.url, "viewer@acme.example")
    browser.get(f"{running.url}/kiosks")
    wait.until(lambda d: d.find_elements(By.ID, "kiosks-refused"))


def _revoke_named(browser, name: str) -> None:
    for row in browser.find_elements(By.CSS_SELECTOR, ".kiosks-token-row"):
        if row.find_element(By.TAG_NAME, "td").text == name:
            row.find_element(By.TAG_NAME, "button").click()
            return
    raise AssertionError(f"no token row {name!r}")


def test_bkx008_with_redis_stopped_the_display_goes_on_from_the_database(
    browser, wall, deployment, outage_redis, output_dir
):
    _, running = deployment
    context, caller, dashboards = admin_context(running.urls, running.redis_url)
    dashboard_id = dashboards["Platform Health"]
    _, token = create_kiosk_token(context, caller, "Cache", dashboard_id=dashboard_id)
    widgets = widget_count(running.urls, dashboard_id)
    wait = open_display(browser, running, token, widgets)

    outage_redis.stop()
    time.sleep(5 * TICK_SECONDS)
    assert drawn(browser, widgets)
    assert not stale_shown(browser)
    assert browser.find_elements(By.CSS_SELECTOR, ".widget-error") == []
    outage_redis.start()
    time.sleep(3 * TICK_SECONDS)
    wait.until(lambda d: drawn(d, widgets))
    assert browser.execute_script("return window.kioskNotReloaded === true")
    assert console_errors(browser) == []
