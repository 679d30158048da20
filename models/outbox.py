"""The outbox: every message Loa sends on its own initiative is a row here before it is sent.

A row is claimed before sending (one conditional UPDATE; `FOR UPDATE SKIP LOCKED` on
PostgreSQL, so several dispatchers never take the same row) and marked after, only if the
claim is still this dispatcher's. A claim names its dispatcher's lease: a `dispatcher_lease`
row (host, process id) that its process keeps alive with a heartbeat. A process killed between
claim and mark leaves the row "sending"; the next process to start on that host sees at once
that the lease's process is gone (elsewhere: that its heartbeat stopped) and puts the lease's
claims back to pending, so at most the messages in flight at the instant of a crash can go out
twice, and none is lost.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Index, Text, UniqueConstraint, delete, func, update
from sqlmodel import Field, Session, SQLModel, col, select

from models.base import telegram_id_column, utcnow
from models.processes import gone, here


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
    part: int = 0  # calls of a several-call message already sent (a crash resumes after them)
    not_before: datetime = Field(default_factory=utcnow)
    claim: str | None = Field(default=None, max_length=32, index=True)
    lease_id: int | None = Field(default=None, index=True)  # the dispatcher holding the claim
    claimed_at: datetime | None = None
    sent_at: datetime | None = None
    error: str | None = Field(default=None, max_length=300)
    created_at: datetime = Field(default_factory=utcnow)


class DispatcherLease(SQLModel, table=True):
    """A running dispatcher: claims name it; it lives while its heartbeat does."""

    __tablename__ = "dispatcher_lease"

    id: int | None = Field(default=None, primary_key=True)
    host: str = Field(max_length=255)
    pid: int
    tag: str = Field(default_factory=lambda: secrets.token_hex(16), max_length=32)
    started_at: datetime = Field(default_factory=utcnow)
    heartbeat_at: datetime = Field(default_factory=utcnow)


NOTICE = 10  # a notification about one's own pledge or report goes before bulk broadcasts


def enqueue(session: Session, chat_id: int, text: str, markup: dict[str, Any] | None = None,
            priority: int = NOTICE, not_before: datetime | None = None) -> Delivery:
    """A message for one person. Never to a group or channel (a negative id): reminders,
    receipts, nudges and summaries are personal, and a group would show them to everyone."""
    if chat_id < 0:
        raise ValueError(f"personal messages never go to a group or channel ({chat_id})")
    delivery = Delivery(chat_id=chat_id, text=text, markup=markup, priority=priority,
                        not_before=not_before or utcnow())
    session.add(delivery)
    session.flush()
    return delivery


def claim(session: Session, now: datetime, limit: int,
          lease_id: int | None = None) -> list[Delivery]:
    """Take up to `limit` due deliveries for this dispatcher, most urgent first."""
    token = secrets.token_hex(16)
    due = (select(Delivery.id)
           .where(Delivery.status == DeliveryStatus.PENDING, col(Delivery.not_before) <= now)
           .order_by(col(Delivery.priority).desc(), Delivery.id).limit(limit))
    if session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    session.execute(update(Delivery).where(col(Delivery.id).in_(due.scalar_subquery()))
                    .values(status=DeliveryStatus.SENDING, claim=token, claimed_at=now,
                            lease_id=lease_id))
    return list(session.exec(select(Delivery).where(Delivery.claim == token)
                             .order_by(col(Delivery.priority).desc(), Delivery.id)))


def advance(session: Session, delivery_id: int, claim: str | None, part: int) -> bool:
    """The first `part` calls of a claimed delivery went out: a retry or a crash resumes after
    them. False when the claim is no longer held."""
    held = update(Delivery).where(col(Delivery.id) == delivery_id,
                                  Delivery.status == DeliveryStatus.SENDING)
    if claim is not None:
        held = held.where(Delivery.claim == claim)
    return session.execute(held.values(part=part)).rowcount == 1


def finish(session: Session, delivery_id: int, status: DeliveryStatus, now: datetime,
           error: str | None = None, retry_at: datetime | None = None,
           claim: str | None = None) -> bool:
    """Record what happened to a claimed delivery; with retry_at it goes back in the queue.
    With `claim`, only if the row is still held under that claim (False otherwise)."""
    values: dict[str, Any] = {"status": status, "error": error[:300] if error else None}
    if status is DeliveryStatus.SENT:
        values["sent_at"] = now
    if retry_at is not None:
        values.update(status=DeliveryStatus.PENDING, not_before=retry_at, claim=None,
                      lease_id=None, attempts=col(Delivery.attempts) + 1)
    # only a row still claimed: one a cancelled broadcast or another process settled stays so
    held = update(Delivery).where(col(Delivery.id) == delivery_id,
                                  Delivery.status == DeliveryStatus.SENDING)
    if claim is not None:
        held = held.where(Delivery.claim == claim)
    return session.execute(held.values(**values)).rowcount == 1


# ---- leases: which process holds which claims -------------------------------------------------

LEASE_TTL = timedelta(seconds=15)  # a heartbeat older than this: the process is gone
_LIVE_HERE: set[str] = set()  # tags of the leases this very process holds (tests run several)


def take_lease(session: Session, now: datetime) -> int:
    host, pid = here()
    lease = DispatcherLease(host=host, pid=pid, started_at=now, heartbeat_at=now)
    session.add(lease)
    session.flush()
    _LIVE_HERE.add(lease.tag)
    return lease.id


def beat(session: Session, lease_id: int, now: datetime) -> bool:
    """Keep the lease alive; False when it was declared dead meanwhile (take a new one)."""
    result = session.execute(update(DispatcherLease).where(DispatcherLease.id == lease_id)
                             .values(heartbeat_at=now))
    return result.rowcount == 1


def drop_lease(session: Session, lease_id: int) -> None:
    """A clean stop: what the lease still holds goes back to the queue, the lease goes."""
    lease = session.get(DispatcherLease, lease_id)
    if lease is not None:
        _LIVE_HERE.discard(lease.tag)
    session.execute(update(Delivery).where(Delivery.lease_id == lease_id,
                                           Delivery.status == DeliveryStatus.SENDING)
                    .values(status=DeliveryStatus.PENDING, claim=None, lease_id=None))
    session.execute(delete(DispatcherLease).where(DispatcherLease.id == lease_id))


def dead_leases(session: Session, now: datetime) -> list[int]:
    """Leases whose process is gone: on this host, a process that no longer runs (or whose
    process id this process now has, after a restart in a container); anywhere, a heartbeat
    older than LEASE_TTL."""
    dead = []
    for lease in session.exec(select(DispatcherLease)):
        if lease.tag in _LIVE_HERE:
            continue
        stale = lease.heartbeat_at < now - LEASE_TTL
        if stale or gone(lease.host, lease.pid):
            dead.append(lease.id)
    return dead


def release_dead(session: Session, now: datetime, unleased_older_than: timedelta) -> int:
    """Claims of dead processes go back to pending at once (they may have gone out once);
    claims that name no lease (made before leases existed) after `unleased_older_than`."""
    dead = dead_leases(session, now)
    released = 0
    if dead:
        released += session.execute(
            update(Delivery).where(col(Delivery.lease_id).in_(dead),
                                   Delivery.status == DeliveryStatus.SENDING)
            .values(status=DeliveryStatus.PENDING, claim=None, lease_id=None)).rowcount
        session.execute(delete(DispatcherLease).where(col(DispatcherLease.id).in_(dead)))
    released += session.execute(
        update(Delivery).where(Delivery.status == DeliveryStatus.SENDING,
                               col(Delivery.lease_id).is_(None),
                               col(Delivery.claimed_at) < now - unleased_older_than)
        .values(status=DeliveryStatus.PENDING, claim=None)).rowcount
    return released


def release(session: Session, delivery_ids: list[int]) -> None:
    """Claims a dispatcher gives back unsent (it is stopping): due again at once."""
    session.execute(update(Delivery).where(col(Delivery.id).in_(delivery_ids),
                                           Delivery.status == DeliveryStatus.SENDING)
                    .values(status=DeliveryStatus.PENDING, claim=None, lease_id=None))


def backlog(session: Session) -> int:
    """Messages not yet sent: waiting or in hand."""
    return session.execute(select(func.count()).where(col(Delivery.status).in_(
        (DeliveryStatus.PENDING, DeliveryStatus.SENDING)))).scalar_one()


def next_due(session: Session) -> datetime | None:
    return session.exec(select(Delivery.not_before).where(
        Delivery.status == DeliveryStatus.PENDING).order_by(Delivery.not_before).limit(1)).first()
