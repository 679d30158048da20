"""python -m bot.emulator: the emulator alone, for a bot in another process."""

from __future__ import annotations

import argparse
import asyncio
import contextlib

from bot import loop
from bot.emulator import Emulator


async def _serve(args: argparse.Namespace) -> None:
    emu = Emulator(
        token=args.token,
        bot_username=args.bot_username,
        rate_limit=args.rate_limit,
        per_chat_rate=args.per_chat_rate,
        group_rate_per_minute=args.group_rate_per_minute,
    )
    for spec in args.user:
        user_id, _, name = spec.partition(":")
        emu.add_user(int(user_id), name or f"User {user_id}")
    if args.users:
        first, _, last = args.users.partition("-")
        for user_id in range(int(first), int(last) + 1):
            emu.add_user(user_id, f"User {user_id}")
    await emu.start(args.host, args.port)
    print(f"Bot API emulator on {emu.api_url} (token {emu.token})", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await emu.stop()


def main(argv: list[str] | None = None) -> None:
    """Run the emulator as its own process, for the sandbox and crash tests."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--token", default="123456:TEST")
    parser.add_argument("--bot-username", default="loa_test_bot")
    parser.add_argument("--rate-limit", type=float)
    parser.add_argument("--per-chat-rate", type=float)
    parser.add_argument("--group-rate-per-minute", type=float)
    parser.add_argument("--user", action="append", default=[], help="ID:FIRST_NAME, repeatable")
    parser.add_argument("--users", help="FIRST-LAST: a range of users at once (benchmarks)")
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        loop.run(_serve(args))


if __name__ == "__main__":
    main()
