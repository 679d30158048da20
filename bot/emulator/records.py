"""What the emulator remembers: messages the bot sent, answers, files, counters, chats.

Why: tests and benchmarks prove behaviour from these records, so they are plain dataclasses,
never mutated once published (an edit is a new version).
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from dataclasses import dataclass, field

from .protocol import JSON

MEDIA_KINDS = (
    "photo", "video", "audio", "voice", "video_note", "document", "animation", "sticker",
    "contact", "location", "venue", "dice", "poll",
)  # fmt: skip


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
    def kind(self) -> str:
        """What the user received: "text", or the media key ("voice", "photo", "video"...)."""
        if self.text is not None:
            return "text"
        return next((k for k in self.content if k in MEDIA_KINDS), "other")

    @property
    def file_id(self) -> str | None:
        """The file a media message carries (a photo's largest size)."""
        media = self.content.get(self.kind)
        if isinstance(media, list):
            media = media[-1] if media else None
        return media.get("file_id") if isinstance(media, dict) else None

    @property
    def media_group_id(self) -> str | None:
        return self.content.get("media_group_id")

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
    duration: int = 0  # seconds, as the sender gave it (voice, audio, video, video note)

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
    bad_gateways: int = 0  # bare 502s answered (force_bad_gateway)
    webhook_attempts: int = 0  # POSTs to the webhook, retries included
    webhook_delivered: int = 0  # answered 2xx: the update left the queue
    webhook_failures: int = 0  # non-2xx, refused, timed out: retried later
    webhook_peak_connections: int = 0  # most webhook requests in flight at once

    def to_dict(self) -> JSON:
        data = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        data["calls"] = dict(self.calls)
        return data


@dataclass(slots=True)
class Chat:
    id: int
    type: str
    info: JSON  # the Chat object put into messages
    last_message_id: int = 0
    blocked: bool = False
    deactivated: bool = False
    reply_keyboard: JSON | None = None
    bot_status: str = "member"  # groups and channels: left, member, administrator, kicked
    members: dict[int, str] = field(default_factory=dict)  # user id -> ChatMember status
    migrated_to: int | None = None  # a group upgraded to a supergroup: its new id


@dataclass(slots=True)
class Upload:
    filename: str
    content_type: str | None
    data: bytes
