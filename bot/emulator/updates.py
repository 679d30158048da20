"""Updates for the bot: the queue and getUpdates with long polling.

Why: the bot under test polls exactly as in production, so offsets, allowed_updates and the
409 of a second poller (or of a webhook being set) behave as on Telegram. The same queue is
what ``webhooks`` pushes when a webhook is set.
"""

from __future__ import annotations

import asyncio
import itertools

from .protocol import JSON, ApiError
from .waiters import wake

NOT_BY_DEFAULT = frozenset({"chat_member", "message_reaction", "message_reaction_count"})


class UpdatesMixin:
    """The update queue and getUpdates."""

    async def _get_updates(self, p: JSON) -> list[JSON]:
        """Long polling: answer at once if updates wait, else when one arrives or time is up."""
        if self._hook is not None:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; use "
                "deleteWebhook to delete the webhook first",
            )
        self._take_allowed_updates(p)
        offset = p.get("offset")
        if isinstance(offset, int):
            if offset < 0:
                while len(self._updates) > -offset:
                    self._updates.popleft()
            else:
                while self._updates and self._updates[0]["update_id"] < offset:
                    self._updates.popleft()
        limit = p.get("limit")
        limit = min(max(limit, 1), 100) if isinstance(limit, int) else 100
        try:
            timeout = max(0.0, float(p.get("timeout") or 0))
        except (TypeError, ValueError):
            timeout = 0.0
        # A newer getUpdates terminates an older one, as on Telegram (two bot instances).
        self._poll_generation += 1
        generation = self._poll_generation
        wake(self._update_waiters)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            batch = self._pending(limit)
            remaining = deadline - loop.time()
            if batch or remaining <= 0 or self._closing:
                return batch
            await self._wait(self._update_waiters, remaining)
            if self._hook is not None:
                raise ApiError(409, "Conflict: terminated by setWebhook request")
            if generation != self._poll_generation:
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; make sure that only "
                    "one bot instance is running",
                )

    def _take_allowed_updates(self, p: JSON) -> None:
        """allowed_updates of getUpdates or setWebhook; when absent the last one stays."""
        allowed = p.get("allowed_updates")
        if isinstance(allowed, list):
            self._allowed_updates = frozenset(allowed) or None

    def _wanted(self, update: JSON) -> bool:
        """Telegram's default (no list, or an empty one) is every kind but three."""
        allowed = self._allowed_updates
        if allowed is None:
            return not any(key in NOT_BY_DEFAULT for key in update)
        return any(key in allowed for key in update if key != "update_id")

    def _pending(self, limit: int) -> list[JSON]:
        return list(itertools.islice(filter(self._wanted, self._updates), limit))

    def inject_update(self, update: JSON) -> JSON:
        """Queue a raw update for getUpdates or the webhook; the update_id is assigned here."""
        update = {**update, "update_id": self._next_update_id}
        self._next_update_id += 1
        self._updates.append(update)
        if self._update_waiters:
            wake(self._update_waiters)
        if self._hook is not None:
            self._kick_webhook()
        return update

    @property
    def pending_updates(self) -> list[JSON]:
        """Updates not yet confirmed by the bot (a getUpdates offset, a webhook's 2xx)."""
        return list(self._updates)
