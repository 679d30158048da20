"""Regenerate the small bank statements under tests/data/ (run from the repository root).

Each is laid out as that bank's internet banking exports it: title lines above the header,
the bank's own column names, its way of writing amounts and dates. The .xls needs xlwt, which
is not a dependency of Loa: `.venv/bin/pip install xlwt` only to run this script.

The same credits in every file (pledges TT26-0001..0005 and TT26A-0001 in the tests):
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from pathlib import Path

HERE = Path(__file__).parent

#: (day, credit or -debit, note, bank reference)
LINES = [
    ("02/11/2026 09:15", 500_000, "CHUYEN TIEN UNG HO TT26-0001 NGUYEN VAN A", "FT2630611001"),
    ("02/11/2026 10:02", 1_000_000, "TT26 0002 ung ho quy vi nguoi ngheo", "FT2630611002"),
    ("03/11/2026 08:40", 300_000, "tt260003", "FT2630711003"),
    ("03/11/2026 14:05", -11_000, "Phi dich vu SMS Banking", "FT2630711004"),
    ("04/11/2026 16:30", 400_000, "Ủng hộ TT26A-0001 Lê Văn Tám", "FT2630811005"),
    ("05/11/2026 07:55", 100_000, "ung ho TT26-0004", "FT2630911006"),
    ("05/11/2026 11:20", 250_000, "ung ho dong bao kho khan", "FT2630911007"),
    ("06/11/2026 09:00", 2_000_000, "Ủng hộ Quỹ Vì người nghèo TT26-0005 Trần Thị Bích",
     "FT2631011008"),
]


def _day(text: str) -> datetime:
    return datetime.strptime(text, "%d/%m/%Y %H:%M")


def vietcombank() -> None:
    """.xlsx: bank name merged across the top, account and period lines, then the header."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["NGÂN HÀNG TMCP NGOẠI THƯƠNG VIỆT NAM"])
    sheet.merge_cells("A1:F1")
    sheet.append(["SAO KÊ TÀI KHOẢN"])
    sheet.append(["Số tài khoản: 1031933430 - QUY VI NGUOI NGHEO"])
    sheet.append(["Loại tiền: VND"])
    sheet.append(["Từ ngày 01/11/2026 đến ngày 30/11/2026"])
    sheet.append([])
    sheet.append(["STT", "Ngày giao dịch", "Số tham chiếu", "Số tiền ghi nợ", "Số tiền ghi có",
                  "Mô tả"])
    for n, (day, amount, note, ref) in enumerate(LINES, 1):
        sheet.append([n, day[:10], ref, -amount if amount < 0 else None,
                      amount if amount > 0 else None, note])
    sheet.append(["", "Tổng cộng", "", 11_000, sum(a for _d, a, _n, _r in LINES if a > 0), ""])
    book.save(HERE / "vietcombank.xlsx")


def vietinbank() -> None:
    """.xls: one signed amount column, date and time together, "Số bút toán"."""
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("Sao ke")
    top = ["NGÂN HÀNG TMCP CÔNG THƯƠNG VIỆT NAM - VietinBank",
           "LỊCH SỬ GIAO DỊCH", "Tài khoản: 108000123456   Loại tiền: VND"]
    for r, text in enumerate(top):
        sheet.write(r, 0, text)
    header = ["STT", "Thời gian giao dịch", "Nội dung giao dịch", "Số tiền giao dịch", "Số dư",
              "Số bút toán"]
    for c, text in enumerate(header):
        sheet.write(4, c, text)
    balance = 10_000_000
    for n, (day, amount, note, ref) in enumerate(LINES, 1):
        balance += amount
        for c, value in enumerate([n, day + ":00", note, f"{amount:+,}", f"{balance:,}",
                                   ref.replace("FT", "VTB")]):
            sheet.write(4 + n, c, value)
    book.save(str(HERE / "vietinbank.xls"))


def bidv() -> None:
    """.csv, UTF-8 with a BOM, ";" between fields, amounts written 1.000.000."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(["NGAN HANG TMCP DAU TU VA PHAT TRIEN VIET NAM (BIDV)"])
    writer.writerow(["Sao kê tài khoản 31410000123456", "Loại tiền: VND"])
    writer.writerow([])
    writer.writerow(["STT", "Ngày hiệu lực", "Ngày giao dịch", "Số CT", "Ghi nợ", "Ghi có",
                     "Số dư", "Diễn giải"])
    for n, (day, amount, note, ref) in enumerate(LINES, 1):
        money = f"{abs(amount):,}".replace(",", ".")
        writer.writerow([n, day[:10], day[:10], ref.replace("FT", "BIDV"),
                         money if amount < 0 else "", money if amount > 0 else "", "", note])
    (HERE / "bidv.csv").write_bytes(out.getvalue().encode("utf-8-sig"))


def techcombank() -> None:
    """.xlsx in English: date cells, number cells, Debit and Credit."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    for text in ("TECHCOMBANK", "ACCOUNT STATEMENT", "Account number: 19033334445556",
                 "Currency: VND", "From 01/11/2026 to 30/11/2026", ""):
        sheet.append([text])
    sheet.append(["Transaction Date", "Reference", "Description", "Debit", "Credit",
                  "Balance"])
    for day, amount, note, ref in LINES:
        sheet.append([_day(day), ref.replace("FT", "TCB"), note,
                      -amount if amount < 0 else 0, amount if amount > 0 else 0, None])
    book.save(HERE / "techcombank.xlsx")


def agribank() -> None:
    """.csv with no credit column Loa knows ("Phát sinh"): Loa has to ask; no references."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Ngày GD", "Phát sinh", "Số dư", "Nội dung"])
    for day, amount, note, _ref in LINES:
        writer.writerow([day[:10], f"{amount:,}", "", note])
    (HERE / "agribank.csv").write_text(out.getvalue(), encoding="utf-8")


def bad_files() -> None:
    from openpyxl import Workbook

    # an encrypted .xlsx is an OLE compound file holding an EncryptionInfo stream
    (HERE / "password.xlsx").write_bytes(
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504 + "EncryptionInfo".encode("utf-16-le")
        + b"\0" * 512)
    book = Workbook()
    book.active.append(["Danh sách mua sắm"])
    book.active.append(["Gạo", "10 kg"])
    book.save(HERE / "not_a_statement.xlsx")
    text = (HERE / "bidv.csv").read_bytes().decode("utf-8-sig")
    (HERE / "wrong_encoding.csv").write_bytes(text.encode("utf-16-be"))  # no BOM
    book = Workbook()
    sheet = book.active
    sheet.append(["Ngày giao dịch", "Số tiền", None, "Nội dung"])
    sheet.merge_cells("B1:C1")
    sheet.append([None, "Ghi nợ", "Ghi có", None])
    sheet.append(["02/11/2026", None, 500_000, "TT26-0001"])
    book.save(HERE / "merged_header.xlsx")
    (HERE / "empty.csv").write_text(
        "Ngày giao dịch,Số tiền ghi nợ,Số tiền ghi có,Nội dung\n"
        "03/11/2026,11000,,Phi dich vu SMS Banking\n", encoding="utf-8")
    book = Workbook()
    sheet = book.active
    for row in (["ACCOUNT STATEMENT"], ["Currency: USD"],
                ["Transaction Date", "Reference", "Description", "Debit", "Credit"],
                [datetime(2026, 11, 2), "X1", "TT26-0001", 0, 20]):
        sheet.append(row)
    book.save(HERE / "usd.xlsx")


if __name__ == "__main__":
    vietcombank()
    vietinbank()
    bidv()
    techcombank()
    agribank()
    bad_files()
