"""The outbox: every message Loa sends on its own initiative is a row here before it is sent.

A row is claimed before sending (one conditional UPDATE; `FOR UPDATE SKIP LOCKED` on
PostgreSQL, so several dispatchers never take the same row) and marked after. A process killed
between the two leaves the row "sending"; on restart such rows go back to pending, so at most
the messages in flight at the instant of a crash can go out twice, and none is lost.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Index, Text, UniqueConstraint, update
from sqlmodel import Field, Session, SQLModel, col, select

from models.base import telegram_id_column, utcnow


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    BLOCKED = "blocked"
    LEFT = "left"  # the person left Loa (/forget) after the recipient list was fixed
    CANCELLED = "cancelled"


class Delivery(SQLModel, table=True):
    """One message to one chat. Broadcast deliveries take their content from the broadcast."""

    __table_args__ = (Index("ix_delivery_due", "status", "priority", "not_before"),
                      UniqueConstraint("broadcast_id", "chat_id",
                                       name="uq_delivery_broadcast_id_chat_id"))

    id: int | None = Field(default=None, primary_key=True)
    broadcast_id: int | None = Field(default=None, foreign_key="broadcast.id",
                                     ondelete="CASCADE")
    chat_id: int = Field(sa_column=telegram_id_column(nullable=False, index=True))
    text: str = Field(default="", sa_column=Column(Text, nullable=False))
    markup: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    priority: int = 0
    status: str = Field(default=DeliveryStatus.PENDING, max_length=16)
    attempts: int = 0
    not_before: datetime = Field(default_factory=utcnow)
    claim: str | None = Field(default=None, max_length=32, index=True)
    claimed_at: datetime | None = None
    sent_at: datetime | None = None
    error: str | None = Field(default=None, max_length=300)
    created_at: datetime = Field(default_factory=utcnow)


NOTICE = 10  # a notification about one's own pledge or report goes before bulk broadcasts


def enqueue(session: Session, chat_id: int, text: str, markup: dict[str, Any] | None = None,
            priority: int = NOTICE, not_before: datetime | None = None) -> Delivery:
    delivery = Delivery(chat_id=chat_id, text=text, markup=markup, priority=priority,
                        not_before=not_before or utcnow())
    session.add(delivery)
    session.flush()
    return delivery


def claim(session: Session, now: datetime, limit: int) -> list[Delivery]:
    """Take up to `limit` due deliveries for this dispatcher, most urgent first."""
    token = secrets.token_hex(16)
    due = (select(Delivery.id)
           .where(Delivery.status == DeliveryStatus.PENDING, col(Delivery.not_before) <= now)
           .order_by(col(Delivery.priority).desc(), Delivery.id).limit(limit))
    if session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    session.execute(update(Delivery).where(col(Delivery.id).in_(due.scalar_subquery()))
                    .values(status=DeliveryStatus.SENDING, claim=token, claimed_at=now))
    return list(session.exec(select(Delivery).where(Delivery.claim == token)
                             .order_by(col(Delivery.priority).desc(), Delivery.id)))


def finish(session: Session, delivery_id: int, status: DeliveryStatus, now: datetime,
           error: str | None = None, retry_at: datetime | None = None) -> None:
    """Record what happened to a claimed delivery; with retry_at it goes back in the queue."""
    values: dict[str, Any] = {"status": status, "error": error[:300] if error else None}
    if status is DeliveryStatus.SENT:
        values["sent_at"] = now
    if retry_at is not None:
        values.update(status=DeliveryStatus.PENDING, not_before=retry_at, claim=None,
                      attempts=col(Delivery.attempts) + 1)
    # only a row still claimed: one a cancelled broadcast or another process settled stays so
    session.execute(update(Delivery).where(col(Delivery.id) == delivery_id,
                                           Delivery.status == DeliveryStatus.SENDING)
                    .values(**values))


def release_stale(session: Session, now: datetime, older_than: timedelta) -> int:
    """Claims left by a process that died: back to pending (they may have gone out once)."""
    result = session.execute(
        update(Delivery).where(Delivery.status == DeliveryStatus.SENDING,
                               col(Delivery.claimed_at) < now - older_than)
        .values(status=DeliveryStatus.PENDING, claim=None))
    return result.rowcount


def refresh_claims(session: Session, delivery_ids: list[int], now: datetime) -> None:
    """A live dispatcher still holds these: they are not stale, whatever their age."""
    session.execute(update(Delivery).where(col(Delivery.id).in_(delivery_ids),
                                           Delivery.status == DeliveryStatus.SENDING)
                    .values(claimed_at=now))


def release(session: Session, delivery_ids: list[int]) -> None:
    """Claims a dispatcher gives back unsent (it is stopping): due again at once."""
    session.execute(update(Delivery).where(col(Delivery.id).in_(delivery_ids),
                                           Delivery.status == DeliveryStatus.SENDING)
                    .values(status=DeliveryStatus.PENDING, claim=None))


def next_due(session: Session) -> datetime | None:
    return session.exec(select(Delivery.not_before).where(
        Delivery.status == DeliveryStatus.PENDING).order_by(Delivery.not_before).limit(1)).first()
