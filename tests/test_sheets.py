"""Files Loa produces open safely in a spreadsheet: no cell runs as a formula."""

import csv
import io
from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.sheets import cell, csv_file


def test_cells_that_would_run_as_formulas_are_text():
    for dangerous in ("=1+1", "+84909", "-2+3", "@SUM(A1)", "\t=1", "\r=1",
                      '=HYPERLINK("http://x","y")'):
        assert cell(dangerous) == "'" + dangerous
    for harmless in ("Lan", "Nguyễn Văn A", "1+1", "", "a=b"):
        assert cell(harmless) == harmless
    assert cell(-5) == -5 and cell(1_500_000) == 1_500_000 and cell(None) is None


def test_a_csv_file_has_a_bom_and_quoted_formulas():
    data = csv_file(["name", "amount"], [["=cmd|' /C calc'!A0", 500_000], ["Bình", -1]])
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows == [["name", "amount"], ["'=cmd|' /C calc'!A0", "500000"], ["Bình", "-1"]]


def test_a_workbook_of_several_sheets_with_title_lines_above_the_table():
    import openpyxl

    from bot.i18n import Translator
    from bot.sheets import MONEY_FORMAT, write_xlsx
    from models.tables import DATE, MONEY, Column, Table

    _ = Translator("vi", ZoneInfo("Asia/Ho_Chi_Minh"))
    report = Table("Báo cáo [cấp trên]", [Column("Đơn vị", translate=False),
                                           Column("Số tiền", MONEY, translate=False),
                                           Column("Ngày", DATE, translate=False)],
                   [["Xã Tân Thành\x07\ud800", 1_500_000, date(2026, 12, 3)], ["@Ấp 1", -5, None]],
                   above=["KẾT QUẢ VẬN ĐỘNG", "Ủy ban MTTQ huyện Thủ Thừa", "03/12/2026"])
    twin = Table("Báo cáo [cấp trên]", report.columns, [])
    buffer = io.BytesIO()
    assert write_xlsx(buffer, [report, twin], _) == 2
    book = openpyxl.load_workbook(io.BytesIO(buffer.getvalue()))
    assert book.sheetnames == ["Báo cáo cấp trên", "Báo cáo cấp trên 2"]
    sheet = book.worksheets[0]
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[:3] == [["KẾT QUẢ VẬN ĐỘNG", None, None], ["Ủy ban MTTQ huyện Thủ Thừa",
                                                             None, None], ["03/12/2026", None,
                                                                           None]]
    assert values[4:] == [["Đơn vị", "Số tiền", "Ngày"],
                          ["Xã Tân Thành", 1_500_000, datetime(2026, 12, 3)],
                          ["'@Ấp 1", -5, None]]
    assert sheet.freeze_panes == "A6" and sheet.auto_filter.ref == "A5:C7"
    assert sheet["B6"].number_format == MONEY_FORMAT and sheet["C6"].is_date
    assert sheet.column_dimensions["A"].width == len("Xã Tân Thành") + 2
    assert book.worksheets[1].auto_filter.ref == "A1:C1"  # no title lines, no rows


def test_what_excel_refuses_is_never_written():
    """Excel's limits, which openpyxl does not check on reading: a cell holds 32,767
    characters, a sheet name 31 (an emoji counts two), no apostrophe at its ends, not
    'History'; XML's special characters are escaped."""
    import zipfile

    import openpyxl

    from bot.i18n import Translator
    from bot.sheets import CELL_LIMIT, _sheet_title, write_xlsx
    from models.tables import Column, Table

    _ = Translator("vi", ZoneInfo("Asia/Ho_Chi_Minh"))
    huge = "Ấp " + "🏠" * 20_000  # 40,003 UTF-16 units
    table = Table("🎉" * 20, [Column("Tên & <số> \"x\"", translate=False)],
                  [[huge], ["a & b < c > d \" e"]], above=[huge], totals_last=True)
    buffer = io.BytesIO()
    write_xlsx(buffer, [table, Table("'History'", table.columns, [])], _)
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as parts:
        workbook = parts.read("xl/workbook.xml").decode()
    assert '<sheet name="' + "🎉" * 15 + '"' in workbook and 'name="Sheet"' in workbook
    book = openpyxl.load_workbook(io.BytesIO(buffer.getvalue()))
    sheet = book.worksheets[0]
    for value in (sheet["A1"].value, sheet["A4"].value):
        assert len(value.encode("utf-16-le")) // 2 == CELL_LIMIT  # cut between two emoji
        assert value.startswith("Ấp 🏠")
    assert sheet["A3"].value == 'Tên & <số> "x"' and sheet["A5"].value == 'a & b < c > d " e'
    assert sheet["A5"].font.b and not sheet["A4"].font.b  # the totals row is bold
    assert sheet["A1"].font.b  # the title line
    assert sheet.page_setup.orientation == "landscape" and sheet.page_setup.fitToWidth == 1
    assert _sheet_title("'Báo cáo'", set()) == "Báo cáo"
    assert _sheet_title("a" * 40, {"a" * 31}) == "a" * 28 + " 2"


def test_long_headers_wrap_instead_of_widening_their_column():
    import openpyxl

    from bot.i18n import Translator
    from bot.sheets import write_xlsx
    from models.tables import MONEY, Column, Table

    _ = Translator("vi", ZoneInfo("Asia/Ho_Chi_Minh"))
    header = "Tổng đăng ký (tiền và hiện vật)"
    buffer = io.BytesIO()
    write_xlsx(buffer, [Table("x", [Column(header, MONEY, translate=False)],
                              [[1_500_000]])], _)
    sheet = openpyxl.load_workbook(io.BytesIO(buffer.getvalue())).active
    assert sheet.column_dimensions["A"].width < len(header)
    assert sheet.row_dimensions[1].height >= 30  # room for the wrapped header


def test_a_report_is_sized_by_its_totals_row_and_prints_its_header_on_every_page():
    """300 communes of 267 million and a total of 80 billion: the total showed as ### when
    the columns were sized by the first 200 rows."""
    import openpyxl

    from bot.i18n import Translator
    from bot.sheets import write_xlsx
    from models.tables import MONEY, Column, Table

    _ = Translator("vi", ZoneInfo("Asia/Ho_Chi_Minh"))
    rows = [[f"Xã {i}", 267_000_000] for i in range(300)] + [["Tổng cộng", 80_100_000_000]]
    buffer = io.BytesIO()
    write_xlsx(buffer, [Table("Báo cáo", [Column("Địa bàn", translate=False),
                                          Column("Tiền", MONEY, translate=False)], rows,
                              above=["BÁO CÁO"], totals_last=True)], _)
    sheet = openpyxl.load_workbook(io.BytesIO(buffer.getvalue())).active
    assert sheet.column_dimensions["B"].width >= len("80,100,000,000 ₫") * 1.15 + 2
    assert sheet.print_title_rows == "$3:$3"
