"""PostgreSQL or Redis stops under an open dashboard, then comes back (issue 12), in
Chromium.

Pulse runs on the throwaway PostgreSQL server of ``tests/outage.py`` (as the RLS-bound
app role), embedded (``python app.py``) or scaled (gunicorn with two workers and the
throwaway ``redis-server``); the tests stop and start those servers for real. During a
database outage the browser's console shows the deliberately failed requests (503s);
after recovery there must be no new console error, which is what the tests assert. A
Redis outage must not show at all.
"""

from __future__ import annotations

import time

import pytest
import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser.conftest import PulseServer, console_errors
from tests.browser.test_executive_dashboard import KPI_VALUE, sign_in
from tests.outage import _outage_postgres_server, outage_postgres, outage_redis

__all__ = ["_outage_postgres_server", "outage_postgres", "outage_redis"]

pytestmark = pytest.mark.postgres

BANNER = "pulse-outage-banner"


@pytest.fixture
def pulse_on_throwaway_postgres(outage_postgres, output_dir):
    postgres, urls = outage_postgres
    server = PulseServer(
        {
            "PULSE_DATABASE_URL": urls["app"],
            "PULSE_ADMIN_DATABASE_URL": urls["admin"],
            "PULSE_CACHE_TYPE": "simple",
        },
        log=output_dir / "server-outage.log",
    )
    yield postgres, server
    server.stop()


def open_executive(browser, server) -> WebDriverWait:
    sign_in(browser, server.url, "viewer@acme.example")
    browser.find_element(By.LINK_TEXT, "Executive Overview").click()
    wait = WebDriverWait(browser, 45)
    wait_until_drawn(wait)
    return wait


def wait_until_drawn(wait: WebDriverWait) -> None:
    wait.until(
        EC.visibility_of_element_located(
            (By.XPATH, KPI_VALUE.format(title="Total Revenue"))
        )
    )
    wait.until(lambda d: not d.find_elements(By.CSS_SELECTOR, ".widget-placeholder"))
    wait.until(
        lambda d: (
            len(d.find_elements(By.CSS_SELECTOR, ".widget-graph .scatterlayer .trace"))
            >= 2
        )
    )


def banner_shown(driver) -> bool:
    found = driver.find_elements(By.ID, BANNER)
    return bool(found) and found[0].is_displayed()


def test_bwx003_an_open_dashboard_says_data_is_unavailable_and_recovers(
    browser, pulse_on_throwaway_postgres, output_dir
):
    postgres, server = pulse_on_throwaway_postgres
    wait = open_executive(browser, server)
    assert console_errors(browser) == []
    browser.save_screenshot(str(output_dir / "outage-1-before.png"))

    updated = browser.find_element(By.ID, "dashboard-updated").text
    time.sleep(1.0)  # the label says seconds: a refresh after recovery changes it

    postgres.stop()
    browser.find_element(By.ID, "dashboard-refresh-button").click()
    WebDriverWait(browser, 20).until(banner_shown)
    banner = browser.find_element(By.ID, BANNER)
    assert "Data is unavailable" in banner.text and "Retrying" in banner.text
    page = browser.find_element(By.TAG_NAME, "body").text
    assert "Traceback" not in page and "OperationalError" not in page
    # What was on screen stays there under the banner.
    assert browser.find_elements(By.XPATH, KPI_VALUE.format(title="Total Revenue"))
    browser.save_screenshot(str(output_dir / "outage-2-database-down.png"))

    postgres.start()
    WebDriverWait(browser, 20).until(lambda d: not banner_shown(d))
    # The errors so far are the outage's own failed requests; none may follow.
    console_errors(browser)
    # The widgets were refreshed by themselves: the label moved on, every widget drew.
    wait.until(
        lambda d: d.find_element(By.ID, "dashboard-updated").text not in ("", updated)
    )
    wait_until_drawn(wait)
    assert browser.find_elements(By.CSS_SELECTOR, ".widget-error") == []
    time.sleep(1.0)
    browser.save_screenshot(str(output_dir / "outage-3-recovered.png"))
    assert console_errors(browser) == []


def test_bwx004_a_page_opened_while_the_database_is_down_reloads_itself(
    browser, pulse_on_throwaway_postgres, output_dir
):
    postgres, server = pulse_on_throwaway_postgres
    open_executive(browser, server)
    dashboard_url = browser.current_url

    postgres.stop()
    browser.get(dashboard_url)
    message = WebDriverWait(browser, 20).until(
        EC.visibility_of_element_located((By.ID, "unavailable"))
    )
    assert "Pulse cannot reach its database" in message.text
    assert "retrying" in message.text.lower()
    assert "Traceback" not in browser.page_source
    browser.save_screenshot(str(output_dir / "outage-4-page-while-down.png"))

    postgres.start()
    # The page reloads itself every 10 s and shows the dashboard again.
    wait = WebDriverWait(browser, 40)
    wait.until(EC.presence_of_element_located((By.ID, "dashboard-grid")))
    console_errors(browser)  # the 503 of the page loaded during the outage
    wait_until_drawn(wait)
    time.sleep(1.0)
    browser.save_screenshot(str(output_dir / "outage-5-page-recovered.png"))
    assert console_errors(browser) == []


def test_bwx005_with_redis_down_the_scaled_dashboard_works_from_the_database(
    browser, outage_postgres, outage_redis, output_dir
):
    _, urls = outage_postgres
    log = output_dir / "server-redis-outage.log"
    server = PulseServer(
        {
            "PULSE_DATABASE_URL": urls["app"],
            "PULSE_ADMIN_DATABASE_URL": urls["admin"],
            "PULSE_CACHE_TYPE": "redis",
            "PULSE_REDIS_URL": outage_redis.url,
        },
        gunicorn=True,
        log=log,
    )
    try:
        wait = open_executive(browser, server)
        total = browser.find_element(By.XPATH, KPI_VALUE.format(title="Total Revenue"))
        figure = total.text
        updated = browser.find_element(By.ID, "dashboard-updated").text
        time.sleep(1.0)

        outage_redis.stop()
        for _ in range(3):
            browser.find_element(By.ID, "dashboard-refresh-button").click()
            wait.until(
                lambda d, before=updated: (
                    d.find_element(By.ID, "dashboard-updated").text not in ("", before)
                )
            )
            wait_until_drawn(wait)
            updated = browser.find_element(By.ID, "dashboard-updated").text
            time.sleep(1.0)
        assert not banner_shown(browser)
        assert browser.find_elements(By.CSS_SELECTOR, ".widget-error") == []
        total = browser.find_element(By.XPATH, KPI_VALUE.format(title="Total Revenue"))
        assert total.text == figure
        health = requests.get(f"{server.url}/healthz", timeout=10)
        assert health.status_code == 200
        assert health.json()["degraded"] == ["cache"]
        browser.save_screenshot(str(output_dir / "outage-6-redis-down.png"))
        assert console_errors(browser) == []

        outage_redis.start()
        time.sleep(3.5)  # the workers' back-off
        browser.find_element(By.ID, "dashboard-refresh-button").click()
        wait.until(
            lambda d: list(outage_redis.client().scan_iter(match="pulse:data:*"))
        )
        assert console_errors(browser) == []
    finally:
        server.stop()
    # One warning per worker that noticed (two workers), not one per request.
    warnings = [line for line in log.read_text().splitlines() if "unreachable" in line]
    assert 1 <= len(warnings) <= 2, warnings
