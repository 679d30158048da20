"""Screens built from data of unbounded size, kept within Telegram's limits.

Telegram counts a message (4,096) or a caption (1,024) in UTF-16 code units of the visible text,
after the HTML is parsed: tags do not count, `&amp;` counts as one, an emoji outside the Basic
Multilingual Plane as two. A screen is rendered as a list of blocks (HTML, one entry each); the
blocks are packed into pages under a budget, and shown one page at a time with a ◀ n/N ▶ row
whose presses edit the message in place. A page press is only a number: the handler checks the
person and re-renders from the database, like every other button of Loa.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.context import reply

TEXT_BUDGET = 3800  # a page's text; room left for a header and a footer line
BUTTON_ROWS = 10  # buttons of entries on one page (an inline keyboard allows 100)
BUTTON_TEXT = 60  # characters of a button's label
NOOP = "pg:noop"  # the "n/N" in the middle of the row: answered, nothing else

_TOKENS = re.compile(r"<[^>]*>|&(?:#\d+|#x[0-9a-fA-F]+|\w+);|[^<&]+|[<&]")
_TAG = re.compile(r"<\s*(/?)\s*([a-zA-Z0-9-]+)")


def units(text: str) -> int:
    """Length of plain text in UTF-16 code units, as Telegram counts it."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def visible(markup: str) -> str:
    """The text a reader sees of Telegram HTML: tags dropped, entities decoded."""
    return html.unescape(re.sub(r"<[^>]*>", "", markup))


def visible_units(markup: str) -> int:
    """Telegram's length of an HTML message: UTF-16 units of the visible text."""
    return units(visible(markup).strip())


def shorten(markup: str, limit: int, ellipsis: str = "…") -> str:
    """Cut Telegram HTML to at most `limit` visible UTF-16 units, never inside a tag, an
    entity or a surrogate pair, closing the tags left open. Unchanged when it fits."""
    if visible_units(markup) <= limit:
        return markup
    budget = limit - units(ellipsis)
    out: list[str] = []
    open_tags: list[str] = []
    for token in _TOKENS.findall(markup):
        if token.startswith("<") and len(token) > 1:
            tag = _TAG.match(token)
            if tag:
                name = tag.group(2).lower()
                if tag.group(1):
                    if name in open_tags:
                        open_tags.remove(name)
                elif not token.endswith("/>"):
                    open_tags.append(name)
            out.append(token)
            continue
        text = html.unescape(token) if token.startswith("&") else token
        size = units(text)
        if size <= budget:
            out.append(token)
            budget -= size
            continue
        if not token.startswith("&"):  # part of a text run, whole characters only
            taken = []
            for ch in text:
                if units(ch) > budget:
                    break
                taken.append(ch)
                budget -= units(ch)
            out.append(html.escape("".join(taken), quote=False))
        break
    return "".join(out).rstrip() + ellipsis + "".join(f"</{t}>" for t in reversed(open_tags))


def paginate(blocks: Sequence[str], header: str = "", budget: int = TEXT_BUDGET,
             separator: str = "\n", most: int | None = None) -> list[list[int]]:
    """Indices of the blocks on each page, in order, each page under `budget` visible units
    with the header (and at most `most` blocks). A block too long for any page gets a page of
    its own (and is shortened when shown). Always at least one page (empty when there are no
    blocks)."""
    room = budget - visible_units(header) - units(separator)
    pages: list[list[int]] = [[]]
    used = 0
    for i, block in enumerate(blocks):
        size = min(units(visible(block)), room) + units(separator)
        if pages[-1] and (used + size > room or len(pages[-1]) == most):
            pages.append([])
            used = 0
        pages[-1].append(i)
        used += size
    return pages


def page_text(blocks: Sequence[str], indices: Sequence[int], header: str = "",
              footer: str = "", budget: int = TEXT_BUDGET, separator: str = "\n") -> str:
    """One page: the header, its blocks (each shortened to what is left), the footer."""
    room = budget - visible_units(header) - visible_units(footer) - 2 * units(separator)
    body = [shorten(blocks[i], room) for i in indices]
    text = separator.join(body)
    parts = [p for p in (header, text, footer) if p]
    return shorten(separator.join(parts), budget)


def fixed_page(blocks: Sequence[str], header: str = "", most: int = BUTTON_ROWS,
               budget: int = TEXT_BUDGET, separator: str = "\n") -> str:
    """A page of at most `most` entries cut from the database (offset and limit), each
    shortened to its share of the budget, so that the page fits whatever the entries hold."""
    share = (budget - visible_units(header) - units(separator)) // max(most, 1) - \
        units(separator)
    return page_text([shorten(b, share) for b in blocks], range(len(blocks)), header,
                     budget=budget, separator=separator)


def clamp(page: int, count: int) -> int:
    return max(0, min(page, count - 1))


def nav_row(page: int, count: int, data: Callable[[int], str]) -> list[InlineKeyboardButton]:
    """◀ n/N ▶: the arrows only where there is somewhere to go; nothing for a single page."""
    if count <= 1:
        return []
    row = []
    if page > 0:
        row.append(InlineKeyboardButton("◀", callback_data=data(page - 1)))
    row.append(InlineKeyboardButton(f"{page + 1}/{count}", callback_data=NOOP))
    if page < count - 1:
        row.append(InlineKeyboardButton("▶", callback_data=data(page + 1)))
    return row


def button_text(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= BUTTON_TEXT else text[:BUTTON_TEXT - 1].rstrip() + "…"


def markup(rows: Sequence[Sequence[InlineKeyboardButton]],
           nav: Sequence[InlineKeyboardButton] = ()) -> InlineKeyboardMarkup | None:
    rows = [list(r) for r in rows if r]
    if nav:
        rows.append(list(nav))
    return InlineKeyboardMarkup(rows) if rows else None


async def show(update: Update, text: str, keyboard: InlineKeyboardMarkup | None,
               edit: bool = True) -> None:
    """Send the page, or edit the pressed message into it; pressing the page already shown
    ("message is not modified") is no error."""
    await reply(update, text, keyboard, edit)


async def noop_pressed(update: Update, _context) -> None:
    await update.callback_query.answer()


def split_text(blocks: Sequence[str], header: str = "", budget: int = TEXT_BUDGET) -> list[str]:
    """Whole messages for something sent at once (the outbox): the header, then the blocks
    packed into as many messages as they need."""
    pages = paginate(blocks, header, budget)
    return [page_text(blocks, p, header if i == 0 else "", budget=budget)
            for i, p in enumerate(pages)]


def page_count(total: int, per_page: int = BUTTON_ROWS) -> int:
    return max(1, -(-total // per_page))


def choices(items: Sequence[tuple[str, str]], page: int, page_data: Callable[[int], str],
            extra: Sequence[Sequence[InlineKeyboardButton]] = (),
            per_page: int = BUTTON_ROWS,
            top: Sequence[Sequence[InlineKeyboardButton]] = ()) -> InlineKeyboardMarkup | None:
    """A chooser of any length: `top` rows, then one button a row, `per_page` a page, then
    `extra` rows and the ◀ n/N ▶ row (a keyboard holds at most 100 buttons)."""
    count = page_count(len(items), per_page)
    page = clamp(page, count)
    rows = [[InlineKeyboardButton(button_text(text), callback_data=data)]
            for text, data in items[page * per_page:(page + 1) * per_page]]
    return markup([*top, *rows, *extra], nav_row(page, count, page_data))


def runs(items: Sequence[str], budget: int = 1500, separator: str = ", ") -> list[str]:
    """Items (HTML) joined by `separator` into runs of at most `budget` visible units each:
    a long enumeration ("Ấp 1, Ấp 2, …") becomes blocks that pages can carry."""
    out: list[list[str]] = [[]]
    used = 0
    for item in items:
        size = units(visible(item)) + units(separator)
        if out[-1] and used + size > budget:
            out.append([])
            used = 0
        out[-1].append(item)
        used += size
    return [separator.join(run) for run in out if run]
