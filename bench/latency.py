"""Reply time to a person chatting while a large broadcast goes out.

Loa runs whole (the Application, the dispatcher, the limiter at the default 25/s) against an
emulator that enforces Telegram's 30/s. A person sends /help every second (one chat's pace);
each probe is timed from the moment it is sent until Loa's reply is recorded. Reference in the
same run: the same probes before the broadcast starts. Goal: p95 at most 1.5 s during a
10,000-recipient broadcast.

    .venv/bin/python -m bench.latency [--recipients 10000] [--probes 40]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time

import httpx

from bench.common import ADMIN, TOKEN, EmulatorProcess, seed, start_broadcast
from bot.app import build_application, serving
from bot.config import load_config


async def probe(client: httpx.AsyncClient, url: str) -> float:
    mark = (await client.get(f"{url}/_emu/outbox", params={"since": 10**9})).json()["next"]
    started = time.monotonic()
    await client.post(f"{url}/_emu/send_text", json={"user_id": ADMIN, "text": "/help"})
    while True:
        answer = (await client.get(f"{url}/_emu/outbox",
                                   params={"since": mark, "timeout": 5})).json()
        if any(r["chat_id"] == ADMIN for r in answer["result"]):
            return time.monotonic() - started
        mark = answer["next"]


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


async def run(emu: EmulatorProcess, db, probes: int) -> tuple[list[float], list[float], int]:
    config = load_config(env={"LOA_TELEGRAM_TOKEN": TOKEN, "LOA_TELEGRAM_API_URL": emu.url,
                              "LOA_DATABASE_URL": db.url, "LOA_ADMINS": str(ADMIN)})
    async with serving(build_application(config, db)), httpx.AsyncClient(timeout=30) as client:
        quiet = []
        for _ in range(probes // 2):
            quiet.append(await probe(client, emu.url))
            await asyncio.sleep(1.0)
        start_broadcast(db)
        await asyncio.sleep(3)  # the broadcast is under way
        busy = []
        for _ in range(probes):
            busy.append(await probe(client, emu.url))
            await asyncio.sleep(1.0)
        sent = emu.stats()["sent"]
    return quiet, busy, sent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument("--probes", type=int, default=40)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        db = seed(f"sqlite:///{folder}/bench.db", args.recipients)
        emu = EmulatorProcess(args.recipients, rate_limit=30)
        try:
            quiet, busy, sent = asyncio.run(run(emu, db, args.probes))
            stats = emu.stats()
        finally:
            emu.close()
    print(f"broadcast to {args.recipients} at Loa's 25/s under the emulator's 30/s; "
          f"{sent} messages out while probing")
    print(f"reply time, no broadcast (reference): median {statistics.median(quiet):.3f} s, "
          f"p95 {p95(quiet):.3f} s")
    print(f"reply time, during the broadcast: median {statistics.median(busy):.3f} s, "
          f"p95 {p95(busy):.3f} s (goal ≤ 1.5 s), max {max(busy):.3f} s")
    print(f"429 answers {stats['too_many_requests']}")


if __name__ == "__main__":
    main()
