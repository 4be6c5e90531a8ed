"""What a dashboard report holds, once gathered: plain data every format renders.

A :class:`ReportContent` is made by :func:`reports.collect.collect_report_content` from
the same widget queries the screen runs; the PDF, Excel and CSV renderers only read it,
so the three files of one report always show the same numbers.

Every table in a report (a widget's data, the top performers, the anomalies...) is a
:class:`ReportTable`: the rows as the data source gave them and the columns to show,
with the same column formats (``currency``, ``percent``, ``ratio``, ``number``, ``date``
...) as the table widget, so a cell reads alike on screen, on paper and in Excel.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from widgets.table import TableColumn


@dataclass(frozen=True)
class ReportTable:
    """Rows (dicts, as the data source gave them) and the columns shown of them.

    Percent columns hold fractions (0.054 is 5.4 %), as everywhere in Pulse.
    """

    columns: list[TableColumn]
    rows: list[dict[str, Any]]
    # How many rows the source had in all when only the first ones are kept.
    total: int | None = None


@dataclass(frozen=True)
class ReportKpi:
    """One headline number and its change against the previous period.

    Attributes:
        title: the KPI card's title ("Total Revenue").
        value, previous: this and the previous period's value (``None``: no value).
        change_pct: the change in percent (7.4 means +7.4 %), ``None`` without one.
        format: ``currency``, ``percent``, ``ratio`` or ``number``.
        higher_is_better: whether a rise is good news (``None``: neither, as spend).
        series: the card's daily points (``date``, ``value``) for its sparkline.
    """

    title: str
    value: float | None
    previous: float | None
    change_pct: float | None
    format: str
    higher_is_better: bool | None = None
    series: list[dict[str, Any]] = field(default_factory=list)
    partial_from: str | None = None


@dataclass(frozen=True)
class ReportWidget:
    """One widget of the dashboard as the report shows it.

    Attributes:
        title, type: the widget's title and type (``line_chart``, ``table``...).
        caption: what it shows and over which days ("Revenue · per week · Nov 5 –
            Dec 4, 2026"), as under the widget on screen.
        data: the data-source result the widget drew (the query's answer).
        figure: the Plotly figure (as a dict) drawn by the widget type's own figure
            function, for chart types with data when the report shows charts (PDF);
            ``None`` otherwise.
        table: the widget's data as rows and columns (for tables, Excel and CSV).
    """

    title: str
    type: str
    caption: str | None
    data: dict[str, Any]
    figure: dict[str, Any] | None
    table: ReportTable
    is_chart: bool = False


@dataclass(frozen=True)
class ReportContent:
    """Everything one report of one dashboard says.

    Attributes:
        org_name, org_timezone, currency: the org's name, zone and currency.
        dashboard_id, dashboard_name: the dashboard reported on.
        period_start, period_end: the report's period in org-local days (inclusive).
        generated_at: the instant the report was made (aware).
        recipient_timezone: the IANA zone its times are shown in.
        filters_text: the dashboard filters applied, in words (``None``: none).
        kpis: the KPI cards' values with their change vs the previous period.
        widgets: every widget, in grid order (KPI cards included).
        top_performers, under_performers: campaigns by ROAS in the period.
        anomalies: anomalies detected on days of the period.
        automation_actions: what automation rules did in the period.
        recommendations: the recommendations still open (pending).
        snapshot_name: set for a stored snapshot's report: its name (the title
            page says "Dashboard snapshot" and "Taken" instead of "Generated").
    """

    org_name: str
    org_timezone: str
    currency: str
    dashboard_id: int
    dashboard_name: str
    period_start: dt.date
    period_end: dt.date
    generated_at: dt.datetime
    recipient_timezone: str
    kpis: list[ReportKpi]
    widgets: list[ReportWidget]
    top_performers: ReportTable
    under_performers: ReportTable
    anomalies: ReportTable
    automation_actions: ReportTable
    recommendations: ReportTable
    filters_text: str | None = None
    snapshot_name: str | None = None

    @property
    def generated_label(self) -> str:
        """What :attr:`generated_at` is called: when a snapshot was taken, or when a
        report was made."""
        return "Taken" if self.snapshot_name else "Generated"

    @property
    def generated_local(self) -> dt.datetime:
        """:attr:`generated_at` in the recipient's zone."""
        return self.generated_at.astimezone(ZoneInfo(self.recipient_timezone))

    @property
    def period_text(self) -> str:
        """The period as days: "Nov 5 – Dec 4, 2026" (one day: "Dec 4, 2026")."""
        start, end = self.period_start, self.period_end
        if start == end:
            return f"{end:%b} {end.day}, {end.year}"
        left = f"{start:%b} {start.day}" + (
            f", {start.year}" if start.year != end.year else ""
        )
        return f"{left} – {end:%b} {end.day}, {end.year}"

    @property
    def generated_text(self) -> str:
        """When the report was made, in the recipient's zone: "Dec 4, 2026 11:37 EST
        (America/New_York)"."""
        local = self.generated_local
        return (
            f"{local:%b} {local.day}, {local.year} {local:%H:%M} {local:%Z} "
            f"({self.recipient_timezone})"
        )

    def sections(self) -> list[tuple[str, ReportTable]]:
        """The report's tables besides the widgets, titled, in the order shown."""
        return [
            ("Top performers", self.top_performers),
            ("Under-performers", self.under_performers),
            ("Anomalies", self.anomalies),
            ("Automation actions", self.automation_actions),
            ("Open recommendations", self.recommendations),
        ]
