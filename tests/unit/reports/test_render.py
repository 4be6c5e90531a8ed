"""Reports rendered from content made here (no database): the formats' registry, a
chart Chromium cannot draw failing the report by name, long tables split across pages
with their header repeated, Excel sheet names, and the missing-browser sentence."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from reports import charts
from reports.content import ReportContent, ReportKpi, ReportTable, ReportWidget
from reports.errors import ReportRenderError
from reports.excel import sheet_name
from reports.render import formats, render_report
from tests.conftest import missing_service
from widgets.table import TableColumn


def column(field: str, header: str, fmt: str = "text") -> TableColumn:
    return TableColumn.model_validate({"field": field, "header": header, "format": fmt})


EMPTY = ReportTable([column("name", "Name")], [])
CAMPAIGNS = ReportTable(
    [
        column("name", "Campaign"),
        column("spend", "Spend", "currency"),
        column("ctr", "CTR", "percent"),
    ],
    [
        {"name": f"Campaign {n:03d}", "spend": 1000.5 + n, "ctr": 0.0125}
        for n in range(1, 121)
    ],
)
LINE = {
    "data": [
        {
            "type": "scatter",
            "mode": "lines",
            "x": ["2026-03-01", "2026-03-02", "2026-03-03"],
            "y": [1, 3, 2],
        }
    ],
    "layout": {"title": {"text": "Clicks per day"}},
}
# A figure without traces (not a Plotly figure at all): kaleido refuses to draw it.
NOT_A_FIGURE = {"layout": {"title": {"text": "Sales by region"}}}


def content(*widgets: ReportWidget) -> ReportContent:
    return ReportContent(
        org_name="Acme Marketing",
        org_timezone="America/New_York",
        currency="USD",
        dashboard_id=1,
        dashboard_name="Weekly review",
        period_start=dt.date(2026, 3, 1),
        period_end=dt.date(2026, 3, 7),
        generated_at=dt.datetime(2026, 3, 8, 14, 30, tzinfo=dt.UTC),
        recipient_timezone="Europe/Berlin",
        kpis=[ReportKpi("Spend", 1234.5, 1000.0, 23.45, "currency", None)],
        widgets=list(widgets),
        top_performers=EMPTY,
        under_performers=EMPTY,
        anomalies=EMPTY,
        automation_actions=EMPTY,
        recommendations=EMPTY,
    )


def chart(title: str, figure: dict) -> ReportWidget:
    return ReportWidget(title, "line_chart", None, {}, figure, EMPTY, is_chart=True)


@pytest.fixture(scope="module")
def warm_browser():
    """One Chromium for the module's PDFs (skipped without one, failed under CI)."""
    try:
        charts.browser_path()
    except ReportRenderError as exc:
        missing_service(str(exc))
    with charts.chart_browser():
        yield


def test_rpr001_formats_are_registered_and_unknown_ones_refused():
    assert formats() == ["csv", "pdf", "xlsx"]
    with pytest.raises(ReportRenderError, match="format 'docx'"):
        render_report(content(), "docx")
    with pytest.raises(ReportRenderError, match="paper 'A3'"):
        render_report(content(), "pdf", paper="A3")


@pytest.mark.browser
def test_rpr002_a_chart_chromium_cannot_draw_fails_the_report_naming_it(warm_browser):
    with pytest.raises(ReportRenderError) as failure:
        render_report(
            content(chart("Clicks", LINE), chart("Sales by region", NOT_A_FIGURE)),
            "pdf",
        )
    assert failure.value.part == 'widget "Sales by region"'
    assert "could not be drawn" in str(failure.value)


@pytest.mark.browser
def test_rpr003_long_tables_split_across_pages_repeating_their_header(warm_browser):
    table = ReportWidget("All campaigns", "table", None, {}, None, CAMPAIGNS)
    report = render_report(content(chart("Clicks", LINE), table), "pdf")
    pages = [p.extract_text() for p in PdfReader(io.BytesIO(report.data)).pages]
    with_rows = [p for p in pages if "Campaign 0" in p or "Campaign 1" in p]
    assert len(with_rows) >= 3
    for page in with_rows:
        assert "Campaign Spend CTR" in " ".join(page.split())
    text = "\n".join(pages)
    assert all(f"Campaign {n:03d}" in text for n in (1, 60, 120))
    # As the table widget shows them: whole dollars for amounts this size.
    assert "$1,002" in text and "1.25%" in text
    assert (
        "Generated" in pages[0] and "Mar 8, 2026 15:30 CET (Europe/Berlin)" in pages[0]
    )
    assert f"Page 2 of {len(pages)}" in pages[1]


def test_rpr004_excel_and_csv_hold_numbers_with_formats():
    table = ReportWidget("All campaigns", "table", None, {}, None, CAMPAIGNS)
    workbook = load_workbook(io.BytesIO(render_report(content(table), "xlsx").data))
    sheet = workbook["All campaigns"]
    assert [c.value for c in sheet[1]] == ["Campaign", "Spend", "CTR"]
    assert sheet["B2"].value == pytest.approx(1001.5)
    assert sheet["B2"].number_format == '"$"#,##0.00'
    assert sheet["C2"].value == pytest.approx(0.0125)
    assert sheet["C2"].number_format == "0.00%"
    assert sheet.freeze_panes == "A2"
    assert workbook["Summary"]["B2"].value == pytest.approx(1234.5)
    assert workbook["Summary"]["D2"].value == pytest.approx(0.2345)
    archive = zipfile.ZipFile(io.BytesIO(render_report(content(table), "csv").data))
    assert archive.namelist()[:3] == [
        "00-report.csv",
        "01-summary.csv",
        "02-all-campaigns.csv",
    ]
    rows = archive.read("02-all-campaigns.csv").decode("utf-8-sig").splitlines()
    assert rows[:2] == ["Campaign,Spend,CTR", "Campaign 001,1001.5,0.0125"]
    facts = archive.read("00-report.csv").decode("utf-8-sig")
    assert "generated_at,2026-03-08T15:30:00+01:00" in facts


def test_rpr005_sheet_names_are_valid_and_unique():
    taken: set[str] = {"summary"}
    assert sheet_name("Spend: by/platform?", taken) == "Spend byplatform"
    assert sheet_name("Summary", taken) == "Summary (2)"
    long = "A very long widget title that Excel would refuse"
    first, second = sheet_name(long, taken), sheet_name(long, taken)
    assert len(first) <= 31 and len(second) <= 31 and first != second


def test_rpr006_a_missing_browser_is_one_sentence_naming_the_debian_package(
    monkeypatch,
):
    monkeypatch.setenv("BROWSER_PATH", "/nonexistent/chromium")
    with pytest.raises(ReportRenderError) as failure:
        charts.browser_path()
    message = str(failure.value)
    assert "\n" not in message
    assert "Debian package `chromium`" in message
