"""Who may do what in Pulse: the one role policy.

A person's role is one of :data:`core.reference.ROLES` (admin, editor, viewer); an org
API key acts with the role :data:`API_KEY_ROLE`. Everyone signed in to an org may look
at its dashboards and data. Beyond that, :data:`GRANTS` says which roles hold each
:class:`Permission`:

* :attr:`Permission.EDIT`: change dashboards and campaigns and ingest facts; admins,
  editors and API keys (provisioning scripts and ingest jobs use keys);
* :attr:`Permission.DECIDE`: apply or dismiss recommendations, acknowledge or resolve
  anomalies, re-run the analytics; admins and editors only, because such a decision is
  recorded as a person's (``decided_by``, ``acknowledged_by``) and a key is nobody.
* :attr:`Permission.ADMINISTER`: read the audit log, list and delete users, change the
  org's retention settings; admins only (and the ``pulse`` command line, which acts
  as :data:`OPERATOR_ROLE` with the schema owner's database URL). An API key may not:
  a leaked key must not be able to read who did what, or erase people.

Commands call :func:`require` before they change anything, whoever calls them (API
route, callback, CLI); pages ask :func:`can_edit` only to decide which buttons to show.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

API_KEY_ROLE = "api"
# The role of the ``pulse`` command line acting on an org (``pulse users delete``): an
# operator holding the schema owner's database URL, not a person of the org.
OPERATOR_ROLE = "operator"
# How much of a client's User-Agent header an audit row keeps.
USER_AGENT_LENGTH = 256


class Permission(StrEnum):
    """What a caller may be allowed to do beyond looking."""

    EDIT = "edit"
    DECIDE = "decide"
    ADMINISTER = "administer"


@dataclass(frozen=True)
class Grant:
    """The roles holding a permission, and how a sentence to a person names them."""

    roles: tuple[str, ...]
    holders: str


GRANTS: dict[Permission, Grant] = {
    Permission.EDIT: Grant(("admin", "editor", API_KEY_ROLE), "editors and admins"),
    Permission.DECIDE: Grant(("admin", "editor"), "editors and admins"),
    Permission.ADMINISTER: Grant(("admin", OPERATOR_ROLE), "admins"),
}


@dataclass(frozen=True)
class Caller:
    """Who asks: a signed-in person of an org, or an org API key (``user_id`` None).

    The org, the user, the role and the key come from the credentials only (the session
    or the key), never from the request. ``address`` and ``user_agent`` say where the
    request came from; they are only written to audit rows, never used to decide.
    """

    org_id: int
    user_id: int | None
    role: str
    api_key_id: int | None = None
    address: str | None = None
    user_agent: str | None = None


class PermissionDenied(Exception):
    """The caller's role does not hold the permission an action needs.

    ``str(exc)`` is the API's detail (``needs role admin or editor; you are viewer``);
    :attr:`message` is the sentence shown to a person in the app.
    """

    def __init__(self, role: str, permission: Permission, doing: str) -> None:
        self.role, self.permission, self.doing = role, permission, doing
        self.grant = GRANTS[permission]
        # The operator role is the command line's, never a request's: not worth naming.
        roles = [r for r in self.grant.roles if r != OPERATOR_ROLE]
        super().__init__(f"needs role {' or '.join(roles)}; you are {role}")

    @property
    def message(self) -> str:
        """E.g. ``Only editors and admins can change campaigns.``"""
        return f"Only {self.grant.holders} can {self.doing}."


def allowed(role: str, permission: Permission) -> bool:
    """Whether ``role`` holds ``permission``."""
    return role in GRANTS[permission].roles


def can_edit(role: str) -> bool:
    """Whether ``role`` may change dashboards and campaigns (and sees the buttons)."""
    return allowed(role, Permission.EDIT)


def is_admin(role: str) -> bool:
    """Whether ``role`` may read the audit log and manage users (and sees the link)."""
    return allowed(role, Permission.ADMINISTER)


def require(caller: Caller, permission: Permission, doing: str) -> None:
    """Refuse unless the caller's role holds ``permission``.

    Args:
        caller: who asks.
        permission: what the action needs.
        doing: the action as a person reads it after "can" (``"change campaigns"``).

    Raises:
        PermissionDenied: the role does not hold the permission.
    """
    if not allowed(caller.role, permission):
        raise PermissionDenied(caller.role, permission, doing)
