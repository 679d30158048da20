"""The emulator's groups, channels, voice and albums, through the real PTB over HTTP.

Loa's group audiences and media broadcasts are only as well tested as the emulator is faithful:
each test here checks the shape PTB parses and the answer Telegram gives (my_chat_member on
being added and removed, 403 after removal, the per-group pace, albums and their copies).
"""

from __future__ import annotations

import datetime as dtm
import warnings
from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio
from telegram import (
    Bot,
    ChatMemberAdministrator,
    ChatMemberBanned,
    ChatMemberLeft,
    ChatMemberMember,
    InputMediaAudio,
    InputMediaDocument,
    InputMediaPhoto,
    InputMediaVideo,
    Update,
)
from telegram.error import BadRequest, ChatMigrated, Forbidden, RetryAfter

from bot.emulator import Emulator

pytestmark = [  # PTB 22 warns when retry_after or a duration is read as an int
    pytest.mark.filterwarnings("ignore:.*retry_after.*:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:.*`duration`.*:DeprecationWarning"),
]

TOKEN = "123456:TEST"
ALICE = 1001
BOB = 1002
GROUP = -4001  # a basic group
SUPER = -1004002
CHANNEL = -1004003
JPEG = b"\xff\xd8\xff\xe0 a photo"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest_asyncio.fixture
async def emu() -> AsyncIterator[Emulator]:
    async with Emulator(token=TOKEN, bot_username="loa_test_bot") as emulator:
        emulator.add_user(ALICE, "Alice", username="alice")
        emulator.add_user(BOB, "Bob")
        yield emulator
        assert not emulator.internal_errors, emulator.internal_errors


@pytest_asyncio.fixture
async def bot(emu: Emulator) -> AsyncIterator[Bot]:
    async with Bot(TOKEN, base_url=emu.base_url, base_file_url=emu.base_file_url) as client:
        yield client


async def updates(bot: Bot, **kwargs: object) -> list[Update]:
    """Take everything waiting (confirming it), as a polling bot would."""
    got = await bot.get_updates(timeout=0, **kwargs)
    if got:
        await bot.get_updates(offset=got[-1].update_id + 1, timeout=0)
    return list(got)


# ------------------------------------------------------------------------------ membership


@pytest.mark.asyncio
async def test_added_to_a_group_then_kicked(emu: Emulator, bot: Bot) -> None:
    emu.add_group(GROUP, "Làng Kon Mahar", type="group", bot_status="left")
    with pytest.raises(Forbidden, match=r"^Forbidden: bot is not a member of the group chat$"):
        await bot.send_message(GROUP, "not yet")

    raw = emu.add_bot(GROUP, by=ALICE)
    assert set(raw) == {"update_id", "my_chat_member"}
    assert set(raw["my_chat_member"]) == {
        "chat", "from", "date", "old_chat_member", "new_chat_member",
    }  # fmt: skip
    added, joined = await updates(bot)
    change = added.my_chat_member
    assert change.chat.id == GROUP and change.chat.type == "group"
    assert change.chat.title == "Làng Kon Mahar"
    assert change.from_user.id == ALICE
    assert isinstance(change.old_chat_member, ChatMemberLeft)
    assert isinstance(change.new_chat_member, ChatMemberMember)
    assert change.new_chat_member.user.id == bot.id
    assert joined.message.new_chat_members[0].id == bot.id
    assert joined.message.chat.id == GROUP and joined.message.from_user.id == ALICE

    sent = await bot.send_message(GROUP, "xin chào")
    assert sent.chat.type == "group" and emu.last(GROUP).plain == "xin chào"
    member = await bot.get_chat_member(GROUP, bot.id)
    assert isinstance(member, ChatMemberMember)

    emu.remove_bot(GROUP, by=ALICE)
    (kicked,) = await updates(bot)
    assert isinstance(kicked.my_chat_member.old_chat_member, ChatMemberMember)
    banned = kicked.my_chat_member.new_chat_member
    assert isinstance(banned, ChatMemberBanned) and banned.user.id == bot.id
    with pytest.raises(Forbidden, match=r"^Forbidden: bot was kicked from the group chat$"):
        await bot.send_message(GROUP, "still there?")
    with pytest.raises(Forbidden, match=r"kicked from the group chat"):
        await bot.send_voice(GROUP, b"OggS voice")
    assert emu.bot_status(GROUP) == "kicked"
    assert [m.plain for m in emu.messages(GROUP)] == ["xin chào"]
    assert emu.stats.forbidden == 3


@pytest.mark.asyncio
async def test_supergroup_and_channel_refusals_name_the_chat_type(emu: Emulator, bot: Bot) -> None:
    emu.add_group(SUPER, "Xã Ia Pa", bot_status="left")
    emu.add_group(CHANNEL, "Xã Ia Pa - thông báo", type="channel", username="iapa")
    with pytest.raises(Forbidden, match=r"^Forbidden: bot is not a member of the supergroup chat$"):
        await bot.send_message(SUPER, "x")
    emu.add_bot(SUPER, by=BOB, admin=True)
    (added, _joined) = await updates(bot)
    assert isinstance(added.my_chat_member.new_chat_member, ChatMemberAdministrator)
    emu.remove_bot(SUPER, by=BOB)
    with pytest.raises(Forbidden, match=r"^Forbidden: bot was kicked from the supergroup chat$"):
        await bot.send_message(SUPER, "x")
    with pytest.raises(Forbidden, match=r"kicked from the supergroup chat"):
        await bot.get_chat(SUPER)

    posted = await bot.send_message("@iapa", "thông báo")  # a public channel by username
    assert posted.chat.type == "channel" and posted.chat.id == CHANNEL
    await bot.leave_chat(CHANNEL)
    with pytest.raises(Forbidden, match=r"^Forbidden: bot is not a member of the channel chat$"):
        await bot.send_message(CHANNEL, "x")
    got = await updates(bot)
    left = got[-1].my_chat_member
    assert left.from_user.id == bot.id and isinstance(left.new_chat_member, ChatMemberLeft)

    emu.add_group(-1009, "Kênh", type="channel", bot_status="member")
    with pytest.raises(BadRequest, match=r"(?i)need administrator rights in the channel chat"):
        await bot.send_message(-1009, "x")


@pytest.mark.asyncio
async def test_made_admin_of_a_channel_and_its_posts(emu: Emulator, bot: Bot) -> None:
    emu.add_group(CHANNEL, "Xã Ia Pa - thông báo", type="channel", bot_status="left")
    emu.post_to_channel(CHANNEL, "before the bot")
    emu.add_bot(CHANNEL, by=ALICE)
    emu.post_to_channel(CHANNEL, "họp thôn tối nay", author_signature="Chủ tịch")
    promoted, post = await updates(bot)  # no service message in a channel
    change = promoted.my_chat_member
    assert change.chat.type == "channel" and isinstance(change.old_chat_member, ChatMemberLeft)
    admin = change.new_chat_member
    assert isinstance(admin, ChatMemberAdministrator) and admin.can_post_messages
    assert post.channel_post.text == "họp thôn tối nay"
    assert post.channel_post.sender_chat.id == CHANNEL and post.channel_post.from_user is None
    assert post.channel_post.author_signature == "Chủ tịch"
    chat = await bot.get_chat(CHANNEL)
    assert (chat.type, chat.title) == ("channel", "Xã Ia Pa - thông báo")
    assert isinstance(await bot.get_chat_member(CHANNEL, bot.id), ChatMemberAdministrator)
    assert isinstance(await bot.get_chat_member(CHANNEL, ALICE), ChatMemberAdministrator)
    assert isinstance(await bot.get_chat_member(CHANNEL, BOB), ChatMemberLeft)


@pytest.mark.asyncio
async def test_group_messages_and_privacy_mode(emu: Emulator, bot: Bot) -> None:
    emu.add_group(SUPER, "Thôn 3")
    emu.send_text(ALICE, "chuyện làng", chat_id=SUPER)  # privacy mode: not for the bot
    emu.send_text(ALICE, "/linkgroup@other_bot", chat_id=SUPER)
    emu.send_text(ALICE, "/linkgroup@loa_test_bot", chat_id=SUPER)
    emu.send_text(BOB, "/help", chat_id=SUPER)
    (linked, helped) = await updates(bot)
    message = linked.message
    assert message.chat.id == SUPER and message.chat.type == "supergroup"
    assert message.from_user.id == ALICE and message.text == "/linkgroup@loa_test_bot"
    assert helped.message.from_user.id == BOB
    assert isinstance(await bot.get_chat_member(SUPER, BOB), ChatMemberMember)

    reply = await bot.send_message(SUPER, "ai gọi?")
    emu.send_text(BOB, "tôi", chat_id=SUPER, reply_to_message_id=reply.message_id)
    (answer,) = await updates(bot)
    assert answer.message.reply_to_message.message_id == reply.message_id

    emu.group_privacy = False
    assert (await bot.get_me()).can_read_all_group_messages
    emu.send_text(ALICE, "chuyện làng", chat_id=SUPER)
    assert [u.message.text for u in await updates(bot)] == ["chuyện làng"]
    emu.add_group(CHANNEL, "Kênh", type="channel")
    with pytest.raises(ValueError, match="post_to_channel"):
        emu.send_text(ALICE, "x", chat_id=CHANNEL)


@pytest.mark.asyncio
async def test_allowed_updates_default_and_explicit(emu: Emulator, bot: Bot) -> None:
    emu.add_group(SUPER, "Thôn 3", bot_status="left")
    emu.inject_update({"chat_member": {"chat": {"id": SUPER, "type": "supergroup"}}})
    emu.add_bot(SUPER, by=ALICE)
    kinds = [next(k for k in u.to_dict() if k != "update_id") for u in await updates(bot)]
    assert kinds == ["my_chat_member", "message"]  # chat_member only when asked for

    emu.remove_bot(SUPER, by=ALICE)
    emu.send_text(ALICE, "hi")
    got = await updates(bot, allowed_updates=["message"])
    assert [u.message.text for u in got] == ["hi"]  # the removal was not asked for


@pytest.mark.asyncio
async def test_group_pace_answers_429_with_retry_after() -> None:
    clock = FakeClock()
    async with Emulator(TOKEN, group_rate_per_minute=20, clock=clock) as emu:
        emu.add_group(SUPER, "Thôn 3")
        emu.add_user(ALICE, "Alice")
        async with Bot(TOKEN, base_url=emu.base_url) as bot:
            for i in range(20):
                clock.now += 1
                await bot.send_message(SUPER, f"tin {i}")
            await bot.send_message(ALICE, "private chats are not paced per group")
            with pytest.raises(RetryAfter) as exc:
                await bot.send_voice(SUPER, b"OggS")
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                retry = exc.value.retry_after
            seconds = retry.total_seconds() if isinstance(retry, dtm.timedelta) else retry
            assert seconds == 41  # the first of the 20 leaves the minute at 1061
            clock.now += 41
            await bot.send_voice(SUPER, b"OggS")
            clock.now += 2  # 2 of the 20 have left the minute: an album of 3 is 3 messages
            album = [InputMediaPhoto(JPEG), InputMediaPhoto(JPEG), InputMediaPhoto(JPEG)]
            with pytest.raises(RetryAfter):
                await bot.send_media_group(SUPER, album)
            clock.now += 1
            assert len(await bot.send_media_group(SUPER, album)) == 3
        assert len(emu.messages(SUPER)) == 24
        assert (emu.stats.too_many_requests, emu.stats.early_sends) == (2, 0)


@pytest.mark.asyncio
async def test_group_upgraded_to_a_supergroup(emu: Emulator, bot: Bot) -> None:
    emu.add_group(GROUP, "Thôn 3", type="group")
    await bot.send_message(GROUP, "before")
    info = emu.migrate_group(GROUP, SUPER, by=ALICE)
    assert (info["id"], info["type"], info["title"]) == (SUPER, "supergroup", "Thôn 3")
    moved, arrived = (u.message for u in await updates(bot))
    assert moved.chat.id == GROUP and moved.migrate_to_chat_id == SUPER
    assert arrived.chat.id == SUPER and arrived.migrate_from_chat_id == GROUP
    with pytest.raises(ChatMigrated) as exc:
        await bot.send_message(GROUP, "after")
    assert exc.value.new_chat_id == SUPER
    await bot.send_message(SUPER, "after")
    assert [r.plain for r in emu.messages(SUPER)] == ["after"]
    with pytest.raises(ValueError, match="only a group"):
        emu.migrate_group(SUPER, -1009999, by=ALICE)


@pytest.mark.asyncio
async def test_renamed_group_and_channel(emu: Emulator, bot: Bot) -> None:
    emu.add_group(SUPER, "Thôn 3")
    emu.add_group(CHANNEL, "Kênh", type="channel")
    emu.rename_group(SUPER, "Thôn Ba", by=ALICE)
    emu.rename_group(CHANNEL, "Kênh xã", by=ALICE)
    group, channel = await updates(bot)
    assert group.message.new_chat_title == "Thôn Ba" and group.message.from_user.id == ALICE
    assert channel.channel_post.new_chat_title == "Kênh xã"
    assert (await bot.get_chat(SUPER)).title == "Thôn Ba"


@pytest.mark.asyncio
async def test_group_window_runs_the_minute_faster() -> None:
    clock = FakeClock()
    async with Emulator(TOKEN, group_rate_per_minute=20, clock=clock) as emu:
        emu.set_limits(group_window=3.0)  # 20 messages in 3 s: Telegram's pace, 20x faster
        emu.add_group(SUPER, "Thôn 3")
        async with Bot(TOKEN, base_url=emu.base_url) as bot:
            for i in range(20):
                clock.now += 0.15
                await bot.send_message(SUPER, f"tin {i}")
            with pytest.raises(RetryAfter):
                await bot.send_message(SUPER, "one too many")
        assert emu.limits()["group_window"] == 3.0


# ------------------------------------------------------------------------------ media


@pytest.mark.asyncio
async def test_media_from_users_can_be_downloaded(emu: Emulator, bot: Bot) -> None:
    bold = [{"type": "bold", "offset": 0, "length": 4}]
    emu.send_voice(ALICE, b"OggS bahnar", caption="Loa: họp", caption_entities=bold, duration=7)
    emu.send_audio(BOB, b"ID3 song", caption="bài hát", duration=200)
    emu.send_video(ALICE, b"\x00\x00\x00 ftypmp4", caption="video")
    emu.send_video_note(BOB, b"\x00\x00\x00 ftyp round")
    voice, audio, video, note = (u.message for u in await updates(bot))
    assert (voice.voice.duration, voice.voice.mime_type) == (7, "audio/ogg")
    assert voice.caption == "Loa: họp" and voice.caption_entities[0].type == "bold"
    assert (audio.audio.duration, audio.audio.mime_type, audio.caption) == (
        200, "audio/mpeg", "bài hát",
    )  # fmt: skip
    assert video.video.mime_type == "video/mp4" and video.caption == "video"
    assert note.video_note.length == 240 and note.caption is None
    data = await (await bot.get_file(voice.voice.file_id)).download_as_bytearray()
    assert bytes(data) == b"OggS bahnar"
    path = (await bot.get_file(note.video_note.file_id)).file_path
    assert path.startswith(f"{emu.base_file_url}{TOKEN}/video_notes/")


@pytest.mark.asyncio
async def test_album_from_a_user_arrives_as_one_update_per_photo(emu: Emulator, bot: Bot) -> None:
    sent = emu.send_album(ALICE, [JPEG, JPEG + b"2", JPEG + b"3"], caption="ảnh họp")
    got = [u.message for u in await updates(bot)]
    assert [m.message_id for m in got] == [m["message_id"] for m in sent]
    assert len({m.media_group_id for m in got}) == 1 and got[0].media_group_id
    assert [m.caption for m in got] == ["ảnh họp", None, None]
    assert len({m.photo[-1].file_id for m in got}) == 3
    with pytest.raises(ValueError, match="2 to 10"):
        emu.send_album(ALICE, [JPEG])


@pytest.mark.asyncio
async def test_albums_from_a_user_mix_as_telegram_clients_do(emu: Emulator, bot: Bot) -> None:
    emu.send_album(ALICE, [JPEG, b"\x00video"], "họp", kinds=["photo", "video"])
    emu.send_album(BOB, [b"%PDF 1", b"%PDF 2"], kinds=["document", "document"])
    photo, video, first, second = (u.message for u in await updates(bot))
    assert photo.media_group_id == video.media_group_id != first.media_group_id
    assert (photo.caption, video.caption, video.video.mime_type) == ("họp", None, "video/mp4")
    assert first.document.file_name == "file1.pdf" and second.media_group_id
    for kinds in (["photo", "document"], ["audio", "video"], ["voice", "voice"]):
        with pytest.raises(ValueError, match="do not make one album"):
            emu.send_album(ALICE, [b"a", b"b"], kinds=kinds)


@pytest.mark.asyncio
async def test_a_video_note_takes_no_caption(emu: Emulator, bot: Bot) -> None:
    note = emu.send_video_note(ALICE, b"\x00 round")
    async with httpx.AsyncClient(base_url=emu.api_url) as client:  # PTB has no such parameter
        body = {"chat_id": BOB, "video_note": note["video_note"]["file_id"], "caption": "x"}
        sent = (await client.post(f"/bot{TOKEN}/sendVideoNote", json=body)).json()
    assert sent["ok"] and "caption" not in sent["result"]
    assert (emu.last(BOB).kind, emu.last(BOB).plain) == ("video_note", None)


@pytest.mark.asyncio
async def test_voice_round_trip_in_private_and_group(emu: Emulator, bot: Bot) -> None:
    emu.add_group(SUPER, "Thôn 3")
    incoming = emu.send_voice(ALICE, b"OggS announcement", caption="Thông báo", duration=12)
    file_id = incoming["voice"]["file_id"]
    for chat in (BOB, SUPER):
        sent = await bot.send_voice(chat, file_id, caption="Thông báo")
        assert sent.voice.file_id == file_id and sent.voice.duration == 12
        record = emu.last(chat)
        assert (record.method, record.kind, record.file_id, record.plain) == (
            "sendVoice", "voice", file_id, "Thông báo",
        )  # fmt: skip
        copied = await bot.copy_message(chat, ALICE, incoming["message_id"])
        copy = emu.last(chat)
        assert copy.message_id == copied.message_id
        assert (copy.method, copy.kind, copy.file_id, copy.plain) == (
            "copyMessage", "voice", file_id, "Thông báo",
        )  # fmt: skip

    uploaded = await bot.send_voice(BOB, b"OggS fresh", duration=3)
    assert emu.file_bytes(uploaded.voice.file_id) == b"OggS fresh"
    assert uploaded.voice.duration == 3
    for method, kind in (
        (bot.send_audio, "audio"),
        (bot.send_video, "video"),
        (bot.send_video_note, "video_note"),
    ):
        message = await method(SUPER, b"\x00media")
        assert getattr(message, kind).file_id == emu.last(SUPER).file_id
        assert emu.last(SUPER).kind == kind


@pytest.mark.asyncio
async def test_send_media_group_as_telegram_checks_it(emu: Emulator, bot: Bot) -> None:
    emu.add_group(SUPER, "Thôn 3")
    photos = [InputMediaPhoto(JPEG + bytes([i]), caption=f"ảnh {i}") for i in range(3)]
    album = await bot.send_media_group(SUPER, photos)
    assert len({m.media_group_id for m in album}) == 1 and album[0].media_group_id
    assert [m.caption for m in album] == ["ảnh 0", "ảnh 1", "ảnh 2"]
    records = emu.messages(SUPER)
    assert [(r.method, r.kind) for r in records] == [("sendMediaGroup", "photo")] * 3
    assert {r.media_group_id for r in records} == {album[0].media_group_id}

    (alone,) = await bot.send_media_group(BOB, [InputMediaVideo(b"\x00video")])
    assert alone.video and alone.media_group_id is None  # one item is sent outside any album

    many = [InputMediaPhoto(JPEG) for _ in range(11)]
    with pytest.raises(BadRequest, match=r"^Too many messages to send as an album$"):
        await bot.send_media_group(BOB, many)
    mixed = [InputMediaPhoto(JPEG), InputMediaDocument(b"%PDF", filename="a.pdf")]
    with pytest.raises(BadRequest, match=r"(?i)document can't be mixed with other media types"):
        await bot.send_media_group(BOB, mixed)
    mixed = [InputMediaAudio(b"ID3"), InputMediaVideo(b"\x00video")]
    with pytest.raises(BadRequest, match=r"(?i)audio can't be mixed with other media types"):
        await bot.send_media_group(BOB, mixed)
    async with httpx.AsyncClient(base_url=emu.api_url) as client:
        body = {"chat_id": BOB, "media": []}
        empty = await client.post(f"/bot{TOKEN}/sendMediaGroup", json=body)
        assert empty.json()["description"] == "Bad Request: there are no messages to send"
    assert len(emu.messages(BOB)) == 1  # refused albums send nothing


@pytest.mark.asyncio
async def test_copy_messages_keeps_albums_grouped(emu: Emulator, bot: Bot) -> None:
    emu.add_group(SUPER, "Thôn 3")
    first = emu.send_album(ALICE, [JPEG, JPEG + b"2"], caption="album một")
    voice = emu.send_voice(ALICE, b"OggS", caption="giọng nói")
    second = emu.send_album(ALICE, [JPEG + b"3", JPEG + b"4"])
    ids = [m["message_id"] for m in (*first, voice, *second)]
    copies = await bot.copy_messages(SUPER, ALICE, [*ids, 999])  # 999: skipped
    records = emu.messages(SUPER)
    assert [c.message_id for c in copies] == [r.message_id for r in records]
    assert [(r.method, r.kind, r.plain) for r in records] == [
        ("copyMessages", "photo", "album một"),
        ("copyMessages", "photo", None),
        ("copyMessages", "voice", "giọng nói"),
        ("copyMessages", "photo", None),
        ("copyMessages", "photo", None),
    ]
    groups = [r.media_group_id for r in records]
    assert groups[0] == groups[1] and groups[3] == groups[4] and groups[2] is None
    assert groups[0] != groups[3]
    assert groups[0] != first[0]["media_group_id"]  # a new album, not the user's
    assert records[2].file_id == voice["voice"]["file_id"]

    await bot.copy_messages(BOB, ALICE, ids[:2], remove_caption=True)
    assert [r.plain for r in emu.messages(BOB)] == [None, None]
    with pytest.raises(BadRequest, match=r"(?i)strictly increasing"):
        await bot.copy_messages(BOB, ALICE, [ids[1], ids[0]])
    with pytest.raises(BadRequest, match=r"(?i)too many message identifiers"):
        await bot.copy_messages(BOB, ALICE, list(range(1, 102)))
    emu.remove_bot(SUPER, by=ALICE)
    with pytest.raises(Forbidden, match=r"kicked from the supergroup chat"):
        await bot.copy_messages(SUPER, ALICE, ids)


@pytest.mark.asyncio
async def test_control_endpoints_for_groups_and_media(emu: Emulator) -> None:
    async with httpx.AsyncClient(base_url=emu.api_url) as client:

        async def call(action: str, **body: object) -> dict:
            response = await client.post(f"/_emu/{action}", json=body)
            assert response.status_code == 200, response.text
            return response.json()["result"]

        await call("groups", chat_id=SUPER, title="Thôn 3", bot_status="left")
        added = await call("add_bot", chat_id=SUPER, by=ALICE)
        assert added["my_chat_member"]["new_chat_member"]["status"] == "member"
        voice = await call("send_voice", user_id=ALICE, content_b64="T2dnUw==", chat_id=SUPER)
        assert voice["voice"]["file_size"] == 4
        album = await call("send_album", user_id=ALICE, photos_b64=["/9j/", "/9j/AA=="])
        assert album[0]["media_group_id"] == album[1]["media_group_id"]
        await call("set_member", chat_id=SUPER, user_id=BOB, status="administrator")
        assert await call("bot_status", chat_id=SUPER) == "member"
        await call("remove_bot", chat_id=SUPER, by=BOB)
        assert emu.bot_status(SUPER) == "kicked"
        await call("groups", chat_id=CHANNEL, title="Kênh", type="channel")
        post = await call("post_to_channel", chat_id=CHANNEL, text="tin")
        assert post["sender_chat"]["id"] == CHANNEL
        for action in ("send_audio", "send_video", "send_video_note"):
            sent = await call(action, user_id=BOB, content_b64="AAAA")
            assert sent[action.removeprefix("send_")]["file_size"] == 3
