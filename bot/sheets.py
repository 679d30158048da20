"""The one writer of the tables Loa hands out as files: .xlsx workbooks and CSV.

Rows are streamed: each sheet's XML is written into the zip as its rows come, so a sheet of
100,000 pledges takes no more memory than one of 100. The sheet XML is written here, by hand:
openpyxl's write-only workbook, also streaming, took 18-22 s for 100,000 pledges on the test
machine against 3.7 s here (bench/export.py, bench/RESULTS.md), its time going to building an
element per cell. The parts are the few that SpreadsheetML needs (workbook, styles, sheets);
openpyxl reads them back in the tests. Money is a number with a VND format (sums work), dates
are dates on the deployment's clock, the header row is bold and frozen, with an autofilter.

A text cell that begins with = + - @ (or a tab or a carriage return, also after spaces) is a
formula to a spreadsheet: a Telegram name like `=HYPERLINK("http://…","Click")` would become a
live link in the officer's workbook. Such text is written with a leading apostrophe (OWASP's
advice), which spreadsheets show as plain text, and an .xlsx text cell is always an inline
string, never a formula. Numbers stay numbers.

CSV is UTF-8 with a byte-order mark (Excel then reads the diacritics), money as plain integers
and dates as ISO 8601 (2026-12-03, 2026-12-03 14:05): unambiguous for any program reading it.
"""

from __future__ import annotations

import csv
import io
import math
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, datetime, timedelta
from itertools import islice
from pathlib import Path
from typing import IO, Any

from openpyxl.utils import get_column_letter

from bot.i18n import Translator
from models.tables import DATE, DATETIME, MONEY, TEXT, Column, Phrase, Table

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


def words(value: str | Phrase, _: Translator, translate: bool = True) -> str:
    """A header or a title line in the reader's language."""
    if isinstance(value, Phrase):
        return value.render(_, _.date)
    return _(value) if translate else value


def headers(table: Table, _: Translator) -> list[str]:
    return [words(c.header, _, c.translate) for c in table.columns]


def above(table: Table, _: Translator) -> list[str]:
    return [_clean(words(line, _, translate=False)) for line in table.above]


def _converter(column: Column, _: Translator, for_csv: bool) -> Callable[[Any], Any]:
    """How one column's values become cell values, decided once per column."""
    if column.labels is not None:
        labels = {key: _(msgid) for key, msgid in column.labels.items()}
        return lambda v: None if v is None else cell(_clean(labels.get(v, str(v))))
    if column.kind == TEXT:
        return lambda v: None if v is None else cell(_clean(
            words(v, _) if isinstance(v, Phrase) else str(v)))
    if column.kind == DATETIME:
        if for_csv:
            return lambda v: None if v is None else _.local(v).strftime("%Y-%m-%d %H:%M")
        return lambda v: None if v is None else _.local(v).replace(tzinfo=None, microsecond=0)
    if column.kind == DATE:
        if for_csv:
            return lambda v: None if v is None else v.isoformat()
        return lambda v: v
    return lambda v: v  # integers and money: numbers as they are


NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def _clean(text: str) -> str:
    """Control characters (and what XML cannot carry) have no place in a cell."""
    return NOT_XML.sub("", text)


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
    done = 0
    names: list[str] = []
    filters: list[str] = []
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as book:
        for number, table in enumerate(tables, 1):
            names.append(_sheet_title(_(table.title), {n.lower() for n in names}))
            with book.open(f"xl/worksheets/sheet{number}.xml", "w", force_zip64=True) as raw, \
                    io.TextIOWrapper(raw, encoding="utf-8") as out:
                done, ref = _write_sheet(out, table, _, done, progress)
            filters.append(ref)
        for name, text in _package(names, filters).items():
            book.writestr(name, text)
    if progress is not None:
        progress(done)
    return done


def _sheet_title(title: str, taken: set[str]) -> str:
    """Excel's rules: at most 31 characters (an emoji counts two), none of []:*?/\\, no
    apostrophe at either end, not "History" (Excel's own), unique in the workbook."""
    base = _utf16_cut(_clean("".join(ch for ch in title if ch not in "[]:*?/\\")), 31)
    base = base.strip("'").strip() or "Sheet"
    if base.lower() == "history":
        base = "Sheet"
    name, n = base, 1
    while name.lower() in taken:
        n += 1
        name = f"{_utf16_cut(base, 28).rstrip(chr(39))} {n}"
    return name


CELL_LIMIT = 32_767  # characters (UTF-16 units) an Excel cell holds


def _utf16_cut(text: str, limit: int) -> str:
    """The text cut to `limit` UTF-16 units, as Excel counts, never inside an emoji."""
    if len(text) * 2 <= limit:  # fast path: cannot be over
        return text
    units = 0
    for i, ch in enumerate(text):
        units += 2 if ord(ch) > 0xFFFF else 1
        if units > limit:
            return text[:i]
    return text


def _inline(text: str) -> str:
    """An inline string's <is>: the text escaped, cut to what a cell holds."""
    return f'<is><t xml:space="preserve">{_xml(_utf16_cut(text, CELL_LIMIT))}</t></is>'


def _xml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") \
        .replace('"', "&quot;")


EPOCH = datetime(1899, 12, 30)
#: cellXfs of STYLES by kind, plain and bold (the totals row; dates stay plain); 1 is the
#: header's, 5 bold text (a title line) or a bold number
STYLE = {MONEY: 2, DATE: 3, DATETIME: 4}
BOLD = {None: 5, MONEY: 6, DATE: 3, DATETIME: 4}
HEADER_WRAP = 18  # characters a header may take before it wraps, rather than widen its column


def _serial(value: date | datetime) -> str:
    """A date as Excel keeps it: days since 30/12/1899, the time of day as a fraction."""
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    return repr((value - EPOCH) / timedelta(days=1))


def _cell_writer(kind: str, bold: bool = False) -> Callable[[str, Any], str]:
    """How a column's (converted) values become <c> elements, decided once per column."""
    style = BOLD.get(kind, BOLD[None]) if bold else STYLE.get(kind)
    s = f' s="{style}"' if style else ""
    text_s = f' s="{BOLD[None]}"' if bold else ""
    if kind in (DATE, DATETIME):
        return lambda ref, v: f'<c r="{ref}"{s}><v>{_serial(v)}</v></c>'

    def write(ref: str, value: Any) -> str:
        if isinstance(value, str):
            return f'<c r="{ref}"{text_s} t="inlineStr">{_inline(value)}</c>'
        return f'<c r="{ref}"{s}><v>{value}</v></c>'
    return write


def _text_row(number: int, values: Sequence[str], style: int = 0, height: float = 0) -> str:
    s = f' s="{style}"' if style else ""
    cells = "".join(f'<c r="{get_column_letter(i)}{number}"{s} t="inlineStr">{_inline(v)}</c>'
                    for i, v in enumerate(values, 1))
    ht = f' ht="{height}" customHeight="1"' if height else ""
    return f'<row r="{number}"{ht}>{cells}</row>'


def _header_lines(name: str, width: int) -> int:
    """Lines a wrapped header takes in a column `width` wide (words kept whole)."""
    lines, used = 1, 0
    for word in name.split():
        if used and used + 1 + len(word) > width - 2:
            lines, used = lines + 1, len(word)
        else:
            used += len(word) + (1 if used else 0)
    return lines


def _write_sheet(out: IO[str], table: Table, _: Translator, done: int,
                 progress: Progress | None) -> tuple[int, str]:
    """One worksheet's XML, row by row as they come; (rows written so far, filter range)."""
    columns = list(table.columns)
    names = [_clean(n) for n in headers(table, _)]
    rows = iter(table.rows)
    # a table already in memory (a report, totals) is sized by all its rows, the totals row
    # included; a streamed one by its first rows
    sample = list(table.rows) if isinstance(table.rows, Sequence) else list(islice(rows, SAMPLE))
    rows = iter(()) if isinstance(table.rows, Sequence) else rows
    convert = [_converter(c, _, for_csv=False) for c in columns]
    bold = len(sample) - 1 if table.totals_last else -1  # bold figures are wider
    widths = [min(max([min(len(name), HEADER_WRAP),
                       *(_width(conv(r[i]), c.kind) * (1.15 if n == bold else 1)
                         for n, r in enumerate(sample))]) + 2, WIDEST)
              for i, (c, name, conv) in enumerate(zip(columns, names, convert, strict=True))]
    widths = [math.ceil(w) for w in widths]
    tall = max((_header_lines(n, w) for n, w in zip(names, widths, strict=True)), default=1)
    top = len(table.above) + (2 if table.above else 1)  # the header's row: title lines, a gap
    out.write(f'{XML_HEAD}<worksheet xmlns="{MAIN}" xmlns:r="{RELS}">'
              f'<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr><sheetViews>'
              f'<sheetView workbookViewId="0"><pane ySplit="{top}" topLeftCell="A{top + 1}" '
              f'activePane="bottomLeft" state="frozen"/><selection pane="bottomLeft" '
              f'activeCell="A{top + 1}" sqref="A{top + 1}"/></sheetView></sheetViews>'
              f'<sheetFormatPr defaultRowHeight="15"/><cols>')
    out.write("".join(f'<col min="{i}" max="{i}" width="{w}" customWidth="1"/>'
                      for i, w in enumerate(widths, 1)))
    out.write("</cols><sheetData>")
    for number, line in enumerate(above(table, _), 1):
        out.write(_text_row(number, [cell(line)], style=BOLD[None] if number == 1 else 0))
    out.write(_text_row(top, [cell(n) for n in names], style=1,
                        height=15 * tall if tall > 1 else 0))
    letters = [get_column_letter(i) for i in range(1, len(columns) + 1)]
    writers = [_cell_writer(c.kind) for c in columns]
    last_writers = [_cell_writer(c.kind, bold=True) for c in columns] if table.totals_last \
        else writers
    report = _reporter(progress)
    number = top
    bold_row = top + len(sample) if table.totals_last else 0  # such a table is in memory
    for row in _chain(sample, rows):
        number += 1
        cells = "".join(write(f"{letter}{number}", value)
                        for letter, write, conv, raw in zip(
                            letters, last_writers if number == bold_row else writers, convert,
                            row, strict=True)
                        if (value := conv(raw)) is not None)
        out.write(f'<row r="{number}">{cells}</row>')
        report(done + number - top)
    ref = f"A{top}:{letters[-1] if letters else 'A'}{number}"
    out.write(f'</sheetData><autoFilter ref="{ref}"/>{PRINTED}</worksheet>')
    return done + number - top, ref


def _chain(sample: list, rows: Iterator) -> Iterator:
    yield from sample
    yield from rows


#: Printed (the report upward is signed on paper): landscape, as wide as the page, as long as
#: it takes.
PRINTED = ('<pageMargins left="0.5" right="0.5" top="0.6" bottom="0.6" header="0.3" '
           'footer="0.3"/><pageSetup paperSize="9" orientation="landscape" fitToWidth="1" '
           'fitToHeight="0"/>')
XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
SHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
STYLES = (
    f'{XML_HEAD}<styleSheet xmlns="{MAIN}"><numFmts count="3">'
    f'<numFmt numFmtId="164" formatCode="{_xml(MONEY_FORMAT)}"/>'
    f'<numFmt numFmtId="165" formatCode="{DATE_FORMAT}"/>'
    f'<numFmt numFmtId="166" formatCode="{DATETIME_FORMAT}"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
    '</cellStyleXfs><cellXfs count="7">'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1" '
    'applyAlignment="1"><alignment vertical="top" wrapText="1"/></xf>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="166" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="164" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1" '
    'applyNumberFormat="1"/>'
    '</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/>'
    '</cellStyles></styleSheet>')


def _package(names: list[str], filters: list[str]) -> dict[str, str]:
    """The workbook's other parts: its sheets, their filters, styles, and what is where."""
    count = len(names)
    sheets = "".join(f'<sheet name="{_xml(n)}" sheetId="{i}" r:id="rId{i}"/>'
                     for i, n in enumerate(names, 1))
    quoted = ["'" + n.replace("'", "''") + "'" for n in names]
    defined = "".join(
        f'<definedName name="_xlnm._FilterDatabase" localSheetId="{i}" hidden="1">'
        f"{_xml(q)}!{_absolute(ref)}</definedName>"
        f'<definedName name="_xlnm.Print_Titles" localSheetId="{i}">'  # the header on each page
        f"{_xml(q)}!${_header_row(ref)}:${_header_row(ref)}</definedName>"
        for i, (q, ref) in enumerate(zip(quoted, filters, strict=True)))
    sheet_rels = "".join(
        f'<Relationship Id="rId{i}" Type="{RELS}/worksheet" Target="worksheets/sheet{i}.xml"/>'
        for i in range(1, count + 1))
    overrides = "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" '
                        f'ContentType="{SHEET_TYPE}"/>' for i in range(1, count + 1))
    office = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    return {
        "[Content_Types].xml": (
            f'{XML_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Default Extension="rels" ContentType="application/vnd.'
            'openxmlformats-package.relationships+xml"/><Default Extension="xml" '
            'ContentType="application/xml"/><Override PartName="/xl/workbook.xml" '
            f'ContentType="{office}.sheet.main+xml"/><Override PartName="/xl/styles.xml" '
            f'ContentType="{office}.styles+xml"/>{overrides}</Types>'),
        "_rels/.rels": (
            f'{XML_HEAD}<Relationships xmlns="{PACKAGE_RELS}"><Relationship Id="rId1" '
            f'Type="{RELS}/officeDocument" Target="xl/workbook.xml"/></Relationships>'),
        "xl/workbook.xml": (
            f'{XML_HEAD}<workbook xmlns="{MAIN}" xmlns:r="{RELS}"><bookViews><workbookView/>'
            f'</bookViews><sheets>{sheets}</sheets><definedNames>{defined}</definedNames>'
            '</workbook>'),
        "xl/_rels/workbook.xml.rels": (
            f'{XML_HEAD}<Relationships xmlns="{PACKAGE_RELS}">{sheet_rels}'
            f'<Relationship Id="rId{count + 1}" Type="{RELS}/styles" Target="styles.xml"/>'
            '</Relationships>'),
        "xl/styles.xml": STYLES,
    }


def _header_row(ref: str) -> str:
    """A5:Q9 → 5: the filter starts on the header's row."""
    return re.match(r"[A-Z]+(\d+)", ref).group(1)


def _absolute(ref: str) -> str:
    """A1:Q9 → $A$1:$Q$9, as defined names hold it."""
    return ":".join(re.sub(r"([A-Z]+)(\d+)", r"$\1$\2", part) for part in ref.split(":"))


def write_csv(target: IO[str], table: Table, _: Translator,
              progress: Progress | None = None) -> int:
    """Write one table as CSV to a text file opened with newline="" (UTF-8 with a BOM is the
    caller's encoding: open(path, "w", encoding="utf-8-sig", newline="")). Title lines, if any,
    come first, then an empty line. The number of rows written."""
    writer = csv.writer(target)
    for line in above(table, _):
        writer.writerow([cell(line)])
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
