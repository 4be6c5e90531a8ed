"""Dashboards as users and provisioning scripts change them: create (from a template
document or by cloning a template), replace, delete, and open, each audited.

A document is validated as a whole (:func:`dashboards.schema.parse_template`) before
anything is written; an invalid one raises ``TemplateError`` with every problem, and
nothing is saved. Other users' private widgets are neither shown nor touched. Changing
a dashboard changes no figure, so the org's query cache stays as it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from accounts import audit
from accounts.permissions import Caller, Permission, require
from commands.context import CommandContext
from commands.errors import NotFound
from core.models import Dashboard, DashboardWidget
from dashboards import builtin
from dashboards import store as dashboard_store
from dashboards.schema import parse_template


class DashboardNotFound(NotFound):
    """No such dashboard in the caller's org (other orgs' ids included)."""

    kind = "dashboard"

    def __init__(self, dashboard_id: int) -> None:
        super().__init__(f"no dashboard {dashboard_id} in your org")


class TemplateNotFound(NotFound):
    """No such template (global, or the caller's org's)."""

    kind = "template"

    def __init__(self, template_id: int) -> None:
        super().__init__(f"no template {template_id}")


@dataclass(frozen=True)
class DashboardView:
    """A dashboard and the widgets the caller may see on it, in grid order."""

    dashboard: Dashboard
    widgets: list[DashboardWidget]

    def document(self) -> dict:
        """The dashboard as versioned template JSON (the editor's and the API's)."""
        return dashboard_store.dashboard_document(self.dashboard, self.widgets)


# ------------------------------------------------------------------------- reading
def list_dashboards(
    context: CommandContext, caller: Caller
) -> list[tuple[Dashboard, int]]:
    """The caller's org's dashboards with their widget counts, by name."""
    with context.db.session(caller.org_id) as session:
        return dashboard_store.list_dashboards(session)


def list_templates(
    context: CommandContext, caller: Caller
) -> list[tuple[Dashboard, int]]:
    """Global and org templates, with how many of the org's dashboards use each."""
    with context.db.session(caller.org_id) as session:
        return dashboard_store.list_templates(session)


def get_dashboard(
    context: CommandContext, caller: Caller, dashboard_id: int
) -> DashboardView:
    """A dashboard of the caller's org with the widgets they may see.

    Raises:
        DashboardNotFound: no such dashboard in the caller's org.
    """
    with context.db.session(caller.org_id) as session:
        return _view(session, _dashboard(session, dashboard_id), caller)


def open_dashboard(
    context: CommandContext, caller: Caller, dashboard_id: int
) -> DashboardView:
    """:func:`get_dashboard` for a person opening its page; the view is audited.

    Raises:
        DashboardNotFound: no such dashboard in the caller's org.
    """
    with context.db.session(caller.org_id) as session:
        view = _view(session, _dashboard(session, dashboard_id), caller)
        audit.record(session, "view", "dashboard", dashboard_id, caller=caller)
    return view


def read_dashboard(
    context: CommandContext,
    caller: Caller,
    dashboard_id: int,
    details: dict[str, Any] | None = None,
) -> DashboardView:
    """:func:`get_dashboard` for a read through the API (a script with a key, say):
    audited as ``read`` with ``details`` (the filters), in the same transaction.

    Raises:
        DashboardNotFound: no such dashboard in the caller's org.
    """
    with context.db.session(caller.org_id) as session:
        view = _view(session, _dashboard(session, dashboard_id), caller)
        audit.record(
            session, "read", "dashboard", dashboard_id, caller=caller, details=details
        )
    return view


# ------------------------------------------------------------------------ changing
def create_dashboard(
    context: CommandContext, caller: Caller, document: Any
) -> DashboardView:
    """Create a dashboard of the caller's org from a template document, as written.

    Args:
        context: the database and query cache.
        caller: who asks; needs :attr:`Permission.EDIT`.
        document: the template document (a dict, or its JSON text).

    Raises:
        PermissionDenied: the caller may not create dashboards.
        TemplateError: the document is invalid; ``details`` lists every problem.
    """
    require(caller, Permission.EDIT, "create dashboards")
    spec = parse_template(document if document is not None else "")
    with context.db.session(caller.org_id) as session:
        dashboard = dashboard_store.create_dashboard(
            session, spec, org_id=caller.org_id, user_id=caller.user_id
        )
        audit.record(session, "create", "dashboard", dashboard.id, caller=caller)
        return _view(session, dashboard, caller)


def create_dashboard_from_template(
    context: CommandContext,
    caller: Caller,
    template_id: int,
    name: str | None = None,
) -> DashboardView:
    """Clone a template into a dashboard of the caller's org (the caller owns it).

    Args:
        context: the database and query cache.
        caller: who asks; needs :attr:`Permission.EDIT`.
        template_id: a global template or one of the org's.
        name: the new dashboard's name, as given; without one (``None`` or blank)
            the template's, numbered when the org already has a dashboard of that
            name ("Executive Overview (2)").

    Raises:
        PermissionDenied: the caller may not create dashboards.
        TemplateNotFound: no such template for this org.
        TemplateError: the stored template no longer validates.
    """
    require(caller, Permission.EDIT, "create dashboards")
    with context.db.session(caller.org_id) as session:
        template = dashboard_store.get_template(session, template_id)
        if template is None:
            raise TemplateNotFound(template_id)
        if name is None or not name.strip():
            name = dashboard_store.unique_dashboard_name(session, template.name)
        dashboard = builtin.create_dashboard_from_template(
            session,
            template,
            org_id=caller.org_id,
            owner_id=caller.user_id,
            name=name,
        )
        audit.record(session, "create", "dashboard", dashboard.id, caller=caller)
        return _view(session, dashboard, caller)


def update_dashboard(
    context: CommandContext, caller: Caller, dashboard_id: int, document: Any
) -> DashboardView:
    """Replace a dashboard's settings and the widgets the caller can see with a
    template document.

    Raises:
        PermissionDenied: the caller may not change dashboards.
        TemplateError: the document is invalid, or its layout covers another user's
            private widget.
        DashboardNotFound: no such dashboard in the caller's org.
    """
    require(caller, Permission.EDIT, "change dashboards")
    with context.db.session(caller.org_id) as session:
        # A dashboard that is not there is "not found" whatever the document says.
        dashboard = _dashboard(session, dashboard_id)
        spec = parse_template(document if document is not None else "")
        dashboard_store.update_dashboard(
            session, dashboard, spec, user_id=caller.user_id
        )
        audit.record(session, "update", "dashboard", dashboard.id, caller=caller)
        return _view(session, dashboard, caller)


def delete_dashboard(
    context: CommandContext, caller: Caller, dashboard_id: int
) -> None:
    """Delete a dashboard of the caller's org and all its widgets.

    Raises:
        PermissionDenied: the caller may not delete dashboards.
        DashboardNotFound: no such dashboard in the caller's org.
    """
    require(caller, Permission.EDIT, "delete dashboards")
    with context.db.session(caller.org_id) as session:
        dashboard_store.delete_dashboard(session, _dashboard(session, dashboard_id))
        audit.record(session, "delete", "dashboard", dashboard_id, caller=caller)


def _dashboard(session: Session, dashboard_id: int) -> Dashboard:
    dashboard = dashboard_store.get_dashboard(session, dashboard_id)
    if dashboard is None:
        raise DashboardNotFound(dashboard_id)
    return dashboard


def _view(session: Session, dashboard: Dashboard, caller: Caller) -> DashboardView:
    widgets = dashboard_store.visible_widgets(session, dashboard.id, caller.user_id)
    return DashboardView(dashboard, widgets)
