"""The one error a report raises when it cannot be made."""

from __future__ import annotations


class ReportRenderError(Exception):
    """A report could not be made; the message names what failed (a widget by its
    title, a format, the browser) and why.

    Attributes:
        part: what failed, e.g. ``widget "ROAS Trend"`` or ``format "docx"``.
        reason: why, in one sentence.
    """

    def __init__(self, part: str, reason: str) -> None:
        super().__init__(f"{part}: {reason}")
        self.part = part
        self.reason = reason
