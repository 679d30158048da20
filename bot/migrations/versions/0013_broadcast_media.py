"""broadcast media and campaign letter attachments as lists; delivery.part

A broadcast (and a campaign's letter) carries any media a Telegram user can send, an album
included: a JSON list of {kind, file_id} replaces the one kind and file id. A delivery that
takes several calls (a text before a video note, an album before its buttons) counts the calls
already made, so a resumed delivery sends none of them twice.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04 03:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, the new list column, the old kind column, the old file id column)
MOVED = (("broadcast", "media", "media_kind", "media_file_id"),
         ("campaign", "attachment", "attachment_kind", "attachment_file_id"))


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    bind = op.get_bind()
    for table, new, kind, file_id in MOVED:
        op.add_column(table, sa.Column(new, sa.JSON(), nullable=True))
        rows = sa.table(table, sa.column("id", sa.Integer), sa.column(new, sa.JSON),
                        sa.column(kind, sa.String), sa.column(file_id, sa.String))
        for row_id, old_kind, old_file in bind.execute(
                sa.select(rows.c.id, rows.c[kind], rows.c[file_id])
                .where(rows.c[file_id].is_not(None))).all():
            bind.execute(rows.update().where(rows.c.id == row_id).values(
                {new: [{"kind": old_kind or "document", "file_id": old_file}]}))
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_column(kind)
            batch_op.drop_column(file_id)
    op.add_column("delivery", sa.Column("part", sa.Integer(), nullable=False,
                                        server_default="0"))
    with op.batch_alter_table("delivery") as batch_op:
        batch_op.alter_column("part", server_default=None)


def downgrade() -> None:
    """The first item of each list comes back (an album loses the rest)."""
    bind = op.get_bind()
    with op.batch_alter_table("delivery") as batch_op:
        batch_op.drop_column("part")
    for table, new, kind, file_id in MOVED:
        op.add_column(table, sa.Column(kind, _text(16), nullable=True))
        op.add_column(table, sa.Column(file_id, _text(200), nullable=True))
        rows = sa.table(table, sa.column("id", sa.Integer), sa.column(new, sa.JSON),
                        sa.column(kind, sa.String), sa.column(file_id, sa.String))
        for row_id, media in bind.execute(sa.select(rows.c.id, rows.c[new])
                                          .where(rows.c[new].is_not(None))).all():
            if media:
                bind.execute(rows.update().where(rows.c.id == row_id).values(
                    {kind: media[0]["kind"], file_id: media[0]["file_id"]}))
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_column(new)
