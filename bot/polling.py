"""Long polling that loses nothing: a batch of updates is stored in the inbox before the next
getUpdates moves the offset past it (Telegram forgets updates below the offset it is given).

A process killed between fetching and storing gets the same updates again on its next start;
the inbox keeps each update once.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress
from typing import Any

import aiohttp

from bot.inbox import Inbox

log = logging.getLogger(__name__)


class Poller:
    def __init__(self, api_url: str, token: str, inbox: Inbox, allowed_updates: list[str],
                 timeout: int = 50):
        self.url = f"{api_url}/bot{token}/"
        self.inbox, self.allowed_updates, self.timeout = inbox, allowed_updates, timeout
        self.storing = False  # a fetched batch is not in the database yet
        self._task: asyncio.Task | None = None
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        self._session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=self.timeout + 15))
        await self._call("deleteWebhook", {"drop_pending_updates": False})  # polling needs it
        self._task = asyncio.create_task(self._run(), name="loa-polling")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with suppress(asyncio.CancelledError):
                await self._task
        if self._session is not None:
            await self._session.close()

    async def _run(self) -> None:
        offset: int | None = None
        pause = 0.0
        while True:
            if pause:
                await asyncio.sleep(pause)
            try:
                updates = await self._call("getUpdates", {
                    "offset": offset, "timeout": self.timeout,
                    "allowed_updates": self.allowed_updates})
                if updates:
                    self.storing = True
                    try:
                        await self.inbox.receive(updates)
                    finally:
                        self.storing = False
                    offset = max(u["update_id"] for u in updates) + 1
                pause = 0.0
            except (TimeoutError, aiohttp.ClientError, PollingError) as exc:
                pause = min(max(pause * 2, 0.5), 30.0)
                log.warning("polling: %s; trying again in %.1f s", exc, pause)
            except Exception:  # the database: the same batch is fetched again
                pause = min(max(pause * 2, 0.5), 30.0)
                log.exception("could not store updates; fetching them again in %.1f s", pause)

    async def _call(self, method: str, params: dict[str, Any]) -> Any:
        async with self._session.post(self.url + method, json=params) as response:
            answer = await response.json(content_type=None)
        if not isinstance(answer, dict) or not answer.get("ok"):
            description = answer.get("description") if isinstance(answer, dict) else None
            raise PollingError(f"{method}: {description or f'HTTP {response.status}'}")
        return answer["result"]


class PollingError(Exception):
    """Telegram said no (another process polling: 409 Conflict; a revoked token: 401)."""

