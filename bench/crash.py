"""Crash test: `kill -9` Loa at random moments of a broadcast, start it again, and count per
recipient what arrived: duplicates (at most the messages in flight at each crash) and
omissions (goal: none); and the seconds from each restart to the first message out (goal:
work resumes within 2 s of the restarted dispatcher starting). Reference in the same run: the
same seconds for the very first start, when no claim is held by anyone.

    .venv/bin/python -m bench.crash [--recipients 2000] [--kills 4] [--seed 7]
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import time

from sqlmodel import select

from bench.common import ROOT, TOKEN, EmulatorProcess, per_recipient, seed, start_broadcast
from models.broadcasts import figures
from models.outbox import DispatcherLease


def loa(env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "bot.cli", "run"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def start_and_time(env, db, emu) -> tuple[subprocess.Popen, float, float]:
    """Start Loa; (process, seconds until its dispatcher holds a lease, then until a send)."""
    before = emu.stats()["sent"]
    started = time.monotonic()
    process = loa(env)
    while not db.call(lambda s: s.exec(select(DispatcherLease).where(
            DispatcherLease.pid == process.pid)).first()):
        time.sleep(0.01)
    up = time.monotonic()
    while emu.stats()["sent"] <= before:
        time.sleep(0.01)
    return process, up - started, time.monotonic() - up


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--recipients", type=int, default=2000)
    parser.add_argument("--kills", type=int, default=4)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--rate", type=float, default=200)
    args = parser.parse_args()
    chance = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/bench.db"
        db = seed(url, args.recipients)
        emu = EmulatorProcess(args.recipients)
        env = {**os.environ, "LOA_TELEGRAM_TOKEN": TOKEN, "LOA_TELEGRAM_API_URL": emu.url,
               "LOA_DATABASE_URL": url, "LOA_RATE": str(args.rate), "LOA_LOG_LEVEL": "ERROR"}
        broadcast = start_broadcast(db)
        started, kills, timings = time.monotonic(), [], []
        try:
            for _ in range(args.kills):
                process, up, first = start_and_time(env, db, emu)
                timings.append((up, first))
                time.sleep(chance.uniform(1.0, 3.0))
                process.send_signal(signal.SIGKILL)
                process.wait()
                kills.append(sum(per_recipient(emu.records()).values()))
            process, up, first = start_and_time(env, db, emu)
            timings.append((up, first))
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                counts = db.call(figures, broadcast)
                if counts and not counts.get("pending") and not counts.get("sending"):
                    break
                time.sleep(0.2)
            process.terminate()
            process.wait(timeout=30)
            records = emu.records()
        finally:
            emu.close()
    got = per_recipient(records)
    duplicates = sum(c - 1 for c in got.values())
    print(f"{args.recipients} recipients at {args.rate:g}/s, {args.kills} kill -9 at random "
          f"moments (messages out at each kill: {kills}), then a last run to the end")
    print(f"first start (reference): Loa up in {timings[0][0]:.2f} s, first send "
          f"{timings[0][1]:.2f} s after its dispatcher started")
    for n, (up, first) in enumerate(timings[1:], 1):
        print(f"restart {n} after kill -9: Loa up in {up:.2f} s, first send {first:.2f} s "
              f"after its dispatcher started (goal ≤ 2 s; before leases: 30 s)")
    print(f"finished in {time.monotonic() - started:.0f} s")
    print(f"omissions {args.recipients - len(got)} (goal 0); duplicates {duplicates} "
          f"(at most the messages in flight at the {args.kills} crashes)")


if __name__ == "__main__":
    main()
