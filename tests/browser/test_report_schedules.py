"""The scheduled reports page in real Chromium: an editor creates a schedule with the
form (its next five runs shown in its zone), sends it now and reads the delivery log;
a viewer sees the schedules and the log but no form."""

from __future__ import annotations

from pathlib import Path

import pytest
from selenium.webdriver.common.by import By

from tests.browser.conftest import PulseServer, console_errors
from tests.browser.test_audit_log import choose
from tests.browser.test_dashboard_management import waiter
from tests.browser.test_executive_dashboard import sign_in
from tests.conftest import seed_small_demo, sqlite_url


@pytest.fixture(scope="module")
def server(tmp_path_factory, seed_now, output_dir):
    url = sqlite_url(tmp_path_factory.mktemp("reports-sqlite"))
    seed_small_demo(url, seed_now)
    outbox = tmp_path_factory.mktemp("outbox")
    env = {
        "PULSE_DATABASE_URL": url,
        "PULSE_CACHE_TYPE": "simple",
        "PULSE_OUTBOX_DIR": str(outbox),
    }
    pulse = PulseServer(env, log=output_dir / "server-reports.log")
    yield pulse, outbox
    pulse.stop()


def test_bwx020_editor_creates_a_schedule_sends_it_and_reads_the_log(
    browser, server, output_dir
):
    pulse, outbox = server
    sign_in(browser, pulse.url, "editor@acme.example")
    browser.find_element(By.ID, "nav-reports").click()
    wait = waiter(browser)
    wait.until(lambda d: "No report schedules yet" in d.page_source)
    browser.find_element(By.ID, "report-name").send_keys("Monday numbers")
    choose(browser, "report-dashboard", "Executive Overview")
    browser.find_element(By.XPATH, "//label[normalize-space()='CSV']").click()
    choose(browser, "report-timezone", "America/New_York")
    browser.find_element(By.ID, "report-recipients").send_keys(
        "cfo@acme.example, growth@acme.example"
    )
    wait.until(
        lambda d: "Next runs: Mon" in d.find_element(By.ID, "report-next-runs").text
    )
    browser.find_element(By.ID, "report-save").click()
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "tr.report-schedule-row"))
    row = browser.find_element(By.CSS_SELECTOR, "tr.report-schedule-row").text
    assert "Monday numbers" in row and "Executive Overview" in row
    assert "weekly on Monday at 09:00 America/New_York" in row
    runs = browser.find_elements(By.CSS_SELECTOR, ".report-next-runs li")
    assert len(runs) == 5
    assert all("09:00" in r.text and r.text.startswith("Mon") for r in runs)
    browser.find_element(
        By.XPATH, "//tr[contains(@class,'report-schedule-row')]//button[.='Send now']"
    ).click()
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "tr.report-delivery-sent"))
    message = browser.find_element(By.ID, "report-message").text
    assert message.startswith("Sent to ") and ".eml" in message
    [eml] = list(Path(outbox).rglob("*.eml"))
    logged = browser.find_element(By.CSS_SELECTOR, "tr.report-delivery-sent").text
    assert eml.name in logged
    browser.save_screenshot(str(output_dir / "bwx020-reports.png"))
    # Edit: the form takes the schedule's settings; make it daily.
    row_button(browser, "Edit").click()
    wait.until(
        lambda d: (
            d.find_element(By.ID, "report-form-title").text == "Edit “Monday numbers”"
        )
    )
    assert browser.find_element(By.ID, "report-name").get_attribute("value") == (
        "Monday numbers"
    )
    choose(browser, "report-frequency", "Daily")
    browser.find_element(By.ID, "report-save").click()
    wait.until(lambda d: "daily at 09:00 America/New_York" in schedule_row(d))
    # Pause: no next runs until it is resumed.
    row_button(browser, "Pause").click()
    wait.until(lambda d: "paused" in schedule_row(d))
    assert browser.find_elements(By.CSS_SELECTOR, ".report-next-runs li") == []
    row_button(browser, "Resume").click()
    wait.until(
        lambda d: len(d.find_elements(By.CSS_SELECTOR, ".report-next-runs li")) == 5
    )
    assert console_errors(browser) == []


def schedule_row(browser) -> str:
    return browser.find_element(By.CSS_SELECTOR, "tr.report-schedule-row").text


def row_button(browser, label: str):
    return waiter(browser).until(
        lambda d: d.find_element(
            By.XPATH,
            f"//tr[contains(@class,'report-schedule-row')]//button[.='{label}']",
        )
    )


def test_bwx021_viewer_sees_schedules_and_the_log_but_no_form(browser, server):
    pulse, _ = server
    sign_in(browser, pulse.url, "viewer@acme.example")
    browser.get(f"{pulse.url}/reports")
    wait = waiter(browser)
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "tr.report-schedule-row"))
    assert browser.find_elements(By.ID, "report-form") == []
    row = browser.find_element(By.CSS_SELECTOR, "tr.report-schedule-row")
    assert [b.text for b in row.find_elements(By.TAG_NAME, "button")] == []
    assert row.find_element(By.LINK_TEXT, "Preview")
    assert console_errors(browser) == []
