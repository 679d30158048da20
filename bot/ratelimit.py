"""One rate budget for all the bot sends, with replies ahead of bulk deliveries.

Every Bot API call that sends or edits a message passes here (PTB's rate limiter hook): a
global pace (Telegram's ~30/s in bulk; up to 1000/s with paid broadcasts) and a pace per chat
(about one message a second to one private chat, with a small burst so a reply of two or three
messages is not held back; 20 a minute to one group). Replies to someone who is talking to the
bot are "urgent": while one waits, bulk deliveries (the dispatcher's, marked with
`rate_limit_args={"bulk": True}`) hold back. A 429 pauses every send for its retry_after; a
reply then waits it out and tries again, a bulk delivery is handed back to the dispatcher.
An album of N items is N messages to Telegram: it takes N slots of both paces.

The configured pace is a ceiling, not a promise: the bot's real limit is unknown and may be
lower. A 429 lowers the pace (multiplicatively, to just under the rate that was getting
through) and the pace then grows back along a cubic curve, as TCP CUBIC does: quickly at
first, flat near the rate that was refused, then probing above it again, so under an unknown
limit the engine settles just below it and meets a 429 only now and then.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable, Coroutine
from typing import Any

from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError
from telegram.ext import BaseRateLimiter

from bot import metrics

log = logging.getLogger(__name__)

PACED = frozenset({
    "sendMessage", "sendPhoto", "sendDocument", "sendVideo", "sendAudio", "sendVoice",
    "sendAnimation", "sendMediaGroup", "sendLocation", "sendContact", "sendPoll", "copyMessage",
    "copyMessages", "forwardMessage", "forwardMessages", "editMessageText",
    "editMessageCaption", "editMessageReplyMarkup", "editMessageMedia",
})
GROUP_INTERVAL = 60 / 20
CATCH_UP = 0.05  # seconds of slots a late sender may still use, at high rates
BACK_OFF = 0.97  # a 429 sets the pace to this share of the rate that was getting through
PLATEAU = 30.0  # seconds until the pace is back at the refused rate, then it probes above
CUBIC = (1 - BACK_OFF) / PLATEAU ** 3
MARGIN = 0.97  # the curve flattens just under what went through, then probes above
MIN_RATE = 0.5
WINDOW = 1.05  # Telegram counts a second; a little more here allows for network jitter
CHAT_MAP_MAX = 50_000


def messages(endpoint: str, data: dict[str, Any]) -> int:
    """How many messages a call sends: an album counts each of its items."""
    media = data.get("media") if endpoint == "sendMediaGroup" else None
    return len(media) if isinstance(media, list) and media else 1


def retry_seconds(error: RetryAfter) -> float:
    value = error.retry_after
    return value if isinstance(value, int | float) else value.total_seconds()


class Limiter(BaseRateLimiter[dict]):
    def __init__(self, rate: float = 25.0, per_chat_interval: float = 1.0,
                 chat_burst: int = 3, adaptive: bool = True,
                 group_interval: float = GROUP_INTERVAL):
        self.ceiling = rate
        self.adaptive = adaptive  # False: the fixed pace of old (a benchmark's reference)
        self.per_chat_interval = per_chat_interval
        self.group_interval = group_interval  # delivery.group_rate (the outbox shares it)
        self.chat_burst = max(1, chat_burst)
        self._next = 0.0
        self._paused_until = 0.0
        self._urgent = 0
        self._chat_next: dict[int | str, float] = {}  # theoretical arrival time per chat
        self._bulk_turn = asyncio.Lock()
        self._refused_at: float | None = None  # the last 429 that lowered the pace
        self._refused_rate = rate  # the rate that was getting through then
        self._sent: deque[float] = deque(maxlen=4096)  # when sends succeeded, last second
        self._granted: deque[float] = deque(maxlen=4096)  # slots given, last second
        self.backoffs = 0
        metrics.SEND_PACE.set_function(lambda: self.rate)  # one limiter a process: the bot's

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    # ---- the adaptive pace ----------------------------------------------------------------

    @property
    def rate(self) -> float:
        """Messages a second now: the ceiling, or the cubic curve back to it after a 429."""
        if self._refused_at is None:
            return self.ceiling
        t = time.monotonic() - self._refused_at - PLATEAU
        rate = self._refused_rate * (1 + CUBIC * t ** 3)
        return max(MIN_RATE, min(self.ceiling, rate))

    @property
    def interval(self) -> float:
        return 1.0 / self.rate

    @property
    def catch_up(self) -> float:
        # At Telegram's 30/s a slot is long and a late timer costs little; at paid rates a
        # slot is a millisecond and the loop's pauses (a batch claimed, outcomes written) would
        # cost a tenth of the pace unless some of it can be made up.
        return self.interval if self.ceiling < 100 else CATCH_UP

    def sent(self) -> None:
        """A send went through (the measure of what the real limit lets pass)."""
        self._sent.append(time.monotonic())

    def _getting_through(self, now: float) -> int:
        """Sends that went through in the last second: what the limit let pass just before
        it refused one (a 429's ban is at least a second long, so nothing older counts)."""
        while self._sent and now - self._sent[0] > 1.0:
            self._sent.popleft()
        return len(self._sent)

    @property
    def paused_for(self) -> float:
        return max(0.0, self._paused_until - time.monotonic())

    def pause(self, seconds: float) -> None:
        """Telegram said 429: nothing goes out before this time, whoever sends it, and the pace
        comes down (once per refusal: the other sends in flight meet the same one)."""
        metrics.TELEGRAM_429.inc()
        now = time.monotonic()
        through = self._getting_through(now)
        fresh = self._refused_at is None or now - self._refused_at > max(1.0, seconds)
        # Refused while nothing was going through (a storm, a ban) says nothing of the rate.
        if fresh and through >= 2 and self.adaptive:
            current = self.rate
            # What got through is the limit; but a 429 may be one chat's, not the bot's: at
            # most a cut to a third of the pace for one refusal.
            self._refused_rate = max(MIN_RATE / BACK_OFF,
                                     MARGIN * min(current, max(through, current * 0.3)))
            self._refused_at = now
            self.backoffs += 1
            log.info("429: pace lowered to %.1f/s (%d went through in the last second)",
                     self.rate, through)
        self._paused_until = max(self._paused_until, now + seconds)
        self._next = max(self._next, self._paused_until)  # and then one at a time again
        self._sent.clear()  # nothing goes through during the pause: measure afresh after it

    # ---- the hook ---------------------------------------------------------------------------

    async def process_request(self, callback: Callable[..., Coroutine[Any, Any, Any]],
                              args: Any, kwargs: dict[str, Any], endpoint: str,
                              data: dict[str, Any], rate_limit_args: dict | None) -> Any:
        if endpoint == "answerCallbackQuery":
            return await _answer(callback, args, kwargs)
        if endpoint not in PACED:
            return await callback(*args, **kwargs)
        bulk = bool(rate_limit_args and rate_limit_args.get("bulk"))
        while True:
            await self.acquire(data.get("chat_id"), bulk, messages(endpoint, data))
            try:
                result = await callback(*args, **kwargs)
            except RetryAfter as error:
                metrics.SENDS.labels("retried").inc()
                self.pause(retry_seconds(error))
                if bulk:
                    raise
                continue
            except Forbidden:
                metrics.SENDS.labels("blocked").inc()
                raise
            except TelegramError:
                metrics.SENDS.labels("failed").inc()
                raise
            metrics.SENDS.labels("sent").inc()
            self.sent()
            return result

    async def acquire(self, chat_id: int | str | None, bulk: bool, count: int = 1) -> None:
        """Wait for the chat's own pace, then for `count` slots in the global pace (last, so
        that a 429 that came meanwhile is seen before sending)."""
        await self._chat(chat_id, count)
        if bulk:
            async with self._bulk_turn:  # one bulk sender waits for the next slot at a time
                await self._global(bulk, count)
            return
        self._urgent += 1
        try:
            await self._global(bulk, count)
        finally:
            self._urgent -= 1

    async def _global(self, bulk: bool, count: int = 1) -> None:
        for _ in range(count):
            await self._slot(bulk)

    async def _slot(self, bulk: bool) -> None:
        while True:
            now = time.monotonic()
            start = max(self._next, self._paused_until)
            interval = self.interval
            if bulk and self._urgent:
                await asyncio.sleep(max(interval, start - now))
                continue
            if start <= now:
                # Near a limit a 429 revealed, never more in one second than the pace: the
                # late wake-ups made up below must not add up to one send too many.
                wait = self._window_wait(now)
                if wait > 0:
                    await asyncio.sleep(wait)
                    continue
                # Keep the average exact: a late wake-up (timers are ~1 ms coarse) may be
                # made up within CATCH_UP, never more, so an idle spell or a pause does
                # not turn into a burst.
                late = now - self._next
                self._next = (self._next if late < self.catch_up else now) + interval
                return
            await asyncio.sleep(start - now)

    def _window_wait(self, now: float) -> float:
        if self._refused_at is None:
            return 0.0
        granted = self._granted
        while granted and now - granted[0] >= WINDOW:
            granted.popleft()
        if len(granted) >= max(1, round(self.rate * WINDOW)):
            return granted[0] + WINDOW - now
        granted.append(now)
        return 0.0

    async def _chat(self, chat_id: int | str | None, count: int = 1) -> None:
        """One chat's pace (GCRA): `chat_burst` messages at once, then one per interval;
        `count` messages sent together take `count` intervals."""
        if chat_id is None:
            return
        group = str(chat_id).startswith("-")
        interval = self.group_interval if group else self.per_chat_interval
        burst = 1 if group else self.chat_burst
        now = time.monotonic()
        due = max(self._chat_next.get(chat_id, now), now)
        send_at = max(now, due - (burst - 1) * interval)
        self._chat_next[chat_id] = due + interval * count
        if len(self._chat_next) > CHAT_MAP_MAX:  # forget chats whose pace is long past
            self._chat_next = {k: v for k, v in self._chat_next.items() if v > now}
        if send_at > now:
            await asyncio.sleep(send_at - now)


async def _answer(callback: Callable[..., Coroutine[Any, Any, Any]], args: Any,
                  kwargs: dict[str, Any]) -> Any:
    """Answering a button press only stops its spinner. A press handled late (Telegram waited
    for Loa's restart, or a slow moment) can no longer be answered: that must not fail it."""
    try:
        return await callback(*args, **kwargs)
    except BadRequest as error:
        if "query is too old" not in str(error).lower():
            raise
        log.info("a button press was answered too late for Telegram; handled all the same")
        return True
