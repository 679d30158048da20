"""Telegram's flood control: a global rate, a per-chat rate, 20 a minute per group.

A test may shrink the group's minute (``group_window``) to run the same limit faster.

Why: the delivery engine must pace itself and honour retry_after; the emulator answers 429 as
Telegram does and counts sends made before a ban ends (early sends), which a test can assert
is zero.
"""

from __future__ import annotations

import math
from collections import deque
from typing import Any

from .protocol import JSON, ApiError

_UNSET: Any = object()


def _window(rate: float, seconds: float) -> tuple[int, float]:
    """(messages, window seconds) for a rate; fractional rates widen the window instead."""
    if rate >= 1:
        return int(rate), seconds
    return 1, seconds / rate


def _window_wait(
    times: deque[float], count: int, span: float, now: float, need: int = 1
) -> float:
    """Seconds until the sliding window has room for ``need`` more (0.0: room now)."""
    horizon = now - span
    while times and times[0] <= horizon:
        times.popleft()
    over = len(times) + min(need, count) - count
    if over <= 0:
        return 0.0
    return times[over - 1] + span - now


class LimitsMixin:
    """Flood limits as plain attributes (tests change them live) and the bans they start."""

    def set_limits(
        self,
        rate_limit: float | None = _UNSET,
        per_chat_rate: float | None = _UNSET,
        group_rate_per_minute: float | None = _UNSET,
        group_window: float | None = _UNSET,
    ) -> JSON:
        """Change flood limits at run time; omitted ones stay, None switches one off."""
        if rate_limit is not _UNSET:
            self.rate_limit = rate_limit
        if per_chat_rate is not _UNSET:
            self.per_chat_rate = per_chat_rate
        if group_rate_per_minute is not _UNSET:
            self.group_rate_per_minute = group_rate_per_minute
        if group_window is not _UNSET:
            self.group_window = group_window or 60.0
        return self.limits()

    def limits(self) -> JSON:
        return {
            "rate_limit": self.rate_limit,
            "per_chat_rate": self.per_chat_rate,
            "group_rate_per_minute": self.group_rate_per_minute,
            "group_window": self.group_window,
        }

    def force_429(self, retry_after: int = 1, times: int = 1) -> None:
        """Answer the next ``times`` sends with 429 (a storm), each starting a ban."""
        self._forced_retry = max(1, math.ceil(retry_after))
        self._forced_left = times

    def lift_bans(self) -> None:
        """Forget running retry_after bans and forced 429s (sandbox convenience)."""
        self._ban_until = 0.0
        self._chat_bans.clear()
        self._forced_left = 0

    def _too_many(self, retry_after: float) -> ApiError:
        seconds = max(1, math.ceil(retry_after))
        return ApiError(429, f"Too Many Requests: retry after {seconds}", {"retry_after": seconds})

    def _check_flood(self, chat_id: int, now: float, messages: int = 1) -> None:
        """Raise 429 when a send is not allowed now; bans make early retries visible.

        An album or a copyMessages call is as many messages as it holds, in the chat's pace.
        """
        if now < self._ban_until:
            self.stats.early_sends += 1
            raise self._too_many(self._ban_until - now)
        until = self._chat_bans.get(chat_id)
        if until is not None:
            if now < until:
                self.stats.early_sends += 1
                raise self._too_many(until - now)
            del self._chat_bans[chat_id]
        if self._forced_left > 0:
            self._forced_left -= 1
            self._ban_until = now + self._forced_retry
            raise self._too_many(self._forced_retry)
        if self.rate_limit:
            wait = _window_wait(self._global_window, *_window(self.rate_limit, 1.0), now)
            if wait > 0:
                error = self._too_many(wait)
                self._ban_until = now + error.parameters["retry_after"]
                raise error
        limit = self._chat_limit(chat_id)
        if limit is not None:
            times = self._chat_windows.setdefault(chat_id, deque())
            wait = _window_wait(times, *limit, now, messages)
            if wait > 0:
                error = self._too_many(wait)
                self._chat_bans[chat_id] = now + error.parameters["retry_after"]
                raise error

    def _chat_limit(self, chat_id: int) -> tuple[int, float] | None:
        if chat_id > 0:
            return _window(self.per_chat_rate, 1.0) if self.per_chat_rate else None
        rate = self.group_rate_per_minute
        return _window(rate, self.group_window) if rate else None

    def _note_sent(self, chat_id: int, now: float, messages: int = 1) -> None:
        self.stats.sent += 1
        if self.rate_limit:
            self._global_window.append(now)
        if self._chat_limit(chat_id) is not None:
            self._chat_windows.setdefault(chat_id, deque()).extend([now] * messages)
