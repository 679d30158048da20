"""Button presses: callback queries and answerCallbackQuery.

Why: tests press real and forged buttons; an answer is accepted once per query, as on Telegram.
"""

from __future__ import annotations

from .protocol import JSON, bad
from .records import CallbackAnswer, SentMessage, Upload


class CallbacksMixin:
    """Pressing inline buttons and recording the bot's answers."""

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

    def _answer_callback_query(self, p: JSON, files: dict[str, Upload]) -> bool:
        query_id = str(p.get("callback_query_id", ""))
        if query_id not in self._open_queries:
            raise bad("query is too old and response timeout expired or query ID is invalid")
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
