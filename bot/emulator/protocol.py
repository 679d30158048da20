"""The Bot API's error envelope.

Why: every refusal must reach the bot exactly as Telegram words it (`Bad Request: ...`), so
PTB maps it to the same exception class it would get in production.
"""

from __future__ import annotations

from typing import Any

JSON = dict[str, Any]


class ApiError(Exception):
    """A Bot API failure, rendered as Telegram's ``{"ok": false, ...}`` envelope."""

    def __init__(self, code: int, description: str, parameters: JSON | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters

    def payload(self) -> JSON:
        """Telegram's error body; ``parameters`` only when present, as Telegram does."""
        body: JSON = {"ok": False, "error_code": self.code, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


def u16(text: str) -> int:
    """Length in UTF-16 code units: Telegram measures limits and entity offsets this way."""
    return len(text) if text.isascii() else len(text.encode("utf-16-le")) // 2
