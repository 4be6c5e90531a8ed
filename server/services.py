"""The app's services, built once by the factory and reached through ``services()``."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from flask_caching import Cache

from datasources.db import Database
from datasources.service import DataService
from server.settings import Settings

EXTENSION_KEY = "pulse"


@dataclass(frozen=True)
class Services:
    settings: Settings
    db: Database
    cache: Cache
    data: DataService


def services() -> Services:
    """The services of the Flask app handling the current request."""
    return current_app.extensions[EXTENSION_KEY]
