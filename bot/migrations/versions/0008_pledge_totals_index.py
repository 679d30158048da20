"""an index that answers a campaign's totals without reading the pledges' rows

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 16:40:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ["campaign_id", "area_id", "pledger_kind", "status", "held", "amount",
           "received_amount"]


def upgrade() -> None:
    op.create_index("ix_pledge_totals", "pledge", COLUMNS)


def downgrade() -> None:
    op.drop_index("ix_pledge_totals", table_name="pledge")
