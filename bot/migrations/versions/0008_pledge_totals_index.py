"""indexes that answer a campaign's public figures without reading the pledges' rows

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

INDEXES = {
    # totals(): sums grouped by area and pledger kind
    "ix_pledge_totals": ["campaign_id", "area_id", "pledger_kind", "status", "held", "amount",
                         "received_amount"],
    # progress(): distinct pledgers, counted by a GROUP BY that follows the index's order
    "ix_pledge_pledgers": ["campaign_id", "user_id", "status", "held"],
    # progress(): quantities per item target (also what ON DELETE SET NULL of a target needs)
    "ix_pledge_targets": ["target_id", "status", "held", "quantity"],
}


def upgrade() -> None:
    for name, columns in INDEXES.items():
        op.create_index(name, "pledge", columns)


def downgrade() -> None:
    for name in INDEXES:
        op.drop_index(name, table_name="pledge")
