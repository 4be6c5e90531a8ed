"""The version of Pulse a process serves, as a kiosk display compares it.

A display is a page left open for days; after a deploy it must load the new code and
assets by itself. The version is a digest of ``PULSE_RELEASE`` (set it to the commit
you deploy), the Dash version and the content of every file in ``assets/``, computed
once at start-up: a tick answered by a server whose version differs from the one that
served the page reloads it (see :mod:`callbacks.kiosk`).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import dash

from core.settings import PROJECT_ROOT, Settings


def app_version(settings: Settings, assets: Path = PROJECT_ROOT / "assets") -> str:
    digest = hashlib.sha256()
    digest.update(f"{settings.release}\0{dash.__version__}\0".encode())
    for path in sorted(p for p in assets.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(assets)).encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:20]
