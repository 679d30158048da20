"""The public page at scale: requests a second for a campaign of 1,000,000 pledges over 11,011
areas (bench/totals.py's data), against a static file served by the same server in the same run.

    .venv/bin/python -m bench.web [--pledges 1000000] [--seconds 5] [--rounds 3]
                                  [--concurrency 32] [--refresh 5] [--db-url URL]

The server runs in its own process (as `loa web` would), the client (aiohttp, `concurrency`
requests in flight, gzip accepted as browsers do) in this one. Each route is hammered for
`seconds`, the routes in turn, `rounds` times, and the median printed. The refresh is short on
purpose: the figures are read again several times during the run, so their cost shows if it
ever reaches the readers. Default database: SQLite in a temporary folder (built, then served);
with --db-url, that database is emptied and used.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

from aiohttp import ClientSession, TCPConnector

from bench.common import ROOT, free_port
from bench.totals import areas, build, reset_postgres

PREFIX = "BT"


def serve(url: str, port: int, refresh: int) -> None:
    """The server process: the public page on 127.0.0.1:port until SIGTERM, then how many
    times it read the figures."""
    from bot.config import load_config
    from bot.db import Database
    from web.server import PublicSite

    config = load_config(ROOT / "config.toml", env={
        "LOA_DATABASE_URL": url, "LOA_WEB_REFRESH_SECONDS": str(refresh)})
    site = PublicSite(config, Database(url), rate=1e9, burst=10**9)

    async def main() -> None:
        await site.start("127.0.0.1", port)
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        await stop.wait()
        print(f"server: the figures were read {site.cache.computations} times", flush=True)
        await site.stop()

    asyncio.run(main())


async def hammer(base: str, path: str, seconds: float, concurrency: int,
                 headers: dict[str, str] | None = None) -> tuple[float, int, int, float]:
    """(requests a second, bytes of one answer on the wire, status, slowest seconds)."""
    done, size, status, slowest = 0, 0, 0, 0.0
    end = time.perf_counter() + seconds

    async def worker(http: ClientSession) -> None:
        nonlocal done, size, status, slowest
        while time.perf_counter() < end:
            started = time.perf_counter()
            async with http.get(base + path, headers=headers, auto_decompress=False) as answer:
                body = await answer.read()
                status, size = answer.status, len(body)
            slowest = max(slowest, time.perf_counter() - started)
            done += 1

    async with ClientSession(connector=TCPConnector(limit=concurrency)) as http:
        started = time.perf_counter()
        await asyncio.gather(*(worker(http) for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return done / elapsed, size, status, slowest


async def measure(base: str, seconds: float, concurrency: int, rounds: int) -> list[str]:
    async with ClientSession() as http:
        started = time.perf_counter()
        async with http.get(f"{base}/c/{PREFIX}") as answer:
            page = await answer.read()
            etag = answer.headers["ETag"]
        first = time.perf_counter() - started
        async with http.get(f"{base}/api/campaigns/{PREFIX}") as answer:
            json_size = len(await answer.read())
    lines = [f"first request (figures read, page rendered): {first:.2f} s; page "
             f"{len(page):,} bytes, JSON {json_size:,} bytes uncompressed"]
    routes = [("static file /static/loa.css", "/static/loa.css", None),
              (f"campaign page /c/{PREFIX}", f"/c/{PREFIX}", None),
              (f"JSON /api/campaigns/{PREFIX}", f"/api/campaigns/{PREFIX}", None),
              ("campaign page, If-None-Match (304)", f"/c/{PREFIX}", {"If-None-Match": etag})]
    rates: dict[str, list[float]] = {label: [] for label, _, _ in routes}
    answers: dict[str, tuple[int, int, float]] = {}
    for _ in range(rounds):  # interleaved, so a busy moment of the machine hits every route
        for label, path, headers in routes:
            rate, size, status, slowest = await hammer(base, path, seconds, concurrency,
                                                       headers)
            rates[label].append(rate)
            answers[label] = (status, size, max(slowest, answers.get(label, (0, 0, 0))[2]))
    baseline = statistics.median(rates[routes[0][0]])
    for label, _, _ in routes:
        rate = statistics.median(rates[label])
        status, size, slowest = answers[label]
        lines.append(f"  {label:<36} {rate:8,.0f} req/s  ({rate / baseline:4.2f} × static)  "
                     f"{status} {size:,} bytes  slowest {slowest * 1000:.0f} ms")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pledges", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=float, default=5, help="a route, each round")
    parser.add_argument("--rounds", type=int, default=3, help="the median of this many")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--refresh", type=int, default=5, help="web.refresh_seconds")
    parser.add_argument("--db-url", help="a PostgreSQL database to empty and use")
    parser.add_argument("--serve", nargs=3, help=argparse.SUPPRESS)  # url port refresh
    args = parser.parse_args()
    if args.serve:
        serve(args.serve[0], int(args.serve[1]), int(args.serve[2]))
        return
    with tempfile.TemporaryDirectory() as folder:
        url = args.db_url or f"sqlite:///{folder}/bench.db"
        if args.db_url and not reset_postgres(url):
            return
        started = time.perf_counter()
        build(url, args.pledges)
        print(f"{len(areas()):,} areas, {args.pledges:,} pledges, built in "
              f"{time.perf_counter() - started:.0f} s ({url.split(':')[0]}); "
              f"{args.concurrency} requests in flight, median of {args.rounds} rounds of "
              f"{args.seconds:.0f} s a route, "
              f"refresh every {args.refresh} s", flush=True)
        port = free_port()
        server = subprocess.Popen([sys.executable, "-m", "bench.web", "--serve", url,
                                   str(port), str(args.refresh)], cwd=ROOT,
                                  env={**os.environ, "PYTHONUNBUFFERED": "1"})
        try:
            for _ in range(100):  # until it listens
                try:
                    with socket.create_connection(("127.0.0.1", port), 0.1):
                        break
                except OSError:
                    time.sleep(0.1)
            print("\n".join(asyncio.run(measure(f"http://127.0.0.1:{port}", args.seconds,
                                                args.concurrency, args.rounds))), flush=True)
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
