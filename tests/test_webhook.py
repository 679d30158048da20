"""Webhook mode and the inbox, end to end: the real Application behind Loa's own HTTP server,
Telegram played by the emulator, which pushes updates as Telegram does."""

from __future__ import annotations

import asyncio
import json
import random
import socket
import time
from datetime import timedelta
from itertools import pairwise

import pytest
from aiohttp import ClientSession
from sqlmodel import select
from telegram.ext import MessageHandler, filters

from bot.app import build_application, serving
from bot.cli import main as loa_main
from bot.emulator import Emulator
from models import inbox
from models.base import utcnow
from models.dialogs import get_dialog, save_dialog
from models.inbox import InboxStatus, InboxUpdate
from tests.conftest import TOKEN, Loa, loa_config

SECRET = "s3cret-Loa_test"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def webhook_config(emu: Emulator, db_url: str, port: int, **env: str):
    return loa_config(emu.api_url, db_url, LOA_WEBHOOK_URL=f"http://127.0.0.1:{port}/telegram/",
                      LOA_WEBHOOK_LISTEN=f"127.0.0.1:{port}", LOA_WEBHOOK_SECRET=SECRET, **env)


def rows(db) -> list[InboxUpdate]:
    return db.call(lambda s: list(s.exec(select(InboxUpdate).order_by(InboxUpdate.id))))


async def test_the_webhook_checks_the_secret_on_every_request(areas_db, db_url):
    port = free_port()
    async with Emulator(token=TOKEN, bot_username="loa_test_bot") as emu:
        config = webhook_config(emu, db_url, port)
        update = {"update_id": 777, "message": {
            "message_id": 1, "date": int(time.time()), "text": "/help",
            "chat": {"id": 601, "type": "private", "first_name": "Lan"},
            "from": {"id": 601, "is_bot": False, "first_name": "Lan", "language_code": "en"}}}
        emu.add_user(601, "Lan", language_code="en")
        async with serving(build_application(config, areas_db), webhook=True), \
                ClientSession() as http:
            url = f"http://127.0.0.1:{port}/telegram/"
            for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"},
                            {"X-Telegram-Bot-Api-Secret-Token": SECRET + "x"}):
                async with http.post(url, json=update, headers=headers) as answer:
                    assert answer.status == 401
            assert rows(areas_db) == []                       # nothing stored, nothing sent
            assert not [m for m in emu.outbox if m.chat_id == 601]
            good = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
            async with http.post(url, data="not json", headers=good) as answer:
                assert answer.status == 400
            async with http.post(url, json=update, headers=good) as answer:
                assert answer.status == 200
            reply = await emu.next_message(601)
            assert reply.plain.startswith("Please send /start first")  # in English
            async with http.post(url, json=update, headers=good) as answer:  # sent again
                assert answer.status == 200
            await asyncio.sleep(0.5)
            assert len([m for m in emu.outbox if m.chat_id == 601]) == 1  # handled once
            assert [(r.id, r.status) for r in rows(areas_db)] == [(777, InboxStatus.DONE)]


async def test_telegram_pushes_and_loa_answers_then_polling_deletes_the_webhook(
        areas_db, db_url):
    port = free_port()
    async with Emulator(token=TOKEN, bot_username="loa_test_bot") as emu:
        config = webhook_config(emu, db_url, port, LOA_WEBHOOK_MAX_CONNECTIONS="10")
        async with serving(build_application(config, areas_db), webhook=True) as app:
            info = emu.webhook_info()
            assert info["url"] == f"http://127.0.0.1:{port}/telegram/"
            assert info["max_connections"] == 10
            assert sorted(info["allowed_updates"]) == [
                "callback_query", "channel_post", "message", "my_chat_member"]
            loa = Loa(emu, areas_db, config, app.bot_data["services"])
            await loa.onboard(602, name="Lan", lang="en")
            assert emu.stats.webhook_delivered >= 6 and emu.webhook_info()[
                "pending_update_count"] == 0
            for _ in range(100):  # the last reply is out; its update is marked done next
                if await app.bot_data["inbox"].idle():
                    break
                await asyncio.sleep(0.05)
            async with ClientSession() as http:
                async with http.get(f"http://127.0.0.1:{port}/healthz") as answer:
                    health = await answer.json()
                    assert answer.status == 200 and health["status"] == "ok"
                    assert health["inbox_waiting"] == 0 and health["database"] == "ok"
                    assert health["last_update_handled_seconds_ago"] < 60
                async with http.get(f"http://127.0.0.1:{port}/metrics") as answer:
                    text = await answer.text()
                    assert answer.status == 200
                    assert 'loa_updates_total{outcome="handled"}' in text
                    assert "loa_inbox_backlog 0.0" in text
        async with serving(build_application(loa_config(emu.api_url, db_url), areas_db)):
            assert emu.webhook_info()["url"] == ""            # polling again
            emu.send_text(602, "/help")
            assert (await emu.next_message(602)).plain.startswith("Loa:")


async def test_health_turns_unhealthy_when_updates_wait_and_metrics_follow_the_load(
        areas_db, db_url):
    port = free_port()
    async with Emulator(token=TOKEN, bot_username="loa_test_bot") as emu:
        config = loa_config(emu.api_url, db_url, LOA_WEB_LISTEN=f"127.0.0.1:{port}")
        async with serving(build_application(config, areas_db)) as app, \
                ClientSession() as http:
            async def scrape() -> tuple[int, dict, str]:
                async with http.get(f"http://127.0.0.1:{port}/healthz") as health, \
                        http.get(f"http://127.0.0.1:{port}/metrics") as metrics:
                    return health.status, await health.json(), await metrics.text()

            def handled(text: str) -> float:
                line = next(x for x in text.splitlines()
                            if x.startswith('loa_updates_total{outcome="handled"}'))
                return float(line.split()[-1])

            _, _, before = await scrape()
            for person in range(610, 640):
                emu.add_user(person, "P", language_code="en")
                emu.send_text(person, "/help")
            await emu.wait_until(lambda: len({m.chat_id for m in emu.outbox
                                              if 610 <= m.chat_id < 640}) == 30, timeout=20)
            status, health, after = await scrape()
            assert status == 200 and handled(after) - handled(before) >= 30
            # an update nobody handles for long: a stuck deployment says so
            await app.bot_data["inbox"].stop()
            old = json.dumps({"update_id": 99999, "message": {"message_id": 1, "date": 0,
                              "chat": {"id": 641, "type": "private"}, "text": "hi",
                              "from": {"id": 641, "is_bot": False, "first_name": "P"}}})
            areas_db.call(lambda s: s.add(InboxUpdate(
                id=99999, person=641, payload=old,
                received_at=utcnow() - timedelta(minutes=5))))
            status, health, text = await scrape()
            assert status == 503 and health["status"] == "unhealthy"
            assert health["inbox_waiting"] == 1 and health["inbox_oldest_waiting_seconds"] > 60
            assert "loa_inbox_backlog 1.0" in text
            app.bot_data["inbox"].start()  # serving stops it again


async def test_a_poison_update_is_set_aside_and_the_person_goes_on(areas_db, db_url, capsys,
                                                                   monkeypatch):
    async with Emulator(token=TOKEN, bot_username="loa_test_bot") as emu:
        config = loa_config(emu.api_url, db_url)
        app = build_application(config, areas_db)
        tries = []

        async def explode(update, context):
            tries.append(update.update_id)
            raise KeyError("a bug in a handler")

        app.add_handler(MessageHandler(filters.Regex("^boom$"), explode), group=-5)
        emu.add_user(620, "Lan", language_code="en")
        async with serving(app):
            emu.send_text(620, "boom")
            emu.send_text(620, "/help")
            sorry = await emu.next_message(620, timeout=15)      # after the last try, once
            assert sorry.plain == "Sorry, something went wrong on Loa's side. Please try again."
            assert (await emu.next_message(620)).plain.startswith("Loa:")  # the person goes on
            assert len(tries) == inbox.MAX_TRIES
            aside = areas_db.call(inbox.set_aside)
            assert [r.error for r in aside] == ["KeyError: 'a bug in a handler'"]
            monkeypatch.setenv("LOA_DATABASE_URL", db_url)
            assert loa_main(["inbox", "failed"]) == 0
            listed = capsys.readouterr().out
            assert f"{aside[0].id}\tperson 620" in listed and "message: 'boom'" in listed
            app.handlers[-5].clear()                                # the bug is fixed
            assert loa_main(["inbox", "retry", str(aside[0].id)]) == 0
            await emu.next_message(620, timeout=5)                 # handled for real now
            assert loa_main(["inbox", "retry", str(aside[0].id)]) == 1  # not set aside now
        assert [r.status for r in rows(areas_db)] == [InboxStatus.DONE] * 2


@pytest.mark.postgres
async def test_two_workers_keep_each_persons_order(areas_db, db_url):
    """Two Loa workers on one port and one PostgreSQL database, Telegram pushing over 20
    connections: every person's messages are handled one after the other, in order, though
    the people go in parallel across both workers."""
    if not db_url.startswith("postgresql"):
        pytest.skip("several workers need PostgreSQL")
    port = free_port()
    seen: list[tuple[int, str, float, float, int]] = []

    def recorder(worker: int):
        async def record(update, context):
            start = time.monotonic()
            await asyncio.sleep(random.uniform(0.01, 0.05))
            seen.append((update.effective_user.id, update.message.text, start,
                         time.monotonic(), worker))
        return record

    async with Emulator(token=TOKEN, bot_username="loa_test_bot") as emu:
        config = webhook_config(emu, db_url, port, LOA_WEBHOOK_MAX_CONNECTIONS="20")
        apps = [build_application(config, areas_db) for _ in range(2)]
        for worker, app in enumerate(apps):
            app.bot_data["inbox"].slots = 6  # neither can take all 20 people at once
            app.add_handler(MessageHandler(filters.Regex(r"^n\d+$"), recorder(worker)),
                            group=-5)
        people = range(630, 650)
        for person in people:
            emu.add_user(person, "P", language_code="en")
        async with serving(apps[0], webhook=True), serving(apps[1], webhook=True):
            for n in range(15):
                for person in people:
                    emu.send_text(person, f"n{n}")
            await emu.wait_until(lambda: len(seen) == 300, timeout=60)
    for person in people:
        mine = sorted((s for s in seen if s[0] == person), key=lambda s: s[2])
        assert [s[1] for s in mine] == [f"n{n}" for n in range(15)]
        assert all(a[3] <= b[2] for a, b in pairwise(mine))  # no overlap
    assert {s[4] for s in seen} == {0, 1}                       # both workers took a share
    overlapping = sum(a[2] < b[3] and b[2] < a[3] for a in seen for b in seen if a[0] < b[0])
    assert overlapping > 0                                       # people went in parallel


async def test_a_press_answered_too_late_is_still_handled(loa):
    """After a restart Telegram may refuse to answer a press (the query is too old): the press
    itself still counts."""
    loa.user(650, "Lan", "vi")
    await loa.send(650, "/start")
    loa.emu.press_button(650, "Tiếng Việt")
    loa.emu._open_queries.clear()  # the query expires before Loa answers it
    consent = await loa.next(650)
    assert "Loa lưu gì" in consent.plain
    assert loa.db.call(inbox.set_aside) == []


def crashed(loa, user: int, text: str, update_id: int = 5_000_000) -> None:
    """An update whose handler's writes committed before kill -9, its answer never sent."""
    payload = json.dumps({"update_id": update_id, "message": {
        "message_id": 1, "date": 0, "text": text, "chat": {"id": user, "type": "private"},
        "from": {"id": user, "is_bot": False, "first_name": "Lan", "language_code": "en"}}})
    loa.db.call(lambda s: s.add(InboxUpdate(id=update_id, person=user, payload=payload,
                                            stamp="a-crashed-handling")))


async def test_after_a_crash_the_person_sees_the_question_they_are_at(loa):
    """Found unfinished with its stamp, an update is not run again (its effect stands); the
    person gets one message: Loa was interrupted, and the question of the step they are at
    now, with its buttons, as if the answer had gone out."""
    await loa.onboard(651, lang="en")
    loa.db.call(save_dialog, 651, "pledge", "public", campaign_id=1, pledger_kind="individual",
                kind="money", amount=1_200_000)  # what "1tr2" at the amount step committed
    crashed(loa, 651, "1tr2")
    notice = await loa.next(651)
    assert notice.plain == ("⚠ Loa was interrupted while answering you. What you did was "
                            "saved.\n\nMay your name appear on the campaign's public honour "
                            "roll?")
    assert [b for row in notice.buttons() for b in row] == [
        "Yes, show my name", "No, stay anonymous", "⬅ Back", "✖ Cancel"]
    await loa.quiet(651)  # "1tr2" was not read again at the step it is at now
    await loa.emu.wait_until(lambda: loa.db.call(
        lambda s: s.get(InboxUpdate, 5_000_000).status) == InboxStatus.DONE, timeout=5)
    assert loa.db.call(get_dialog, 651).data["amount"] == 1_200_000


async def test_after_a_crash_on_a_press_the_person_sees_the_question_they_are_at(loa):
    """A press whose writes committed (the language chosen): the consent question comes as a
    new message under the notice; the press's spinner is answered (or ignored when too old)."""
    loa.user(654, "Lan", "en")
    await loa.send(654, "/start")
    loa.emu.press_button(654, "English")
    await loa.next(654)  # the consent question, as the handling before the crash showed it
    payload = json.dumps({"update_id": 5_000_001, "callback_query": {
        "id": "gone", "chat_instance": "1", "data": "lang:en",
        "from": {"id": 654, "is_bot": False, "first_name": "Lan", "language_code": "en"},
        "message": {"message_id": 1, "date": 0, "text": "…",
                    "chat": {"id": 654, "type": "private"}}}})
    loa.db.call(lambda s: s.add(InboxUpdate(id=5_000_001, person=654, payload=payload,
                                            stamp="a-crashed-handling")))
    notice = await loa.next(654)
    assert not notice.is_edit
    assert notice.plain.startswith("⚠ Loa was interrupted while answering you. What you did "
                                   "was saved.\n\nWhat Loa stores, and why")
    assert [b for row in notice.buttons() for b in row] == ["I agree", "No, thanks"]
    await loa.emu.wait_until(lambda: loa.db.call(
        lambda s: s.get(InboxUpdate, 5_000_001).status) == InboxStatus.DONE, timeout=5)


async def test_after_a_crash_outside_any_flow_the_person_gets_the_menu(loa):
    await loa.onboard(652, lang="en")
    crashed(loa, 652, "/help")
    notice = await loa.next(652)
    assert notice.plain.startswith("⚠ Loa was interrupted while answering you.")
    assert "Choose what to do next with the buttons below" in notice.plain
    assert notice.keyboard()  # the main menu
    await loa.quiet(652)  # /help was not answered a second time


async def test_after_a_crash_at_a_step_that_cannot_be_asked_again_back_and_cancel(loa):
    """A step no flow knows how to ask again: what they were doing, ⬅ and ✖."""
    await loa.onboard(653, lang="en")
    loa.db.call(save_dialog, 653, "mypledge", "amount", pledge_id=1, field="amount")
    crashed(loa, 653, "Change the amount")
    notice = await loa.next(653)
    assert "You were in the middle of the change to your pledge" in notice.plain
    assert [b for row in notice.buttons() for b in row] == ["⬅ Back", "✖ Cancel"]
    await loa.tap(653, "✖ Cancel")  # the buttons leave the message
    cancelled = await loa.next(653)
    assert cancelled.plain.startswith("Cancelled: the change to your pledge")
    assert loa.db.call(get_dialog, 653) is None
