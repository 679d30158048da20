"""Tables Loa hands out as files, safe to open in Excel or LibreOffice.

A text cell that begins with = + - @ (or a tab or a carriage return) is a formula to a
spreadsheet: a Telegram name like `=HYPERLINK("http://…","Click")` would become a live link in
the officer's workbook. Such cells are written with a leading apostrophe, which spreadsheets
show as plain text. Numbers stay numbers. Every file Loa produces goes through here.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> Any:
    """The value as a spreadsheet should take it: text that would run as a formula is quoted."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_file(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """UTF-8 with a byte-order mark, so Excel opens it with its diacritics."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([cell(h) for h in header])
    writer.writerows([cell(v) for v in row] for row in rows)
    return buffer.getvalue().encode("utf-8-sig")
