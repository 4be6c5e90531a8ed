"""The widget a caller names, checked: on that dashboard, in their org, visible to them.

Dashboard and widget ids reach Pulse from the browser, so every action inside a widget
(an export, an inline edit, a list-card button) and every refresh looks the widget up
again here. The org-scoped session finds nothing of another org; a private widget of
another user is as absent as a missing one.
"""

from __future__ import annotations

from typing import Any

from accounts.permissions import Caller
from commands.context import CommandContext
from commands.errors import NotFound, Refused
from core.models import DashboardWidget
from core.reference import parse_row_id
from dashboards import store as dashboard_store
from dashboards.render import spec_from_row
from dashboards.schema import TemplateError
from widgets._base import WidgetBase

NOT_VISIBLE = "This widget does not exist or is not shared with you."


class WidgetNotVisible(NotFound):
    """No such widget on that dashboard for this caller, or not of the type asked."""

    def __init__(self) -> None:
        super().__init__(NOT_VISIBLE)


class WidgetSettingsInvalid(Refused):
    """The stored widget no longer validates (e.g. a data source changed)."""


def visible_widget(
    context: CommandContext,
    caller: Caller,
    dashboard_id: Any,
    widget_id: Any,
    widget_type: str | None = None,
) -> DashboardWidget:
    """The caller's widget on that dashboard (of ``widget_type`` when given).

    Raises:
        WidgetNotVisible: malformed ids, another org's or user's widget, another
            dashboard's, or a widget of another type.
    """
    dashboard_pk, widget_pk = parse_row_id(dashboard_id), parse_row_id(widget_id)
    if dashboard_pk is None or widget_pk is None:
        raise WidgetNotVisible()
    with context.db.session(caller.org_id) as session:
        row = dashboard_store.get_visible_widget(
            session, dashboard_pk, widget_pk, caller.user_id
        )
    if row is None or (widget_type is not None and row.widget_type != widget_type):
        raise WidgetNotVisible()
    return row


def visible_dashboard_widgets(
    context: CommandContext, caller: Caller, dashboard_id: Any
) -> dict[int, DashboardWidget]:
    """Every widget of that dashboard the caller may see, by id, in one read: what a
    refresh of the whole dashboard may draw. A malformed id, another org's dashboard
    or one that does not exist has none."""
    dashboard_pk = parse_row_id(dashboard_id)
    if dashboard_pk is None:
        return {}
    with context.db.session(caller.org_id) as session:
        rows = dashboard_store.visible_widgets(session, dashboard_pk, caller.user_id)
    return {row.id: row for row in rows}


def widget_spec(row: DashboardWidget) -> WidgetBase:
    """The stored widget as a validated spec.

    Raises:
        WidgetSettingsInvalid: it does not validate any more; the message lists why.
    """
    try:
        return spec_from_row(row)
    except TemplateError as exc:
        problems = "; ".join(exc.details)
        raise WidgetSettingsInvalid(
            f"This widget's settings are invalid: {problems}"
        ) from None


def visible_widget_spec(
    context: CommandContext,
    caller: Caller,
    dashboard_id: Any,
    widget_id: Any,
    widget_type: str,
) -> tuple[DashboardWidget, Any]:
    """:func:`visible_widget` and its :func:`widget_spec` in one call."""
    row = visible_widget(context, caller, dashboard_id, widget_id, widget_type)
    return row, widget_spec(row)
