"""Text and caption as Telegram receives them: parsed, cleaned, measured.

Why: tests must fail where Telegram would refuse a message, so the emulator applies what the Bot
API documents ("1-4096 characters after entities parsing", captions "0-1024 characters after
entities parsing") the way TDLib does it (td/telegram/MessageEntity.cpp, fix_formatted_text and
clean_input_string_with_entities, read in December 2026):

* control characters (U+0000-U+001F except the newline) become spaces, carriage returns are
  dropped, and so are U+2028-U+202E and the combining marks U+030A, U+0333, U+033F;
* trailing spaces and newlines are cut, and leading ones up to the first entity; only ' ' and
  '\\n' count as whitespace here (a tab has become a space by then);
* nothing left: "message text is empty" for a text, no caption for a caption;
* length in UTF-16 code units, as Telegram counts entity offsets, of that visible text: tags
  are not counted, HTML entities (&amp;) count as the one character they stand for.

Only the HTML parse mode is parsed: Loa never sends Markdown or MarkdownV2, so text in those modes
is counted raw, as written.
"""

from __future__ import annotations

from typing import Any

from .html import parse_html
from .protocol import JSON, bad, u16

MAX_TEXT = 4096
MAX_CAPTION = 1024

_DROPPED = frozenset("\r\u2028\u2029\u202a\u202b\u202c\u202d\u202e\u030a\u0333\u033f")


def clean(text: str, entities: list[JSON] | None) -> tuple[str, list[JSON] | None]:
    """TDLib's cleaning and trimming of a text and its entities (see the module docstring)."""
    out: list[str] = []
    starts: list[int] = []  # new UTF-16 offset at each old UTF-16 offset
    pos = 0
    for char in text:
        width = 2 if ord(char) > 0xFFFF else 1
        starts.extend([pos] * width)
        if char in _DROPPED:
            continue
        if char < " " and char != "\n":
            char = " "
        out.append(char)
        pos += width
    starts.append(pos)
    result = "".join(out)
    moved = []
    for e in entities or []:
        start, stop = e.get("offset", -1), e.get("offset", -1) + e.get("length", 0)
        if 0 <= start <= stop < len(starts):
            moved.append({**e, "offset": starts[start], "length": starts[stop] - starts[start]})
    result = result.rstrip(" \n")
    end = u16(result)
    kept = []
    for e in moved:
        e["length"] = min(e["length"], end - e["offset"])
        if e["length"] > 0:
            kept.append(e)
    first = min((e["offset"] for e in kept), default=end)
    lead = len(result) - len(result.lstrip(" \n"))  # ' ' and '\n' are one code unit each
    lead = min(lead, first)
    if lead:
        result = result[lead:]
        kept = [{**e, "offset": e["offset"] - lead} for e in kept]
    return result, kept or None


def render(
    raw: Any, parse_mode: Any, entities: Any, *, is_caption: bool, strict: bool
) -> tuple[str, str, list[JSON] | None]:
    """(raw, visible, entities) of a text or caption, refused as Telegram refuses it."""
    raw = "" if raw is None else str(raw)
    if isinstance(parse_mode, str) and parse_mode.lower() == "html":
        plain, found = parse_html(raw, strict=strict)
        ents: list[JSON] | None = found or None
    else:  # Markdown modes are not parsed: Loa never uses them (see the module docstring)
        plain, ents = raw, (entities if isinstance(entities, list) and entities else None)
    plain, ents = clean(plain, ents)
    if not is_caption and not plain:
        raise bad("message text is empty")
    if u16(plain) > (MAX_CAPTION if is_caption else MAX_TEXT):
        raise bad("message caption is too long" if is_caption else "message is too long")
    return raw, plain, ents
