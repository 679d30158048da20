"""/totals at scale: a campaign with 1,000,000 pledges over a 3-level tree of 11,011 areas.

Goal: totals() and progress() each in at most 1 s on SQLite and on PostgreSQL. Reference in the
same run: the old way, loading the campaign's public pledges as rows (select(Pledge)) and
summing them in Python, on the first --baseline-rows of them (stated in the table).

    .venv/bin/python -m bench.totals [--pledges 1000000] [--pg-url URL]

The PostgreSQL database is emptied first (its public schema is dropped); it is skipped with a
line saying so when it cannot be reached. "Cold" is a new engine and connection for each call
(the operating system's file cache stays warm); "warm" repeats calls on one connection.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime

from sqlalchemy import create_engine
from sqlalchemy.exc import OperationalError
from sqlmodel import select

from bot.db import Database, fresh_postgres
from bot.migrate import upgrade
from models.figures import progress, public_pledges, totals, upward_report
from models.pledges import Pledge, PledgeStatus
from models.users import Actor, Role, User

DISTRICTS, COMMUNES, VILLAGES = 10, 100, 10  # per province, district, commune
FIRST_USER = 10_000_000
PG_URL = os.environ.get("LOA_BENCH_DATABASE_URL",
                        "postgresql+psycopg://postgres@127.0.0.1:5432/loa_bench")
NOW = datetime(2026, 11, 1, tzinfo=UTC)
ADMIN = Actor(User(id=1), Role.ADMIN, None)

PLEDGE_COLUMNS = ("id", "reference", "campaign_id", "user_id", "area_id", "pledger_kind",
                  "display_name", "kind", "amount", "item", "quantity", "target_id", "public",
                  "held", "status", "received_amount", "received_on", "token", "created_at",
                  "updated_at")


def areas() -> list[tuple]:
    """(id, code, name, level, parent_id, path, search_name), parents before children."""
    rows = [(1, "P", "Tỉnh Bench", "Tỉnh", None, "/1/", "tinh bench")]
    next_id = 2
    for d in range(DISTRICTS):
        did, next_id = next_id, next_id + 1
        rows.append((did, f"D{d}", f"Huyện {d}", "Huyện", 1, f"/1/{did}/", f"huyen {d}"))
        for c in range(COMMUNES):
            cid, next_id = next_id, next_id + 1
            rows.append((cid, f"D{d}C{c}", f"Xã {d}-{c}", "Xã", did, f"/1/{did}/{cid}/",
                         f"xa {d}-{c}"))
            for v in range(VILLAGES):
                vid, next_id = next_id, next_id + 1
                rows.append((vid, f"D{d}C{c}V{v}", f"Ấp {d}-{c}-{v}", "Ấp", cid,
                             f"/1/{did}/{cid}/{vid}/", f"ap {d}-{c}-{v}"))
    return rows


def villages(area_rows: list[tuple]) -> list[int]:
    return [row[0] for row in area_rows if row[3] == "Ấp"]


def people(count: int, homes: list[int], rng: random.Random, now: object) -> list[tuple]:
    """(id, name, role, area_id, pledge_reminders, created_at)."""
    return [(FIRST_USER + i, f"Người {i}", "citizen", rng.choice(homes), True, now)
            for i in range(count)]


def pledges(count: int, users: list[tuple], target_id: int, rng: random.Random, now: object,
            on: object) -> Iterator[tuple]:
    """Mixed kinds, statuses and pledgers; some held, some anonymous, some from outside."""
    kinds = ["individual"] * 60 + ["household"] * 25 + ["business"] * 8 + ["agency"] * 4 + \
        ["organisation"] * 3
    statuses = ["registered"] * 50 + ["received"] * 35 + ["cancelled"] * 10 + ["rejected"] * 5
    for i in range(1, count + 1):
        user = rng.choice(users)
        user_id, area_id = user[0], user[3]
        if rng.random() < 0.02:  # erased: the pledge stays, without its person
            user_id = None
        if rng.random() < 0.03:  # a benefactor from elsewhere counts at the campaign's area
            area_id = 1
        pledger = rng.choice(kinds)
        roll = rng.random()
        kind = "money" if roll < 0.7 else "in_kind" if roll < 0.85 or pledger in (
            "business", "agency", "organisation") else "salary"
        amount = rng.randrange(1, 500) * 10_000
        status = rng.choice(statuses)
        received = status == PledgeStatus.RECEIVED
        house = kind == "in_kind" and rng.random() < 0.1
        yield (i, f"BT-{i}", 1, user_id, area_id, pledger, f"Người {i}", kind, amount,
               "Nhà" if house else None, 1 if house else None, target_id if house else None,
               rng.random() < 0.8, rng.random() < 0.02 and not received, status,
               amount - rng.randrange(2) * 10_000 if received else None,
               on if received else None, f"t{i}", now, now)


def build(url: str, count: int, seed: int = 7) -> None:
    """A migrated database with the tree, the people and one campaign of `count` pledges."""
    upgrade(url)
    postgres = url.startswith("postgresql")
    # SQLite's driver is given what SQLAlchemy would have written: text
    now, on = (NOW, NOW.date()) if postgres else ("2026-11-01 00:00:00.000000", "2026-11-01")
    rng = random.Random(seed)
    area_rows = areas()
    users = people(max(count // 3, 1), villages(area_rows), rng, now)
    engine = create_engine(url)
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        mark = "%s" if postgres else "?"
        starts_ends = (date(2026, 10, 17), date(2026, 11, 18)) if postgres else \
            ("2026-10-17", "2026-11-18")

        def insert(table: str, columns: tuple[str, ...], rows) -> None:
            if postgres:
                with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                cur.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
                                f"({', '.join([mark] * len(columns))})", rows)

        insert("area", ("id", "code", "name", "level", "parent_id", "path", "search_name"),
               area_rows)
        insert('"user"', ("id", "name", "role", "area_id", "pledge_reminders", "created_at"),
               users)
        insert("campaign", ("id", "name", "description", "area_id", "starts_on", "ends_on",
                            "money_target", "status", "ref_prefix", "last_number",
                            "created_at"),
               [(1, "Vì người nghèo", "", 1, *starts_ends, 100_000_000_000, "open", "BT",
                 count, now)])
        insert("campaigntarget", ("id", "campaign_id", "name", "quantity"),
               [(1, 1, "Nhà Đại đoàn kết", 500)])
        insert("pledge", PLEDGE_COLUMNS, pledges(count, users, 1, rng, now, on))
        raw.commit()
        if postgres:  # what autovacuum does after a bulk insert: statistics, visibility map
            raw.driver_connection.autocommit = True
            raw.driver_connection.execute("VACUUM ANALYZE")
    finally:
        raw.close()
        engine.dispose()


def reset_postgres(url: str) -> bool:
    """An empty database, or False (with a line) when the server is not there."""
    try:
        fresh_postgres(url)
        return True
    except OperationalError as problem:
        print(f"PostgreSQL skipped: {url} not reachable ({type(problem).__name__})")
        return False


def median_seconds(call: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def cold(url: str, fn: Callable) -> Callable[[], object]:
    """One call on a new engine and connection."""
    def call() -> object:
        db = Database(url)
        try:
            return db.call(fn, 1)
        finally:
            db.dispose()
    return call


def rows_way(session, campaign_id: int, limit: int) -> tuple[int, int, int]:
    """The old way: the campaign's public pledges loaded as rows and summed in Python."""
    rows = session.exec(select(Pledge).where(public_pledges(campaign_id)).limit(limit)).all()
    return (sum(p.amount for p in rows),
            sum(p.received_amount or 0 for p in rows if p.status == PledgeStatus.RECEIVED),
            len({p.user_id if p.user_id is not None else -p.id for p in rows}))


def measure(name: str, url: str, count: int, baseline_rows: int, runs: int) -> list[str]:
    started = time.perf_counter()
    build(url, count)
    built = time.perf_counter() - started
    db = Database(url)
    try:
        public = db.call(lambda s: totals(s, 1).overall.pledges)
        lines = [f"{name}: built {count:,} pledges ({public:,} public) in {built:.1f} s"]
        for label, fn in (("totals()", totals), ("progress()", progress)):
            first = median_seconds(cold(url, fn), runs)
            warm = median_seconds(lambda f=fn: db.call(f, 1), runs)
            lines.append(f"  {label:<12} cold {first:7.3f} s   warm {warm:7.3f} s")
        report = median_seconds(lambda: db.call(upward_report, ADMIN, 1), 1)
        lines.append(f"  {'upward_report() (no target)':<12} {report:.3f} s, warm")
        limit = min(baseline_rows, public)
        old = median_seconds(lambda: db.call(rows_way, 1, limit), 1)
        lines.append(f"  {'rows (old)':<12} {old:.3f} s for {limit:,} rows "
                     f"(~{old * public / limit:.1f} s for all {public:,})")
    finally:
        db.dispose()
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pledges", type=int, default=1_000_000)
    parser.add_argument("--baseline-rows", type=int, default=200_000,
                        help="the old way loads at most this many rows")
    parser.add_argument("--runs", type=int, default=5, help="median of this many calls")
    parser.add_argument("--pg-url", default=PG_URL)
    parser.add_argument("--no-sqlite", action="store_true")
    args = parser.parse_args()
    print(f"{len(areas()):,} areas (1 province, {DISTRICTS} districts x {COMMUNES} communes x "
          f"{VILLAGES} villages), {args.pledges:,} pledges, median of {args.runs} runs")
    if not args.no_sqlite:
        with tempfile.TemporaryDirectory() as folder:
            print("\n".join(measure("SQLite", f"sqlite:///{folder}/bench.db", args.pledges,
                                    args.baseline_rows, args.runs)), flush=True)
    if reset_postgres(args.pg_url):
        print("\n".join(measure("PostgreSQL", args.pg_url, args.pledges, args.baseline_rows,
                                args.runs)))


if __name__ == "__main__":
    main()
