"""Messages Loa sends as itself, rendered in one place so that a preview is exactly what the
recipients get: the officer's broadcast with its buttons in the reader's language."""

from __future__ import annotations

import re
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import ParseMode

from bot.i18n import Translator
from models.broadcasts import CAPTIONLESS, SEND, Broadcast, sender_of

# "/start pl<campaign id>": at most 15 characters, so never an invite code (always 16).
PLEDGE_START = re.compile(r"pl([1-9][0-9]{0,12})")


def pledge_start(argument: str) -> int | None:
    """The campaign a /start argument asks to pledge to; None for anything else (an invite)."""
    found = PLEDGE_START.fullmatch(argument)
    return int(found[1]) if found else None


def pledge_button(_: Translator, campaign_id: int,
                  bot_username: str | None = None) -> InlineKeyboardButton:
    """The way from any campaign message into that campaign's pledge conversation. In a group
    or channel (Loa's `bot_username` given) a link that opens the private chat with Loa at
    that pledge: Loa talks with each person in private, so a press there would go nowhere."""
    if bot_username:
        return InlineKeyboardButton(
            _("🤝 Pledge"), url=f"https://t.me/{bot_username}?start=pl{campaign_id}")
    return InlineKeyboardButton(_("🤝 Pledge"), callback_data=f"pl:new:{campaign_id}")


def broadcast_markup(_: Translator, broadcast: Broadcast,
                     bot_username: str | None = None) -> InlineKeyboardMarkup | None:
    row = []
    if broadcast.campaign_id:
        row.append(pledge_button(_, broadcast.campaign_id, bot_username))
    if broadcast.link_url:
        row.append(InlineKeyboardButton(broadcast.link_label or broadcast.link_url,
                                        url=broadcast.link_url))
    return InlineKeyboardMarkup([row]) if row else None


def broadcast_requests(broadcast: Broadcast, _: Translator, chat_id: int,
                       bot_username: str | None = None) -> list[tuple[str, dict[str, Any]]]:
    """The Bot API calls that show this broadcast to one chat (a person or a group alike):
    its text, or its media with the text as caption, and the buttons in the reader's
    language. For a group or channel, Loa's `bot_username`: its pledge button is a link."""
    markup = broadcast_markup(_, broadcast, bot_username)
    extra = {"allow_paid_broadcast": True} if broadcast.paid else {}
    return media_requests(broadcast.media, broadcast.text, markup and markup.to_dict(),
                          chat_id, sender_of(broadcast.text), **extra)


def media_requests(media: list[dict[str, str]] | None, text: str,
                   markup: dict[str, Any] | None, chat_id: int, heading: str = "",
                   **extra: Any) -> list[tuple[str, dict[str, Any]]]:
    """Media re-sent by file id (the officer may delete their original) with `text` (HTML) as
    caption. A video note takes no caption: the text goes first. An album takes no buttons:
    they come on a message after it, under `heading`."""
    base = {"chat_id": chat_id, **extra}
    html = {"parse_mode": ParseMode.HTML.value}
    buttons = {"reply_markup": markup} if markup else {}
    if not media:
        return [("sendMessage", {**base, **html, "text": text, **buttons})]
    if len(media) == 1:
        kind = media[0]["kind"]
        call = {**base, kind: media[0]["file_id"], **buttons}
        if not text:
            return [(SEND[kind], call)]
        if kind in CAPTIONLESS:
            return [("sendMessage", {**base, **html, "text": text}), (SEND[kind], call)]
        return [(SEND[kind], {**call, **html, "caption": text})]
    items = [{"type": m["kind"], "media": m["file_id"]} for m in media]
    if text:
        items[0].update(caption=text, **html)
    calls = [("sendMediaGroup", {**base, "media": items})]
    if markup:
        calls.append(("sendMessage", {**base, **html, "text": heading or text, **buttons}))
    return calls
