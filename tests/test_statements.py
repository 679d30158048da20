"""Bank statements as four banks lay them out, and the files Loa must refuse, by name."""

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
    assert [h for _i, h in question.choices] == ["ngay gd", "phat sinh", "so du", "noi dung"]
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
