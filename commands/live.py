"""What an open screen asks to stay current without redrawing: the org's data version
and the data keys of a dashboard's widgets.

A dashboard page (and a kiosk display) asks these on every tick instead of querying:
both are answered from the shared cache (Redis under gunicorn, the process's memory
embedded), with one database read for the dashboard's widget list. Every ingest or
campaign change bumps the org's version (:meth:`datasources.cache.QueryCache.
invalidate_org`) in that cache, so every worker sees it at once; that is the push
signal a realtime screen polls (``GET /live/version``, see :mod:`server.live`).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from accounts.permissions import Caller
from commands.context import CommandContext
from core.filters import Filters
from core.reference import parse_row_id
from dashboards import store as dashboard_store
from dashboards.render import widget_data_keys


def data_version(context: CommandContext, caller: Caller) -> str:
    """The caller's org's data version, as an opaque tag: it changes when anything
    the org's widgets show may have changed (an ingest, a campaign change), and only
    then. One cache round trip, no query; any signed-in caller of the org may ask."""
    return f"v{context.data.org_version(caller.org_id)}"


def dashboard_data_keys(
    context: CommandContext, caller: Caller, dashboard_id: Any, filters: Filters
) -> dict[str, str]:
    """The data key (:func:`dashboards.render.widget_data_key`) of every widget of the
    dashboard the caller may see, by widget id: a widget whose key is the one its
    screen shows has nothing new to show.

    ``dashboard_id`` comes from the browser: another org's dashboard, or one that does
    not exist, has no widgets here (an empty answer), like a private widget of another
    user.
    """
    dashboard_pk = parse_row_id(dashboard_id)
    if dashboard_pk is None:
        return {}
    with context.db.session(caller.org_id) as session:
        widgets = dashboard_store.visible_widgets(session, dashboard_pk, caller.user_id)
    return widget_data_keys(
        widgets, data=context.data, org_id=caller.org_id, filters=filters
    )


def keys_digest(keys: dict[str, str]) -> str:
    """One short digest of a dashboard's widget keys: equal digests, nothing new."""
    return hashlib.sha256(json.dumps(keys, sort_keys=True).encode()).hexdigest()[:16]
