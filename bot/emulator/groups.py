"""Groups and channels: the bot added, promoted and removed; members and channels posting.

Why: a bot learns of the groups and channels it is in only through ``my_chat_member`` updates,
sees in a group only what Telegram's privacy mode lets through, and is refused with 403 once
removed; Loa's group audiences must be tested against exactly that.

As Telegram does (the Bot API docs, telegram-bot-api's check_chat_access):

* a user adding the bot to a group sends ``my_chat_member`` (left -> member, or administrator),
  then the service message ``new_chat_members``; a channel takes bots only as administrators
  and sends no service message;
* removing the bot makes it ``kicked`` (``until_date`` 0); ``leaveChat`` makes it ``left``, the
  update's ``from`` being the bot itself;
* a send to a chat the bot was removed from answers 403 "bot was kicked from the {type} chat",
  one it left "bot is not a member of the {type} chat"; a channel member that is not an
  administrator gets 400 "need administrator rights in the channel chat";
* a group upgraded to a supergroup gets a new id: the old group shows a service message with
  ``migrate_to_chat_id``, the supergroup one with ``migrate_from_chat_id``, and a send to the
  old id answers 400 "group chat was upgraded to a supergroup chat" with ``migrate_to_chat_id``
  in its parameters;
* a renamed group shows the service message ``new_chat_title``;
* with privacy mode on (``group_privacy``, getMe's ``can_read_all_group_messages`` false) a
  member bot sees commands, replies to its own messages and service messages; an administrator
  sees everything.
"""

from __future__ import annotations

import time

from .protocol import JSON, ApiError, bad
from .records import Chat, Upload

GROUP_TYPES = ("group", "supergroup", "channel")
STATUSES = ("left", "member", "administrator", "kicked")
_IN = ("member", "administrator", "creator")


class GroupsMixin:
    """Group and channel chats, the bot's membership in them, and what it receives there."""

    def add_group(
        self,
        chat_id: int,
        title: str,
        type: str = "supergroup",
        *,
        username: str | None = None,
        bot_status: str | None = None,
    ) -> JSON:
        """Create a group, supergroup or channel (negative id), silently.

        The bot is already in it (a member; a channel's administrator) unless ``bot_status``
        says otherwise; ``add_bot`` then plays it being added, with Telegram's updates.
        """
        if chat_id >= 0:
            raise ValueError("group chat ids are negative")
        if type not in GROUP_TYPES:
            raise ValueError(f"type must be one of {GROUP_TYPES}")
        status = bot_status or ("administrator" if type == "channel" else "member")
        if status not in STATUSES:
            raise ValueError(f"bot_status must be one of {STATUSES}")
        info: JSON = {"id": chat_id, "type": type, "title": title}
        if username:
            info["username"] = username
        self._chats[chat_id] = Chat(chat_id, type, info, bot_status=status)
        return info

    def _group(self, chat_id: int) -> Chat:
        chat = self._chats.get(chat_id)
        if chat is None or chat.type not in GROUP_TYPES:
            raise LookupError(f"unknown group or channel {chat_id}; call add_group() first")
        return chat

    def bot_status(self, chat_id: int) -> str:
        """The bot's status in a group or channel: left, member, administrator or kicked."""
        return self._group(chat_id).bot_status

    def set_member(self, chat_id: int, user_id: int, status: str) -> None:
        """A user's status in a group (creator, administrator, member, left, kicked)."""
        self._user(user_id)
        self._group(chat_id).members[user_id] = status

    def _bot_member(self, chat: Chat, status: str) -> JSON:
        """The bot's ChatMember object, with the rights an administrator holds."""
        member: JSON = {"user": self.bot_user, "status": status}
        if status == "kicked":
            member["until_date"] = 0
        elif status == "administrator":
            member.update(
                can_be_edited=False,
                is_anonymous=False,
                can_manage_chat=True,
                can_delete_messages=True,
                can_manage_video_chats=True,
                can_restrict_members=True,
                can_promote_members=False,
                can_change_info=True,
                can_invite_users=True,
                can_post_stories=chat.type == "channel",
                can_edit_stories=chat.type == "channel",
                can_delete_stories=chat.type == "channel",
            )
            if chat.type == "channel":
                member.update(can_post_messages=True, can_edit_messages=True)
            else:
                member["can_pin_messages"] = True
                if chat.type == "supergroup":
                    member["can_manage_topics"] = False
        return member

    def _set_bot_status(self, chat: Chat, by: JSON, status: str) -> JSON:
        old = chat.bot_status
        if old == status:
            raise ValueError(f"the bot is already {status} in chat {chat.id}")
        chat.bot_status = status
        return self.inject_update(
            {
                "my_chat_member": {
                    "chat": chat.info,
                    "from": by,
                    "date": int(time.time()),
                    "old_chat_member": self._bot_member(chat, old),
                    "new_chat_member": self._bot_member(chat, status),
                }
            }
        )

    def add_bot(self, chat_id: int, by: int, *, admin: bool = False) -> JSON:
        """User ``by`` adds the bot to a group (or promotes/demotes it); a channel: as admin.

        Returns the ``my_chat_member`` update; a group also gets ``new_chat_members``.
        """
        chat = self._group(chat_id)
        user = self._user(by)
        new = "administrator" if admin or chat.type == "channel" else "member"
        joined = chat.bot_status not in _IN
        chat.members.setdefault(by, "administrator" if chat.type == "channel" else "member")
        update = self._set_bot_status(chat, user, new)
        if joined and chat.type != "channel":
            bot = self.bot_user
            joined_msg = {"new_chat_members": [bot], "new_chat_member": bot}
            joined_msg["new_chat_participant"] = bot  # the legacy fields Telegram still sends
            self._chat_message(chat, user, joined_msg, service=True)
        return update

    def remove_bot(self, chat_id: int, by: int) -> JSON:
        """User ``by`` removes the bot: it is kicked, and later sends answer 403."""
        return self._set_bot_status(self._group(chat_id), self._user(by), "kicked")

    def _leave_chat(self, p: JSON, files: dict[str, Upload]) -> bool:
        chat = self._chat_for(p)
        if chat.type == "private":
            raise bad("chat member status can't be changed in private chats")
        self._check_member(chat)
        self._set_bot_status(chat, self.bot_user, "left")
        return True

    def migrate_group(self, chat_id: int, new_id: int, by: int) -> JSON:
        """User ``by`` upgrades a group to a supergroup, which gets the id ``new_id``.

        Returns the supergroup's Chat object; the bot keeps its status there.
        """
        old = self._group(chat_id)
        if old.type != "group":
            raise ValueError(f"chat {chat_id} is a {old.type}; only a group is upgraded")
        if new_id >= 0 or new_id in self._chats:
            raise ValueError("the supergroup needs a new negative id")
        user = self._user(by)
        info: JSON = {"id": new_id, "type": "supergroup", "title": old.info["title"]}
        new = Chat(new_id, "supergroup", info, bot_status=old.bot_status,
                   members=dict(old.members))
        self._chats[new_id] = new
        self._chat_message(old, user, {"migrate_to_chat_id": new_id}, service=True)
        old.migrated_to = new_id
        self._chat_message(new, user, {"migrate_from_chat_id": chat_id}, service=True)
        return info

    def rename_group(self, chat_id: int, title: str, by: int) -> JSON:
        """User ``by`` renames a group or channel: the ``new_chat_title`` service message."""
        chat = self._group(chat_id)
        chat.info["title"] = title
        if chat.type == "channel":
            return self._channel_post(chat, {"new_chat_title": title})
        return self._chat_message(chat, self._user(by), {"new_chat_title": title}, service=True)

    def _check_member(self, chat: Chat) -> None:
        """Telegram's refusal for a bot that is not (or no longer) in a group or channel."""
        if chat.migrated_to is not None:
            raise ApiError(400, "Bad Request: group chat was upgraded to a supergroup chat",
                           {"migrate_to_chat_id": chat.migrated_to})
        if chat.bot_status == "kicked":
            raise ApiError(403, f"Forbidden: bot was kicked from the {chat.type} chat")
        if chat.bot_status not in _IN:
            raise ApiError(403, f"Forbidden: bot is not a member of the {chat.type} chat")

    def _check_can_post(self, chat: Chat) -> None:
        self._check_member(chat)
        if chat.type == "channel" and chat.bot_status != "administrator":
            raise bad("need administrator rights in the channel chat")

    def _bot_sees(self, chat: Chat, msg: JSON) -> bool:
        """Whether Telegram delivers a group message to the bot (privacy mode)."""
        if chat.bot_status not in _IN:
            return False
        if chat.bot_status == "administrator" or not self.group_privacy:
            return True
        replied = msg.get("reply_to_message") or {}
        if replied.get("from", {}).get("id") == self.bot_user["id"]:
            return True
        text = msg.get("text") or msg.get("caption") or ""
        if not text.startswith("/"):
            return False
        command = text.split(maxsplit=1)[0]
        _, at, name = command.partition("@")
        return not at or name.lower() == str(self.bot_user["username"]).lower()

    def _store_message(self, chat: Chat, user: JSON, content: JSON) -> JSON:
        """A user's message in any chat, numbered in it and kept (replies and edits find it)."""
        chat.last_message_id += 1
        msg: JSON = {"message_id": chat.last_message_id, "from": user, "chat": chat.info,
                     "date": int(time.time()), **content}
        self._user_msgs[(chat.id, chat.last_message_id)] = msg
        return msg

    def _chat_message(self, chat: Chat, user: JSON, content: JSON, *, service: bool) -> JSON:
        """A user's message in a group: stored, and an update when the bot may see it."""
        msg = self._store_message(chat, user, content)
        if (service and chat.bot_status in _IN) or self._bot_sees(chat, msg):
            self.inject_update({"message": msg})
        return msg

    def post_to_channel(
        self,
        chat_id: int,
        text: str,
        *,
        author_signature: str | None = None,
    ) -> JSON:
        """The channel posts ``text``: a ``channel_post`` update when the bot is its admin."""
        chat = self._group(chat_id)
        if chat.type != "channel":
            raise ValueError(f"chat {chat_id} is a {chat.type}, not a channel")
        content: JSON = {"text": text}
        if author_signature:
            content["author_signature"] = author_signature
        return self._channel_post(chat, content)

    def _channel_post(self, chat: Chat, content: JSON) -> JSON:
        """A post in a channel (signed by the channel itself), kept; an update for its admin."""
        chat.last_message_id += 1
        post: JSON = {
            "message_id": chat.last_message_id,
            "sender_chat": chat.info,
            "chat": chat.info,
            "date": int(time.time()),
            **content,
        }
        self._user_msgs[(chat.id, chat.last_message_id)] = post
        if chat.bot_status == "administrator":
            self.inject_update({"channel_post": post})
        return post
