"""Rendered reports: the file a report becomes.

TEMPORARY (delivery branch): the rendering branch owns this module (the registry of
formats and ``render_report``); its version replaces this one at merge. The delivery
code uses only :class:`RenderedReport`, with the fields of the contract.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RenderedReport:
    """A report file: its name, MIME type and bytes."""

    filename: str
    mimetype: str
    data: bytes
