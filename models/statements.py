"""Bank statements as exported from internet banking (.xlsx, .xls, .csv), read into credits.

Every bank lays its statement out its own way: title lines (bank, account, period) above a
header row, then one line per transaction. Loa finds the header row and the columns by their
usual Vietnamese and English names; when a column cannot be told it asks (a Question) rather
than guess, and remembers the answer for that layout (keyed by the folded header row).
A file Loa must not read is refused with a StatementProblem naming the reason.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, Session, SQLModel

from models.areas import fold
from models.base import utcnow

MAX_BYTES = 20 * 1024 * 1024
HEADER_SEARCH = 40  # title lines a bank may put above the header row
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
#: How PDFs and pictures begin (PNG, JPEG, GIF, WebP/RIFF, HEIC), and their names: a bank's
#: PDF statement or a photo of the screen is no table, whatever its letters decode to.
NOT_TABLES = (b"%PDF", b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"RIFF", b"\x00\x00\x00\x18ftyp",
              b"\x00\x00\x00\x1cftyp", b"{\\rtf")
NOT_TABLE_NAMES = (".pdf", ".png", ".jpg", ".jpeg", ".gif", ".webp", ".heic", ".doc", ".docx",
                   ".rtf", ".zip", ".rar")


class StatementProblem(Exception):
    """Why a file cannot be read as a statement; `code` is what the handler words."""

    CODES = ("too_large", "password", "unreadable", "encoding", "not_statement",
             "merged_header", "currency", "empty")

    def __init__(self, code: str, detail: str = "") -> None:
        assert code in self.CODES, code
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code, self.detail = code, detail


# The columns Loa looks for, by role; names are folded (no diacritics, lower case), best first.
NAMES: dict[str, tuple[str, ...]] = {
    # which way the money went, beside one unsigned amount column ("Nợ/Có": C or D); first,
    # so "Debit/Credit" is not taken for the credit column
    "direction": ("no co", "co no", "dr cr", "cr dr", "d c", "c d", "debit credit",
                  "credit debit", "ghi no ghi co"),
    "reference": ("so but toan", "ma giao dich", "so tham chieu", "ma gd", "so giao dich",
                  "so ct", "so chung tu", "reference", "reference no", "ref no",
                  "transaction no", "transaction id", "txn id", "ref", "so gd", "ma tham chieu"),
    "date": ("ngay giao dich", "ngay gd", "transaction date", "ngay hach toan", "ngay",
             "date", "posting date", "ngay thuc hien", "thoi gian giao dich", "thoi gian",
             "txn date", "ngay hieu luc", "value date", "date time", "ngay gio giao dich"),
    "credit": ("so tien ghi co", "ghi co", "so tien co", "phat sinh co", "tien vao", "co",
               "credit", "credit amount", "credits", "money in", "so tien vao", "tang",
               "tien gui vao", "gui vao", "so tien gui vao", "deposit", "deposits"),
    "debit": ("so tien ghi no", "ghi no", "so tien no", "phat sinh no", "tien ra", "no",
              "debit", "debit amount", "debits", "money out", "so tien ra", "giam",
              "tien rut ra", "rut ra", "so tien rut ra", "withdrawal", "withdrawals"),
    "description": ("noi dung", "noi dung giao dich", "dien giai", "mo ta", "description",
                    "transaction details", "details", "remark", "remarks", "narrative",
                    "noi dung chi tiet", "chi tiet giao dich", "noi dung chuyen khoan"),
    "currency": ("loai tien", "tien te", "currency", "ccy", "don vi tien"),
    "amount": ("so tien", "so tien giao dich", "amount", "transaction amount", "so tien gd"),
}
INTO, OUT_OF = {"c", "co", "cr", "credit", "ghi co"}, {"d", "no", "dr", "debit", "ghi no"}
REQUIRED = ("date", "description")  # and a credit or a signed amount column
CURRENCIES = re.compile(r"\b(usd|eur|jpy|cny|aud|gbp|sgd|krw|thb|hkd|twd|chf|cad)\b")


@dataclass(frozen=True)
class Credit:
    """Money in: one line of the statement."""

    line: int  # 1-based line in the file, as the officer sees it in Excel
    on: date
    amount: int
    description: str
    reference: str  # the bank's own reference; "" when the statement has none
    key: str = ""  # how the transaction is known once recorded (see transaction_key)


@dataclass
class Statement:
    credits: list[Credit]
    debits: int  # lines of money out, ignored
    signature: str


@dataclass
class Question:
    """Which column is the `role`? The answer is a column index among `choices`."""

    role: str
    choices: list[tuple[int, str]]
    signature: str


@dataclass
class Sheet:
    rows: list[list[Any]]
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)  # r0, c0, r1, c1
    decoded: str = "utf"  # "fallback" when a CSV was neither UTF-8 nor UTF-16


class StatementLayout(SQLModel, table=True):
    """A header row Loa had to ask about, and the columns the officer chose for it."""

    signature: str = Field(primary_key=True, max_length=64)
    columns: dict[str, int] = Field(default_factory=dict, sa_column=Column(JSON,
                                                                          nullable=False))
    created_at: datetime = Field(default_factory=utcnow)


def known_layout(session: Session, signature: str) -> dict[str, int] | None:
    layout = session.get(StatementLayout, signature)
    return dict(layout.columns) if layout else None


def remember_layout(session: Session, signature: str, columns: dict[str, int]) -> None:
    layout = session.get(StatementLayout, signature) or StatementLayout(signature=signature)
    layout.columns = dict(columns)
    session.add(layout)
    session.flush()


# ---- reading the file --------------------------------------------------------------------

def read_sheet(name: str, content: bytes) -> Sheet:
    """The cells of the statement's sheet (an .xlsx's first with a header row, else its
    first), whatever the format."""
    if len(content) > MAX_BYTES:
        raise StatementProblem("too_large", f"{len(content)} bytes")
    if content.startswith(OLE_MAGIC):
        if b"E\x00n\x00c\x00r\x00y\x00p\x00t\x00i\x00o\x00n\x00I\x00n\x00f\x00o" in content:
            raise StatementProblem("password")  # an encrypted .xlsx is an OLE container
        return _read_xls(content)
    if content.startswith(b"PK"):
        return _read_xlsx(content)
    if content.startswith(NOT_TABLES) or name.lower().endswith(NOT_TABLE_NAMES):
        raise StatementProblem("unreadable", "a PDF, a picture or a document")
    if name.lower().endswith((".xls", ".xlsx")):
        raise StatementProblem("unreadable", "not a workbook")
    return _read_csv(content)


def _read_xlsx(content: bytes) -> Sheet:
    from openpyxl.reader.excel import ExcelReader
    from openpyxl.styles.stylesheet import apply_stylesheet

    try:
        # openpyxl reads the workbook's parts (shared strings, styles, where the first sheet
        # is); not the sheet itself, which its read-only mode may parse twice
        reader = ExcelReader(io.BytesIO(content), read_only=True, data_only=True)
        reader.read_manifest()
        reader.read_strings()
        reader.read_workbook()
        apply_stylesheet(reader.archive, reader.wb)
        chosen = None
        for _sheet, rel in reader.parser.find_sheets():  # a cover sheet may come first
            xml = reader.archive.read(rel.target.lstrip("/"))
            rows = _sheet_rows(xml, reader.shared_strings, reader.wb._date_formats,
                               reader.wb.epoch)
            chosen = chosen or (xml, rows)
            if find_header(rows) is not None:
                chosen = xml, rows
                break
        xml, rows = chosen
        reader.archive.close()
    except Exception as exc:  # a damaged or foreign zip: many exception types, one answer
        raise StatementProblem("unreadable", exc.__class__.__name__) from None
    merged = [_cell_range(m.decode()) for m in re.findall(rb'<mergeCell ref="([A-Z0-9:]+)"', xml)]
    return Sheet(rows, merged)


_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


def _sheet_rows(xml: bytes, shared: list[str], date_styles: set[int],
                epoch: datetime) -> list[list[Any]]:
    """The sheet's values, read straight from its XML: openpyxl's cell objects take about
    four times as long for a 50,000-line statement. openpyxl has read the workbook's shared
    strings and which styles are dates."""
    from xml.etree.ElementTree import iterparse

    from openpyxl.utils.datetime import from_excel

    rows: list[list[Any]] = []
    for _event, element in iterparse(io.BytesIO(xml)):
        if element.tag != _NS + "row":
            continue
        row: list[Any] = []
        for cell in element.iter(_NS + "c"):
            kind, value = cell.get("t"), cell.findtext(_NS + "v")
            if kind == "s" and value is not None:
                value = shared[int(value)]
            elif kind == "inlineStr":
                value = "".join(t.text or "" for t in cell.iter(_NS + "t"))
            elif kind == "d" and value is not None:
                value = datetime.fromisoformat(value)
            elif kind in (None, "n") and value is not None:
                number = float(value)
                value = int(number) if number.is_integer() else number
                if int(cell.get("s", 0)) in date_styles:
                    value = from_excel(number, epoch)
            ref = cell.get("r")
            at = _column(ref) if ref else len(row)
            row.extend([None] * (at - len(row)))
            row.append(value)
        number = int(element.get("r", len(rows) + 1))
        rows.extend([] for _gap in range(number - 1 - len(rows)))
        rows.append(row)
        element.clear()
    return rows


def _column(ref: str) -> int:
    """"AB12" → 27 (from 0)."""
    at = 0
    for ch in ref:
        if not ch.isalpha():
            break
        at = at * 26 + ord(ch.upper()) - 64
    return at - 1


def _cell_range(ref: str) -> tuple[int, int, int, int]:
    from openpyxl.utils.cell import range_boundaries

    c0, r0, c1, r1 = range_boundaries(ref if ":" in ref else f"{ref}:{ref}")
    return r0 - 1, c0 - 1, r1 - 1, c1 - 1


def _read_xls(content: bytes) -> Sheet:
    import xlrd

    try:
        book = xlrd.open_workbook(file_contents=content, formatting_info=True)
    except xlrd.XLRDError as exc:
        if "encrypted" in str(exc).lower():
            raise StatementProblem("password") from None
        raise StatementProblem("unreadable", str(exc)) from None
    except Exception as exc:
        raise StatementProblem("unreadable", exc.__class__.__name__) from None
    sheet = book.sheet_by_index(0)
    rows = []
    for r in range(sheet.nrows):
        row = []
        for cell in sheet.row(r):
            if cell.ctype == xlrd.XL_CELL_DATE:
                row.append(xlrd.xldate_as_datetime(cell.value, book.datemode))
            else:
                row.append(cell.value)
        rows.append(row)
    merged = [(r0, c0, r1 - 1, c1 - 1) for r0, r1, c0, c1 in sheet.merged_cells]
    return Sheet(rows, merged)


def _decode(content: bytes) -> tuple[str, str]:
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        return content.decode("utf-16"), "utf"
    try:
        return content.decode("utf-8-sig"), "utf"
    except UnicodeDecodeError:
        pass
    for encoding in ("cp1258", "cp1252"):
        try:
            text = content.decode(encoding)
        except UnicodeDecodeError:
            continue
        if not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", text):
            return text, "fallback"
    raise StatementProblem("encoding")


def _read_csv(content: bytes) -> Sheet:
    text, decoded = _decode(content)
    if "\x00" in text:
        raise StatementProblem("encoding")
    head = "\n".join(text.splitlines()[:HEADER_SEARCH + 10])
    delimiter = max(",;\t|", key=lambda d: _header_fit(list(csv.reader(io.StringIO(head),
                                                                          delimiter=d))))
    rows = [list(r) for r in csv.reader(io.StringIO(text), delimiter=delimiter)]
    return Sheet(rows, decoded=decoded)


def _header_fit(rows: list[list[str]]) -> tuple[int, int]:
    """How well a delimiter splits the head of a CSV: the header row it reveals, then that
    row's width. (csv.Sniffer is misled by the title lines; the widest split by the commas in
    notes and in "1.000.000,00" when the fields are separated by ";".)"""
    at = find_header(rows)
    if at is None:
        return 0, max((len(r) for r in rows), default=0)
    return _score(match_columns([_folded(c) for c in rows[at]])), len(rows[at])


# ---- the header row and its columns ------------------------------------------------------

def _folded(cell: Any) -> str:
    return fold(re.sub(r"[()\[\]:*./_\-]", " ", str(cell))) if cell is not None else ""


def _word_in(name: str, header: str) -> bool:
    return f" {name} " in f" {header} "


def match_columns(header: Sequence[str]) -> dict[str, list[int]]:
    """For each role, the columns it could be: one is sure, several is a question, none
    is missing. Exact names first, then names inside a longer heading ("Số tiền ghi có (VND)")."""
    taken: set[int] = set()
    found: dict[str, list[int]] = {}
    for role, names in NAMES.items():
        found[role] = []
        for test in (str.__eq__, _word_in):
            for name in names:
                hits = [i for i, h in enumerate(header)
                        if h and i not in taken and test(name, h)]
                if hits:
                    found[role] = hits
                    break
            if found[role]:
                break
        if len(found[role]) == 1:
            taken.update(found[role])
    return found


def _score(found: dict[str, list[int]]) -> int:
    return sum(bool(found[r]) for r in ("date", "description")) + bool(
        found["credit"] or found["amount"])


def find_header(rows: list[list[Any]]) -> int | None:
    best, best_score = None, 1
    for i, row in enumerate(rows[:HEADER_SEARCH]):
        score = _score(match_columns([_folded(c) for c in row]))
        if score > best_score:
            best, best_score = i, score
    return best


def signature(header: Sequence[str]) -> str:
    return hashlib.sha256("|".join(header).encode()).hexdigest()[:40]


def resolve(header: Sequence[str], known: dict[str, int] | None) -> dict[str, int] | Question:
    """The column of each role, or the first question to ask."""
    sig = signature(header)
    found = match_columns(header)
    columns = {role: hits[0] for role, hits in found.items() if len(hits) == 1}
    columns.update(known or {})
    choices = [(i, str(h)) for i, h in enumerate(header) if h]
    for role in (*REQUIRED, "credit"):
        if role == "credit" and "amount" in columns:
            continue
        if role not in columns:
            ask = [(i, h) for i, h in choices if i in found[role]] if found[role] else choices
            return Question(role, ask, sig)
    return columns


# ---- values ------------------------------------------------------------------------------

_MONEY = re.compile(r"[+-]?\d[\d.,]*")


def parse_money(value: Any) -> int | None:
    """1.500.000 / 1,500,000 / 1500000.00 / +500,000 VND / (200.000) as whole đồng."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return round(value)
    text = str(value).strip().replace("\xa0", "").replace(" ", "")
    negative = text.startswith("(") and text.endswith(")")
    text = re.sub(r"(?i)^(vnd|vnđ|₫)|(vnd|vnđ|đ|₫|d)$", "", text.strip("()"))
    if not _MONEY.fullmatch(text):
        return None
    sign = -1 if negative or text.startswith("-") else 1
    digits = text.lstrip("+-")
    cut = max(digits.rfind("."), digits.rfind(","))
    whole, decimals = digits, "0"
    if cut >= 0 and len(digits) - cut - 1 in (1, 2):  # decimals: 1500000.00, 1.500.000,5
        whole, decimals = digits[:cut], digits[cut + 1:]
        if digits[cut] in whole:
            return None
    if not re.fullmatch(r"\d+|\d{1,3}([.,]\d{3})+", whole):
        return None
    return sign * round(float(f"{re.sub(r'[.,]', '', whole)}.{decimals}"))


_DMY = re.compile(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4}|\d{2})(?!\d)")
_YMD = re.compile(r"(\d{4})[/.\-](\d{1,2})[/.\-](\d{1,2})(?!\d)")
SERIALS = range(36526, 73051)  # Excel's day numbers of 2000-01-01 .. 2099-12-31
EXCEL_EPOCH = date(1899, 12, 30)


def parse_day(value: Any) -> date | None:
    """A cell's day: a date, "03/12/2026 14:05:22", "2026-12-03T14:05", or Excel's day number
    (46359, also as text) when a bank's export left the date cells unformatted."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value or "").strip()
    serial = re.fullmatch(r"(\d{5})(\.\d+)?", text)
    if serial and int(serial[1]) in SERIALS:
        return EXCEL_EPOCH + timedelta(days=int(serial[1]))
    try:
        if match := _YMD.match(text):
            return date(int(match[1]), int(match[2]), int(match[3]))
        if match := _DMY.match(text):
            year = int(match[3]) + (2000 if len(match[3]) == 2 else 0)
            return date(year, int(match[2]), int(match[1]))
    except ValueError:
        return None
    return None


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a reference typed as a number in Excel
    return " ".join(str(value).split()) if value is not None else ""


def transaction_key(credit: Credit, seen: Counter) -> str:
    """The bank's reference; without one, a hash of day, amount and folded description. The
    n-th identical one in a statement gets #n, so two equal gifts stay two."""
    base = credit.reference[:56] if credit.reference else \
        f"{credit.on.isoformat()}|{credit.amount}|{fold(credit.description)}"
    seen[base] += 1  # a reference a bank repeats is counted the same way
    if seen[base] > 1:
        base += f"#{seen[base]}"
    if credit.reference:
        return "ref:" + base
    return "h:" + hashlib.sha256(base.encode()).hexdigest()[:40]


# ---- the whole statement -----------------------------------------------------------------

def read_statement(name: str, content: bytes,
                   layout: Callable[[str], dict[str, int] | None] = lambda _s: None,
                   answers: dict[str, int] | None = None) -> Statement | Question:
    """The credits of a statement, or the question Loa must ask first. `layout` looks up
    the remembered columns of a header row; `answers` are this upload's answers so far."""
    sheet = read_sheet(name, content)
    at = find_header(sheet.rows)
    if at is None:
        raise StatementProblem("encoding" if sheet.decoded == "fallback" else "not_statement")
    header = [_folded(c) for c in sheet.rows[at]]
    width = len(header)
    for r0, c0, r1, c1 in sheet.merged:
        if r0 <= at <= r1 and c0 < width and (c1 > c0 or r1 > r0):
            raise StatementProblem("merged_header", f"row {at + 1}")
    sig = signature(header)
    columns = resolve(header, {**(layout(sig) or {}), **(answers or {})})
    if isinstance(columns, Question):  # asked with the headings as the bank wrote them
        cells = sheet.rows[at]
        columns.choices = [(i, _text(cells[i])) for i, _h in columns.choices]
        return columns
    _check_currency(sheet.rows, at, columns)
    return _credits(sheet.rows, at, columns, sig)


def _check_currency(rows: list[list[Any]], at: int, columns: dict[str, int]) -> None:
    above = " ".join(_folded(c) for row in rows[:at + 1] for c in row if c is not None)
    if CURRENCIES.search(above) and "vnd" not in above.split():
        raise StatementProblem("currency", CURRENCIES.search(above)[1].upper())
    if "currency" in columns:
        seen = {_folded(r[columns["currency"]]) for r in rows[at + 1:at + 200]
                if len(r) > columns["currency"] and r[columns["currency"]]}
        other = seen - {"vnd", "vnđ", "dong"}
        if other:
            raise StatementProblem("currency", sorted(other)[0].upper())


def _credits(rows: list[list[Any]], at: int, columns: dict[str, int], sig: str) -> Statement:
    def cell(row: list[Any], role: str) -> Any:
        i = columns.get(role)
        return row[i] if i is not None and i < len(row) else None

    credits, debits, seen = [], 0, Counter()
    for number, row in enumerate(rows[at + 1:], at + 2):
        on = parse_day(cell(row, "date"))
        if on is None:
            continue  # totals, opening balance, blank lines below the transactions
        if "credit" in columns:
            amount = parse_money(cell(row, "credit")) or 0
        else:
            amount = parse_money(cell(row, "amount")) or 0
            way = _folded(cell(row, "direction"))
            if way in INTO or way in OUT_OF:
                amount = abs(amount) if way in INTO else -abs(amount)
        if amount <= 0:
            debits += 1
            continue
        credit = Credit(number, on, amount, _text(cell(row, "description")),
                        _text(cell(row, "reference")))
        credits.append(Credit(**{**credit.__dict__, "key": transaction_key(credit, seen)}))
    if not credits:
        raise StatementProblem("empty")
    return Statement(credits, debits, sig)
