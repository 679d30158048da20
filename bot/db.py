"""The database: engine with the right per-connection settings, and one transaction per call.

Domain functions are plain synchronous functions `fn(session, ...)`. Handlers run them through
`Database.run`, in a worker thread, so the event loop keeps serving other users meanwhile; each
call is one transaction, committed when the function returns and rolled back if it raises.

A domain function reads, checks, then writes ("only a registered pledge can be cancelled"). On
PostgreSQL the row is locked with FOR UPDATE; SQLite has no row locks, and its driver would
only begin the transaction at the first write, after the check. So on SQLite every transaction
begins IMMEDIATE: it takes the database's write lock before its first read, and two
read-check-writes can never interleave (readers in WAL mode are not blocked by it).

While an update from the inbox is being handled (`HANDLING`, set by bot/inbox.py), the first
transaction of its handler that writes anything also stamps the update, in that same
transaction: an update whose effect is committed is never applied a second time, whatever
crash comes between (models/inbox.py). The same `Handling` carries the person's own rows (their
user and their conversation) from one transaction of the update to the next, so a handler's
several steps read them once (`Handling.known`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import ORMExecuteState
from sqlalchemy.orm.util import identity_key
from sqlmodel import Session, create_engine

from models import inbox
from models.dialogs import Dialog
from models.users import User

T = TypeVar("T")
IDLE_PING = 10.0  # seconds: a pooled connection idle longer is tested before use


class AlreadyHandled(Exception):
    """This update's effect was committed by an earlier handling: this one must not write."""


@dataclass
class Handling:
    """The inbox update the current task is handling (see models/inbox.py)."""

    update_id: int
    token: str
    task: asyncio.Task | None
    stamped: bool = False
    error: BaseException | None = None
    last_try: bool = True
    person: int | None = None
    #: The person's own rows (PERSONAL), each as the last committed transaction of this
    #: update left it, or None where they have none; a kind missing here is not known. Each
    #: transaction of the update starts with them in its session, so `session.get` of them
    #: reads nothing: a person's updates are handled one at a time, and nobody else writes
    #: these rows meanwhile. A locking read (FOR UPDATE) still goes to the database.
    known: dict[type, Any] = field(default_factory=dict)

    def seed(self, session: Session) -> list[Any]:
        """Copies of the known rows in `session` (the committed originals stay as they were);
        the caller holds them: a session only keeps weak references to unchanged rows."""
        return [session.merge(row, load=False) for row in self.known.values() if row is not None]

    def keep(self, session: Session) -> dict[type, Any]:
        """The person's rows in this session, to be `known` once it commits. A known row was
        seeded, so it is still in the session unless it was deleted (then: none); a row
        this transaction neither had nor made stays as it was known, or unknown."""
        if self.person is None:
            return {}
        kept = {}
        for cls in PERSONAL:
            row = session.identity_map.get(identity_key(cls, self.person))
            if row is not None or cls in self.known:
                kept[cls] = row
        if User in kept and kept[User] is None:  # erased: the database dropped the rest too
            kept = dict.fromkeys(PERSONAL)
        return kept


PERSONAL = (User, Dialog)  # keyed by the person's Telegram id


HANDLING: ContextVar[Handling | None] = ContextVar("loa_handling", default=None)


def current_handling() -> Handling | None:
    """The update this task is handling; None in a task the handler started (its writes
    are not the handler's own)."""
    current = HANDLING.get()
    return current if current is not None and current.task is asyncio.current_task() else None


class _Session(Session):
    """A session that knows whether it wrote anything (ORM flushes or UPDATE/DELETE/INSERT)."""


@event.listens_for(_Session, "after_flush")
def _flushed(session: Session, _context: Any) -> None:
    session.info["wrote"] = True


@event.listens_for(_Session, "do_orm_execute")
def _executed(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        state.session.info["wrote"] = True
    elif state.is_select and state.statement._for_update_arg is not None:
        state.update_execution_options(populate_existing=True)  # a locking read: as it is now


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return _ping_when_idle(create_engine(url, hide_parameters=True))
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30},
                           hide_parameters=True)

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # the driver begins nothing; "begin" below does
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin_immediate(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def _ping_when_idle(engine: Engine) -> Engine:
    """Test a pooled connection before use only when it sat idle for a while.

    A server restart or a dropped network kills idle connections, so one unused for
    IDLE_PING seconds is pinged first and replaced if dead. Under load connections come back
    within milliseconds, and pinging each checkout (`pool_pre_ping`) cost a round trip per
    session: a sixth of a worker's database time in bench/workers.py.
    """

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.pop("idle_since", None)
        if idle_since is not None and time.monotonic() - idle_since > IDLE_PING:
            try:
                engine.dialect.do_ping(dbapi_connection)
            except Exception as exc:  # the pool replaces it and tries again
                raise DisconnectionError() from exc

    return engine


def fresh_postgres(url: str) -> None:
    """An empty PostgreSQL database at `url`, created when missing (the tests and benchmarks
    own theirs; never point this at a deployment's)."""
    base = make_url(url)
    server = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        if conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                        {"n": base.database}).first() is None:
            conn.execute(text(f'CREATE DATABASE "{base.database}"'))
    server.dispose()
    engine = create_engine(base)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


class Database:
    def __init__(self, url: str):
        self.url = url
        self.engine = make_engine(url)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One transaction: committed on success, rolled back on error."""
        with _Session(self.engine, expire_on_commit=False) as session, session.begin():
            yield session

    def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return self._call(None, fn, *args, **kwargs)

    def _call(self, handling: Handling | None, fn: Callable[..., T], *args: Any,
              **kwargs: Any) -> T:
        if handling is None:
            with self.session() as session:
                return fn(session, *args, **kwargs)
        with self.session() as session:
            seeded = handling.seed(session)  # noqa: F841 (held for the session's length)
            result = fn(session, *args, **kwargs)
            session.flush()
            stamping = not handling.stamped and session.info.get("wrote")
            if stamping and not inbox.stamp(session, handling.update_id, handling.token):
                raise AlreadyHandled(handling.update_id)  # rolls this one back
            kept = handling.keep(session)
        handling.known = kept  # committed
        handling.stamped = handling.stamped or bool(stamping)
        return result

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return await asyncio.to_thread(self._call, current_handling(), fn, *args, **kwargs)

    def dispose(self) -> None:
        self.engine.dispose()
