"""Only the app role may call the login and API-key lookups, and they resolve ``users``
and ``api_keys`` in ``public`` only.

PostgreSQL grants EXECUTE on a new function to PUBLIC, so until now any role that could
connect could call ``pulse_login_lookup`` (SECURITY DEFINER: it runs as the owner and
bypasses row-level security) and read any org's user ids and password hashes by email.
Their ``search_path`` was ``public`` alone, and PostgreSQL then searches ``pg_temp``
*first*: a caller's temporary table named ``users`` would have shadowed the real one.

This revokes EXECUTE from PUBLIC, grants it to the app role (``PULSE_DB_APP_ROLE``,
default ``pulse_app``, as every migration does; ``pulse pgsetup`` creates that role
before migrating) and pins ``search_path = public, pg_temp``. On SQLite it does nothing.

Revision ID: 0008
Revises: 0007
"""

import os

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

FUNCTIONS = ("pulse_login_lookup(text)", "pulse_api_key_lookup(text)")


def _app_role() -> str:
    role = os.environ.get("PULSE_DB_APP_ROLE", "pulse_app")
    if not role.replace("_", "").isalnum():
        raise ValueError(f"PULSE_DB_APP_ROLE {role!r} is not a plain identifier")
    return role


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for function in FUNCTIONS:
        op.execute(f"ALTER FUNCTION {function} SET search_path = public, pg_temp")
        op.execute(f"REVOKE EXECUTE ON FUNCTION {function} FROM PUBLIC")
    role = _app_role()
    exists = (
        op.get_bind()
        .execute(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role})
        .scalar()
    )
    if exists:
        op.execute(f"GRANT EXECUTE ON FUNCTION {', '.join(FUNCTIONS)} TO {role}")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for function in FUNCTIONS:
        op.execute(f"ALTER FUNCTION {function} SET search_path = public")
        op.execute(f"GRANT EXECUTE ON FUNCTION {function} TO PUBLIC")
