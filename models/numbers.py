"""Whole numbers as people type them and as buttons carry them: ASCII digits only.

`str.isdigit()` says yes to "²" and to the digits of other scripts, which `int()` then refuses
(the person got the internal-error reply) or reads unexpectedly. Full-width digits ("１２",
from some phone keyboards) are read as the ASCII digits they look like; nothing else is.
"""

from __future__ import annotations

FULL_WIDTH = str.maketrans("０１２３４５６７８９", "0123456789")


def ascii_digits(text: str) -> str:
    """Full-width digits as ASCII ones; every other character as it is."""
    return text.translate(FULL_WIDTH)


def whole(text: str, maximum: int | None = None) -> int | None:
    """The non-negative whole number `text` is (at most `maximum`), or None."""
    digits = ascii_digits(text.strip())
    if not digits or not digits.isascii() or not digits.isdigit() or len(digits) > 18:
        return None
    value = int(digits)
    return value if maximum is None or value <= maximum else None
