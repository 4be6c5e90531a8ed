"""The shared Plotly templates (light for the browser and reports, dark for kiosks).

Every figure function uses these by name, so the screen and the PDF look alike.
"""

from __future__ import annotations

import plotly.graph_objects as go
import plotly.io as pio

FONT = (
    "Inter, system-ui, -apple-system, Segoe UI, Roboto, Helvetica Neue, Arial, "
    "sans-serif"
)
# Colour-blind-safe categorical palette (Okabe–Ito order, blue first).
PALETTE = [
    "#2563eb",
    "#e69f00",
    "#009e73",
    "#cc79a7",
    "#56b4e9",
    "#d55e00",
    "#f0e442",
    "#6b7280",
]
PLATFORM_COLORS = {
    "meta": "#2563eb",
    "google": "#e69f00",
    "tiktok": "#cc79a7",
    "linkedin": "#009e73",
    "snapchat": "#d55e00",
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


# --- Helpers for the chart widgets (bar, pie, gauge, heatmap, map) --------------------

WARNING = "#b45309"
# Named status colours a template may use in gauge thresholds instead of hex codes.
STATUS_COLORS = {"good": GOOD, "warning": WARNING, "bad": BAD, "neutral": NEUTRAL}
# The "Other" slice of a pie and the track of a gauge: present but never the story.
OTHER_COLOR = "#9ca3af"
# Sequential scales for magnitudes (heatmap cells, map countries). Light: pale to deep
# blue on white. Dark: deep to light blue, so high values glow on a kiosk. Neither end
# is close to the background or the map's grey land, so the lowest value never looks
# like "no value" (an empty cell, an uncoloured country).
SEQUENTIAL_LIGHT = [
    [0.0, "#dbeafe"],
    [0.35, "#93c5fd"],
    [0.7, "#2563eb"],
    [1.0, "#1e3a8a"],
]
SEQUENTIAL_DARK = [
    [0.0, "#1e40af"],
    [0.35, "#2563eb"],
    [0.7, "#60a5fa"],
    [1.0, "#dbeafe"],
]


def template_name(theme: str) -> str:
    """The Plotly template for a render theme (``"dark"`` for kiosks, else light)."""
    return DARK if theme == "dark" else LIGHT


def sequential_scale(template: str) -> list[list]:
    """The magnitude colour scale that reads on ``template``'s background."""
    return SEQUENTIAL_DARK if template == DARK else SEQUENTIAL_LIGHT


def series_color(key: str | None, index: int) -> str:
    """A platform's own colour when ``key`` is a platform, else the ``index``-th palette
    colour, so Meta is the same blue in every chart."""
    return PLATFORM_COLORS.get(key or "", PALETTE[index % len(PALETTE)])


def muted_text(template: str) -> str:
    """Secondary text colour (axis notes, "no value" marks) for ``template``."""
    return "#9ca3af" if template == DARK else "#6b7280"


def background_color(template: str) -> str:
    """The paper colour of ``template`` (slice borders, gauge needles' background)."""
    return pio.templates[template].layout.paper_bgcolor


def text_color(template: str) -> str:
    """The main text colour of ``template`` (marks that must read on light and dark)."""
    return pio.templates[template].layout.font.color
