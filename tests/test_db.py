"""The database engine: connections that died while idle are replaced before use; one
update's transactions read the person's own rows once."""

from __future__ import annotations

import asyncio
import re

import pytest
from sqlalchemy import event, text

from bot import db as dbmod
from bot.context import _load
from bot.db import HANDLING, Handling, make_engine
from models import inbox
from models.base import utcnow
from models.dialogs import end_dialog, get_dialog, save_dialog
from models.users import User, forget, update_user
from tests.conftest import PG_URL, worker_database


@pytest.mark.postgres
@pytest.mark.skipif(not PG_URL, reason="PostgreSQL: set LOA_TEST_DATABASE_URL to run this")
def test_a_connection_the_server_killed_while_idle_is_replaced(monkeypatch):
    """A PostgreSQL restart kills idle pooled connections: the next call still works."""
    url = worker_database(PG_URL)
    dbmod.fresh_postgres(url)
    engine, killer = make_engine(url), make_engine(url)
    with engine.connect() as connection:
        dead = connection.execute(text("SELECT pg_backend_pid()")).scalar()
    with killer.connect() as connection:
        assert connection.execute(text(f"SELECT pg_terminate_backend({dead})")).scalar()
    monkeypatch.setattr(dbmod, "IDLE_PING", 0.0)  # it sat idle long enough to be tested
    with engine.connect() as connection:
        assert connection.execute(text("SELECT pg_backend_pid()")).scalar() != dead
    engine.dispose()
    killer.dispose()


def _statements(database, table: str) -> list[str]:
    """SELECTs of `table` that `database` sends from now on."""
    seen: list[str] = []

    @event.listens_for(database.engine, "before_cursor_execute")
    def _seen(_conn, _cursor, statement, *_args) -> None:
        if re.match(rf'\s*SELECT\s.*\s(FROM|JOIN)\s"?{table}\b', statement, re.S):
            seen.append(statement)
    return seen


async def _handling(database, person: int) -> Handling:
    """Handling an update of `person`, stored in the inbox as Loa stores it."""
    sender = {"id": person, "is_bot": False, "first_name": "A"}
    payload = {"update_id": 1, "message": {"message_id": 1, "date": 0, "text": "x", "from": sender,
                                           "chat": {"id": person, "type": "private"}}}
    database.call(inbox.store, [payload], utcnow(), 10)
    handling = Handling(1, "claim-1", asyncio.current_task(), person=person)
    HANDLING.set(handling)
    return handling


async def test_an_update_reads_the_persons_conversation_once(db):
    """The steps of one update (who they are, then the answer saved, then read back) read
    their conversation from the database once; what is committed is what the next step sees."""
    db.call(lambda s: (s.add(User(id=7, name="An")), s.flush(), save_dialog(s, 7, "pledge", "who")))
    await _handling(db, 7)
    selects = _statements(db, "dialog")
    loaded = await db.run(_load, 7, frozenset())
    assert loaded[1].step == "who" and len(selects) == 1
    await db.run(save_dialog, 7, "pledge", "amount", amount=1_200_000)
    assert (await db.run(get_dialog, 7)).data == {"amount": 1_200_000}
    assert len(selects) == 1

    def fails(session):
        save_dialog(session, 7, "pledge", "public")
        raise ValueError("a rule said no")
    with pytest.raises(ValueError):
        await db.run(fails)
    assert (await db.run(get_dialog, 7)).step == "amount"  # the rolled-back step is not seen
    await db.run(end_dialog, 7)
    assert await db.run(get_dialog, 7) is None  # gone: read again, and not found
    assert len(selects) == 2
    assert db.call(get_dialog, 7) is None


async def test_a_locking_read_of_the_person_still_reads_the_database(db):
    db.call(lambda s: s.add(User(id=8, name="Ba")))
    await _handling(db, 8)
    await db.run(_load, 8, frozenset())
    db.call(lambda s: update_user(s, s.get(User, 8), name="Bà Ba"))  # an officer's edit
    selects = _statements(db, "user")
    name = await db.run(lambda s: s.get(User, 8, with_for_update=True).name)
    assert name == "Bà Ba" and len(selects) == 1


async def test_a_person_erased_during_an_update_has_no_conversation_left(db):
    """/forget deletes the user; the database deletes their conversation with them."""
    db.call(lambda s: (s.add(User(id=9, name="Cô Chín")), s.flush(),
                       save_dialog(s, 9, "pledge", "who")))
    await _handling(db, 9)
    await db.run(_load, 9, frozenset())
    assert await db.run(forget, 9)
    assert await db.run(get_dialog, 9) is None
    assert await db.run(lambda s: s.get(User, 9)) is None
