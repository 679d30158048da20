"""Crash test: `kill -9` Loa at random moments of a broadcast, start it again, and count per
recipient what arrived: duplicates (at most the messages in flight at each crash) and
omissions (goal: none).

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

from bench.common import ROOT, TOKEN, EmulatorProcess, per_recipient, seed, start_broadcast
from bot.delivery import STALE_CLAIM
from models.broadcasts import figures


def loa(env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "bot.cli", "run"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


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
        started, kills = time.monotonic(), []
        try:
            for _ in range(args.kills):
                process = loa(env)
                time.sleep(chance.uniform(1.0, 3.0))
                process.send_signal(signal.SIGKILL)
                process.wait()
                kills.append(sum(per_recipient(emu.records()).values()))
            process = loa(env)
            deadline = time.monotonic() + STALE_CLAIM.total_seconds() + 120
            while time.monotonic() < deadline:
                counts = db.call(figures, broadcast)
                if counts and not counts.get("pending") and not counts.get("sending"):
                    break
                time.sleep(0.5)
            process.terminate()
            process.wait(timeout=30)
            records = emu.records()
        finally:
            emu.close()
    got = per_recipient(records)
    duplicates = sum(c - 1 for c in got.values())
    print(f"{args.recipients} recipients, {args.kills} kill -9 at random moments "
          f"(messages out at each kill: {kills}), then a last run to the end")
    print(f"finished in {time.monotonic() - started:.0f} s (a dead process's claims return "
          f"to the queue after {STALE_CLAIM.total_seconds():.0f} s)")
    print(f"omissions {args.recipients - len(got)} (goal 0); duplicates {duplicates} "
          f"(at most the messages in flight at the {args.kills} crashes)")


if __name__ == "__main__":
    main()
