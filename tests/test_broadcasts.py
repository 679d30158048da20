"""Broadcasts end to end, and the delivery engine against the emulator's limits."""

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert
from sqlmodel import select
from telegram.ext import ExtBot

from bot.delivery import Dispatcher
from bot.emulator import Emulator
from bot.ratelimit import Limiter
from models.areas import by_code
from models.broadcasts import (
    Broadcast,
    BroadcastDraft,
    count_audience,
    create_broadcast,
    mark_unreachable,
    schedule,
    start_due,
)
from models.outbox import Delivery
from models.users import Role, User, actor_for, get_user, grant
from tests.conftest import ADMIN, TOKEN, loa_config
from tests.test_pledging import eventually, open_campaign


def people(db, emu, first_id, count, area="28042-A1", lang="vi"):
    """Onboarded citizens made straight in the database (and known to the emulator)."""
    now = datetime.now(UTC)

    def make(s):
        area_id = by_code(s, area).id
        s.execute(insert(User), [dict(id=first_id + i, name=f"Dân {i}", language=lang,
                                      role="citizen", area_id=area_id, consent_at=now,
                                      created_at=now) for i in range(count)])
    db.call(make)
    for i in range(count):
        emu.add_user(first_id + i, f"Dân {i}", language_code=lang)
    return list(range(first_id, first_id + count))


def start_broadcast(db, area="804", text="<b>Họp dân</b> lúc 8 giờ", roles=("citizen",)):
    def make(s):
        admin = actor_for(s, get_user(s, ADMIN), frozenset({ADMIN}))
        b = create_broadcast(s, admin, BroadcastDraft(by_code(s, area).id, list(roles), text))
        schedule(s, admin, b.id, datetime.now(UTC) - timedelta(seconds=1))
        return b.id
    if db.call(get_user, ADMIN) is None:
        db.call(lambda s: s.add(User(id=ADMIN, name="Admin")))
    return db.call(make)


def received(emu, chat_ids):
    counts = Counter(m.chat_id for m in emu.outbox if m.method == "sendMessage" and
                     not m.is_edit and m.chat_id in set(chat_ids))
    return counts


async def test_officer_broadcasts_with_a_preview_that_equals_what_people_get(loa):
    campaign = open_campaign(loa)
    loa.db.call(grant, 401, Role.OFFICER, "28042")                   # Tân Thành
    await loa.onboard(401, name="Tím", lang="en")
    lan = 402
    await loa.onboard(lan, name="Lan", lang="vi")                     # Ấp 1, Tân Thành
    await loa.onboard(403, name="Alex", lang="en")
    await loa.onboard(404, name="Ba", lang="vi", area="Ấp Vàm Kinh, Bình An, Thủ Thừa")
    ask = await loa.send(401, "/broadcast")
    assert "formatting is kept" in ask.plain
    loa.emu.inject_update({"message": {
        "message_id": 9001, "date": 0, "chat": {"id": 401, "type": "private"},
        "from": {"id": 401, "is_bot": False, "first_name": "Tím"},
        "text": "Họp dân <tối nay> lúc 19 giờ",
        "entities": [{"type": "bold", "offset": 0, "length": 7}]}})
    picker = await loa.next(401)
    assert "Now at: Tân Thành, Thủ Thừa, Long An" in picker.plain
    forged = await loa.emu.wait_callback_answer(
        loa.emu.press(401, f"ap:bc:p:{loa.db.call(by_code, '28054').id}:0"))
    assert forged.text == "That area is outside what you may choose."
    roles = await loa.tap(401, "✅ All of Tân Thành (xã)")
    assert roles.buttons()[0] == ["☑ citizen", "☐ village head", "☐ officer"]
    await loa.tap(401, "☐ officer")
    await loa.tap(401, "☑ officer")
    languages = await loa.tap(401, "Next ➡")
    assert languages.buttons() == [["All languages"], ["Tiếng Việt", "English"],
                                   ["⬅ Back", "✖ Cancel"]]
    buttons = await loa.tap(401, "All languages")
    assert buttons.buttons()[0] == ["🤝 Pledge button: Vì người nghèo"]
    intro = await loa.tap(401, "🤝 Pledge button: Vì người nghèo")
    assert intro.plain == "Preview, exactly as recipients will see it:"
    preview = await loa.next(401)
    decide = await loa.next(401)
    assert decide.plain == "This will reach 2 people: citizen in Tân Thành, Thủ Thừa, Long An."
    assert preview.text == ("<b>📢 Ủy ban MTTQ xã Tân Thành</b>\n\n"
                            "<b>Họp dân</b> &lt;tối nay&gt; lúc 19 giờ")
    assert preview.buttons() == [["🤝 Pledge"]]
    assert decide.buttons() == [["📤 Send now", "🕒 Schedule"], ["⬅ Back", "✖ Cancel"]]
    sent = await loa.tap(401, "📤 Send now")
    assert sent.message_id == decide.message_id and sent.buttons() == []  # no stray tap
    progress = await loa.next(401)
    assert progress.plain.startswith("📣 Broadcast #")
    got_en = await loa.next(403)
    assert (got_en.text, got_en.reply_markup) == (preview.text, preview.reply_markup)
    got_vi = await loa.next(lan)
    assert got_vi.text == preview.text and got_vi.buttons() == [["🤝 Đăng ký ủng hộ"]]
    assert got_vi.inline_keyboard[0][0]["callback_data"] == f"pl:new:{campaign.id}"
    await loa.quiet(404)                                             # Bình An: not reached
    final = await loa.emu.wait_for(lambda m: m.chat_id == 401 and "finished" in (m.plain or ""),
                                   timeout=10)
    assert "Sent 2 of 2 · failed 0 · blocked 0 · left 0" in final.plain
    listing = await loa.send(401, "/broadcasts")
    assert "done" in listing.plain and "Sent 2 of 2" in listing.plain
    assert "“Họp dân <tối nay> lúc 19 giờ”" in listing.plain
    assert (await loa.tap(lan, "🤝 Đăng ký ủng hộ")).plain == "Bạn đăng ký ủng hộ với tư cách nào?"


async def test_citizens_cannot_broadcast_and_officers_not_outside(loa):
    await loa.onboard(410, lang="en")
    assert (await loa.send(410, "/broadcast")).plain == "Only officers can send broadcasts."
    loa.db.call(grant, 411, Role.OFFICER, "28054")
    await loa.onboard(411, lang="en")
    other = start_broadcast(loa.db, area="28042")
    for data in (f"bc:x:{other}", f"bc:csv:{other}", f"bc:go:{other}"):
        for who in (410, 411):
            answer = await loa.emu.wait_callback_answer(loa.emu.press(who, data))
            assert answer.text == "That broadcast is outside your area or already sent."


async def run_dispatcher(emu, db, config, rate):
    bot = ExtBot(TOKEN, base_url=emu.base_url, base_file_url=emu.base_file_url,
                 rate_limiter=Limiter(rate))
    await bot.initialize()
    dispatcher = Dispatcher(bot, db, config, bot.rate_limiter)
    dispatcher.start()
    return bot, dispatcher


async def stop_dispatcher(bot, dispatcher):
    await dispatcher.stop()
    await bot.shutdown()


async def test_rate_and_a_429_storm_are_respected(areas_db, db_url):
    async with Emulator(token=TOKEN, rate_limit=40) as emu:
        config = loa_config(emu.api_url, db_url)
        chats = people(areas_db, emu, 20_000, 120)
        start_broadcast(areas_db)
        emu.force_429(retry_after=1, times=3)
        bot, dispatcher = await run_dispatcher(emu, areas_db, config, rate=36)
        try:
            await emu.wait_until(lambda: len(received(emu, chats)) == len(chats), timeout=20)
        finally:
            await stop_dispatcher(bot, dispatcher)
        assert set(received(emu, chats).values()) == {1}                 # nobody twice
        assert emu.stats.early_sends == 0 and emu.stats.too_many_requests == 3
        sent = [m.at for m in emu.outbox if m.chat_id in set(chats)]
        assert (len(sent) - 1) / (sent[-1] - sent[0]) <= 40


async def test_blocked_people_are_marked_and_left_out_later(areas_db, db_url):
    async with Emulator(token=TOKEN) as emu:
        config = loa_config(emu.api_url, db_url)
        chats = people(areas_db, emu, 21_000, 10)
        emu.block(chats[0])
        emu.delete_user(chats[1])
        bid = start_broadcast(areas_db)
        bot, dispatcher = await run_dispatcher(emu, areas_db, config, rate=200)
        try:
            await eventually(lambda: Counter(areas_db.call(lambda s: [d.status for d in s.exec(
                select(Delivery).where(Delivery.broadcast_id == bid))])) == {"sent": 8,
                                                                            "blocked": 2})
        finally:
            await stop_dispatcher(bot, dispatcher)
        assert emu.stats.forbidden == 2                                   # tried once, never again
        unreachable = areas_db.call(lambda s: sorted(u.id for u in s.exec(
            select(User).where(User.unreachable_at.is_not(None)))))
        assert unreachable == chats[:2]
        area_id = areas_db.call(by_code, "804").id
        assert areas_db.call(count_audience, BroadcastDraft(area_id, ["citizen"], "x")) == 8


def unreachable(db):
    return db.call(lambda s: sorted(s.exec(select(User.id).where(
        User.unreachable_at.is_not(None)))))


def finished(db, broadcast_id):
    return db.call(lambda s: s.get(Broadcast, broadcast_id)).status == "done"


async def test_a_block_and_an_unblock_told_by_telegram(loa):
    """Telegram tells Loa of a block (a private my_chat_member, "kicked") before any send
    meets a 403: the person is left out of broadcasts from then on; an unblock ("member")
    brings them back. Loa says nothing to them either time."""
    lan, ba = people(loa.db, loa.emu, 24_000, 2)
    loa.emu.block(lan)
    await eventually(lambda: unreachable(loa.db) == [lan])
    first = start_broadcast(loa.db)
    await eventually(lambda: finished(loa.db, first))
    assert loa.db.call(lambda s: s.get(Broadcast, first)).recipients == 1
    assert received(loa.emu, [lan, ba]) == {ba: 1}
    assert loa.emu.stats.forbidden == 0                               # never tried

    loa.emu.unblock(lan)
    await eventually(lambda: unreachable(loa.db) == [])
    await loa.quiet(lan)
    second = start_broadcast(loa.db, text="Họp lần hai")
    await eventually(lambda: finished(loa.db, second))
    assert received(loa.emu, [lan, ba]) == {lan: 1, ba: 2}
    assert [m.plain for m in loa.emu.outbox if m.chat_id == lan] == ["Họp lần hai"]


async def test_a_block_told_while_a_broadcast_waits_counts_as_blocked_not_tried(
        areas_db, db_url):
    async with Emulator(token=TOKEN) as emu:
        config = loa_config(emu.api_url, db_url)
        chats = people(areas_db, emu, 25_000, 3)
        bid = start_broadcast(areas_db)
        assert areas_db.call(start_due, datetime.now(UTC)) == [bid]  # the list: all three
        emu.block(chats[0])
        areas_db.call(mark_unreachable, [chats[0]], datetime.now(UTC))  # as the update does
        bot, dispatcher = await run_dispatcher(emu, areas_db, config, rate=200)
        try:
            await eventually(lambda: finished(areas_db, bid))
        finally:
            await stop_dispatcher(bot, dispatcher)
        assert Counter(areas_db.call(lambda s: [d.status for d in s.exec(
            select(Delivery).where(Delivery.broadcast_id == bid))])) == {"sent": 2,
                                                                        "blocked": 1}
        assert emu.stats.forbidden == 0                                 # never tried


async def test_a_restart_mid_broadcast_loses_nobody_and_repeats_nobody(areas_db, db_url):
    async with Emulator(token=TOKEN, rate_limit=100) as emu:
        config = loa_config(emu.api_url, db_url)
        chats = people(areas_db, emu, 22_000, 150)
        start_broadcast(areas_db)
        bot, dispatcher = await run_dispatcher(emu, areas_db, config, rate=90)
        await emu.wait_until(lambda: len(received(emu, chats)) >= 40, timeout=10)
        await stop_dispatcher(bot, dispatcher)                           # the process goes down
        halfway = len(received(emu, chats))
        assert halfway < len(chats)
        areas_db.call(lambda s: s.execute(insert(User), [dict(
            id=29_999, name="late", role="citizen", consent_at=datetime.now(UTC),
            created_at=datetime.now(UTC), area_id=by_code(s, "28042").id)]))
        emu.add_user(29_999, "late")
        bot, dispatcher = await run_dispatcher(emu, areas_db, config, rate=90)
        try:
            await emu.wait_until(lambda: len(received(emu, chats)) == len(chats), timeout=20)
        finally:
            await stop_dispatcher(bot, dispatcher)
        assert set(received(emu, chats).values()) == {1}
        assert not received(emu, [29_999])                    # joined after the list was fixed


@pytest.mark.postgres
async def test_two_dispatchers_on_postgresql_never_send_one_delivery_twice(areas_db, db_url):
    if not db_url.startswith("postgresql"):
        pytest.skip("the concurrent claim is PostgreSQL's FOR UPDATE SKIP LOCKED")
    async with Emulator(token=TOKEN) as emu:
        config = loa_config(emu.api_url, db_url)
        chats = people(areas_db, emu, 23_000, 400)
        start_broadcast(areas_db)
        first = await run_dispatcher(emu, areas_db, config, rate=300)
        second = await run_dispatcher(emu, areas_db, config, rate=300)
        try:
            await emu.wait_until(lambda: len(received(emu, chats)) == len(chats), timeout=30)
            await asyncio.sleep(0.5)
        finally:
            await stop_dispatcher(*first)
            await stop_dispatcher(*second)
        assert set(received(emu, chats).values()) == {1}
        assert areas_db.call(lambda s: s.exec(select(Broadcast)).one().recipients) == 400


async def test_schedule_cancel_and_the_list_of_those_not_reached(loa):
    loa.db.call(grant, 420, Role.OFFICER, "804")
    await loa.onboard(420, name="Tím", lang="vi")
    await loa.onboard(421, name="Lan", lang="vi")
    await loa.onboard(422, name='=HYPERLINK("http://x.example","Ba")', lang="vi")
    loa.emu.block(422, notify=False)                        # Loa not told: the 403 tells it

    async def compose(text):
        await loa.send(420, "/broadcast")
        await loa.send(420, text)
        await loa.tap(420, "✅ Chọn cả huyện Thủ Thừa")
        await loa.tap(420, "Tiếp ➡")
        await loa.tap(420, "Mọi ngôn ngữ")
        await loa.tap(420, "Không có nút")
        await loa.next(420)                                   # the preview itself
        return await loa.next(420)

    campaign = open_campaign(loa)
    decide = await compose("Lịch họp tuần sau")
    assert decide.plain == "Thông báo sẽ đến 2 người: người dân ở Thủ Thừa, Long An."
    assert (await loa.tap(420, "🕒 Hẹn giờ")).buttons() == []
    assert (await loa.next(420)).buttons() == [["⬅ Quay lại", "✖ Hủy"]]
    past = await loa.send(420, "01/01/2020 08:00")
    assert past.plain.startswith("Hãy nhập ngày giờ trong tương lai")
    when = (datetime.now(loa.config.timezone) + timedelta(days=2)).strftime("%d/%m/%Y 08:00")
    scheduled = await loa.send(420, when)
    assert scheduled.plain.startswith("🕒 Thông báo #") and "08:00" in scheduled.plain
    listing = await loa.send(420, "/broadcasts")
    assert "đã hẹn giờ" in listing.plain
    asked = await loa.tap(420, listing.buttons()[0][0])
    assert asked.plain.startswith("Hủy thông báo #") and "(“Lịch họp tuần sau”)" in asked.plain
    assert loa.db.call(lambda s: s.exec(select(Broadcast)).first().status) == "scheduled"
    cancelled = await loa.tap(420, asked.buttons()[0][0])
    assert cancelled.plain.startswith("Đã hủy thông báo #")
    await loa.quiet(421)

    await loa.send(420, "/broadcast")
    await loa.send(420, "Họp dân tối nay")
    await loa.tap(420, "✅ Chọn cả huyện Thủ Thừa")
    await loa.tap(420, "Tiếp ➡")
    await loa.tap(420, "Tiếng Việt")
    await loa.tap(420, f"🤝 Nút đăng ký ủng hộ: {campaign.name}")
    preview = await loa.next(420)                           # a Vietnamese officer's preview
    await loa.next(420)
    await loa.tap(420, "📤 Gửi ngay")
    got = await loa.next(421)                               # what a Vietnamese reader gets
    assert (got.text, got.reply_markup) == (preview.text, preview.reply_markup)
    assert got.plain == "📢 Ủy ban MTTQ huyện Thủ Thừa\n\nHọp dân tối nay"
    assert got.buttons() == [["🤝 Đăng ký ủng hộ"]]
    await loa.emu.wait_for(lambda m: m.chat_id == 420 and "đã gửi xong" in (m.plain or ""),
                           timeout=10)
    listing = await loa.send(420, "/broadcasts")
    assert "Đã gửi 1/2 · lỗi 0 · bị chặn 1 · đã rời 0" in listing.plain
    csv_button = next(b for row in listing.buttons() for b in row if "CSV" in b)
    loa.emu.press_button(420, csv_button)
    document = await loa.next(420)
    content = loa.emu.file_bytes(document.document).decode("utf-8-sig")
    assert content.splitlines()[0] == "telegram_id,name,status,error"
    # a name that is a formula stays text in Excel
    assert content.splitlines()[1].startswith(
        '422,"\'=HYPERLINK(""http://x.example"",""Ba"")",blocked,')
