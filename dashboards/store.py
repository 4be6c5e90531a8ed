"""Org dashboards, their widgets and the templates, in the session's org.

Reading helpers (what a user may see) and the writes the dashboard commands make
(:mod:`commands.dashboards` authorizes and audits them); every function takes an
org-scoped session that its caller owns.
"""

from __future__ import annotations

import itertools
import re

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from core.models import Dashboard, DashboardWidget
from dashboards.schema import TemplateError, TemplateSpec


def list_dashboards(session: Session) -> list[tuple[Dashboard, int]]:
    """The org's dashboards (not templates) with their widget counts, by name."""
    counts = (
        select(DashboardWidget.dashboard_id, func.count().label("n"))
        .group_by(DashboardWidget.dashboard_id)
        .subquery()
    )
    rows = session.execute(
        select(Dashboard, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.dashboard_id == Dashboard.id)
        .where(
            Dashboard.is_template.is_(False),
            Dashboard.org_id.is_not(None),
        )
        .order_by(Dashboard.name)
    ).all()
    return [(dashboard, count) for dashboard, count in rows]


def unique_dashboard_name(session: Session, name: str) -> str:
    """``name`` if no dashboard of the org has it, else the first free one of
    ``name (2)``, ``name (3)``, ... (a copy of a copy is numbered from the original's
    name: "Executive Overview (2)" is followed by "Executive Overview (3)")."""
    base = re.sub(r" \(\d+\)$", "", name)
    taken = set(
        session.scalars(
            select(Dashboard.name).where(
                Dashboard.is_template.is_(False),
                Dashboard.org_id.is_not(None),
                Dashboard.name.startswith(base, autoescape=True),
            )
        )
    )
    if name not in taken:
        return name
    return next(
        candidate
        for number in itertools.count(2)
        if (candidate := f"{base} ({number})") not in taken
    )


def get_dashboard(session: Session, dashboard_id: int) -> Dashboard | None:
    """One of the session org's dashboards, or ``None`` (also for other orgs' ids)."""
    return session.scalars(
        select(Dashboard).where(
            Dashboard.id == dashboard_id,
            Dashboard.is_template.is_(False),
            Dashboard.org_id.is_not(None),
        )
    ).one_or_none()


def _visible_to(user_id: int | None):
    if user_id is None:
        return DashboardWidget.is_shared.is_(True)
    return or_(DashboardWidget.is_shared.is_(True), DashboardWidget.owner_id == user_id)


def visible_widgets(
    session: Session, dashboard_id: int, user_id: int | None
) -> list[DashboardWidget]:
    """The dashboard's widgets shared with the org or owned by ``user_id``, in grid
    order."""
    return list(
        session.scalars(
            select(DashboardWidget)
            .where(DashboardWidget.dashboard_id == dashboard_id, _visible_to(user_id))
            .order_by(
                DashboardWidget.position_y,
                DashboardWidget.position_x,
                DashboardWidget.id,
            )
        )
    )


def get_visible_widget(
    session: Session, dashboard_id: int, widget_id: int, user_id: int | None
) -> DashboardWidget | None:
    """A widget by id, only if it is on that dashboard and visible to the user."""
    return session.scalars(
        select(DashboardWidget).where(
            DashboardWidget.id == widget_id,
            DashboardWidget.dashboard_id == dashboard_id,
            _visible_to(user_id),
        )
    ).one_or_none()


def list_templates(session: Session) -> list[tuple[Dashboard, int]]:
    """Global templates and the org's own templates, with how many of the org's
    dashboards were created from each."""
    usage = (
        select(
            Dashboard.source_template_id.label("template_id"),
            func.count().label("n"),
        )
        .where(
            Dashboard.is_template.is_(False),
            Dashboard.org_id.is_not(None),
        )
        .group_by(Dashboard.source_template_id)
        .subquery()
    )
    rows = session.execute(
        select(Dashboard, func.coalesce(usage.c.n, 0))
        .outerjoin(usage, usage.c.template_id == Dashboard.id)
        .where(Dashboard.is_template.is_(True))
        .order_by(Dashboard.org_id.is_not(None), Dashboard.name)
    ).all()
    return [(template, count) for template, count in rows]


def get_template(session: Session, template_id: int) -> Dashboard | None:
    return session.scalars(
        select(Dashboard).where(
            Dashboard.id == template_id, Dashboard.is_template.is_(True)
        )
    ).one_or_none()


def widget_document(widget: DashboardWidget) -> dict:
    """A stored widget as template JSON (the shape the editor and the API use)."""
    return {
        "id": widget.id,
        "type": widget.widget_type,
        "title": widget.title,
        "data_source": widget.data_source,
        "query_params": widget.query_params or {},
        "config": widget.config or {},
        "position_x": widget.position_x,
        "position_y": widget.position_y,
        "width": widget.width,
        "height": widget.height,
        "is_shared": widget.is_shared,
    }


def dashboard_document(dashboard: Dashboard, widgets: list[DashboardWidget]) -> dict:
    """The dashboard as versioned template JSON with ``widgets`` (those the user may
    see, from :func:`visible_widgets`)."""
    return {
        "schema_version": dashboard.schema_version,
        "name": dashboard.name,
        "description": dashboard.description,
        "category": dashboard.category,
        "layout_config": dashboard.layout_config,
        "default_filters": dashboard.default_filters,
        "refresh_interval": dashboard.refresh_interval,
        "widgets": [widget_document(w) for w in widgets],
    }


# -------------------------------------------------------------------------- writes
def create_dashboard(
    session: Session,
    spec: TemplateSpec,
    *,
    org_id: int,
    user_id: int | None,
    source_template_id: int | None = None,
) -> Dashboard:
    """Create an org dashboard from a validated ``TemplateSpec``."""
    dashboard = Dashboard(
        org_id=org_id,
        is_template=False,
        source_template_id=source_template_id,
        created_by=user_id,
        widgets=[],
    )
    session.add(dashboard)
    _apply_spec(dashboard, spec)
    session.flush()
    _replace_widgets(session, dashboard, spec, user_id)
    return dashboard


def update_dashboard(
    session: Session,
    dashboard: Dashboard,
    spec: TemplateSpec,
    *,
    user_id: int | None,
) -> Dashboard:
    """Replace the dashboard's settings and the widgets the user can see.

    Other users' private widgets are neither shown to the editor nor touched.
    """
    _apply_spec(dashboard, spec)
    _replace_widgets(session, dashboard, spec, user_id)
    return dashboard


def _apply_spec(dashboard: Dashboard, spec: TemplateSpec) -> None:
    dashboard.name = spec.name
    dashboard.description = spec.description
    dashboard.category = spec.category
    dashboard.schema_version = spec.schema_version
    dashboard.layout_config = spec.layout_config.model_dump()
    dashboard.default_filters = spec.default_filters.model_dump()
    dashboard.refresh_interval = spec.refresh_interval


def _replace_widgets(
    session: Session,
    dashboard: Dashboard,
    spec: TemplateSpec,
    user_id: int | None,
) -> None:
    existing = {w.id: w for w in visible_widgets(session, dashboard.id, user_id)}
    kept: set[int] = set()
    written: list[DashboardWidget] = []
    for widget in spec.widgets:
        row = existing.get(widget.id) if isinstance(widget.id, int) else None
        if row is None:
            row = DashboardWidget(
                org_id=dashboard.org_id, dashboard_id=dashboard.id, owner_id=user_id
            )
            session.add(row)
        else:
            kept.add(row.id)
        row.widget_type, row.title, row.data_source = (
            widget.type,
            widget.title,
            widget.data_source,
        )
        row.query_params = widget.query_params
        row.config = widget.config.model_dump(exclude_none=True)
        row.position_x, row.position_y = widget.position_x, widget.position_y
        row.width, row.height, row.is_shared = (
            widget.width,
            widget.height,
            widget.is_shared,
        )
        written.append(row)
    for widget_id, row in existing.items():
        if widget_id not in kept:
            session.delete(row)
    session.flush()
    mine = {row.id for row in written} | set(existing)
    hidden = [
        w
        for w in session.scalars(
            select(DashboardWidget).where(DashboardWidget.dashboard_id == dashboard.id)
        )
        if w.id not in mine
    ]
    _check_hidden_overlaps(spec, hidden)


def _check_hidden_overlaps(spec: TemplateSpec, hidden: list[DashboardWidget]) -> None:
    """Private widgets of others keep their places; a new layout may not cover them."""
    taken = {
        (x, y): w.title
        for w in hidden
        for x in range(w.position_x, w.position_x + w.width)
        for y in range(w.position_y, w.position_y + w.height)
    }
    problems = [
        f'widget {index + 1} "{widget.title}": overlaps a private widget of another '
        "user"
        for index, widget in enumerate(spec.widgets)
        if widget.cells() & taken.keys()
    ]
    if problems:
        raise TemplateError(problems)


def delete_dashboard(session: Session, dashboard: Dashboard) -> None:
    session.delete(dashboard)
