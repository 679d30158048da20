"""The engine under a limit it does not know: the emulator allows L messages a second, Loa is
configured to send faster (its default 25/s, or more). Goal: at least 0.9 × L delivered, with
at most a few 429 answers. Reference in the same run: the fixed pace of old (a 429 pauses, then
the configured pace again).

    .venv/bin/python -m bench.adapt [--limit 20] [--pace 25] [--seconds 30]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time

from telegram.ext import ExtBot

from bench.common import TOKEN, EmulatorProcess, per_recipient, rate_of, seed, start_broadcast
from bot.config import load_config
from bot.delivery import Dispatcher
from bot.ratelimit import Limiter


async def run_for(emu: EmulatorProcess, db, pace: float, seconds: float,
                  adaptive: bool) -> int:
    config = load_config(env={"LOA_TELEGRAM_TOKEN": TOKEN, "LOA_TELEGRAM_API_URL": emu.url,
                              "LOA_DATABASE_URL": db.url, "LOA_RATE": str(pace)})
    limiter = Limiter(pace, adaptive=adaptive)
    bot = ExtBot(TOKEN, base_url=f"{emu.url}/bot", rate_limiter=limiter)
    await bot.initialize()
    dispatcher = Dispatcher(bot, db, config, limiter)
    started = time.monotonic()
    dispatcher.start()
    try:
        await asyncio.sleep(seconds - (time.monotonic() - started))
    finally:
        await dispatcher.stop()
        await bot.shutdown()
    return limiter.backoffs


def measure(limit: float, pace: float, seconds: float, adaptive: bool) -> tuple[float, int]:
    recipients = int(pace * seconds * 1.2)
    with tempfile.TemporaryDirectory() as folder:
        db = seed(f"sqlite:///{folder}/bench.db", recipients)
        emu = EmulatorProcess(recipients, rate_limit=limit)
        try:
            start_broadcast(db)
            asyncio.run(run_for(emu, db, pace, seconds, adaptive))
            records, stats = emu.records(), emu.stats()
        finally:
            emu.close()
    got = per_recipient(records)
    assert all(c == 1 for c in got.values()), "a duplicate"
    return rate_of(records), stats["too_many_requests"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--limit", type=float, default=20)
    parser.add_argument("--pace", type=float, default=25)
    parser.add_argument("--seconds", type=float, default=30)
    args = parser.parse_args()
    print(f"emulator limit L = {args.limit:g}/s, Loa configured at {args.pace:g}/s, "
          f"{args.seconds:g} s of a broadcast ({args.seconds / 2:g} s for the reference)")
    for name, adaptive in (("fixed pace (reference)", False), ("adaptive pace", True)):
        seconds = args.seconds if adaptive else args.seconds / 2  # the reference is steady
        rate, refused = measure(args.limit, args.pace, seconds, adaptive)
        print(f"{name}: {rate:.2f} msg/s = {rate / args.limit:.3f} × L, 429 answers "
              f"{refused}" + (" (goal ≥ 0.9 × L, a few 429)" if adaptive else ""))


if __name__ == "__main__":
    main()
