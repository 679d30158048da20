"""Reconciliation at scale: a 50,000-line statement against a campaign of 100,000 pledges,
timed from the file's bytes to the summary (goal ≤ 5 s). The baseline is reading the file's
cells the plain way (openpyxl's read-only rows; csv.reader), what Loa's own sheet reader
(models/statements.py) is measured against.

    .venv/bin/python -m bench.reconcile [--lines 50000] [--pledges 100000] [--db URL]
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import tempfile
import time
from datetime import UTC, date, datetime

from sqlalchemy import insert
from sqlmodel import select

from bench.common import ROOT
from bot.db import Database
from bot.migrate import upgrade
from models.areas import by_code, import_areas, parse_csv
from models.campaigns import Campaign
from models.pledges import Pledge
from models.reconcile import PLANNED, make_plan, office_actor
from models.statements import read_statement

NOW = datetime(2026, 11, 30, tzinfo=UTC)
HEADER = ["STT", "Ngày giao dịch", "Số tham chiếu", "Số tiền ghi nợ", "Số tiền ghi có", "Mô tả"]


def seed(db: Database, pledges: int) -> int:
    text = (ROOT / "examples" / "areas-thu-thua.csv").read_text(encoding="utf-8")
    db.call(lambda s: import_areas(s, parse_csv(text)))

    def campaign(s) -> int:
        area = by_code(s, "804")
        c = Campaign(name="Vì người nghèo 2026", area_id=area.id, starts_on=date(2026, 11, 1),
                     ends_on=date(2026, 12, 31), ref_prefix="TT26", last_number=pledges)
        s.add(c)
        s.flush()
        rows = [{"reference": f"TT26-{n:04d}", "campaign_id": c.id, "area_id": area.id,
                 "pledger_kind": "individual", "display_name": f"Người {n}", "kind": "money",
                 "amount": 100_000 * (n % 50 + 1), "public": True, "held": False,
                 "status": "cancelled" if n % 97 == 0 else "registered", "token": f"b{n}",
                 "created_at": NOW, "updated_at": NOW} for n in range(1, pledges + 1)]
        for i in range(0, len(rows), 5000):
            s.execute(insert(Pledge), rows[i:i + 5000])
        return c.id

    return db.call(campaign)


def lines(count: int, pledges: int) -> list[list]:
    """Credits as banks write them: the code in every way it is mangled, some other amounts,
    notes with no code, codes of nobody, and debits."""
    rnd = random.Random(10)
    out = []
    for i in range(count):
        n = rnd.randint(1, pledges)
        amount = 100_000 * (n % 50 + 1)
        style = i % 10
        note = [f"CHUYEN TIEN UNG HO TT26-{n:04d} NGUYEN VAN A", f"TT26 {n:04d} ung ho",
                f"tt26{n:04d}", f"Ủng hộ quỹ TT26-{n} Trần Thị Bích", f"MBVCB.{i}.TT26.{n:04d}",
                "ung ho dong bao", f"TT26-{n:04d}", f"IBFT TT26-{n:04d}", f"tt26 {n}",
                "Phi dich vu"][style]
        if style == 6:
            amount += 50_000  # another amount
        credit, debit = (None, 11_000) if style == 9 else (amount, None)
        out.append([i + 1, f"{1 + i % 28:02d}/11/2026", f"FT{i:010d}", debit, credit, note])
    return out


def xlsx(rows: list[list]) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    for title in ("NGÂN HÀNG TMCP NGOẠI THƯƠNG VIỆT NAM", "SAO KÊ TÀI KHOẢN",
                  "Loại tiền: VND", ""):
        sheet.append([title])
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_bytes(rows: list[list]) -> bytes:
    text = "\n".join(",".join(f'"{c}"' if c is not None else "" for c in row)
                     for row in [HEADER, *rows])
    return text.encode("utf-8-sig")


def plain_cells(name: str, content: bytes) -> list[list]:
    if name.endswith(".csv"):
        return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    return [list(row) for row in book.worksheets[0].iter_rows(values_only=True)]


def timed(fn, *args):
    started = time.perf_counter()
    result = fn(*args)
    return result, time.perf_counter() - started


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--lines", type=int, default=50_000)
    p.add_argument("--pledges", type=int, default=100_000)
    p.add_argument("--db", help="database URL (default: a new SQLite file)")
    args = p.parse_args()
    url = args.db or f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    upgrade(url)
    db = Database(url)
    campaign_id = seed(db, args.pledges)
    assert db.call(lambda s: s.exec(select(Campaign.id)).all()) == [campaign_id]
    rows = lines(args.lines, args.pledges)
    print(f"{args.lines} lines against {args.pledges} pledges on {url.split(':')[0]}")
    for name, content in (("statement.xlsx", xlsx(rows)), ("statement.csv", csv_bytes(rows))):
        _cells, baseline = timed(plain_cells, name, content)
        statement, parsed = timed(read_statement, name, content)
        plan, planned = timed(db.call, make_plan, office_actor(), campaign_id, statement)
        print(f"{name} ({len(content) / 1e6:.1f} MB): plain cells (baseline) {baseline:.2f} s;"
              f" to the summary {parsed + planned:.2f} s (read and parse {parsed:.2f} s, plan "
              f"{planned:.2f} s; goal ≤ 5 s)")
        print("  " + ", ".join(f"{o.value} {plan.count(o)}" for o in PLANNED)
              + f", debits {plan.debits}")
    db.dispose()


if __name__ == "__main__":
    main()
