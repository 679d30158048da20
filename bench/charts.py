"""Time from a press of 📊 to the PNGs: the figures of a large campaign and the drawing.

A province of `--districts` districts with `--communes` communes each, `--pledges` pledges
spread over the communes (a tenth received over 60 days). Times campaign_series (grouped
queries), with --reference also totals() of the public figures in the same run, then each chart
drawn as a press draws it (the first draw includes importing matplotlib). Goal: figures
and the two pictures of /totals well under 2 s.

    .venv/bin/python -m bench.charts [--pledges 1000000] [--reference] [--url URL]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import insert
from sqlmodel import select

from bot import charts
from bot.db import Database
from bot.i18n import Translator
from bot.migrate import upgrade
from models.areas import Area, by_code, import_areas, parse_csv
from models.campaigns import CampaignDraft, create_campaign
from models.figures import totals
from models.pledges import Pledge
from models.series import campaign_series
from models.users import User, actor_for


def seed(url: str, districts: int, communes: int, pledges: int) -> tuple[Database, int]:
    upgrade(url)
    db = Database(url)
    rows = ["code,name,level,parent_code", "P,Tỉnh Thử,tỉnh,"]
    rows += [f"D{d},Huyện Số {d},huyện,P" for d in range(districts)]
    rows += [f"D{d}-{c},Xã Số {c},xã,D{d}" for d in range(districts) for c in range(communes)]
    db.call(lambda s: import_areas(s, parse_csv("\n".join(rows))))
    now, first = datetime.now(UTC), date.today() - timedelta(days=60)

    def campaign(s):
        s.add(User(id=1, name="Admin", language="vi"))
        s.flush()
        return create_campaign(s, actor_for(s, s.get(User, 1), frozenset({1})), CampaignDraft(
            name="Tháng cao điểm Vì người nghèo", description="", starts_on=first,
            ends_on=first + timedelta(days=90), area_id=by_code(s, "P").id,
            money_target=pledges * 600_000, targets=[])).id
    campaign_id = db.call(campaign)
    leaves = db.call(lambda s: list(s.exec(select(Area.id).where(Area.level == "xã"))))
    for start in range(0, pledges, 50_000):
        batch = [dict(reference=f"B-{i}", campaign_id=campaign_id, area_id=leaves[i % len(leaves)],
                      pledger_kind="individual", display_name="", kind="money",
                      amount=500_000 + (i % 7) * 100_000, public=True, held=False,
                      status="received" if i % 10 == 0 else "registered",
                      received_amount=500_000 if i % 10 == 0 else None,
                      received_on=first + timedelta(days=i // 10 % 60) if i % 10 == 0 else None,
                      token=f"b{i}", created_at=now, updated_at=now)
                 for i in range(start, min(start + 50_000, pledges))]
        db.call(lambda s, b=batch: s.execute(insert(Pledge), b))
    return db, campaign_id


def timed(label: str, fn, *args):
    started = time.perf_counter()
    result = fn(*args)
    print(f"{label}: {time.perf_counter() - started:.3f} s")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pledges", type=int, default=1_000_000)
    parser.add_argument("--districts", type=int, default=100)
    parser.add_argument("--communes", type=int, default=100)
    parser.add_argument("--reference", action="store_true",
                        help="also time totals() (it loads every pledge: slow at a million)")
    parser.add_argument("--url", help="a database to fill (default: a new SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.url or f"sqlite:///{tmp}/bench.db"
        db, campaign_id = seed(url, args.districts, args.communes, args.pledges)
        print(f"{url.split(':')[0]}: {args.pledges:,} pledges, {args.districts} districts × "
              f"{args.communes} communes")
        series = timed("campaign_series (grouped queries)", db.call, campaign_series,
                       campaign_id)
        if args.reference:
            timed("totals() (reference)", db.call, totals, campaign_id)
        _ = Translator("vi", ZoneInfo("Asia/Ho_Chi_Minh"))
        bars = [charts.MoneyBar(b.area.name, b.sums.pledged, b.sums.received)
                for b in series.by_area]
        overall = charts.MoneyBar("", series.overall.pledged, series.overall.received)
        target = series.campaign.money_target
        png = timed("daily chart (first, with the import)", charts.daily_chart, _, "Vì người "
                    "nghèo", series.by_day, target)
        print(f"  {len(png):,} bytes, {len(series.by_day)} days")
        png = timed(f"areas chart, page 1 of {charts.page_count(len(bars))}", charts.areas_chart,
                    _, "Vì người nghèo", bars, overall, target)
        print(f"  {len(png):,} bytes")
        db.dispose()


if __name__ == "__main__":
    main()
