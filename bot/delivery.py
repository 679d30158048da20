"""The one way out: a dispatcher that drains the outbox within Telegram's limits.

Every message Loa sends on its own initiative (notifications now; broadcasts and reminders
later) is enqueued in the database and sent from here: at a steady global rate, waiting out a
429's retry_after for the whole bot, retrying network errors with backoff, and never retrying a
user who blocked the bot. Replies to someone who is talking to the bot do not pass here.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from datetime import timedelta

from telegram import Bot, InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter

from bot.db import Database
from models.base import utcnow
from models.outbox import Delivery, DeliveryStatus, claim, finish, next_due, release_stale

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
STALE_CLAIM = timedelta(minutes=2)
IDLE_POLL = 1.0  # seconds between looks at the outbox when nobody woke the dispatcher


class Dispatcher:
    def __init__(self, bot: Bot, db: Database, rate: float = 25.0, batch: int = 50):
        self.bot, self.db = bot, db
        self.interval = 1.0 / rate
        self.batch = batch
        self._next_send = 0.0
        self._paused_until = 0.0
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None

    def wake(self) -> None:
        """Something was enqueued: look now rather than at the next poll."""
        self._wake.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="loa-dispatcher")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        await self.db.run(release_stale, utcnow(), STALE_CLAIM)
        while True:
            try:
                sent_any = await self.drain_once()
            except Exception:
                log.exception("dispatcher: could not drain the outbox")
                sent_any = False
            if not sent_any:
                await self._idle()

    async def _idle(self) -> None:
        due = await self.db.run(next_due)
        wait = IDLE_POLL
        if due is not None:
            wait = min(wait, max(0.0, (due - utcnow()).total_seconds()))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=wait)
        self._wake.clear()

    async def drain_once(self) -> bool:
        """Claim one batch and send it; False when there was nothing due."""
        await self._respect_pause()
        batch = await self.db.run(claim, utcnow(), self.batch)
        for index, delivery in enumerate(batch):
            if not await self._send(delivery):  # a 429: hand the rest back untouched
                retry_at = utcnow() + timedelta(seconds=self._paused_until - time.monotonic())
                for rest in batch[index + 1:]:
                    await self.db.run(finish, rest.id, DeliveryStatus.PENDING, utcnow(),
                                      retry_at=retry_at)
                break
        return bool(batch)

    async def _respect_pause(self) -> None:
        delay = self._paused_until - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)

    async def _pace(self) -> None:
        now = time.monotonic()
        self._next_send = max(self._next_send + self.interval, now)
        if self._next_send > now:
            await asyncio.sleep(self._next_send - now)

    async def _send(self, delivery: Delivery) -> bool:
        await self._respect_pause()
        await self._pace()
        status, error, retry_at = DeliveryStatus.SENT, None, None
        try:
            await self.bot.send_message(
                delivery.chat_id, delivery.text, parse_mode=ParseMode.HTML,
                reply_markup=InlineKeyboardMarkup.de_json(delivery.markup, self.bot)
                if delivery.markup else None)
        except RetryAfter as exc:
            seconds = exc.retry_after if isinstance(exc.retry_after, int | float) \
                else exc.retry_after.total_seconds()
            self._paused_until = time.monotonic() + seconds
            log.warning("dispatcher: 429, pausing every send for %ss", seconds)
            await self.db.run(finish, delivery.id, DeliveryStatus.PENDING, utcnow(),
                              error="429", retry_at=utcnow() + timedelta(seconds=seconds))
            return False
        except Forbidden as exc:
            status, error = DeliveryStatus.BLOCKED, exc.message
        except BadRequest as exc:
            status, error = DeliveryStatus.FAILED, exc.message
        except NetworkError as exc:  # timeouts and 5xx: the message may go through later
            if delivery.attempts + 1 < MAX_ATTEMPTS:
                retry_at = utcnow() + timedelta(seconds=min(2 ** delivery.attempts, 300))
            status, error = DeliveryStatus.FAILED, exc.message
        await self.db.run(finish, delivery.id, status, utcnow(), error=error, retry_at=retry_at)
        return True
