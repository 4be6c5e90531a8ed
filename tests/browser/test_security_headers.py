"""The dashboards draw in real Chromium under Pulse's Content-Security-Policy, with no
console error (a CSP violation is one), and the policy is really enforced."""

from __future__ import annotations

import pytest
import requests
from selenium.webdriver.support.ui import WebDriverWait

from core.db import Database
from tests.browser.conftest import PulseServer, console_errors
from tests.browser.test_executive_dashboard import sign_in
from tests.browser.test_templates import (
    DEFAULT_WINDOW,
    GRID_GAP_PX,
    PAGE_CHROME_PX,
    WIDGET_STATE_JS,
    dashboard_of,
    drawn,
    waiter,
)

# Installed before any page script runs: every CSP violation the page meets.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', e => window.__cspViolations.push(
    {directive: e.violatedDirective, blocked: e.blockedURI, sample: e.sample}));
"""
# What an injected <script> (e.g. through an XSS hole) would try.
INJECT_INLINE_SCRIPT = """
window.__injected = false;
const script = document.createElement('script');
script.textContent = 'window.__injected = true;';
document.body.appendChild(script);
return window.__injected;
"""


@pytest.fixture(scope="module")
def scaled(demo_postgres, redis_url, output_dir):
    """PostgreSQL as the RLS-bound app role (its logins go through the locked-down
    lookup functions), Redis, gunicorn with two workers."""
    env = {
        "PULSE_DATABASE_URL": demo_postgres["app"],
        "PULSE_REDIS_URL": redis_url,
        "PULSE_CACHE_TYPE": "redis",
    }
    server = PulseServer(env, gunicorn=True, log=output_dir / "server-csp.log")
    db = Database(demo_postgres["admin"])
    yield server, db
    server.stop()
    db.dispose()


@pytest.fixture
def csp_browser(browser):
    recorder = browser.execute_cdp_cmd(
        "Page.addScriptToEvaluateOnNewDocument", {"source": RECORD_VIOLATIONS}
    )
    console_errors(browser)  # forget what earlier tests logged
    yield browser
    browser.execute_cdp_cmd(
        "Page.removeScriptToEvaluateOnNewDocument",
        {"identifier": recorder["identifier"]},
    )
    browser.set_window_size(*DEFAULT_WINDOW)


@pytest.mark.parametrize("slug", ["executive", "platform_health", "performance"])
def test_bws001_a_dashboard_draws_every_widget_under_the_csp_without_errors(
    csp_browser, scaled, output_dir, slug
):
    browser, (server, db) = csp_browser, scaled
    page = requests.get(f"{server.url}/login", timeout=10)
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    dashboard_id, rows = dashboard_of(db, slug)
    browser.set_window_size(
        DEFAULT_WINDOW[0], PAGE_CHROME_PX + rows * (60 + GRID_GAP_PX)
    )
    sign_in(browser, server.url, "editor@acme.example")
    browser.get(f"{server.url}/dashboards/{dashboard_id}")
    try:
        waiter(browser).until(
            lambda d: (
                (states := d.execute_script(WIDGET_STATE_JS))
                and all(drawn(s) for s in states)
            )
        )
    finally:
        browser.save_screenshot(str(output_dir / f"csp-{slug}.png"))
    states = browser.execute_script(WIDGET_STATE_JS)
    assert [s for s in states if not drawn(s)] == []
    assert browser.execute_script("return window.__cspViolations") == []
    assert console_errors(browser) == []


def test_bws002_the_browser_refuses_an_injected_inline_script(csp_browser, scaled):
    browser, (server, _) = csp_browser, scaled
    sign_in(browser, server.url, "viewer@acme.example")
    WebDriverWait(browser, 10).until(
        lambda d: d.execute_script("return window.__cspViolations !== undefined")
    )
    assert browser.execute_script(INJECT_INLINE_SCRIPT) is False
    violations = browser.execute_script("return window.__cspViolations")
    assert [v["directive"] for v in violations] == ["script-src-elem"]
    console_errors(browser)  # the refusal is logged as an error, by design
