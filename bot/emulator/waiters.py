"""Waiting without polling: futures woken by every API call.

Why: a test waits for the bot's next message; sleeping in a loop would make the suite slow and
flaky, so each state change wakes the futures registered here.
"""

from __future__ import annotations

import asyncio
import bisect
from collections.abc import Callable

from .records import CallbackAnswer, SentMessage


def set_result(fut: asyncio.Future[None]) -> None:
    if not fut.done():
        fut.set_result(None)


def wake(waiters: set[asyncio.Future[None]]) -> None:
    for fut in waiters:
        set_result(fut)
    waiters.clear()


class WaitersMixin:
    """Waiting for what the bot does: its next message, a matching one, a callback answer."""

    async def _wait(self, waiters: set[asyncio.Future[None]], timeout: float) -> None:
        """Sleep until woken through ``waiters`` or ``timeout`` seconds pass."""
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[None] = loop.create_future()
        handle = loop.call_later(max(0.0, timeout), set_result, fut)
        waiters.add(fut)
        try:
            await fut
        finally:
            handle.cancel()
            waiters.discard(fut)

    async def wait_until(self, condition: Callable[[], bool], timeout: float = 5.0) -> None:
        """Re-check ``condition`` after every API call until it holds; TimeoutError otherwise."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not condition():
            remaining = deadline - loop.time()
            if remaining <= 0 or self._closing:
                raise TimeoutError(
                    f"condition not met within {timeout}s; recent outbox:\n{self.dump()}"
                )
            await self._wait(self._outbox_waiters, remaining)

    async def wait_for(
        self, predicate: Callable[[SentMessage], bool], timeout: float = 5.0, *, after: int = 0
    ) -> SentMessage:
        """First outbox record (send or edit) with seq >= ``after`` satisfying ``predicate``.

        Also moves that chat's ``next_message`` position past the match.
        """
        index = after
        found: list[SentMessage] = []

        def scan() -> bool:
            nonlocal index
            while index < len(self.outbox):
                rec = self.outbox[index]
                index += 1
                if predicate(rec):
                    found.append(rec)
                    return True
            return False

        try:
            await self.wait_until(scan, timeout)
        except TimeoutError:
            raise TimeoutError(
                f"no bot message matched within {timeout}s; recent outbox:\n{self.dump()}"
            ) from None
        rec = found[0]
        if self._cursors.get(rec.chat_id, 0) <= rec.seq:
            self._cursors[rec.chat_id] = rec.seq + 1
        return rec

    async def next_message(
        self, user_id: int, timeout: float = 5.0, after: int | None = None
    ) -> SentMessage:
        """The next send or edit to that chat, after the last one returned for it.

        ``after`` (an outbox index, e.g. from ``mark()``) overrides the position: the result
        is the first record for the chat with seq >= after.
        """
        start = self._cursors.get(user_id, 0) if after is None else after
        events = self._chat_events.setdefault(user_id, [])
        found: list[SentMessage] = []

        def ready() -> bool:
            i = bisect.bisect_left(events, start, key=lambda r: r.seq)
            if i < len(events):
                found.append(events[i])
                return True
            return False

        try:
            await self.wait_until(ready, timeout)
        except TimeoutError:
            raise TimeoutError(
                f"no bot message to chat {user_id} (from outbox #{start}) within {timeout}s; "
                f"recent outbox:\n{self.dump()}"
            ) from None
        self._cursors[user_id] = found[0].seq + 1
        return found[0]

    async def wait_callback_answer(self, query_id: str, timeout: float = 5.0) -> CallbackAnswer:
        """The answerCallbackQuery for a query id returned by press()/press_button()."""

        def answered() -> CallbackAnswer | None:
            return next((a for a in self.callback_answers if a.callback_query_id == query_id), None)

        try:
            await self.wait_until(lambda: answered() is not None, timeout)
        except TimeoutError:
            raise TimeoutError(
                f"callback query {query_id} not answered within {timeout}s; "
                f"recent outbox:\n{self.dump()}"
            ) from None
        answer = answered()
        assert answer is not None
        return answer
