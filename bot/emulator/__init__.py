"""A small HTTP server that speaks the Telegram Bot API's wire format.

Why it exists: the real Bot API cannot be used in CI, and mocking python-telegram-bot's ``Bot``
skips the request layer where real bugs live (form encoding, file uploads, flood limits, error
mapping, Telegram's size limits). This server lets the *unchanged* bot talk HTTP to it while a
test, the terminal sandbox or a benchmark plays the users and inspects what the bot sent.

Two faces:

* the Bot API side (``/bot{token}/{method}``, ``/file/bot{token}/{path}``) answered exactly in
  Telegram's ``{"ok": ..., "result": ...}`` envelope, including Telegram's error texts, and,
  once the bot sets a webhook, updates POSTed to it as Telegram delivers them;
* the driver side: a Python API on :class:`Emulator` (``add_user``, ``send_text``,
  ``press_button``, ``next_message``, ...) and a thin JSON mirror of it under ``/_emu/`` for a
  driver living in another process.

Everything runs on one asyncio loop; request handlers never await in the middle of a state
change, so no locks are needed. One module per concern; ``core`` assembles them.
"""

from .core import Emulator
from .html import parse_html
from .protocol import ApiError
from .records import CallbackAnswer, SentMessage, Stats, StoredFile

__all__ = [
    "ApiError",
    "CallbackAnswer",
    "Emulator",
    "SentMessage",
    "Stats",
    "StoredFile",
    "parse_html",
]
