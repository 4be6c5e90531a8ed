"""Pieces of the snapshot pages that both the pages (``layouts.snapshots``) and the
list's callback (``callbacks.snapshots``) draw, so they read alike everywhere."""

from __future__ import annotations

import datetime as dt

from dash import html

# (label, format) of the files a snapshot downloads as, through the API (audited).
DOWNLOADS = (("JSON", "json"), ("PDF", "pdf"), ("Excel", "xlsx"))


def download_links(snapshot_id: int, size: str = "sm") -> list[html.A]:
    """Links that download the snapshot's files through ``/api/v1/snapshots``."""
    return [
        html.A(
            label,
            href=f"/api/v1/snapshots/{snapshot_id}?format={fmt}",
            className=f"btn btn-{size} btn-outline-secondary me-1 mb-1",
            id={"type": "snapshot-download", "format": fmt, "index": snapshot_id},
        )
        for label, fmt in DOWNLOADS
    ]


def when_text(local: dt.datetime) -> str:
    """An instant already in the org's zone: "2026-03-08 09:30 EST"."""
    return f"{local:%Y-%m-%d %H:%M %Z}"
