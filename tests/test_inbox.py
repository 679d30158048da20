"""The inbox's rules, on both databases: each update kept once, one person's updates in order
across processes, leases, the stamp that keeps an effect from being applied twice, updates set
aside, the flood cap, pruning."""

import asyncio
import re
import time
from datetime import timedelta

import pytest
from sqlalchemy import event
from sqlmodel import select

from bot.context import _known
from bot.inbox import Inbox
from models import inbox
from models.base import utcnow
from models.dialogs import save_dialog
from models.inbox import InboxStatus, InboxUpdate
from models.processes import here
from models.users import User


def said(uid: int, person: int, text: str = "hi") -> dict:
    sender = {"id": person, "is_bot": False, "first_name": "P"}
    return {"update_id": uid, "message": {"message_id": uid, "date": 0, "text": text,
                                          "chat": {"id": person, "type": "private"},
                                          "from": sender}}


def pressed(uid: int, person: int) -> dict:
    return {"update_id": uid, "callback_query": {
        "id": str(uid), "chat_instance": "1", "data": "x",
        "from": {"id": person, "is_bot": False, "first_name": "P"}}}


def status(db, uid: int) -> str:
    return db.call(lambda s: s.get(InboxUpdate, uid).status)


def claimed(db, worker: str = "w1", now=None, limit: int = 10) -> list[int]:
    return [row.id for row in db.call(inbox.claim, now or utcnow(), limit, worker, worker + "c")]


def test_each_update_is_kept_once(db):
    now = utcnow()
    first = db.call(inbox.store, [said(1, 7), pressed(2, 7)], now, 20)
    again = db.call(inbox.store, [said(1, 7), said(3, 8)], now, 20)  # Telegram sent 1 again
    assert (first.new, first.duplicates, again.new, again.duplicates) == (2, 0, 1, 1)
    rows = db.call(lambda s: {r.id: r.person for r in s.exec(select(InboxUpdate))})
    assert rows == {1: 7, 2: 7, 3: 8}  # the button press belongs to its presser


def test_one_persons_updates_wait_for_each_other_others_go_in_parallel(db):
    db.call(inbox.store, [said(1, 7), said(2, 7), said(3, 8), said(4, 7)], utcnow(), 20)
    assert claimed(db, "w1") == [1, 3]          # Lan's first and Hùng's first
    assert claimed(db, "w2") == []              # Lan's second waits for her first
    db.call(inbox.finish, [(1, "w1c")], utcnow())
    assert claimed(db, "w2") == [2]             # now it may go, to any process
    db.call(inbox.finish, [(2, "w1c")], utcnow())  # not w1's claim: it stays w2's
    assert status(db, 2) == InboxStatus.WAITING
    assert claimed(db, "w1") == []


def test_a_dead_processes_claim_goes_to_another_when_its_lease_runs_out(db):
    now = utcnow()
    db.call(inbox.store, [said(1, 7)], now, 20)
    assert claimed(db, "w1", now) == [1]
    assert claimed(db, "w2", now + timedelta(seconds=5)) == []
    assert db.call(inbox.renew, "w1", now + timedelta(seconds=5)) == 1  # w1 still works
    assert claimed(db, "w2", now + inbox.LEASE + timedelta(seconds=1)) == []
    assert claimed(db, "w2", now + inbox.LEASE + timedelta(seconds=6)) == [1]
    assert db.call(lambda s: s.get(InboxUpdate, 1).tries) == 2


def test_claims_of_a_process_gone_on_this_host_come_back_at_once(db):
    db.call(inbox.store, [said(1, 7), said(2, 8)], utcnow(), 20)
    host, _ = here()
    dead, living = f"99999999.ab@{host}", f"1.cd@{host}"  # pid 1 is always running
    claimed(db, dead, limit=1)
    claimed(db, living, limit=1)
    assert db.call(inbox.release_gone, {inbox.worker_name()}) == 1
    assert claimed(db, "w3") == [1]


def test_the_first_writing_handling_stamps_the_update_and_a_replay_cannot_write(db):
    db.call(inbox.store, [said(1, 7)], utcnow(), 20)
    claimed(db, "w1")
    assert db.call(inbox.stamp, 1, "first") is True
    assert db.call(inbox.stamp, 1, "first") is True    # its own later writes
    assert db.call(inbox.stamp, 1, "replay") is False  # a second handling after a crash


def test_a_failing_update_is_tried_again_then_set_aside_and_the_person_goes_on(db):
    now = utcnow()
    db.call(inbox.store, [said(1, 7), said(2, 7)], now, 20)
    for attempt in range(1, inbox.MAX_TRIES + 1):
        at = now + timedelta(seconds=10 * attempt)
        assert claimed(db, "w1", at) == [1]
        aside = db.call(inbox.fail, 1, "w1c", "KeyError: 'x'", at)
        assert aside is (attempt == inbox.MAX_TRIES)
        if not aside:
            assert claimed(db, "w1", at + timedelta(seconds=1)) == []  # a pause first
    assert [r.id for r in db.call(inbox.set_aside)] == [1]
    assert db.call(lambda s: s.get(InboxUpdate, 1).error) == "KeyError: 'x'"
    assert claimed(db, "w1", now + timedelta(minutes=5)) == [2]  # the next one goes
    db.call(inbox.finish, [(2, "w1c")], now)
    db.call(inbox.retry, 1)                                       # the operator's `retry`
    assert claimed(db, "w1", now + timedelta(minutes=6)) == [1]
    with pytest.raises(LookupError):
        db.call(inbox.retry, 2)  # handled, not set aside


def test_a_flood_beyond_max_pending_is_dropped_and_told_once(db):
    now = utcnow()
    first = db.call(inbox.store, [said(i, 7) for i in range(1, 6)], now, 3)
    assert (first.new, first.dropped, len(first.to_tell)) == (5, 2, 1)
    assert first.to_tell[0]["update_id"] == 4
    more = db.call(inbox.store, [said(6, 7), said(7, 8)], now, 3)
    assert (more.dropped, more.to_tell) == (1, [])  # still flooding: told already
    assert [status(db, i) for i in range(1, 8)] == ["waiting"] * 3 + ["dropped"] * 3 + \
        ["waiting"]


def test_handled_updates_are_pruned_set_aside_ones_stay(db):
    now = utcnow()
    db.call(inbox.store, [said(1, 7), said(2, 8)], now, 20)
    claimed(db, "w1")
    db.call(inbox.finish, [(1, "w1c")], now)
    db.call(inbox.fail, 2, "w1c", "boom", now, set_aside=True)
    assert db.call(inbox.prune, now - timedelta(hours=1)) == 0
    assert db.call(inbox.prune, now + timedelta(seconds=1)) == 1
    assert db.call(lambda s: [r.id for r in s.exec(select(InboxUpdate))]) == [2]
    box = db.call(inbox.backlog)
    assert (box.waiting, box.failed) == (0, 1)


async def test_updates_arriving_during_a_store_are_kept_together_in_the_next(db, monkeypatch):
    """A group commit: 20 webhook requests at once cost two transactions, not twenty, and each
    request returns only once its update is committed."""
    batches = []

    def slow_store(session, payloads, now, max_pending):
        batches.append(len(payloads))
        time.sleep(0.05)
        return store(session, payloads, now, max_pending)

    store = inbox.store
    monkeypatch.setattr(inbox, "store", slow_store)
    box = Inbox(None, db, max_pending=10, keep=timedelta(days=1))

    async def arrive(uid: int) -> str:
        await asyncio.sleep(0 if uid == 1 else 0.01)  # the rest come while the first is stored
        await box.receive([said(uid, 100 + uid)])
        return status(db, uid)

    assert await asyncio.gather(*(arrive(uid) for uid in range(1, 21))) == ["waiting"] * 20
    assert batches == [1, 19]


async def test_a_store_that_fails_fails_every_request_in_it_and_the_next_store_works(
        db, monkeypatch):
    """Each webhook request then answers 500 and Telegram sends its update again."""
    store = inbox.store
    monkeypatch.setattr(inbox, "store", lambda *args: 1 / 0)
    box = Inbox(None, db, max_pending=10, keep=timedelta(days=1))
    failed = await asyncio.gather(*(box.receive([said(uid, 100 + uid)]) for uid in (1, 2)),
                                  return_exceptions=True)
    assert [type(error) for error in failed] == [ZeroDivisionError] * 2
    monkeypatch.setattr(inbox, "store", store)
    await box.receive([said(1, 101)])
    assert status(db, 1) == "waiting"


async def test_each_update_comes_with_its_persons_rows_read_together_with_the_claim(db):
    """Who is writing and their conversation are read for all the updates of a claim in one
    query; handling them then reads neither (bot/context.py `me` for a citizen, the domain's
    `session.get`)."""
    db.call(lambda s: (s.add(User(id=7, name="Lan")), s.add(User(id=8, name="Hùng")), s.flush(),
                       save_dialog(s, 7, "pledge", "amount")))
    db.call(inbox.store, [said(1, 7), said(2, 8), said(3, 9)], utcnow(), 20)
    reads: list[str] = []
    seen: dict[int, tuple] = {}

    @event.listens_for(db.engine, "before_cursor_execute")
    def _read(_conn, _cursor, statement, *_args) -> None:
        if re.match(r'\s*SELECT\s.*\s(FROM|JOIN)\s"?(user|dialog)\b', statement, re.S):
            reads.append(statement)

    class App:  # what the inbox hands updates to
        bot = None

        async def process_update(self, update) -> None:
            person = update.effective_user.id
            known = _known(person, frozenset())
            name = await db.run(lambda s: getattr(s.get(User, person), "name", None))
            seen[person] = (known and (known[0].user.name, getattr(known[1], "step", None)),
                            name)

    box = Inbox(App(), db, max_pending=10, keep=timedelta(days=1))
    box.start()
    for _ in range(100):
        if len(seen) == 3:
            break
        await asyncio.sleep(0.05)
    await box.stop()
    assert seen == {7: (("Lan", "amount"), "Lan"), 8: (("Hùng", None), "Hùng"),
                    9: (None, None)}  # 9: someone Loa does not know yet
    assert len(reads) == 2  # the claim's one query, and the look for person 9
