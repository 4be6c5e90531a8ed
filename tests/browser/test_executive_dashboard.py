"""A demo user opens the Executive dashboard in real Chromium, embedded and scaled."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from core.db import Database
from core.windows import DateWindow, org_today
from tests.browser.conftest import PulseServer, console_errors
from tests.figures import independent_sums, org_context
from widgets._formatting import format_value

KPI_VALUE = (
    "//div[contains(@class,'widget-card')]"
    "[div[@class='widget-title' and text()='{title}']]"
    "//div[contains(@class,'kpi-value')]"
)


@pytest.fixture(scope="module", params=["embedded", "scaled"])
def deployment(request, output_dir, tmp_path_factory):
    """Embedded: SQLite, file cache, `python app.py`. Scaled: PostgreSQL as the
    RLS-bound app role, Redis, gunicorn with two workers."""
    if request.param == "embedded":
        demo = request.getfixturevalue("demo_sqlite")
        env = {
            "PULSE_DATABASE_URL": demo["app"],
            "PULSE_CACHE_TYPE": "filesystem",
            # A new directory each run: the demo database is new each run too.
            "PULSE_CACHE_DIR": str(tmp_path_factory.mktemp("cache-embedded")),
        }
        server = PulseServer(env, log=output_dir / "server-embedded.log")
    else:
        demo = request.getfixturevalue("demo_postgres")
        redis_url = request.getfixturevalue("redis_url")
        env = {
            "PULSE_DATABASE_URL": demo["app"],
            "PULSE_REDIS_URL": redis_url,
            "PULSE_CACHE_TYPE": "redis",
        }
        server = PulseServer(env, gunicorn=True, log=output_dir / "server-scaled.log")
    yield request.param, demo, server
    server.stop()


def sign_in(browser, base_url: str, email: str) -> None:
    browser.delete_all_cookies()
    browser.get(f"{base_url}/login")
    browser.find_element(By.ID, "email").send_keys(email)
    browser.find_element(By.ID, "password").send_keys("pulse-demo")
    browser.find_element(By.ID, "login-submit").click()
    WebDriverWait(browser, 30).until(
        EC.presence_of_element_located((By.ID, "dashboard-list"))
    )


@pytest.mark.parametrize(
    "email,slug", [("viewer@acme.example", "acme"), ("editor@globex.example", "globex")]
)
def test_bwx001_total_revenue_on_screen_matches_sql(
    browser, deployment, output_dir, email, slug
):
    name, demo, server = deployment
    sign_in(browser, server.url, email)
    browser.find_element(By.LINK_TEXT, "Executive Overview").click()
    wait = WebDriverWait(browser, 45)
    value = wait.until(
        EC.visibility_of_element_located(
            (By.XPATH, KPI_VALUE.format(title="Total Revenue"))
        )
    )
    # Every widget has drawn: no placeholders left, every chart has its lines.
    wait.until(lambda d: not d.find_elements(By.CSS_SELECTOR, ".widget-placeholder"))
    wait.until(
        lambda d: (
            len(d.find_elements(By.CSS_SELECTOR, ".widget-graph .scatterlayer .trace"))
            >= 2
        )
    )

    admin = Database(demo["admin"])
    org = org_context(admin, slug)
    window = DateWindow.last_days(30, org_today(org.timezone))
    expected = independent_sums(admin, org.id, org.timezone, window)["revenue"]
    admin.dispose()
    assert value.text == format_value(expected, "currency", org.currency)
    assert value.text.startswith("$" if slug == "acme" else "€")

    cards = browser.find_elements(By.CSS_SELECTOR, ".widget-card")
    assert len(cards) == 13  # datasources/templates/executive.json
    assert browser.find_elements(By.CSS_SELECTOR, ".widget-error") == []
    assert "ROAS TREND" in browser.find_element(By.ID, "dashboard-grid").text.upper()
    browser.save_screenshot(str(output_dir / f"executive-{name}-{slug}.png"))
    assert console_errors(browser) == []


def test_bwx002_other_orgs_dashboard_is_not_found(browser, deployment):
    _, demo, server = deployment
    sign_in(browser, server.url, "admin@globex.example")
    browser.find_element(By.LINK_TEXT, "Executive Overview").click()
    WebDriverWait(browser, 30).until(
        EC.presence_of_element_located((By.ID, "dashboard-grid"))
    )
    globex_url = browser.current_url
    sign_in(browser, server.url, "admin@acme.example")
    browser.get(globex_url)
    message = WebDriverWait(browser, 30).until(
        EC.visibility_of_element_located((By.ID, "not-found"))
    )
    assert "Not found" in message.text
    assert browser.find_elements(By.CSS_SELECTOR, ".widget-card") == []
    assert console_errors(browser) == []
