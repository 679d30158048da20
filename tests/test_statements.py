"""Bank statements as four banks lay them out, and the files Loa must refuse, by name."""

import csv
import io
from datetime import date
from pathlib import Path

import pytest

from models.statements import (
    MAX_BYTES,
    Question,
    Statement,
    StatementProblem,
    known_layout,
    parse_day,
    parse_money,
    read_statement,
    remember_layout,
)

DATA = Path(__file__).parent / "data"
CREDITS = [(date(2026, 11, 2), 500_000), (date(2026, 11, 2), 1_000_000),
           (date(2026, 11, 3), 300_000), (date(2026, 11, 4), 400_000),
           (date(2026, 11, 5), 100_000), (date(2026, 11, 5), 250_000),
           (date(2026, 11, 6), 2_000_000)]


def read(name: str, **kw):
    return read_statement(name, (DATA / name).read_bytes(), **kw)


@pytest.mark.parametrize(("name", "reference"), [
    ("vietcombank.xlsx", "FT2630611001"), ("vietinbank.xls", "VTB2630611001"),
    ("bidv.csv", "BIDV2630611001"), ("techcombank.xlsx", "TCB2630611001")])
def test_each_bank_layout_gives_the_same_credits(name, reference):
    statement = read(name)
    assert isinstance(statement, Statement)
    assert [(c.on, c.amount) for c in statement.credits] == CREDITS
    assert statement.debits == 1  # the SMS fee, ignored
    first = statement.credits[0]
    assert first.reference == reference and first.key == f"ref:{reference}"
    assert first.description == "CHUYEN TIEN UNG HO TT26-0001 NGUYEN VAN A"
    assert "Trần Thị Bích" in statement.credits[-1].description


def test_a_layout_loa_cannot_tell_is_asked_once_then_remembered(db):
    question = read("agribank.csv")
    assert isinstance(question, Question) and question.role == "credit"
    assert [h for _i, h in question.choices] == ["Ngày GD", "Phát sinh", "Số dư", "Nội dung"]
    statement = read("agribank.csv", answers={"credit": 1})
    assert [(c.on, c.amount) for c in statement.credits] == CREDITS
    assert all(c.key.startswith("h:") for c in statement.credits)  # no reference: a hash
    db.call(remember_layout, question.signature, {"credit": 1})
    again = db.call(lambda s: read("agribank.csv", layout=lambda sig: known_layout(s, sig)))
    assert [c.key for c in again.credits] == [c.key for c in statement.credits]


@pytest.mark.parametrize(("name", "code"), [
    ("password.xlsx", "password"), ("not_a_statement.xlsx", "not_statement"),
    ("wrong_encoding.csv", "encoding"), ("merged_header.xlsx", "merged_header"),
    ("empty.csv", "empty"), ("usd.xlsx", "currency")])
def test_bad_files_are_refused_by_name(name, code):
    with pytest.raises(StatementProblem) as refused:
        read(name)
    assert refused.value.code == code


def test_too_large_and_unreadable():
    with pytest.raises(StatementProblem) as refused:
        read_statement("big.csv", b"x" * (MAX_BYTES + 1))
    assert refused.value.code == "too_large"
    with pytest.raises(StatementProblem) as refused:
        read_statement("s.xlsx", b"PK\x03\x04 not really a zip")
    assert refused.value.code == "unreadable"
    with pytest.raises(StatementProblem) as refused:
        read_statement("s.csv", "Ngày,Có,Mô ta\u0309\nfoo\n".encode("cp1258") + b"\x81\x00")
    assert refused.value.code == "encoding"


def test_cp1258_csv_with_a_signed_amount_and_utf16():
    # cp1258 writes "Mô tả" as "Mô ta" and a combining hook
    text = "Ngày\tAmount\tMô ta\u0309\n02/11/2026\t+500,000 VND\tTT26-0001\n" \
           "03/11/2026\t-11,000 VND\tPhi\n"
    for data in (text.encode("utf-16"), text.encode("cp1258")):
        statement = read_statement("s.csv", data)
        assert [(c.on, c.amount) for c in statement.credits] == [(date(2026, 11, 2), 500_000)]
        assert statement.debits == 1


def test_amounts_and_days_as_banks_write_them():
    for text, amount in [("1.500.000", 1_500_000), ("1,500,000", 1_500_000),
                         ("1500000.00", 1_500_000), ("+500,000 VND", 500_000),
                         ("1.500.000,00", 1_500_000), ("(200.000)", -200_000), (750000.0, 750_000),
                         ("500.000đ", 500_000), ("-11,000", -11_000)]:
        assert parse_money(text) == amount, text
    for bad in ("", None, "abc", "1.50.00"):
        assert parse_money(bad) is None, bad
    for text, day in [("02/11/2026", date(2026, 11, 2)), ("2/11/2026 09:15:22", date(2026, 11, 2)),
                      ("2026-11-02", date(2026, 11, 2)), ("02-11-26", date(2026, 11, 2))]:
        assert parse_day(text) == day, text
    assert parse_day("31/02/2026") is None and parse_day("Tổng cộng") is None


def test_identical_lines_stay_distinct_and_keep_their_keys():
    text = ("Ngày giao dịch,Số tiền ghi có,Nội dung,Số tham chiếu\n"
            "02/11/2026,500000,ung ho,\n02/11/2026,500000,ung ho,\n"
            "02/11/2026,200000,TT26-1,R1\n02/11/2026,300000,TT26-2,R1\n").encode()
    keys = [c.key for c in read_statement("s.csv", text).credits]
    assert len(set(keys)) == 4 and keys[2:] == ["ref:R1", "ref:R1#2"]
    assert keys == [c.key for c in read_statement("s.csv", text).credits]


def xlsx(rows: list[list]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_bytes(rows: list[list], delimiter: str = ",") -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter).writerows(rows)
    return out.getvalue().encode("utf-8-sig")


#: Header rows as more banks export them: bilingual headings (one line or two), ACB's and
#: Sacombank's "Gửi vào" / "Rút ra", VPBank's "Phát sinh có", MB's "Nội dung chi tiết".
LAYOUTS = {
    "mb": ["STT/No", "Ngày giao dịch/Transaction Date", "Số bút toán/Reference No",
           "Phát sinh nợ/Debit", "Phát sinh có/Credit", "Số dư/Balance",
           "Nội dung chi tiết/Description"],
    "acb": ["Ngày hiệu lực", "Số GD", "Tiền rút ra", "Tiền gửi vào", "Số dư",
            "Mô tả giao dịch"],
    "sacombank": ["Ngày giao dịch", "Ngày hiệu lực", "Số chứng từ", "Diễn giải", "Rút ra",
                  "Gửi vào", "Số dư"],
    "vpbank": ["Ngày giao dịch", "Ngày hiệu lực", "Số bút toán", "Phát sinh nợ", "Phát sinh có",
               "Số dư", "Nội dung"],
    "agribank": ["Ngày GD/ TNX Date", "Số tiền ghi nợ/ Debit", "Số tiền ghi có/ Credit",
                 "Số dư/ Balance", "Nội dung/ Transactions in detail"],
    "bidv": ["STT", "Ngày giao dịch\nTransaction Date", "Số tham chiếu\nReference number",
             "Số tiền ghi nợ\nDebit", "Số tiền ghi có\nCredit", "Số dư\nBalance",
             "Mô tả giao dịch\nTransaction description"],
    "english": ["Transaction Date", "Remitter", "Credit Amount", "Debit Amount",
                "Transaction Details", "Reference Number"],
}


def _line(header: list[str], day, credit, debit, note: str, ref: str) -> list:
    def value(heading: str):
        h = heading.lower()
        for words, v in [(("stt",), 1), (("ngày", "date"), day), (("dư",), "9.000.000"),
                         (("có", "credit", "gửi vào"), credit), (("nợ", "debit", "rút"), debit),
                         (("nội dung", "mô tả", "diễn giải", "details"), note),
                         (("remitter",), "NGUYEN VAN A")]:
            if any(w in h for w in words):
                return v
        return ref
    return [value(h) for h in header]


@pytest.mark.parametrize("bank", sorted(LAYOUTS))
@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_more_banks_layouts_are_read_without_asking(bank, kind):
    header = LAYOUTS[bank]
    rows = [["SAO KÊ TÀI KHOẢN"], ["Loại tiền: VND"], header,
            _line(header, "03/12/2026 14:05:22", "1.000.000 VND", "", "ung ho TT26-0042", "R1"),
            _line(header, "2026-12-03", "", "-11.000", "Phi SMS", "R2"),
            _line(header, 46360, "VND 500,000", "", "IBFT TT26 0043", "R3")]
    content = xlsx(rows) if kind == "xlsx" else csv_bytes(rows)
    statement = read_statement(f"s.{kind}", content)
    assert isinstance(statement, Statement), statement
    assert [(c.on, c.amount, c.description) for c in statement.credits] == [
        (date(2026, 12, 3), 1_000_000, "ung ho TT26-0042"),
        (date(2026, 12, 4), 500_000, "IBFT TT26 0043")]
    assert statement.debits == 1


def test_excel_day_numbers_and_iso_times_are_days():
    """A bank's export that left its date cells unformatted gives Excel's day numbers: before,
    those lines were skipped as if they were totals, and their money never counted."""
    for value in (46359, 46359.59, "46359", "2026-12-03T14:05:22", "03/12/2026 14:05:22"):
        assert parse_day(value) == date(2026, 12, 3), value
    for value in (12, 1_000_000, "100000", "Tổng cộng"):
        assert parse_day(value) is None, value
    assert parse_money("VND 1,000,000") == 1_000_000
    assert parse_money("VND1.000.000,00") == 1_000_000


@pytest.mark.parametrize(("name", "content"), [
    ("sao ke.pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n" + bytes(range(256)) * 4),
    ("anh.jpg", b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4),
    ("anh.png", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4),
    ("sao ke.csv", b"%PDF-1.7\n" + bytes(range(256)) * 4),  # a PDF renamed .csv
    ("sao ke.docx", b"PK\x03\x04" + bytes(range(256)) * 4)])
def test_a_pdf_a_picture_or_a_document_is_no_table(name, content):
    """They used to be answered "the letters cannot be read", which sent the officer looking
    for an encoding setting."""
    with pytest.raises(StatementProblem) as refused:
        read_statement(name, content)
    assert refused.value.code == "unreadable"


def test_a_semicolon_csv_with_commas_in_notes_and_amounts():
    """The delimiter was the one that split some line into the most fields: a ";" file whose
    notes and "1.000.000,00" amounts hold commas was split at the commas, and refused."""
    lines = ["NGAN HANG BIDV", "Sao ke tai khoan;Loai tien: VND", "",
             "STT;Ngày giao dịch;Số CT;Ghi nợ;Ghi có;Số dư;Diễn giải"]
    lines += [f"{n};02/11/2026;R{n};;1.000.000,00;9.000.000,00;ung ho, TT26-{n:04d}, cam on, "
              "chuc, suc, khoe, a, b, c" for n in range(1, 4)]
    statement = read_statement("s.csv", "\n".join(lines).encode())
    assert [(c.amount, c.reference) for c in statement.credits] == [
        (1_000_000, "R1"), (1_000_000, "R2"), (1_000_000, "R3")]


def test_a_workbook_with_a_cover_sheet_first():
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["THÔNG TIN KHÁCH HÀNG"])
    sheet = book.create_sheet("Sao ke")
    for row in (["Ngày giao dịch", "Số tiền ghi có", "Nội dung"],
                ["02/11/2026", 500_000, "TT26-0001"]):
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    statement = read_statement("s.xlsx", out.getvalue())
    assert [(c.on, c.amount) for c in statement.credits] == [(date(2026, 11, 2), 500_000)]


@pytest.mark.parametrize(("heading", "into", "out"), [
    ("Nợ/Có", "C", "D"), ("Debit/Credit", "CR", "DR"), ("Dr/Cr", "Có", "Nợ")])
def test_one_unsigned_amount_and_which_way_it_went(heading, into, out):
    """A fee of 11.000 written unsigned with "D" beside it used to count as money received."""
    text = (f"Ngày giao dịch,Số tiền,{heading},Nội dung\n"
            f"02/11/2026,500.000,{into},TT26-0001\n02/11/2026,11.000,{out},Phi SMS\n")
    statement = read_statement("s.csv", text.encode())
    assert [c.amount for c in statement.credits] == [500_000] and statement.debits == 1
