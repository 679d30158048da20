"""Reply markup as Telegram checks it: inline buttons, callback data, keyboard size.

Why: a keyboard Telegram refuses makes the whole message fail, so the emulator refuses it too:
a button without an action, callback_data outside 1-64 bytes ("BUTTON_DATA_INVALID"), and an
inline keyboard of more than 100 buttons ("reply markup is too long"; the limit reported by bot
authors in pyTelegramBotAPI #511 and unzip-bot #2, the error text in rubenlagus/TelegramBots #218
and python-telegram-bot #5104; Telegram also refuses markup over about 10 kB, tginfo/Telegram-Limits
#187, which this does not model).
"""

from __future__ import annotations

from .protocol import JSON, bad

MAX_CALLBACK_DATA = 64  # bytes of UTF-8
MAX_INLINE_BUTTONS = 100

_BUTTON_ACTIONS = frozenset(
    {
        "url", "callback_data", "web_app", "login_url", "switch_inline_query",
        "switch_inline_query_current_chat", "switch_inline_query_chosen_chat", "copy_text",
        "callback_game", "pay",
    }
)  # fmt: skip


def check_markup(p: JSON) -> JSON | None:
    """The request's reply_markup, or Telegram's 400 for one it would refuse."""
    markup = p.get("reply_markup")
    if markup is None or markup == "":
        return None
    if not isinstance(markup, dict):
        raise bad("can't parse reply keyboard markup JSON object")
    rows = markup.get("inline_keyboard")
    if rows is None:
        return markup
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays')
    for row in rows:
        for button in row:
            if not isinstance(button, dict) or not _BUTTON_ACTIONS.intersection(button):
                raise bad(
                    "can't parse inline keyboard button: Text buttons are unallowed in the "
                    "inline keyboard"
                )
            if "web_app" in button:  # Telegram opens only https pages inside itself
                app = button["web_app"]
                url = str(app.get("url", "")) if isinstance(app, dict) else ""
                if not url.startswith("https://"):
                    raise bad(f"inline keyboard button Web App URL {url!r} is invalid: Only "
                              "HTTPS links are allowed")
            data = button.get("callback_data")
            if data is not None and not 1 <= len(str(data).encode()) <= MAX_CALLBACK_DATA:
                raise bad("BUTTON_DATA_INVALID")
    if sum(len(row) for row in rows) > MAX_INLINE_BUTTONS:
        raise bad("reply markup is too long")
    return markup
