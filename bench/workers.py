"""Handled updates a second through real flows, with 1 and 2 `loa run --webhook` workers.

Each of `--people` new people talks at once, without pause: onboarding (/start, language,
consent, area search, area, skip the phone), then `--pledges` times /pledge through to the
receipt (as an individual under their Telegram name, money, "1tr2", public, confirm: a pledge
row, a receipt and its VietQR photo; a second pledge gives "2tr2": the same amount twice in a
day is asked about first, not counted twice). A person sends the next step once the bot's answer to
the previous one has arrived (a button needs the message it is on). Loa runs as worker
processes sharing one port (SO_REUSEPORT) against PostgreSQL, fed by the emulator's webhook
(its own process), with Telegram's send pace lifted. Reference in the same run: a bare
python-telegram-bot bot (polling, 64 concurrent updates, no database, no limiter) answering
each update with one sendMessage, driven by the same people with the same number of updates,
on the event loop Loa runs on (bot/loop.py: uvloop), and once more on asyncio's own loop, as
python-telegram-bot runs by default. Reply time: from the moment an update is made to the
moment the emulator records the first answer to it (one monotonic clock on one machine).

    .venv/bin/python -m bench.workers --pg-url URL [--workers 1 2] [--people 200] [--pledges 2]
        [--rounds N]  (everything N times in turn, then the median of each ratio)
        [--profile FILE]  (py-spy's collapsed stacks of the first worker of the first Loa run,
                           its first 30 s; bench/stacks.py sums them; needs
                           `.venv/bin/pip install py-spy`)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
from sqlalchemy import func, select
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import ApplicationBuilder, ContextTypes, TypeHandler

from bench.common import (
    FIRST,
    TOKEN,
    EmulatorProcess,
    Workers,
    cpu_seconds,
    machine_busy,
    postgres_cpu_seconds,
    seed_campaign,
)
from bench.latency import p95
from bot import loop
from bot.db import fresh_postgres
from models.pledges import Pledge
from models.users import User

#: (what the person does, its argument, how many messages or edits answer it)
ONBOARDING = [("text", "/start", 1), ("button", "Tiếng Việt", 1), ("button", "Tôi đồng ý", 1),
              ("text", "Ấp 1", 1), ("button", "Ấp 1, Tân Thành, Thủ Thừa", 2),
              ("tap", "Bỏ qua", 1)]
PLEDGE = [("text", "/pledge", 1), ("button", "Cá nhân", 1), ("button", 0, 1),
          ("button", "💵 Tiền", 1), ("text", "{n}tr2", 1), ("button", "Có, ghi tên tôi", 1),
          ("button", "✅ Xác nhận", 2)]  # the receipt and its VietQR photo


def script(pledges: int) -> list[tuple[str, object, int]]:
    """Onboarding, then each pledge with an amount of its own (1tr2, 2tr2...)."""
    return ONBOARDING + [(kind, arg.format(n=n) if isinstance(arg, str) else arg, expect)
                         for n in range(1, pledges + 1) for kind, arg, expect in PLEDGE]


@dataclass
class Person:
    seen: int = 0  # the emulator's records for this chat so far
    want: int = 0
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    at: list[float] = field(default_factory=list)  # emulator's clock of each record
    resumed: bool = False  # Loa told them it was interrupted during this step


#: How Loa's message after a crash begins (handlers/resume.py): it shows the question the
#: person is at, in place of the answers lost with the crash.
RESUMED = "⚠ Loa vừa bị gián đoạn"


class Talk:
    """People playing through the emulator's control API; one reader follows its outbox."""

    def __init__(self, url: str, session: aiohttp.ClientSession, patience: float = 60.0):
        self.url, self.session = url, session
        self.patience = patience  # how long a person waits for an answer or a button
        self.people: dict[int, Person] = defaultdict(Person)
        self.records: list[dict] = []
        self.sent = 0  # updates made
        self.resumed = 0  # steps answered short after a crash (Loa showed where they are)
        self._reader: asyncio.Task | None = None

    async def __aenter__(self) -> Talk:
        async with self.session.get(f"{self.url}/_emu/outbox", params={"since": 10**9}) as r:
            self._next = (await r.json())["next"]
        self._reader = asyncio.create_task(self._follow())
        return self

    async def __aexit__(self, *exc) -> None:
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader

    async def _follow(self) -> None:
        while True:
            async with self.session.get(f"{self.url}/_emu/outbox",
                                        params={"since": self._next, "timeout": 5}) as r:
                answer = await r.json()
            self._next = answer["next"]
            for record in answer["result"]:
                if record["chat_id"] < FIRST:
                    continue
                self.records.append(record)
                person = self.people[record["chat_id"]]
                person.seen += 1
                person.at.append(record["at"])
                person.resumed |= (record.get("plain") or "").startswith(RESUMED)
                if person.seen >= person.want or person.resumed:
                    person.arrived.set()

    async def act(self, user: int, kind: str, arg: object, bare: bool = False) -> None:
        """One update: typed text, a reply-keyboard tap, an inline button by label (or index)
        or by callback data. The bare bot has one inline button and no reply keyboard."""
        if bare:
            kind, arg = ("text", arg) if kind in ("text", "tap") else ("button", 0)
        action, key = {"text": ("send_text", "text"), "tap": ("tap", "label"),
                       "button": ("press_button", "label"),
                       "press": ("press", "callback_data")}[kind]
        body, waited = {"user_id": user, key: arg}, 0.0
        while True:
            async with self.session.post(f"{self.url}/_emu/{action}", json=body) as r:
                answer = await r.json()
            if answer["ok"]:
                break
            missing = re.search("no (reply )?button", answer["description"])
            if not missing or waited >= self.patience:
                raise RuntimeError(f"{action} {user} {arg!r}: {answer['description']}")
            # as a person does: find the button a little higher up, or wait for it to show
            shown = self._showing(user, arg) if kind == "button" else None
            if shown is not None and body.get("message_id") != shown:
                body["message_id"] = shown
                continue
            await asyncio.sleep(0.5)
            waited += 0.5
        self.sent += 1

    def _showing(self, user: int, label: object) -> int | None:
        """The newest message of this chat that shows a button with this label now."""
        seen = set()
        for record in reversed(self.records):
            if record["chat_id"] != user or record["message_id"] in seen:
                continue
            seen.add(record["message_id"])  # its latest version comes first
            rows = (record.get("reply_markup") or {}).get("inline_keyboard") or []
            if any(button.get("text") == label for row in rows for button in row):
                return record["message_id"]
        return None

    async def step(self, user: int, actions: list[tuple[str, object]], expect: int,
                   bare: bool = False) -> float | None:
        """Send these at once; wait for `expect` answers. Seconds from the first update made
        to its first answer recorded (None: no answer in time)."""
        person = self.people[user]
        first = person.seen
        person.want = first + expect
        person.resumed = False
        person.arrived.clear()
        made = time.monotonic()
        for kind, arg in actions:
            await self.act(user, kind, arg, bare)
        if person.seen < person.want:
            try:
                await asyncio.wait_for(person.arrived.wait(), self.patience)
            except TimeoutError:
                return None
        if person.resumed and person.seen < person.want:
            self.resumed += 1  # answers lost with a crash: the others of this step come soon
            await asyncio.sleep(2)
        return person.at[first] - made


async def converse(url: str, users: list[int], steps: list[tuple[str, object, int]],
                   bare: bool) -> tuple[float, list[float], int]:
    """Everyone at once through the script: (seconds, reply times, steps never answered)."""
    async with aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=64),
            timeout=aiohttp.ClientTimeout(total=120)) as session, Talk(url, session) as talk:
        times: list[float] = []
        missing = 0

        async def one(user: int) -> None:
            nonlocal missing
            for kind, arg, expect in steps:
                took = await talk.step(user, [(kind, arg)], 1 if bare else expect, bare)
                if took is None:
                    missing += 1
                    return
                times.append(took)
        started = time.monotonic()
        await asyncio.gather(*(one(u) for u in users))
        return time.monotonic() - started, times, missing


@contextlib.asynccontextmanager
async def bare_bot(url: str):
    """python-telegram-bot at its plainest: one sendMessage (with one button) per update."""
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("OK", callback_data="x")]])

    async def answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await context.bot.send_message(update.effective_chat.id, "Loa", reply_markup=keyboard)
    app = (ApplicationBuilder().token(TOKEN).base_url(f"{url}/bot").concurrent_updates(64)
           .build())
    app.add_handler(TypeHandler(Update, answer))
    async with app:
        await app.start()
        await app.updater.start_polling(poll_interval=0.0, timeout=1)
        try:
            yield
        finally:
            await app.updater.stop()
            await app.stop()


@dataclass
class Run:
    name: str
    updates: int
    seconds: float
    times: list[float]
    missing: int
    check: str = ""
    busy: float = 0.0  # the share of the machine's cores busy meanwhile

    @property
    def rate(self) -> float:
        return self.updates / self.seconds

    def line(self, reference: Run | None = None) -> str:
        versus = f" = {self.rate / reference.rate:.2f} × {reference.name}" if reference else ""
        times = (f"; reply time median {statistics.median(self.times) * 1000:.0f} ms, p95 "
                 f"{p95(self.times) * 1000:.0f} ms, max {max(self.times) * 1000:.0f} ms"
                 if len(self.times) > 1 else "")
        return (f"{self.name}: {self.updates} updates in {self.seconds:.1f} s = "
                f"{self.rate:.0f} updates/s{versus}{times}; unanswered {self.missing}"
                f"{self.check}")


def run_bare(people: int, steps, on: Callable = loop.run) -> Run:
    emu = EmulatorProcess(people)
    try:
        async def go():
            async with bare_bot(emu.url):
                return await converse(emu.url, list(range(FIRST, FIRST + people)), steps, True)
        before = (cpu_seconds(emu.process.pid), time.process_time(), *machine_busy())
        seconds, times, missing = on(go())
        used = [now - then for now, then in zip(
            (cpu_seconds(emu.process.pid), time.process_time(), *machine_busy()), before,
            strict=True)]
    finally:
        emu.close()
    updates = people * len(steps)
    check = (f"; per update: the emulator {used[0] * 1000 / updates:.1f} ms of CPU, the bot "
             f"and the people together {used[1] * 1000 / updates:.1f} ms; the machine busy "
             f"{used[2] / used[3]:.0%} of its {os.cpu_count()} cores")
    name = "bare PTB bot" + (" on asyncio's own loop" if on is asyncio.run else "")
    return Run(name, updates, seconds, times, missing, check)


def run_loa(pg_url: str, workers: int, people: int, pledges: int, max_connections: int,
            profile: str | None = None, cpu: float | None = None) -> Run:
    fresh_postgres(pg_url)
    db = seed_campaign(pg_url)
    emu = EmulatorProcess(people)
    loa = Workers(emu, pg_url, max_connections)
    spy = None
    try:
        for _ in range(workers):
            loa.start(cpu=cpu)
        loa.wait_ready(2.5 if workers > 1 else 0.5)
        spy = subprocess.Popen([str(Path(sys.executable).parent / "py-spy"), "record", "--pid",
                                str(loa.processes[0].pid), "--duration", "30", "--threads", "--gil",
                                "--format", "raw", "--output", profile],
                               stdout=subprocess.DEVNULL) if profile else None
        steps = script(pledges)
        before, busy = [cpu_seconds(p.pid) for p in loa.processes], machine_busy()
        around = (cpu_seconds(emu.process.pid), postgres_cpu_seconds(), time.process_time())
        seconds, times, missing = loop.run(
            converse(emu.url, list(range(FIRST, FIRST + people)), steps, False))
        used = [cpu_seconds(p.pid) - b for p, b in zip(loa.processes, before, strict=True)]
        busy = [now - then for now, then in zip(machine_busy(), busy, strict=True)]
        around = [now - then for now, then in zip(
            (cpu_seconds(emu.process.pid), postgres_cpu_seconds(), time.process_time()), around,
            strict=True)]
    finally:
        if spy is not None:
            spy.wait()
        loa.stop()
        emu.close()
    onboarded = db.call(lambda s: s.execute(select(func.count()).select_from(User).where(
        User.id >= FIRST, User.area_id.is_not(None))).scalar_one())
    made = db.call(lambda s: s.execute(select(func.count()).select_from(Pledge)).scalar_one())
    db.dispose()
    check = (f"; in the database {onboarded}/{people} onboarded, {made}/{people * pledges} "
             f"pledges; CPU of each worker {', '.join(f'{u / seconds:.0%}' for u in used)} of "
             f"a core, {sum(used) * 1000 / (people * len(steps)):.1f} ms of worker CPU per update "
             f"(beside it, per update: PostgreSQL {around[1] * 1000 / (people * len(steps)):.1f} "
             f"ms, the emulator {around[0] * 1000 / (people * len(steps)):.1f} ms, the people "
             f"{around[2] * 1000 / (people * len(steps)):.1f} ms); the machine busy "
             f"{busy[0] / busy[1]:.0%} of its {os.cpu_count()} cores")
    name = (f"Loa, {workers} worker{'s' if workers > 1 else ''}"
            + (f" of {cpu:g} core each" if cpu else ""))
    return Run(name, people * len(steps), seconds, times, missing, check, busy[0] / busy[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pg-url", required=True,
                        help="e.g. postgresql+psycopg://postgres@127.0.0.1:5432/loa_bench "
                             "(emptied at each run)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--people", type=int, default=200)
    parser.add_argument("--pledges", type=int, default=2, help="pledges each, after onboarding")
    parser.add_argument("--max-connections", type=int, default=100,
                        help="the webhook's max_connections (Telegram's default is 40)")
    parser.add_argument("--profile",
                        help="py-spy's collapsed stacks of the first worker of the first Loa run")
    parser.add_argument("--worker-cpu", type=float,
                        help="the share of a core each worker may use (e.g. 0.5), so that the "
                             "emulator, the people and PostgreSQL never take a worker's time "
                             "(Linux, root)")
    parser.add_argument("--rounds", type=int, default=1,
                        help="run everything this many times, one after the other, and give "
                             "the medians (a shared machine's speed drifts from minute to minute)")
    args = parser.parse_args()
    if args.rounds < 1:
        parser.error("--rounds: at least 1")
    steps = script(args.pledges)
    print(f"{args.people} people at once, each: onboarding (6 updates) then {args.pledges} "
          f"pledges to the receipt (7 updates each) = {len(steps)} updates; next step sent on "
          f"the answer; emulator without limits; Loa on PostgreSQL through the webhook "
          f"(max_connections {args.max_connections}), pace lifted", flush=True)
    ratios: dict[str, list[float]] = defaultdict(list)
    for round_ in range(args.rounds):
        if args.rounds > 1:
            print(f"round {round_ + 1} of {args.rounds}:", flush=True)
        for name, ratio in one_round(args, steps, profile=args.profile if round_ == 0 else None):
            ratios[name].append(ratio)
    if args.rounds > 1:
        print(f"medians of {args.rounds} rounds: " + "; ".join(
            f"{name} {statistics.median(values):.2f} ({min(values):.2f}–{max(values):.2f})"
            for name, values in ratios.items()))


def one_round(args, steps, profile: str | None) -> list[tuple[str, float]]:
    """The bare bots, then Loa with each number of workers; prints the lines and gives the
    round's ratios by name."""
    bare = run_bare(args.people, steps)
    plain = run_bare(args.people, steps, asyncio.run)
    runs = [run_loa(args.pg_url, n, args.people, args.pledges, args.max_connections,
                    profile if i == 0 else None, args.worker_cpu)
            for i, n in enumerate(args.workers)]
    print(bare.line())
    print(plain.line(bare))
    for run in runs:
        print(run.line(bare))
    ratios = [(f"{n} worker{'s' if n > 1 else ''} / bare bot", run.rate / bare.rate)
              for n, run in zip(args.workers, runs, strict=True)]
    by_workers = dict(zip(args.workers, runs, strict=True))
    if 1 in by_workers:
        ratios.append(("1 worker / bare bot on asyncio", by_workers[1].rate / plain.rate))
    if 1 in by_workers and 2 in by_workers:
        one, two = by_workers[1], by_workers[2]
        print(f"2 workers / 1 worker: {two.rate / one.rate:.2f} (goal ≥ 1.6; the machine was "
              f"{two.busy:.0%} busy with 2: its cores also run the emulator, the people and "
              f"PostgreSQL, so here 2 workers reach at most about "
              f"{two.rate / two.busy / one.rate:.2f} × one); 1 worker / bare bot: "
              f"{one.rate / bare.rate:.2f} (goal ≥ 0.5; {one.rate / plain.rate:.2f} × the bare "
              f"bot on asyncio's own loop)", flush=True)
        ratios.append(("2 workers / 1 worker", two.rate / one.rate))
    return ratios


if __name__ == "__main__":
    main()
