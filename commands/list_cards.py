"""The buttons of a list-card widget: apply/dismiss a recommendation, acknowledge/
resolve an anomaly, from its card on a dashboard.

The widget, the action and the item id come from the browser: the list must be the
caller's to see on that dashboard, the action one of its kind's, and the item in the
caller's org. The action itself is the same command the API runs.
"""

from __future__ import annotations

from typing import Any

from accounts.permissions import Caller, Permission, require
from commands.anomalies import acknowledge_anomaly, resolve_anomaly
from commands.context import CommandContext
from commands.errors import NotFound, Refused
from commands.recommendations import apply_recommendation, dismiss_recommendation
from commands.visibility import visible_widget_spec
from widgets.list_cards import ACTIONS

RUN = {
    "apply": apply_recommendation,
    "dismiss": dismiss_recommendation,
    "acknowledge": acknowledge_anomaly,
    "resolve": resolve_anomaly,
}


class ItemNotFound(NotFound):
    """The item id the button sent is no id at all."""


def act_on_list_item(
    context: CommandContext,
    caller: Caller,
    dashboard_id: Any,
    widget_id: Any,
    action: str,
    item_id: Any,
) -> dict:
    """Run a list card's action on its item, audited, and invalidate the org's cache.

    Returns:
        What the action's command returns (:func:`commands.recommendations.
        apply_recommendation`, ``dismiss_recommendation``, :func:`commands.anomalies.
        acknowledge_anomaly`, ``resolve_anomaly``).

    Raises:
        PermissionDenied: the caller may not act on recommendations and anomalies.
        WidgetNotVisible: no such list on that dashboard for the caller.
        ItemNotFound: the item id is malformed.
        Refused: the action is not one of this list's kind.
        CommandError: whatever the action's command raises.
    """
    require(caller, Permission.DECIDE, "act on these items")
    _, spec = visible_widget_spec(
        context, caller, dashboard_id, widget_id, "list_cards"
    )
    try:
        item_pk = int(item_id)
    except (TypeError, ValueError):
        raise ItemNotFound("That item does not exist.") from None
    if action not in ACTIONS.get(spec.kind, ()):
        raise Refused(f"“{action}” is not an action of {spec.kind} cards.")
    return RUN[action](context, caller, item_pk)
