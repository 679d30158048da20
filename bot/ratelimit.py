"""One rate budget for all the bot sends, with replies ahead of bulk deliveries.

Every Bot API call that sends or edits a message passes here (PTB's rate limiter hook): a
global pace (Telegram's ~30/s in bulk; up to 1000/s with paid broadcasts); Loa's own messages
also keep about one a second to one private chat and 20 a minute to one group. Replies to
someone who is talking to the bot are "urgent": while one waits, bulk deliveries (the
dispatcher's, marked with `rate_limit_args={"bulk": True}`) hold back. A 429 pauses every
send for its retry_after; a reply then waits it out and tries again, a bulk delivery is handed
back to the dispatcher.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

PACED = frozenset({
    "sendMessage", "sendPhoto", "sendDocument", "sendVideo", "sendAudio", "sendVoice",
    "sendAnimation", "sendMediaGroup", "sendLocation", "sendContact", "sendPoll", "copyMessage",
    "copyMessages", "forwardMessage", "forwardMessages", "editMessageText",
    "editMessageCaption", "editMessageReplyMarkup", "editMessageMedia",
})
GROUP_INTERVAL = 60 / 20
CATCH_UP = 0.05  # seconds of slots a late sender may still use, at high rates


def retry_seconds(error: RetryAfter) -> float:
    value = error.retry_after
    return value if isinstance(value, int | float) else value.total_seconds()


class Limiter(BaseRateLimiter[dict]):
    def __init__(self, rate: float = 25.0, per_chat_interval: float = 1.0):
        self.interval = 1.0 / rate
        # At Telegram's 30/s a slot is long and a late timer costs little; at paid rates a
        # slot is a millisecond and the loop's pauses (a batch claimed, outcomes written) would
        # cost a tenth of the pace unless some of it can be made up.
        self.catch_up = self.interval if rate < 100 else CATCH_UP
        self.per_chat_interval = per_chat_interval
        self._next = 0.0
        self._paused_until = 0.0
        self._urgent = 0
        self._chat_next: dict[int | str, float] = {}
        self._bulk_turn = asyncio.Lock()

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    @property
    def paused_for(self) -> float:
        return max(0.0, self._paused_until - time.monotonic())

    def pause(self, seconds: float) -> None:
        """Telegram said 429: nothing goes out before this time, whoever sends it."""
        self._paused_until = max(self._paused_until, time.monotonic() + seconds)
        self._next = max(self._next, self._paused_until)  # and then one at a time again

    async def process_request(self, callback: Callable[..., Coroutine[Any, Any, Any]],
                              args: Any, kwargs: dict[str, Any], endpoint: str,
                              data: dict[str, Any], rate_limit_args: dict | None) -> Any:
        if endpoint not in PACED:
            return await callback(*args, **kwargs)
        bulk = bool(rate_limit_args and rate_limit_args.get("bulk"))
        while True:
            await self.acquire(data.get("chat_id"), bulk)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as error:
                self.pause(retry_seconds(error))
                if bulk:
                    raise

    async def acquire(self, chat_id: int | str | None, bulk: bool) -> None:
        """Wait for the chat's own pace, then for a slot in the global pace (last, so that a
        429 that came meanwhile is seen before sending)."""
        if bulk:  # a conversation may burst a little; Loa's own messages keep the chat's pace
            await self._chat(chat_id)
            async with self._bulk_turn:  # one bulk sender waits for the next slot at a time
                await self._global(bulk)
            return
        self._urgent += 1
        try:
            await self._global(bulk)
        finally:
            self._urgent -= 1

    async def _global(self, bulk: bool) -> None:
        while True:
            now = time.monotonic()
            start = max(self._next, self._paused_until)
            if bulk and self._urgent:
                await asyncio.sleep(max(self.interval, start - now))
                continue
            if start <= now:
                # Keep the average exact: a late wake-up (timers are ~1 ms coarse) may be
                # made up within CATCH_UP, never more, so an idle spell or a pause does
                # not turn into a burst.
                late = now - self._next
                self._next = (self._next if late < self.catch_up else now) + self.interval
                return
            await asyncio.sleep(start - now)

    async def _chat(self, chat_id: int | str | None) -> None:
        if chat_id is None:
            return
        interval = GROUP_INTERVAL if str(chat_id).startswith("-") else self.per_chat_interval
        now = time.monotonic()
        slot = max(self._chat_next.get(chat_id, 0.0), now)
        self._chat_next[chat_id] = slot + interval
        if len(self._chat_next) > 50_000:  # forget chats whose pace is long past
            self._chat_next = {k: v for k, v in self._chat_next.items() if v > now}
        if slot > now:
            await asyncio.sleep(slot - now)
