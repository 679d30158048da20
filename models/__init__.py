"""What Loa knows and the rules over it: tables and the plain functions that change them.

Importing this package registers every table on SQLModel.metadata (for Alembic).
"""

from models import (  # noqa: F401
    areas,
    base,
    dialogs,
    invites,
    users,
)
