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
crash comes between (models/inbox.py).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import ORMExecuteState
from sqlmodel import Session, create_engine

from models import inbox

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


HANDLING: ContextVar[Handling | None] = ContextVar("loa_handling", default=None)


class _Session(Session):
    """A session that knows whether it wrote anything (ORM flushes or UPDATE/DELETE/INSERT)."""


@event.listens_for(_Session, "after_flush")
def _flushed(session: Session, _context: Any) -> None:
    session.info["wrote"] = True


@event.listens_for(_Session, "do_orm_execute")
def _executed(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        state.session.info["wrote"] = True


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
        with self.session() as session:
            result = fn(session, *args, **kwargs)
            if handling is not None and not handling.stamped:
                session.flush()
                if session.info.get("wrote"):
                    if not inbox.stamp(session, handling.update_id, handling.token):
                        raise AlreadyHandled(handling.update_id)  # rolls this one back
                    handling.stamped = True
            return result

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        handling = HANDLING.get()
        if handling is not None and handling.task is not asyncio.current_task():
            handling = None  # a task the handler started: not the handler's own write
        return await asyncio.to_thread(self._call, handling, fn, *args, **kwargs)

    def dispose(self) -> None:
        self.engine.dispose()
