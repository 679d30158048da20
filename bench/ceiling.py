"""The engine's ceiling: the emulator's limits off, paid broadcasts on (up to 1000/s).

Goal: at least 1,000 messages a second on 2 cores. Reference in the same run: a bare
python-telegram-bot bot (no database, no rate limiter) sending the same number of messages
to the same emulator with the same concurrency.

    .venv/bin/python -m bench.ceiling [--recipients 10000]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time

from telegram import Bot

from bench.common import (
    FIRST,
    TOKEN,
    EmulatorProcess,
    per_recipient,
    rate_of,
    seed,
    start_broadcast,
)
from bench.engine import deliver

CONCURRENCY = 64


async def bare_ptb(emu: EmulatorProcess, count: int) -> float:
    """Messages a second of a bare PTB bot pushing as fast as it can."""
    bot = Bot(TOKEN, base_url=f"{emu.url}/bot")
    await bot.initialize()
    queue = list(range(FIRST, FIRST + count))

    async def worker() -> None:
        while queue:
            await bot.send_message(queue.pop(), "<b>Họp dân</b> lúc 19 giờ tối nay",
                                   parse_mode="HTML")
    started = time.monotonic()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    seconds = time.monotonic() - started
    await bot.shutdown()
    return count / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument("--pace", type=float, default=100_000,
                        help="the limiter's pace: unbounded for the ceiling; 1000 = paid mode")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        db = seed(f"sqlite:///{folder}/bench.db", args.recipients)
        emu = EmulatorProcess(args.recipients)
        try:
            baseline = asyncio.run(bare_ptb(emu, args.recipients))
            mark = len(emu.records())
            broadcast = start_broadcast(db, paid=True)
            seconds = asyncio.run(deliver(emu, db, broadcast, rate=args.pace, paid=True))
            records = emu.records(mark)
        finally:
            emu.close()
    counts = per_recipient(records)
    rate = len(counts) / seconds
    paid = sum(1 for r in records if r.get("allow_paid_broadcast"))
    print(f"recipients {args.recipients}, emulator limits off, paid broadcasts on, "
          f"engine paced at {args.pace:g}/s")
    print(f"bare PTB bot (reference): {baseline:.0f} msg/s")
    print(f"Loa's engine: {len(counts)} delivered in {seconds:.1f} s from start to the last "
          f"outcome recorded = {rate:.0f} msg/s ({rate / baseline:.2f} × the bare bot); "
          f"sending rate on the emulator's clock {rate_of(records):.0f} msg/s "
          f"(goal ≥ 1000 msg/s)")
    print(f"allow_paid_broadcast on {paid} requests; duplicates "
          f"{sum(c - 1 for c in counts.values())}")


if __name__ == "__main__":
    main()
