"""Groups and channels as broadcast audiences, end to end against the emulator.

Loa records where it is added and stays silent there; an officer links a group to an area in
scope (in the group, or from /groups in private) and can undo it; broadcasts reach the area's
groups at Telegram's group pace; a group that removed Loa is skipped; nothing personal ever
goes to a group; a group upgraded to a supergroup keeps its link, and gets a broadcast once
when the supergroup had its own delivery of it.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update
from sqlmodel import select
from telegram.ext import ExtBot

import models.chats as chats_module
from bot.app import build_application, serving
from bot.delivery import Dispatcher, _claim
from bot.emulator import Emulator
from bot.ratelimit import Limiter
from models.areas import by_code
from models.broadcasts import (
    Broadcast,
    BroadcastDraft,
    create_broadcast,
    problems,
    schedule,
    start_due,
)
from models.chats import Chat, migrate, record_membership, reserve
from models.outbox import Delivery, enqueue
from models.users import Role, User, actor_for, get_user, grant
from tests.conftest import ADMIN, TOKEN, Loa, loa_config
from tests.test_broadcasts import people
from tests.test_pledging import eventually, open_campaign

OFFICER, OUTSIDER, CITIZEN, STRANGER = 401, 411, 402, 499
SUPER, OTHER, CHANNEL, BASIC = -1004002, -1004005, -1004003, -4001
TAN_THANH, BINH_AN = "28042", "28054"


def chat_row(loa, chat_id: int) -> Chat | None:
    return loa.db.call(lambda s: s.get(Chat, chat_id))


async def officers(loa) -> None:
    loa.db.call(grant, OFFICER, Role.OFFICER, TAN_THANH)
    await loa.onboard(OFFICER, name="Tím", lang="en")
    loa.db.call(grant, OUTSIDER, Role.OFFICER, BINH_AN)
    await loa.onboard(OUTSIDER, name="Sơn", lang="en")


async def added(loa, chat_id: int, title: str, type: str = "supergroup") -> None:
    """Someone adds Loa to a new group (makes it admin of a channel); Loa records it."""
    loa.emu.add_group(chat_id, title, type=type, bot_status="left")
    loa.emu.add_bot(chat_id, by=OFFICER)
    await eventually(lambda: chat_row(loa, chat_id) is not None)


def linked(db, chat_id: int, title: str, area: str, language: str = "vi",
           type: str = "supergroup") -> None:
    """A group Loa is in, linked to an area, straight in the database."""
    def make(s):
        chat = record_membership(s, chat_id, type, title, "administrator" if type == "channel"
                                 else "member", datetime.now(UTC))
        chat.area_id, chat.language = by_code(s, area).id, language
        s.add(chat)
    db.call(make)


def group_broadcast(db, area: str = TAN_THANH, text: str = "Họp thôn", roles=(),
                    media: list[dict[str, str]] | None = None) -> int:
    """An admin's broadcast to the area's groups (and people of `roles`), starting now."""
    def make(s):
        admin = actor_for(s, get_user(s, ADMIN), frozenset({ADMIN}))
        b = create_broadcast(s, admin, BroadcastDraft(by_code(s, area).id, list(roles), text,
                                                      media=media, chats=True))
        schedule(s, admin, b.id, datetime.now(UTC) - timedelta(seconds=1))
        return b.id
    if db.call(get_user, ADMIN) is None:
        db.call(lambda s: s.add(User(id=ADMIN, name="Admin")))
    return db.call(make)


def sent_to(emu, chat_id: int) -> list[str]:
    return [m.plain for m in emu.outbox if m.chat_id == chat_id and not m.is_edit]


async def test_added_recorded_silent_and_linked_in_the_group(loa: Loa) -> None:
    await officers(loa)
    await added(loa, SUPER, "Thôn 3 Tân Thành")
    chat = chat_row(loa, SUPER)
    assert (chat.type, chat.title, chat.status, chat.area_id) == (
        "supergroup", "Thôn 3 Tân Thành", "member", None)
    loa.emu.send_text(OFFICER, "chào cả làng", chat_id=SUPER)
    loa.emu.rename_group(SUPER, "Thôn Ba", by=OFFICER)
    await eventually(lambda: chat_row(loa, SUPER).title == "Thôn Ba")

    loa.emu.send_text(OFFICER, "/linkgroup@loa_test_bot", chat_id=SUPER)
    intro = await loa.next(OFFICER)  # in the officer's private chat, never the group
    assert intro.plain == "Linking “Thôn Ba” to an area."
    picker = await loa.next(OFFICER)
    assert "Now at: Tân Thành, Thủ Thừa, Long An" in picker.plain
    done = await loa.tap(OFFICER, "✅ All of Tân Thành (xã)")
    assert done.plain.startswith("“Thôn Ba” is linked to Tân Thành, Thủ Thừa, Long An")
    assert done.buttons()[:2] == [["✅ Tiếng Việt"], ["English"]]
    chosen = await loa.tap(OFFICER, "English")
    assert chosen.plain.startswith("Broadcasts reach “Thôn Ba” in English.")
    chat = chat_row(loa, SUPER)
    tan_thanh = loa.db.call(by_code, TAN_THANH).id
    assert (chat.area_id, chat.language, chat.linked_by) == (tan_thanh, "en", OFFICER)
    assert sent_to(loa.emu, SUPER) == []  # Loa said nothing in the group

    loa.emu.send_text(OUTSIDER, "/linkgroup", chat_id=SUPER)
    refused = await loa.next(OUTSIDER)
    assert refused.plain.startswith("That group or channel is linked to an area outside yours")
    assert chat_row(loa, SUPER).area_id == tan_thanh

    await loa.onboard(CITIZEN, name="Lan", lang="vi")
    loa.emu.send_text(CITIZEN, "/linkgroup", chat_id=SUPER)
    only = await loa.next(SUPER)
    assert only.plain == "Chỉ cán bộ mới liên kết được nhóm và kênh với một địa bàn."
    loa.emu.add_user(STRANGER, "Khách", language_code="en")
    loa.emu.send_text(STRANGER, "/linkgroup", chat_id=SUPER)
    pointer = await loa.next(SUPER)
    assert pointer.plain.startswith("To link this group, an officer first opens Loa")
    assert sent_to(loa.emu, STRANGER) == []


async def test_groups_list_link_from_private_refusal_and_unlink(loa: Loa) -> None:
    await officers(loa)
    await added(loa, SUPER, "Thôn 3")
    await added(loa, CHANNEL, "Kênh xã Tân Thành", type="channel")
    linked(loa.db, OTHER, "Ấp Vàm Kinh", BINH_AN)  # another officer's: not listed here
    listing = await loa.send(OFFICER, "/groups")
    assert "Thôn 3 (group): not linked" in listing.plain
    assert "Kênh xã Tân Thành (channel): not linked" in listing.plain
    assert "Ấp Vàm Kinh" not in listing.plain
    assert "Ấp Vàm Kinh" in (await loa.send(OUTSIDER, "/groups")).plain

    picker = await loa.tap(OFFICER, "🔗 Link Kênh xã Tân Thành")
    assert picker.plain.startswith("Linking “Kênh xã Tân Thành” to an area.")
    binh_an = loa.db.call(by_code, BINH_AN).id
    forged = await loa.emu.wait_callback_answer(loa.emu.press(OFFICER, f"ap:gl:p:{binh_an}:0"))
    assert forged.text == "That area is outside what you may choose."
    await loa.tap(OFFICER, "✅ All of Tân Thành (xã)")
    await loa.tap(OFFICER, "✅ Tiếng Việt")
    assert chat_row(loa, CHANNEL).area_id == loa.db.call(by_code, TAN_THANH).id

    loa.db.call(grant, 412, Role.OFFICER, BINH_AN)
    await loa.onboard(412, lang="en")
    loa.emu.press(412, f"gr:l:{CHANNEL}")  # a forged button: linked outside their area
    assert "outside yours" in (await loa.next(412)).plain

    listing = await loa.send(OFFICER, "/groups")
    assert "Kênh xã Tân Thành (channel): linked to Tân Thành, Thủ Thừa, Long An, in " \
           "Tiếng Việt" in listing.plain
    gone = await loa.tap(OFFICER, "✂ Unlink")
    assert gone.plain == "“Kênh xã Tân Thành” is no longer linked: broadcasts will not reach it."
    assert chat_row(loa, CHANNEL).area_id is None
    assert "Kênh xã Tân Thành (channel): not linked" in (
        await loa.tap(OFFICER, "⬅ Back to the list")).plain


async def test_broadcast_reaches_the_areas_groups_in_their_language(loa: Loa) -> None:
    campaign = open_campaign(loa)
    await officers(loa)
    await loa.onboard(CITIZEN, name="Lan", lang="vi")
    for chat_id, title, area, lang in ((SUPER, "Thôn 3", "28042-A1", "en"),  # in Tân Thành
                                       (OTHER, "Ấp Vàm Kinh", BINH_AN, "vi")):  # not reached
        loa.emu.add_group(chat_id, title)
        linked(loa.db, chat_id, title, area, language=lang)
    await loa.send(OFFICER, "/broadcast")
    await loa.send(OFFICER, "Họp dân lúc 19 giờ")
    roles = await loa.tap(OFFICER, "✅ All of Tân Thành (xã)")
    assert roles.buttons()[1] == ["☐ 👥 its 1 group or channel"]
    assert (await loa.tap(OFFICER, "☐ 👥 its 1 group or channel")).buttons()[1] == [
        "☑ 👥 its 1 group or channel"]
    await loa.tap(OFFICER, "Next ➡")
    await loa.tap(OFFICER, "All languages")
    await loa.tap(OFFICER, "🤝 Pledge button: Vì người nghèo")
    await loa.next(OFFICER)  # the preview
    decide = await loa.next(OFFICER)
    assert decide.plain == ("This will reach 2 people: citizen, groups and channels in Tân "
                            "Thành, Thủ Thừa, Long An.")
    await loa.tap(OFFICER, "📤 Send now")
    got = await loa.next(SUPER)
    assert got.text == "<b>📢 Ủy ban MTTQ xã Tân Thành</b>\n\nHọp dân lúc 19 giờ"
    assert got.buttons() == [["🤝 Pledge"]]  # the group's language: English
    link = f"https://t.me/loa_test_bot?start=pl{campaign.id}"  # to the private chat
    assert got.inline_keyboard == [[{"text": "🤝 Pledge", "url": link}]]
    lan = await loa.next(CITIZEN)
    assert lan.text == got.text and lan.buttons() == [["🤝 Đăng ký ủng hộ"]]
    assert lan.inline_keyboard[0][0]["callback_data"] == f"pl:new:{campaign.id}"
    opened = await loa.send(CITIZEN, "/start " + link.partition("?start=")[2])  # Lan follows it
    assert opened.plain == "Bạn đăng ký ủng hộ với tư cách nào?"
    await loa.emu.wait_for(lambda m: m.chat_id == OFFICER and "finished" in (m.plain or ""))
    assert sent_to(loa.emu, OTHER) == []


async def test_removed_group_is_marked_and_skipped(loa: Loa) -> None:
    await officers(loa)
    await added(loa, SUPER, "Thôn 3")
    linked(loa.db, SUPER, "Thôn 3", TAN_THANH)
    loa.emu.remove_bot(SUPER, by=OFFICER)  # Telegram tells Loa
    await eventually(lambda: chat_row(loa, SUPER).removed_at is not None)
    assert chat_row(loa, SUPER).status == "kicked"

    loa.emu.add_group(OTHER, "Ấp 2", bot_status="kicked")  # removed while Loa was not told
    linked(loa.db, OTHER, "Ấp 2", TAN_THANH)
    first = group_broadcast(loa.db)
    await eventually(lambda: dict(loa.db.call(lambda s: s.exec(
        select(Delivery.chat_id, Delivery.status).where(Delivery.broadcast_id == first))
        .all())) == {OTHER: "blocked"})
    assert chat_row(loa, OTHER).removed_at is not None
    admin = loa.db.call(lambda s: actor_for(s, get_user(s, ADMIN), frozenset({ADMIN})))
    assert loa.db.call(problems, admin, first) == [
        (OTHER, "Ấp 2", "blocked", "Forbidden: bot was kicked from the supergroup chat")]
    loa.emu.add_group(BASIC, "Thôn 5", type="group")
    linked(loa.db, BASIC, "Thôn 5", TAN_THANH, type="group")
    second = group_broadcast(loa.db)
    await eventually(lambda: loa.db.call(lambda s: s.get(Broadcast, second)).status == "done")
    assert loa.db.call(lambda s: s.get(Broadcast, second)).recipients == 1
    assert sent_to(loa.emu, BASIC) == ["Họp thôn"]


async def test_nothing_personal_goes_to_a_group(loa: Loa) -> None:
    with pytest.raises(ValueError, match="never go to a group"):
        loa.db.call(enqueue, SUPER, "⏰ Reminder: the report is due")
    assert loa.db.call(lambda s: s.exec(select(Delivery)).all()) == []


async def test_group_upgraded_to_a_supergroup_keeps_its_link(loa: Loa) -> None:
    await officers(loa)
    await added(loa, BASIC, "Thôn 5", type="group")
    linked(loa.db, BASIC, "Thôn 5", TAN_THANH, type="group")
    loa.emu.migrate_group(BASIC, SUPER, by=OFFICER)  # Loa sees the service messages
    await eventually(lambda: chat_row(loa, BASIC).migrated_to == SUPER)
    moved = chat_row(loa, SUPER)
    assert (moved.type, moved.area_id) == ("supergroup", chat_row(loa, BASIC).area_id)

    loa.emu.add_group(-4002, "Thôn 6", type="group")  # upgraded before Loa heard of it
    linked(loa.db, -4002, "Thôn 6", TAN_THANH, type="group")
    loa.emu.add_group(OTHER, "Thôn 6", type="supergroup")
    loa.emu._chats[-4002].migrated_to = OTHER
    broadcast = group_broadcast(loa.db)
    await eventually(lambda: loa.db.call(lambda s: s.get(Broadcast, broadcast)).status == "done")
    assert sent_to(loa.emu, OTHER) == sent_to(loa.emu, SUPER) == [
        "Họp thôn"]
    assert chat_row(loa, -4002).migrated_to == OTHER
    assert chat_row(loa, OTHER).area_id == loa.db.call(by_code, TAN_THANH).id


async def compose_to_groups(loa) -> None:
    """The officer's broadcast to Tân Thành's two linked groups, up to "Send now"."""
    await loa.send(OFFICER, "/broadcast")
    await loa.send(OFFICER, "Họp thôn")
    await loa.tap(OFFICER, "✅ All of Tân Thành (xã)")
    await loa.tap(OFFICER, "☐ 👥 its 2 groups and channels")
    await loa.tap(OFFICER, "Next ➡")
    await loa.tap(OFFICER, "All languages")
    await loa.tap(OFFICER, "No button")
    await loa.next(OFFICER)  # the preview
    await loa.next(OFFICER)  # whom it reaches, and the decision


async def officer_report(loa) -> tuple[str, str]:
    """The officer's final summary once the broadcast is done, and its line in /broadcasts."""
    final = await loa.emu.wait_for(
        lambda m: m.chat_id == OFFICER and "finished" in (m.plain or ""), timeout=10)
    listing = await loa.send(OFFICER, "/broadcasts")
    return final.plain.split("\n")[1], listing.plain.split("\n")[2].strip()


def deliveries(loa) -> dict[int, str]:
    return dict(loa.db.call(lambda s: s.exec(select(Delivery.chat_id, Delivery.status)).all()))


HOP_THON = "📢 Ủy ban MTTQ xã Tân Thành\n\nHọp thôn"
ONE_OF_ONE = "Sent 1 of 1 · failed 0 · blocked 0 · left 0"


async def test_an_upgraded_group_linked_under_both_ids_gets_a_broadcast_once(loa: Loa) -> None:
    """A group and the supergroup it became, both linked (Loa never heard of the upgrade):
    the old id's delivery, met by migrate_to_chat_id while the supergroup's own waits for its
    slot, is not moved onto it nor sent there but cancelled, and is no recipient in the
    officer's count."""
    await officers(loa)
    loa.emu.add_group(BASIC, "Thôn 5", type="group")
    linked(loa.db, BASIC, "Thôn 5", TAN_THANH, type="group")
    loa.emu.add_group(SUPER, "Thôn 5")
    linked(loa.db, SUPER, "Thôn 5", TAN_THANH)
    loa.emu._chats[BASIC].migrated_to = SUPER
    await compose_to_groups(loa)
    loa.db.call(reserve, SUPER, datetime.now(UTC), 2.0)  # the old id is tried first
    await loa.tap(OFFICER, "📤 Send now")
    assert await officer_report(loa) == (ONE_OF_ONE, ONE_OF_ONE)
    assert sent_to(loa.emu, SUPER) == [HOP_THON] and sent_to(loa.emu, BASIC) == []
    assert deliveries(loa) == {BASIC: "cancelled", SUPER: "sent"}
    assert chat_row(loa, BASIC).migrated_to == SUPER


async def test_an_upgrade_told_after_the_supergroup_has_its_delivery(loa: Loa) -> None:
    """The upgrade's service message arrives while a broadcast waits for both ids (each
    group's slot taken): the old id's delivery is cancelled, the supergroup gets it once."""
    await officers(loa)
    loa.emu.add_group(BASIC, "Thôn 5", type="group")
    linked(loa.db, BASIC, "Thôn 5", TAN_THANH, type="group")
    linked(loa.db, SUPER, "Thôn 5", TAN_THANH)  # Loa added there; Telegram not yet upgraded
    await compose_to_groups(loa)
    now = datetime.now(UTC)
    for chat_id in (BASIC, SUPER):  # a message just went to each: the next in 3 s
        loa.db.call(reserve, chat_id, now, 3.0)
    await loa.tap(OFFICER, "📤 Send now")
    await eventually(lambda: deliveries(loa) == {BASIC: "pending", SUPER: "pending"})
    loa.emu.migrate_group(BASIC, SUPER, by=OFFICER)
    await eventually(lambda: deliveries(loa)[BASIC] == "cancelled")
    assert await officer_report(loa) == (ONE_OF_ONE, ONE_OF_ONE)
    assert sent_to(loa.emu, SUPER) == [HOP_THON] and sent_to(loa.emu, BASIC) == []
    assert chat_row(loa, BASIC).migrated_to == SUPER


def test_a_migration_told_twice_cancels_a_double_once(areas_db) -> None:
    """The supergroup's delivery already sent: the old id's is cancelled, not moved; the
    upgrade told again (migrate_to, then migrate_from) changes nothing more."""
    linked(areas_db, BASIC, "Thôn 5", TAN_THANH, type="group")
    linked(areas_db, SUPER, "Thôn 5", TAN_THANH)
    broadcast = group_broadcast(areas_db)
    areas_db.call(start_due, datetime.now(UTC))
    areas_db.call(lambda s: s.execute(update(Delivery).where(Delivery.chat_id == SUPER)
                                      .values(status="sent")))
    for _ in range(2):
        areas_db.call(migrate, BASIC, SUPER)
    assert dict(areas_db.call(lambda s: s.exec(select(Delivery.chat_id, Delivery.status))
                              .all())) == {BASIC: "cancelled", SUPER: "sent"}
    assert areas_db.call(lambda s: s.get(Broadcast, broadcast)).recipients == 1


def two_at_once(db, monkeypatch, first, second) -> list[Exception]:
    """`first` runs and holds its transaction open just after a migration's look for doubles;
    `second` runs meanwhile, on another connection (another worker). What either raised."""
    holding, real = threading.Event(), chats_module._cancel_doubles

    def paused(session, old_id, new_id):
        real(session, old_id, new_id)
        if threading.current_thread().name == "first":
            holding.set()
            time.sleep(0.5)

    monkeypatch.setattr(chats_module, "_cancel_doubles", paused)
    failures = []

    def run(fn):
        try:
            db.call(fn)
        except Exception as exc:  # what the worker would log
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(first,), name="first")]
    threads[0].start()
    holding.wait(timeout=2)  # on SQLite the second waits for the first's lock anyway
    threads.append(threading.Thread(target=run, args=(second,), name="second"))
    threads[1].start()
    for thread in threads:
        thread.join(10)
    return failures


def told(db) -> Counter:
    return Counter(db.call(lambda s: s.exec(select(Delivery.chat_id)).all()))


def test_a_migration_told_by_two_workers_at_once_makes_one_supergroup(areas_db,
                                                                      monkeypatch) -> None:
    """The upgrade's service message on one worker, the delivery's migrate_to_chat_id on
    another: the second waits for the first (the old chat's row locked), then finds the
    supergroup's row made; without the lock both insert it and one fails."""
    linked(areas_db, BASIC, "Thôn 5", TAN_THANH, type="group")
    group_broadcast(areas_db)
    areas_db.call(start_due, datetime.now(UTC))
    both = two_at_once(areas_db, monkeypatch, lambda s: migrate(s, BASIC, SUPER),
                       lambda s: migrate(s, BASIC, SUPER))
    assert both == []
    assert areas_db.call(lambda s: s.get(Chat, BASIC)).migrated_to == SUPER
    assert told(areas_db) == {SUPER: 1}


def test_a_broadcast_starting_during_a_migration_is_not_moved_onto_its_double(
        areas_db, monkeypatch) -> None:
    """The supergroup linked too, and a broadcast starting while the upgrade is handled: it
    may give both ids a delivery; the old id's is not moved onto the new one's (it is
    cancelled when it meets migrate_to_chat_id), so nothing fails and the group gets one."""
    linked(areas_db, BASIC, "Thôn 5", TAN_THANH, type="group")
    linked(areas_db, SUPER, "Thôn 5", TAN_THANH)
    group_broadcast(areas_db)
    both = two_at_once(areas_db, monkeypatch, lambda s: migrate(s, BASIC, SUPER),
                       lambda s: start_due(s, datetime.now(UTC)))
    assert both == []
    assert told(areas_db)[SUPER] == 1


async def test_group_pace_under_the_enforced_limit(areas_db, db_url) -> None:
    """3 groups x 30 broadcasts, Telegram's 20 a minute per group enforced (the minute run
    20 times faster, Loa's pace with it): every message arrives, none refused."""
    async with Emulator(token=TOKEN, bot_username="loa_test_bot",
                        group_rate_per_minute=20) as emu:
        emu.set_limits(group_window=3.0)
        config = loa_config(emu.api_url, db_url, LOA_GROUP_RATE="380")  # 19 a minute, x20
        groups = 3
        ids = [SUPER - i for i in range(groups)]
        for i, chat_id in enumerate(ids):
            emu.add_group(chat_id, f"Thôn {i}")
            linked(areas_db, chat_id, f"Thôn {i}", TAN_THANH)
        people(areas_db, emu, 5000, 5, area="28042-A1")
        started = time.monotonic()
        async with serving(build_application(config, areas_db)):
            for n in range(30):
                group_broadcast(areas_db, text=f"Tin {n}", roles=("citizen",))
            await emu.wait_until(lambda: sum(Counter(
                m.chat_id for m in emu.outbox if m.chat_id < 0).values()) == 30 * groups,
                timeout=60)
        assert emu.stats.too_many_requests == 0 and emu.stats.early_sends == 0
        assert time.monotonic() - started > 29 * 60 / 380
        for chat_id in ids:
            texts = [m.plain for m in emu.outbox if m.chat_id == chat_id]
            assert sorted(texts) == sorted(f"Tin {n}" for n in range(30))
        assert sum(1 for m in emu.outbox if m.chat_id >= 5000) == 150


def test_a_group_slot_is_taken_once_whoever_asks(areas_db) -> None:
    """Workers share the pace through the database: a slot goes to one of them; an album of
    three takes three slots."""
    linked(areas_db, SUPER, "Thôn 3", TAN_THANH)
    now = datetime.now(UTC)
    assert areas_db.call(reserve, SUPER, now, 3.0, 3) is None
    later = areas_db.call(reserve, SUPER, now + timedelta(seconds=1), 3.0)
    assert later == now + timedelta(seconds=9)
    assert areas_db.call(reserve, SUPER, later, 3.0) is None
    assert areas_db.call(reserve, -999, now, 3.0) is None  # a chat Loa does not know


def test_an_album_to_a_group_takes_a_slot_for_each_of_its_messages(areas_db) -> None:
    """The engine's claim paces a group by messages, not deliveries: an album of three
    photos (and its buttons' message, none here) holds the group for three slots."""
    linked(areas_db, SUPER, "Thôn 3", TAN_THANH)
    photos = [{"kind": "photo", "file_id": f"P{n}"} for n in range(3)]
    album, text = group_broadcast(areas_db, media=photos), group_broadcast(areas_db)
    now = datetime.now(UTC)
    areas_db.call(start_due, now)
    jobs = areas_db.call(lambda s: _claim(s, now, 10, None, 3.0))
    assert [job.delivery.broadcast_id for job in jobs] == [album]
    waiting = areas_db.call(lambda s: s.exec(select(Delivery).where(
        Delivery.broadcast_id == text)).one())
    assert waiting.not_before == now + timedelta(seconds=9)


async def test_two_workers_share_a_groups_pace(areas_db, db_url) -> None:
    """Two dispatchers (two worker processes' engines, each with its own rate limiter) on one
    database: the group's slots are taken in the database, so together they keep the pace."""
    async with Emulator(token=TOKEN, group_rate_per_minute=20) as emu:
        emu.set_limits(group_window=3.0)
        config = loa_config(emu.api_url, db_url, LOA_GROUP_RATE="380")
        emu.add_group(SUPER, "Thôn 3")
        linked(areas_db, SUPER, "Thôn 3", TAN_THANH)
        for n in range(40):
            group_broadcast(areas_db, text=f"Tin {n}")
        workers = []
        for _ in range(2):
            bot = ExtBot(TOKEN, base_url=emu.base_url, rate_limiter=Limiter(
                200, group_interval=config.group_interval))
            await bot.initialize()
            workers.append((bot, Dispatcher(bot, areas_db, config, bot.rate_limiter, batch=2)))
        for _bot, dispatcher in workers:
            dispatcher.start()
        try:
            await emu.wait_until(lambda: len(sent_to(emu, SUPER)) == 40, timeout=30)
        finally:
            for bot, dispatcher in workers:
                await dispatcher.stop()
                await bot.shutdown()
        assert emu.stats.too_many_requests == 0  # each alone would send 20 in 3 s: 429s
        assert sorted(sent_to(emu, SUPER)) == sorted(f"Tin {n}" for n in range(40))
