"""a campaign remembers when its officers were told its result, so they are told once

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 17:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("campaign", schema=None) as batch_op:
        batch_op.add_column(sa.Column("result_sent_at", sqlmodel.sql.sqltypes.UTCDateTime(),
                                      nullable=True))
    # campaigns over before this version: their officers are not told of them all at once
    op.execute("UPDATE campaign SET result_sent_at = CURRENT_TIMESTAMP "
               "WHERE ends_on < CURRENT_DATE")


def downgrade() -> None:
    with op.batch_alter_table("campaign", schema=None) as batch_op:
        batch_op.drop_column("result_sent_at")
