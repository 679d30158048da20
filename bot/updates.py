"""Updates of one person are handled in order; different people are served concurrently.

A person's steps (press Confirm, then type) must not race each other, while one slow person
must not hold up the rest of the commune. Each person has a queue of their own: an update
waits for its turn in that queue *before* it takes one of the shared slots, so a person takes
at most one slot however many updates they send, and someone flooding the bot cannot crowd
the others out. A person's queue is capped: beyond `max_pending` waiting updates the excess is
dropped, and the person is told once (the `on_overflow` callback), until their queue empties.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

log = logging.getLogger(__name__)

MAX_PENDING = 20


class _Person:
    __slots__ = ("lock", "noticed", "pending")

    def __init__(self) -> None:
        self.lock = asyncio.Lock()  # FIFO: a person's updates run in the order they came
        self.pending = 0
        self.noticed = False


class PerUserUpdateProcessor(BaseUpdateProcessor):
    def __init__(self, max_concurrent_updates: int = 64, max_pending: int = MAX_PENDING,
                 on_overflow: Callable[[Update], Awaitable[Any]] | None = None):
        super().__init__(max_concurrent_updates)
        self.max_pending = max_pending
        self.on_overflow = on_overflow
        self.dropped = 0
        self._people: dict[int, _Person] = {}
        self._notices: set[asyncio.Task] = set()

    async def process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = _key(update)
        if key is None:
            async with self._semaphore:
                await coroutine
            return
        person = self._people.get(key)
        if person is None:
            person = self._people[key] = _Person()
        if person.pending >= self.max_pending:
            self._drop(update, person, coroutine)
            return
        person.pending += 1
        try:
            # one's turn first, holding no shared slot meanwhile; then a slot
            async with person.lock, self._semaphore:
                await coroutine
        finally:
            person.pending -= 1
            if not person.pending:  # forget idle people so the map stays small
                del self._people[key]

    def _drop(self, update: object, person: _Person, coroutine: Awaitable[Any]) -> None:
        self.dropped += 1
        if hasattr(coroutine, "close"):
            coroutine.close()  # never started: nothing of it ran
        if person.noticed or self.on_overflow is None:
            return
        person.noticed = True
        log.warning("a person sent more than %d updates at once; the rest are dropped",
                    self.max_pending)
        task = asyncio.create_task(self._notify(update))
        self._notices.add(task)
        task.add_done_callback(self._notices.discard)

    async def _notify(self, update: object) -> None:
        try:
            async with self._semaphore:
                await self.on_overflow(update)
        except Exception:
            log.warning("could not tell a person that their messages were dropped")

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        await coroutine  # unused: process_update above does the ordering

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass


def _key(update: object) -> int | None:
    if isinstance(update, Update) and update.effective_user is not None:
        return update.effective_user.id
    return None
