"""Pure builders of the table, timeline, status-card and list-card widgets."""

from __future__ import annotations

import datetime as dt
import io

import dash_ag_grid
import pytest
from openpyxl import load_workbook

from dashboards.schema import TemplateError, parse_widget
from widgets._base import RenderContext
from widgets.list_cards import (
    ListCardsSpec,
    action_button_id,
    list_children,
    warning_items,
)
from widgets.list_cards import build as build_list
from widgets.status_cards import StatusCardsSpec, relative_time, token_text
from widgets.status_cards import build as build_status
from widgets.table import (
    TableColumn,
    TableSpec,
    cell_value,
    csv_bytes,
    export_filename,
    export_frame,
    rows_in_view,
    table_columns,
    table_id,
    table_rows,
    xlsx_bytes,
)
from widgets.table import build as build_table
from widgets.timeline import TimelineSpec, timeline_events
from widgets.timeline import build as build_timeline


def walk(component):
    """Every component of a Dash tree, depth first."""
    yield component
    children = getattr(component, "children", None)
    for child in children if isinstance(children, (list, tuple)) else [children]:
        if child is not None and not isinstance(child, (str, int, float)):
            yield from walk(child)


def find_all(component, predicate) -> list:
    return [c for c in walk(component) if predicate(c)]


def find(component, predicate):
    found = find_all(component, predicate)
    return found[0] if found else None


def has_class(name):
    return lambda c: name in (getattr(c, "className", "") or "").split()


def text_of(component) -> str:
    children = getattr(component, "children", None)
    if isinstance(children, (str, int, float)):
        return str(children)
    if isinstance(children, (list, tuple)):
        return "".join(
            str(c) if isinstance(c, (str, int, float)) else text_of(c)
            for c in children
            if c is not None
        )
    return "" if children is None else text_of(children)


def is_grid(component) -> bool:
    return isinstance(component, dash_ag_grid.AgGrid)


def editor(widget_id=7, **extra):
    return RenderContext(widget_id=widget_id, currency="EUR", can_edit=True, **extra)


def viewer(widget_id=7):
    return RenderContext(widget_id=widget_id, currency="EUR", can_edit=False)


# ---------------------------------------------------------------------------- table
# A ``campaigns`` breakdown (group_by campaign) as the source returns it.
BREAKDOWN = {
    "view": "breakdown",
    "metric": "revenue",
    "label": "Revenue",
    "format": "currency",
    "currency": "EUR",
    "group_by": "campaign",
    "window": {"start": "2026-10-27", "end": "2026-11-25"},
    "items": [
        {
            "key": 11,
            "name": "Meta – Retargeting",
            "value": 1234.5,
            "impressions": 50000,
            "clicks": 1200,
            "conversions": 40,
            "spend": 400.0,
            "revenue": 1234.5,
        },
        {
            "key": 12,
            "name": "Google – Brand",
            "value": 0.0,
            "impressions": 0,
            "clicks": 0,
            "conversions": 0,
            "spend": 0.0,
            "revenue": 0.0,
        },
    ],
}
# A ``campaigns`` pacing result, which carries each campaign's status.
PACING = {
    "view": "pacing",
    "currency": "EUR",
    "format": "percent",
    "as_of": "2026-11-25",
    "items": [
        {
            "key": 21,
            "name": "TikTok – Launch",
            "platform": "tiktok",
            "status": "active",
            "budget": 3000.0,
            "spend_to_date": 900.0,
            "expected_spend": 1000.0,
            "pacing": 0.9,
            "pacing_state": "on track",
            "days_elapsed": 10,
            "flight_days": 30,
            "budget_utilization": 0.3,
            "daily_budget": 100.0,
        },
        {
            "key": 22,
            "name": "Meta – Evergreen",
            "platform": "meta",
            "status": "completed",
            "budget": 0.0,
            "spend_to_date": 0.0,
            "expected_spend": 0.0,
            "pacing": None,
            "pacing_state": "no budget",
            "days_elapsed": 3,
            "flight_days": None,
            "budget_utilization": None,
            "daily_budget": None,
        },
    ],
}


def table_spec(**config) -> TableSpec:
    return TableSpec(title="Top Campaigns", data_source="campaigns", config=config)


def grid_rows(component) -> list[dict]:
    return find(component, is_grid).rowData


def test_table_formats_columns_in_the_org_currency_and_ratios_from_row_sums():
    spec = table_spec(
        columns=[
            {"field": "name", "header": "Campaign"},
            {"field": "revenue", "format": "currency"},
            {"field": "roas", "header": "ROAS", "format": "ratio"},
            {"field": "ctr", "format": "percent"},
            {"field": "conversions", "format": "number"},
        ]
    )
    rows = grid_rows(build_table(spec, BREAKDOWN, viewer()))
    first = rows[0]
    assert first["revenue__display"] == "€1,234" and first["revenue"] == 1234.5
    # ROAS and CTR are ratios of the row's own sums.
    assert first["roas"] == pytest.approx(1234.5 / 400.0)
    assert first["roas__display"] == "3.09×"
    assert first["ctr__display"] == "2.40%"
    assert first["conversions__display"] == "40"
    headers = [
        d["headerName"]
        for d in find(build_table(spec, BREAKDOWN, viewer()), is_grid).columnDefs
    ]
    assert headers == ["Campaign", "Revenue", "ROAS", "Ctr", "Conversions"]


def test_table_shows_a_dash_not_zero_when_a_ratio_has_no_denominator():
    rows = grid_rows(build_table(table_spec(), BREAKDOWN, viewer()))
    no_spend = rows[1]
    assert no_spend["roas"] is None and no_spend["roas__display"] == "—"
    assert no_spend["cpa"] is None and no_spend["cpa__display"] == "—"
    assert no_spend["spend__display"] == "€0.00"  # a real zero stays a zero


def test_table_default_columns_follow_the_shape_of_the_rows():
    grid = find(build_table(table_spec(), PACING, viewer()), is_grid)
    fields = [d["field"] for d in grid.columnDefs]
    assert fields[:3] == ["name", "platform", "status"] and "pacing" in fields
    first = grid.rowData[0]
    assert first["platform__display"] == "TikTok"
    assert (
        first["status__display"] == "Active"
        and first["pacing_state__display"] == "On track"
    )
    assert first["pacing_state__state"] == "cell-state status-on-track"
    assert grid.rowData[1]["pacing__display"] == "—"


def test_table_is_sortable_filterable_and_paginated_as_configured():
    grid = find(
        build_table(
            table_spec(
                page_size=25,
                sort_by="revenue",
                columns=[{"field": "name"}, {"field": "revenue", "format": "currency"}],
            ),
            BREAKDOWN,
            viewer(),
        ),
        is_grid,
    )
    assert grid.defaultColDef["sortable"] and grid.defaultColDef["filter"]
    assert (
        grid.dashGridOptions["pagination"]
        and grid.dashGridOptions["paginationPageSize"] == 25
    )
    revenue = grid.columnDefs[1]
    assert revenue["sort"] == "desc" and revenue["filter"] == "agNumberColumnFilter"
    assert grid.columnDefs[0]["filter"] == "agTextColumnFilter"


def test_table_grid_uses_the_bundled_alpine_theme_and_no_css_from_a_cdn():
    grid = find(build_table(table_spec(), BREAKDOWN, viewer()), is_grid)
    assert "ag-theme-alpine" in grid.className.split()
    assert grid.dashGridOptions["theme"] == "themeAlpine"
    assert (
        dash_ag_grid.AgGrid._css_dist == []
    )  # the Theming API styles from the JS bundle


def test_table_offers_csv_and_excel_downloads_built_on_the_server():
    table = build_table(table_spec(), BREAKDOWN, viewer(widget_id=9))
    assert (
        find(table, lambda c: getattr(c, "id", None) == table_id("csv", 9)) is not None
    )
    assert (
        find(table, lambda c: getattr(c, "id", None) == table_id("xlsx", 9)) is not None
    )
    assert (
        find(table, lambda c: getattr(c, "id", None) == table_id("download", 9))
        is not None
    )
    grid = find(table, is_grid)
    assert grid.id == table_id("grid", 9)
    # The grid's own CSV export (formatted text) is not used: both files come from
    # the server through the download component.
    assert getattr(grid, "csvExportParams", None) is None


def test_table_without_rows_shows_a_friendly_message():
    empty = build_table(table_spec(), {**BREAKDOWN, "items": []}, viewer())
    assert text_of(empty) == "No rows for this period." and find(empty, is_grid) is None
    wrong = build_table(table_spec(rows="by_rule"), BREAKDOWN, viewer())
    assert "no “by_rule” rows" in text_of(wrong)


def test_editors_get_editable_status_and_daily_budget_cells():
    spec = table_spec(actions=["pause_resume", "budget"])
    table = build_table(spec, PACING, editor())
    defs = {d["field"]: d for d in find(table, is_grid).columnDefs}
    assert defs["status"]["cellEditor"] == "agSelectCellEditor"
    assert defs["status"]["cellEditorParams"]["values"] == ["active", "paused"]
    # Only active and paused campaigns can be switched (not completed ones).
    assert "params.data.status === 'paused'" in defs["status"]["editable"]["function"]
    assert defs["daily_budget"]["cellEditor"] == "agTextCellEditor"
    assert find(table, has_class("table-hint")) is not None
    rows = find(table, is_grid).rowData
    assert rows[0]["_campaign_id"] == 21 and rows[1]["daily_budget__display"] == "—"


def test_viewers_get_a_read_only_grid():
    table = build_table(
        table_spec(actions=["pause_resume", "budget"]), PACING, viewer()
    )
    defs = find(table, is_grid).columnDefs
    assert not any("editable" in d or "cellEditor" in d for d in defs)
    assert find(table, has_class("table-hint")) is None


def test_table_spec_rejects_unknown_config_keys_naming_the_field():
    raw = {
        "type": "table",
        "title": "T",
        "data_source": "campaigns",
        "query_params": {"view": "breakdown"},
        "config": {"page_sise": 5},
    }
    with pytest.raises(TemplateError) as error:
        parse_widget(raw)
    assert any("config.page_sise" in d for d in error.value.details)
    with pytest.raises(TemplateError) as error:
        parse_widget(
            {**raw, "config": {"columns": [{"field": "x", "format": "money"}]}}
        )
    assert any("config.columns.0.format" in d for d in error.value.details)


def test_table_actions_need_the_campaigns_source_and_sort_by_a_shown_column():
    with pytest.raises(TemplateError) as error:
        parse_widget(
            {
                "type": "table",
                "title": "Errors",
                "data_source": "platform_errors",
                "config": {"actions": ["pause_resume"]},
            }
        )
    assert any("config.actions" in d for d in error.value.details)
    with pytest.raises(TemplateError) as error:
        parse_widget(
            {
                "type": "table",
                "title": "T",
                "data_source": "campaigns",
                "config": {"columns": [{"field": "name"}], "sort_by": "spend"},
            }
        )
    assert any("sort_by" in d for d in error.value.details)


def test_excel_export_keeps_numbers_numeric_and_missing_values_empty():
    spec = table_spec(
        columns=[
            {"field": "name", "header": "Campaign"},
            {"field": "spend", "format": "currency"},
            {"field": "roas", "format": "ratio"},
        ]
    )
    columns = table_columns(spec.config, BREAKDOWN["items"])
    content = xlsx_bytes(
        export_frame(BREAKDOWN["items"], columns),
        columns,
        currency="EUR",
        sheet="Top Campaigns",
    )
    sheet = load_workbook(io.BytesIO(content)).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[0] == ["Campaign", "Spend", "Roas"]
    assert values[1] == ["Meta – Retargeting", 400.0, pytest.approx(3.08625)]
    assert values[2] == ["Google – Brand", 0.0, None]
    assert sheet["B2"].number_format == '"€"#,##0.00'


def test_csv_holds_raw_numbers_iso_times_and_display_names():
    columns = [
        TableColumn(field="executed_at_local", header="Time", format="datetime"),
        TableColumn(field="platform", header="Platform", format="platform"),
        TableColumn(field="status", header="Status"),
        TableColumn(field="clicks", header="Clicks", format="number"),
        TableColumn(field="spend", header="Spend", format="currency"),
        TableColumn(field="ctr", header="CTR", format="percent"),
        TableColumn(field="day", header="Day", format="date"),
    ]
    rows = [
        {
            "executed_at_local": "2026-11-25T14:05:09",
            "platform": "tiktok",
            "status": "on_track",
            "clicks": 1057,
            "spend": 1725.0000000002,
            "ctr": 0.1 + 0.2,
            "day": "2026-11-25",
        },
        {"platform": "meta", "status": "paused", "clicks": None, "spend": 0.5},
    ]
    content = csv_bytes(export_frame(rows, columns), columns)
    assert content.startswith("\ufeff".encode())
    assert content.decode("utf-8-sig").split("\r\n") == [
        "Time,Platform,Status,Clicks,Spend,CTR,Day",
        "2026-11-25T14:05,TikTok,On track,1057,1725,0.3,2026-11-25",
        ",Meta,Paused,,0.5,,",
        "",
    ]


def test_excel_whole_numbers_show_without_a_trailing_decimal_point():
    columns = [
        TableColumn(field="clicks", format="number"),
        TableColumn(field="seconds", format="number"),
    ]
    rows = [{"clicks": 1057, "seconds": 1.5}, {"clicks": 12, "seconds": 2}]
    sheet = load_workbook(
        io.BytesIO(xlsx_bytes(export_frame(rows, columns), columns))
    ).active
    assert sheet["A2"].number_format == "#,##0"  # not "#,##0.##", which shows "1,057."
    assert sheet["B2"].number_format == "#,##0.00"


def test_rows_in_view_follow_the_grids_ids_and_ignore_unknown_ones():
    rows = [{"key": 1, "n": "a"}, {"key": 2, "n": "b"}, {"n": "c"}]
    assert rows_in_view(rows, None) == rows
    picked = rows_in_view(rows, ["row-2", "1", "77", "1"])
    assert [r["n"] for r in picked] == ["c", "a"]
    assert rows_in_view(rows, []) == []


def test_export_file_names_hold_the_title_and_date_only_in_safe_characters():
    assert (
        export_filename("Top Campaigns / Q4 (EU)", dt.date(2026, 11, 25), "xlsx")
        == "Top-Campaigns-Q4-EU_2026-11-25.xlsx"
    )
    assert (
        export_filename("***", dt.date(2026, 11, 25), "csv") == "table_2026-11-25.csv"
    )


def test_cell_values_never_pass_nested_data_to_the_grid():
    assert cell_value({"condition": {"metric": "cpa"}}, "condition") is None
    assert cell_value({"spend": 0, "revenue": 5}, "roas") is None


# ------------------------------------------------------------------------- timeline
EXECUTIONS = {
    "view": "timeline",
    "timezone": "America/New_York",
    "total": 57,
    "value": 57,
    "items": [
        {
            "id": 1,
            "executed_at": "2026-11-24T11:01:00+00:00",
            "executed_at_local": "2026-11-24T06:01:00",
            "date": "2026-11-24",
            "rule_id": 3,
            "rule_name": "Pause high CPA",
            "campaign_id": 5,
            "campaign_name": "Meta – Prospecting",
            "platform": "meta",
            "platform_name": "Meta",
            "action": "pause",
            "status": "failed",
            "details": {},
            "error": "campaign already completed",
            "summary": "Failed to pause Meta – Prospecting: campaign already completed",
        },
        {
            "id": 2,
            "executed_at": "2026-11-25T14:30:00+00:00",
            "executed_at_local": "2026-11-25T09:30:00",
            "date": "2026-11-25",
            "rule_id": 4,
            "rule_name": "Scale winners",
            "campaign_id": 6,
            "campaign_name": "Google – Brand",
            "platform": "google",
            "platform_name": "Google",
            "action": "budget_adjust",
            "status": "success",
            "details": {"old_budget": 100, "new_budget": 115, "percent": 15},
            "error": None,
            "summary": "Budget of Google – Brand 100.00 → 115.00 (+15%)",
        },
        {
            "id": 3,
            "executed_at": "2026-11-25T13:00:00+00:00",
            "executed_at_local": "2026-11-25T08:00:00",
            "date": "2026-11-25",
            "rule_id": 4,
            "rule_name": "Scale winners",
            "campaign_id": 7,
            "campaign_name": "Google – Shop",
            "platform": "google",
            "platform_name": "Google",
            "action": "budget_adjust",
            "status": "skipped",
            "details": {"reason": "cooldown"},
            "error": None,
            "summary": "Skipped budget adjust on Google – Shop: cooldown",
        },
    ],
}
SYNCS = {
    "format": "percent",
    "timezone": "Europe/Berlin",
    "items": [
        {
            "id": 9,
            "connection_id": 1,
            "platform": "meta",
            "platform_name": "Meta",
            "account_name": "Acme – Meta Ads",
            "started_at": "2026-11-25T09:00:00+00:00",
            "started_at_local": "2026-11-25T10:00:00",
            "finished_at": "2026-11-25T09:01:30+00:00",
            "finished_at_local": "2026-11-25T10:01:30",
            "duration_seconds": 90.0,
            "status": "success",
            "records_synced": 1641,
            "error": None,
        },
        {
            "id": 10,
            "connection_id": 2,
            "platform": "snapchat",
            "platform_name": "Snapchat",
            "account_name": "Acme – Snap",
            "started_at": "2026-11-25T09:05:00+00:00",
            "started_at_local": "2026-11-25T10:05:00",
            "finished_at": None,
            "finished_at_local": None,
            "duration_seconds": None,
            "status": "failed",
            "records_synced": None,
            "error": "TOKEN_EXPIRED: 401 Unauthorized",
        },
    ],
}


def timeline(**config) -> TimelineSpec:
    return TimelineSpec(
        title="History", data_source="automation_executions", config=config
    )


def test_timeline_lists_executions_newest_first_in_org_local_time_by_day():
    component = build_timeline(timeline(), EXECUTIONS, viewer())
    days = [text_of(d) for d in find_all(component, has_class("timeline-day"))]
    assert days == ["Wed, Nov 25", "Tue, Nov 24"]
    times = [text_of(t) for t in find_all(component, has_class("timeline-time"))]
    assert times == ["09:30", "08:00", "06:01"]
    titles = [text_of(t) for t in find_all(component, has_class("timeline-title"))]
    assert titles == ["Scale winners", "Scale winners", "Pause high CPA"]
    statuses = [e.className for e in find_all(component, has_class("timeline-event"))]
    assert statuses == [
        "timeline-event timeline-success",
        "timeline-event timeline-skipped",
        "timeline-event timeline-failed",
    ]
    assert "Failed to pause Meta – Prospecting" in text_of(component)
    assert "Latest 3 of 57" in text_of(component)
    assert "Times in America/New_York" in text_of(component)


def test_timeline_shows_sync_runs_with_records_duration_or_error():
    events = timeline_events(SYNCS)
    assert [e["title"] for e in events] == ["Snapchat sync", "Meta sync"]
    assert events[0]["detail"] == "TOKEN_EXPIRED: 401 Unauthorized"
    assert events[1]["detail"] == "1,641 records in 1.5 min"
    component = build_timeline(timeline(kind="syncs"), SYNCS, viewer())
    assert find(component, has_class("timeline-kind-syncs")) is not None


def test_timeline_respects_its_limit_and_says_when_nothing_happened():
    component = build_timeline(timeline(limit=1), EXECUTIONS, viewer())
    assert len(find_all(component, has_class("timeline-event"))) == 1
    empty = build_timeline(
        timeline(), {**EXECUTIONS, "items": [], "total": 0}, viewer()
    )
    assert text_of(empty) == "No automation rule ran in this period."


def test_timeline_spec_rejects_unknown_config_keys():
    with pytest.raises(TemplateError) as error:
        parse_widget(
            {
                "type": "timeline",
                "title": "T",
                "data_source": "platform_sync",
                "config": {"limt": 5},
            }
        )
    assert any("config.limt" in d for d in error.value.details)


# --------------------------------------------------------------------- status cards
def connection(**overrides) -> dict:
    item = {
        "id": 1,
        "key": "meta",
        "platform": "meta",
        "platform_name": "Meta",
        "name": "Acme – Meta Ads",
        "account_name": "Acme – Meta Ads",
        "status": "active",
        "last_sync_at": "2026-11-25T09:00:00+00:00",
        "last_sync_at_local": "2026-11-25T04:00:00",
        "last_sync_status": "success",
        "last_success_at": "2026-11-25T09:00:00+00:00",
        "minutes_since_sync": 12.0,
        "token_expires_at": "2027-01-01T00:00:00+00:00",
        "token_expires_at_local": "2026-12-31T19:00:00",
        "days_to_expiry": 36.6,
        "token_warning": "ok",
        "rate_limit_limit": 1000,
        "rate_limit_used": 420,
        "rate_limit_hour": "2026-11-25T09:00:00+00:00",
        "rate_limit_usage": 0.42,
        "value": 0.42,
        "calls_24h": 5000,
        "api_errors_24h": 3,
        "error_rate_24h": 0.0006,
        "errors_24h": 2,
        "health": "healthy",
        "health_reasons": [],
    }
    return item | overrides


CONNECTIONS = {
    "as_of": "2026-11-25T09:12:00+00:00",
    "timezone": "America/New_York",
    "format": "number",
    "value": 1,
    "total": 2,
    "counts": {"healthy": 1, "degraded": 0, "down": 1},
    "items": [
        connection(),
        connection(
            id=2,
            key="snapchat",
            platform="snapchat",
            platform_name="Snapchat",
            account_name="Acme – Snap",
            status="error",
            last_sync_status="failed",
            minutes_since_sync=None,
            days_to_expiry=-0.5,
            token_warning="critical",
            rate_limit_usage=None,
            errors_24h=8,
            health="down",
            health_reasons=["connection status is error", "access token expired"],
        ),
    ],
    "warnings": [
        {
            "connection_id": 2,
            "platform": "snapchat",
            "platform_name": "Snapchat",
            "account_name": "Acme – Snap",
            "level": "critical",
            "severity": "critical",
            "token_expires_at": "2026-11-24T21:00:00+00:00",
            "token_expires_at_local": "2026-11-24T16:00:00",
            "days_to_expiry": -0.5,
            "message": "Snapchat access token expired 12 h ago; reconnect the account",
        },
    ],
    "age_seconds": 180.0,
}


def test_status_cards_show_health_sync_token_rate_limit_and_errors_per_connection():
    component = build_status(
        StatusCardsSpec(title="Connections", data_source="platform_connections"),
        CONNECTIONS,
        viewer(),
    )
    cards = find_all(component, has_class("status-card"))
    assert len(cards) == 2
    meta, snap = cards
    assert "health-healthy" in meta.className and "health-down" in snap.className
    assert text_of(find(meta, has_class("status-health"))) == "Healthy"
    # 12 minutes at query time plus the 3 minutes the cached result has aged.
    assert text_of(find(meta, has_class("status-sync"))) == "Last sync 15 min ago"
    assert text_of(find(meta, has_class("status-token"))) == "Token valid 37 days"
    assert "42%" in text_of(find(meta, has_class("status-usage")))
    assert text_of(find(snap, has_class("status-sync"))) == "Last sync never (failed)"
    assert text_of(find(snap, has_class("status-token"))) == "Token expired 12 h ago"
    assert "—" in text_of(find(snap, has_class("status-usage")))
    assert "8" in text_of(find(snap, has_class("status-errors")))
    assert "access token expired" in text_of(find(snap, has_class("status-reasons")))
    assert "1 healthy · 1 down" in text_of(component)


def test_status_cards_without_connections_say_so():
    empty = build_status(
        StatusCardsSpec(title="C", data_source="platform_connections"),
        {**CONNECTIONS, "items": [], "counts": {}},
        viewer(),
    )
    assert text_of(empty) == "No platform is connected."


@pytest.mark.parametrize(
    ("minutes", "text"),
    [
        (None, "never"),
        (0.4, "just now"),
        (12, "12 min ago"),
        (130, "2 h ago"),
        (3 * 1440, "3 d ago"),
    ],
)
def test_relative_sync_times(minutes, text):
    assert relative_time(minutes) == text


def test_token_texts_warn_before_expiry():
    assert token_text("warning", 4.4) == "Token expires in 4 days"
    assert token_text("critical", 0.5) == "Token expires in 12 h"
    assert token_text("ok", None) == "Token does not expire"


# ------------------------------------------------------------------------ list cards
ANOMALIES = {
    "view": "list",
    "currency": "USD",
    "total": 12,
    "value": 12,
    "counts": {"low": 9, "medium": 1, "high": 1, "critical": 1},
    "items": [
        {
            "id": 31,
            "entity_key": "campaign:5",
            "entity_type": "campaign",
            "name": "Meta – Prospecting",
            "campaign_id": 5,
            "campaign_name": "Meta – Prospecting",
            "platform": "meta",
            "platform_name": "Meta",
            "metric": "spend",
            "label": "Spend",
            "format": "currency",
            "day": "2026-11-24",
            "observed": 385.93,
            "expected": 939.46,
            "deviation_pct": -58.9,
            "score": -6.1,
            "severity": "critical",
            "status": "new",
            "detected_at": "2026-11-25T06:00:00",
            "acknowledged_at": None,
            "resolved_at": None,
        },
        {
            "id": 32,
            "entity_key": "platform:google",
            "entity_type": "platform",
            "name": "Google",
            "campaign_id": None,
            "campaign_name": None,
            "platform": "google",
            "platform_name": "Google",
            "metric": "roas",
            "label": "ROAS",
            "format": "ratio",
            "day": "2026-11-20",
            "observed": 9.43,
            "expected": None,
            "deviation_pct": None,
            "score": 3.2,
            "severity": "low",
            "status": "acknowledged",
            "detected_at": "2026-11-21T06:00:00",
            "acknowledged_at": "2026-11-21T08:00:00",
            "resolved_at": None,
        },
    ],
}
RECOMMENDATIONS = {
    "view": "list",
    "currency": "USD",
    "total": 2,
    "value": 2,
    "counts": {"low": 0, "medium": 0, "high": 2},
    "as_of": "2026-11-24",
    "items": [
        {
            "id": 41,
            "rec_type": "pause",
            "campaign_id": 5,
            "title": "Pause Meta – Prospecting",
            "description": "In the last 14 days it spent $800 without a conversion.",
            "priority": "high",
            "status": "pending",
            "payload": {"action": "pause", "campaign_id": 5},
            "expected_impact": 57.1,
            "created_at": "2026-11-25T06:00:00",
            "decided_by": None,
            "decided_at": None,
            "campaign_name": "Meta – Prospecting",
            "platform": "meta",
            "platform_name": "Meta",
            "to_campaign_id": None,
            "to_campaign_name": None,
        },
        {
            "id": 42,
            "rec_type": "scale_budget",
            "campaign_id": 6,
            "title": "Raise the daily budget of Google – Brand by $40",
            "description": "ROAS 9.1 (org 4.0).",
            "priority": "high",
            "status": "applied",
            "payload": {"action": "increase_budget", "campaign_id": 6, "amount": 40},
            "expected_impact": None,
            "created_at": "2026-11-24T06:00:00",
            "decided_by": 2,
            "decided_at": "2026-11-24T09:00:00",
            "campaign_name": "Google – Brand",
            "platform": "google",
            "platform_name": "Google",
            "to_campaign_id": None,
            "to_campaign_name": None,
        },
    ],
}


def list_spec(source: str, **config) -> ListCardsSpec:
    return ListCardsSpec(title="Alerts", data_source=source, config=config)


def buttons(component) -> list[dict]:
    return [c.id for c in find_all(component, has_class("list-action"))]


def test_anomaly_cards_show_severity_metric_place_observed_vs_expected_and_day():
    component = build_list(list_spec("anomalies"), ANOMALIES, viewer())
    first, second = find_all(component, has_class("list-card"))
    assert text_of(find(first, has_class("list-badge"))) == "Critical"
    assert text_of(find(first, has_class("list-title"))) == "Spend 58.9% below expected"
    assert text_of(find(first, has_class("list-where"))) == "Meta – Prospecting · Meta"
    assert (
        text_of(find(first, has_class("list-detail")))
        == "Observed $385.93 vs expected $939.46 · Nov 24, 2026"
    )
    assert "vs expected —" in text_of(find(second, has_class("list-detail")))
    assert "Showing 2 of 12" in text_of(component)


def test_editors_can_acknowledge_new_and_resolve_open_anomalies_viewers_cannot():
    component = build_list(list_spec("anomalies"), ANOMALIES, editor(widget_id=5))
    assert buttons(component) == [
        action_button_id("acknowledge", 31, 5),
        action_button_id("resolve", 31, 5),
        action_button_id("resolve", 32, 5),
    ]
    assert (
        buttons(build_list(list_spec("anomalies"), ANOMALIES, viewer(widget_id=5)))
        == []
    )


def test_recommendation_cards_offer_apply_and_dismiss_only_while_pending():
    component = build_list(
        list_spec("recommendations"), RECOMMENDATIONS, editor(widget_id=5)
    )
    pending, applied = find_all(component, has_class("list-card"))
    assert text_of(find(pending, has_class("list-badge"))) == "High priority"
    assert "Pause Meta – Prospecting" in text_of(pending)
    assert (
        text_of(find(pending, has_class("list-impact"))) == "Saves about $57.10 a day"
    )
    assert buttons(pending) == [
        action_button_id("apply", 41, 5),
        action_button_id("dismiss", 41, 5),
    ]
    assert buttons(applied) == [] and "Applied" in text_of(applied)
    assert text_of(find(applied, has_class("list-impact"))) == "Impact not estimated"
    assert (
        buttons(build_list(list_spec("recommendations"), RECOMMENDATIONS, viewer()))
        == []
    )


def test_warning_cards_list_token_expiry_and_unhealthy_connections_worst_first():
    warnings = warning_items(CONNECTIONS)
    assert [w["level"] for w in warnings] == ["critical", "critical"]
    assert warnings[0]["title"].startswith("Snapchat access token expired")
    # The health card leaves out the token reason the token warning already gives.
    assert warnings[1]["title"] == "Snapchat is down: connection status is error"
    component = build_list(
        list_spec("platform_connections", kind="warnings"), CONNECTIONS, editor()
    )
    assert (
        buttons(component) == []
        and len(find_all(component, has_class("list-card"))) == 2
    )


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("anomalies", "No open anomalies in this period."),
        ("recommendations", "No pending recommendations."),
        ("platform_connections", "All platform connections are healthy."),
    ],
)
def test_empty_lists_say_so(source, message):
    cards = list_children(
        list_spec(source), {"items": [], "warnings": [], "total": 0}, viewer()
    )
    assert [text_of(c) for c in cards] == [message]


def test_list_cards_spec_checks_kind_against_the_source_and_unknown_keys():
    with pytest.raises(TemplateError) as error:
        parse_widget(
            {
                "type": "list_cards",
                "title": "A",
                "data_source": "anomalies",
                "config": {"kind": "recommendations"},
            }
        )
    assert any("config.kind" in d for d in error.value.details)
    with pytest.raises(TemplateError) as error:
        parse_widget(
            {
                "type": "list_cards",
                "title": "A",
                "data_source": "anomalies",
                "config": {"limits": 3},
            }
        )
    assert any("config.limits" in d for d in error.value.details)
    with pytest.raises(TemplateError) as error:
        parse_widget({"type": "list_cards", "title": "A", "data_source": "campaigns"})
    assert any("data_source" in d for d in error.value.details)


def test_a_money_column_has_one_format_for_all_its_amounts():
    columns = [TableColumn(field="spend", format="currency")]
    mixed = table_rows([{"spend": 10083.69}, {"spend": 821.46}], columns)
    assert [r["spend__display"] for r in mixed] == ["$10,084", "$821"]
    small = table_rows([{"spend": 350.0}, {"spend": 12.5}, {"spend": None}], columns)
    assert [r["spend__display"] for r in small] == ["$350.00", "$12.50", "—"]


def test_long_headers_wrap_instead_of_being_cut():
    grid = find(build_table(table_spec(), BREAKDOWN, viewer()), is_grid)
    assert grid.defaultColDef["wrapHeaderText"] is True
    assert grid.defaultColDef["autoHeaderHeight"] is True


def test_a_column_is_never_narrower_than_its_headers_longest_word():
    spec = table_spec(
        columns=[
            {"field": "name", "header": "Campaign"},
            {"field": "conversions", "header": "Conversions", "format": "number"},
            {"field": "spend", "header": "CPA", "format": "currency"},
        ]
    )
    defs = {
        d["field"]: d
        for d in find(build_table(spec, BREAKDOWN, viewer()), is_grid).columnDefs
    }
    assert defs["conversions"]["minWidth"] >= 8 * len("Conversions") + 72
    assert defs["spend"]["minWidth"] == 100  # the floor
