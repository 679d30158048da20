"""The inbox: every update from Telegram is a row here before Telegram hears that it arrived.

Loa's incoming side is as durable as its outgoing one (the outbox). An update is stored first
(before the webhook answers 200, before polling moves its offset past it), then claimed and
handled from here, by whichever process is free:
- one person's updates are handled strictly in order: an update is claimable only when no
  earlier update of the same person is still waiting, so across any number of processes a
  person has at most one update in hand at a time, while different people go in parallel;
- a claim is a lease (`lease_until`) that the claiming process renews while it works; a
  process that dies loses its claims to the others when the lease runs out;
- a handler's first write stamps the update in the same transaction (`stamp`), so an update
  whose effect was committed is never applied again, even if the process died before it could
  mark the update done; handlers that write nothing are idempotent reads;
- an update that keeps failing is set aside (`failed`) with its error after MAX_TRIES, so it
  no longer holds up the person's later updates; `loa inbox failed` lists it and `loa inbox
  retry ID` puts it back;
- beyond `max_pending` waiting updates, a person's excess is dropped (flood protection);
- handled updates are pruned after a while (they hold people's messages).
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, Column, Index, Text, bindparam, delete, func, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Field, Session, SQLModel, col, select

from models.base import telegram_id_column, utcnow
from models.processes import gone, here

MAX_TRIES = 3
LEASE = timedelta(seconds=15)  # renewed every few seconds while the handler works


class InboxStatus(StrEnum):
    WAITING = "waiting"
    DONE = "done"
    FAILED = "failed"  # set aside after MAX_TRIES, for an operator
    DROPPED = "dropped"  # the person sent more than max_pending at once


class InboxUpdate(SQLModel, table=True):
    """One update as Telegram sent it; `id` is Telegram's update_id (so a resent one is kept
    once)."""

    __tablename__ = "inbox_update"
    __table_args__ = (
        Index("ix_inbox_update_waiting", "id", postgresql_where=text("status = 'waiting'"),
              sqlite_where=text("status = 'waiting'")),
        Index("ix_inbox_update_person_waiting", "person", "id",
              postgresql_where=text("status = 'waiting'"),
              sqlite_where=text("status = 'waiting'")),
        Index("ix_inbox_update_status_done_at", "status", "done_at"),
    )

    id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    person: int | None = Field(default=None, sa_column=telegram_id_column())
    payload: str = Field(sa_column=Column(Text, nullable=False))
    status: str = Field(default=InboxStatus.WAITING, max_length=16)
    tries: int = 0
    worker: str | None = Field(default=None, max_length=300, index=True)  # pid.tag@host
    claim: str | None = Field(default=None, max_length=32)  # one claim of that process
    lease_until: datetime | None = None  # claimed until, or (backing off) not before
    stamp: str | None = Field(default=None, max_length=32)  # the claim whose writes committed
    error: str | None = Field(default=None, max_length=500)
    received_at: datetime = Field(default_factory=utcnow)
    done_at: datetime | None = None


def person_of(payload: dict[str, Any]) -> int | None:
    """Whose update this is: the sender (a message, a button press), else the chat; a
    membership change is the chat's (a group's changes in order, whoever made them)."""
    for key, value in payload.items():
        if key == "my_chat_member" and isinstance(value, dict):
            chat = value.get("chat") or {}
            return chat.get("id") if isinstance(chat.get("id"), int) else None
        if key != "update_id" and isinstance(value, dict):
            sender = value.get("from") or value.get("user") or value.get("chat") or {}
            person = sender.get("id") if isinstance(sender, dict) else None
            return person if isinstance(person, int) else None
    return None


@dataclass
class Stored:
    new: int = 0
    duplicates: int = 0
    dropped: int = 0
    #: one payload per person who just started overflowing: tell them once
    to_tell: list[dict[str, Any]] = field(default_factory=list)


def store(session: Session, payloads: list[dict[str, Any]], now: datetime,
          max_pending: int) -> Stored:
    """Keep each update once (Telegram may send one again); drop a person's excess."""
    result = Stored()
    rows = {p["update_id"]: p for p in payloads if isinstance(p.get("update_id"), int)}
    if not rows:
        return result
    values = [{"id": uid, "person": person_of(p), "payload": json.dumps(p, ensure_ascii=False),
               "status": InboxStatus.WAITING, "tries": 0, "received_at": now}
              for uid, p in rows.items()]
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(InboxUpdate).on_conflict_do_nothing(index_elements=["id"])
    inserted = set(session.execute(statement.returning(InboxUpdate.id), values).scalars())
    result.new, result.duplicates = len(inserted), len(rows) - len(inserted)
    people = {v["person"] for v in values if v["id"] in inserted and v["person"] is not None}
    if people:
        _drop_excess(session, rows, inserted, people, now, max_pending, result)
    return result


def _drop_excess(session: Session, rows: dict[int, dict[str, Any]], inserted: set[int],
                 people: set[int], now: datetime, max_pending: int, result: Stored) -> None:
    counts = session.execute(
        select(InboxUpdate.person, func.count(), func.min(InboxUpdate.id)).where(
            col(InboxUpdate.person).in_(people), InboxUpdate.status == InboxStatus.WAITING)
        .group_by(InboxUpdate.person)).all()
    for person, count, oldest in counts:
        if count <= max_pending:
            continue
        waiting = session.exec(select(InboxUpdate.id).where(
            InboxUpdate.person == person, InboxUpdate.status == InboxStatus.WAITING)
            .order_by(col(InboxUpdate.id).desc()).limit(count - max_pending)).all()
        excess = [uid for uid in waiting if uid in inserted]
        if not excess:
            continue
        told = session.exec(select(InboxUpdate.id).where(
            InboxUpdate.person == person, InboxUpdate.status == InboxStatus.DROPPED,
            col(InboxUpdate.id) > oldest).limit(1)).first()  # told since they began to wait
        session.execute(update(InboxUpdate).where(col(InboxUpdate.id).in_(excess))
                        .values(status=InboxStatus.DROPPED, done_at=now))
        result.dropped += len(excess)
        if told is None:
            result.to_tell.append(rows[min(excess)])


def claim(session: Session, now: datetime, limit: int, worker: str, token: str,
          lease: timedelta = LEASE) -> list[InboxUpdate]:
    """Up to `limit` updates this process may handle now: the oldest waiting update of each
    person whose earlier updates are all settled, not held by another process's lease."""
    earlier = InboxUpdate.__table__.alias("earlier")
    ready = (select(InboxUpdate.id)
             .where(InboxUpdate.status == InboxStatus.WAITING,
                    (col(InboxUpdate.lease_until).is_(None)) |
                    (col(InboxUpdate.lease_until) <= now),
                    ~select(earlier.c.id).where(
                        earlier.c.person == InboxUpdate.person,
                        earlier.c.status == InboxStatus.WAITING,
                        earlier.c.id < InboxUpdate.id).exists())
             .order_by(InboxUpdate.id).limit(limit))
    if session.get_bind().dialect.name == "postgresql":
        ready = ready.with_for_update(skip_locked=True, of=InboxUpdate)
    ids = list(session.exec(ready))
    if not ids:
        return []
    session.execute(update(InboxUpdate).where(col(InboxUpdate.id).in_(ids))
                    .values(worker=worker, claim=token, lease_until=now + lease,
                            tries=col(InboxUpdate.tries) + 1))
    return list(session.exec(select(InboxUpdate).where(col(InboxUpdate.id).in_(ids))
                             .order_by(InboxUpdate.id)))


def _stamping():
    table = InboxUpdate.__table__
    return (table.update().where(table.c.id == bindparam("update_id"),
                                 table.c.stamp.is_(None) | (table.c.stamp == bindparam("token")))
            .values(stamp=bindparam("token")))


#: Built once, as Core: every handled update that writes runs it, and building a statement
#: (with its cache key) took longer than running it; the ORM's bulk update adds nothing here.
STAMP = _stamping()


def stamp(session: Session, update_id: int, token: str) -> bool:
    """In a handler's write transaction: True if this claim may write (the first to write for
    this update, or the same claim again); False when an earlier handling already did."""
    return session.connection().execute(
        STAMP, {"update_id": update_id, "token": token}).rowcount == 1


def finish(session: Session, handled: list[tuple[int, str]], now: datetime) -> None:
    """Handled updates, (id, claim) each; one whose claim another process took is its to
    finish."""
    if not handled:
        return
    table = InboxUpdate.__table__
    session.connection().execute(
        table.update().where(table.c.id == bindparam("b_id"), table.c.claim == bindparam("b_claim"))
        .values(status=InboxStatus.DONE, done_at=now, worker=None, claim=None, lease_until=None),
        [{"b_id": uid, "b_claim": token} for uid, token in sorted(handled)])  # id order


def fail(session: Session, update_id: int, token: str, error: str, now: datetime,
         set_aside: bool = False) -> bool:
    """A try failed. It is tried again after a pause, or set aside after MAX_TRIES (or at once
    when retrying cannot help). True when it was set aside."""
    row = session.get(InboxUpdate, update_id)
    if row is None or row.claim != token or row.status != InboxStatus.WAITING:
        return False
    row.error = error[:500]
    row.worker = row.claim = None
    if set_aside or row.tries >= MAX_TRIES:
        row.status, row.done_at, row.lease_until = InboxStatus.FAILED, now, None
    else:
        row.lease_until = now + timedelta(seconds=2 ** row.tries)  # 2 s, then 4 s
    session.add(row)
    return row.status == InboxStatus.FAILED


def renew(session: Session, worker: str, now: datetime, lease: timedelta = LEASE) -> int:
    """This process still works on its claims."""
    held = (select(InboxUpdate.id).where(
        InboxUpdate.worker == worker, InboxUpdate.status == InboxStatus.WAITING,
        col(InboxUpdate.claim).is_not(None)).order_by(InboxUpdate.id))
    if session.get_bind().dialect.name == "postgresql":  # rows locked in id order, as finish
        held = held.with_for_update()                  # does: no deadlock between the two
    return session.execute(update(InboxUpdate).where(col(InboxUpdate.id).in_(
        held.scalar_subquery())).values(lease_until=now + lease)).rowcount


def worker_name() -> str:
    """This process, as its claims name it: a restart is a new worker even with the same pid."""
    host, pid = here()
    return f"{pid}.{secrets.token_hex(4)}@{host}"


def release_gone(session: Session, live: set[str]) -> int:
    """Claims of processes known dead on this host go back at once, not when their lease runs
    out (the crash counts as a try: an update that kills Loa is set aside in the end).
    `live`: the workers of this very process (tests run several in one)."""
    workers = session.exec(select(InboxUpdate.worker).where(
        InboxUpdate.status == InboxStatus.WAITING, col(InboxUpdate.worker).is_not(None),
        col(InboxUpdate.worker).not_in(live)).distinct()).all()
    dead = []
    for worker in workers:
        pid, _, host = worker.partition("@")
        if pid.split(".")[0].isdigit() and gone(host, int(pid.split(".")[0])):
            dead.append(worker)
    if not dead:
        return 0
    return session.execute(update(InboxUpdate).where(
        col(InboxUpdate.worker).in_(dead), InboxUpdate.status == InboxStatus.WAITING)
        .values(worker=None, claim=None, lease_until=None)).rowcount


def release(session: Session, worker: str) -> int:
    """A clean stop: what this process holds but did not handle goes back, untried."""
    return session.execute(update(InboxUpdate).where(
        InboxUpdate.worker == worker, InboxUpdate.status == InboxStatus.WAITING)
        .values(worker=None, claim=None, lease_until=None,
                tries=col(InboxUpdate.tries) - 1)).rowcount


def set_aside(session: Session, limit: int = 100) -> list[InboxUpdate]:
    return list(session.exec(select(InboxUpdate).where(
        InboxUpdate.status == InboxStatus.FAILED).order_by(InboxUpdate.id).limit(limit)))


def retry(session: Session, update_id: int) -> InboxUpdate:
    """Put a set-aside update back in its person's queue, with its tries reset."""
    row = session.get(InboxUpdate, update_id)
    if row is None or row.status not in (InboxStatus.FAILED, InboxStatus.DROPPED):
        raise LookupError(f"no set-aside update {update_id}")
    row.status, row.tries, row.done_at = InboxStatus.WAITING, 0, None
    row.worker = row.claim = row.lease_until = row.stamp = None
    session.add(row)
    return row


def prune(session: Session, before: datetime) -> int:
    """Handled and dropped updates settled before `before` go (failed ones stay)."""
    return session.execute(delete(InboxUpdate).where(
        col(InboxUpdate.status).in_((InboxStatus.DONE, InboxStatus.DROPPED)),
        col(InboxUpdate.done_at) < before)).rowcount


@dataclass(frozen=True)
class Backlog:
    waiting: int
    oldest_waiting: datetime | None
    failed: int
    last_done: datetime | None


def backlog(session: Session) -> Backlog:
    waiting, oldest = session.execute(
        select(func.count(), func.min(InboxUpdate.received_at))
        .where(InboxUpdate.status == InboxStatus.WAITING)).one()
    failed = session.execute(select(func.count()).where(
        InboxUpdate.status == InboxStatus.FAILED)).scalar_one()
    last = session.execute(select(func.max(InboxUpdate.done_at)).where(
        InboxUpdate.status == InboxStatus.DONE)).scalar_one()
    return Backlog(waiting, oldest, failed, last)
