"""What a migration that adds tenant tables does besides creating them.

Shared by the migrations from 0005 on. Old migrations run again on every new database,
so never change what these functions do: add a new function instead.
"""

import os

import sqlalchemy as sa
from alembic import op

ORG_SETTING = "NULLIF(current_setting('app.org_id', true), '')::integer"
METRIC_SUMS = ("impressions", "clicks", "conversions", "spend", "revenue")


def metric_sum_columns() -> list[sa.Column]:
    """The five additive measures of a fact or rollup table, not null."""
    return [
        sa.Column(
            name,
            sa.Float() if name in ("spend", "revenue") else sa.BigInteger(),
            nullable=False,
        )
        for name in METRIC_SUMS
    ]


def secure_tenant_tables(*tables: str) -> None:
    """On PostgreSQL: analyse the (backfilled) tables, enable and force row-level
    security with the tenant policy, and grant the app role (``PULSE_DB_APP_ROLE``,
    default ``pulse_app``) read and write access when that role exists."""
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in tables:
        op.execute(f"ANALYZE {table}")
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(
            f"CREATE POLICY tenant_isolation ON {table} "
            f"USING (org_id = {ORG_SETTING}) WITH CHECK (org_id = {ORG_SETTING})"
        )
    role = os.environ.get("PULSE_DB_APP_ROLE", "pulse_app")
    if not role.replace("_", "").isalnum():
        raise ValueError(f"PULSE_DB_APP_ROLE {role!r} is not a plain identifier")
    if (
        op.get_bind()
        .execute(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role})
        .scalar()
    ):
        op.execute(
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON {', '.join(tables)} TO {role}"
        )
