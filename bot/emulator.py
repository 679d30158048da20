"""A small HTTP server that speaks the Telegram Bot API's wire format.

Why it exists: the real Bot API cannot be used in CI, and mocking python-telegram-bot's ``Bot``
skips the request layer where real bugs live (form encoding, file uploads, flood limits, error
mapping). This server lets the *unchanged* bot talk HTTP to it while a test, the terminal
sandbox or a benchmark plays the users and inspects what the bot sent.

Two faces:

* the Bot API side (``/bot{token}/{method}``, ``/file/bot{token}/{path}``) answered exactly in
  Telegram's ``{"ok": ..., "result": ...}`` envelope, including Telegram's error texts;
* the driver side: a Python API on :class:`Emulator` (``add_user``, ``send_text``,
  ``press_button``, ``next_message``, ...) and a thin JSON mirror of it under ``/_emu/`` for a
  driver living in another process.

Everything runs on one asyncio loop; request handlers never await in the middle of a state
change, so no locks are needed.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import bisect
import contextlib
import dataclasses
import functools
import hashlib
import itertools
import json
import math
import re
import secrets
import struct
import time
import traceback
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from aiohttp import BodyPartReader, web

__all__ = [
    "ApiError",
    "CallbackAnswer",
    "Emulator",
    "SentMessage",
    "Stats",
    "StoredFile",
    "parse_html",
]

JSON = dict[str, Any]

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64
MAX_DOWNLOAD = 20 * 1024 * 1024  # getFile refuses bigger files, as Telegram does

# Fields whose value is a user-visible string: never JSON-decode them ("[1, 2]" is valid text).
_RAW_FIELDS = frozenset(
    {
        "text", "caption", "message_text", "question", "explanation", "title", "description",
        "short_description", "name", "first_name", "last_name", "phone_number", "vcard",
        "address", "url", "emoji", "callback_query_id", "inline_query_id", "parse_mode",
        "caption_parse_mode", "language_code", "file_id", "secret_token", "document", "photo",
        "audio", "video", "voice", "animation", "video_note", "sticker", "thumbnail",
        "business_connection_id", "data", "query", "custom_title", "inline_message_id",
    }
)  # fmt: skip
# Fields Telegram documents as Integer (or "Integer or String" for chat ids).
_INT_FIELDS = frozenset(
    {
        "chat_id", "message_id", "from_chat_id", "offset", "limit", "timeout", "user_id",
        "message_thread_id", "reply_to_message_id", "cache_time", "duration", "width", "height",
    }
)  # fmt: skip
_MEDIA_KEYS = frozenset(
    {
        "document", "photo", "audio", "video", "voice", "animation", "sticker", "video_note",
        "contact", "location", "venue", "dice", "poll",
    }
)  # fmt: skip
_BUTTON_ACTIONS = frozenset(
    {
        "url", "callback_data", "web_app", "login_url", "switch_inline_query",
        "switch_inline_query_current_chat", "switch_inline_query_chosen_chat", "copy_text",
        "callback_game", "pay",
    }
)  # fmt: skip
# sendX method (lower-case) -> message field holding an uploaded file
_MEDIA_METHODS = {
    "senddocument": "document",
    "sendphoto": "photo",
    "sendaudio": "audio",
    "sendvideo": "video",
    "sendvoice": "voice",
    "sendanimation": "animation",
    "sendsticker": "sticker",
    "sendvideonote": "video_note",
}
_FILE_FOLDERS = {
    "document": "documents",
    "photo": "photos",
    "audio": "music",
    "video": "videos",
    "voice": "voice",
    "animation": "animations",
    "sticker": "stickers",
    "video_note": "video_notes",
}
_COMMAND_RE = re.compile(r"(?<![\w/])/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?")
_BOT_COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")
_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the "
    "same as a current content and reply markup of the message"
)


class ApiError(Exception):
    """A Bot API failure, rendered as Telegram's ``{"ok": false, ...}`` envelope."""

    def __init__(self, code: int, description: str, parameters: JSON | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters

    def payload(self) -> JSON:
        """Telegram's error body; ``parameters`` only when present, as Telegram does."""
        body: JSON = {"ok": False, "error_code": self.code, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def _bad(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


def _u16(text: str) -> int:
    """Length in UTF-16 code units: Telegram measures limits and entity offsets this way."""
    return len(text) if text.isascii() else len(text.encode("utf-16-le")) // 2


# --------------------------------------------------------------------------------------------
# Telegram-flavoured HTML
# --------------------------------------------------------------------------------------------

_TAG_RE = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)([^<>]*)>")
_ATTR_RE = re.compile(r"""([A-Za-z-]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?""")
_ENTITY_RE = re.compile(r"&(lt|gt|amp|quot|#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6});")
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_TAG_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
    "tg-time": "",  # accepted, but PTB has no entity type for it yet
}


def _unescape(text: str) -> str:
    """Decode only the entities Telegram decodes (&lt; &gt; &amp; &quot; and numeric ones)."""
    if "&" not in text:
        return text

    def repl(match: re.Match[str]) -> str:
        name = match.group(1)
        if name[0] != "#":
            return _NAMED_ENTITIES[name]
        code = int(name[2:], 16) if name[1] in "xX" else int(name[1:])
        try:
            return chr(code)
        except (ValueError, OverflowError):
            return match.group(0)

    return _ENTITY_RE.sub(repl, text)


def _byte_offset(raw: str, index: int) -> int:
    return len(raw[:index].encode())


def parse_html(raw: str, strict: bool = True) -> tuple[str, list[JSON]]:
    """Turn Telegram-HTML into ``(visible text, entities)``.

    Why: tests assert on what a user sees, and a stray ``<`` or an unsupported ``<br>`` makes
    the real Telegram reject the whole message, so ``strict`` reproduces Telegram's
    "can't parse entities" errors instead of letting such bugs pass locally.
    """
    out: list[str] = []
    entities: list[JSON] = []
    stack: list[tuple[str, int, dict[str, str]]] = []
    pos = 0  # UTF-16 offset in the visible text
    i, n = 0, len(raw)
    while i < n:
        lt = raw.find("<", i)
        chunk = raw[i:] if lt < 0 else raw[i:lt]
        if chunk:
            visible = _unescape(chunk)
            out.append(visible)
            pos += _u16(visible)
        if lt < 0:
            break
        match = _TAG_RE.match(raw, lt)
        if match is None:
            if strict:
                raise _bad(
                    'can\'t parse entities: Unsupported start tag "" at byte offset '
                    f"{_byte_offset(raw, lt)}"
                )
            out.append("<")
            pos += 1
            i = lt + 1
            continue
        i = match.end()
        closing, name, rest = match.group(1) == "/", match.group(2).lower(), match.group(3)
        if closing:
            if not stack or stack[-1][0] != name:
                if strict:
                    expected = f', expected "</{stack[-1][0]}>"' if stack else ""
                    raise _bad(
                        "can't parse entities: Unmatched end tag at byte offset "
                        f'{_byte_offset(raw, lt)}{expected}, found "</{name}>"'
                    )
                continue
            tag, start, attrs = stack.pop()
            entity = _html_entity(tag, start, pos - start, attrs, stack)
            if entity is not None:
                entities.append(entity)
            continue
        attrs = {
            key.lower(): _unescape(v1 or v2 or v3) for key, v1, v2, v3 in _ATTR_RE.findall(rest)
        }
        supported = name in _TAG_TYPES and (name != "span" or attrs.get("class") == "tg-spoiler")
        if not supported:
            if strict:
                raise _bad(
                    f'can\'t parse entities: Unsupported start tag "{name}" at byte offset '
                    f"{_byte_offset(raw, lt)}"
                )
            continue
        stack.append((name, pos, attrs))
    if stack and strict:
        raise _bad(
            "can't parse entities: Can't find end tag corresponding to start tag "
            f'"{stack[-1][0]}"'
        )
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


def _html_entity(
    tag: str, offset: int, length: int, attrs: dict[str, str], stack: list[Any]
) -> JSON | None:
    kind = _TAG_TYPES[tag]
    if tag == "code" and stack and stack[-1][0] == "pre":
        language = attrs.get("class", "")
        if language.startswith("language-"):
            stack[-1][2]["language"] = language[len("language-") :]
            return None  # Telegram folds <pre><code class=language-x> into one pre entity
    if not kind or length == 0:
        return None
    entity: JSON = {"type": kind, "offset": offset, "length": length}
    if tag == "a":
        if not attrs.get("href"):
            return None
        entity["url"] = attrs["href"]
    elif tag == "pre" and attrs.get("language"):
        entity["language"] = attrs["language"]
    elif tag == "blockquote" and "expandable" in attrs:
        entity["type"] = "expandable_blockquote"
    elif tag == "tg-emoji":
        entity["custom_emoji_id"] = attrs.get("emoji-id", "")
    return entity


# --------------------------------------------------------------------------------------------
# Records
# --------------------------------------------------------------------------------------------


@dataclass(slots=True, eq=False)
class SentMessage:
    """One version of a message the bot sent: a send, or an edit of an earlier version.

    Records are never mutated. An edit produces a new record (``version`` + 1, ``previous``
    pointing at the old one), so an event seen by ``wait_for`` keeps saying what the user saw
    at that moment, while ``Emulator.messages()`` returns the latest version of each message.
    ``seq`` is the record's index in ``Emulator.outbox``.
    """

    seq: int
    method: str
    chat_id: int
    message_id: int
    date: int
    at: float  # monotonic clock of the emulator when recorded
    text: str | None = None  # raw, as sent (HTML tags included)
    plain: str | None = None  # what the user sees: text or caption with markup removed
    parse_mode: str | None = None
    entities: list[JSON] | None = None  # of the text, or of the caption
    caption: str | None = None  # raw, as sent
    reply_markup: JSON | None = None
    document: str | None = None  # file_id
    photo: str | None = None  # file_id
    content: JSON = field(default_factory=dict, repr=False)  # Telegram fields: document, contact..
    allow_paid_broadcast: bool = False
    edit_date: int | None = None
    version: int = 0
    previous: SentMessage | None = field(default=None, repr=False)
    params: JSON = field(default_factory=dict, repr=False)  # the decoded request

    @property
    def is_edit(self) -> bool:
        return self.version > 0

    @property
    def history(self) -> list[SentMessage]:
        """All versions of this message up to this one, oldest first."""
        chain: list[SentMessage] = []
        rec: SentMessage | None = self
        while rec is not None:
            chain.append(rec)
            rec = rec.previous
        return chain[::-1]

    @property
    def edits(self) -> list[SentMessage]:
        """The edit records that led to this version (empty for an unedited message)."""
        return self.history[1:]

    @property
    def inline_keyboard(self) -> list[list[JSON]]:
        markup = self.reply_markup or {}
        return markup.get("inline_keyboard") or []

    def buttons(self) -> list[list[str]]:
        """Inline button labels by row."""
        return [[button.get("text", "") for button in row] for row in self.inline_keyboard]

    def keyboard(self) -> list[list[str]]:
        """Reply-keyboard button labels by row (empty when the message set none)."""
        rows = (self.reply_markup or {}).get("keyboard") or []
        return [[b if isinstance(b, str) else b.get("text", "") for b in row] for row in rows]

    def to_dict(self) -> JSON:
        """JSON-safe form for ``/_emu/outbox``."""
        data = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        data["previous_seq"] = self.previous.seq if self.previous else None
        del data["previous"]
        return data

    def describe(self) -> str:
        what = self.plain if self.plain is not None else f"<{', '.join(self.content) or '?'}>"
        if len(what) > 100:
            what = what[:97] + "..."
        edit = f" (edit v{self.version})" if self.version else ""
        buttons = f" buttons={self.buttons()}" if self.inline_keyboard else ""
        return (
            f"#{self.seq} {self.method} chat={self.chat_id} msg={self.message_id}{edit}: "
            f"{what!r}{buttons}"
        )


@dataclass(slots=True)
class CallbackAnswer:
    """One successful answerCallbackQuery."""

    callback_query_id: str
    text: str | None
    show_alert: bool
    url: str | None
    cache_time: int | None
    at: float


@dataclass(slots=True)
class StoredFile:
    """A file the emulator holds: uploaded by the bot or sent by a played user."""

    file_id: str
    file_unique_id: str
    kind: str
    content: bytes = field(repr=False)
    file_path: str
    file_name: str | None = None
    mime_type: str | None = None
    width: int = 0
    height: int = 0

    @property
    def file_size(self) -> int:
        return len(self.content)


@dataclass
class Stats:
    """Counters a test or a benchmark reads to prove what the bot did."""

    calls: Counter[str] = field(default_factory=Counter)  # per Bot API method
    sent: int = 0  # successful sends and edits
    too_many_requests: int = 0  # 429s answered
    early_sends: int = 0  # sends arriving while a retry_after was still running
    forbidden: int = 0  # 403s answered
    bad_requests: int = 0  # 400s answered

    def to_dict(self) -> JSON:
        data = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        data["calls"] = dict(self.calls)
        return data


@dataclass(slots=True)
class _Chat:
    id: int
    type: str
    info: JSON  # the Chat object put into messages
    last_message_id: int = 0
    blocked: bool = False
    deactivated: bool = False
    reply_keyboard: JSON | None = None


@dataclass(slots=True)
class _Upload:
    filename: str
    content_type: str | None
    data: bytes


@dataclass(slots=True)
class _Method:
    name: str  # canonical spelling, used in stats
    fn: Callable[..., Any]
    sends: bool = False  # a flood-limited send: fn(params, files, chat)


_UNSET: Any = object()


def _set_result(fut: asyncio.Future[None]) -> None:
    if not fut.done():
        fut.set_result(None)


def _wake(waiters: set[asyncio.Future[None]]) -> None:
    for fut in waiters:
        _set_result(fut)
    waiters.clear()


def _window(rate: float, seconds: float) -> tuple[int, float]:
    """(messages, window seconds) for a rate; fractional rates widen the window instead."""
    if rate >= 1:
        return int(rate), seconds
    return 1, seconds / rate


def _window_wait(times: deque[float], count: int, span: float, now: float) -> float:
    """Seconds until the sliding window has room again (0.0 when there is room now)."""
    horizon = now - span
    while times and times[0] <= horizon:
        times.popleft()
    if len(times) < count:
        return 0.0
    return times[-count] + span - now


def _decode_params(raw: dict[str, Any]) -> JSON:
    """Undo PTB's form encoding: JSON strings for nested objects, strings for numbers/bools."""
    out: JSON = {}
    for key, value in raw.items():
        if isinstance(value, str) and value and key not in _RAW_FIELDS:
            if key in _INT_FIELDS:
                if value.lstrip("-").isdigit():
                    value = int(value)
            elif value[0] in "{[":
                with contextlib.suppress(ValueError):
                    value = json.loads(value)
            elif value in ("true", "false"):
                value = value == "true"
        out[key] = value
    return out


def _image_size(data: bytes) -> tuple[int, int]:
    """Width/height of a PNG, GIF or JPEG, so returned PhotoSizes look plausible."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        return struct.unpack(">II", data[16:24])
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        return struct.unpack("<HH", data[6:10])
    if data[:2] == b"\xff\xd8":
        i = 2
        while i + 9 < len(data):
            if data[i] != 0xFF:
                i += 1
                continue
            marker = data[i + 1]
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                height, width = struct.unpack(">HH", data[i + 5 : i + 9])
                return width, height
            if marker == 0xFF or marker == 0x01 or 0xD0 <= marker <= 0xD9:
                i += 2 if marker != 0xFF else 1
                continue
            i += 2 + struct.unpack(">H", data[i + 2 : i + 4])[0]
    return 1, 1


def _json_response(payload: Any, status: int = 200) -> web.Response:
    body = json.dumps(payload, separators=(",", ":")).encode()
    return web.Response(body=body, status=status, content_type="application/json")


def _jsonable(value: Any) -> Any:
    if isinstance(value, SentMessage):
        return value.to_dict()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


# --------------------------------------------------------------------------------------------
# The emulator
# --------------------------------------------------------------------------------------------


class Emulator:
    """A fake Telegram: the Bot API over HTTP for the bot, a Python API for the test."""

    def __init__(
        self,
        token: str = "123456:TEST",
        bot_username: str = "loa_test_bot",
        rate_limit: float | None = None,
        per_chat_rate: float | None = None,
        group_rate_per_minute: float | None = None,
        *,
        bot_first_name: str = "Loa",
        strict_html: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Limits are off when None; they are plain attributes, so tests may change them live.

        ``clock`` drives flood limits and ``at`` stamps; inject a fake one to test retry_after
        handling without sleeping.
        """
        self.token = token
        prefix = token.split(":", 1)[0]
        self.bot_user: JSON = {
            "id": int(prefix) if prefix.isdigit() else 1,
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
        }
        self.rate_limit = rate_limit
        self.per_chat_rate = per_chat_rate
        self.group_rate_per_minute = group_rate_per_minute
        self.strict_html = strict_html
        self.clock = clock

        self.stats = Stats()
        self.outbox: list[SentMessage] = []
        self.callback_answers: list[CallbackAnswer] = []
        self.deleted: list[tuple[int, int]] = []  # (chat_id, message_id) the bot deleted
        self.internal_errors: list[str] = []  # emulator bugs, answered as HTTP 500
        self.webhook_url = ""

        self.host = "127.0.0.1"
        self.port: int | None = None
        self._runner: web.AppRunner | None = None
        self._closing = False

        self._users: dict[int, JSON] = {}
        self._chats: dict[int, _Chat] = {}
        self._live: dict[tuple[int, int], SentMessage] = {}  # latest version per message
        self._chat_live: dict[int, dict[int, SentMessage]] = {}  # chat -> message_id -> latest
        self._chat_events: dict[int, list[SentMessage]] = {}  # chat -> records in seq order
        self._cursors: dict[int, int] = {}  # chat -> next seq for next_message()
        self._user_msgs: dict[tuple[int, int], JSON] = {}  # messages the played users sent
        self._files: dict[str, StoredFile] = {}
        self._files_by_path: dict[str, StoredFile] = {}
        self._commands: dict[tuple[str, str], list[JSON]] = {}
        self._open_queries: set[str] = set()

        self._updates: deque[JSON] = deque()
        self._next_update_id = 1
        self._allowed_updates: frozenset[str] | None = None
        self._poll_generation = 0
        self._update_waiters: set[asyncio.Future[None]] = set()
        self._outbox_waiters: set[asyncio.Future[None]] = set()

        self._ban_until = 0.0  # global flood ban (rate_limit, force_429)
        self._chat_bans: dict[int, float] = {}
        self._forced_left = 0
        self._forced_retry = 1
        self._global_window: deque[float] = deque()
        self._chat_windows: dict[int, deque[float]] = {}

        self._counter = itertools.count(1)  # file ids, callback query ids
        self._methods = self._method_table()

    # ---------------------------------------------------------------- lifecycle

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> Emulator:
        """Listen on host:port (0 picks a free port, stored in ``self.port``)."""
        self._closing = False
        app = web.Application(client_max_size=64 * 1024 * 1024)
        router = app.router
        router.add_route("*", "/bot{token}/{method}", self._handle_api)
        router.add_get("/file/bot{token}/{file_path:.*}", self._handle_file)
        router.add_get("/_emu/outbox", self._handle_outbox)
        router.add_get("/_emu/messages", self._handle_messages)
        router.add_get("/_emu/stats", self._handle_stats)
        router.add_post("/_emu/{action}", self._handle_control)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        self.host = "127.0.0.1" if host in ("", "0.0.0.0") else host
        self.port = self._runner.addresses[0][1]
        return self

    async def stop(self) -> None:
        """Release long polls and waiters first so shutdown does not hang on them."""
        self._closing = True
        _wake(self._update_waiters)
        _wake(self._outbox_waiters)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Emulator:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def api_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.api_url}/bot"

    @property
    def base_file_url(self) -> str:
        return f"{self.api_url}/file/bot"

    # ---------------------------------------------------------------- limits

    def set_limits(
        self,
        rate_limit: float | None = _UNSET,
        per_chat_rate: float | None = _UNSET,
        group_rate_per_minute: float | None = _UNSET,
    ) -> JSON:
        """Change flood limits at run time; omitted ones stay, None switches one off."""
        if rate_limit is not _UNSET:
            self.rate_limit = rate_limit
        if per_chat_rate is not _UNSET:
            self.per_chat_rate = per_chat_rate
        if group_rate_per_minute is not _UNSET:
            self.group_rate_per_minute = group_rate_per_minute
        return self.limits()

    def limits(self) -> JSON:
        return {
            "rate_limit": self.rate_limit,
            "per_chat_rate": self.per_chat_rate,
            "group_rate_per_minute": self.group_rate_per_minute,
        }

    def force_429(self, retry_after: int = 1, times: int = 1) -> None:
        """Answer the next ``times`` sends with 429 (a storm), each starting a ban."""
        self._forced_retry = max(1, math.ceil(retry_after))
        self._forced_left = times

    def lift_bans(self) -> None:
        """Forget running retry_after bans and forced 429s (sandbox convenience)."""
        self._ban_until = 0.0
        self._chat_bans.clear()
        self._forced_left = 0

    def _too_many(self, retry_after: float) -> ApiError:
        seconds = max(1, math.ceil(retry_after))
        return ApiError(429, f"Too Many Requests: retry after {seconds}", {"retry_after": seconds})

    def _check_flood(self, chat_id: int, now: float) -> None:
        """Raise 429 when a send is not allowed now; bans make early retries visible."""
        if now < self._ban_until:
            self.stats.early_sends += 1
            raise self._too_many(self._ban_until - now)
        until = self._chat_bans.get(chat_id)
        if until is not None:
            if now < until:
                self.stats.early_sends += 1
                raise self._too_many(until - now)
            del self._chat_bans[chat_id]
        if self._forced_left > 0:
            self._forced_left -= 1
            self._ban_until = now + self._forced_retry
            raise self._too_many(self._forced_retry)
        if self.rate_limit:
            wait = _window_wait(self._global_window, *_window(self.rate_limit, 1.0), now)
            if wait > 0:
                error = self._too_many(wait)
                self._ban_until = now + error.parameters["retry_after"]
                raise error
        limit = self._chat_limit(chat_id)
        if limit is not None:
            times = self._chat_windows.setdefault(chat_id, deque())
            wait = _window_wait(times, *limit, now)
            if wait > 0:
                error = self._too_many(wait)
                self._chat_bans[chat_id] = now + error.parameters["retry_after"]
                raise error

    def _chat_limit(self, chat_id: int) -> tuple[int, float] | None:
        if chat_id > 0:
            return _window(self.per_chat_rate, 1.0) if self.per_chat_rate else None
        rate = self.group_rate_per_minute
        return _window(rate, 60.0) if rate else None

    def _note_sent(self, chat_id: int, now: float) -> None:
        self.stats.sent += 1
        if self.rate_limit:
            self._global_window.append(now)
        if self._chat_limit(chat_id) is not None:
            self._chat_windows.setdefault(chat_id, deque()).append(now)

    # ---------------------------------------------------------------- HTTP: Bot API side

    async def _handle_api(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _json_response(ApiError(401, "Unauthorized").payload(), 401)
        name = request.match_info["method"]
        key = name.lower()
        method = self._methods.get(key)
        if method is None and key.startswith("send") and key != "sendchataction":
            method = _Method(name, functools.partial(self._send_other, name), sends=True)
        self.stats.calls[method.name if method else name] += 1
        try:
            params, files = await self._read_params(request)
        except ConnectionError:  # the client went away mid-body (a bot shutting down)
            return web.Response(status=400)
        except ApiError as error:
            return _json_response(error.payload(), error.code)
        try:
            if method is None:
                result: Any = True
            elif key == "getupdates":
                result = await self._get_updates(params)
            elif method.sends:
                result = self._send(method, params, files)
            else:
                result = method.fn(params, files)
        except ApiError as error:
            if error.code == 403:
                self.stats.forbidden += 1
            elif error.code == 429:
                self.stats.too_many_requests += 1
            elif error.code == 400:
                self.stats.bad_requests += 1
            return _json_response(error.payload(), error.code)
        except Exception as exc:  # an emulator bug: make it loud, not a silent hang
            self.internal_errors.append(traceback.format_exc())
            error = ApiError(500, f"Internal Server Error: emulator failed: {exc!r}")
            return _json_response(error.payload(), 500)
        finally:
            if self._outbox_waiters:
                _wake(self._outbox_waiters)
        return _json_response({"ok": True, "result": result})

    async def _read_params(self, request: web.Request) -> tuple[JSON, dict[str, _Upload]]:
        """Collect query string + body (form, multipart or JSON) into one decoded dict."""
        raw: dict[str, Any] = dict(request.query) if request.query_string else {}
        files: dict[str, _Upload] = {}
        if request.body_exists:
            ctype = request.content_type
            if ctype == "multipart/form-data":
                reader = await request.multipart()
                while (part := await reader.next()) is not None:
                    if not isinstance(part, BodyPartReader) or part.name is None:
                        continue
                    if part.filename is not None:
                        data = bytes(await part.read(decode=True))
                        files[part.name] = _Upload(
                            part.filename, part.headers.get("Content-Type"), data
                        )
                    else:
                        raw[part.name] = await part.text()
            elif ctype == "application/json":
                try:
                    body = json.loads(await request.read() or b"{}")
                except ValueError as exc:
                    raise _bad("can't parse JSON object") from exc
                if not isinstance(body, dict):
                    raise _bad("can't parse JSON object")
                raw.update(body)
            else:
                body_text = (await request.read()).decode("utf-8", "replace")
                raw.update(parse_qsl(body_text, keep_blank_values=True))
        return _decode_params(raw), files

    async def _handle_file(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _json_response(ApiError(401, "Unauthorized").payload(), 401)
        stored = self._files_by_path.get(request.match_info["file_path"])
        if stored is None:
            return _json_response(ApiError(404, "Not Found").payload(), 404)
        return web.Response(
            body=stored.content, content_type=stored.mime_type or "application/octet-stream"
        )

    def _method_table(self) -> dict[str, _Method]:
        sends = {
            "sendMessage": self._send_message,
            "sendMediaGroup": self._send_media_group,
            "copyMessage": self._copy_message,
            "forwardMessage": self._forward_message,
            "editMessageText": self._edit_message_text,
            "editMessageCaption": self._edit_message_caption,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
        }
        plain = {
            "getMe": lambda p, f: {
                **self.bot_user,
                "can_join_groups": True,
                "can_read_all_group_messages": False,
                "supports_inline_queries": False,
                "can_connect_to_business": False,
                "has_main_web_app": False,
            },
            "getUpdates": None,  # async, special-cased in _handle_api
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": lambda p, f: {
                "url": self.webhook_url,
                "has_custom_certificate": False,
                "pending_update_count": len(self._updates),
            },
            "deleteMessage": self._delete_message,
            "deleteMessages": self._delete_messages,
            "answerCallbackQuery": self._answer_callback_query,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": lambda p, f: list(self._commands.get(self._commands_key(p), [])),
            "deleteMyCommands": self._delete_my_commands,
            "getFile": self._get_file,
            "getChat": self._get_chat,
            "getChatMember": self._get_chat_member,
        }
        table = {name.lower(): _Method(name, fn, sends=True) for name, fn in sends.items()}
        table.update({name.lower(): _Method(name, fn) for name, fn in plain.items()})
        for key, kind in _MEDIA_METHODS.items():
            name = "send" + kind.title().replace("_", "")
            table[key] = _Method(name, self._media_sender(name, kind), sends=True)
        return table

    # ---------------------------------------------------------------- updates

    async def _get_updates(self, p: JSON) -> list[JSON]:
        """Long polling: answer at once if updates wait, else when one arrives or time is up."""
        if self.webhook_url:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; use "
                "deleteWebhook to delete the webhook first",
            )
        allowed = p.get("allowed_updates")
        if isinstance(allowed, list):
            self._allowed_updates = frozenset(allowed) or None
        offset = p.get("offset")
        if isinstance(offset, int):
            if offset < 0:
                while len(self._updates) > -offset:
                    self._updates.popleft()
            else:
                while self._updates and self._updates[0]["update_id"] < offset:
                    self._updates.popleft()
        limit = p.get("limit")
        limit = min(max(limit, 1), 100) if isinstance(limit, int) else 100
        try:
            timeout = max(0.0, float(p.get("timeout") or 0))
        except (TypeError, ValueError):
            timeout = 0.0
        # A newer getUpdates terminates an older one, as on Telegram (two bot instances).
        self._poll_generation += 1
        generation = self._poll_generation
        _wake(self._update_waiters)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            batch = self._pending(limit)
            remaining = deadline - loop.time()
            if batch or remaining <= 0 or self._closing:
                return batch
            await self._wait(self._update_waiters, remaining)
            if generation != self._poll_generation:
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; make sure that only "
                    "one bot instance is running",
                )

    def _pending(self, limit: int) -> list[JSON]:
        allowed = self._allowed_updates
        if allowed is None:
            return list(itertools.islice(self._updates, limit))
        batch = []
        for update in self._updates:
            if any(key in allowed for key in update if key != "update_id"):
                batch.append(update)
                if len(batch) >= limit:
                    break
        return batch

    def _set_webhook(self, p: JSON, files: dict[str, _Upload]) -> bool:
        self.webhook_url = str(p.get("url") or "")
        return True

    def _delete_webhook(self, p: JSON, files: dict[str, _Upload]) -> bool:
        self.webhook_url = ""
        if p.get("drop_pending_updates") is True:
            self._updates.clear()
        return True

    async def _wait(self, waiters: set[asyncio.Future[None]], timeout: float) -> None:
        """Sleep until woken through ``waiters`` or ``timeout`` seconds pass."""
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[None] = loop.create_future()
        handle = loop.call_later(max(0.0, timeout), _set_result, fut)
        waiters.add(fut)
        try:
            await fut
        finally:
            handle.cancel()
            waiters.discard(fut)

    # ---------------------------------------------------------------- sending

    def _chat_for(self, p: JSON, key: str = "chat_id") -> _Chat:
        chat_id = p.get(key)
        if chat_id is None or chat_id == "":
            raise _bad(f"{key} is empty")
        chat = self._chats.get(chat_id) if isinstance(chat_id, int) else None
        if chat is None and isinstance(chat_id, str):  # "@username" of a public chat
            wanted = chat_id.lstrip("@").lower()
            for candidate in self._chats.values():
                if str(candidate.info.get("username", "")).lower() == wanted:
                    chat = candidate
        if chat is None:
            raise _bad("chat not found")
        return chat

    def _send(self, method: _Method, p: JSON, files: dict[str, _Upload]) -> Any:
        """The common path of every send/edit: reachability, flood control, then the method."""
        chat = self._chat_for(p)
        if chat.deactivated:
            raise ApiError(403, "Forbidden: user is deactivated")
        if chat.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        now = self.clock()
        self._check_flood(chat.id, now)
        result = method.fn(p, files, chat)
        self._note_sent(chat.id, now)
        return result

    def _render(
        self, raw: Any, parse_mode: Any, entities: Any, limit: int, *, is_caption: bool
    ) -> tuple[str, str, list[JSON] | None]:
        """(raw, visible, entities) of a text or caption, with Telegram's length checks."""
        raw = "" if raw is None else str(raw)
        if isinstance(parse_mode, str) and parse_mode.lower() == "html":
            plain, found = parse_html(raw, strict=self.strict_html)
            ents: list[JSON] | None = found or None
        else:
            plain, ents = raw, (entities if isinstance(entities, list) and entities else None)
        if not is_caption and not plain.strip():
            raise _bad("message text is empty")
        if _u16(plain) > limit:
            raise _bad("message caption is too long" if is_caption else "message is too long")
        return raw, plain, ents

    def _markup(self, p: JSON) -> JSON | None:
        markup = p.get("reply_markup")
        if markup is None or markup == "":
            return None
        if not isinstance(markup, dict):
            raise _bad("can't parse reply keyboard markup JSON object")
        rows = markup.get("inline_keyboard")
        if rows is None:
            return markup
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise _bad(
                'field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays'
            )
        for row in rows:
            for button in row:
                if not isinstance(button, dict) or not _BUTTON_ACTIONS.intersection(button):
                    raise _bad(
                        "can't parse inline keyboard button: Text buttons are unallowed in the "
                        "inline keyboard"
                    )
                data = button.get("callback_data")
                if data is not None and not 1 <= len(str(data).encode()) <= MAX_CALLBACK_DATA:
                    raise _bad("BUTTON_DATA_INVALID")
        return markup

    def _record(self, method: str, chat: _Chat, p: JSON, **fields: Any) -> SentMessage:
        chat.last_message_id += 1
        rec = SentMessage(
            seq=len(self.outbox),
            method=method,
            chat_id=chat.id,
            message_id=chat.last_message_id,
            date=int(time.time()),
            at=self.clock(),
            allow_paid_broadcast=p.get("allow_paid_broadcast") is True,
            params=p,
            **fields,
        )
        markup = rec.reply_markup
        if markup is not None:
            if "keyboard" in markup:
                chat.reply_keyboard = markup
            elif markup.get("remove_keyboard"):
                chat.reply_keyboard = None
        self._publish(rec)
        return rec

    def _publish(self, rec: SentMessage) -> None:
        """Make a send/edit visible to the indexes and wake everyone waiting on the outbox."""
        self.outbox.append(rec)
        self._chat_events.setdefault(rec.chat_id, []).append(rec)
        self._live[(rec.chat_id, rec.message_id)] = rec
        self._chat_live.setdefault(rec.chat_id, {})[rec.message_id] = rec
        if self._outbox_waiters:
            _wake(self._outbox_waiters)

    def _message_dict(self, rec: SentMessage) -> JSON:
        """The Message object Telegram would return for a bot message."""
        chat = self._chats.get(rec.chat_id)
        msg: JSON = {
            "message_id": rec.message_id,
            "from": self.bot_user,
            "chat": chat.info if chat else {"id": rec.chat_id, "type": "private"},
            "date": rec.date,
        }
        if rec.edit_date is not None:
            msg["edit_date"] = rec.edit_date
        if rec.text is not None:
            msg["text"] = rec.plain
            if rec.entities:
                msg["entities"] = rec.entities
        if rec.content:
            msg.update(rec.content)
        if rec.caption is not None:
            msg["caption"] = rec.plain
            if rec.entities:
                msg["caption_entities"] = rec.entities
        if rec.reply_markup and "inline_keyboard" in rec.reply_markup:
            msg["reply_markup"] = rec.reply_markup
        return msg

    def _send_message(self, p: JSON, files: dict[str, _Upload], chat: _Chat) -> JSON:
        raw, plain, ents = self._render(
            p.get("text"), p.get("parse_mode"), p.get("entities"), MAX_TEXT, is_caption=False
        )
        rec = self._record(
            "sendMessage",
            chat,
            p,
            text=raw,
            plain=plain,
            parse_mode=p.get("parse_mode"),
            entities=ents,
            reply_markup=self._markup(p),
        )
        return self._message_dict(rec)

    def _caption_fields(self, p: JSON) -> JSON:
        if p.get("caption") is None:
            return {}
        raw, plain, ents = self._render(
            p["caption"],
            p.get("parse_mode"),
            p.get("caption_entities"),
            MAX_CAPTION,
            is_caption=True,
        )
        return {"caption": raw, "plain": plain, "parse_mode": p.get("parse_mode"), "entities": ents}

    def _media_sender(self, method: str, kind: str) -> Callable[..., JSON]:
        def send(p: JSON, files: dict[str, _Upload], chat: _Chat) -> JSON:
            stored = self._resolve_file(kind, p.get(kind), files, default_part=kind)
            caption = self._caption_fields(p)  # validate before recording anything
            markup = self._markup(p)
            rec = self._record(
                method,
                chat,
                p,
                content={kind: self._media_object(stored)},
                document=stored.file_id if kind == "document" else None,
                photo=stored.file_id if kind == "photo" else None,
                reply_markup=markup,
                **caption,
            )
            return self._message_dict(rec)

        return send

    def _send_media_group(self, p: JSON, files: dict[str, _Upload], chat: _Chat) -> list[JSON]:
        media = p.get("media")
        if not isinstance(media, list) or not media:
            raise _bad("media must be a non-empty array")
        prepared = []
        for item in media:
            if not isinstance(item, dict) or item.get("type") not in _FILE_FOLDERS:
                raise _bad("can't parse InputMedia")
            kind = item["type"]
            stored = self._resolve_file(kind, item.get("media"), files, default_part=None)
            prepared.append((kind, stored, self._caption_fields(item)))
        group_id = str(next(self._counter))
        result = []
        for kind, stored, caption in prepared:
            rec = self._record(
                "sendMediaGroup",
                chat,
                p,
                content={kind: self._media_object(stored), "media_group_id": group_id},
                document=stored.file_id if kind == "document" else None,
                photo=stored.file_id if kind == "photo" else None,
                **caption,
            )
            result.append(self._message_dict(rec))
        return result

    def _send_other(self, method: str, p: JSON, files: dict[str, _Upload], chat: _Chat) -> JSON:
        """Any other sendX: keep the content Telegram would echo, so PTB gets a Message."""
        content: JSON = {}
        if "phone_number" in p:
            contact = {"phone_number": str(p["phone_number"])}
            for key in ("first_name", "last_name", "vcard"):
                if p.get(key) is not None:
                    contact[key] = str(p[key])
            content["contact"] = contact
        elif "latitude" in p and "longitude" in p:
            location = {"latitude": float(p["latitude"]), "longitude": float(p["longitude"])}
            if "title" in p:
                content["venue"] = {
                    "location": location,
                    "title": str(p["title"]),
                    "address": str(p.get("address", "")),
                }
            content["location"] = location
        elif "question" in p and isinstance(p.get("options"), list):
            options = [o if isinstance(o, str) else o.get("text", "") for o in p["options"]]
            content["poll"] = {
                "id": str(next(self._counter)),
                "question": str(p["question"]),
                "options": [{"text": o, "voter_count": 0} for o in options],
                "total_voter_count": 0,
                "is_closed": False,
                "is_anonymous": p.get("is_anonymous", True) is not False,
                "type": str(p.get("type", "regular")),
                "allows_multiple_answers": p.get("allows_multiple_answers") is True,
            }
        elif "emoji" in p or method.lower() == "senddice":
            content["dice"] = {"emoji": str(p.get("emoji") or "🎲"), "value": 1}
        rec = self._record(method, chat, p, content=content, reply_markup=self._markup(p))
        return self._message_dict(rec)

    def _source_message(self, p: JSON) -> JSON:
        source = self._chat_for(p, "from_chat_id")
        key = (source.id, p.get("message_id"))
        if key in self._live:
            return self._message_dict(self._live[key])
        if key in self._user_msgs:
            return self._user_msgs[key]
        raise _bad("message to copy not found")

    def _copy_fields(self, src: JSON, p: JSON) -> JSON:
        content = {k: v for k, v in src.items() if k in _MEDIA_KEYS}
        fields: JSON = {
            "content": content,
            "document": (content.get("document") or {}).get("file_id"),
            "photo": content["photo"][-1]["file_id"] if content.get("photo") else None,
            "reply_markup": self._markup(p),
        }
        if "text" in src:
            fields.update(text=src["text"], plain=src["text"], entities=src.get("entities"))
        elif p.get("caption") is not None:
            fields.update(self._caption_fields(p))
        elif "caption" in src:
            fields.update(
                caption=src["caption"],
                plain=src["caption"],
                entities=src.get("caption_entities"),
            )
        return fields

    def _copy_message(self, p: JSON, files: dict[str, _Upload], chat: _Chat) -> JSON:
        src = self._source_message(p)
        rec = self._record("copyMessage", chat, p, **self._copy_fields(src, p))
        return {"message_id": rec.message_id}

    def _forward_message(self, p: JSON, files: dict[str, _Upload], chat: _Chat) -> JSON:
        src = self._source_message(p)
        fields = self._copy_fields(src, {})
        fields["content"]["forward_origin"] = {
            "type": "user",
            "sender_user": src.get("from", self.bot_user),
            "date": src.get("date", int(time.time())),
        }
        return self._message_dict(self._record("forwardMessage", chat, p, **fields))

    # ---------------------------------------------------------------- edits, deletes

    def _editable(self, chat: _Chat, p: JSON) -> SentMessage:
        if p.get("inline_message_id"):
            raise _bad("MESSAGE_ID_INVALID")
        rec = self._live.get((chat.id, p.get("message_id")))
        if rec is None:
            raise _bad("message to edit not found")
        return rec

    def _apply_edit(self, old: SentMessage, method: str, p: JSON, **changes: Any) -> JSON:
        old_inline = old.reply_markup if old.inline_keyboard else None
        new_markup = changes.get("reply_markup", old.reply_markup)
        new_inline = new_markup if new_markup and "inline_keyboard" in new_markup else None
        # Telegram compares what the user would see, not the markup language used to say it.
        same = all(getattr(old, k) == changes[k] for k in ("plain", "entities") if k in changes)
        if same and old_inline == new_inline:
            raise _bad(_NOT_MODIFIED)
        rec = dataclasses.replace(
            old,
            seq=len(self.outbox),
            method=method,
            at=self.clock(),
            edit_date=int(time.time()),
            version=old.version + 1,
            previous=old,
            params=p,
            **changes,
        )
        self._publish(rec)
        return self._message_dict(rec)

    def _edited_markup(self, old: SentMessage, p: JSON) -> JSON | None:
        """Telegram drops an inline keyboard that an edit does not repeat; reply keyboards stay."""
        markup = self._markup(p)
        if markup is not None:
            return markup
        return None if old.inline_keyboard else old.reply_markup

    def _edit_message_text(self, p: JSON, files: dict[str, _Upload], chat: _Chat) -> JSON:
        old = self._editable(chat, p)
        if old.text is None:
            raise _bad("there is no text in the message to edit")
        raw, plain, ents = self._render(
            p.get("text"), p.get("parse_mode"), p.get("entities"), MAX_TEXT, is_caption=False
        )
        return self._apply_edit(
            old,
            "editMessageText",
            p,
            text=raw,
            plain=plain,
            entities=ents,
            parse_mode=p.get("parse_mode"),
            reply_markup=self._edited_markup(old, p),
        )

    def _edit_message_caption(self, p: JSON, files: dict[str, _Upload], chat: _Chat) -> JSON:
        old = self._editable(chat, p)
        if old.text is not None or not old.content:
            raise _bad("there is no caption in the message to edit")
        caption = self._caption_fields(p) or {
            "caption": None,
            "plain": None,
            "entities": None,
            "parse_mode": None,
        }
        return self._apply_edit(
            old,
            "editMessageCaption",
            p,
            reply_markup=self._edited_markup(old, p),
            **caption,
        )

    def _edit_message_reply_markup(self, p: JSON, files: dict[str, _Upload], chat: _Chat) -> JSON:
        old = self._editable(chat, p)
        return self._apply_edit(
            old, "editMessageReplyMarkup", p, reply_markup=self._edited_markup(old, p)
        )

    def _delete_message(self, p: JSON, files: dict[str, _Upload]) -> bool:
        chat = self._chat_for(p)
        if not self._delete_one(chat.id, p.get("message_id")):
            raise _bad("message to delete not found")
        return True

    def _delete_messages(self, p: JSON, files: dict[str, _Upload]) -> bool:
        chat = self._chat_for(p)
        ids = p.get("message_ids")
        if not isinstance(ids, list):
            raise _bad("message_ids must be an array")
        for message_id in ids:
            self._delete_one(chat.id, message_id)
        return True

    def _delete_one(self, chat_id: int, message_id: Any) -> bool:
        key = (chat_id, message_id)
        if self._live.pop(key, None) is not None:
            self._chat_live[chat_id].pop(message_id, None)
            self.deleted.append(key)
            return True
        return self._user_msgs.pop(key, None) is not None

    # ---------------------------------------------------------------- other methods

    def _answer_callback_query(self, p: JSON, files: dict[str, _Upload]) -> bool:
        query_id = str(p.get("callback_query_id", ""))
        if query_id not in self._open_queries:
            raise _bad("query is too old and response timeout expired or query ID is invalid")
        self._open_queries.discard(query_id)
        self.callback_answers.append(
            CallbackAnswer(
                callback_query_id=query_id,
                text=p.get("text"),
                show_alert=p.get("show_alert") is True,
                url=p.get("url"),
                cache_time=p.get("cache_time"),
                at=self.clock(),
            )
        )
        return True

    @staticmethod
    def _scope_key(scope: Any) -> str:
        """Canonical JSON of a BotCommandScope, so equal scopes share one command list."""
        if not isinstance(scope, dict) or not scope:
            scope = {"type": "default"}
        scope = dict(scope)
        for key in ("chat_id", "user_id"):
            value = scope.get(key)
            if isinstance(value, str) and value.lstrip("-").isdigit():
                scope[key] = int(value)
        return json.dumps(scope, sort_keys=True, separators=(",", ":"))

    def _commands_key(self, p: JSON) -> tuple[str, str]:
        return self._scope_key(p.get("scope")), str(p.get("language_code") or "")

    def _set_my_commands(self, p: JSON, files: dict[str, _Upload]) -> bool:
        commands = p.get("commands")
        if not isinstance(commands, list):
            raise _bad("can't parse commands JSON object")
        for command in commands:
            if not isinstance(command, dict) or not _BOT_COMMAND_RE.match(
                str(command.get("command", ""))
            ):
                raise _bad("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise _bad("BOT_COMMAND_DESCRIPTION_INVALID")
        self._commands[self._commands_key(p)] = commands
        return True

    def _delete_my_commands(self, p: JSON, files: dict[str, _Upload]) -> bool:
        self._commands.pop(self._commands_key(p), None)
        return True

    def _get_chat(self, p: JSON, files: dict[str, _Upload]) -> JSON:
        chat = self._chat_for(p)
        return {
            **chat.info,
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": True,
                "limited_gifts": True,
                "unique_gifts": True,
                "premium_subscription": True,
                "gifts_from_channels": True,
            },
        }

    def _get_chat_member(self, p: JSON, files: dict[str, _Upload]) -> JSON:
        self._chat_for(p)
        user_id = p.get("user_id")
        if user_id == self.bot_user["id"]:
            return {"user": self.bot_user, "status": "member"}
        if user_id not in self._users:
            raise _bad("user not found")
        return {"user": self._users[user_id], "status": "member"}

    # ---------------------------------------------------------------- files

    def _store_file(
        self, kind: str, content: bytes, file_name: str | None, mime_type: str | None
    ) -> StoredFile:
        n = next(self._counter)
        file_id = f"{kind[:3].upper()}{n}-{secrets.token_hex(6)}"
        unique = "AQAD" + hashlib.sha1(content).hexdigest()[:16]
        suffix = PurePosixPath(file_name).suffix if file_name else ""
        if kind == "photo":
            suffix = ".jpg"
        path = f"{_FILE_FOLDERS.get(kind, 'documents')}/file_{n}{suffix}"
        width, height = _image_size(content) if kind == "photo" else (0, 0)
        stored = StoredFile(
            file_id, unique, kind, content, path, file_name, mime_type, width, height
        )
        self._files[file_id] = stored
        self._files_by_path[path] = stored
        return stored

    def _resolve_file(
        self, kind: str, value: Any, files: dict[str, _Upload], default_part: str | None
    ) -> StoredFile:
        """An upload (field or attach://), a known file_id to reuse, or an HTTP URL."""
        upload = None
        if isinstance(value, str) and value.startswith("attach://"):
            upload = files.get(value[len("attach://") :])
            if upload is None:
                raise _bad(f"file {value} not found in the request")
        elif value is None or value == "":
            upload = files.get(default_part) if default_part else None
            if upload is None:
                raise _bad(f"there is no {kind} in the request")
        elif isinstance(value, str) and value.startswith(("http://", "https://")):
            name = PurePosixPath(urlsplit(value).path).name or None
            return self._store_file(kind, b"", name, None)
        else:
            stored = self._files.get(str(value))
            if stored is None:
                raise _bad("wrong file identifier/HTTP URL specified")
            return stored
        if not upload.data:
            raise _bad("file must be non-empty")
        return self._store_file(kind, upload.data, upload.filename, upload.content_type)

    @staticmethod
    def _media_object(f: StoredFile) -> Any:
        """The Telegram object for a file, with the fields PTB's de_json requires."""
        base = {"file_id": f.file_id, "file_unique_id": f.file_unique_id, "file_size": f.file_size}
        if f.kind == "photo":
            return [{**base, "width": f.width, "height": f.height}]
        named = {**base, "file_name": f.file_name, "mime_type": f.mime_type}
        named = {k: v for k, v in named.items() if v is not None}
        extra: dict[str, JSON] = {
            "audio": {"duration": 0},
            "video": {"duration": 0, "width": 640, "height": 360},
            "animation": {"duration": 0, "width": 320, "height": 240},
            "voice": {"duration": 0},
            "video_note": {"duration": 0, "length": 240},
            "sticker": {
                "width": 512,
                "height": 512,
                "is_animated": False,
                "is_video": False,
                "type": "regular",
            },
        }
        if f.kind in ("voice", "video_note", "sticker"):
            return {**base, **extra[f.kind]}
        return {**named, **extra.get(f.kind, {})}

    def _get_file(self, p: JSON, files: dict[str, _Upload]) -> JSON:
        stored = self._files.get(str(p.get("file_id", "")))
        if stored is None:
            raise _bad("invalid file_id")
        if stored.file_size > MAX_DOWNLOAD:
            raise _bad("file is too big")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.file_size,
            "file_path": stored.file_path,
        }

    def file_bytes(self, file_id: str) -> bytes:
        """Content of a file the bot uploaded or a played user sent."""
        try:
            return self._files[file_id].content
        except KeyError:
            raise LookupError(f"no file with file_id {file_id!r}") from None

    # ---------------------------------------------------------------- playing users

    def add_user(
        self,
        user_id: int,
        first_name: str,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "vi",
    ) -> JSON:
        """Create (or update) a user and their private chat, whose id equals the user id."""
        user: JSON = {"id": user_id, "is_bot": False, "first_name": first_name}
        info: JSON = {"id": user_id, "type": "private", "first_name": first_name}
        for key, value in (("last_name", last_name), ("username", username)):
            if value is not None:
                user[key] = value
                info[key] = value
        if language_code:
            user["language_code"] = language_code
        self._users[user_id] = user
        chat = self._chats.get(user_id)
        if chat is None:
            self._chats[user_id] = _Chat(user_id, "private", info)
        else:
            chat.info = info
        return user

    def add_group(self, chat_id: int, title: str, type: str = "supergroup") -> JSON:
        """Create a group/supergroup/channel (negative id) the bot can post to."""
        if chat_id >= 0:
            raise ValueError("group chat ids are negative")
        info: JSON = {"id": chat_id, "type": type, "title": title}
        self._chats[chat_id] = _Chat(chat_id, type, info)
        return info

    def _user(self, user_id: int) -> JSON:
        user = self._users.get(user_id)
        if user is None:
            raise LookupError(f"unknown user {user_id}; call add_user() first")
        if self._chats[user_id].deactivated:
            raise ValueError(f"user {user_id} is deleted")
        return user

    def _user_message(self, user_id: int, chat_id: int | None, content: JSON) -> JSON:
        user = self._user(user_id)
        chat = self._chats.get(user_id if chat_id is None else chat_id)
        if chat is None:
            raise LookupError(f"unknown chat {chat_id}")
        if chat.blocked:  # writing to a bot means pressing "Restart" first
            self.unblock(user_id)
        chat.last_message_id += 1
        msg: JSON = {
            "message_id": chat.last_message_id,
            "from": user,
            "chat": chat.info,
            "date": int(time.time()),
            **content,
        }
        self._user_msgs[(chat.id, chat.last_message_id)] = msg
        self.inject_update({"message": msg})
        return msg

    def inject_update(self, update: JSON) -> JSON:
        """Queue a raw update for getUpdates; the update_id is assigned here."""
        update = {**update, "update_id": self._next_update_id}
        self._next_update_id += 1
        self._updates.append(update)
        if self._update_waiters:
            _wake(self._update_waiters)
        return update

    def send_text(
        self,
        user_id: int,
        text: str,
        *,
        chat_id: int | None = None,
        reply_to_message_id: int | None = None,
    ) -> JSON:
        """The user types ``text``; /commands (also /cmd@bot) get bot_command entities."""
        content: JSON = {"text": text}
        entities = [
            {"type": "bot_command", "offset": _u16(text[: m.start()]), "length": _u16(m[0])}
            for m in _COMMAND_RE.finditer(text)
        ]
        if entities:
            content["entities"] = entities
        if reply_to_message_id is not None:
            target = chat_id if chat_id is not None else user_id
            replied = self._live.get((target, reply_to_message_id))
            original = (
                self._message_dict(replied)
                if replied
                else self._user_msgs.get((target, reply_to_message_id))
            )
            if original is not None:
                content["reply_to_message"] = original
        return self._user_message(user_id, chat_id, content)

    def send_contact(
        self,
        user_id: int,
        phone_number: str,
        contact_user_id: int | None = None,
        first_name: str | None = None,
        last_name: str | None = None,
    ) -> JSON:
        """Share a contact; by default the user's own (``contact_user_id=0`` for none)."""
        owner = user_id if contact_user_id is None else contact_user_id
        known = self._users.get(owner, {})
        contact: JSON = {
            "phone_number": phone_number,
            "first_name": first_name or known.get("first_name") or "Contact",
        }
        if last_name or known.get("last_name"):
            contact["last_name"] = last_name or known["last_name"]
        if owner:
            contact["user_id"] = owner
        return self._user_message(user_id, None, {"contact": contact})

    def send_document(
        self,
        user_id: int,
        filename: str,
        content: bytes,
        mime_type: str = "application/octet-stream",
        caption: str | None = None,
        *,
        chat_id: int | None = None,
    ) -> JSON:
        """The user uploads a file; the bot can fetch it through getFile."""
        stored = self._store_file("document", content, filename, mime_type)
        fields: JSON = {"document": self._media_object(stored)}
        if caption is not None:
            fields["caption"] = caption
        return self._user_message(user_id, chat_id, fields)

    def send_photo(
        self,
        user_id: int,
        content: bytes,
        caption: str | None = None,
        *,
        chat_id: int | None = None,
    ) -> JSON:
        stored = self._store_file("photo", content, None, "image/jpeg")
        fields: JSON = {"photo": self._media_object(stored)}
        if caption is not None:
            fields["caption"] = caption
        return self._user_message(user_id, chat_id, fields)

    def _target_message(self, chat_id: int, message_id: int | None) -> SentMessage:
        if message_id is not None:
            rec = self._live.get((chat_id, message_id))
            if rec is None:
                raise LookupError(f"no bot message {message_id} in chat {chat_id}")
            return rec
        for rec in reversed(self._chat_live.get(chat_id, {}).values()):
            if rec.inline_keyboard:
                return rec
        raise LookupError(f"no bot message with an inline keyboard in chat {chat_id}")

    def press(
        self,
        user_id: int,
        callback_data: str,
        message_id: int | None = None,
        *,
        chat_id: int | None = None,
    ) -> str:
        """Send a callback_query for a message (default: the latest one with inline buttons)."""
        user = self._user(user_id)
        target = user_id if chat_id is None else chat_id
        rec = self._target_message(target, message_id)
        query_id = str(4_000_000_000 + next(self._counter))
        self._open_queries.add(query_id)
        self.inject_update(
            {
                "callback_query": {
                    "id": query_id,
                    "from": user,
                    "message": self._message_dict(rec),
                    "chat_instance": str(abs(target) * 7919 + 1),
                    "data": callback_data,
                }
            }
        )
        return query_id

    def press_button(
        self,
        user_id: int,
        label_or_index: str | int,
        message_id: int | None = None,
        *,
        chat_id: int | None = None,
    ) -> str:
        """Press an inline button by exact label (or 0-based index across rows)."""
        target = user_id if chat_id is None else chat_id
        rec = self._target_message(target, message_id)
        flat = [button for row in rec.inline_keyboard for button in row]
        if isinstance(label_or_index, int):
            found = flat[label_or_index] if 0 <= label_or_index < len(flat) else None
        else:
            found = next((b for b in flat if b.get("text") == label_or_index), None)
        if found is None:
            raise LookupError(
                f"no button {label_or_index!r} in message {rec.message_id} of chat {target}; "
                f"available: {rec.buttons()}"
            )
        if "callback_data" not in found:
            kind = next((k for k in found if k != "text"), "?")
            raise ValueError(
                f"button {found.get('text')!r} is a {kind} button, it has no callback_data to press"
            )
        return self.press(user_id, found["callback_data"], rec.message_id, chat_id=chat_id)

    def reply_keyboard(self, user_id: int) -> list[list[str]] | None:
        """Labels of the reply keyboard the user currently sees, None when there is none."""
        chat = self._chats.get(user_id)
        markup = chat.reply_keyboard if chat else None
        if markup is None:
            return None
        rows = markup.get("keyboard", [])
        return [[b if isinstance(b, str) else b.get("text", "") for b in row] for row in rows]

    def tap(self, user_id: int, label: str, *, phone_number: str | None = None) -> JSON:
        """Tap a reply-keyboard button: sends its text, or the contact it requests."""
        chat = self._chats.get(user_id)
        rows = (chat.reply_keyboard or {}).get("keyboard", []) if chat else []
        for row in rows:
            for button in row:
                text = button if isinstance(button, str) else button.get("text")
                if text != label:
                    continue
                if isinstance(button, dict) and button.get("request_contact"):
                    if phone_number is None:
                        raise ValueError(f"button {label!r} requests a contact: pass phone_number")
                    return self.send_contact(user_id, phone_number)
                return self.send_text(user_id, label)
        raise LookupError(f"no reply button {label!r}; keyboard: {self.reply_keyboard(user_id)}")

    def _member_update(self, user_id: int, old: str, new: str) -> None:
        def member(status: str) -> JSON:
            entry: JSON = {"user": self.bot_user, "status": status}
            if status == "kicked":
                entry["until_date"] = 0
            return entry

        self.inject_update(
            {
                "my_chat_member": {
                    "chat": self._chats[user_id].info,
                    "from": self._users[user_id],
                    "date": int(time.time()),
                    "old_chat_member": member(old),
                    "new_chat_member": member(new),
                }
            }
        )

    def block(self, user_id: int, notify: bool = True) -> None:
        """The user blocks the bot: sends get 403; Telegram tells the bot via my_chat_member."""
        self._user(user_id)
        chat = self._chats[user_id]
        if not chat.blocked:
            chat.blocked = True
            if notify:
                self._member_update(user_id, "member", "kicked")

    def unblock(self, user_id: int, notify: bool = True) -> None:
        chat = self._chats[user_id]
        if chat.blocked:
            chat.blocked = False
            if notify:
                self._member_update(user_id, "kicked", "member")

    def delete_user(self, user_id: int) -> None:
        """The account is deleted: later sends answer 403 'user is deactivated'."""
        self._user(user_id)
        self._chats[user_id].deactivated = True

    # ---------------------------------------------------------------- what the bot did

    @property
    def pending_updates(self) -> list[JSON]:
        """Updates not yet confirmed by the bot (via getUpdates offset)."""
        return list(self._updates)

    def mark(self) -> int:
        """Current end of the outbox: pass as ``after=`` to only see what happens next."""
        return len(self.outbox)

    def messages(self, user_id: int) -> list[SentMessage]:
        """Latest version of each not-deleted bot message in that chat, in send order."""
        return list(self._chat_live.get(user_id, {}).values())

    def last(self, user_id: int) -> SentMessage | None:
        chat = self._chat_live.get(user_id)
        if not chat:
            return None
        return next(reversed(chat.values()))

    @staticmethod
    def buttons(msg: SentMessage) -> list[list[str]]:
        return msg.buttons()

    def commands(self, scope: JSON | None = None, language_code: str = "") -> list[JSON]:
        """What setMyCommands stored for that scope (None = default) and language."""
        return list(self._commands.get((self._scope_key(scope), language_code), []))

    def dump(self, last: int = 15) -> str:
        """Readable tail of the outbox, for failure messages."""
        lines = [rec.describe() for rec in self.outbox[-last:]] or ["(outbox is empty)"]
        lines.append(f"unconfirmed updates: {len(self._updates)}; calls: {dict(self.stats.calls)}")
        return "\n".join(lines)

    async def wait_until(self, condition: Callable[[], bool], timeout: float = 5.0) -> None:
        """Re-check ``condition`` after every API call until it holds; TimeoutError otherwise."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not condition():
            remaining = deadline - loop.time()
            if remaining <= 0 or self._closing:
                raise TimeoutError(
                    f"condition not met within {timeout}s; recent outbox:\n{self.dump()}"
                )
            await self._wait(self._outbox_waiters, remaining)

    async def wait_for(
        self, predicate: Callable[[SentMessage], bool], timeout: float = 5.0, *, after: int = 0
    ) -> SentMessage:
        """First outbox record (send or edit) with seq >= ``after`` satisfying ``predicate``.

        Also moves that chat's ``next_message`` position past the match.
        """
        index = after
        found: list[SentMessage] = []

        def scan() -> bool:
            nonlocal index
            while index < len(self.outbox):
                rec = self.outbox[index]
                index += 1
                if predicate(rec):
                    found.append(rec)
                    return True
            return False

        try:
            await self.wait_until(scan, timeout)
        except TimeoutError:
            raise TimeoutError(
                f"no bot message matched within {timeout}s; recent outbox:\n{self.dump()}"
            ) from None
        rec = found[0]
        if self._cursors.get(rec.chat_id, 0) <= rec.seq:
            self._cursors[rec.chat_id] = rec.seq + 1
        return rec

    async def next_message(
        self, user_id: int, timeout: float = 5.0, after: int | None = None
    ) -> SentMessage:
        """The next send or edit to that chat, after the last one returned for it.

        ``after`` (an outbox index, e.g. from ``mark()``) overrides the position: the result
        is the first record for the chat with seq >= after.
        """
        start = self._cursors.get(user_id, 0) if after is None else after
        events = self._chat_events.setdefault(user_id, [])
        found: list[SentMessage] = []

        def ready() -> bool:
            i = bisect.bisect_left(events, start, key=lambda r: r.seq)
            if i < len(events):
                found.append(events[i])
                return True
            return False

        try:
            await self.wait_until(ready, timeout)
        except TimeoutError:
            raise TimeoutError(
                f"no bot message to chat {user_id} (from outbox #{start}) within {timeout}s; "
                f"recent outbox:\n{self.dump()}"
            ) from None
        self._cursors[user_id] = found[0].seq + 1
        return found[0]

    async def wait_callback_answer(self, query_id: str, timeout: float = 5.0) -> CallbackAnswer:
        """The answerCallbackQuery for a query id returned by press()/press_button()."""

        def answered() -> CallbackAnswer | None:
            return next((a for a in self.callback_answers if a.callback_query_id == query_id), None)

        try:
            await self.wait_until(lambda: answered() is not None, timeout)
        except TimeoutError:
            raise TimeoutError(
                f"callback query {query_id} not answered within {timeout}s; "
                f"recent outbox:\n{self.dump()}"
            ) from None
        answer = answered()
        assert answer is not None
        return answer

    # ---------------------------------------------------------------- HTTP: control side

    _CONTROL_ACTIONS = (
        "users",
        "groups",
        "send_text",
        "press",
        "press_button",
        "send_contact",
        "send_document",
        "send_photo",
        "tap",
        "block",
        "unblock",
        "delete_user",
        "inject_update",
        "limits",
        "force_429",
        "lift_bans",
    )

    async def _handle_control(self, request: web.Request) -> web.Response:
        """``POST /_emu/{action}``: JSON kwargs in, the Python API's result out."""
        action = request.match_info["action"]
        if action not in self._CONTROL_ACTIONS:
            return _json_response({"ok": False, "description": f"unknown action {action}"}, 404)
        try:
            body = json.loads(await request.read() or b"{}")
            if not isinstance(body, dict):
                raise TypeError("the body must be a JSON object")
            if action == "inject_update":
                result: Any = self.inject_update(body)
            else:
                if "content_b64" in body:  # send_document / send_photo over JSON
                    body["content"] = base64.b64decode(body.pop("content_b64"))
                if action == "press_button" and "label" in body:
                    body["label_or_index"] = body.pop("label")
                name = {"users": "add_user", "groups": "add_group", "limits": "set_limits"}
                result = getattr(self, name.get(action, action))(**body)
        except LookupError as exc:
            return _json_response({"ok": False, "description": str(exc)}, 404)
        except (TypeError, ValueError) as exc:
            return _json_response({"ok": False, "description": str(exc)}, 400)
        return _json_response({"ok": True, "result": _jsonable(result)})

    async def _handle_outbox(self, request: web.Request) -> web.Response:
        """``GET /_emu/outbox?since=N[&timeout=S]``: records from seq N, optionally waiting."""
        try:
            since = int(request.query.get("since", 0))
            timeout = min(float(request.query.get("timeout", 0)), 60.0)
        except ValueError:
            return _json_response({"ok": False, "description": "bad since/timeout"}, 400)
        if timeout > 0:
            with contextlib.suppress(TimeoutError):
                await self.wait_until(lambda: len(self.outbox) > since, timeout)
        records = [rec.to_dict() for rec in self.outbox[since:]]
        return _json_response({"ok": True, "result": records, "next": len(self.outbox)})

    async def _handle_messages(self, request: web.Request) -> web.Response:
        """``GET /_emu/messages?chat_id=N``: current state of the bot's messages in a chat."""
        try:
            chat_id = int(request.query["chat_id"])
        except (KeyError, ValueError):
            return _json_response({"ok": False, "description": "chat_id required"}, 400)
        records = [rec.to_dict() for rec in self.messages(chat_id)]
        return _json_response({"ok": True, "result": records})

    async def _handle_stats(self, request: web.Request) -> web.Response:
        result = {**self.stats.to_dict(), "limits": self.limits(), "outbox": len(self.outbox)}
        return _json_response({"ok": True, "result": result})


# --------------------------------------------------------------------------------------------
# Standalone server: python -m bot.emulator
# --------------------------------------------------------------------------------------------


async def _serve(args: argparse.Namespace) -> None:
    emu = Emulator(
        token=args.token,
        bot_username=args.bot_username,
        rate_limit=args.rate_limit,
        per_chat_rate=args.per_chat_rate,
        group_rate_per_minute=args.group_rate_per_minute,
    )
    for spec in args.user:
        user_id, _, name = spec.partition(":")
        emu.add_user(int(user_id), name or f"User {user_id}")
    if args.users:
        first, _, last = args.users.partition("-")
        for user_id in range(int(first), int(last) + 1):
            emu.add_user(user_id, f"User {user_id}")
    await emu.start(args.host, args.port)
    print(f"Bot API emulator on {emu.api_url} (token {emu.token})", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await emu.stop()


def main(argv: list[str] | None = None) -> None:
    """Run the emulator as its own process, for the sandbox and crash tests."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--token", default="123456:TEST")
    parser.add_argument("--bot-username", default="loa_test_bot")
    parser.add_argument("--rate-limit", type=float)
    parser.add_argument("--per-chat-rate", type=float)
    parser.add_argument("--group-rate-per-minute", type=float)
    parser.add_argument("--user", action="append", default=[], help="ID:FIRST_NAME, repeatable")
    parser.add_argument("--users", help="FIRST-LAST: a range of users at once (benchmarks)")
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args))


if __name__ == "__main__":
    main()
