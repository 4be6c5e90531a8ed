"""Snapshots in real Chromium: an editor takes a snapshot of the Executive dashboard
with "Take snapshot", and another under the Meta filter; both are on the Snapshots
page with their dashboard and time; a snapshot's page shows its KPI cards and charts
from the stored data; ticking the two opens the compare page, whose A column is what
the dashboard showed when A was taken and whose charts overlay both; deleting asks
first; no console errors."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from sqlalchemy import select

from core.db import Database
from core.models import User
from tests.browser.conftest import PulseServer, console_errors
from tests.browser.test_dashboard_management import waiter
from tests.browser.test_executive_dashboard import KPI_VALUE, sign_in
from tests.conftest import seed_small_demo, sqlite_url


@pytest.fixture(scope="module")
def server(tmp_path_factory, seed_now, output_dir):
    url = sqlite_url(tmp_path_factory.mktemp("snapshots-sqlite"))
    seed_small_demo(url, seed_now)
    env = {"PULSE_DATABASE_URL": url, "PULSE_CACHE_TYPE": "simple"}
    pulse = PulseServer(env, log=output_dir / "server-snapshots.log")
    db = Database(url)
    with db.unscoped_session() as session:
        editor = session.scalars(
            select(User).where(User.email == "editor@acme.example")
        ).one()
        pulse.editor_name = editor.full_name or editor.email
    db.dispose()
    yield pulse
    pulse.stop()


def take_snapshot(browser) -> str:
    """Click "Take snapshot" on the open dashboard; the toast's link."""
    wait = waiter(browser, 60)
    browser.find_element(By.ID, "snapshot-take-button").click()
    link = wait.until(EC.visibility_of_element_located((By.ID, "snapshot-taken-link")))
    href = link.get_attribute("href")
    browser.find_element(By.CSS_SELECTOR, ".snapshot-toast .btn-close").click()
    wait.until(lambda d: not d.find_elements(By.ID, "snapshot-taken-link"))
    return href


def test_bwx030_take_snapshots_list_view_and_compare_them(browser, server, output_dir):
    sign_in(browser, server.url, "editor@acme.example")
    browser.find_element(By.LINK_TEXT, "Executive Overview").click()
    wait = waiter(browser, 60)
    shown = wait.until(
        EC.visibility_of_element_located(
            (By.XPATH, KPI_VALUE.format(title="Total Revenue"))
        )
    ).text
    dashboard_url = browser.current_url.split("?")[0]
    first = take_snapshot(browser)
    browser.get(f"{dashboard_url}?platforms=meta")
    wait.until(
        EC.visibility_of_element_located(
            (By.XPATH, KPI_VALUE.format(title="Total Revenue"))
        )
    )
    second = take_snapshot(browser)
    assert first != second

    # One snapshot's page: its KPI cards and charts, drawn from the stored data.
    browser.get(first)
    wait.until(EC.visibility_of_element_located((By.ID, "snapshot-kpis")))
    kpis = browser.find_element(By.ID, "snapshot-kpis").text
    assert "Total Revenue" in kpis and shown in kpis
    wait.until(
        lambda d: d.find_elements(
            By.CSS_SELECTOR, ".snapshot-graph .scatterlayer .trace"
        )
    )
    browser.save_screenshot(str(output_dir / "bwx030-snapshot.png"))

    browser.find_element(By.ID, "nav-snapshots").click()
    wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "tr.snapshot-row")) == 2)
    rows = [r.text for r in browser.find_elements(By.CSS_SELECTOR, "tr.snapshot-row")]
    assert all("Executive Overview" in row and "manual" in row for row in rows)
    assert all(server.editor_name in row for row in rows)
    assert all(" E" in row for row in rows)  # EST / EDT: the org's time
    compare = browser.find_element(By.ID, "snapshot-compare-link")
    assert "disabled" in compare.get_attribute("class")
    for box in browser.find_elements(By.CSS_SELECTOR, ".snapshot-pick input"):
        box.click()
    wait.until(
        lambda d: (
            "disabled"
            not in d.find_element(By.ID, "snapshot-compare-link").get_attribute("class")
        )
    )
    browser.save_screenshot(str(output_dir / "bwx030-snapshots.png"))

    browser.find_element(By.ID, "snapshot-compare-link").click()
    table = wait.until(EC.visibility_of_element_located((By.ID, "compare-table")))
    revenue = table.find_element(
        By.XPATH, ".//tr[td[1][normalize-space()='Total Revenue']]"
    )
    cells = [c.text for c in revenue.find_elements(By.TAG_NAME, "td")]
    assert cells[1] == shown  # A: the dashboard's figure when A was taken
    assert cells[2] != shown and cells[3].startswith("−")
    assert cells[4].startswith("-") and cells[4].endswith("%")
    titles = [c.text for c in table.find_elements(By.CSS_SELECTOR, "tr td:first-child")]
    assert {"Total Revenue", "Total Spend", "ROAS", "Conversions"} <= set(titles)
    wait.until(
        lambda d: d.find_elements(
            By.CSS_SELECTOR, "#compare-charts .scatterlayer .trace"
        )
    )
    assert "(A)" in browser.find_element(By.ID, "compare-charts").text
    browser.save_screenshot(str(output_dir / "bwx030-compare.png"))

    # Delete asks first: dismissed, nothing happens; accepted, the row goes.
    browser.find_element(By.ID, "nav-snapshots").click()
    wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "tr.snapshot-row")) == 2)
    delete = "//tr[contains(@class,'snapshot-row')][1]//button[.='Delete']"
    browser.find_element(By.XPATH, delete).click()
    wait.until(EC.alert_is_present()).dismiss()
    assert len(browser.find_elements(By.CSS_SELECTOR, "tr.snapshot-row")) == 2
    browser.find_element(By.XPATH, delete).click()
    wait.until(EC.alert_is_present()).accept()
    wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "tr.snapshot-row")) == 1)
    assert "Snapshot deleted." in browser.find_element(By.ID, "snapshot-message").text
    assert console_errors(browser) == []
