"""Half-finished conversations, kept in the database so a restart loses none of them.

A dialog is one flow a user is in (onboarding, an invite, later a pledge), the step they are
at and what they have answered so far. One per user: starting a flow replaces the last one.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON
from sqlmodel import Column, Field, Session, SQLModel, col, select

from models.base import telegram_id_column, utcnow
from models.users import User


class Dialog(SQLModel, table=True):
    user_id: int = Field(sa_column=telegram_id_column(
        primary_key=True, foreign_key="user.id", ondelete="CASCADE"))
    flow: str = Field(max_length=32)
    step: str = Field(max_length=32)
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow)


def get_dialog(session: Session, user_id: int, flow: str | None = None) -> Dialog | None:
    dialog = session.get(Dialog, user_id)
    if dialog is not None and flow is not None and dialog.flow != flow:
        return None
    return dialog


def with_dialogs(session: Session,
                 user_ids: set[int]) -> dict[int, tuple[User, Dialog | None]]:
    """These users, each with their conversation (None: they are in none), in one query."""
    if not user_ids:
        return {}
    rows = session.execute(select(User, Dialog).join(Dialog, isouter=True)
                           .where(col(User.id).in_(user_ids)))
    return {user.id: (user, dialog) for user, dialog in rows}


def save_dialog(session: Session, user_id: int, flow: str, step: str,
                **data: Any) -> Dialog:
    """Move the user's dialog to a step, merging in new answers (None removes one). Nothing
    is written when that is where it already stands (a question asked again)."""
    dialog = session.get(Dialog, user_id)
    other = dialog is None or dialog.flow != flow
    if other:
        dialog = dialog or Dialog(user_id=user_id, flow=flow, step=step)
        dialog.flow, dialog.data = flow, {}
    merged = {**dialog.data, **data}
    answers = {k: v for k, v in merged.items() if v is not None}
    if not other and dialog.step == step and dialog.data == answers:
        return dialog
    dialog.step = step
    # reassigned, never changed in place: a JSON column does not notice in-place changes
    dialog.data = answers
    dialog.updated_at = utcnow()
    session.add(dialog)
    session.flush()
    return dialog


def end_dialog(session: Session, user_id: int) -> None:
    dialog = session.get(Dialog, user_id)
    if dialog is not None:
        session.delete(dialog)
        session.flush()
