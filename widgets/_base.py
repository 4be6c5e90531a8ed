"""What every widget spec has: title, data binding and its place on the 12-column
grid."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

GRID_COLUMNS = 12
ROW_HEIGHT = 60


class WidgetBase(BaseModel):
    """Fields shared by every widget type; each type adds a ``type`` literal and
    ``config``."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    id: int | str | None = None
    title: str = Field(min_length=1, max_length=200)
    data_source: str
    query_params: dict[str, Any] = Field(default_factory=dict)
    position_x: int = Field(0, ge=0, lt=GRID_COLUMNS)
    position_y: int = Field(0, ge=0)
    width: int = Field(3, ge=1, le=GRID_COLUMNS)
    height: int = Field(2, ge=1, le=24)
    is_shared: bool = True

    @model_validator(mode="after")
    def _inside_grid(self) -> WidgetBase:
        if self.position_x + self.width > GRID_COLUMNS:
            raise ValueError(
                f"position_x {self.position_x} + width {self.width} runs past the "
                f"{GRID_COLUMNS}-column grid"
            )
        return self

    def cells(self) -> set[tuple[int, int]]:
        return {
            (x, y)
            for x in range(self.position_x, self.position_x + self.width)
            for y in range(self.position_y, self.position_y + self.height)
        }


class RenderContext(BaseModel):
    """What a builder may know besides its spec and data."""

    model_config = ConfigDict(frozen=True)

    widget_id: int | str
    currency: str = "USD"
    theme: Literal["light", "dark"] = "light"
    # Whether the viewer may change what the widget shows (inline table actions,
    # apply/dismiss buttons); kiosks and reports render read-only.
    can_edit: bool = False


# A point of a chart over time names the bucket a click on it drills down to, in its
# customdata: "drill:week:2026-11-02" (a week, by its Monday) or "drill:day:...". An
# hour is as far as a drill goes, so hourly points name nothing.
DRILL_PREFIX = "drill"
DRILLABLE = ("week", "day")


def drill_target(granularity: str | None, date: Any) -> str | None:
    """The drill-down a click on the ``granularity`` bucket starting ``date`` asks
    for, as customdata, or ``None`` (an hour, or not a series over time)."""
    if granularity not in DRILLABLE:
        return None
    return f"{DRILL_PREFIX}:{granularity}:{str(date)[:10]}"
