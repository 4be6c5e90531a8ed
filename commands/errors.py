"""The ways a command says no, shared by every adapter.

An API route answers :class:`NotFound` with 404, :class:`Refused` with 409 and
:class:`Invalid` with 422 (and :class:`accounts.permissions.PermissionDenied` with
403); a callback shows the message. Another org's ids are :class:`NotFound` exactly
like ids that do not exist.
"""

from __future__ import annotations


class CommandError(Exception):
    """A command refused to run; the message says why."""


class NotFound(CommandError, LookupError):
    """What the command names is not in the caller's org (or not visible to them).

    ``kind`` names it in the API's error (``"campaign"``: ``campaign not found``).
    """

    kind = ""


class Refused(CommandError, ValueError):
    """The thing exists, but its state does not allow this (e.g. already applied)."""


class Invalid(CommandError, ValueError):
    """The input is wrong; ``details`` names each problem."""

    def __init__(self, message: str, details: list[str] | None = None) -> None:
        super().__init__(message)
        self.details = details or [message]
