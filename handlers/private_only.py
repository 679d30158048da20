"""Loa talks with each person in a private chat, never in a group.

Everything Loa says in a conversation may be personal (a phone number in /privacy, pledgers on
the officers' desk), and a group would show it to all its members. So before any other
handler sees an update from a group or channel, this one stops it: a command addressed to Loa
gets one line pointing to the private chat, a button press a short notice, anything else
silence. What Loa does in groups at all runs before this guard (handlers/groups.py): it records
being added or removed, renamed groups and supergroup upgrades, and takes /linkgroup from an
officer, answering in the officer's private chat; broadcasts reach linked groups through the
outbox, their Pledge button a link that opens the private chat at that pledge.
"""

from __future__ import annotations

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import ApplicationHandlerStop, ContextTypes, TypeHandler

from bot.context import guessed

#: Runs before every other handler group.
GROUP = -1


async def stop_outside_private(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    chat = update.effective_chat
    if chat is None or chat.type == ChatType.PRIVATE:
        return
    if update.effective_user is not None:
        _ = guessed(update, context)
        line = _("Loa talks with each person in a private chat: {link}",
                 link=f"https://t.me/{context.bot.username}")
        if update.callback_query is not None:
            await update.callback_query.answer(line, show_alert=True)
        elif (message := update.effective_message) is not None and \
                _for_loa(message.text, context.bot.username):
            await message.reply_text(line, disable_web_page_preview=True)
    raise ApplicationHandlerStop


def _for_loa(text: str | None, username: str) -> bool:
    """A command, and not one addressed to another bot ("/help@other_bot")."""
    if not text or not text.startswith("/"):
        return False
    _command, at, addressee = text.split(maxsplit=1)[0].partition("@")
    return not at or addressee.lower() == username.lower()


def handler() -> TypeHandler:
    return TypeHandler(Update, stop_outside_private)
