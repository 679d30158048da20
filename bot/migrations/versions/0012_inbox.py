"""the inbox: every incoming update stored before it is handled

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 20:08:25.793578
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WAITING = sa.text("status = 'waiting'")


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    op.create_table(
        "inbox_update",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("person", sa.BigInteger(), autoincrement=False, nullable=True),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("status", _text(16), nullable=False),
        sa.Column("tries", sa.Integer(), nullable=False),
        sa.Column("worker", _text(300), nullable=True),
        sa.Column("claim", _text(32), nullable=True),
        sa.Column("lease_until", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("stamp", _text(32), nullable=True),
        sa.Column("error", _text(500), nullable=True),
        sa.Column("received_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("done_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbox_update")),
    )
    op.create_index("ix_inbox_update_waiting", "inbox_update", ["id"],
                    postgresql_where=WAITING, sqlite_where=WAITING)
    op.create_index("ix_inbox_update_person_waiting", "inbox_update", ["person", "id"],
                    postgresql_where=WAITING, sqlite_where=WAITING)
    op.create_index("ix_inbox_update_status_done_at", "inbox_update", ["status", "done_at"])
    op.create_index(op.f("ix_inbox_update_worker"), "inbox_update", ["worker"])


def downgrade() -> None:
    op.drop_table("inbox_update")
