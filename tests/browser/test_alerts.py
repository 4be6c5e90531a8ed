"""The alerts page in real Chromium: an editor fills the form, sees the live preview
of the current values, saves; after an evaluation the alert shows firing in the table
and in the navigation bar's count, and its history lists the change; a viewer sees
the table but no form. No console errors."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

from commands.alerts import run_alerts
from core.db import Database
from tests.browser.conftest import PulseServer, console_errors
from tests.browser.test_audit_log import choose
from tests.browser.test_dashboard_management import waiter
from tests.browser.test_executive_dashboard import sign_in
from tests.conftest import org_id, seed_small_demo, sqlite_url


@pytest.fixture(scope="module")
def server(tmp_path_factory, seed_now, output_dir):
    url = sqlite_url(tmp_path_factory.mktemp("alerts-sqlite"))
    seed_small_demo(url, seed_now)
    env = {
        "PULSE_DATABASE_URL": url,
        "PULSE_CACHE_TYPE": "simple",
        "PULSE_OUTBOX_DIR": str(tmp_path_factory.mktemp("outbox")),
    }
    pulse = PulseServer(env, log=output_dir / "server-alerts.log")
    yield pulse, url
    pulse.stop()


def test_bwx030_editor_creates_an_alert_that_fires_and_shows_its_history(
    browser, server, output_dir
):
    pulse, url = server
    sign_in(browser, pulse.url, "editor@acme.example")
    browser.find_element(By.ID, "nav-alerts").click()
    wait = waiter(browser)
    wait.until(lambda d: "No alerts yet" in d.find_element(By.ID, "alert-table").text)
    browser.find_element(By.ID, "alert-name").send_keys("CPA this week")
    choose(browser, "alert-operator", ">=")
    threshold = browser.find_element(By.ID, "alert-threshold")
    threshold.clear()
    threshold.send_keys("0")
    window = browser.find_element(By.ID, "alert-window")
    window.clear()
    window.send_keys("7d")
    choose(browser, "alert-entity", "Each platform")
    pending = browser.find_element(By.ID, "alert-pending")
    pending.clear()
    pending.send_keys("1")
    browser.find_element(By.ID, "alert-recipients").send_keys("ops@acme.example")
    wait.until(
        lambda d: (
            "would fire" in d.find_element(By.ID, "alert-preview").text
            and "Meta" in d.find_element(By.ID, "alert-preview").text
        )
    )
    browser.find_element(By.ID, "alert-save").click()
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "tr.alert-row"))
    assert (
        "Created “CPA this week”" in browser.find_element(By.ID, "alert-message").text
    )
    # The scheduler is off in this server: evaluate as its job would.
    db = Database(url)
    try:
        summary = run_alerts(db, None, org_id(db, "acme"))
    finally:
        db.dispose()
    assert summary["firing"] >= 1
    browser.refresh()
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "tr.alert-state-firing"))
    badge = browser.find_element(By.ID, "nav-alerts-firing").text
    assert badge == "1"
    row = browser.find_element(By.CSS_SELECTOR, "tr.alert-state-firing").text
    assert "CPA this week" in row and "Meta" in row and "(firing)" in row
    browser.find_element(
        By.XPATH, "//tr[contains(@class,'alert-row')]//button[.='History']"
    ).click()
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "tr.alert-history-row"))
    history = browser.find_element(By.CSS_SELECTOR, "table.alert-history").text
    assert "ok → firing" in history and "Meta" in history
    browser.save_screenshot(str(output_dir / "bwx030-alerts.png"))
    assert console_errors(browser) == []


def test_bwx031_a_viewer_sees_the_alerts_without_the_form(browser, server):
    pulse, _ = server
    sign_in(browser, pulse.url, "viewer@acme.example")
    browser.get(f"{pulse.url}/alerts")
    wait = waiter(browser)
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "tr.alert-row"))
    assert browser.find_elements(By.ID, "alert-save") == []
    assert (
        browser.find_elements(
            By.XPATH, "//tr[contains(@class,'alert-row')]//button[.='Delete']"
        )
        == []
    )
    assert console_errors(browser) == []
