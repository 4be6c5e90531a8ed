"""The one role policy: which role may edit and decide, and how a refusal reads."""

from __future__ import annotations

import pytest

from accounts.permissions import (
    API_KEY_ROLE,
    Caller,
    Permission,
    PermissionDenied,
    allowed,
    can_edit,
    require,
)
from core.reference import ROLES

# role -> (may edit, may decide)
EXPECTED = {
    "admin": (True, True),
    "editor": (True, True),
    "viewer": (False, False),
    API_KEY_ROLE: (True, False),
    "intruder": (False, False),  # a role Pulse does not know holds nothing
}


def test_the_policy_names_every_role_of_pulse():
    assert set(ROLES) | {API_KEY_ROLE} <= set(EXPECTED)


@pytest.mark.parametrize("role", EXPECTED)
def test_each_role_holds_exactly_its_permissions(role):
    may_edit, may_decide = EXPECTED[role]
    assert allowed(role, Permission.EDIT) is may_edit
    assert allowed(role, Permission.DECIDE) is may_decide
    assert can_edit(role) is may_edit


def test_a_viewer_is_refused_with_the_apis_detail_and_the_apps_sentence():
    viewer = Caller(org_id=1, user_id=7, role="viewer")
    with pytest.raises(PermissionDenied) as refused:
        require(viewer, Permission.EDIT, "change campaigns")
    assert str(refused.value) == "needs role admin or editor or api; you are viewer"
    assert refused.value.message == "Only editors and admins can change campaigns."
    with pytest.raises(PermissionDenied) as refused:
        require(viewer, Permission.DECIDE, "apply recommendations")
    assert str(refused.value) == "needs role admin or editor; you are viewer"


def test_an_editor_passes_and_an_api_key_edits_but_does_not_decide():
    assert require(Caller(1, 7, "editor"), Permission.DECIDE, "decide") is None
    key = Caller(org_id=1, user_id=None, role=API_KEY_ROLE, api_key_id=3)
    assert require(key, Permission.EDIT, "change campaigns") is None
    with pytest.raises(PermissionDenied, match="you are api"):
        require(key, Permission.DECIDE, "apply recommendations")
