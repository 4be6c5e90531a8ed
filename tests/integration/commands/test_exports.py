"""Table exports as commands: the rows queried again on the server under the filters,
compared with independent SQL sums, in the grid's order and selection, as data (raw
numbers, ISO dates, display names), and every export audited."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from commands.exports import export_table
from commands.visibility import WidgetNotVisible
from core.filters import Filters
from core.models import Campaign, MetricFactDaily
from core.windows import org_today
from tests.integration.conftest import audits


def test_excel_export_holds_the_rows_queried_again_on_the_server(world):
    viewer = world["users"]["viewer@acme.example"]
    table = world["widgets"]["Top Campaigns"]
    export = export_table(
        world["svc"], viewer, world["dashboard"], table, Filters(), "xlsx"
    )
    assert export.filename.startswith("Top-Campaigns_")
    assert export.filename.endswith(".xlsx")
    workbook = load_workbook(io.BytesIO(export.content))
    rows = list(workbook.active.iter_rows(values_only=True))
    assert rows[0] == ("Campaign", "Spend", "Revenue", "ROAS")
    assert export.rows == len(rows) - 1
    exported = {name: (spend, revenue, roas) for name, spend, revenue, roas in rows[1:]}
    # Independently: 30 org-local days ending today, summed per campaign in SQL.
    expected = sums_per_campaign(world)
    assert len(expected) >= 2 and set(exported) == {name for name, _, _ in expected}
    for name, spend, revenue in expected:
        got_spend, got_revenue, got_roas = exported[name]
        assert got_spend == pytest.approx(spend)
        assert got_revenue == pytest.approx(revenue)
        assert got_roas == (pytest.approx(revenue / spend) if spend else None)
    entry = audits(world, "widget", table, "export")[-1]
    assert entry.user_id == viewer.user_id
    assert entry.details == {
        "format": "xlsx",
        "title": "Top Campaigns",
        "rows": export.rows,
    }


def sums_per_campaign(world) -> list[tuple[str, float, float]]:
    """Independently: spend and revenue per campaign over the table's 30 org-local
    days ending today, summed in SQL."""
    window = world["svc"].data.query(
        world["acme"],
        "campaigns",
        {"view": "breakdown", "group_by": "campaign", "limit": 50, "period": "30d"},
    )["window"]
    with world["db"].session(world["acme"]) as session:
        return session.execute(
            select(
                Campaign.name,
                func.sum(MetricFactDaily.spend),
                func.sum(MetricFactDaily.revenue),
            )
            .join(Campaign, Campaign.id == MetricFactDaily.campaign_id)
            .where(
                MetricFactDaily.day.between(
                    dt.date.fromisoformat(window["start"]),
                    dt.date.fromisoformat(window["end"]),
                )
            )
            .group_by(Campaign.name)
        ).all()


def test_csv_export_is_data_a_script_or_spreadsheet_reads_as_it_is(world):
    table = world["widgets"]["Top Campaigns"]
    viewer = world["users"]["viewer@acme.example"]
    export = export_table(
        world["svc"], viewer, world["dashboard"], table, Filters(), "csv"
    )
    org = world["svc"].data.org_context(world["acme"])
    assert export.filename == (
        f"Top-Campaigns_{org_today(org.timezone).isoformat()}.csv"
    )
    # UTF-8 with a byte-order mark (Excel's cue), a header row, CRLF line ends.
    assert export.content.startswith(b"\xef\xbb\xbfCampaign,Spend,Revenue,ROAS\r\n")
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert export.rows == len(rows) - 1
    body = "".join(",".join(r) for r in rows[1:])
    for symbol in ("$", "×", "%", "—"):
        assert symbol not in body, symbol
    exported = {name: (spend, revenue, roas) for name, spend, revenue, roas in rows[1:]}
    expected = sums_per_campaign(world)
    assert set(exported) == {name for name, _, _ in expected}
    for name, spend, revenue in expected:
        got_spend, got_revenue, got_roas = exported[name]
        # Raw numbers with a dot decimal: money to the cent, no separators.
        assert float(got_spend) == pytest.approx(round(spend, 2), abs=0.005)
        assert float(got_revenue) == pytest.approx(round(revenue, 2), abs=0.005)
        assert "," not in got_spend and len(got_spend.partition(".")[2]) <= 2
        if spend:
            assert float(got_roas) == pytest.approx(revenue / spend, abs=1e-6)
        else:
            assert got_roas == ""  # no value is an empty field, never 0
    entry = audits(world, "widget", table, "export")[-1]
    assert entry.details == {
        "format": "csv",
        "title": "Top Campaigns",
        "rows": export.rows,
    }


def test_exports_hold_the_rows_the_grid_shows_in_its_order(world):
    """The grid's sort and filters: the ids of its rows, in its order, pick and order
    the rows queried on the server; an id that is none of them is ignored."""
    table = world["widgets"]["Campaign pacing"]
    viewer = world["users"]["viewer@acme.example"]
    everything = export_table(
        world["svc"], viewer, world["dashboard"], table, Filters(), "csv"
    )
    all_rows = list(csv.DictReader(io.StringIO(everything.content.decode("utf-8-sig"))))
    with world["db"].session(world["acme"]) as session:
        ids = dict(session.execute(select(Campaign.name, Campaign.id)).all())
    # Say the user sorted by spend to date, ascending, and filtered to three rows.
    shown = sorted(all_rows, key=lambda r: float(r["Spend to date"] or 0))[:3]
    view = [str(ids[r["Campaign"]]) for r in shown] + ["999999", "row-0"]
    for file_format in ("csv", "xlsx"):
        export = export_table(
            world["svc"],
            viewer,
            world["dashboard"],
            table,
            Filters(),
            file_format,
            view,
        )
        if file_format == "csv":
            text = export.content.decode("utf-8-sig")
            names = [r["Campaign"] for r in csv.DictReader(io.StringIO(text))]
        else:
            sheet = load_workbook(io.BytesIO(export.content)).active
            names = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
        assert names == [r["Campaign"] for r in shown], file_format
        assert export.rows == 3
    assert len(all_rows) > 3


def test_excel_cells_are_numbers_with_clean_formats_and_display_names(world):
    table = world["widgets"]["Campaign pacing"]
    viewer = world["users"]["viewer@acme.example"]
    export = export_table(
        world["svc"], viewer, world["dashboard"], table, Filters(), "xlsx"
    )
    sheet = load_workbook(io.BytesIO(export.content)).active
    header = [cell.value for cell in sheet[1]]
    assert sheet.freeze_panes == "A2"
    column = {name: index for index, name in enumerate(header)}
    first = sheet[2]
    assert first[column["Platform"]].value in {
        "Meta",
        "Google",
        "TikTok",
        "LinkedIn",
        "Snapchat",
    }
    assert first[column["Status"]].value in {"Active", "Paused"}
    assert first[column["Pacing state"]].value in {
        "Over",
        "Under",
        "On track",
        "No budget",
    }
    spend = first[column["Spend to date"]]
    assert isinstance(spend.value, float | int)
    assert spend.number_format == '"$"#,##0.00'
    assert first[column["Pacing"]].number_format == "0.00%"
    for index, name in enumerate(header):
        letter = sheet.cell(row=1, column=index + 1).column_letter
        assert sheet.column_dimensions[letter].width >= len(name), name


def test_another_orgs_user_cannot_export_the_table(world):
    table = world["widgets"]["Top Campaigns"]
    before = len(audits(world, "widget", table, "export"))
    outsider = world["users"]["viewer@globex.example"]
    for file_format in ("csv", "xlsx"):
        with pytest.raises(WidgetNotVisible):
            export_table(
                world["svc"],
                outsider,
                world["dashboard"],
                table,
                Filters(),
                file_format,
            )
    assert len(audits(world, "widget", table, "export")) == before
