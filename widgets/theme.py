"""The shared Plotly templates (light for the browser and reports, dark for kiosks).

Every figure function uses these by name, so the screen and the PDF look alike.
"""

from __future__ import annotations

import plotly.graph_objects as go
import plotly.io as pio

FONT = "Inter, system-ui, -apple-system, Segoe UI, Roboto, Helvetica Neue, Arial, sans-serif"
# Colour-blind-safe categorical palette (Okabe–Ito order, blue first).
PALETTE = ["#2563eb", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#f0e442", "#6b7280"]
PLATFORM_COLORS = {
    "meta": "#2563eb", "google": "#e69f00", "tiktok": "#cc79a7",
    "linkedin": "#009e73", "snapchat": "#d55e00",
}
GOOD, BAD, NEUTRAL = "#15803d", "#b91c1c", "#6b7280"
LIGHT, DARK = "pulse", "pulse_dark"


def _template(dark: bool) -> go.layout.Template:
    text = "#e5e7eb" if dark else "#1f2937"
    grid = "#374151" if dark else "#e5e7eb"
    background = "#111827" if dark else "#ffffff"
    return go.layout.Template(
        layout=go.Layout(
            font=dict(family=FONT, size=13, color=text),
            colorway=PALETTE,
            paper_bgcolor=background,
            plot_bgcolor=background,
            margin=dict(l=48, r=16, t=16, b=40),
            hovermode="x unified",
            xaxis=dict(gridcolor=grid, linecolor=grid, zeroline=False, automargin=True),
            yaxis=dict(gridcolor=grid, linecolor=grid, zeroline=False, automargin=True),
            legend=dict(orientation="h", yanchor="bottom", y=1.02, xanchor="left", x=0),
            hoverlabel=dict(font=dict(family=FONT)),
        )
    )


def register_templates() -> None:
    """Install the Pulse templates into Plotly's template registry (idempotent)."""
    pio.templates[LIGHT] = _template(dark=False)
    pio.templates[DARK] = _template(dark=True)


register_templates()
