"""Where a worker's time goes: py-spy's collapsed stacks (`bench.workers --profile`) summed.

Prints, per thread kind (the event loop; the threads that run database calls), the share of
samples spent in each function (self) and under each Loa or library frame (inclusive, each
stack counted once).

    .venv/bin/python -m bench.stacks FILE [--top 25]
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

FRAME = re.compile(r"^(?P<name>.*) \((?P<file>[^:()]+)(?::\d+)?\)$")


def frame(text: str) -> str:
    match = FRAME.match(text)
    return f"{match['name']} ({match['file']})" if match else text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("file", type=Path)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    own: dict[str, Counter] = {}
    under: dict[str, Counter] = {}
    totals: Counter = Counter()
    for line in args.file.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = stack.split(";")
        kind = "event loop" if "MainThread" in frames[0] else "worker threads (database)"
        samples = int(count)
        totals[kind] += samples
        names = [frame(f) for f in frames[1:]]
        own.setdefault(kind, Counter())[names[-1] if names else "?"] += samples
        for name in set(names):
            under.setdefault(kind, Counter())[name] += samples
    for kind, total in totals.most_common():
        print(f"== {kind}: {total} samples")
        print("  self:")
        for name, samples in own[kind].most_common(args.top):
            print(f"    {samples / total:6.1%}  {name}")
        print("  inclusive:")
        for name, samples in under[kind].most_common(args.top * 2):
            print(f"    {samples / total:6.1%}  {name}")


if __name__ == "__main__":
    main()
