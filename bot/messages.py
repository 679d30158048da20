"""Messages Loa sends as itself, rendered in one place so that a preview is exactly what the
recipients get: the officer's broadcast with its buttons in the reader's language."""

from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import ParseMode

from bot.i18n import Translator
from models.broadcasts import Broadcast


def pledge_button(_: Translator, campaign_id: int) -> InlineKeyboardButton:
    """The way from any campaign message into that campaign's pledge conversation."""
    return InlineKeyboardButton(_("🤝 Pledge"), callback_data=f"pl:new:{campaign_id}")


def broadcast_markup(_: Translator, broadcast: Broadcast) -> InlineKeyboardMarkup | None:
    row = []
    if broadcast.campaign_id:
        row.append(pledge_button(_, broadcast.campaign_id))
    if broadcast.link_url:
        row.append(InlineKeyboardButton(broadcast.link_label or broadcast.link_url,
                                        url=broadcast.link_url))
    return InlineKeyboardMarkup([row]) if row else None


def broadcast_request(broadcast: Broadcast, _: Translator,
                      chat_id: int) -> tuple[str, dict[str, Any]]:
    """The Bot API call that shows this broadcast to one reader: text, or a photo or
    document with the text as its caption, and the buttons in the reader's language."""
    params: dict[str, Any] = {"chat_id": chat_id, "parse_mode": ParseMode.HTML.value}
    markup = broadcast_markup(_, broadcast)
    if markup is not None:
        params["reply_markup"] = markup.to_dict()
    if broadcast.paid:
        params["allow_paid_broadcast"] = True
    if broadcast.media_kind in ("photo", "document"):
        params[broadcast.media_kind] = broadcast.media_file_id
        if broadcast.text:
            params["caption"] = broadcast.text
        return ("sendPhoto" if broadcast.media_kind == "photo" else "sendDocument"), params
    params["text"] = broadcast.text
    return "sendMessage", params
