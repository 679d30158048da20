"""The one writer of the tables Loa hands out as files: .xlsx workbooks and CSV.

Rows are streamed: the workbook is openpyxl's write-only kind, which writes each row out as it
comes, so a sheet of 100,000 pledges takes no more memory than one of 100 (bench/export.py).
Money is a number with a VND format (sums work), dates are dates on the deployment's clock.

A text cell that begins with = + - @ (or a tab or a carriage return, also after spaces) is a
formula to a spreadsheet: a Telegram name like `=HYPERLINK("http://…","Click")` would become a
live link in the officer's workbook. Such text is written with a leading apostrophe (OWASP's
advice), which spreadsheets show as plain text, and an .xlsx text cell is always stored as a
string, never as a formula. Numbers stay numbers.

CSV is UTF-8 with a byte-order mark (Excel then reads the diacritics), money as plain integers
and dates as ISO 8601 (2026-12-03, 2026-12-03 14:05): unambiguous for any program reading it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import islice
from pathlib import Path
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from bot.i18n import Translator
from models.tables import DATE, DATETIME, MONEY, TEXT, Column, Table

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
MONEY_FORMAT = '#,##0 "₫"'
DATE_FORMAT, DATETIME_FORMAT = "dd/mm/yyyy", "dd/mm/yyyy hh:mm"
SAMPLE = 200  # rows read ahead to size the columns
WIDEST = 60
PROGRESS_EVERY = 1000  # rows between two calls of the progress callback

Progress = Callable[[int], None]


def cell(value: Any) -> Any:
    """The value as a spreadsheet should take it: text that would run as a formula is quoted."""
    if isinstance(value, str) and value.lstrip(" ").startswith(FORMULA_START):
        return "'" + value
    return value


def csv_file(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """A small untyped table as CSV bytes (UTF-8 with a byte-order mark)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([cell(h) for h in header])
    writer.writerows([cell(v) for v in row] for row in rows)
    return buffer.getvalue().encode("utf-8-sig")


def headers(table: Table, _: Translator) -> list[str]:
    return [_(c.header) if c.translate else c.header for c in table.columns]


def _converter(column: Column, _: Translator, for_csv: bool) -> Callable[[Any], Any]:
    """How one column's values become cell values, decided once per column."""
    if column.labels is not None:
        labels = {key: _(msgid) for key, msgid in column.labels.items()}
        return lambda v: None if v is None else cell(labels.get(v, str(v)))
    if column.kind == TEXT:
        return lambda v: None if v is None else cell(_clean(str(v)))
    if column.kind == DATETIME:
        if for_csv:
            return lambda v: None if v is None else _.local(v).strftime("%Y-%m-%d %H:%M")
        return lambda v: None if v is None else _.local(v).replace(tzinfo=None, microsecond=0)
    if column.kind == DATE:
        if for_csv:
            return lambda v: None if v is None else v.isoformat()
        return lambda v: v
    return lambda v: v  # integers and money: numbers as they are


def _clean(text: str) -> str:
    """Control characters have no place in a cell (openpyxl refuses them)."""
    return ILLEGAL_CHARACTERS_RE.sub("", text)


def _width(value: Any, kind: str) -> int:
    if value is None:
        return 0
    if kind == MONEY:
        return len(f"{value:,}") + 2
    if kind == DATE:
        return 10
    if kind == DATETIME:
        return 16
    return max((len(line) for line in str(value).splitlines()), default=0)


def _reporter(progress: Progress | None) -> Callable[[int], None]:
    def report(done: int) -> None:
        if progress is not None and done % PROGRESS_EVERY == 0:
            progress(done)
    return report


def write_xlsx(target: str | Path | IO[bytes], tables: Sequence[Table], _: Translator,
               progress: Progress | None = None) -> int:
    """Write the tables as the sheets of one workbook; the number of rows written."""
    book = Workbook(write_only=True)
    done = 0
    for table in tables:
        done = _write_sheet(book, table, _, done, progress)
    book.save(target)
    if progress is not None:
        progress(done)
    return done


def _sheet_title(title: str, taken: set[str]) -> str:
    """Excel's rules: at most 31 characters, none of []:*?/\\, unique in the workbook."""
    base = "".join(ch for ch in title if ch not in "[]:*?/\\")[:31] or "Sheet"
    name, n = base, 1
    while name.lower() in taken:
        n += 1
        name = f"{base[:28]} {n}"
    taken.add(name.lower())
    return name


def _write_sheet(book: Workbook, table: Table, _: Translator, done: int,
                 progress: Progress | None) -> int:
    taken = {ws.title.lower() for ws in book.worksheets}
    sheet = book.create_sheet(_sheet_title(_(table.title), taken))
    columns = list(table.columns)
    names = headers(table, _)
    rows = iter(table.rows)
    sample = list(islice(rows, SAMPLE))
    convert = [_converter(c, _, for_csv=False) for c in columns]
    for i, (column, name, conv) in enumerate(zip(columns, names, convert, strict=True), 1):
        widest = max([len(name), *(_width(conv(r[i - 1]), column.kind) for r in sample)])
        sheet.column_dimensions[get_column_letter(i)].width = min(widest + 2, WIDEST)
    top = len(table.above) + (2 if table.above else 1)  # the header's row: title lines, a gap
    sheet.freeze_panes = f"A{top + 1}"
    for line in table.above:
        sheet.append([cell(_clean(line))])
    if table.above:
        sheet.append([])
    bold = Font(bold=True)
    heads = []
    for name in names:
        head = WriteOnlyCell(sheet, cell(_clean(name)))
        head.font, head.alignment = bold, Alignment(wrap_text=True, vertical="top")
        heads.append(head)
    sheet.append(heads)
    styled = [_styled_cell(sheet, c.kind) for c in columns]
    report = _reporter(progress)
    count = 0
    for row in _chain(sample, rows):
        values = []
        for value, conv, holder in zip(row, convert, styled, strict=True):
            value = conv(value)
            if holder is not None and value is not None:
                holder.value = value
                value = holder  # written at once: one styled cell serves the whole column
            values.append(value)
        sheet.append(values)
        count += 1
        report(done + count)
    last = get_column_letter(max(len(columns), 1))
    sheet.auto_filter.ref = f"A{top}:{last}{top + count}"
    return done + count


def _styled_cell(sheet, kind: str) -> WriteOnlyCell | None:
    formats = {MONEY: MONEY_FORMAT, DATE: DATE_FORMAT, DATETIME: DATETIME_FORMAT}
    if kind not in formats:
        return None
    holder = WriteOnlyCell(sheet)
    holder.number_format = formats[kind]
    return holder


def _chain(sample: list, rows: Iterator) -> Iterator:
    yield from sample
    yield from rows


def write_csv(target: IO[str], table: Table, _: Translator,
              progress: Progress | None = None) -> int:
    """Write one table as CSV to a text file opened with newline="" (UTF-8 with a BOM is the
    caller's encoding: open(path, "w", encoding="utf-8-sig", newline="")). Title lines, if any,
    come first, then an empty line. The number of rows written."""
    writer = csv.writer(target)
    for line in table.above:
        writer.writerow([cell(_clean(line))])
    if table.above:
        writer.writerow([])
    writer.writerow([cell(name) for name in headers(table, _)])
    convert = [_converter(c, _, for_csv=True) for c in table.columns]
    report = _reporter(progress)
    count = 0
    for row in table.rows:
        writer.writerow([conv(v) for v, conv in zip(row, convert, strict=True)])
        count += 1
        report(count)
    if progress is not None:
        progress(count)
    return count
