"""The kiosk display's page (``/kiosk/<token>``), on the kiosk app at ``/kiosk/``.

The components are in :mod:`dashboards.kiosk_page`; the first tick of
:mod:`callbacks.kiosk` fills the page.
"""

from __future__ import annotations

from dash import html

from dashboards.kiosk_page import layout as kiosk_layout
from server.runtime import runtime


def layout() -> html.Div:
    """The kiosk app's layout, stamped with the version this process serves (a tick
    answered by another version reloads the page: a deploy)."""
    return kiosk_layout(runtime().version)
