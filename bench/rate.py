"""Delivery rate under a limit L enforced by the emulator, for N recipients.

Goal: at least 0.95 × L, with zero 429 answers. The engine paces at 0.98 × L (a deployment
sets LOA_RATE a little under what its bot is allowed). Reference in the same run: L itself.

    .venv/bin/python -m bench.rate [--limit 30] [--recipients 3000]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile

from bench.common import EmulatorProcess, per_recipient, rate_of, seed, start_broadcast
from bench.engine import deliver


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--limit", type=float, default=30)
    parser.add_argument("--recipients", type=int, default=3000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        db = seed(f"sqlite:///{folder}/bench.db", args.recipients)
        emu = EmulatorProcess(args.recipients, rate_limit=args.limit)
        try:
            broadcast = start_broadcast(db)
            seconds = asyncio.run(deliver(emu, db, broadcast, rate=0.98 * args.limit))
            records, stats = emu.records(), emu.stats()
        finally:
            emu.close()
    counts = per_recipient(records)
    rate = rate_of(records)
    print(f"recipients {args.recipients}, emulator limit L = {args.limit:g}/s")
    print(f"delivered {len(counts)} (duplicates {sum(c - 1 for c in counts.values())}) "
          f"in {seconds:.1f} s")
    print(f"rate {rate:.2f}/s = {rate / args.limit:.3f} × L (goal ≥ 0.95)")
    print(f"429 answers {stats['too_many_requests']} (goal 0), early sends "
          f"{stats['early_sends']}")


if __name__ == "__main__":
    main()
