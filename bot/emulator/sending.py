"""Sending: sendMessage, sendPhoto/sendDocument and other media, copies and forwards.

Why: every send goes through one path (reachability, flood control, Telegram's checks on text
and keyboard, then a record), so no method can skip a limit.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .keyboards import check_markup
from .protocol import JSON, ApiError, bad
from .records import MEDIA_KINDS, Chat, SentMessage, Upload
from .text import render
from .waiters import wake

if TYPE_CHECKING:
    from .server import Method

ALBUM_KINDS = ("photo", "video", "document", "audio")  # what sendMediaGroup takes
CAPTIONLESS = ("video_note", "sticker")  # their send methods have no caption parameter
MAX_ALBUM = 10
MAX_COPIES = 100


class SendingMixin:
    """The send methods and the records and Message objects they produce."""

    def _chat_for(self, p: JSON, key: str = "chat_id") -> Chat:
        chat_id = p.get(key)
        if chat_id is None or chat_id == "":
            raise bad(f"{key} is empty")
        chat = self._chats.get(chat_id) if isinstance(chat_id, int) else None
        if chat is None and isinstance(chat_id, str):  # "@username" of a public chat
            wanted = chat_id.lstrip("@").lower()
            for candidate in self._chats.values():
                if str(candidate.info.get("username", "")).lower() == wanted:
                    chat = candidate
        if chat is None:
            raise bad("chat not found")
        return chat

    def _send(self, method: Method, p: JSON, files: dict[str, Upload]) -> Any:
        """The common path of every send/edit: reachability, flood control, then the method."""
        chat = self._chat_for(p)
        if chat.type != "private":
            self._check_can_post(chat)
        elif chat.deactivated:
            raise ApiError(403, "Forbidden: user is deactivated")
        elif chat.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        now = self.clock()
        many = p.get("media") if method.name == "sendMediaGroup" else p.get("message_ids")
        self._check_flood(chat.id, now, len(many) if isinstance(many, list) and many else 1)
        result = method.fn(p, files, chat)
        self._note_sent(chat.id, now, len(result) if isinstance(result, list) else 1)
        return result

    def _record(self, method: str, chat: Chat, p: JSON, **fields: Any) -> SentMessage:
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
            wake(self._outbox_waiters)

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

    def _send_message(self, p: JSON, files: dict[str, Upload], chat: Chat) -> JSON:
        raw, plain, ents = render(
            p.get("text"),
            p.get("parse_mode"),
            p.get("entities"),
            is_caption=False,
            strict=self.strict_html,
        )
        rec = self._record(
            "sendMessage",
            chat,
            p,
            text=raw,
            plain=plain,
            parse_mode=p.get("parse_mode"),
            entities=ents,
            reply_markup=check_markup(p),
        )
        return self._message_dict(rec)

    def _caption_fields(self, p: JSON) -> JSON:
        """The caption's record fields; none when it is absent or only whitespace (Telegram)."""
        if p.get("caption") is None:
            return {}
        raw, plain, ents = render(
            p["caption"],
            p.get("parse_mode"),
            p.get("caption_entities"),
            is_caption=True,
            strict=self.strict_html,
        )
        if not plain:
            return {}
        return {"caption": raw, "plain": plain, "parse_mode": p.get("parse_mode"), "entities": ents}

    def _media_sender(self, method: str, kind: str) -> Callable[..., JSON]:
        def send(p: JSON, files: dict[str, Upload], chat: Chat) -> JSON:
            stored = self._resolve_file(kind, p.get(kind), files, kind, p.get("duration"))
            # validate before recording anything; a method without a caption ignores one
            caption = {} if kind in CAPTIONLESS else self._caption_fields(p)
            markup = check_markup(p)
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

    def _send_media_group(self, p: JSON, files: dict[str, Upload], chat: Chat) -> list[JSON]:
        """An album, checked as TDLib checks it; one item is sent alone, outside any album."""
        media = p.get("media")
        if not media:
            raise bad("there are no messages to send")
        if not isinstance(media, list):
            raise bad("expected an Array of InputMedia")
        if len(media) > MAX_ALBUM:
            raise bad("too many messages to send as an album")
        prepared = []
        for item in media:
            kind = item.get("type") if isinstance(item, dict) else None
            if kind not in ALBUM_KINDS:
                refusal = f'type "{kind}" can\'t be used in sendMediaGroup'
                raise bad(f"can't parse InputMedia: {refusal}")
            stored = self._resolve_file(kind, item.get("media"), files, None, item.get("duration"))
            prepared.append((kind, stored, self._caption_fields(item)))
        kinds = {kind for kind, _, _ in prepared}
        for alone in ("document", "audio"):
            if alone in kinds and len(kinds) > 1:
                raise bad(f"{alone} can't be mixed with other media types")
        group = {"media_group_id": str(10**17 + next(self._counter))} if len(media) > 1 else {}
        result = []
        for kind, stored, caption in prepared:
            rec = self._record(
                "sendMediaGroup",
                chat,
                p,
                content={kind: self._media_object(stored), **group},
                document=stored.file_id if kind == "document" else None,
                photo=stored.file_id if kind == "photo" else None,
                **caption,
            )
            result.append(self._message_dict(rec))
        return result

    def _send_other(self, method: str, p: JSON, files: dict[str, Upload], chat: Chat) -> JSON:
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
        rec = self._record(method, chat, p, content=content, reply_markup=check_markup(p))
        return self._message_dict(rec)

    def _source(self, source: Chat, message_id: Any) -> JSON | None:
        """A message to copy or forward: the bot's own, or one a played user sent."""
        rec = self._live.get((source.id, message_id))
        if rec is not None:
            return self._message_dict(rec)
        return self._user_msgs.get((source.id, message_id))

    def _source_message(self, p: JSON) -> JSON:
        src = self._source(self._chat_for(p, "from_chat_id"), p.get("message_id"))
        if src is None:
            raise bad("message to copy not found")
        return src

    def _copy_fields(self, src: JSON, p: JSON) -> JSON:
        """A copy keeps the media and the caption (unless replaced or removed), not the album."""
        content = {k: v for k, v in src.items() if k in MEDIA_KINDS}
        fields: JSON = {
            "content": content,
            "document": (content.get("document") or {}).get("file_id"),
            "photo": content["photo"][-1]["file_id"] if content.get("photo") else None,
            "reply_markup": check_markup(p),
        }
        if "text" in src:
            fields.update(text=src["text"], plain=src["text"], entities=src.get("entities"))
        elif p.get("caption") is not None:
            fields.update(self._caption_fields(p))
        elif "caption" in src and p.get("remove_caption") is not True:
            fields.update(
                caption=src["caption"],
                plain=src["caption"],
                entities=src.get("caption_entities"),
            )
        return fields

    def _copy_message(self, p: JSON, files: dict[str, Upload], chat: Chat) -> JSON:
        src = self._source_message(p)
        rec = self._record("copyMessage", chat, p, **self._copy_fields(src, p))
        return {"message_id": rec.message_id}

    def _copy_messages(self, p: JSON, files: dict[str, Upload], chat: Chat) -> list[JSON]:
        """Copies in order; missing ones are skipped, and albums stay albums (new ids)."""
        source = self._chat_for(p, "from_chat_id")
        ids = p.get("message_ids")
        if ids is None or ids == "" or ids == []:
            raise bad("message identifiers are not specified")
        if not isinstance(ids, list):
            raise bad("expected an Array of message identifiers")
        if len(ids) > MAX_COPIES:
            raise bad("too many message identifiers specified")
        if not all(isinstance(i, int) and not isinstance(i, bool) and i > 0 for i in ids):
            raise bad("invalid message identifier specified")
        if any(a >= b for a, b in itertools.pairwise(ids)):
            raise bad("message identifiers must be in a strictly increasing order")
        albums: dict[str, str] = {}
        result = []
        for message_id in ids:
            src = self._source(source, message_id)
            if src is None:
                continue
            fields = self._copy_fields(src, {"remove_caption": p.get("remove_caption")})
            album = src.get("media_group_id")
            if album is not None:
                new = albums.setdefault(album, str(10**17 + next(self._counter)))
                fields["content"]["media_group_id"] = new
            rec = self._record("copyMessages", chat, p, **fields)
            result.append({"message_id": rec.message_id})
        return result

    def _forward_message(self, p: JSON, files: dict[str, Upload], chat: Chat) -> JSON:
        src = self._source_message(p)
        fields = self._copy_fields(src, {})
        fields["content"]["forward_origin"] = {
            "type": "user",
            "sender_user": src.get("from", self.bot_user),
            "date": src.get("date", int(time.time())),
        }
        return self._message_dict(self._record("forwardMessage", chat, p, **fields))
