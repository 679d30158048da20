"""households and the support given to them (or to an area's cause) from a campaign

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 18:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    op.create_table(
        "household",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", _text(32), nullable=False),
        sa.Column("name", _text(200), nullable=False),
        sa.Column("search_name", _text(200), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("category", _text(16), nullable=False),
        sa.Column("members", sa.Integer(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("erased_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["area_id"], ["area.id"], name=op.f("fk_household_area_id_area"),
                                ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_household")),
        sa.UniqueConstraint("code", name=op.f("uq_household_code")),
    )
    op.create_index(op.f("ix_household_area_id"), "household", ["area_id"], unique=False)
    op.create_index(op.f("ix_household_search_name"), "household", ["search_name"],
                    unique=False)
    op.create_table(
        "support",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=True),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("cause", _text(200), nullable=True),
        sa.Column("kind", _text(16), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.Column("given_on", sa.Date(), nullable=False),
        sa.Column("file_id", _text(200), nullable=True),
        sa.Column("file_kind", _text(16), nullable=True),
        sa.Column("note", _text(500), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=True),
        sa.Column("stage", _text(16), nullable=True),
        sa.Column("recorded_by", sa.BigInteger(), autoincrement=False, nullable=True),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("supersedes_id", sa.Integer(), nullable=True),
        sa.Column("status", _text(16), nullable=False),
        sa.ForeignKeyConstraint(["area_id"], ["area.id"], name=op.f("fk_support_area_id_area"),
                                ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaign.id"],
                                name=op.f("fk_support_campaign_id_campaign"),
                                ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["household_id"], ["household.id"],
                                name=op.f("fk_support_household_id_household"),
                                ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["recorded_by"], ["user.id"],
                                name=op.f("fk_support_recorded_by_user"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["supersedes_id"], ["support.id"],
                                name=op.f("fk_support_supersedes_id_support"),
                                ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["target_id"], ["campaigntarget.id"],
                                name=op.f("fk_support_target_id_campaigntarget"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support")),
        sa.UniqueConstraint("supersedes_id", name=op.f("uq_support_supersedes_id")),
    )
    op.create_index(op.f("ix_support_area_id"), "support", ["area_id"], unique=False)
    op.create_index(op.f("ix_support_campaign_id"), "support", ["campaign_id"], unique=False)
    op.create_index(op.f("ix_support_household_id"), "support", ["household_id"], unique=False)


def downgrade() -> None:
    op.drop_table("support")
    op.drop_table("household")
