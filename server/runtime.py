"""The app's services, built once by the factory and reached through ``runtime()``."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from flask_caching import Cache

from accounts.audit import ReadLog
from core.crypto import SnapshotCipher
from core.db import Database
from core.settings import Settings
from datasources.cache import QueryCache

EXTENSION_KEY = "pulse"


@dataclass(frozen=True)
class Runtime:
    settings: Settings
    db: Database
    cache: Cache
    data: QueryCache
    # Records of API reads, written a second's worth at a time (accounts.audit).
    read_log: ReadLog | None = None
    # The version of the code and assets this process serves (server.version): an
    # open kiosk display that sees it change reloads itself.
    version: str = ""
    # Encrypts and decrypts dashboard snapshots (PULSE_SNAPSHOT_KEYS, or the key
    # generated into var/snapshot_keys in development).
    snapshot_cipher: SnapshotCipher | None = None

    def snapshots(self) -> SnapshotCipher:
        """The snapshot cipher, built from the settings when the app was made."""
        if self.snapshot_cipher is None:
            return SnapshotCipher(self.settings.snapshot_key_list())
        return self.snapshot_cipher


def runtime() -> Runtime:
    """The services of the Flask app handling the current request."""
    return current_app.extensions[EXTENSION_KEY]
