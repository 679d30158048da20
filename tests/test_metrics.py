"""The Prometheus metrics, read from the registry /metrics is made of, around real flows over
real HTTP: a broadcast, a 429 on either way out, a blocked person, the public page, reminders.
Counters are per process and several tests run in one: each test reads how far they moved."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families
from sqlmodel import select

from bot import metrics
from bot.emulator import Emulator
from models.outbox import Delivery
from models.users import Role, grant
from tests.conftest import TOKEN, loa_config
from tests.test_broadcasts import people, received, run_dispatcher, start_broadcast, stop_dispatcher
from tests.test_deadlines import set_deadline, tick
from tests.test_pledging import eventually
from tests.test_web import config, seed
from web.server import PublicSite

SENT, RETRIED, BLOCKED = (("loa_sends_total", o) for o in ("sent", "retried", "blocked"))
TOO_MANY = ("loa_telegram_429_total",)


def counters() -> dict[tuple[str, ...], float]:
    """Every loa_ counter now: (name, label values...) → value."""
    return {(s.name, *s.labels.values()): s.value for family in REGISTRY.collect()
            if family.type == "counter" and family.name.startswith("loa_")
            for s in family.samples if s.name.endswith("_total")}


def moved(before: dict[tuple[str, ...], float], *names: str) -> dict[tuple[str, ...], float]:
    """The counters that moved since `before` (only those named, when names are given)."""
    return {key: value - before[key] for key, value in counters().items()
            if value != before[key] and (not names or key[0] in names)}


def delivered(db) -> Counter:
    return Counter(db.call(lambda s: list(s.exec(select(Delivery.status)))))


def pace() -> float:
    return REGISTRY.get_sample_value("loa_send_pace")


async def test_a_broadcast_counts_each_delivery_sent_retried_and_blocked(areas_db, db_url):
    async with Emulator(token=TOKEN) as emu:
        config_ = loa_config(emu.api_url, db_url)
        chats = people(areas_db, emu, 40_000, 12)
        emu.block(chats[0])
        emu.delete_user(chats[1])                               # the chat is gone: 403 too
        emu.force_bad_gateway(2, methods=["sendMessage"])       # tried again two seconds later
        start_broadcast(areas_db)
        before = counters()
        bot, dispatcher = await run_dispatcher(emu, areas_db, config_, rate=200)
        try:
            await eventually(lambda: delivered(areas_db) == {"sent": 10, "blocked": 2},
                             timeout=10)
        finally:
            await stop_dispatcher(bot, dispatcher)
    assert len(received(emu, chats)) == 10 and emu.stats.forbidden == 2
    assert moved(before) == {SENT: 10, RETRIED: 2, BLOCKED: 2}


async def test_a_429_on_the_way_out_is_counted_and_lowers_the_pace(areas_db, db_url):
    async with Emulator(token=TOKEN) as emu:
        config_ = loa_config(emu.api_url, db_url)
        chats = people(areas_db, emu, 41_000, 80)
        start_broadcast(areas_db)
        before = counters()
        bot, dispatcher = await run_dispatcher(emu, areas_db, config_, rate=40)
        try:
            assert pace() == 40                                  # the configured ceiling
            await emu.wait_until(lambda: len(received(emu, chats)) >= 20, timeout=10)
            emu.force_429(retry_after=1)
            await eventually(lambda: delivered(areas_db) == {"sent": 80}, timeout=20)
        finally:
            await stop_dispatcher(bot, dispatcher)
    refused = emu.stats.too_many_requests
    assert refused >= 1                       # the forced one, and any met by a send in flight
    assert moved(before) == {SENT: 80, RETRIED: refused, TOO_MANY: refused}
    assert len(received(emu, chats)) == 80
    assert pace() < 40                        # lowered; it grows back towards 40 over 30 s
    assert pace() == pytest.approx(bot.rate_limiter.rate, rel=0.01)


async def test_a_reply_that_meets_a_429_waits_and_both_tries_are_counted(loa):
    loa.user(430, lang="en")
    before = counters()
    loa.emu.force_429(retry_after=1)
    answer = await loa.send(430, "/help")
    assert answer.plain.endswith("Send /start to begin.")
    await eventually(lambda: moved(before, "loa_sends_total") == {SENT: 1, RETRIED: 1})
    assert moved(before, "loa_sends_total", "loa_telegram_429_total") == {
        SENT: 1, RETRIED: 1, TOO_MANY: 1}


async def test_web_hits_count_under_their_page_never_the_path(areas_db):
    prefix = areas_db.call(seed)
    before = counters()
    async with TestClient(TestServer(PublicSite(config(), areas_db, burst=1000).app())) as web:
        for path, status in (("/", 200), (f"/c/{prefix}", 200), (f"/c/{prefix}?lang=en", 200),
                             ("/c/NOSUCH", 404), (f"/api/campaigns/{prefix}", 200),
                             ("/static/loa.css", 200), (f"/c/{prefix}/photos/a1b2.jpg", 404),
                             ("/wp-login.php", 404), ("/c/x/y/z", 404)):
            assert (await web.get(path)).status == status, path
        assert (await web.head("/")).status == 200
    assert moved(before) == {("loa_web_hits_total", "index"): 2,
                             ("loa_web_hits_total", "campaign"): 3,
                             ("loa_web_hits_total", "api"): 1,
                             ("loa_web_hits_total", "static"): 1,
                             ("loa_web_hits_total", "photo"): 1,
                             ("loa_web_hits_total", "not_found"): 2}


async def test_reminders_are_counted_by_kind_and_once(loa):
    _deadline, due = await set_deadline(loa)
    loa.db.call(grant, 602, Role.VILLAGE_HEAD, "28042-A1")
    loa.db.call(grant, 603, Role.VILLAGE_HEAD, "28042-A2")
    await loa.onboard(602, name="Hùng", lang="vi")
    await loa.onboard(603, name="Ba", lang="en")
    before = counters()
    assert await tick(loa, due - timedelta(days=7)) == 2
    assert await tick(loa, due - timedelta(days=7)) == 0                 # never twice
    assert (await loa.next(602)).plain.startswith("⏰ Nhắc nhở")
    assert (await loa.next(603)).plain.startswith("⏰ Reminder")
    assert moved(before, "loa_reminders_sent_total") == {
        ("loa_reminders_sent_total", "deadline"): 2}
    assert await tick(loa, due + timedelta(minutes=1)) >= 1      # the officer's summary too
    assert moved(before, "loa_reminders_sent_total")[
        ("loa_reminders_sent_total", "summary")] == 1


def test_the_exposition_has_every_series_and_the_backlogs_of_the_scrape():
    body, content_type = metrics.render(outbox_backlog=7, inbox_backlog=3)
    assert content_type == "text/plain; version=0.0.4; charset=utf-8"
    samples = {(s.name, tuple(s.labels.values())): s.value
               for family in text_string_to_metric_families(body.decode())
               for s in family.samples}
    assert samples[("loa_outbox_backlog", ())] == 7 and samples[("loa_inbox_backlog", ())] == 3
    for outcome in ("handled", "failed", "set_aside", "dropped", "duplicate"):
        assert ("loa_updates_total", (outcome,)) in samples      # 0 before the first event
    assert ("loa_update_seconds_bucket", ("30.0",)) in samples
    assert not any(name.endswith("_created") for name, _ in samples)
