"""Handling what the inbox holds: claim, handle through the Application, settle.

Both ways in (long polling, bot/polling.py; the webhook, bot/http.py) only store updates
(`receive`); every process then takes from the database what it may handle now
(models/inbox.py: one update per person at a time, in order) and hands each to the
Application, up to `slots` at once. An update that keeps failing is set aside; the person's
next ones go on.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from contextlib import suppress
from datetime import timedelta
from typing import Any

from sqlmodel import Session
from telegram import Update
from telegram.ext import Application

from bot import metrics
from bot.db import HANDLING, PERSONAL, AlreadyHandled, Database, Handling
from models import inbox
from models.base import utcnow
from models.dialogs import with_dialogs

log = logging.getLogger(__name__)

RENEW_EVERY = 5.0  # seconds; a claim's lease is inbox.LEASE (15 s)
PRUNE_EVERY = 600.0
LIVE: set[str] = set()  # the workers of this process


class Inbox:
    def __init__(self, app: Application, db: Database, max_pending: int, keep: timedelta,
                 slots: int = 64, poll: float = 0.5,
                 notify: Callable[[Update, str], Awaitable[Any]] | None = None):
        self.app, self.db, self.max_pending, self.keep = app, db, max_pending, keep
        self.slots, self.poll, self.notify = slots, poll, notify
        self.worker = inbox.worker_name()
        LIVE.add(self.worker)
        self._claims = itertools.count()
        self._tag = secrets.token_hex(8)  # claims are this plus a counter
        self._wake = asyncio.Event()
        self._busy: set[asyncio.Task] = set()
        self._settled: list[tuple[int, str]] = []
        self._arrivals: list[tuple[list[dict[str, Any]], asyncio.Future]] = []
        self._storing: asyncio.Task | None = None
        self._tasks: list[asyncio.Task] = []
        self._stopping = False

    # ---- the way in ---------------------------------------------------------------------

    async def receive(self, payloads: list[dict[str, Any]]) -> None:
        """Store updates as Telegram sent them; returns once they are committed.

        Updates that arrive while a store is under way are kept together in the next one: one
        transaction for all the webhook requests that came meanwhile (a group commit), none
        kept waiting when nothing else is being stored.
        """
        arrival = asyncio.get_running_loop().create_future()
        self._arrivals.append((payloads, arrival))
        if self._storing is None or self._storing.done():
            self._storing = asyncio.create_task(self._store_arrivals())
        await arrival

    async def _store_arrivals(self) -> None:
        while self._arrivals:
            batch, self._arrivals = self._arrivals, []
            try:
                stored = await self.db.run(inbox.store, [p for ps, _ in batch for p in ps],
                                           utcnow(), self.max_pending)
            except Exception as exc:  # each request hears it: Telegram sends them again
                for _, arrival in batch:
                    if not arrival.done():
                        arrival.set_exception(exc)
                continue
            self._stored(stored)
            for _, arrival in batch:
                if not arrival.done():
                    arrival.set_result(None)

    def _stored(self, stored: inbox.Stored) -> None:
        metrics.UPDATES.labels("dropped").inc(stored.dropped)
        metrics.UPDATES.labels("duplicate").inc(stored.duplicates)
        if stored.to_tell:
            log.warning("a person sent more than %d updates at once; the rest are dropped",
                        self.max_pending)
        for payload in stored.to_tell:
            self._tell(payload, "flood")
        if stored.new:
            self._wake.set()

    def _tell(self, payload: dict[str, Any], why: str) -> None:
        """A notice to the person (bot/app.py words it), beside the handling."""
        if self.notify is None:
            return
        task = asyncio.create_task(self._notify(Update.de_json(payload, self.app.bot), why))
        self._busy.add(task)
        task.add_done_callback(self._busy.discard)

    async def _notify(self, update: Update, why: str) -> None:
        try:
            await self.notify(update, why)
        except Exception:
            log.warning("could not send a person the %s notice", why)

    # ---- the loop -----------------------------------------------------------------------

    def start(self) -> None:
        self._stopping = False
        self._tasks = [asyncio.create_task(self._run(), name="loa-inbox"),
                       asyncio.create_task(self._upkeep(), name="loa-inbox-upkeep")]

    async def stop(self, grace: float = 10.0) -> None:
        """Stop taking updates, let those in hand finish (up to `grace` seconds), give back the
        rest."""
        self._stopping = True
        self._wake.set()
        run, upkeep = self._tasks
        upkeep.cancel()
        with suppress(asyncio.CancelledError):
            await upkeep
        await run  # it ends at its next turn (a cancel could be lost inside wait_for)
        if self._busy:
            await asyncio.wait(set(self._busy), timeout=grace)
        with suppress(Exception):
            await self.db.run(self._give_back, self._settled)
        self._settled = []

    def _give_back(self, session: Session, settled: list[tuple[int, str]]) -> None:
        inbox.finish(session, settled, utcnow())
        inbox.release(session, self.worker)

    async def _run(self) -> None:
        with suppress(Exception):  # after a crash here, its updates are taken up at once
            await self.db.run(self._renew)
        while not self._stopping:
            self._wake.clear()
            settled, self._settled = self._settled, []
            free = self.slots - len(self._busy)
            try:
                claimed = await self.db.run(self._turn, settled, free)
            except Exception:
                log.exception("the inbox could not be read; trying again")
                self._settled = settled + self._settled
                await asyncio.sleep(1)
                continue
            if self._stopping:
                break  # what it just claimed is given back by stop()
            for row, known in claimed:
                task = asyncio.create_task(self._handle(row, known))
                self._busy.add(task)
                task.add_done_callback(self._busy.discard)
            if claimed and len(claimed) < free:
                continue  # the next of these people may be waiting already
            with suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll)

    def _turn(self, session: Session, settled: list[tuple[int, str]],
              free: int) -> list[tuple[inbox.InboxUpdate, dict[type, Any]]]:
        """Settle what was handled, claim what may be handled now, each update with its
        person's own rows (their user and conversation: bot/db.py, `Handling.known`), read
        together here rather than once per update."""
        now = utcnow()
        inbox.finish(session, settled, now)
        if free <= 0:
            return []
        token = f"{self._tag}{next(self._claims):x}"
        rows = inbox.claim(session, now, free, self.worker, token)
        people = with_dialogs(session, {row.person for row in rows if row.person is not None})
        return [(row, dict(zip(PERSONAL, people[row.person], strict=True))
                 if row.person in people else {}) for row in rows]

    async def _upkeep(self) -> None:
        pruned_at = time.monotonic() - PRUNE_EVERY
        while True:
            await asyncio.sleep(RENEW_EVERY)
            try:
                await self.db.run(self._renew)
                if time.monotonic() - pruned_at >= PRUNE_EVERY:
                    pruned_at = time.monotonic()
                    gone = await self.db.run(lambda s: inbox.prune(s, utcnow() - self.keep))
                    if gone:
                        log.info("pruned %d handled updates", gone)
            except Exception:
                log.exception("inbox upkeep failed; trying again")

    def _renew(self, session: Session) -> None:
        inbox.renew(session, self.worker, utcnow())
        released = inbox.release_gone(session, LIVE)
        if released:
            log.warning("%d updates held by a process that died go back to the queue", released)

    # ---- one update ---------------------------------------------------------------------

    async def _handle(self, row: inbox.InboxUpdate, known: dict[type, Any]) -> None:
        if row.stamp is not None:  # its writes were committed before a crash: not again
            log.info("update %d was handled before a crash; not handled again", row.id)
            if self.notify is not None:  # its answer may be lost: show where they are first
                await self._notify(Update.de_json(json.loads(row.payload), self.app.bot),
                                   "interrupted")  # (killed meanwhile: shown again, not lost)
            self._settle(row, "duplicate")
            return
        handling = Handling(row.id, row.claim, asyncio.current_task(),
                            last_try=row.tries >= inbox.MAX_TRIES, person=row.person,
                            known=known)
        token = HANDLING.set(handling)
        started = time.monotonic()
        try:
            update = Update.de_json(json.loads(row.payload), self.app.bot)
            await self.app.process_update(update)
        except Exception as exc:  # process_update hands errors to the error handler
            handling.error = exc
        finally:
            HANDLING.reset(token)
            metrics.UPDATE_SECONDS.observe(time.monotonic() - started)
        error = handling.error
        if error is None or isinstance(error, AlreadyHandled):
            self._settle(row, "handled" if error is None else "duplicate")
            return
        text = f"{error.__class__.__name__}: {error}"
        try:
            aside = await self.db.run(inbox.fail, row.id, row.claim, text, utcnow(),
                                      handling.stamped)  # stamped: a retry could not write
        except Exception:
            log.exception("could not record the failure of update %d", row.id)
            return  # its lease runs out; it is tried again
        metrics.UPDATES.labels("set_aside" if aside else "failed").inc()
        if aside:
            log.error("update %d set aside after %d tries: %s", row.id, row.tries, text)
        self._wake.set()

    def _settle(self, row: inbox.InboxUpdate, outcome: str) -> None:
        metrics.UPDATES.labels(outcome).inc()
        self._settled.append((row.id, row.claim))
        self._wake.set()

    async def idle(self) -> bool:
        """Nothing in hand here and nothing waiting in the database (tests wait for this)."""
        if self._busy or self._settled:
            return False
        return (await self.db.run(inbox.backlog)).waiting == 0
