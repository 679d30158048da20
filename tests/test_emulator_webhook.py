"""The emulator's webhooks, driven by the real python-telegram-bot Bot over real HTTP.

Why: Loa's webhook mode is only tested as well as the emulator plays Telegram's delivery, so a
tiny aiohttp receiver stands in for Loa's listener and records what Telegram would send: the
secret header, retries, how many requests overlap and in which order one chat's updates come.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import httpx
import pytest
import pytest_asyncio
from aiohttp import web
from telegram import Bot
from telegram.error import BadRequest, Conflict, RetryAfter

from bot.emulator import Emulator

pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after.*:DeprecationWarning")

TOKEN = "123456:TEST"
ALICE = 1001
BOB = 1002


class FakeClock:
    """Steps over setWebhook's once-a-second limit without sleeping."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Hit:
    """One webhook request as the receiver saw it."""

    headers: dict[str, str]
    update: dict
    at: float
    alongside: list[int]  # update_ids of the other requests in flight when this one came


@dataclass
class Receiver:
    """A webhook endpoint: records requests, answers from a script, counts overlap."""

    statuses: list[int | tuple[int, dict[str, str]]] = field(default_factory=list)
    default_status: int = 200
    delay: float = 0.0
    hold_messages: asyncio.Event | None = None  # message updates wait for it
    hits: list[Hit] = field(default_factory=list)
    peak: int = 0
    url: str = ""
    _active: dict[int, dict] = field(default_factory=dict)
    _arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def handle(self, request: web.Request) -> web.Response:
        update = await request.json()
        self.hits.append(Hit(dict(request.headers), update, time.monotonic(), list(self._active)))
        self._active[update["update_id"]] = update
        self.peak = max(self.peak, len(self._active))
        self._arrived.set()
        try:
            if self.hold_messages is not None and "message" in update:
                await self.hold_messages.wait()
            await asyncio.sleep(self.delay)
            answer = self.statuses.pop(0) if self.statuses else self.default_status
            status, headers = answer if isinstance(answer, tuple) else (answer, {})
            return web.Response(status=status, headers=headers)
        finally:
            del self._active[update["update_id"]]

    async def wait_hits(self, count: int, timeout: float = 5.0) -> None:
        async with asyncio.timeout(timeout):
            while len(self.hits) < count:
                self._arrived.clear()
                await self._arrived.wait()

    def ids(self, chat_id: int | None = None) -> list[int]:
        return [
            hit.update["update_id"]
            for hit in self.hits
            if chat_id is None or hit.update.get("message", {}).get("chat", {}).get("id") == chat_id
        ]


@pytest_asyncio.fixture
async def receiver() -> AsyncIterator[Receiver]:
    rec = Receiver()
    app = web.Application()
    app.router.add_post("/hook", rec.handle)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    rec.url = f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
    yield rec
    await runner.cleanup()


@pytest_asyncio.fixture
async def emu() -> AsyncIterator[Emulator]:
    async with Emulator(token=TOKEN) as emulator:
        emulator.add_user(ALICE, "Alice")
        emulator.add_user(BOB, "Bob")
        yield emulator
        assert not emulator.internal_errors, emulator.internal_errors


@pytest_asyncio.fixture
async def bot(emu: Emulator) -> AsyncIterator[Bot]:
    async with Bot(TOKEN, base_url=emu.base_url) as client:
        yield client


async def delivered(emu: Emulator, count: int) -> None:
    await emu.wait_until(lambda: emu.stats.webhook_delivered >= count)


@pytest.mark.asyncio
async def test_updates_are_pushed_with_the_secret_and_polling_is_refused(
    emu: Emulator, bot: Bot, receiver: Receiver
) -> None:
    assert await bot.set_webhook(
        receiver.url,
        secret_token="s3cret_-X",
        max_connections=5,
        allowed_updates=["message", "callback_query"],
    )
    with pytest.raises(Conflict, match="can't use getUpdates method while webhook is active"):
        await bot.get_updates(timeout=0)

    emu.send_text(ALICE, "xin chào")
    await delivered(emu, 1)
    (hit,) = receiver.hits
    assert hit.headers["X-Telegram-Bot-Api-Secret-Token"] == "s3cret_-X"
    assert hit.headers["Content-Type"] == "application/json"
    assert hit.update["update_id"] == 1 and hit.update["message"]["text"] == "xin chào"

    info = await bot.get_webhook_info()
    assert info.url == receiver.url and info.pending_update_count == 0
    assert info.max_connections == 5 and info.has_custom_certificate is False
    assert info.allowed_updates == ("callback_query", "message")
    assert info.last_error_date is None and emu.pending_updates == []


@pytest.mark.asyncio
async def test_no_secret_no_header_and_unwanted_updates_are_not_pushed(
    emu: Emulator, bot: Bot, receiver: Receiver
) -> None:
    await bot.set_webhook(receiver.url, allowed_updates=["callback_query"])
    emu.send_text(ALICE, "not wanted")
    press = {"id": "q1", "from": {"id": ALICE, "is_bot": False, "first_name": "Alice"}}
    emu.inject_update({"callback_query": {**press, "chat_instance": "1", "data": "ok"}})
    await delivered(emu, 1)
    (hit,) = receiver.hits
    assert "callback_query" in hit.update and hit.update["update_id"] == 2
    assert "X-Telegram-Bot-Api-Secret-Token" not in hit.headers
    assert emu.webhook_info()["pending_update_count"] == 0


@pytest.mark.asyncio
async def test_set_webhook_refuses_what_telegram_refuses(receiver: Receiver) -> None:
    clock = FakeClock()
    async with Emulator(TOKEN, clock=clock) as emu, Bot(TOKEN, base_url=emu.base_url) as bot:
        with pytest.raises(BadRequest, match=r"(?i)secret token contains unallowed characters"):
            await bot.set_webhook(receiver.url, secret_token="no spaces")
        with pytest.raises(RetryAfter):  # once a second, failed attempts included
            await bot.set_webhook(receiver.url)
        clock.now += 1
        with pytest.raises(BadRequest, match=r"(?i)secret token is too long"):
            await bot.set_webhook(receiver.url, secret_token="x" * 257)
        clock.now += 1
        with pytest.raises(BadRequest, match=r"(?i)invalid webhook URL specified"):
            await bot.set_webhook("ftp://example.org/hook")
        clock.now += 1
        assert await bot.set_webhook(receiver.url, max_connections=500)
        assert emu.webhook_info()["max_connections"] == 100  # clamped as Telegram does
        assert emu.webhook_info()["url"] == receiver.url


@pytest.mark.asyncio
async def test_a_failed_delivery_is_retried_until_answered_2xx(
    emu: Emulator, bot: Bot, receiver: Receiver
) -> None:
    receiver.statuses = [500, 500, 502]
    await bot.set_webhook(receiver.url, max_connections=1)
    emu.send_text(ALICE, "one")
    await delivered(emu, 1)
    assert receiver.ids() == [1, 1, 1, 1]
    stats = emu.stats
    assert (stats.webhook_attempts, stats.webhook_failures, stats.webhook_delivered) == (4, 3, 1)
    info = await bot.get_webhook_info()
    assert info.last_error_message == "Wrong response from the webhook: 502 Bad Gateway"
    assert abs(info.last_error_date.timestamp() - time.time()) < 60
    assert info.pending_update_count == 0


@pytest.mark.asyncio
async def test_retry_after_from_the_webhook_is_honoured(
    emu: Emulator, bot: Bot, receiver: Receiver
) -> None:
    receiver.statuses = [(429, {"Retry-After": "1"})]
    await bot.set_webhook(receiver.url)
    emu.send_text(ALICE, "later")
    await delivered(emu, 1)
    first, second = receiver.hits
    assert second.at - first.at >= 0.9  # not the immediate first retry


@pytest.mark.asyncio
async def test_refused_connections_keep_updates_for_polling_after_delete(
    emu: Emulator, bot: Bot
) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    await bot.set_webhook(f"http://127.0.0.1:{port}/hook")
    emu.send_text(ALICE, "first")
    emu.send_text(BOB, "second")
    await emu.wait_until(lambda: emu.stats.webhook_failures >= 3)
    info = emu.webhook_info()
    assert info["last_error_message"] == "Connection refused"
    assert info["pending_update_count"] == 2 and emu.stats.webhook_delivered == 0

    assert await bot.delete_webhook()
    assert emu.webhook_info() == {
        "url": "",
        "has_custom_certificate": False,
        "pending_update_count": 2,
    }
    updates = await bot.get_updates(timeout=0)
    assert [(u.update_id, u.message.text) for u in updates] == [(1, "first"), (2, "second")]


@pytest.mark.asyncio
async def test_drop_pending_updates(receiver: Receiver) -> None:
    clock = FakeClock()
    async with Emulator(TOKEN, clock=clock) as emu, Bot(TOKEN, base_url=emu.base_url) as bot:
        emu.add_user(ALICE, "Alice")
        receiver.default_status = 500
        await bot.set_webhook(receiver.url)
        emu.send_text(ALICE, "dropped by setWebhook")
        await emu.wait_until(lambda: emu.stats.webhook_failures >= 1)
        clock.now += 1
        await bot.set_webhook(receiver.url, drop_pending_updates=True)
        assert emu.webhook_info()["pending_update_count"] == 0
        assert "last_error_date" not in emu.webhook_info()  # a new webhook starts afresh

        receiver.default_status = 200
        emu.send_text(ALICE, "kept")
        await delivered(emu, 1)
        assert receiver.hits[-1].update["message"]["text"] == "kept"

        receiver.default_status = 500
        emu.send_text(ALICE, "dropped by deleteWebhook")
        await emu.wait_until(lambda: emu.stats.webhook_failures >= 2)
        assert await bot.delete_webhook(drop_pending_updates=True)
        assert await bot.get_updates(timeout=0) == ()


@pytest.mark.asyncio
async def test_max_connections_bounds_the_requests_in_flight(
    emu: Emulator, bot: Bot, receiver: Receiver
) -> None:
    users = range(3000, 3030)
    for user_id in users:
        emu.add_user(user_id, f"U{user_id}")
    receiver.delay = 0.05
    await bot.set_webhook(receiver.url, max_connections=4)
    for user_id in users:
        emu.send_text(user_id, "hello")
    await delivered(emu, 30)
    assert receiver.peak == 4 and emu.stats.webhook_peak_connections == 4
    assert receiver.hits[1].alongside == []  # the first request went alone: no success yet
    assert sorted(receiver.ids()) == list(range(1, 31))  # each once: all answered 200
    assert emu.stats.webhook_attempts == 30


@pytest.mark.asyncio
async def test_one_chat_is_delivered_in_order_whatever_max_connections(
    emu: Emulator, bot: Bot, receiver: Receiver
) -> None:
    receiver.delay = 0.02
    await bot.set_webhook(receiver.url, max_connections=10)
    for i in range(8):
        emu.send_text(ALICE, f"a{i}")
        emu.send_text(BOB, f"b{i}")
    await delivered(emu, 16)
    alice, bob = receiver.ids(ALICE), receiver.ids(BOB)
    assert alice == sorted(alice) and bob == sorted(bob) and len(alice) == len(bob) == 8
    for hit in receiver.hits:
        same_chat = alice if hit.update["update_id"] in alice else bob
        assert not set(hit.alongside) & set(same_chat)  # never two of one chat at once
    assert any(hit.alongside for hit in receiver.hits)  # the two chats did overlap


@pytest.mark.asyncio
async def test_a_button_press_overlaps_the_same_persons_message(
    emu: Emulator, bot: Bot, receiver: Receiver
) -> None:
    await bot.set_webhook(receiver.url, max_connections=10)
    emu.send_text(ALICE, "warm-up")  # Telegram opens more connections only after a success
    await delivered(emu, 1)

    receiver.hold_messages = asyncio.Event()
    held = emu.send_text(ALICE, "held")
    emu.send_text(ALICE, "waits behind it")
    press = {"id": "q1", "from": {"id": ALICE, "is_bot": False, "first_name": "Alice"}}
    emu.inject_update({"callback_query": {**press, "chat_instance": "1", "data": "ok"}})
    await receiver.wait_hits(3)
    await asyncio.sleep(0.1)  # room for a wrong second message of the chat to arrive
    press_hit = receiver.hits[2]
    assert "callback_query" in press_hit.update and len(receiver.hits) == 3
    assert press_hit.alongside == [receiver.hits[1].update["update_id"]]
    assert receiver.hits[1].update["message"]["text"] == held["text"]

    receiver.hold_messages.set()
    await delivered(emu, 4)
    assert receiver.hits[-1].update["message"]["text"] == "waits behind it"


@pytest.mark.asyncio
async def test_set_webhook_ends_a_running_long_poll(
    emu: Emulator, bot: Bot, receiver: Receiver
) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.1)
    async with Bot(TOKEN, base_url=emu.base_url) as other:
        await other.set_webhook(receiver.url)
    with pytest.raises(Conflict, match="terminated by setWebhook request"):
        await poll


@pytest.mark.asyncio
async def test_webhook_control_endpoints(emu: Emulator, bot: Bot, receiver: Receiver) -> None:
    async with httpx.AsyncClient(base_url=emu.api_url) as client:
        timing = await client.post("/_emu/webhook_timing", json={"retry_min": 0.01})
        assert timing.json()["result"] == {"retry_min": 0.01, "retry_max": 1.0, "timeout": 10.0}
        assert emu.webhook_retry_min == 0.01

        await bot.set_webhook(receiver.url)
        emu.send_text(ALICE, "hi")
        await delivered(emu, 1)
        info = (await client.post("/_emu/webhook_info", json={})).json()["result"]
        assert info == {
            "url": receiver.url,
            "has_custom_certificate": False,
            "pending_update_count": 0,
            "max_connections": 40,
        }
        stats = (await client.get("/_emu/stats")).json()["result"]
        assert stats["webhook_attempts"] == 1 and stats["webhook_delivered"] == 1
