"""bank statements: each bank transaction recorded once per campaign; remembered layouts

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 16:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "statementlayout",
        sa.Column("signature", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("columns", sa.JSON(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("signature", name=op.f("pk_statementlayout")),
    )
    op.create_table(
        "banktransaction",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("on", sa.Date(), nullable=False),
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("pledge_id", sa.Integer(), nullable=True),
        sa.Column("outcome", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("imported_by", sa.BigInteger(), autoincrement=False, nullable=True),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaign.id"],
                                name=op.f("fk_banktransaction_campaign_id_campaign"),
                                ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["imported_by"], ["user.id"],
                                name=op.f("fk_banktransaction_imported_by_user"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["pledge_id"], ["pledge.id"],
                                name=op.f("fk_banktransaction_pledge_id_pledge"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_banktransaction")),
        sa.UniqueConstraint("campaign_id", "key", name=op.f("uq_banktransaction_campaign_id")),
    )


def downgrade() -> None:
    op.drop_table("banktransaction")
    op.drop_table("statementlayout")
