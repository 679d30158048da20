"""The button that opens a campaign's public page: inside Telegram as a Web App where it can
(Telegram opens only https addresses that way), else as a plain link."""

from __future__ import annotations

from telegram import InlineKeyboardButton, WebAppInfo

from bot.config import Config
from bot.i18n import Translator


def page_url(config: Config, prefix: str, lang: str | None = None) -> str | None:
    if not config.web_public_url:
        return None
    return f"{config.web_public_url}/c/{prefix}" + (f"?lang={lang}" if lang else "")


def page_button(_: Translator, config: Config, prefix: str) -> list[InlineKeyboardButton]:
    """A row with the button, or an empty row when no public address is configured."""
    url = page_url(config, prefix, _.lang)
    if url is None:
        return []
    text = _("🌐 Open the public page")
    if url.startswith("https://"):
        return [InlineKeyboardButton(text, web_app=WebAppInfo(url))]
    return [InlineKeyboardButton(text, url=url)]
