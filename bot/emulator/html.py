"""Telegram-flavoured HTML: the only parse mode Loa uses.

Why: tests assert on what a user sees, and Telegram refuses a message whose markup it cannot
parse, so this parser reproduces both the visible text and Telegram's refusals.
"""

from __future__ import annotations

import re
from typing import Any

from .protocol import JSON, bad, u16

_TAG_RE = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)([^<>]*)>")


_ATTR_RE = re.compile(r"""([A-Za-z-]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?""")


_ENTITY_RE = re.compile(r"&(lt|gt|amp|quot|#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6});")


_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


_TAG_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
    "tg-time": "",  # accepted, but PTB has no entity type for it yet
}


def _unescape(text: str) -> str:
    """Decode only the entities Telegram decodes (&lt; &gt; &amp; &quot; and numeric ones)."""
    if "&" not in text:
        return text

    def repl(match: re.Match[str]) -> str:
        name = match.group(1)
        if name[0] != "#":
            return _NAMED_ENTITIES[name]
        code = int(name[2:], 16) if name[1] in "xX" else int(name[1:])
        try:
            return chr(code)
        except (ValueError, OverflowError):
            return match.group(0)

    return _ENTITY_RE.sub(repl, text)


def _byte_offset(raw: str, index: int) -> int:
    return len(raw[:index].encode())


def parse_html(raw: str, strict: bool = True) -> tuple[str, list[JSON]]:
    """Turn Telegram-HTML into ``(visible text, entities)``.

    Why: tests assert on what a user sees, and a stray ``<`` or an unsupported ``<br>`` makes
    the real Telegram reject the whole message, so ``strict`` reproduces Telegram's
    "can't parse entities" errors instead of letting such bugs pass locally.
    """
    out: list[str] = []
    entities: list[JSON] = []
    stack: list[tuple[str, int, dict[str, str]]] = []
    pos = 0  # UTF-16 offset in the visible text
    i, n = 0, len(raw)
    while i < n:
        lt = raw.find("<", i)
        chunk = raw[i:] if lt < 0 else raw[i:lt]
        if chunk:
            visible = _unescape(chunk)
            out.append(visible)
            pos += u16(visible)
        if lt < 0:
            break
        match = _TAG_RE.match(raw, lt)
        if match is None:
            if strict:
                raise bad(
                    'can\'t parse entities: Unsupported start tag "" at byte offset '
                    f"{_byte_offset(raw, lt)}"
                )
            out.append("<")
            pos += 1
            i = lt + 1
            continue
        i = match.end()
        closing, name, rest = match.group(1) == "/", match.group(2).lower(), match.group(3)
        if closing:
            if not stack or stack[-1][0] != name:
                if strict:
                    expected = f', expected "</{stack[-1][0]}>"' if stack else ""
                    raise bad(
                        "can't parse entities: Unmatched end tag at byte offset "
                        f'{_byte_offset(raw, lt)}{expected}, found "</{name}>"'
                    )
                continue
            tag, start, attrs = stack.pop()
            entity = _html_entity(tag, start, pos - start, attrs, stack)
            if entity is not None:
                entities.append(entity)
            continue
        attrs = {
            key.lower(): _unescape(v1 or v2 or v3) for key, v1, v2, v3 in _ATTR_RE.findall(rest)
        }
        supported = name in _TAG_TYPES and (name != "span" or attrs.get("class") == "tg-spoiler")
        if not supported:
            if strict:
                raise bad(
                    f'can\'t parse entities: Unsupported start tag "{name}" at byte offset '
                    f"{_byte_offset(raw, lt)}"
                )
            continue
        stack.append((name, pos, attrs))
    if stack and strict:
        raise bad(
            "can't parse entities: Can't find end tag corresponding to start tag "
            f'"{stack[-1][0]}"'
        )
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


def _html_entity(
    tag: str, offset: int, length: int, attrs: dict[str, str], stack: list[Any]
) -> JSON | None:
    kind = _TAG_TYPES[tag]
    if tag == "code" and stack and stack[-1][0] == "pre":
        language = attrs.get("class", "")
        if language.startswith("language-"):
            stack[-1][2]["language"] = language[len("language-") :]
            return None  # Telegram folds <pre><code class=language-x> into one pre entity
    if not kind or length == 0:
        return None
    entity: JSON = {"type": kind, "offset": offset, "length": length}
    if tag == "a":
        if not attrs.get("href"):
            return None
        entity["url"] = attrs["href"]
    elif tag == "pre" and attrs.get("language"):
        entity["language"] = attrs["language"]
    elif tag == "blockquote" and "expandable" in attrs:
        entity["type"] = "expandable_blockquote"
    elif tag == "tg-emoji":
        entity["custom_emoji_id"] = attrs.get("emoji-id", "")
    return entity
