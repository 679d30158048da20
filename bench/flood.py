"""One person floods the bot; how long does another person wait for /help?

A flooder sends 150 messages at once, then keeps sending 20 a second; meanwhile someone else
sends /help every half second (a different person each time: one chat is paced at 1/s) and
each probe is timed from sending to the reply being recorded by the emulator (its own process,
no limits, so a bot's own pacing is all that counts). Reference in the same run: a bare
python-telegram-bot bot (a /help handler, 64 concurrent updates, no database, no limiter) on
the same emulator under the same flood. Loa runs whole at its defaults (25/s, 1 message a
second per chat after a burst of 3, 20 updates waiting per person).

    .venv/bin/python -m bench.flood [--probes 20] [--flood 150]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import tempfile
import time

import httpx
from telegram import Update
from telegram.ext import ApplicationBuilder, CommandHandler, ContextTypes

from bench.common import FIRST, TOKEN, EmulatorProcess, seed
from bench.latency import p95
from bot.app import build_application, serving
from bot.config import load_config

FLOODER = FIRST


async def probe(client: httpx.AsyncClient, url: str, person: int, timeout: float = 20) -> float:
    """Seconds from another person's /help to the bot's reply to them (timeout if none)."""
    mark = (await client.get(f"{url}/_emu/outbox", params={"since": 10**9})).json()["next"]
    started = time.monotonic()
    await client.post(f"{url}/_emu/send_text", json={"user_id": person, "text": "/help"})
    while time.monotonic() - started < timeout:
        answer = (await client.get(f"{url}/_emu/outbox",
                                   params={"since": mark, "timeout": 1})).json()
        if any(r["chat_id"] == person for r in answer["result"]):
            break
        mark = answer["next"]
    return time.monotonic() - started


async def flood(client: httpx.AsyncClient, url: str, burst: int, stop: asyncio.Event) -> int:
    async def one() -> None:
        await client.post(f"{url}/_emu/send_text", json={"user_id": FLOODER, "text": "/help"})
    await asyncio.gather(*(one() for _ in range(burst)))
    sent = burst
    while not stop.is_set():
        await asyncio.gather(*(one() for _ in range(2)))
        sent += 2
        await asyncio.sleep(0.1)
    return sent


async def measure(url: str, probes: int, burst: int) -> tuple[list[float], int]:
    async with httpx.AsyncClient(timeout=60) as client:
        stop = asyncio.Event()
        flooding = asyncio.create_task(flood(client, url, burst, stop))
        await asyncio.sleep(0.5)  # the flood is in the bot's hands
        times = []
        for n in range(probes):  # each probe someone else: one chat is paced at 1/s
            times.append(await probe(client, url, FIRST + 1 + n))
            await asyncio.sleep(0.5)
        stop.set()
        return times, await flooding


@contextlib.asynccontextmanager
async def bare_bot(url: str):
    async def help_(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.message.reply_text("Loa: news of the campaigns in your area.")
    app = (ApplicationBuilder().token(TOKEN).base_url(f"{url}/bot").concurrent_updates(64)
           .build())
    app.add_handler(CommandHandler("help", help_))
    async with app:
        await app.start()
        await app.updater.start_polling(poll_interval=0.0, timeout=1)
        try:
            yield app
        finally:
            await app.updater.stop()
            await app.stop()


async def run_bare(probes: int, burst: int) -> tuple[list[float], dict, int]:
    emu = EmulatorProcess(probes + 1)
    try:
        async with bare_bot(emu.url):
            times, sent = await measure(emu.url, probes, burst)
        return times, emu.stats(), sent
    finally:
        emu.close()


async def run_loa(db, probes: int, burst: int) -> tuple[list[float], dict, int, int]:
    emu = EmulatorProcess(probes + 1)
    try:
        config = load_config(env={"LOA_TELEGRAM_TOKEN": TOKEN, "LOA_TELEGRAM_API_URL": emu.url,
                                  "LOA_DATABASE_URL": db.url, "LOA_LOG_LEVEL": "ERROR"})
        app = build_application(config, db)
        async with serving(app):
            times, sent = await measure(emu.url, probes, burst)
        to_flooder = [r for r in emu.records() if r["chat_id"] == FLOODER]
        return times, emu.stats(), sent, len(to_flooder)
    finally:
        emu.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--probes", type=int, default=20)
    parser.add_argument("--flood", type=int, default=150)
    args = parser.parse_args()
    bare, bare_stats, bare_sent = asyncio.run(run_bare(args.probes, args.flood))
    with tempfile.TemporaryDirectory() as folder:
        db = seed(f"sqlite:///{folder}/bench.db", args.probes + 1)
        loa, stats, sent, answered = asyncio.run(run_loa(db, args.probes, args.flood))
    print(f"one person sends {args.flood} messages at once, then 20 a second; another sends "
          f"/help every 0.5 s ({args.probes} probes); emulator without limits")
    print(f"bare PTB bot (reference): other's reply median {statistics.median(bare):.3f} s, "
          f"p95 {p95(bare):.3f} s; flooder sent {bare_sent}, 429 answers "
          f"{bare_stats['too_many_requests']}")
    print(f"Loa: other's reply median {statistics.median(loa):.3f} s, p95 {p95(loa):.3f} s "
          f"(goal: near the bare bot's), max {max(loa):.3f} s; flooder sent {sent}, got "
          f"{answered} messages back (paced for one chat), 429 answers "
          f"{stats['too_many_requests']}")


if __name__ == "__main__":
    main()
