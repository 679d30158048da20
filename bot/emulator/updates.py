"""Updates for the bot: the queue, getUpdates with long polling, webhooks refused.

Why: the bot under test polls exactly as in production, so offsets, allowed_updates and the
409 of a second poller behave as on Telegram.
"""

from __future__ import annotations

import asyncio
import itertools

from .protocol import JSON, ApiError
from .records import Upload
from .waiters import wake


class UpdatesMixin:
    """The update queue and getUpdates."""

    async def _get_updates(self, p: JSON) -> list[JSON]:
        """Long polling: answer at once if updates wait, else when one arrives or time is up."""
        if self.webhook_url:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; use "
                "deleteWebhook to delete the webhook first",
            )
        allowed = p.get("allowed_updates")
        if isinstance(allowed, list):
            self._allowed_updates = frozenset(allowed) or None
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
            if generation != self._poll_generation:
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; make sure that only "
                    "one bot instance is running",
                )

    def _pending(self, limit: int) -> list[JSON]:
        allowed = self._allowed_updates
        if allowed is None:
            return list(itertools.islice(self._updates, limit))
        batch = []
        for update in self._updates:
            if any(key in allowed for key in update if key != "update_id"):
                batch.append(update)
                if len(batch) >= limit:
                    break
        return batch

    def _set_webhook(self, p: JSON, files: dict[str, Upload]) -> bool:
        self.webhook_url = str(p.get("url") or "")
        return True

    def _delete_webhook(self, p: JSON, files: dict[str, Upload]) -> bool:
        self.webhook_url = ""
        if p.get("drop_pending_updates") is True:
            self._updates.clear()
        return True

    def inject_update(self, update: JSON) -> JSON:
        """Queue a raw update for getUpdates; the update_id is assigned here."""
        update = {**update, "update_id": self._next_update_id}
        self._next_update_id += 1
        self._updates.append(update)
        if self._update_waiters:
            wake(self._update_waiters)
        return update

    @property
    def pending_updates(self) -> list[JSON]:
        """Updates not yet confirmed by the bot (via getUpdates offset)."""
        return list(self._updates)
