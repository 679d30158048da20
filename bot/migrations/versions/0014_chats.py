"""groups and channels as broadcast audiences

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 03:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    op.create_table(
        "chat",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("type", _text(16), nullable=False),
        sa.Column("title", _text(255), nullable=False),
        sa.Column("status", _text(16), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=True),
        sa.Column("language", _text(16), nullable=True),
        sa.Column("linked_by", sa.BigInteger(), autoincrement=False, nullable=True),
        sa.Column("linked_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("added_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("removed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("migrated_to", sa.BigInteger(), autoincrement=False, nullable=True),
        sa.Column("next_send_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["area_id"], ["area.id"], name=op.f("fk_chat_area_id_area"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["linked_by"], ["user.id"],
                                name=op.f("fk_chat_linked_by_user"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chat")),
    )
    op.create_index(op.f("ix_chat_area_id"), "chat", ["area_id"])
    with op.batch_alter_table("broadcast") as batch:
        batch.add_column(sa.Column("chats", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("broadcast") as batch:
        batch.drop_column("chats")
    op.drop_index(op.f("ix_chat_area_id"), table_name="chat")
    op.drop_table("chat")
