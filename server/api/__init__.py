"""The JSON API under ``/api/v1``.

Callers authenticate with the session cookie or ``Authorization: Bearer <org API key>``.
Errors are ``{"error": "...", "details": [...]}`` with a 4xx status; another org's ids
answer 404 exactly like ids that do not exist, so ids reveal nothing.

Each module of this package adds its routes to the one blueprint; ``load_routes``
imports them all.
"""

from __future__ import annotations

import importlib
import pkgutil

from server.api._core import blueprint


def load_routes():
    """Import every route module of this package (idempotent); return the blueprint."""
    for module in pkgutil.iter_modules(__path__):
        if not module.name.startswith("_"):
            importlib.import_module(f"{__name__}.{module.name}")
    return blueprint
