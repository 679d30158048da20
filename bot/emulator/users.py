"""Played users: what a person does in Telegram (types, taps, shares a contact or a location,
sends a file or a sticker).

Why: tests drive the real bot through the same updates a Telegram client would produce.
"""

from __future__ import annotations

import re

from .protocol import JSON, u16
from .records import Chat

_COMMAND_RE = re.compile(r"(?<![\w/])/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?")


class UsersMixin:
    """Users and their private chats, and the messages they send."""

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
            self._chats[user_id] = Chat(user_id, "private", info)
        else:
            chat.info = info
        return user

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
        if chat.type == "channel":
            raise ValueError("a channel posts as itself: use post_to_channel()")
        if chat.type != "private":
            chat.members.setdefault(user_id, "member")
            return self._chat_message(chat, user, content, service=False)
        if chat.blocked:  # writing to a bot means pressing "Restart" first
            self.unblock(user_id)
        msg = self._store_message(chat, user, content)
        self.inject_update({"message": msg})
        return msg

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
            {"type": "bot_command", "offset": u16(text[: m.start()]), "length": u16(m[0])}
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

    def _send_file(
        self,
        user_id: int,
        kind: str,
        content: bytes,
        caption: str | None,
        caption_entities: list[JSON] | None,
        chat_id: int | None,
        *,
        file_name: str | None = None,
        mime_type: str | None = None,
        duration: int = 0,
        extra: JSON | None = None,
    ) -> JSON:
        """One media message from a user; the file is stored so getFile can serve it."""
        stored = self._store_file(kind, content, file_name, mime_type, duration)
        fields: JSON = {kind: self._media_object(stored), **(extra or {})}
        if caption is not None:
            fields["caption"] = caption
            if caption_entities:
                fields["caption_entities"] = caption_entities
        return self._user_message(user_id, chat_id, fields)

    def send_document(
        self,
        user_id: int,
        filename: str,
        content: bytes,
        mime_type: str = "application/octet-stream",
        caption: str | None = None,
        *,
        caption_entities: list[JSON] | None = None,
        chat_id: int | None = None,
    ) -> JSON:
        """The user uploads a file; the bot can fetch it through getFile."""
        return self._send_file(
            user_id, "document", content, caption, caption_entities, chat_id,
            file_name=filename, mime_type=mime_type,
        )  # fmt: skip

    def send_photo(
        self,
        user_id: int,
        content: bytes,
        caption: str | None = None,
        *,
        caption_entities: list[JSON] | None = None,
        chat_id: int | None = None,
    ) -> JSON:
        return self._send_file(
            user_id, "photo", content, caption, caption_entities, chat_id, mime_type="image/jpeg"
        )

    def send_voice(
        self,
        user_id: int,
        content: bytes,
        caption: str | None = None,
        *,
        duration: int = 1,
        caption_entities: list[JSON] | None = None,
        chat_id: int | None = None,
    ) -> JSON:
        """A recorded voice message (OGG/Opus, as Telegram's clients record it)."""
        return self._send_file(
            user_id, "voice", content, caption, caption_entities, chat_id,
            mime_type="audio/ogg", duration=duration,
        )  # fmt: skip

    def send_audio(
        self,
        user_id: int,
        content: bytes,
        caption: str | None = None,
        *,
        filename: str = "audio.mp3",
        mime_type: str = "audio/mpeg",
        duration: int = 1,
        caption_entities: list[JSON] | None = None,
        chat_id: int | None = None,
    ) -> JSON:
        return self._send_file(
            user_id, "audio", content, caption, caption_entities, chat_id,
            file_name=filename, mime_type=mime_type, duration=duration,
        )  # fmt: skip

    def send_video(
        self,
        user_id: int,
        content: bytes,
        caption: str | None = None,
        *,
        filename: str = "video.mp4",
        duration: int = 1,
        caption_entities: list[JSON] | None = None,
        chat_id: int | None = None,
    ) -> JSON:
        return self._send_file(
            user_id, "video", content, caption, caption_entities, chat_id,
            file_name=filename, mime_type="video/mp4", duration=duration,
        )  # fmt: skip

    def send_video_note(
        self, user_id: int, content: bytes, *, duration: int = 1, chat_id: int | None = None
    ) -> JSON:
        """A round video message; Telegram's video notes carry no caption."""
        return self._send_file(
            user_id, "video_note", content, None, None, chat_id, duration=duration
        )

    def send_sticker(
        self, user_id: int, content: bytes = b"RIFF\0\0\0\0WEBP", *, chat_id: int | None = None
    ) -> JSON:
        """A sticker (a WebP image); stickers carry no caption."""
        return self._send_file(
            user_id, "sticker", content, None, None, chat_id, mime_type="image/webp"
        )

    def send_location(
        self, user_id: int, latitude: float, longitude: float, *, chat_id: int | None = None
    ) -> JSON:
        """A location pinned on the map (sent once, not live)."""
        return self._user_message(
            user_id, chat_id, {"location": {"latitude": latitude, "longitude": longitude}}
        )

    def send_album(
        self,
        user_id: int,
        photos: list[bytes],
        caption: str | None = None,
        *,
        kinds: list[str] | None = None,
        caption_entities: list[JSON] | None = None,
        chat_id: int | None = None,
    ) -> list[JSON]:
        """An album: 2-10 messages sharing a media_group_id, each its own update.

        Photos unless `kinds` names each item's kind: photos and videos mix, documents and
        audio files only go with their own kind, as in Telegram's clients. The clients put
        the album's caption on its first item.
        """
        kinds = kinds or ["photo"] * len(photos)
        if not 2 <= len(photos) <= 10 or len(kinds) != len(photos):
            raise ValueError("an album holds 2 to 10 items, one kind each")
        mixed = set(kinds)
        if not (mixed <= {"photo", "video"} or mixed in ({"document"}, {"audio"})):
            raise ValueError(f"these kinds do not make one album: {sorted(mixed)}")
        group = {"media_group_id": str(10**17 + next(self._counter))}
        sent = []
        for i, (kind, data) in enumerate(zip(kinds, photos, strict=True)):
            first = i == 0
            named = {"photo": (None, "image/jpeg"), "video": ("video.mp4", "video/mp4"),
                     "audio": ("audio.mp3", "audio/mpeg"),
                     "document": (f"file{i + 1}.pdf", "application/pdf")}[kind]
            sent.append(
                self._send_file(
                    user_id,
                    kind,
                    data,
                    caption if first else None,
                    caption_entities if first else None,
                    chat_id,
                    file_name=named[0],
                    mime_type=named[1],
                    extra=group,
                )
            )
        return sent

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
