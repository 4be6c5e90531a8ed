"""Table exports as commands: the rows queried again on the server under the filters,
compared with independent SQL sums, and every export audited."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from commands.exports import export_table_csv, export_table_xlsx
from commands.visibility import WidgetNotVisible
from core.filters import Filters
from core.models import Campaign, MetricFactDaily
from core.windows import org_today
from tests.integration.conftest import audits


def test_excel_export_holds_the_rows_queried_again_on_the_server(world):
    viewer = world["users"]["viewer@acme.example"]
    table = world["widgets"]["Top Campaigns"]
    export = export_table_xlsx(
        world["svc"], viewer, world["dashboard"], table, Filters()
    )
    assert export.filename.startswith("Top-Campaigns_")
    assert export.filename.endswith(".xlsx")
    workbook = load_workbook(io.BytesIO(export.content))
    rows = list(workbook.active.iter_rows(values_only=True))
    assert rows[0] == ("Campaign", "Spend", "Revenue", "ROAS")
    assert export.rows == len(rows) - 1
    exported = {name: (spend, revenue, roas) for name, spend, revenue, roas in rows[1:]}
    # Independently: 30 org-local days ending today, summed per campaign in SQL.
    window = world["svc"].data.query(
        world["acme"],
        "campaigns",
        {"view": "breakdown", "group_by": "campaign", "limit": 50, "period": "30d"},
    )["window"]
    with world["db"].session(world["acme"]) as session:
        expected = session.execute(
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


def test_csv_export_is_named_with_the_orgs_date_and_audited(world):
    table = world["widgets"]["Top Campaigns"]
    viewer = world["users"]["viewer@acme.example"]
    filename = export_table_csv(world["svc"], viewer, world["dashboard"], table)
    org = world["svc"].data.org_context(world["acme"])
    assert filename == f"Top-Campaigns_{org_today(org.timezone).isoformat()}.csv"
    entry = audits(world, "widget", table, "export")[-1]
    assert entry.details == {"format": "csv", "title": "Top Campaigns"}


def test_another_orgs_user_cannot_export_the_table(world):
    table = world["widgets"]["Top Campaigns"]
    before = len(audits(world, "widget", table, "export"))
    outsider = world["users"]["viewer@globex.example"]
    for export in (
        lambda: export_table_csv(world["svc"], outsider, world["dashboard"], table),
        lambda: export_table_xlsx(
            world["svc"], outsider, world["dashboard"], table, Filters()
        ),
    ):
        with pytest.raises(WidgetNotVisible):
            export()
    assert len(audits(world, "widget", table, "export")) == before
