"""Built-in dashboard templates and dashboards created from them.

The JSON files beside this module are the global templates (``org_id`` NULL); they are
validated on install, so a broken built-in template fails the migration loudly rather
than a user's dashboard quietly.
"""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core.models import Dashboard
from dashboards.schema import parse_template
from dashboards.store import create_dashboard

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"


def builtin_template_documents() -> list[dict]:
    return [
        json.loads(path.read_text()) for path in sorted(TEMPLATE_DIR.glob("*.json"))
    ]


def sync_builtin_templates(session: Session) -> int:
    """Insert or update every built-in template as a global row (unscoped session)."""
    count = 0
    for document in builtin_template_documents():
        spec = parse_template(document)
        row = session.scalars(
            select(Dashboard).where(
                Dashboard.org_id.is_(None), Dashboard.slug == spec.slug
            )
        ).one_or_none()
        if row is None:
            row = Dashboard(org_id=None, slug=spec.slug, is_template=True)
            session.add(row)
        row.name = spec.name
        row.description = spec.description
        row.category = spec.category
        row.schema_version = spec.schema_version
        row.layout_config = spec.layout_config.model_dump()
        row.widgets = [
            w.model_dump(mode="json", exclude_none=True) for w in spec.widgets
        ]
        row.default_filters = spec.default_filters.model_dump()
        row.refresh_interval = spec.refresh_interval
        count += 1
    return count


def template_spec(template: Dashboard, name: str | None = None):
    """Validate a stored template row as a ``TemplateSpec``."""
    return parse_template(
        {
            "name": name or template.name,
            "slug": template.slug,
            "category": template.category,
            "description": template.description,
            "layout_config": template.layout_config,
            "widgets": template.widgets,
            "default_filters": template.default_filters,
            "refresh_interval": template.refresh_interval,
        }
    )


def create_dashboard_from_template(
    session: Session,
    template: Dashboard,
    *,
    org_id: int,
    owner_id: int | None,
    name: str | None = None,
) -> Dashboard:
    """Clone a template into an org dashboard with one widget row per template
    widget."""
    dashboard = create_dashboard(
        session,
        template_spec(template, name),
        org_id=org_id,
        user_id=owner_id,
        source_template_id=template.id,
    )
    dashboard.slug = template.slug
    if template.org_id is not None:
        # Global templates are read-only to tenants: their usage is counted from the
        # org's dashboards (source_template_id) instead.
        session.execute(
            update(Dashboard)
            .where(Dashboard.id == template.id)
            .values(usage_count=Dashboard.usage_count + 1)
        )
    return dashboard
