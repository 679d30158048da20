"""A lean HTTP path to the Bot API for the messages Loa sends itself.

python-telegram-bot's request stack (httpx, object (de)serialisation) tops out near 400
messages a second on this class of machine, below what paid broadcasts allow (1000/s). Bulk
deliveries therefore go out as plain JSON over one aiohttp session, through the same rate
limiter as everything else, and failures come back as PTB's own exceptions, so the dispatcher
handles them exactly as it would from the Bot object.
"""

from __future__ import annotations

import math
from typing import Any

import aiohttp
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter

from bot.ratelimit import Limiter, messages


class Wire:
    def __init__(self, api_url: str, token: str, limiter: Limiter, connections: int = 64):
        self.base = f"{api_url}/bot{token}/"
        self.limiter = limiter
        self.connections = connections
        self._session: aiohttp.ClientSession | None = None

    async def open(self) -> None:
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=self.connections),
            timeout=aiohttp.ClientTimeout(total=30))

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def call(self, method: str, params: dict[str, Any], bulk: bool = True) -> Any:
        """Call a Bot API method; a reply (bulk=False) waits out a 429 and tries again."""
        while True:
            await self.limiter.acquire(params.get("chat_id"), bulk, messages(method, params))
            try:
                async with self._session.post(self.base + method, json=params) as response:
                    status = response.status
                    answer = await response.json(content_type=None)
            except (TimeoutError, aiohttp.ClientError, ValueError) as error:
                raise NetworkError(f"{method}: {error.__class__.__name__}") from None
            if not isinstance(answer, dict):  # a proxy's bare 502, an empty or alien body
                raise NetworkError(f"{method}: HTTP {status} without a Bot API answer")
            if answer.get("ok"):
                self.limiter.sent()
                return answer.get("result")
            code, text = answer.get("error_code"), str(answer.get("description") or "")
            if code == 429:
                seconds = _retry_after(answer)
                self.limiter.pause(seconds)
                if bulk:
                    raise RetryAfter(seconds)
                continue
            if code == 400 and (new_id := _migrate_to(answer)) is not None:
                raise ChatMigrated(new_id)  # a group became a supergroup with a new id
            if code == 403:
                raise Forbidden(text)
            if code in (400, 404):
                raise BadRequest(text)
            raise NetworkError(text or f"HTTP {code}")  # 5xx: worth another try later


def _migrate_to(answer: dict[str, Any]) -> int | None:
    parameters = answer.get("parameters")
    value = parameters.get("migrate_to_chat_id") if isinstance(parameters, dict) else None
    return value if isinstance(value, int) else None


def _retry_after(answer: dict[str, Any]) -> int:
    parameters = answer.get("parameters")
    value = parameters.get("retry_after") if isinstance(parameters, dict) else None
    return math.ceil(value) if isinstance(value, int | float) and value > 0 else 1
