"""Chats: getChat/getChatMember, users who block the bot or delete their account.

Why: the bot must survive 403s and learn of blocks through my_chat_member, as on Telegram.
"""

from __future__ import annotations

import time

from .protocol import JSON, bad
from .records import Upload


class ChatsMixin:
    """getChat/getChatMember, and the reachability of private chats."""

    def _get_chat(self, p: JSON, files: dict[str, Upload]) -> JSON:
        chat = self._chat_for(p)
        if chat.bot_status == "kicked":
            self._check_member(chat)
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

    def _get_chat_member(self, p: JSON, files: dict[str, Upload]) -> JSON:
        chat = self._chat_for(p)
        if chat.type != "private":
            self._check_member(chat)
        user_id = p.get("user_id")
        if user_id == self.bot_user["id"]:
            return self._bot_member(chat, chat.bot_status)
        if user_id not in self._users:
            raise bad("user not found")
        status = "member" if chat.type == "private" else chat.members.get(user_id, "left")
        member: JSON = {"user": self._users[user_id], "status": status}
        if status == "kicked":
            member["until_date"] = 0
        elif status == "creator":
            member["is_anonymous"] = False
        elif status == "administrator":
            member.update({k: v for k, v in self._bot_member(chat, status).items() if k != "user"})
            member["can_be_edited"] = True
        return member

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
