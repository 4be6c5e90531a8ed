"""Editors create, edit and delete dashboards in the browser; viewers cannot."""

from __future__ import annotations

import datetime as dt
import json
import time
from urllib.parse import urlsplit

import pytest
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import select

from core.db import Database
from core.models import Dashboard
from core.windows import org_today
from tests.browser.conftest import PulseServer, console_errors
from tests.browser.test_executive_dashboard import sign_in
from tests.conftest import seed_small_demo, sqlite_url


@pytest.fixture(scope="module")
def server(tmp_path_factory, seed_now, output_dir):
    """Its own demo database: these tests change dashboards."""
    url = sqlite_url(tmp_path_factory.mktemp("manage-sqlite"))
    seed_small_demo(url, seed_now)
    env = {"PULSE_DATABASE_URL": url, "PULSE_CACHE_TYPE": "simple"}
    pulse = PulseServer(env, log=output_dir / "server-manage.log")
    yield pulse, Database(url)
    pulse.stop()


def dashboards_of(db: Database, slug: str) -> list[tuple[int, str]]:
    from tests.conftest import org_id

    org = org_id(db, slug)
    with db.unscoped_session() as session:
        return list(
            session.execute(
                select(Dashboard.id, Dashboard.name)
                .where(Dashboard.org_id == org)
                .order_by(Dashboard.id)
            ).all()
        )


def waiter(browser, seconds: int = 30) -> WebDriverWait:
    """Dash re-renders callback outputs: an element found a moment ago may be
    replaced."""
    return WebDriverWait(
        browser, seconds, ignored_exceptions=(StaleElementReferenceException,)
    )


def set_editor_text(browser, text: str) -> None:
    editor = browser.find_element(By.ID, "edit-widgets")
    editor.send_keys(Keys.CONTROL, "a")
    editor.send_keys(Keys.DELETE)
    # send_keys types slowly and auto-indents nothing; set the value through React
    # instead.
    browser.execute_script(
        "const el = arguments[0];"
        "const setter = Object.getOwnPropertyDescriptor("
        "HTMLTextAreaElement.prototype, 'value').set;"
        "setter.call(el, arguments[1]);"
        " el.dispatchEvent(new Event('input', {bubbles: true}));",
        editor,
        text,
    )


def test_bwm001_editor_creates_a_dashboard_from_a_template(browser, server):
    pulse, db = server
    before = dashboards_of(db, "acme")
    sign_in(browser, pulse.url, "editor@acme.example")
    browser.find_element(By.CSS_SELECTOR, "#template-list button").click()
    waiter(browser).until(lambda d: "/dashboards/" in d.current_url)
    title = waiter(browser).until(
        EC.visibility_of_element_located((By.ID, "dashboard-title"))
    )
    after = dashboards_of(db, "acme")
    assert len(after) == len(before) + 1
    new_id, new_name = after[-1]
    assert urlsplit(browser.current_url).path == f"/dashboards/{new_id}"
    assert title.text == new_name
    waiter(browser, 45).until(
        lambda d: (
            d.find_elements(By.CSS_SELECTOR, ".kpi-value")
            and not d.find_elements(By.CSS_SELECTOR, ".widget-placeholder")
        )
    )
    assert console_errors(browser) == []


def test_bwm002_json_editor_refuses_a_bad_document_and_saves_a_good_one(
    browser, server, output_dir
):
    pulse, db = server
    dashboard_id, name = dashboards_of(db, "acme")[0]
    sign_in(browser, pulse.url, "editor@acme.example")
    browser.get(f"{pulse.url}/dashboards/{dashboard_id}/edit")
    wait = waiter(browser)
    wait.until(EC.visibility_of_element_located((By.ID, "edit-valid")))
    original = browser.find_element(By.ID, "edit-widgets").get_attribute("value")

    set_editor_text(browser, '[{"type": "kpi_card", "title": "Broken"')
    errors = wait.until(EC.visibility_of_element_located((By.ID, "edit-errors")))
    assert "malformed JSON at line 1" in errors.text

    broken = original.replace('"line_chart"', '"sparkle_chart"', 1)
    set_editor_text(browser, broken)
    wait.until(lambda d: "sparkle_chart" in d.find_element(By.ID, "edit-errors").text)
    # The message points at the line where the broken widget starts (the editor
    # holds the widgets indented by two spaces: each one opens with "  {").
    number = next(
        i
        for i, widget in enumerate(json.loads(original))
        if widget["type"] == "line_chart"
    )
    starts = [n for n, line in enumerate(broken.splitlines(), 1) if line == "  {"]
    errors = browser.find_element(By.ID, "edit-errors")
    assert f"line {starts[number]}: widget {number + 1} " in errors.text
    # ...and is where the user is looking: above the editor, on the first screen.
    editor = browser.find_element(By.ID, "edit-widgets")
    assert errors.rect["y"] < editor.rect["y"]
    assert errors.rect["y"] < browser.execute_script("return window.innerHeight")
    browser.find_element(By.ID, "edit-save").click()
    refused = wait.until(EC.visibility_of_element_located((By.ID, "edit-save-refused")))
    assert "unknown widget type 'sparkle_chart'" in refused.text
    browser.save_screenshot(str(output_dir / "edit-refused.png"))
    assert dashboards_of(db, "acme")[0] == (dashboard_id, name)  # nothing stored

    set_editor_text(browser, "[]")
    wait.until(
        lambda d: "at least one widget" in d.find_element(By.ID, "edit-errors").text
    )
    browser.find_element(By.ID, "edit-save").click()
    wait.until(
        lambda d: (
            "at least one widget" in d.find_element(By.ID, "edit-save-refused").text
        )
    )
    assert dashboards_of(db, "acme")[0] == (dashboard_id, name)

    set_editor_text(browser, original)
    wait.until(EC.visibility_of_element_located((By.ID, "edit-valid")))
    title = browser.find_element(By.ID, "edit-name")
    title.send_keys(Keys.CONTROL, "a")
    title.send_keys("Board Overview")
    browser.find_element(By.ID, "edit-save").click()
    wait.until(EC.visibility_of_element_located((By.ID, "edit-saved-ok")))
    assert dashboards_of(db, "acme")[0] == (dashboard_id, "Board Overview")
    browser.get(f"{pulse.url}/dashboards/{dashboard_id}")
    heading = wait.until(EC.visibility_of_element_located((By.ID, "dashboard-title")))
    assert heading.text == "Board Overview"
    assert console_errors(browser) == []


def test_bwm003_editor_deletes_after_confirming(browser, server):
    pulse, db = server
    dashboard_id, _ = dashboards_of(db, "acme")[-1]
    count = len(dashboards_of(db, "acme"))
    sign_in(browser, pulse.url, "editor@acme.example")
    browser.get(f"{pulse.url}/dashboards/{dashboard_id}")
    wait = waiter(browser)
    wait.until(EC.element_to_be_clickable((By.ID, "dashboard-delete-button"))).click()
    wait.until(EC.alert_is_present()).dismiss()  # changed their mind: nothing happens
    assert len(dashboards_of(db, "acme")) == count
    browser.find_element(By.ID, "dashboard-delete-button").click()
    wait.until(EC.alert_is_present()).accept()
    wait.until(EC.presence_of_element_located((By.ID, "dashboard-list")))
    assert dashboard_id not in [i for i, _ in dashboards_of(db, "acme")]
    assert console_errors(browser) == []


def test_bwm004_viewer_has_no_edit_controls(browser, server):
    pulse, db = server
    dashboard_id, _ = dashboards_of(db, "acme")[0]
    sign_in(browser, pulse.url, "viewer@acme.example")
    assert browser.find_elements(By.CSS_SELECTOR, "#template-list button") == []
    browser.get(f"{pulse.url}/dashboards/{dashboard_id}")
    waiter(browser).until(EC.visibility_of_element_located((By.ID, "dashboard-title")))
    assert browser.find_elements(By.ID, "dashboard-edit-link") == []
    assert browser.find_elements(By.ID, "dashboard-delete-button") == []
    browser.get(f"{pulse.url}/dashboards/{dashboard_id}/edit")
    message = waiter(browser).until(
        EC.visibility_of_element_located((By.ID, "not-found"))
    )
    assert "Viewers" in message.text
    assert browser.find_elements(By.ID, "edit-widgets") == []
    assert console_errors(browser) == []


@pytest.mark.parametrize(
    "path",
    [
        "/no-such-page",
        "/dashboards/99999999999999999999",
        "/dashboards/99999999999999999999/edit",
        "/dashboards/abc",
    ],
)
def test_bwm005_an_unknown_address_shows_the_products_not_found_page(
    browser, server, path
):
    pulse, _ = server
    sign_in(browser, pulse.url, "viewer@acme.example")
    browser.get(f"{pulse.url}{path}")
    message = waiter(browser).until(
        EC.visibility_of_element_located((By.ID, "not-found"))
    )
    assert "Not found" in message.text and "Back to dashboards" in message.text
    # Inside the product's shell: the navigation bar is there.
    assert browser.find_element(By.CSS_SELECTOR, "nav, .navbar").is_displayed()
    assert "404 - Page not found" not in browser.page_source
    assert console_errors(browser) == []


def test_bwm006_the_sign_out_button_ends_the_session(browser, server):
    """The navigation bar's Sign out posts its form (with the CSRF token); the
    session is over on the server, so the cookie kept from before opens nothing."""
    pulse, _ = server
    sign_in(browser, pulse.url, "viewer@acme.example")
    kept = browser.get_cookie("session")
    assert kept is not None
    browser.find_element(By.ID, "nav-logout").click()
    waiter(browser).until(EC.presence_of_element_located((By.ID, "login-submit")))
    assert browser.current_url == f"{pulse.url}/login"
    browser.add_cookie({"name": "session", "value": kept["value"], "path": "/"})
    browser.get(f"{pulse.url}/dashboards")
    waiter(browser).until(EC.presence_of_element_located((By.ID, "login-submit")))
    assert "/login?next=/dashboards" in browser.current_url
    assert console_errors(browser) == []


def test_bwm007_a_dashboard_opens_on_its_saved_default_date_range(browser, server):
    """The edit form saves "Last 7 days" as the default; the dashboard then opens on
    it (and the form offers the bar's date ranges; the bar also a custom range)."""
    pulse, db = server
    dashboard_id, _ = dashboards_of(db, "acme")[0]
    sign_in(browser, pulse.url, "editor@acme.example")
    browser.get(f"{pulse.url}/dashboards/{dashboard_id}/edit")
    wait = waiter(browser)
    wait.until(EC.visibility_of_element_located((By.ID, "edit-valid")))
    form_choices = dropdown_options(browser, "edit-date-range")
    choose(browser, "edit-date-range", "Last 7 days")
    browser.find_element(By.ID, "edit-save").click()
    wait.until(EC.visibility_of_element_located((By.ID, "edit-saved-ok")))
    with db.unscoped_session() as session:
        saved = session.get(Dashboard, dashboard_id).default_filters
    assert saved["date_range"] == "last_7_days"

    browser.get(f"{pulse.url}/dashboards/{dashboard_id}")
    # dcc.Dropdown is drawn once its lazily loaded chunk arrives, which can be after
    # the title: wait for the bar itself.
    wait.until(EC.visibility_of_element_located((By.ID, "dashboard-title")))
    wait.until(
        lambda d: "Last 7 days" in d.find_element(By.ID, "filter-date-range").text
    )
    bar_choices = dropdown_options(browser, "filter-date-range")
    assert bar_choices == [
        *form_choices,
        "Custom range…",
    ]
    # The widgets show the last 7 of the org's days: their captions name that window.
    today = org_today("America/New_York")
    start = today - dt.timedelta(days=6)
    year = f", {start.year}" if start.year != today.year else ""
    week = f"{start:%b} {start.day}{year} – {today:%b} {today.day}, {today.year}"
    wait.until(
        lambda d: any(
            e.text.endswith(week)
            for e in d.find_elements(By.CSS_SELECTOR, ".widget-caption")
        )
    )
    assert console_errors(browser) == []


def dropdown_options(browser, element_id: str) -> list[str]:
    """The labels a dcc.Dropdown offers (opened, its menu scrolled to the end, and
    closed again): the menu draws only the options in view."""
    dropdown = browser.find_element(By.ID, element_id)
    dropdown.click()

    def shown(driver) -> list[str]:
        return [
            o.get_attribute("textContent").strip()
            for o in driver.find_elements(By.CSS_SELECTOR, "[role='option']")
            if o.get_attribute("textContent").strip()
        ]

    options = waiter(browser, 10).until(shown)
    browser.execute_script(
        "const o = document.querySelectorAll(\"[role='option']\");"
        "o[o.length - 1].scrollIntoView({block: 'end'});"
    )
    time.sleep(0.3)
    options += [o for o in shown(browser) if o not in options]
    dropdown.send_keys(Keys.ESCAPE)
    return options


def choose(browser, element_id: str, label: str) -> None:
    browser.find_element(By.ID, element_id).click()
    option = waiter(browser, 10).until(
        lambda d: next(
            (
                o
                for o in d.find_elements(By.CSS_SELECTOR, "[role='option']")
                if o.is_displayed() and o.text == label
            ),
            None,
        )
    )
    option.click()
