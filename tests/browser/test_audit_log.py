"""The audit log page in real Chromium: an admin finds it in the navigation bar, sees
who did what, filters and pages; a viewer gets no link and a refusal at the URL."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from sqlalchemy import select

from core.db import Database
from core.models import AuditLog
from tests.browser.conftest import PulseServer, console_errors
from tests.browser.test_dashboard_management import waiter
from tests.browser.test_executive_dashboard import sign_in
from tests.conftest import org_id, seed_small_demo, sqlite_url

EXTRA_ROWS = 30  # more than a page (25)


@pytest.fixture(scope="module")
def server(tmp_path_factory, seed_now, output_dir):
    """Its own demo database, with enough audit rows for two pages."""
    url = sqlite_url(tmp_path_factory.mktemp("audit-sqlite"))
    seed_small_demo(url, seed_now)
    db = Database(url)
    acme = org_id(db, "acme")
    with db.session(acme) as session:
        for number in range(EXTRA_ROWS):
            session.add(
                AuditLog(
                    org_id=acme,
                    action="update",
                    entity_type="campaign",
                    entity_id=str(number),
                    details={"after": {"status": "paused"}},
                    address="192.0.2.10",
                )
            )
    env = {"PULSE_DATABASE_URL": url, "PULSE_CACHE_TYPE": "simple"}
    pulse = PulseServer(env, log=output_dir / "server-audit.log")
    yield pulse, db
    pulse.stop()
    db.dispose()


def rows_shown(browser) -> list[list[str]]:
    return [
        [cell.text for cell in row.find_elements(By.TAG_NAME, "td")]
        for row in browser.find_elements(By.CSS_SELECTOR, "tr.audit-row")
    ]


def choose(browser, dropdown_id: str, text: str) -> None:
    """Pick an option of a dcc.Dropdown (Dash 4: a button opening a listbox)."""
    browser.find_element(By.ID, dropdown_id).click()
    option = waiter(browser).until(
        EC.element_to_be_clickable(
            (By.XPATH, f"//*[@role='option'][normalize-space()='{text}']")
        )
    )
    option.click()
    # The open menu locks the page's scrolling and pointer: close it.
    ActionChains(browser).send_keys(Keys.ESCAPE).perform()
    waiter(browser).until(
        lambda d: not d.find_elements(By.CSS_SELECTOR, "[role='listbox']")
    )


def test_bwx010_admin_reads_filters_and_pages_the_audit_log(
    browser, server, output_dir
):
    pulse, db = server
    sign_in(browser, pulse.url, "admin@acme.example")
    browser.find_element(By.ID, "nav-audit").click()
    wait = waiter(browser)
    wait.until(lambda d: len(rows_shown(d)) == 25)
    summary = browser.find_element(By.ID, "audit-summary").text
    with db.session(org_id(db, "acme")) as session:
        total = len(session.scalars(select(AuditLog.id)).all())
    assert summary == f"{total:,} entries · page 1 of {-(-total // 25)}"
    # Newest first: the sign-in just now heads the list, with who and from where.
    when, who, action, entity, _, address = rows_shown(browser)[0]
    assert (action, entity) == ("login", entity) and "admin@acme.example" in who
    browser.save_screenshot(str(output_dir / "audit-log.png"))

    choose(browser, "audit-action", "update")
    wait.until(lambda d: "page 1 of 2" in d.find_element(By.ID, "audit-summary").text)
    wait.until(
        lambda d: (
            {(row[2], row[5]) for row in rows_shown(d)} == {("update", "192.0.2.10")}
        )
    )
    second = browser.find_element(By.LINK_TEXT, "2")
    # Bootstrap scrolls smoothly; jump instead, so the link is where the click lands.
    browser.execute_script(
        "arguments[0].scrollIntoView({block: 'center', behavior: 'instant'})", second
    )
    second.click()
    wait.until(lambda d: "page 2 of 2" in d.find_element(By.ID, "audit-summary").text)
    wait.until(lambda d: len(rows_shown(d)) == EXTRA_ROWS - 25)
    entity_box = browser.find_element(By.ID, "audit-entity-id")
    entity_box.send_keys("17", Keys.ENTER)
    wait.until(lambda d: d.find_element(By.ID, "audit-summary").text.startswith("1 "))
    wait.until(lambda d: [row[3] for row in rows_shown(d)] == ["campaign 17"])
    browser.save_screenshot(str(output_dir / "audit-log-filtered.png"))
    assert console_errors(browser) == []


def test_bwx011_a_viewer_has_no_link_and_is_refused(browser, server, output_dir):
    pulse, _ = server
    sign_in(browser, pulse.url, "viewer@acme.example")
    assert browser.find_elements(By.ID, "nav-audit") == []
    browser.get(f"{pulse.url}/audit")
    refused = waiter(browser).until(
        EC.visibility_of_element_located((By.ID, "audit-refused"))
    )
    assert "Only admins can see the audit log." in refused.text
    assert browser.find_elements(By.CSS_SELECTOR, "tr.audit-row") == []
    browser.save_screenshot(str(output_dir / "audit-log-refused.png"))
    assert console_errors(browser) == []
