"""Reading the outbox: what the bot sent, as the tests look at it.

Why: assertions read the latest version of each message, or the sequence of sends and edits.
"""

from __future__ import annotations

from .records import SentMessage


class InspectionMixin:
    """The outbox seen per chat, and a readable tail for failure messages."""

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

    def dump(self, last: int = 15) -> str:
        """Readable tail of the outbox, for failure messages."""
        lines = [rec.describe() for rec in self.outbox[-last:]] or ["(outbox is empty)"]
        lines.append(f"unconfirmed updates: {len(self._updates)}; calls: {dict(self.stats.calls)}")
        return "\n".join(lines)
