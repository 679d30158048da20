"""Edits and deletes of the bot's messages.

Why: Loa edits screens in place (buttons pressed, progress); an edit must obey the same limits
as a send and refuse "message is not modified" as Telegram does.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any

from .keyboards import check_markup
from .protocol import JSON, bad
from .records import Chat, SentMessage, Upload
from .text import render

_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the "
    "same as a current content and reply markup of the message"
)


class EditingMixin:
    """editMessageText/Caption/ReplyMarkup, deleteMessage(s)."""

    def _editable(self, chat: Chat, p: JSON) -> SentMessage:
        if p.get("inline_message_id"):
            raise bad("MESSAGE_ID_INVALID")
        rec = self._live.get((chat.id, p.get("message_id")))
        if rec is None:
            raise bad("message to edit not found")
        return rec

    def _apply_edit(self, old: SentMessage, method: str, p: JSON, **changes: Any) -> JSON:
        old_inline = old.reply_markup if old.inline_keyboard else None
        new_markup = changes.get("reply_markup", old.reply_markup)
        new_inline = new_markup if new_markup and "inline_keyboard" in new_markup else None
        # Telegram compares what the user would see, not the markup language used to say it.
        same = all(getattr(old, k) == changes[k] for k in ("plain", "entities") if k in changes)
        if same and old_inline == new_inline:
            raise bad(_NOT_MODIFIED)
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
        markup = check_markup(p)
        if markup is not None:
            return markup
        return None if old.inline_keyboard else old.reply_markup

    def _edit_message_text(self, p: JSON, files: dict[str, Upload], chat: Chat) -> JSON:
        old = self._editable(chat, p)
        if old.text is None:
            raise bad("there is no text in the message to edit")
        raw, plain, ents = render(
            p.get("text"),
            p.get("parse_mode"),
            p.get("entities"),
            is_caption=False,
            strict=self.strict_html,
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

    def _edit_message_caption(self, p: JSON, files: dict[str, Upload], chat: Chat) -> JSON:
        old = self._editable(chat, p)
        if old.text is not None or not old.content:
            raise bad("there is no caption in the message to edit")
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

    def _edit_message_reply_markup(self, p: JSON, files: dict[str, Upload], chat: Chat) -> JSON:
        old = self._editable(chat, p)
        return self._apply_edit(
            old, "editMessageReplyMarkup", p, reply_markup=self._edited_markup(old, p)
        )

    def _delete_message(self, p: JSON, files: dict[str, Upload]) -> bool:
        chat = self._chat_for(p)
        if not self._delete_one(chat.id, p.get("message_id")):
            raise bad("message to delete not found")
        return True

    def _delete_messages(self, p: JSON, files: dict[str, Upload]) -> bool:
        chat = self._chat_for(p)
        ids = p.get("message_ids")
        if not isinstance(ids, list):
            raise bad("message_ids must be an array")
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
