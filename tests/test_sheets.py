"""Files Loa produces open safely in a spreadsheet: no cell runs as a formula."""

import csv
import io

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
