"""python-telegram-bot's requests over aiohttp instead of httpx.

Every reply Loa sends goes through PTB's Bot. Its default request class (httpx over httpcore
and anyio) spends more time per call than the call itself takes on a fast network: measured
against the emulator it was the largest single cost of handling an update. This class keeps
PTB's whole Bot (objects, errors, the rate limiter) and only swaps the HTTP client, the same
aiohttp the delivery engine's bulk path (bot/wire.py) already uses.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import aiohttp
from telegram._utils.defaultvalue import DEFAULT_NONE
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

READ, WRITE, CONNECT = 5.0, 5.0, 5.0
UPLOAD = 60.0  # a workbook or a photo going up
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


class AiohttpRequest(BaseRequest):
    def __init__(self, connections: int = 128):
        self.connections = connections
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float:
        return READ

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self.connections))

    async def shutdown(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None,
                         read_timeout: ODVInput[float] = DEFAULT_NONE,
                         write_timeout: ODVInput[float] = DEFAULT_NONE,
                         connect_timeout: ODVInput[float] = DEFAULT_NONE,
                         pool_timeout: ODVInput[float] = DEFAULT_NONE) -> tuple[int, bytes]:
        files = request_data is not None and request_data.contains_files
        seconds = (_given(read_timeout, READ) + _given(connect_timeout, CONNECT) +
                   _given(write_timeout, UPLOAD if files else WRITE))
        try:
            body = _body(request_data)
            async with self._session.request(
                    method, url, data=body, headers=FORM if isinstance(body, bytes) else None,
                    timeout=aiohttp.ClientTimeout(total=seconds)) as response:
                return response.status, await response.read()
        except TimeoutError as exc:
            raise TimedOut from exc
        except aiohttp.ClientError as exc:
            raise NetworkError(f"aiohttp: {exc.__class__.__name__}: {exc}") from exc


def _given(value: ODVInput[float], default: float) -> float:
    return default if value is DEFAULT_NONE or value is None else float(value)


def _body(request_data: RequestData | None) -> Any:
    if request_data is None:
        return None
    if not request_data.contains_files:
        # Form-encoded, as PTB's own client sends it. Encoded here: aiohttp would build a
        # multipart writer (and a random boundary) for every dict only to throw it away.
        return urlencode(request_data.json_parameters).encode()
    form = aiohttp.FormData()
    for name, value in request_data.json_parameters.items():
        form.add_field(name, value)
    for name, (filename, content, mimetype) in request_data.multipart_data.items():
        form.add_field(name, content, filename=filename, content_type=mimetype)
    return form

