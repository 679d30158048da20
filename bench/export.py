"""An .xlsx export of 100,000 pledges: how long it takes (goal ≤ 10 s) and whether memory grows
with the rows (it must not: the workbook is streamed). The baseline is a plain csv.writer dump
of the same rows, read the same way, in the same run.

    .venv/bin/python -m bench.export [--rows 100000] [--small 10000] [--db-url URL]
"""

from __future__ import annotations

import argparse
import csv
import tempfile
import time
import tracemalloc
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import insert
from sqlmodel import select

from bench.common import ROOT
from bot.db import Database
from bot.i18n import Translator
from bot.migrate import upgrade
from bot.sheets import write_xlsx
from models.areas import Area, by_code, import_areas, parse_csv
from models.campaigns import Campaign
from models.exports import pledges_table
from models.pledges import Pledge
from models.users import Actor, Role, User

KINDS = ("individual", "household", "business")
NAMES = ("Nguyễn Văn An", "Trần Thị Bích Ngọc", "Công ty TNHH Phú Thịnh", "=HYPERLINK(\"x\")")


def add_campaign(db: Database, prefix: str, pledges: int) -> int:
    """A district campaign with `pledges` pledges spread over the district's areas."""
    def make(s):
        areas = list(s.exec(select(Area.id)))
        district = by_code(s, "804")
        campaign = Campaign(name=f"Bench {prefix}", area_id=district.id,
                            starts_on=date(2026, 11, 1), ends_on=date(2026, 12, 31),
                            ref_prefix=prefix, last_number=pledges)
        s.add(campaign)
        s.flush()
        start = datetime(2026, 11, 1, tzinfo=UTC)
        for first in range(0, pledges, 10_000):
            s.execute(insert(Pledge), [dict(
                reference=f"{prefix}-{i:06d}", campaign_id=campaign.id, area_id=areas[i % len(
                    areas)], pledger_kind=KINDS[i % 3], display_name=NAMES[i % 4],
                kind="money", amount=100_000 * (1 + i % 50),
                status="received" if i % 3 == 0 else "registered",
                received_amount=100_000 * (1 + i % 50) if i % 3 == 0 else None,
                received_on=date(2026, 11, 2) if i % 3 == 0 else None, held=False,
                public=True, token=f"{prefix}{i}", created_at=start + timedelta(minutes=i),
                updated_at=start) for i in range(first, min(first + 10_000, pledges))])
        return campaign.id
    return db.call(make)


def run_xlsx(db: Database, actor, campaign_id: int, _: Translator, folder: Path) -> int:
    return write_xlsx(folder / "pledges.xlsx", [pledges_table(db.session, actor, campaign_id)],
                      _)


def run_csv(db: Database, actor, campaign_id: int, folder: Path) -> int:
    """The baseline: the same rows, as they come from the database, through csv.writer."""
    with (folder / "pledges.csv").open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        count = 0
        for row in pledges_table(db.session, actor, campaign_id).rows:
            writer.writerow(row)
            count += 1
    return count


def timed(fn, *args) -> tuple[float, int]:
    started = time.perf_counter()
    rows = fn(*args)
    return time.perf_counter() - started, rows


def peak(fn, *args) -> int:
    tracemalloc.start()
    try:
        fn(*args)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=100_000)
    p.add_argument("--small", type=int, default=10_000)
    p.add_argument("--db-url", help="a database to fill (default: a throwaway SQLite file)")
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)
        url = args.db_url or f"sqlite:///{out / 'bench.db'}"
        upgrade(url)
        db = Database(url)
        areas = (ROOT / "examples" / "areas-thu-thua.csv").read_text(encoding="utf-8")
        db.call(lambda s: import_areas(s, parse_csv(areas)))
        started = time.perf_counter()
        small, large = add_campaign(db, "SM26", args.small), add_campaign(db, "LG26", args.rows)
        print(f"seeded {args.small:,} + {args.rows:,} pledges in "
              f"{time.perf_counter() - started:.1f} s ({db.engine.dialect.name})")
        admin = Actor(User(id=0, name="bench"), Role.ADMIN, None)
        _ = Translator("vi", ZoneInfo("Asia/Ho_Chi_Minh"))
        base_s, base_rows = timed(run_csv, db, admin, large, out)
        xlsx_s, rows = timed(run_xlsx, db, admin, large, _, out)
        size = (out / "pledges.xlsx").stat().st_size
        print(f"baseline csv.writer: {base_rows:,} rows in {base_s:.2f} s")
        print(f".xlsx: {rows:,} rows in {xlsx_s:.2f} s (goal ≤ 10 s), {size / 1e6:.1f} MB, "
              f"{xlsx_s / base_s:.1f} × the baseline")
        peaks = {n: peak(run_xlsx, db, admin, cid, _, out)
                 for n, cid in ((args.small, small), (args.rows, large))}
        for n, bytes_ in peaks.items():
            print(f"peak traced memory, .xlsx of {n:,} rows: {bytes_ / 1e6:.1f} MB")
        ratio = peaks[args.rows] / peaks[args.small]
        print(f"memory ratio {args.rows:,} / {args.small:,} rows: {ratio:.2f} "
              f"(rows ratio {args.rows / args.small:.0f}; goal: about 1)")
        db.dispose()


if __name__ == "__main__":
    main()
