"""What goes wrong making a report.

TEMPORARY (delivery branch): the rendering branch owns this module; its version
replaces this one at merge, with the same name.
"""

from __future__ import annotations


class ReportRenderError(RuntimeError):
    """A report could not be rendered; the message names what failed."""
