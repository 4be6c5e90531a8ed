"""A demo user opens each of the five built-in dashboards in real Chromium: every widget
draws its data, the campaign table pauses a campaign and exports CSV, and a click on
the map filters the dashboard to a country."""

from __future__ import annotations

import contextlib
import csv
import io
import time
from pathlib import Path

import pytest
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import select

from core.db import Database
from core.models import Campaign, Dashboard, DashboardWidget
from tests.browser.conftest import PulseServer, console_errors
from tests.browser.test_executive_dashboard import sign_in
from tests.conftest import org_id, seed_small_demo, sqlite_url

SLUGS = ["executive", "performance", "automation", "platform_health", "forecasting"]
DEFAULT_WINDOW = (1400, 1100)
GRID_GAP_PX = 12
PAGE_CHROME_PX = (
    520  # navigation, title, filter bar and margins above and below the grid
)

# What each widget card shows once drawn, read in one pass through the DOM.
WIDGET_STATE_JS = """
return Array.from(document.querySelectorAll('#dashboard-grid .widget-card'))
    .map(card => {
  const body = card.querySelector('.widget-body');
  const type = Array.from(body.classList).find(c =>
      c !== 'widget-body' && c.startsWith('widget-'));
  const plots = Array.from(body.querySelectorAll('.js-plotly-plot'));
  const traces = plots.reduce((n, p) => n + (p._fullData || []).filter(t =>
      t.visible !== false && ((t.x && t.x.length) || (t.y && t.y.length)
        || (t.z && t.z.length)
        || (t.values && t.values.length) || (t.locations && t.locations.length)
        || t.type === 'indicator')).length, 0);
  const text = sel => {
    const el = body.querySelector(sel);
    return el ? el.textContent : null;
  };
  return {title: card.querySelector('.widget-title').textContent,
          type: type ? type.slice('widget-'.length) : null,
          placeholder: !!body.querySelector('.widget-placeholder'),
          error: text('.widget-error'), empty: text('.widget-empty'),
          traces: traces, kpi: text('.kpi-value'),
          rows: body.querySelectorAll('.ag-center-cols-container .ag-row').length,
          items: body.querySelectorAll('.timeline-event, .status-card, .list-card')
              .length};
});
"""


def drawn(widget: dict) -> bool:
    """Whether a widget card shows its data, by what its type draws."""
    if widget["placeholder"] or widget["error"] or widget["empty"]:
        return False
    kind = widget["type"]
    if kind == "kpi_card":
        return bool(widget["kpi"] and widget["kpi"].strip())
    if kind == "table":
        return widget["rows"] > 0
    if kind in ("timeline", "status_cards", "list_cards"):
        return widget["items"] > 0
    return widget["traces"] > 0


@pytest.fixture(scope="module")
def server(tmp_path_factory, seed_now, output_dir):
    """Its own demo database: these tests pause a campaign."""
    url = sqlite_url(tmp_path_factory.mktemp("templates-sqlite"))
    seed_small_demo(url, seed_now)
    env = {"PULSE_DATABASE_URL": url, "PULSE_CACHE_TYPE": "simple"}
    pulse = PulseServer(env, log=output_dir / "server-templates.log")
    db = Database(url)
    yield pulse, db
    pulse.stop()
    db.dispose()


@pytest.fixture
def tall_window(browser):
    """Resize the shared browser for a full-page screenshot; restore it afterwards."""
    yield lambda height: browser.set_window_size(DEFAULT_WINDOW[0], height)
    browser.set_window_size(*DEFAULT_WINDOW)


def waiter(browser, seconds: int = 60) -> WebDriverWait:
    """Dash re-renders callback outputs: an element found a moment ago may be
    replaced."""
    return WebDriverWait(
        browser, seconds, ignored_exceptions=(StaleElementReferenceException,)
    )


def dashboard_of(db: Database, slug: str, org: str = "acme") -> tuple[int, int]:
    """``(dashboard id, grid rows)`` of the org's dashboard made from template
    ``slug``."""
    with db.unscoped_session() as session:
        dashboard_id = session.scalars(
            select(Dashboard.id).where(
                Dashboard.org_id == org_id(db, org),
                Dashboard.slug == slug,
            )
        ).one()
        widgets = session.scalars(
            select(DashboardWidget).where(DashboardWidget.dashboard_id == dashboard_id)
        ).all()
        rows = max(w.position_y + w.height for w in widgets)
    return dashboard_id, rows


def open_dashboard(
    browser, pulse: PulseServer, db: Database, slug: str, tall_window
) -> list[dict]:
    """Open the dashboard as an editor, tall enough to show it whole; wait until every
    widget has drawn (or the wait ends) and return the widgets' states."""
    dashboard_id, rows = dashboard_of(db, slug)
    tall_window(PAGE_CHROME_PX + rows * (60 + GRID_GAP_PX))
    sign_in(browser, pulse.url, "editor@acme.example")
    browser.get(f"{pulse.url}/dashboards/{dashboard_id}")
    # A timeout is no failure here: the caller's assertion says which widget is missing.
    with contextlib.suppress(Exception):
        waiter(browser).until(
            lambda d: (
                (states := d.execute_script(WIDGET_STATE_JS))
                and all(drawn(s) for s in states)
            )
        )
    time.sleep(0.5)  # let Plotly finish its transitions before the screenshot
    return browser.execute_script(WIDGET_STATE_JS)


@pytest.mark.parametrize("slug", SLUGS)
def test_bwt001_every_widget_of_each_built_in_dashboard_shows_its_data(
    browser, server, output_dir, tall_window, slug
):
    pulse, db = server
    states = open_dashboard(browser, pulse, db, slug, tall_window)
    browser.save_screenshot(str(output_dir / f"template-{slug}.png"))
    with db.unscoped_session() as session:
        expected = len(
            session.scalars(
                select(DashboardWidget.id).where(
                    DashboardWidget.dashboard_id == dashboard_of(db, slug)[0]
                )
            ).all()
        )
    assert len(states) == expected
    missing = [s for s in states if not drawn(s)]
    assert missing == [], f"widgets without data on {slug}: {missing}"
    assert console_errors(browser) == []


def grid_cell(browser, title: str, row_index: int, column: str):
    card = browser.find_element(
        By.XPATH,
        f"//div[contains(@class,'widget-card')][div[@class='widget-title' and "
        f"text()='{title}']]",
    )
    return card.find_element(
        By.CSS_SELECTOR,
        f".ag-center-cols-container .ag-row[row-index='{row_index}'] "
        f".ag-cell[col-id='{column}']",
    )


def campaign_status(db: Database, name: str) -> str:
    with db.unscoped_session() as session:
        return session.scalars(
            select(Campaign.status).where(
                Campaign.org_id == org_id(db, "acme"), Campaign.name == name
            )
        ).one()


def test_bwt002_pausing_a_campaign_in_the_performance_table_pauses_it(
    browser, server, tall_window
):
    pulse, db = server
    open_dashboard(browser, pulse, db, "performance", tall_window)
    title = "Campaign Performance"
    row = next(
        i
        for i in range(10)
        if grid_cell(browser, title, i, "status").text.strip().lower() == "active"
    )
    name = grid_cell(browser, title, row, "name").text.strip()
    assert campaign_status(db, name) == "active"
    grid_cell(browser, title, row, "status").click()  # opens the select editor
    waiter(browser, 10).until(
        lambda _: grid_cell(browser, title, row, "status").find_element(
            By.CSS_SELECTOR, ".ag-picker-field-wrapper"
        )
    ).click()
    option = waiter(browser, 10).until(
        lambda d: next(
            (
                e
                for e in d.find_elements(
                    By.CSS_SELECTOR, ".ag-list-item, [role='option']"
                )
                if e.text.strip().lower() == "paused" and e.is_displayed()
            ),
            None,
        )
    )
    option.click()
    waiter(browser, 20).until(lambda _: campaign_status(db, name) == "paused")
    waiter(browser, 20).until(
        lambda d: grid_cell(d, title, row, "status").text.strip().lower() == "paused"
    )
    assert console_errors(browser) == []


def test_bwt003_csv_export_downloads_the_rows_as_sorted_on_screen(
    browser, server, output_dir, tall_window
):
    pulse, db = server
    downloads = output_dir / "downloads-templates"
    downloads.mkdir(exist_ok=True)
    for old in downloads.glob("*"):
        old.unlink()
    browser.execute_cdp_cmd(
        "Page.setDownloadBehavior",
        {"behavior": "allow", "downloadPath": str(downloads)},
    )
    title = "Top Performing Campaigns"
    open_dashboard(browser, pulse, db, "executive", tall_window)
    card = browser.find_element(
        By.XPATH,
        "//div[contains(@class,'widget-card')][div[@class='widget-title' and "
        f"text()='{title}']]",
    )
    # Sort by campaign name (the table opens sorted by revenue).
    card.find_element(
        By.CSS_SELECTOR, ".ag-header-cell[col-id='name'] .ag-header-cell-label"
    ).click()
    rows = len(card.find_elements(By.CSS_SELECTOR, ".ag-center-cols-container .ag-row"))

    def sorted_names(driver) -> list[str] | None:
        try:
            names = [grid_cell(driver, title, i, "name").text for i in range(rows)]
        except StaleElementReferenceException:
            return None
        # ag-grid compares strings by code unit, as Python does.
        return names if names and names == sorted(names) else None

    on_screen = waiter(browser, 10).until(sorted_names)
    card.find_element(By.XPATH, ".//button[normalize-space()='CSV']").click()
    files = waiter(browser, 20).until(
        lambda _: [p for p in downloads.glob("*.csv") if p.stat().st_size > 0]
    )
    text = Path(files[0]).read_text(encoding="utf-8-sig")
    exported = list(csv.DictReader(io.StringIO(text)))
    assert [r["Campaign"] for r in exported][: len(on_screen)] == on_screen
    assert "$" not in text  # money is a raw number
    assert all(float(r["Revenue"]) >= 0 for r in exported)
    assert {r["Platform"] for r in exported} <= {
        "Meta",
        "Google",
        "TikTok",
        "LinkedIn",
        "Snapchat",
    }
    assert console_errors(browser) == []


def test_bwt004_clicking_a_country_on_the_map_filters_the_dashboard(
    browser, server, output_dir, tall_window
):
    pulse, db = server
    open_dashboard(browser, pulse, db, "performance", tall_window)
    chips = "#filter-chips .filter-chip"
    assert browser.find_elements(By.CSS_SELECTOR, chips) == []
    card = browser.find_element(
        By.XPATH,
        "//div[contains(@class,'widget-card')][div[@class='widget-title' and "
        "text()='Geographic Performance']]",
    )
    # The country with the largest shape on screen is the easiest to hit.
    country = max(
        card.find_elements(By.CSS_SELECTOR, "path.choroplethlocation"),
        key=lambda p: p.size["width"] * p.size["height"],
    )
    ActionChains(browser).move_to_element(country).click().perform()
    chip = waiter(browser, 20).until(lambda d: d.find_elements(By.CSS_SELECTOR, chips))[
        0
    ]
    label = chip.text
    assert label.startswith("Country: ")
    assert label.removeprefix("Country: ") in d_text(browser, "filter-countries")
    # Every widget refilters: the map now shows only the chosen country.
    map_card = (
        "//div[contains(@class,'widget-card')][div[@class='widget-title' and "
        "text()='Geographic Performance']]"
    )
    waiter(browser, 30).until(
        lambda d: (
            len(
                d.find_element(By.XPATH, map_card).find_elements(
                    By.CSS_SELECTOR, "path.choroplethlocation"
                )
            )
            == 1
        )
    )
    browser.save_screenshot(str(output_dir / "template-performance-country.png"))
    browser.find_element(
        By.CSS_SELECTOR, f"{chips} button[aria-label='Remove {label}']"
    ).click()
    waiter(browser, 20).until(lambda d: d.find_elements(By.CSS_SELECTOR, chips) == [])
    assert console_errors(browser) == []


def d_text(browser, element_id: str) -> str:
    return browser.find_element(By.ID, element_id).text


def test_bwt005_a_map_click_names_a_known_country_or_nothing():
    from callbacks.crossfilter import clicked_country

    assert clicked_country({"points": [{"location": "DEU", "z": 10}]}) == "DEU"
    assert (
        clicked_country({"points": [{"location": "deu"}]}) is None
    )  # stored codes are upper
    assert clicked_country({"points": [{"location": "XYZ"}]}) is None
    assert (
        clicked_country({"points": [{"x": "Google", "y": 3}]}) is None
    )  # a bar, not a map
    assert clicked_country(None) is None


def test_bwt006_the_country_filter_restricts_campaign_figures_to_that_country(server):
    from sqlalchemy import func

    from core.filters import Filters
    from core.models import MetricFactDaily
    from core.windows import DateWindow, org_today
    from datasources import registry
    from tests.figures import org_context

    _, db = server
    org = org_context(db, "acme")
    source = registry.get("campaigns")
    params = source.parse_params({"metric": "spend", "period": "30d"})
    window = DateWindow.last_days(30, org_today(org.timezone))
    with db.session(org.id) as session:
        result = source.run(session, org, params, Filters(countries=["USA"]))
        expected = session.scalar(
            select(func.sum(MetricFactDaily.spend)).where(
                MetricFactDaily.country == "USA",
                MetricFactDaily.day.between(window.start, window.end),
            )
        )
        everywhere = source.run(session, org, params, Filters())
    assert result["value"] == pytest.approx(expected)
    assert result["value"] < everywhere["value"]  # acme also sells in Canada


def test_bwt007_clicking_a_platform_bar_drills_down_to_that_platform(
    browser, server, tall_window
):
    pulse, db = server
    open_dashboard(browser, pulse, db, "executive", tall_window)
    card = (
        "//div[contains(@class,'widget-card')][div[@class='widget-title' and "
        "text()='ROAS by Platform']]"
    )
    bars = browser.find_element(By.XPATH, card).find_elements(
        By.CSS_SELECTOR, "g.point path"
    )
    assert len(bars) >= 2
    ActionChains(browser).move_to_element(bars[0]).click().perform()
    # The platform filter now holds that one platform, and the chart redraws with one
    # bar.
    names = {"Google", "Meta", "TikTok", "LinkedIn", "Snapchat"}
    waiter(browser, 20).until(
        lambda d: "All platforms" not in d.find_element(By.ID, "filter-platforms").text
    )
    shown = browser.find_element(By.ID, "filter-platforms").text
    assert sum(name in shown for name in names) == 1, shown
    waiter(browser, 30).until(
        lambda d: (
            len(
                d.find_element(By.XPATH, card).find_elements(
                    By.CSS_SELECTOR, "g.point path"
                )
            )
            == 1
        )
    )
    assert console_errors(browser) == []


CARD_BOXES_JS = """
return Array.from(document.querySelectorAll('#dashboard-grid .widget-card'))
    .map(card => {
  const r = card.getBoundingClientRect(), body = card.querySelector('.widget-body');
  return {title: card.querySelector('.widget-title').textContent,
          left: r.left, width: r.width,
          top: r.top + window.scrollY, bottom: r.bottom + window.scrollY,
          tableHeight: body.classList.contains('widget-table')
              ? body.clientHeight : null,
          gridWidth: document.querySelector('#dashboard-grid').clientWidth};
});
"""


def test_bwt008_a_phone_stacks_the_widgets_in_one_readable_column(
    browser, server, output_dir
):
    pulse, db = server
    dashboard_id, _ = dashboard_of(db, "executive")
    browser.set_window_size(
        390, 7000
    )  # a phone's width; tall enough to draw every widget
    try:
        sign_in(browser, pulse.url, "viewer@acme.example")
        browser.get(f"{pulse.url}/dashboards/{dashboard_id}")
        waiter(browser).until(
            lambda d: (
                (states := d.execute_script(WIDGET_STATE_JS))
                and all(drawn(s) for s in states)
            )
        )
        time.sleep(0.5)
        browser.save_screenshot(str(output_dir / "template-executive-phone.png"))
        boxes = sorted(browser.execute_script(CARD_BOXES_JS), key=lambda b: b["top"])
        assert len(boxes) == 13
        grid_width = boxes[0]["gridWidth"]
        # One column: every card spans the grid's width, one below the other.
        assert [b["title"] for b in boxes if abs(b["width"] - grid_width) > 2] == []
        assert len({round(b["left"]) for b in boxes}) == 1
        assert all(
            below["top"] >= above["bottom"]
            for above, below in zip(boxes, boxes[1:], strict=False)
        )
        # Tables keep room for their rows instead of collapsing to a header.
        assert all(
            b["tableHeight"] >= 300 for b in boxes if b["tableHeight"] is not None
        )
        assert console_errors(browser) == []
    finally:
        browser.set_window_size(*DEFAULT_WINDOW)


def header_sort(browser, title: str, column: str) -> str | None:
    card = browser.find_element(
        By.XPATH,
        f"//div[contains(@class,'widget-card')][div[@class='widget-title' and "
        f"text()='{title}']]",
    )
    header = card.find_element(By.CSS_SELECTOR, f".ag-header-cell[col-id='{column}']")
    return header.get_attribute("aria-sort")


def test_bwt009_a_refresh_keeps_the_users_sort_of_a_table(browser, server, tall_window):
    pulse, db = server
    open_dashboard(browser, pulse, db, "performance", tall_window)
    title = "Campaign Performance"
    assert header_sort(browser, title, "spend") == "none"
    card = browser.find_element(
        By.XPATH,
        f"//div[contains(@class,'widget-card')][div[@class='widget-title' and "
        f"text()='{title}']]",
    )
    card.find_element(
        By.CSS_SELECTOR, ".ag-header-cell[col-id='spend'] .ag-header-cell-label"
    ).click()
    waiter(browser, 10).until(lambda d: header_sort(d, title, "spend") == "ascending")
    first = grid_cell(browser, title, 0, "name").text
    # Refresh: every widget asks for fresh data and is rebuilt with it.
    before = browser.find_element(By.ID, "dashboard-updated").text
    time.sleep(1.1)  # the label has a one-second resolution
    browser.find_element(By.ID, "dashboard-refresh-button").click()
    waiter(browser, 20).until(
        lambda d: d.find_element(By.ID, "dashboard-updated").text != before
    )
    waiter(browser, 30).until(
        lambda d: (
            not d.find_elements(By.CSS_SELECTOR, ".widget-placeholder, ._dash-loading")
        )
    )
    time.sleep(1.5)  # let the rebuilt grid settle
    assert header_sort(browser, title, "spend") == "ascending"
    assert grid_cell(browser, title, 0, "name").text == first
    assert console_errors(browser) == []


def campaign_daily_budget(db: Database, name: str) -> float | None:
    with db.unscoped_session() as session:
        return session.scalars(
            select(Campaign.daily_budget).where(
                Campaign.org_id == org_id(db, "acme"), Campaign.name == name
            )
        ).one()


def type_into_cell(browser, title: str, row: int, column: str, text: str) -> None:
    """Open a cell's editor with a click, type ``text`` and press Enter."""
    grid_cell(browser, title, row, column).click()
    editor = waiter(browser, 10).until(
        lambda _: grid_cell(browser, title, row, column).find_element(
            By.CSS_SELECTOR, "input"
        )
    )
    editor.send_keys(Keys.CONTROL, "a")
    editor.send_keys(text, Keys.ENTER)


def test_bwt010_budget_edits_say_what_is_wrong_and_ask_before_a_large_change(
    browser, server, tall_window, output_dir
):
    pulse, db = server
    open_dashboard(browser, pulse, db, "performance", tall_window)
    title = "Campaign Performance"
    row = next(
        i
        for i in range(10)
        if (campaign_daily_budget(db, grid_cell(browser, title, i, "name").text) or 0)
        > 10
    )
    name = grid_cell(browser, title, row, "name").text.strip()
    before = campaign_daily_budget(db, name)
    card = browser.find_element(
        By.XPATH,
        "//div[contains(@class,'widget-card')][div[@class='widget-title' and "
        f"text()='{title}']]",
    )

    def message(_) -> str:
        return " ".join(e.text for e in card.find_elements(By.CSS_SELECTOR, ".alert"))

    type_into_cell(browser, title, row, "daily_budget", "abc")
    waiter(browser, 10).until(lambda d: "Enter a number" in message(d))
    type_into_cell(browser, title, row, "daily_budget", "-5")
    waiter(browser, 10).until(lambda d: "cannot be negative" in message(d))
    assert campaign_daily_budget(db, name) == before

    # Twenty times the budget: the browser asks first; "Cancel" changes nothing.
    type_into_cell(browser, title, row, "daily_budget", f"{before * 20:.2f}")
    dialog = waiter(browser, 10).until(EC.alert_is_present())
    assert f"“{name}”" in dialog.text and "20.0×" in dialog.text
    dialog.dismiss()
    time.sleep(1)
    assert campaign_daily_budget(db, name) == before
    # ...and "OK" makes the change.
    type_into_cell(browser, title, row, "daily_budget", f"{before * 20:.2f}")
    waiter(browser, 10).until(EC.alert_is_present()).accept()
    waiter(browser, 10).until(
        lambda _: campaign_daily_budget(db, name) == pytest.approx(before * 20)
    )
    waiter(browser, 10).until(lambda d: "set to" in message(d))
    browser.save_screenshot(str(output_dir / "budget-confirmed.png"))
    assert console_errors(browser) == []
