"""Messages Loa sends as itself, rendered in one place so that a preview is exactly what the
recipients get: the officer's broadcast with its buttons in the reader's language."""

from __future__ import annotations

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message
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


async def send_broadcast(bot: Bot, chat_id: int, broadcast: Broadcast, _: Translator,
                         bulk: bool) -> Message:
    """Send the broadcast to one chat: text, or a photo or document with the text as caption."""
    common = {"parse_mode": ParseMode.HTML, "reply_markup": broadcast_markup(_, broadcast)}
    if bulk:
        common["rate_limit_args"] = {"bulk": True}
        if broadcast.paid:
            common["allow_paid_broadcast"] = True
    if broadcast.media_kind == "photo":
        return await bot.send_photo(chat_id, broadcast.media_file_id,
                                    caption=broadcast.text or None, **common)
    if broadcast.media_kind == "document":
        return await bot.send_document(chat_id, broadcast.media_file_id,
                                       caption=broadcast.text or None, **common)
    return await bot.send_message(chat_id, broadcast.text, **common)
