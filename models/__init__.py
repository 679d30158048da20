"""What Loa knows and the rules over it: tables and the plain functions that change them.

Importing this package registers every table on SQLModel.metadata (for Alembic). Every table
module imports models.base first, which sets the constraint naming convention.
"""

from models import (  # noqa: F401
    areas,
    base,
    broadcasts,
    campaigns,
    chats,
    deadlines,
    dialogs,
    households,
    inbox,
    invites,
    outbox,
    pledges,
    reconcile,
    statements,
    support,
    users,
)
