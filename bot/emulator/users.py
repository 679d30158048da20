"""Played users: what a person does in Telegram (types, taps, shares a contact, sends a file).

Why: tests drive the real bot through the same updates a Telegram client would produce.
"""

from __future__ import annotations

import re
import time

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
