"""The dashboard's filters in real Chromium: they live in the address bar (a reload or a
copied link shows the same view, Back and Forward step through the changes), a foreign
or malformed value in the address is dropped with a notice, clicks add removable chips,
and a chart over time drills week → day → hour with a breadcrumb back."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from sqlalchemy import select

from core.db import Database
from core.models import Campaign
from tests.browser.conftest import PulseServer, console_errors
from tests.browser.test_executive_dashboard import sign_in
from tests.browser.test_templates import (
    WIDGET_STATE_JS,
    dashboard_of,
    drawn,
    waiter,
)
from tests.conftest import org_id, seed_small_demo, sqlite_url

# The pixel offset, from the centre of a chart's plot area, of a point of its first
# trace that has a drill-down target (or of its first bar), so that a real mouse click
# can hit it: arguments are the widget's title and the point's index.
POINT_JS = """
const [title, index] = arguments;
const card = Array.from(document.querySelectorAll('#dashboard-grid .widget-card'))
    .find(c => c.querySelector('.widget-title').textContent === title);
const gd = card.querySelector('.js-plotly-plot');
const trace = gd._fullData.find(t => t.visible !== false && t.x && t.x.length > index);
const layout = gd._fullLayout;
const drag = gd.querySelector('.nsewdrag').getBoundingClientRect();
const x = layout.xaxis.d2p(trace.x[index]);
const y = layout.yaxis.d2p(trace.y[index]);
return {dx: x - drag.width / 2, dy: y - drag.height / 2,
        custom: trace.customdata ? trace.customdata[index] : null};
"""
CAPTION_JS = """
const card = Array.from(document.querySelectorAll('#dashboard-grid .widget-card'))
    .find(c => c.querySelector('.widget-title').textContent === arguments[0]);
const caption = card.querySelector('.widget-caption');
return caption ? caption.textContent : null;
"""
KPI_JS = """
const card = Array.from(document.querySelectorAll('#dashboard-grid .widget-card'))
    .find(c => c.querySelector('.widget-title').textContent === arguments[0]);
const value = card.querySelector('.kpi-value');
return value ? value.textContent : null;
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory, seed_now, output_dir):
    """Its own demo database, served embedded (``python app.py``)."""
    url = sqlite_url(tmp_path_factory.mktemp("filters-sqlite"))
    seed_small_demo(url, seed_now)
    env = {"PULSE_DATABASE_URL": url, "PULSE_CACHE_TYPE": "simple"}
    pulse = PulseServer(env, log=output_dir / "server-filters.log")
    db = Database(url)
    yield pulse, db
    pulse.stop()
    db.dispose()


def query_of(browser) -> dict[str, list[str]]:
    return parse_qs(urlsplit(browser.current_url).query)


def all_drawn(browser) -> bool:
    states = browser.execute_script(WIDGET_STATE_JS)
    return bool(states) and all(
        drawn(s) or s["empty"] or s["type"] in ("table", "timeline") for s in states
    )


def open_page(browser, pulse, path: str) -> None:
    sign_in(browser, pulse.url, "editor@acme.example")
    browser.get(f"{pulse.url}{path}")
    waiter(browser).until(lambda d: all_drawn(d))


def chip_texts(browser) -> list[str]:
    return [
        chip.text
        for chip in browser.find_elements(By.CSS_SELECTOR, "#filter-chips .filter-chip")
    ]


def dropdown_text(browser, element_id: str) -> str:
    return browser.find_element(By.ID, element_id).text


def choose(browser, element_id: str, label: str) -> None:
    """Pick ``label`` in a dcc.Dropdown by typing, as a user would."""
    dropdown = browser.find_element(By.ID, element_id)
    dropdown.click()
    option = waiter(browser, 10).until(
        lambda d: next(
            (
                o
                for o in d.find_elements(By.CSS_SELECTOR, ".dash-dropdown-option")
                if o.text.strip() == label
            ),
            None,
        )
    )
    option.click()
    browser.find_element(By.TAG_NAME, "h1").click()  # close the menu


def campaign_ids(db: Database, org: str) -> list[int]:
    with db.unscoped_session() as session:
        return list(
            session.scalars(
                select(Campaign.id)
                .where(Campaign.org_id == org_id(db, org))
                .order_by(Campaign.id)
            )
        )


def click_when_still(browser, element) -> None:
    """Scroll ``element`` to the middle of the window and click it with the mouse once
    it has stopped moving (a grid lays its rows out again after a scroll)."""
    browser.execute_script(
        "arguments[0].scrollIntoView({block: 'center', behavior: 'instant'})", element
    )
    waiter(browser, 10).until(
        lambda _: (
            (before := element.rect)
            and time.sleep(0.3) is None
            and element.rect == before
        )
    )
    ActionChains(browser).move_to_element(element).click().perform()


def click_point(browser, title: str, index: int) -> object:
    """Click a chart's point with the mouse; return its customdata."""
    point = browser.execute_script(POINT_JS, title, index)
    card = browser.find_element(
        By.XPATH,
        "//div[contains(@class,'widget-card')][div[@class='widget-title' and "
        f"text()='{title}']]",
    )
    drag = card.find_element(By.CSS_SELECTOR, ".nsewdrag")
    ActionChains(browser).move_to_element_with_offset(
        drag, int(point["dx"]), int(point["dy"])
    ).click().perform()
    return point["custom"]


def test_bwf001_filters_survive_a_reload_through_the_address(
    browser, server, output_dir
):
    pulse, db = server
    dashboard_id, _ = dashboard_of(db, "executive")
    open_page(browser, pulse, f"/dashboards/{dashboard_id}")
    choose(browser, "filter-date-range", "Last 7 days")
    choose(browser, "filter-platforms", "Google")
    choose(browser, "filter-compare", "Same period last year")
    waiter(browser, 20).until(
        lambda d: (
            query_of(d).get("platforms") == ["google"]
            and query_of(d).get("compare") == ["previous_year"]
        )
    )
    assert query_of(browser)["range"] == ["7d"]
    waiter(browser).until(lambda d: all_drawn(d))
    waiter(browser, 20).until(
        lambda d: "last year" in d.find_element(By.CSS_SELECTOR, ".kpi-previous").text
    )
    revenue = browser.execute_script(KPI_JS, "Total Revenue")
    before = browser.find_element(By.CSS_SELECTOR, ".kpi-previous").text
    assert "same" in before and "last year" in before, before

    browser.refresh()
    waiter(browser).until(lambda d: all_drawn(d))
    assert "Last 7 days" in dropdown_text(browser, "filter-date-range")
    assert "Google" in dropdown_text(browser, "filter-platforms")
    assert "Same period last year" in dropdown_text(browser, "filter-compare")
    assert chip_texts(browser) == ["Platform: Google"]
    assert browser.execute_script(KPI_JS, "Total Revenue") == revenue

    # Back undoes the comparison, then the platform, without reloading the page.
    browser.execute_script("window.pulseFilterPage = true")
    browser.back()
    waiter(browser, 20).until(lambda d: "compare" not in query_of(d))
    waiter(browser, 20).until(
        lambda d: "Same period last year" not in dropdown_text(d, "filter-compare")
    )
    browser.back()
    waiter(browser, 20).until(lambda d: chip_texts(d) == [])
    assert "All platforms" in dropdown_text(browser, "filter-platforms")
    browser.forward()
    waiter(browser, 20).until(lambda d: chip_texts(d) == ["Platform: Google"])
    assert browser.execute_script("return window.pulseFilterPage") is True
    browser.save_screenshot(str(output_dir / "filters-reload.png"))
    assert console_errors(browser) == []


def test_bwf002_a_foreign_or_malformed_value_in_the_address_is_dropped(
    browser, server, output_dir
):
    pulse, db = server
    dashboard_id, _ = dashboard_of(db, "executive")
    ours, theirs = campaign_ids(db, "acme")[0], campaign_ids(db, "globex")[0]
    open_page(browser, pulse, f"/dashboards/{dashboard_id}?range=30d&campaigns={ours}")
    own_only = browser.execute_script(KPI_JS, "Total Revenue")
    open_page(
        browser,
        pulse,
        f"/dashboards/{dashboard_id}?range=banana&campaigns={theirs},{ours},x1"
        "&platforms=meta,myspace&from=2026-13-45",
    )
    notice = browser.find_element(By.ID, "filter-notice").text
    assert f"Campaign {theirs} is not one of your campaigns" in notice
    assert "Unknown date range “banana”" in notice
    assert "Unknown platform “myspace”" in notice
    assert "Campaign “x1” is not a campaign id" in notice
    # The address now says what is shown: the foreign id is gone from it too.
    query = query_of(browser)
    assert query["campaigns"] == [str(ours)] and query["platforms"] == ["meta"]
    assert [c for c in chip_texts(browser) if c.startswith("Campaign: ")] != []
    browser.save_screenshot(str(output_dir / "filters-foreign-id.png"))
    # Only our campaign is queried: with Meta it may be empty, so compare without.
    open_page(
        browser,
        pulse,
        f"/dashboards/{dashboard_id}?range=30d&campaigns={theirs},{ours}",
    )
    assert browser.execute_script(KPI_JS, "Total Revenue") == own_only
    assert console_errors(browser) == []


def test_bwf003_clicks_add_chips_and_clear_all_removes_them(
    browser, server, output_dir
):
    pulse, db = server
    dashboard_id, _ = dashboard_of(db, "executive")
    open_page(browser, pulse, f"/dashboards/{dashboard_id}?range=30d")
    assert chip_texts(browser) == []
    # A campaign's name in the top-campaigns table adds a campaign chip.
    table = (
        "//div[contains(@class,'widget-card')][div[@class='widget-title' and "
        "text()='Top Performing Campaigns']]"
    )
    name_cell = browser.find_element(By.XPATH, table).find_element(
        By.CSS_SELECTOR,
        ".ag-center-cols-container .ag-row[row-index='0'] .ag-cell[col-id='name']",
    )
    campaign = name_cell.get_attribute("textContent")
    click_when_still(browser, name_cell)
    waiter(browser, 20).until(lambda d: chip_texts(d) == [f"Campaign: {campaign}"])
    assert len(query_of(browser)["campaigns"]) == 1
    assert campaign in dropdown_text(browser, "filter-campaigns")

    # A platform's bar adds a platform chip; every widget refilters.
    card = (
        "//div[contains(@class,'widget-card')][div[@class='widget-title' and "
        "text()='ROAS by Platform']]"
    )

    def one_bar(driver):
        bars = driver.find_element(By.XPATH, card).find_elements(
            By.CSS_SELECTOR, "g.point path"
        )
        return bars[0] if len(bars) == 1 else None

    bar = waiter(browser, 30).until(one_bar)  # the campaign's platform alone
    click_when_still(browser, bar)
    waiter(browser, 20).until(lambda d: len(chip_texts(d)) == 2)
    chip = chip_texts(browser)[0]
    assert chip.startswith("Platform: ")
    platform = query_of(browser)["platforms"][0]
    assert chip == f"Platform: {dropdown_text(browser, 'filter-platforms').strip()}"
    browser.save_screenshot(str(output_dir / "filters-chips.png"))

    # A chip's × removes its filter alone; Back brings it back.
    browser.find_element(
        By.CSS_SELECTOR, f"#filter-chips button[aria-label='Remove {chip}']"
    ).click()
    waiter(browser, 20).until(lambda d: chip_texts(d) == [f"Campaign: {campaign}"])
    assert "platforms" not in query_of(browser)
    browser.back()
    waiter(browser, 20).until(lambda d: len(chip_texts(d)) == 2)
    assert query_of(browser)["platforms"] == [platform]

    browser.find_element(By.CSS_SELECTOR, "#filter-chips .filter-clear-all").click()
    waiter(browser, 20).until(lambda d: chip_texts(d) == [])
    query = query_of(browser)
    assert "platforms" not in query and "campaigns" not in query
    assert query["range"] == ["30d"]  # the date range stays
    assert "All platforms" in dropdown_text(browser, "filter-platforms")
    assert "All campaigns" in dropdown_text(browser, "filter-campaigns")
    assert console_errors(browser) == []


def test_bwf004_a_chart_over_time_drills_week_day_hour_and_back(
    browser, server, output_dir
):
    pulse, db = server
    dashboard_id, _ = dashboard_of(db, "executive")
    title = "Revenue by Platform"
    open_page(browser, pulse, f"/dashboards/{dashboard_id}?range=90d")
    assert "per week" in browser.execute_script(CAPTION_JS, title)
    assert browser.find_elements(By.CSS_SELECTOR, "#filter-breadcrumb li") == []

    target = click_point(browser, title, 3)
    week = target[0].split(":")[2]
    waiter(browser, 20).until(lambda d: query_of(d).get("week") == [week])
    waiter(browser, 30).until(
        lambda d: "per day" in (d.execute_script(CAPTION_JS, title) or "")
    )
    crumbs = [
        li.text
        for li in browser.find_elements(By.CSS_SELECTOR, "#filter-breadcrumb li")
    ]
    assert crumbs[0] == "Last 90 days" and crumbs[1].startswith("Week of ")
    waiter(browser).until(lambda d: all_drawn(d))

    target = click_point(browser, title, 2)
    day = target[0].split(":")[2]
    waiter(browser, 20).until(lambda d: query_of(d).get("day") == [day])
    waiter(browser, 30).until(
        lambda d: "per hour" in (d.execute_script(CAPTION_JS, title) or "")
    )
    crumbs = [
        li.text
        for li in browser.find_elements(By.CSS_SELECTOR, "#filter-breadcrumb li")
    ]
    assert len(crumbs) == 3
    # Every widget follows the drill: the KPI cards now show that one day.
    assert query_of(browser)["week"] == [week]
    browser.save_screenshot(str(output_dir / "filters-drill-hour.png"))

    # Back (the browser's) returns to the week; the breadcrumb's first level to the
    # whole range.
    browser.back()
    waiter(browser, 30).until(
        lambda d: "per day" in (d.execute_script(CAPTION_JS, title) or "")
    )
    browser.find_element(By.CSS_SELECTOR, "#filter-breadcrumb li button").click()
    waiter(browser, 30).until(
        lambda d: "per week" in (d.execute_script(CAPTION_JS, title) or "")
    )
    assert "week" not in query_of(browser) and "day" not in query_of(browser)
    assert browser.find_elements(By.CSS_SELECTOR, "#filter-breadcrumb li") == []
    assert console_errors(browser) == []
