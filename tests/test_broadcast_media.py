"""Voice, audio, video, video notes and albums in broadcasts and campaign letters, end to end:
what the officer sends is what every recipient gets, re-sent by file id, with its caption."""

import time

import pytest
from sqlalchemy import update
from sqlmodel import select

from bot.emulator import Emulator
from bot.i18n import Translator
from bot.messages import broadcast_requests
from bot.ratelimit import Limiter
from bot.wire import Wire
from models.base import utcnow
from models.broadcasts import Broadcast, start_due
from models.campaigns import Campaign
from models.outbox import Delivery
from models.users import Role, grant
from tests.conftest import TOKEN, loa_config
from tests.test_broadcasts import people, run_dispatcher, start_broadcast, stop_dispatcher
from tests.test_groups import linked
from tests.test_pledging import eventually, open_campaign

OFFICER, LAN, ALEX = 401, 402, 403
SENDER = "<b>📢 Ủy ban MTTQ xã Tân Thành</b>"
JPEG = b"\xff\xd8\xff\xe0 a photo"


async def ready(loa):
    """An officer of Tân Thành and two citizens there (one reads English), at /broadcast."""
    loa.db.call(grant, OFFICER, Role.OFFICER, "28042")
    await loa.onboard(OFFICER, name="Tím", lang="en")
    await loa.onboard(LAN, name="Lan", lang="vi")
    await loa.onboard(ALEX, name="Alex", lang="en")
    ask = await loa.send(OFFICER, "/broadcast")
    assert "a voice message" in ask.plain


async def until_preview(loa, button="No button"):
    """From the area picker to the preview: the messages of the preview, and the decision."""
    picker = await loa.next(OFFICER)
    assert "Which area" in picker.plain
    await loa.tap(OFFICER, "✅ All of Tân Thành (xã)")
    await loa.tap(OFFICER, "Next ➡")
    await loa.tap(OFFICER, "All languages")
    return await shown_preview(loa, await loa.tap(OFFICER, button))


async def shown_preview(loa, intro):
    assert intro.plain == "Preview, exactly as recipients will see it:"
    shown = []
    while not ((message := await loa.next(OFFICER)).plain or "").startswith("This will reach"):
        shown.append(message)
    return shown, message


async def send_now(loa, count):
    """Send now; what each citizen got (their next `count` messages)."""
    await loa.tap(OFFICER, "📤 Send now")
    assert (await loa.next(OFFICER)).plain.startswith("📣 Broadcast #")
    return {who: [await loa.next(who) for _ in range(count)] for who in (LAN, ALEX)}


def seen(messages):
    """What a reader sees of messages: how each was sent, its kind, file, text and buttons."""
    return [(m.method, m.kind, m.file_id, m.text or m.caption, m.buttons(), bool(m.media_group_id))
            for m in messages]


@pytest.mark.parametrize("kind", ["voice", "audio", "video"])
async def test_a_recording_goes_out_as_it_was_sent_with_its_caption(loa, kind):
    await ready(loa)
    send = {"voice": loa.emu.send_voice, "audio": loa.emu.send_audio,
            "video": loa.emu.send_video}[kind]
    sent = send(OFFICER, b"OggS Bahnar announcement", caption="Họp dân tối nay lúc 19 giờ")
    shown, decide = await until_preview(loa)
    assert decide.plain == "This will reach 2 people: citizen in Tân Thành, Thủ Thừa, Long An."
    method = {"voice": "sendVoice", "audio": "sendAudio", "video": "sendVideo"}[kind]
    assert seen(shown) == [(method, kind, sent[kind]["file_id"],
                            f"{SENDER}\n\nHọp dân tối nay lúc 19 giờ", [], False)]
    got = await send_now(loa, 1)
    assert seen(got[LAN]) == seen(got[ALEX]) == seen(shown)  # the preview is what they get
    if kind == "voice":
        assert got[LAN][0].content["voice"]["duration"] == 1
        await eventually(lambda: loa.db.call(lambda s: s.exec(select(Broadcast)).one().status)
                         == "done")
        loa.emu.send_text(OFFICER, "/broadcasts")
        listing = await loa.emu.wait_for(lambda m: m.chat_id == OFFICER and "Recent broadcasts"
                                         in (m.plain or ""), timeout=10)
        assert "🎤 “Họp dân tối nay lúc 19 giờ”" in listing.plain


async def test_a_video_note_comes_after_the_senders_line(loa):
    await ready(loa)
    note = loa.emu.send_video_note(OFFICER, b"\x00 round video")
    shown, _decide = await until_preview(loa)
    assert seen(shown) == [("sendMessage", "text", None, SENDER, [], False),
                           ("sendVideoNote", "video_note", note["video_note"]["file_id"], None,
                            [], False)]
    got = await send_now(loa, 2)
    assert seen(got[LAN]) == seen(shown)
    parts = loa.db.call(lambda s: {d.part for d in s.exec(select(Delivery).where(
        Delivery.broadcast_id.is_not(None)))})
    assert parts == {1}  # the first call's progress was written down


async def test_an_album_is_one_media_group_and_its_buttons_follow(loa):
    open_campaign(loa)
    await ready(loa)
    album = loa.emu.send_album(OFFICER, [JPEG, JPEG + b"2", JPEG + b"3"], caption="Ảnh họp")
    shown, _decide = await until_preview(loa, "🤝 Pledge button: Vì người nghèo")
    photos = [m["photo"][-1]["file_id"] for m in album]
    assert seen(shown) == [
        ("sendMediaGroup", "photo", photos[0], f"{SENDER}\n\nẢnh họp", [], True),
        ("sendMediaGroup", "photo", photos[1], None, [], True),
        ("sendMediaGroup", "photo", photos[2], None, [], True),
        ("sendMessage", "text", None, SENDER, [["🤝 Pledge"]], False)]
    assert len({m.media_group_id for m in shown[:3]}) == 1
    got = await send_now(loa, 4)
    assert seen(got[ALEX]) == seen(shown)
    assert seen(got[LAN])[:3] == seen(shown)[:3]
    assert got[LAN][3].buttons() == [["🤝 Đăng ký ủng hộ"]]
    assert (await loa.tap(LAN, "🤝 Đăng ký ủng hộ")).plain == "Bạn đăng ký ủng hộ với tư cách nào?"
    assert loa.emu.stats.too_many_requests == 0


async def test_a_late_album_item_shows_the_preview_again_and_odd_ones_are_refused(loa):
    await ready(loa)
    album = loa.emu.send_album(OFFICER, [JPEG, b"\x00video"], kinds=["photo", "video"])
    shown, _decide = await until_preview(loa)
    assert [m.kind for m in shown] == ["photo", "video"]
    group = album[0]["media_group_id"]

    def item(**content):
        loa.emu.inject_update({"message": {
            "message_id": 9100 + len(content), "date": 0, "media_group_id": group,
            "chat": {"id": OFFICER, "type": "private"},
            "from": {"id": OFFICER, "is_bot": False, "first_name": "Tím"}, **content}})
    item(photo=album[0]["photo"])                                   # late, but of the album
    shown, _decide = await shown_preview(loa, await loa.next(OFFICER))
    assert [m.kind for m in shown] == ["photo", "video", "photo"]
    item(voice={"file_id": "VOI1", "file_unique_id": "v1", "duration": 2}, caption="x")
    refused = await loa.next(OFFICER)
    assert refused.plain.startswith("This one could not join the album")
    got = await send_now(loa, 3)
    assert [m.kind for m in got[LAN]] == ["photo", "video", "photo"]


async def test_a_file_over_the_cap_is_refused_with_the_reason(loa):
    await ready(loa)
    loa.emu.inject_update({"message": {
        "message_id": 9200, "date": 0, "chat": {"id": OFFICER, "type": "private"},
        "from": {"id": OFFICER, "is_bot": False, "first_name": "Tím"},
        "video": {"file_id": "VID1", "file_unique_id": "v", "duration": 600, "width": 640,
                  "height": 360, "file_size": 80 * 2 ** 20}}})
    refused = await loa.next(OFFICER)
    assert refused.plain.startswith("That file is 80 MB; a broadcast or a campaign letter "
                                    "carries up to 50 MB")
    loa.emu.send_voice(OFFICER, b"OggS short")                      # still at the first step
    assert "Which area" in (await loa.next(OFFICER)).plain


async def test_what_loa_cannot_send_on_is_answered_and_the_length_is_without_the_sender(loa):
    await ready(loa)
    loa.emu.send_sticker(OFFICER)
    refused = await loa.next(OFFICER)
    assert refused.plain == ("Loa cannot read this message. Send a text, a photo, a video, a "
                             "voice message, an audio file, a document or an album.")
    assert refused.buttons() == [["✖ Cancel"]]
    loa.emu.send_location(OFFICER, 10.63, 106.41)
    assert (await loa.next(OFFICER)).plain == refused.plain
    long = await loa.send(OFFICER, "Họp dân " * 520)
    assert long.plain == ("This message is too long. A broadcast text holds up to 4,067 "
                          "characters, or 995 as the caption of a photo, a video, a voice "
                          "message, an audio file, a document or an album, not counting the "
                          "sender's line. Send a shorter one.")
    # 4096 and 1024, less the sender's line and a blank line
    loa.emu.send_voice(OFFICER, b"OggS short")                      # still at the first step
    assert "Which area" in (await loa.next(OFFICER)).plain

    loa.db.call(grant, 404, Role.OFFICER, "28042")
    await loa.onboard(404, name="Bảy", lang="vi")
    ask = await loa.send(404, "/broadcast")
    assert ask.plain.startswith("Hãy gửi nội dung cần thông báo: tin nhắn chữ (giữ nguyên định "
                                "dạng), hoặc ảnh, video, tin nhắn thoại, tệp âm thanh, tệp tài "
                                "liệu hoặc album, có thể kèm lời chú thích.")
    loa.emu.send_sticker(404)
    assert (await loa.next(404)).plain == ("Loa không đọc được tin này. Hãy gửi chữ, ảnh, video, "
                                           "tin nhắn thoại, tệp âm thanh, tệp tài liệu hoặc "
                                           "album.")
    loa.emu.send_sticker(LAN)                                       # no step waits for anything
    assert (await loa.next(LAN)).plain.startswith("Loa chưa hiểu ý bạn.")


async def test_a_campaign_letter_can_be_a_voice_message(loa):
    loa.db.call(grant, 340, Role.OFFICER, "804")
    await loa.onboard(340, name="Tím", lang="en")
    await loa.send(340, "/campaign")
    await loa.tap(340, "➕ New campaign")
    await loa.send(340, "Tết vì người nghèo")
    attach = await loa.send(340, "Kính gửi bà con...")
    assert "a voice message" in attach.plain
    voice = loa.emu.send_voice(340, b"OggS thu ngo Ba Na", duration=95)
    assert (await loa.next(340)).plain.startswith("Step 4 of 7")
    await loa.send(340, "17/10/2023 - 18/11/2099")
    await loa.tap(340, "✅ All of Thủ Thừa (huyện)")
    await loa.next(340)
    await loa.send(340, "500 triệu")
    confirm = await loa.tap(340, "Skip")
    assert "With the letter attached." in confirm.plain
    await loa.tap(340, "✅ Open the campaign")
    campaign = loa.db.call(lambda s: s.exec(select(Campaign)).one())
    assert campaign.attachment == [{"kind": "voice", "file_id": voice["voice"]["file_id"]}]
    await loa.onboard(341, lang="vi")
    letter = await loa.send(341, "/campaigns")
    assert (letter.method, letter.file_id) == ("sendVoice", voice["voice"]["file_id"])
    assert "Tết vì người nghèo" in (await loa.next(341)).plain


async def test_a_delivery_resumed_after_its_first_part_does_not_send_it_twice(areas_db, db_url):
    """A crash between the text and the video note: the restarted engine sends the note only."""
    async with Emulator(token=TOKEN) as emu:
        config = loa_config(emu.api_url, db_url)
        ids = people(areas_db, emu, 500, 3)
        note = emu.send_video_note(ids[0], b"\x00 round")["video_note"]["file_id"]
        broadcast_id = start_broadcast(areas_db, area="28042-A1", text=SENDER)

        def with_note(s):
            broadcast = s.get(Broadcast, broadcast_id)
            broadcast.media = [{"kind": "video_note", "file_id": note}]
            s.add(broadcast)
        areas_db.call(with_note)
        areas_db.call(start_due, utcnow())

        def crashed_after_part_one(s):  # as a kill -9 between the two calls leaves them
            s.execute(update(Delivery).where(Delivery.broadcast_id == broadcast_id)
                      .values(part=1))
        areas_db.call(crashed_after_part_one)
        bot, dispatcher = await run_dispatcher(emu, areas_db, config, 100)
        try:
            await eventually(lambda: {d.status for d in areas_db.call(lambda s: s.exec(
                select(Delivery).where(Delivery.broadcast_id == broadcast_id)).all())}
                == {"sent"})
        finally:
            await stop_dispatcher(bot, dispatcher)
        for who in ids:
            assert [m.method for m in emu.messages(who)] == ["sendVideoNote"]


async def test_an_album_takes_a_slot_for_each_of_its_items():
    limiter = Limiter(rate=20, per_chat_interval=0.001, adaptive=False)
    started = time.monotonic()
    await limiter.acquire(1, True, 5)
    await limiter.acquire(2, True)
    assert time.monotonic() - started >= 5 / 20 - 0.02


async def test_the_requests_are_the_same_for_a_group_and_telegram_takes_them_there():
    """The builder only sets chat_id: a group gets the voice and the album as a person would."""
    group = -1004002
    async with Emulator(token=TOKEN) as emu:
        emu.add_user(OFFICER, "Tím")
        emu.add_group(group, "Thôn 3")
        voice = emu.send_voice(OFFICER, b"OggS Ede")["voice"]["file_id"]
        album = emu.send_album(OFFICER, [JPEG, JPEG + b"2"])
        photos = [m["photo"][-1]["file_id"] for m in album]
        _ = Translator("vi", "Asia/Ho_Chi_Minh")
        wire = Wire(emu.api_url, TOKEN, Limiter(100))
        await wire.open()
        try:
            for media, kinds in (([{"kind": "voice", "file_id": voice}], ["voice"]),
                                 ([{"kind": "photo", "file_id": f} for f in photos],
                                  ["photo", "photo", "text"])):
                broadcast = Broadcast(area_id=1, roles="citizen", text=SENDER, media=media,
                                      link_url="https://mttq.example.vn", link_label="Thư ngỏ")
                calls = broadcast_requests(broadcast, _, group)
                assert calls == [(m, {**p, "chat_id": group})
                                 for m, p in broadcast_requests(broadcast, _, OFFICER)]
                before = len(emu.messages(group))
                for method, params in calls:
                    await wire.call(method, params, bulk=False)
                assert [m.kind for m in emu.messages(group)[before:]] == kinds
        finally:
            await wire.close()
    assert emu.messages(group)[-1].buttons() == [["Thư ngỏ"]]


async def test_a_voice_broadcast_reaches_a_linked_group_as_voice(loa):
    group = -1004002
    await ready(loa)
    loa.emu.add_group(group, "Thôn 3")
    linked(loa.db, group, "Thôn 3", "28042-A1", language="en")
    sent = loa.emu.send_voice(OFFICER, b"OggS Bahnar", caption="Họp thôn")
    await loa.next(OFFICER)                                          # the area picker
    await loa.tap(OFFICER, "✅ All of Tân Thành (xã)")
    await loa.tap(OFFICER, "☐ 👥 its 1 group or channel")
    await loa.tap(OFFICER, "Next ➡")
    await loa.tap(OFFICER, "All languages")
    shown, _decide = await shown_preview(loa, await loa.tap(OFFICER, "No button"))
    await loa.tap(OFFICER, "📤 Send now")
    got = await loa.next(group)
    assert seen([got]) == seen(shown) == [("sendVoice", "voice", sent["voice"]["file_id"],
                                           f"{SENDER}\n\nHọp thôn", [], False)]
