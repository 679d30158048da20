"""End-to-end tests of bot/emulator/ with the real python-telegram-bot over real HTTP.

The emulator is only worth something if PTB cannot tell it from Telegram, so every test drives
it through PTB's own request layer (form encoding, multipart uploads, error mapping) rather than
calling handlers directly.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dtm
import hashlib
import struct
import warnings
import zlib
from collections.abc import AsyncIterator
from html import escape

import httpx
import pytest
import pytest_asyncio
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
    WebAppInfo,
)
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
)
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    Defaults,
    ExtBot,
    MessageHandler,
    filters,
)

from bot.emulator import Emulator, parse_html

# PTB's own RetryAfter constructor reads the deprecated int form of retry_after.
pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after.*:DeprecationWarning")

TOKEN = "123456:TEST"
ALICE = 1001
BOB = 1002
GROUP = -100123


class FakeClock:
    """Drives the emulator's flood limits so retry_after tests need no sleeping."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def retry_seconds(exc: RetryAfter) -> float:
    """PTB 22 warns when retry_after is read as an int; accept both shapes quietly."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, dtm.timedelta) else float(value)


def tiny_png(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = b"".join(b"\x00" + b"\x00" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def make_bot(emu: Emulator) -> Bot:
    return Bot(TOKEN, base_url=emu.base_url, base_file_url=emu.base_file_url)


@pytest_asyncio.fixture
async def emu() -> AsyncIterator[Emulator]:
    async with Emulator(token=TOKEN, bot_username="loa_test_bot") as emulator:
        emulator.add_user(ALICE, "Alice", username="alice")
        emulator.add_user(BOB, "Bob")
        yield emulator
        assert not emulator.internal_errors, emulator.internal_errors


@pytest_asyncio.fixture
async def bot(emu: Emulator) -> AsyncIterator[Bot]:
    async with make_bot(emu) as client:
        yield client


# ------------------------------------------------------------------------------ the echo bot

MENU = InlineKeyboardMarkup(
    [
        [
            InlineKeyboardButton("Yes", callback_data="yes"),
            InlineKeyboardButton("No", callback_data="no"),
        ],
        [InlineKeyboardButton("Site", url="https://example.org")],
    ]
)


async def on_start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    name = escape(update.effective_user.first_name)
    await update.effective_message.reply_html(
        f"Hello <b>{name}</b> &amp; welcome", reply_markup=MENU
    )


async def on_choice(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    await query.answer(f"got {query.data}")
    await query.edit_message_text(f"You chose <i>{query.data}</i>", parse_mode=ParseMode.HTML)


async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.message.reply_text(f"echo: {update.message.text}")


async def on_document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    document = update.message.document
    data = await (await document.get_file()).download_as_bytearray()
    digest = hashlib.sha1(data).hexdigest()[:12]
    await update.message.reply_text(f"got {document.file_name}: {len(data)} bytes {digest}")


async def on_photo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    size = update.message.photo[-1]
    data = await (await size.get_file()).download_as_bytearray()
    await update.message.reply_text(f"photo {size.width}x{size.height} {len(data)} bytes")


async def on_contact(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    contact = update.message.contact
    await update.message.reply_text(
        f"phone {contact.phone_number} of user {contact.user_id}",
        reply_markup=ReplyKeyboardRemove(),
    )


async def on_phone(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    keyboard = ReplyKeyboardMarkup(
        [[KeyboardButton("Share phone", request_contact=True)], ["Cancel"]],
        one_time_keyboard=True,
    )
    await update.message.reply_text("Please share your phone", reply_markup=keyboard)


async def on_report(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.message.reply_document(
        b"id,name\n1,Loa\n", filename="report.csv", caption="<b>Report</b>", parse_mode="HTML"
    )


@pytest_asyncio.fixture
async def app(emu: Emulator) -> AsyncIterator[Application]:
    application = (
        ApplicationBuilder()
        .token(TOKEN)
        .base_url(emu.base_url)
        .base_file_url(emu.base_file_url)
        .build()
    )
    errors: list[object] = []

    async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        errors.append(context.error)

    application.add_handler(CommandHandler("start", on_start))
    application.add_handler(CommandHandler("phone", on_phone))
    application.add_handler(CommandHandler("report", on_report))
    application.add_handler(CallbackQueryHandler(on_choice))
    application.add_handler(MessageHandler(filters.CONTACT, on_contact))
    application.add_handler(MessageHandler(filters.Document.ALL, on_document))
    application.add_handler(MessageHandler(filters.PHOTO, on_photo))
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, on_text))
    application.add_error_handler(on_error)
    async with application:
        await application.start()
        await application.updater.start_polling(poll_interval=0.0, timeout=1)
        yield application
        await application.updater.stop()
        await application.stop()
    assert not errors, errors


# ------------------------------------------------------------------------------ Bot API basics


@pytest.mark.asyncio
async def test_get_me_and_commands_storage(emu: Emulator, bot: Bot) -> None:
    me = await bot.get_me()
    assert (me.id, me.is_bot, me.first_name, me.username) == (123456, True, "Loa", "loa_test_bot")
    assert me.can_join_groups is True

    await bot.set_my_commands([BotCommand("start", "Start"), BotCommand("help", "Help")])
    scope = BotCommandScopeChat(ALICE)
    await bot.set_my_commands([BotCommand("admin", "Quản trị")], scope=scope, language_code="vi")

    assert emu.commands() == [
        {"command": "start", "description": "Start"},
        {"command": "help", "description": "Help"},
    ]
    assert emu.commands({"type": "chat", "chat_id": ALICE}, "vi") == [
        {"command": "admin", "description": "Quản trị"}
    ]
    assert emu.commands({"type": "chat", "chat_id": ALICE}) == []  # other language
    fetched = await bot.get_my_commands(scope=scope, language_code="vi")
    assert [(c.command, c.description) for c in fetched] == [("admin", "Quản trị")]

    await bot.delete_my_commands()
    assert emu.commands() == []
    assert await bot.get_my_commands() == ()
    with pytest.raises(BadRequest, match=r"(?i)bot_command_invalid"):
        await bot.set_my_commands([BotCommand("Bad Command", "x")])
    assert emu.stats.calls["setMyCommands"] == 3


@pytest.mark.asyncio
async def test_get_chat_and_unknown_chat(emu: Emulator, bot: Bot) -> None:
    chat = await bot.get_chat(ALICE)
    assert (chat.id, chat.type, chat.first_name, chat.username) == (
        ALICE,
        "private",
        "Alice",
        "alice",
    )
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.get_chat(999)
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):  # PTB re-capitalises it
        await bot.send_message(999, "hello?")


@pytest.mark.asyncio
async def test_wrong_token_is_unauthorized(emu: Emulator) -> None:
    async with httpx.AsyncClient(base_url=emu.api_url) as client:
        response = await client.post("/bot654321:WRONG/getMe")
        assert response.status_code == 401
        assert response.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}
        response = await client.get("/file/bot654321:WRONG/documents/x.csv")
        assert response.status_code == 401
    with pytest.raises(InvalidToken):
        async with Bot("654321:WRONG", base_url=emu.base_url):
            pass


@pytest.mark.asyncio
async def test_wire_formats_case_insensitive_json_and_query(emu: Emulator) -> None:
    async with httpx.AsyncClient(base_url=f"{emu.api_url}/bot{TOKEN}") as client:
        markup = '{"inline_keyboard": [[{"text": "Go", "callback_data": "go"}]]}'
        response = await client.post(
            "/SENDMESSAGE",
            data={"chat_id": str(ALICE), "text": "[1, 2]", "reply_markup": markup},
        )
        body = response.json()
        assert body["ok"] is True
        assert body["result"]["text"] == "[1, 2]"  # text is never JSON-decoded
        assert body["result"]["from"]["is_bot"] is True
        assert emu.last(ALICE).buttons() == [["Go"]]

        response = await client.post(
            "/sendMessage",
            json={"chat_id": ALICE, "text": "json body", "allow_paid_broadcast": True},
        )
        assert response.json()["result"]["text"] == "json body"
        assert emu.last(ALICE).allow_paid_broadcast is True

        response = await client.get("/sendMessage", params={"chat_id": ALICE, "text": "query"})
        assert response.json()["result"]["message_id"] == 3
        assert [m.plain for m in emu.messages(ALICE)] == ["[1, 2]", "json body", "query"]

        response = await client.post("/someFutureMethod", data={"x": "1"})
        assert response.json() == {"ok": True, "result": True}
    assert emu.stats.calls["sendMessage"] == 3
    assert emu.stats.calls["someFutureMethod"] == 1


# ------------------------------------------------------------------------------ updates


@pytest.mark.asyncio
async def test_long_polling_offsets_and_conflict(emu: Emulator, bot: Bot) -> None:
    assert await bot.get_updates(timeout=0) == ()

    loop = asyncio.get_running_loop()
    started = loop.time()
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.2)
    assert not poll.done()  # long polling really waits
    emu.send_text(ALICE, "/start@loa_test_bot now")
    updates = await asyncio.wait_for(poll, 2)
    assert loop.time() - started < 1.5  # answered as soon as the update arrived
    (update,) = updates
    assert update.message.text == "/start@loa_test_bot now"
    assert update.message.entities[0].type == "bot_command"
    assert update.message.entities[0].length == len("/start@loa_test_bot")

    # Not confirmed yet: delivered again; the offset confirms it.
    assert [u.update_id for u in await bot.get_updates(timeout=0)] == [update.update_id]
    assert await bot.get_updates(offset=update.update_id + 1, timeout=0) == ()
    assert emu.pending_updates == []

    # An empty long poll returns when its timeout elapses.
    started = loop.time()
    assert await bot.get_updates(timeout=1) == ()
    assert 0.9 <= loop.time() - started < 2.0

    # A second poller (another bot instance) terminates the first one, as on Telegram.
    first = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.1)
    async with make_bot(emu) as other_instance:
        await other_instance.get_updates(timeout=0)
    with pytest.raises(Conflict, match="terminated by other getUpdates request"):
        await first


@pytest.mark.asyncio
async def test_echo_and_html_plain_text(emu: Emulator, app: Application) -> None:
    emu.send_text(ALICE, "/start")
    msg = await emu.next_message(ALICE)
    assert msg.method == "sendMessage"
    assert msg.text == "Hello <b>Alice</b> &amp; welcome"
    assert msg.plain == "Hello Alice & welcome"
    assert msg.parse_mode == "HTML"
    assert msg.entities == [{"type": "bold", "offset": 6, "length": 5}]
    assert emu.buttons(msg) == [["Yes", "No"], ["Site"]]

    emu.send_text(ALICE, "xin chào <3")
    assert (await emu.next_message(ALICE)).plain == "echo: xin chào <3"
    emu.send_text(BOB, "hi")
    assert (await emu.next_message(BOB)).text == "echo: hi"


def test_parse_html_rejects_what_telegram_rejects() -> None:
    assert parse_html("a &lt;b&gt; &quot;c&quot; &#39;d&#39; &amp;") == ("a <b> \"c\" 'd' &", [])
    text, entities = parse_html('<pre><code class="language-py">x = 1</code></pre>')
    assert text == "x = 1"
    assert entities == [{"type": "pre", "offset": 0, "length": 5, "language": "py"}]
    for bad in ("a < b", "line<br>break", "<b>open", "<b>x</i>"):
        with pytest.raises(Exception, match="can't parse entities"):
            parse_html(bad)
    assert parse_html("a < b", strict=False)[0] == "a < b"


@pytest.mark.asyncio
async def test_html_errors_reach_the_bot(bot: Bot) -> None:
    with pytest.raises(BadRequest, match=r"(?i)parse entities"):
        await bot.send_message(ALICE, "1 < 2", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match=r"(?i)Unsupported start tag"):
        await bot.send_message(ALICE, "a<br>b", parse_mode=ParseMode.HTML)


# ------------------------------------------------------------------------------ buttons, edits


@pytest.mark.asyncio
async def test_inline_keyboard_round_trip(emu: Emulator, app: Application) -> None:
    emu.send_text(ALICE, "/start")
    menu = await emu.next_message(ALICE)

    query_id = emu.press_button(ALICE, "No")
    answer = await emu.wait_callback_answer(query_id)
    assert (answer.text, answer.show_alert) == ("got no", False)
    edit = await emu.next_message(ALICE)
    assert edit.is_edit and edit.method == "editMessageText"
    assert edit.message_id == menu.message_id
    assert edit.plain == "You chose no"
    assert edit.reply_markup is None  # an edit without markup drops the inline keyboard
    assert menu.plain == "Hello Alice & welcome"  # the send event keeps what was seen then

    (current,) = emu.messages(ALICE)
    assert current is edit and [v.plain for v in current.history] == [
        "Hello Alice & welcome",
        "You chose no",
    ]
    assert current.edits == [edit]

    with pytest.raises(LookupError, match="no bot message with an inline keyboard"):
        emu.press_button(ALICE, "Yes")
    emu.send_text(ALICE, "/start")
    await emu.next_message(ALICE)
    with pytest.raises(LookupError, match=r"available: \[\['Yes', 'No'\], \['Site'\]\]"):
        emu.press_button(ALICE, "Maybe")
    with pytest.raises(ValueError, match="url button"):
        emu.press_button(ALICE, "Site")
    emu.press_button(ALICE, 0)  # index across rows
    edit = await emu.wait_for(lambda m: m.chat_id == ALICE and m.plain == "You chose yes")
    assert edit.version == 1
    assert len(emu.callback_answers) == 2


@pytest.mark.asyncio
async def test_edit_and_send_errors(emu: Emulator, bot: Bot) -> None:
    sent = await bot.send_message(ALICE, "menu", reply_markup=MENU)
    with pytest.raises(BadRequest, match=r"(?i)not modified"):
        await bot.edit_message_text("menu", ALICE, sent.message_id, reply_markup=MENU)
    edited = await bot.edit_message_text("menu", ALICE, sent.message_id)  # drops the keyboard
    assert edited.reply_markup is None
    with pytest.raises(BadRequest, match=r"(?i)not modified"):
        await bot.edit_message_reply_markup(ALICE, sent.message_id)
    await bot.edit_message_reply_markup(ALICE, sent.message_id, reply_markup=MENU)
    assert emu.last(ALICE).buttons() == [["Yes", "No"], ["Site"]]
    assert emu.last(ALICE).version == 2

    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("x", ALICE, 999)
    with pytest.raises(BadRequest, match=r"(?i)message text is empty"):
        await bot.send_message(ALICE, "   ")
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message(ALICE, "x" * 4097)
    await bot.send_message(ALICE, "x" * 4096)
    with pytest.raises(BadRequest, match=r"(?i)message caption is too long"):
        await bot.send_document(ALICE, b"data", filename="a.txt", caption="c" * 1025)
    too_long = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="d" * 65)]])
    with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
        await bot.send_message(ALICE, "hi", reply_markup=too_long)
    assert emu.stats.bad_requests == 7
    assert len(emu.messages(ALICE)) == 2  # failed sends record nothing

    await bot.delete_message(ALICE, sent.message_id)
    assert [m.message_id for m in emu.messages(ALICE)] == [sent.message_id + 1]
    assert emu.deleted == [(ALICE, sent.message_id)]
    with pytest.raises(BadRequest, match=r"(?i)message to delete not found"):
        await bot.delete_message(ALICE, sent.message_id)


# ------------------------------------------------------------------------------ Telegram's refusals
# Each test fails against an emulator without the check: tests must meet a size bug where
# Telegram would (bot/emulator/text.py and keyboards.py say what Telegram does). loa_bot sends
# HTML by default, as Loa does (Defaults in bot/app.py).


@pytest_asyncio.fixture
async def loa_bot(emu: Emulator) -> AsyncIterator[Bot]:
    defaults = Defaults(parse_mode=ParseMode.HTML)
    async with ExtBot(
        TOKEN, base_url=emu.base_url, base_file_url=emu.base_file_url, defaults=defaults
    ) as client:
        yield client


@pytest.mark.asyncio
async def test_text_length_is_the_visible_text_in_utf16(emu: Emulator, loa_bot: Bot) -> None:
    # tags are not counted, an HTML entity counts as the character it stands for
    await loa_bot.send_message(ALICE, "<b>" + "x" * 4096 + "</b>")
    await loa_bot.send_message(ALICE, "&amp;" * 4096)
    with pytest.raises(BadRequest, match=r"^Message is too long$"):
        await loa_bot.send_message(ALICE, "&amp;" * 4097)
    with pytest.raises(BadRequest, match=r"^Message is too long$"):
        await loa_bot.send_message(ALICE, "<i>" + "x" * 4097 + "</i>")
    # UTF-16 code units: an emoji outside the BMP counts two, a Vietnamese letter one
    await loa_bot.send_message(ALICE, "ệ" * 4096)
    await loa_bot.send_message(ALICE, "😀" * 2048)
    with pytest.raises(BadRequest, match=r"^Message is too long$"):
        await loa_bot.send_message(ALICE, "😀" * 2048 + "x")
    assert emu.stats.bad_requests == 3


@pytest.mark.asyncio
async def test_text_is_cleaned_before_it_is_measured(emu: Emulator, loa_bot: Bot) -> None:
    # leading and trailing spaces and newlines are cut, carriage returns dropped (TDLib)
    sent = await loa_bot.send_message(ALICE, "\n  " + "x" * 4096 + "  \n\n")
    assert emu.last(ALICE).plain == "x" * 4096 and sent.text == "x" * 4096
    await loa_bot.send_message(ALICE, "x\r\n" * 2048)  # 4096 once the \r are gone
    bold = await loa_bot.send_message(ALICE, "\n<b>  hi</b>  ")  # not trimmed inside an entity
    assert bold.text == "  hi" and emu.last(ALICE).entities == [
        {"type": "bold", "offset": 0, "length": 4}
    ]
    with pytest.raises(BadRequest, match=r"^Message is too long$"):
        await loa_bot.send_message(ALICE, "x" * 4096 + "\ty")  # a tab is a space, not trimmed


@pytest.mark.asyncio
async def test_empty_text_after_cleaning_is_refused(loa_bot: Bot) -> None:
    for text in ("<b> </b>\n", "\r\n\t", "<i></i>"):
        with pytest.raises(BadRequest, match=r"^Message text is empty$"):
            await loa_bot.send_message(ALICE, text)
    sent = await loa_bot.send_message(ALICE, "menu")
    with pytest.raises(BadRequest, match=r"^Message text is empty$"):
        await loa_bot.edit_message_text(" \n", ALICE, sent.message_id)


@pytest.mark.asyncio
async def test_edit_text_is_measured_like_a_send(emu: Emulator, loa_bot: Bot) -> None:
    sent = await loa_bot.send_message(ALICE, "short")
    with pytest.raises(BadRequest, match=r"^Message is too long$"):
        await loa_bot.edit_message_text("<b>é</b>" * 4097, ALICE, sent.message_id)
    await loa_bot.edit_message_text("<b>é</b>" * 4096, ALICE, sent.message_id)
    assert emu.last(ALICE).version == 1


@pytest.mark.asyncio
async def test_caption_length_is_the_visible_caption(emu: Emulator, loa_bot: Bot) -> None:
    await loa_bot.send_photo(ALICE, tiny_png(2, 2), caption="<i>" + "c" * 1024 + "</i>")
    with pytest.raises(BadRequest, match=r"^Message caption is too long$"):
        await loa_bot.send_photo(ALICE, tiny_png(2, 2), caption="&lt;" * 1025)
    doc = await loa_bot.send_document(ALICE, b"data", filename="a.txt", caption="😀" * 512)
    with pytest.raises(BadRequest, match=r"^Message caption is too long$"):
        await loa_bot.send_document(ALICE, b"data", filename="a.txt", caption="😀" * 512 + "!")
    with pytest.raises(BadRequest, match=r"^Message caption is too long$"):
        await loa_bot.edit_message_caption(
            ALICE, doc.message_id, caption="<b>" + "c" * 1025 + "</b>"
        )
    await loa_bot.edit_message_caption(ALICE, doc.message_id, caption="  " + "c" * 1024 + "\n")
    assert emu.last(ALICE).plain == "c" * 1024
    blank = await loa_bot.send_document(ALICE, b"data", filename="b.txt", caption=" \n")
    assert blank.caption is None  # a caption of whitespace is no caption, not an error


@pytest.mark.asyncio
async def test_markdown_is_counted_as_written(bot: Bot) -> None:
    # Loa never uses Markdown, so the emulator does not parse it: the markup characters count
    with pytest.raises(BadRequest, match=r"^Message is too long$"):
        await bot.send_message(ALICE, "*" + "x" * 4095 + "*", parse_mode=ParseMode.MARKDOWN_V2)


@pytest.mark.asyncio
async def test_callback_data_is_measured_in_bytes(bot: Bot) -> None:
    fits = InlineKeyboardMarkup([[InlineKeyboardButton("ok", callback_data="đ" * 32)]])
    await bot.send_message(ALICE, "64 bytes", reply_markup=fits)
    too_long = InlineKeyboardMarkup([[InlineKeyboardButton("no", callback_data="đ" * 33)]])
    with pytest.raises(BadRequest, match=r"^Button_data_invalid$"):
        await bot.send_message(ALICE, "66 bytes in 33 characters", reply_markup=too_long)


@pytest.mark.asyncio
async def test_more_than_100_inline_buttons_are_refused(emu: Emulator, bot: Bot) -> None:
    def keyboard(count: int) -> InlineKeyboardMarkup:
        buttons = [InlineKeyboardButton(str(i), callback_data=str(i)) for i in range(count)]
        return InlineKeyboardMarkup([buttons[i : i + 8] for i in range(0, count, 8)])

    sent = await bot.send_message(ALICE, "100", reply_markup=keyboard(100))
    with pytest.raises(BadRequest, match=r"^Reply markup is too long$"):
        await bot.send_message(ALICE, "101", reply_markup=keyboard(101))
    with pytest.raises(BadRequest, match=r"^Reply markup is too long$"):
        await bot.edit_message_reply_markup(ALICE, sent.message_id, reply_markup=keyboard(101))
    assert sum(len(row) for row in emu.last(ALICE).buttons()) == 100


@pytest.mark.asyncio
async def test_web_app_buttons_need_https(emu: Emulator, bot: Bot) -> None:
    def keyboard(url: str) -> InlineKeyboardMarkup:
        return InlineKeyboardMarkup([[InlineKeyboardButton("page", web_app=WebAppInfo(url))]])

    await bot.send_message(ALICE, "ok", reply_markup=keyboard("https://loa.example.vn/c/TT23"))
    assert emu.last(ALICE).inline_keyboard[0][0]["web_app"]["url"].startswith("https://")
    with pytest.raises(BadRequest, match=r"(?i)only https links are allowed"):
        await bot.send_message(ALICE, "no", reply_markup=keyboard("http://loa.example.vn/c/TT23"))


@pytest.mark.asyncio
async def test_force_bad_gateway_answers_a_bare_502(emu: Emulator, bot: Bot) -> None:
    emu.force_bad_gateway(2, methods=["sendMessage"])
    await bot.get_me()  # another method does not use up the failures
    for _ in range(2):
        with pytest.raises(NetworkError, match="Bad Gateway"):
            await bot.send_message(ALICE, "lost")
    await bot.send_message(ALICE, "through")
    assert [m.plain for m in emu.messages(ALICE)] == ["through"]
    assert emu.stats.bad_gateways == 2

    async with httpx.AsyncClient(base_url=emu.api_url) as client:
        forced = await client.post("/_emu/force_bad_gateway", json={"times": 1})
        assert forced.json() == {"ok": True, "result": None}
        answer = await client.post(f"/bot{TOKEN}/getMe")  # no filter: any method
        assert answer.status_code == 502 and answer.content == b""
        assert (await client.post(f"/bot{TOKEN}/getMe")).json()["ok"] is True


@pytest.mark.asyncio
async def test_next_message_positions(emu: Emulator, bot: Bot) -> None:
    await bot.send_message(ALICE, "one")
    mark = emu.mark()
    await bot.send_message(BOB, "for bob")
    second = await bot.send_message(ALICE, "two")
    assert (await emu.next_message(ALICE)).plain == "one"
    assert (await emu.next_message(ALICE)).plain == "two"
    assert (await emu.next_message(ALICE, after=mark)).plain == "two"

    waiter = asyncio.create_task(emu.next_message(ALICE, timeout=5))
    await asyncio.sleep(0)
    await bot.edit_message_text("two!", ALICE, second.message_id)
    assert (await waiter).plain == "two!"

    with pytest.raises(TimeoutError, match=r"'two!'"):  # the dump shows recent messages
        await emu.next_message(ALICE, timeout=0.05)
    with pytest.raises(TimeoutError, match="no bot message matched"):
        await emu.wait_for(lambda m: m.plain == "never", timeout=0.05)


# ------------------------------------------------------------------------------ files


@pytest.mark.asyncio
async def test_document_upload_get_file_and_download(emu: Emulator, bot: Bot) -> None:
    content = b"id,name\n1,Loa\n"
    msg = await bot.send_document(
        ALICE, content, filename="report.csv", caption="<b>Q3</b>", parse_mode=ParseMode.HTML
    )
    document = msg.document
    assert (document.file_name, document.file_size) == ("report.csv", len(content))
    assert msg.caption == "Q3"
    record = emu.last(ALICE)
    assert (record.document, record.caption, record.plain) == (
        document.file_id,
        "<b>Q3</b>",
        "Q3",
    )
    assert emu.file_bytes(document.file_id) == content

    file = await bot.get_file(document.file_id)
    assert file.file_size == len(content)
    assert file.file_path.startswith(emu.base_file_url)
    assert bytes(await file.download_as_bytearray()) == content

    again = await bot.send_document(BOB, document.file_id)  # reuse by file_id
    assert again.document.file_id == document.file_id
    with pytest.raises(BadRequest, match=r"(?i)wrong file identifier"):
        await bot.send_document(BOB, "no-such-file-id")

    png = tiny_png(3, 2)
    photo_msg = await bot.send_photo(ALICE, png, caption="pic")
    (size,) = photo_msg.photo
    assert (size.width, size.height, size.file_size) == (3, 2, len(png))
    assert emu.last(ALICE).photo == size.file_id
    assert bytes(await (await bot.get_file(size.file_id)).download_as_bytearray()) == png

    async with httpx.AsyncClient(base_url=emu.base_file_url) as client:
        missing = await client.get(f"{TOKEN}/documents/nope.csv")
        assert missing.status_code == 404


@pytest.mark.asyncio
async def test_bot_downloads_user_uploads(emu: Emulator, app: Application) -> None:
    payload = b"%PDF-1.4 fake" * 100
    emu.send_document(ALICE, "đơn.pdf", payload, mime_type="application/pdf", caption="đơn")
    reply = await emu.next_message(ALICE)
    digest = hashlib.sha1(payload).hexdigest()[:12]
    assert reply.plain == f"got đơn.pdf: {len(payload)} bytes {digest}"

    emu.send_photo(ALICE, tiny_png(4, 5))
    assert (await emu.next_message(ALICE)).plain.startswith("photo 4x5 ")

    emu.send_text(ALICE, "/report")
    report = await emu.next_message(ALICE)
    assert (report.method, report.plain) == ("sendDocument", "Report")
    assert emu.file_bytes(report.document) == b"id,name\n1,Loa\n"


@pytest.mark.asyncio
async def test_copy_message_records_the_copy(emu: Emulator, bot: Bot) -> None:
    upload = emu.send_document(ALICE, "note.txt", b"hello", caption="from Alice")
    copied = await bot.copy_message(BOB, ALICE, upload["message_id"])
    record = emu.last(BOB)
    assert copied.message_id == record.message_id
    assert record.method == "copyMessage"
    assert record.document == upload["document"]["file_id"]
    assert record.plain == "from Alice"

    text = emu.send_text(ALICE, "please forward")
    await bot.copy_message(BOB, ALICE, text["message_id"], reply_markup=MENU)
    assert emu.last(BOB).text == "please forward"
    assert emu.last(BOB).buttons()[0] == ["Yes", "No"]
    with pytest.raises(BadRequest, match=r"(?i)message to copy not found"):
        await bot.copy_message(BOB, ALICE, 999)


# ------------------------------------------------------------------------------ contacts, keyboards


@pytest.mark.asyncio
async def test_contact_via_reply_keyboard(emu: Emulator, app: Application) -> None:
    emu.send_text(ALICE, "/phone")
    ask = await emu.next_message(ALICE)
    assert ask.keyboard() == [["Share phone"], ["Cancel"]]
    assert emu.reply_keyboard(ALICE) == [["Share phone"], ["Cancel"]]

    emu.tap(ALICE, "Share phone", phone_number="+84901234567")
    reply = await emu.next_message(ALICE)
    assert reply.plain == f"phone +84901234567 of user {ALICE}"
    assert emu.reply_keyboard(ALICE) is None  # ReplyKeyboardRemove

    emu.send_contact(BOB, "+84900000000", contact_user_id=0, first_name="Ông Ba")
    assert (await emu.next_message(BOB)).plain == "phone +84900000000 of user None"


# ------------------------------------------------------------------------------ refusals, limits


@pytest.mark.asyncio
async def test_blocked_and_deleted_users_are_forbidden(emu: Emulator, bot: Bot) -> None:
    emu.block(ALICE)
    with pytest.raises(Forbidden, match=r"(?i)bot was blocked by the user"):
        await bot.send_message(ALICE, "hello?")
    (update,) = emu.pending_updates
    assert update["my_chat_member"]["new_chat_member"]["status"] == "kicked"
    emu.unblock(ALICE)
    await bot.send_message(ALICE, "welcome back")

    emu.delete_user(BOB)
    with pytest.raises(Forbidden, match=r"(?i)user is deactivated"):
        await bot.send_message(BOB, "hello?")
    with pytest.raises(ValueError, match="deleted"):
        emu.send_text(BOB, "ghost")
    assert emu.stats.forbidden == 2
    assert emu.stats.sent == 1


@pytest.mark.asyncio
async def test_rate_limit_retry_after_and_early_sends() -> None:
    clock = FakeClock()
    async with Emulator(TOKEN, rate_limit=3, clock=clock) as emu:
        emu.add_user(ALICE, "Alice")
        emu.add_user(BOB, "Bob")
        async with make_bot(emu) as bot:
            for i in range(3):
                await bot.send_message(ALICE if i % 2 else BOB, f"m{i}")
            with pytest.raises(RetryAfter) as first:
                await bot.send_message(ALICE, "too fast")
            assert retry_seconds(first.value) == 1
            assert (emu.stats.too_many_requests, emu.stats.early_sends) == (1, 0)

            clock.advance(0.5)  # the bot did not wait the full retry_after
            with pytest.raises(RetryAfter):
                await bot.send_message(ALICE, "still too early")
            assert (emu.stats.too_many_requests, emu.stats.early_sends) == (2, 1)

            clock.advance(0.6)
            await bot.send_message(ALICE, "after waiting")
            assert emu.stats.sent == 4
            assert [m.plain for m in emu.messages(ALICE)] == ["m1", "after waiting"]

            emu.set_limits(rate_limit=None)  # switched off at run time
            for i in range(10):
                await bot.send_message(ALICE, f"burst {i}")
            assert emu.stats.too_many_requests == 2


@pytest.mark.asyncio
async def test_well_behaved_sender_never_sends_early() -> None:
    """Real clock, real sleeps: a bot honouring retry_after gets no early_sends."""
    async with Emulator(TOKEN, rate_limit=5) as emu:
        emu.add_user(ALICE, "Alice")
        async with make_bot(emu) as bot:
            for i in range(7):
                while True:
                    try:
                        await bot.send_message(ALICE, f"n{i}")
                        break
                    except RetryAfter as exc:
                        await asyncio.sleep(retry_seconds(exc))
        assert emu.stats.sent == 7
        assert emu.stats.too_many_requests >= 1
        assert emu.stats.early_sends == 0


@pytest.mark.asyncio
async def test_force_429_storm() -> None:
    clock = FakeClock()
    async with Emulator(TOKEN, clock=clock) as emu:
        emu.add_user(ALICE, "Alice")
        async with make_bot(emu) as bot:
            emu.force_429(3, times=2)
            with pytest.raises(RetryAfter) as exc:
                await bot.send_message(ALICE, "a")
            assert retry_seconds(exc.value) == 3
            clock.advance(3)
            with pytest.raises(RetryAfter):  # second forced 429, not an early send
                await bot.send_message(ALICE, "a")
            clock.advance(1)
            with pytest.raises(RetryAfter) as exc:  # early: 2 seconds of the ban remain
                await bot.send_message(ALICE, "a")
            assert retry_seconds(exc.value) == 2
            clock.advance(2)
            await bot.send_message(ALICE, "a")
        assert emu.stats.to_dict() | {"calls": None} == {
            "calls": None,
            "sent": 1,
            "too_many_requests": 3,
            "early_sends": 1,
            "forbidden": 0,
            "bad_requests": 0,
            "bad_gateways": 0,
            "webhook_attempts": 0,
            "webhook_delivered": 0,
            "webhook_failures": 0,
            "webhook_peak_connections": 0,
        }


@pytest.mark.asyncio
async def test_per_chat_and_group_limits() -> None:
    clock = FakeClock()
    async with Emulator(TOKEN, per_chat_rate=1, group_rate_per_minute=2, clock=clock) as emu:
        emu.add_user(ALICE, "Alice")
        emu.add_user(BOB, "Bob")
        emu.add_group(GROUP, "Commune")
        async with make_bot(emu) as bot:
            await bot.send_message(ALICE, "1")
            with pytest.raises(RetryAfter) as exc:
                await bot.send_message(ALICE, "2")
            assert retry_seconds(exc.value) == 1
            await bot.send_message(BOB, "other chats are not affected")
            clock.advance(1)
            await bot.send_message(ALICE, "2")

            await bot.send_message(GROUP, "g1")
            clock.advance(10)
            await bot.send_message(GROUP, "g2")
            with pytest.raises(RetryAfter) as exc:
                await bot.send_message(GROUP, "g3")
            assert retry_seconds(exc.value) == 50
            clock.advance(49)
            with pytest.raises(RetryAfter):
                await bot.send_message(GROUP, "g3")
            clock.advance(1)
            await bot.send_message(GROUP, "g3")
        assert [m.plain for m in emu.messages(GROUP)] == ["g1", "g2", "g3"]
        assert (emu.stats.too_many_requests, emu.stats.early_sends) == (3, 1)


# ------------------------------------------------------------------------------ control endpoints


@pytest.mark.asyncio
async def test_control_endpoints(emu: Emulator, app: Application) -> None:
    async with httpx.AsyncClient(base_url=emu.api_url) as client:

        async def call(action: str, **body: object) -> httpx.Response:
            return await client.post(f"/_emu/{action}", json=body)

        created = await call("users", user_id=2001, first_name="Chi", username="chi")
        assert created.json()["result"]["username"] == "chi"
        sent = await call("send_text", user_id=2001, text="/start")
        assert sent.json()["result"]["text"] == "/start"

        outbox = (await client.get("/_emu/outbox", params={"since": 0, "timeout": 5})).json()
        (record,) = outbox["result"]
        assert record["plain"] == "Hello Chi & welcome" and outbox["next"] == 1

        missing = await call("press_button", user_id=2001, label_or_index="Maybe")
        assert missing.status_code == 404 and "available" in missing.json()["description"]
        pressed = await call("press_button", user_id=2001, label_or_index="Yes")
        await emu.wait_callback_answer(pressed.json()["result"])
        edit = (await client.get("/_emu/outbox", params={"since": 1, "timeout": 5})).json()
        assert edit["result"][0]["plain"] == "You chose yes"
        assert edit["result"][0]["previous_seq"] == 0

        mark = emu.mark()  # the HTTP outbox reads above do not move next_message's position
        doc = base64.b64encode(b"abc").decode()
        await call("send_document", user_id=2001, filename="a.txt", content_b64=doc)
        reply = await emu.next_message(2001, after=mark)
        assert reply.plain.startswith("got a.txt: 3 bytes")

        await call("send_contact", user_id=2001, phone_number="+84911111111")
        assert (await emu.next_message(2001)).plain == "phone +84911111111 of user 2001"

        limits = await call("limits", rate_limit=10)
        assert limits.json()["result"]["rate_limit"] == 10 and emu.rate_limit == 10
        await call("block", user_id=2001)
        await call("unblock", user_id=2001)
        assert (await call("nope")).status_code == 404
        assert (await call("users", user_id=1)).status_code == 400  # missing first_name

        stats = (await client.get("/_emu/stats")).json()["result"]
        assert stats["calls"]["sendMessage"] >= 3
        assert stats["calls"]["answerCallbackQuery"] == 1
        state = (await client.get("/_emu/messages", params={"chat_id": 2001})).json()["result"]
        assert state[0]["plain"] == "You chose yes"


# ---------------------------------------------------------------------- many sends at once


@pytest.mark.asyncio
async def test_many_concurrent_sends(emu: Emulator, bot: Bot) -> None:
    users = list(range(5000, 5050))
    for user_id in users:
        emu.add_user(user_id, f"U{user_id}")
    results = await asyncio.gather(   # how fast is measured in bench/, not asserted here
        *(bot.send_message(users[i % len(users)], f"broadcast {i}") for i in range(500))
    )
    assert len(emu.outbox) == 500 and emu.stats.sent == 500
    assert all(len(emu.messages(u)) == 10 for u in users)
    assert len({(m.chat_id, m.message_id) for m in results}) == 500
