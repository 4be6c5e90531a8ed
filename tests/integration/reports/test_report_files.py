"""Dashboard reports as files, on a seeded PostgreSQL demo as the RLS-bound app role,
charts drawn by the system Chromium through kaleido: the PDF's KPI figures and the
workbook's numbers equal independent SQL sums over the raw hourly facts; a widget that
cannot be shown fails the report, naming it; previews are audited and stay in the
caller's org."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from dataclasses import dataclass

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import select

from accounts.permissions import Caller
from commands.dashboards import DashboardNotFound
from commands.report_files import preview_report, render_dashboard_report
from core.cache import make_cache
from core.db import Database
from core.filters import Filters
from core.models import AuditLog, Dashboard, DashboardWidget, User
from core.windows import DateWindow
from dashboards.schema import parse_template
from dashboards.store import create_dashboard
from datasources.cache import QueryCache
from reports.charts import browser_path, chart_browser
from reports.errors import ReportRenderError
from tests.conftest import (
    PostgresDatabase,
    make_settings,
    missing_service,
    org_id,
    seed_small_demo,
)
from tests.figures import independent_sums, org_context
from widgets._formatting import format_value

pytestmark = [pytest.mark.postgres, pytest.mark.browser]

NOW = dt.datetime(2026, 3, 8, 14, 30, tzinfo=dt.UTC)  # 09:30 in New York, 23:30 Tokyo


@dataclass(frozen=True)
class Context:
    db: Database
    data: QueryCache


@pytest.fixture(scope="module")
def demo(postgres_admin_url, seed_now):
    """A seeded demo of this module's own (previews write audit rows), the app role's
    command context, the Executive dashboard's id and one warm Chromium."""
    try:
        browser_path()
    except ReportRenderError as exc:
        missing_service(str(exc))
    database = PostgresDatabase(postgres_admin_url)
    seed_small_demo(database.admin_url, seed_now)
    db, admin = Database(database.app_url), Database(database.admin_url)
    context = Context(db, QueryCache(db, make_cache(make_settings(database.app_url))))
    acme = org_id(admin, "acme")
    with admin.unscoped_session() as session:
        executive = session.scalars(
            select(Dashboard.id).where(
                Dashboard.org_id == acme, Dashboard.name == "Executive Overview"
            )
        ).one()
        users = {
            u.email: Caller(u.org_id, u.id, u.role)
            for u in session.scalars(select(User))
        }
    with chart_browser():
        yield {
            "context": context,
            "admin": admin,
            "acme": acme,
            "executive": executive,
            "users": users,
        }
    db.dispose()
    admin.dispose()
    database.drop()


def kpi_window(demo) -> DateWindow:
    """The Executive KPI cards' 30 org-local days, as their data source says."""
    window = demo["context"].data.query(
        demo["acme"],
        "campaigns",
        {"view": "summary", "metric": "revenue", "period": "30d"},
    )["window"]
    return DateWindow(
        dt.date.fromisoformat(window["start"]), dt.date.fromisoformat(window["end"])
    )


def expected_kpis(demo) -> dict[str, float]:
    """Independently: revenue, spend, ROAS and conversions over the KPI window,
    summed in SQL from the hourly facts."""
    org = org_context(demo["admin"], "acme")
    sums = independent_sums(demo["admin"], org.id, org.timezone, kpi_window(demo))
    return {
        "Total Revenue": sums["revenue"],
        "Total Spend": sums["spend"],
        "ROAS": sums["revenue"] / sums["spend"],
        "Conversions": sums["conversions"],
    }


def pdf_text(data: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def test_rpf001_pdf_holds_the_title_page_and_the_kpis_equal_to_sql(demo):
    report = render_dashboard_report(
        demo["context"],
        demo["acme"],
        demo["executive"],
        "pdf",
        recipient_timezone="Asia/Tokyo",
        now=NOW,
    )
    assert report.mimetype == "application/pdf"
    assert report.filename.startswith("Executive-Overview_")
    assert report.filename.endswith(".pdf")
    pages = pdf_text(report.data)
    window = kpi_window(demo)
    title = pages[0]
    assert "Acme" in title and "Executive Overview" in title
    assert f"{window.end:%b} {window.end.day}, {window.end.year}" in title
    assert "30 days" in title
    # Generated-at in the recipient's zone, not the org's nor UTC.
    assert "Mar 8, 2026 23:30 JST (Asia/Tokyo)" in title
    summary = pages[1]
    formats = {
        "Total Revenue": "currency",
        "Total Spend": "currency",
        "ROAS": "ratio",
        "Conversions": "number",
    }
    for title_text, value in expected_kpis(demo).items():
        assert title_text in summary
        assert format_value(value, formats[title_text], "USD") in summary
    assert "previous period" in summary
    count = len(pages)
    assert all(f"Page {n} of {count}" in pages[n - 1] for n in range(2, count + 1))
    text = "\n".join(pages)
    for heading in (
        "ROAS Trend",
        "Revenue by Platform",
        "Spend by Platform",
        "Budget Utilization",
        "Top Performing Campaigns",
        "Top performers",
        "Under-performers",
        "Anomalies",
        "Automation actions",
        "Open recommendations",
    ):
        assert heading in text


def test_rpf002_pdf_charts_are_vector_drawings_not_pictures(demo):
    report = render_dashboard_report(
        demo["context"], demo["acme"], demo["executive"], "pdf", now=NOW
    )
    reader = PdfReader(io.BytesIO(report.data))
    assert all(not page.images for page in reader.pages)
    # The chart's own labels are text in the PDF (an SVG drawn as vectors): the
    # platform names of "Spend by Platform" and the axis ticks of "ROAS Trend".
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "Google" in text and "Meta" in text
    assert "4×" in text or "3×" in text


def test_rpf003_paper_is_a4_or_letter(demo):
    sizes = {}
    for paper in ("A4", "Letter"):
        report = render_dashboard_report(
            demo["context"], demo["acme"], demo["executive"], "pdf", paper=paper
        )
        box = PdfReader(io.BytesIO(report.data)).pages[0].mediabox
        sizes[paper] = (round(float(box.width)), round(float(box.height)))
    assert sizes == {"A4": (595, 842), "Letter": (612, 792)}


def test_rpf004_workbook_numbers_equal_sql(demo):
    report = render_dashboard_report(
        demo["context"], demo["acme"], demo["executive"], "xlsx", now=NOW
    )
    assert report.filename.endswith(".xlsx")
    workbook = load_workbook(io.BytesIO(report.data))
    assert workbook.sheetnames[0] == "Summary"
    assert "ROAS Trend" in workbook.sheetnames
    assert "Top Performing Campaigns" in workbook.sheetnames
    summary = workbook["Summary"]
    assert summary.freeze_panes == "A2"
    rows = {row[0].value: row for row in summary.iter_rows(min_row=2) if row[0].value}
    for title, value in expected_kpis(demo).items():
        cell = rows[title][1]
        assert isinstance(cell.value, float | int)
        assert cell.value == pytest.approx(value)
    assert "$" in rows["Total Revenue"][1].number_format
    assert "%" in rows["Total Revenue"][3].number_format
    revenue = workbook["Total Revenue"]
    assert [c.value for c in revenue[1]] == [
        "Metric",
        "Value",
        "Previous period",
        "Change",
    ]
    assert revenue["B2"].value == pytest.approx(expected_kpis(demo)["Total Revenue"])
    assert revenue.freeze_panes == "A2"
    assert revenue.column_dimensions["A"].width >= 10


def test_rpf005_csv_zip_has_one_file_per_widget_in_grid_order(demo):
    report = render_dashboard_report(
        demo["context"], demo["acme"], demo["executive"], "csv", now=NOW
    )
    assert report.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(report.data))
    names = archive.namelist()
    assert names[:3] == ["00-report.csv", "01-summary.csv", "02-total-revenue.csv"]
    assert "15-top-performers.csv" in names
    summary = archive.read("01-summary.csv").decode("utf-8-sig").splitlines()
    assert summary[0] == "KPI,Value,Previous period,Change,Format"
    revenue = summary[1].split(",")
    assert revenue[0] == "Total Revenue"
    assert float(revenue[1]) == pytest.approx(
        expected_kpis(demo)["Total Revenue"], abs=0.005
    )
    assert revenue[4] == "currency"


BROKEN = {
    "name": "Broken chart",
    "widgets": [
        {
            "type": "kpi_card",
            "title": "Revenue",
            "data_source": "campaigns",
            "query_params": {"metric": "revenue", "period": "30d"},
            "position_x": 0,
            "position_y": 0,
            "width": 3,
            "height": 2,
        },
        {
            "type": "line_chart",
            "title": "Revenue forecast",
            "data_source": "forecasts",
            "query_params": {"metric": "revenue", "horizon_days": 30},
            "position_x": 0,
            "position_y": 2,
            "width": 12,
            "height": 4,
        },
    ],
}


def test_rpf006_a_widget_that_cannot_be_shown_fails_the_report_naming_it(demo):
    admin = demo["users"]["admin@acme.example"]
    with demo["admin"].session(demo["acme"]) as session:
        dashboard = create_dashboard(
            session, parse_template(BROKEN), org_id=demo["acme"], user_id=admin.user_id
        )
        dashboard_id = dashboard.id
        # Stored settings that no longer validate (as after a data source changed):
        # the screen shows an error card; a report must not go out with a hole.
        widget = session.scalars(
            select(DashboardWidget).where(
                DashboardWidget.dashboard_id == dashboard_id,
                DashboardWidget.title == "Revenue forecast",
            )
        ).one()
        widget.query_params = {"metric": "revenue", "horizon_days": 9999}
    with pytest.raises(ReportRenderError) as failure:
        render_dashboard_report(demo["context"], demo["acme"], dashboard_id, "pdf")
    assert 'widget "Revenue forecast"' in str(failure.value)
    assert "horizon_days" in str(failure.value)


def test_rpf007_preview_is_audited_and_stays_in_the_callers_org(demo):
    viewer = demo["users"]["viewer@acme.example"]
    report = preview_report(
        demo["context"], viewer, str(demo["executive"]), "csv", paper="Letter"
    )
    assert report.filename.endswith(".zip")
    with demo["admin"].unscoped_session() as session:
        entry = session.scalars(
            select(AuditLog)
            .where(
                AuditLog.entity_type == "dashboard",
                AuditLog.entity_id == str(demo["executive"]),
                AuditLog.action == "export",
            )
            .order_by(AuditLog.id.desc())
        ).first()
    assert entry is not None and entry.user_id == viewer.user_id
    assert entry.details["report"] == "csv"
    assert entry.details["file"] == report.filename
    outsider = next(
        caller for email, caller in demo["users"].items() if "globex" in email
    )
    with pytest.raises(DashboardNotFound):
        preview_report(demo["context"], outsider, demo["executive"], "csv")
    with pytest.raises(DashboardNotFound):
        preview_report(demo["context"], viewer, "1 OR 1=1", "csv")


def csv_summary(report) -> dict[str, list[str]]:
    archive = zipfile.ZipFile(io.BytesIO(report.data))
    rows = archive.read("01-summary.csv").decode("utf-8-sig").splitlines()[1:]
    return {row.split(",")[0]: row.split(",") for row in rows}


def test_rpf008_filters_set_the_period_and_the_platforms(demo):
    window = kpi_window(demo)
    start = window.end - dt.timedelta(days=6)
    filters = Filters(date_from=start, date_to=window.end, platforms=["google"])
    report = render_dashboard_report(
        demo["context"], demo["acme"], demo["executive"], "csv", filters=filters
    )
    assert report.filename.endswith(f"_{start}_{window.end}.zip")
    org = org_context(demo["admin"], "acme")
    sums = independent_sums(
        demo["admin"], org.id, org.timezone, DateWindow(start, window.end), "google"
    )
    summary = csv_summary(report)
    assert float(summary["Total Revenue"][1]) == pytest.approx(
        sums["revenue"], abs=0.005
    )
    assert float(summary["Total Spend"][1]) == pytest.approx(sums["spend"], abs=0.005)
    facts = zipfile.ZipFile(io.BytesIO(report.data)).read("00-report.csv")
    assert b"filters,platforms Google" in facts


def test_rpf009_a_private_widget_stays_out_of_the_report(demo):
    analyst = demo["users"]["admin@acme.example"]
    with demo["admin"].session(demo["acme"]) as session:
        session.add(
            DashboardWidget(
                dashboard_id=demo["executive"],
                widget_type="kpi_card",
                title="My private KPI",
                data_source="campaigns",
                query_params={"metric": "clicks", "period": "30d"},
                config={},
                position_x=0,
                position_y=40,
                width=3,
                height=2,
                is_shared=False,
                owner_id=analyst.user_id,
            )
        )
    report = render_dashboard_report(
        demo["context"], demo["acme"], demo["executive"], "csv"
    )
    assert "My private KPI" not in csv_summary(report)
    assert "Total Revenue" in csv_summary(report)
