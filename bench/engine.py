"""Run Loa's delivery engine alone (the dispatcher and the rate limiter, as `loa run` wires
them) against an emulator in another process, until a broadcast is out."""

from __future__ import annotations

import asyncio
import time

from telegram.ext import ExtBot

from bench.common import TOKEN, EmulatorProcess
from bot.config import load_config
from bot.db import Database
from bot.delivery import Dispatcher
from bot.ratelimit import Limiter
from models.broadcasts import figures


async def deliver(emu: EmulatorProcess, db: Database, broadcast_id: int, rate: float,
                  paid: bool = False, timeout: float = 600) -> float:
    """Seconds from start until every delivery of the broadcast has an outcome. `rate` paces
    the limiter directly (above the configurable 1000/s when measuring the ceiling)."""
    config = load_config(env={"LOA_TELEGRAM_TOKEN": TOKEN, "LOA_TELEGRAM_API_URL": emu.url,
                              "LOA_DATABASE_URL": db.url, "LOA_RATE": str(min(rate, 1000)),
                              "LOA_PAID_BROADCASTS": str(paid).lower(),
                              "LOA_PAID_RATE": str(min(rate, 1000))})
    bot = ExtBot(TOKEN, base_url=f"{emu.url}/bot", rate_limiter=Limiter(rate))
    await bot.initialize()
    dispatcher = Dispatcher(bot, db, config, bot.rate_limiter, concurrency=64, batch=500)
    started = time.monotonic()
    dispatcher.start()
    try:
        while time.monotonic() - started < timeout:
            counts = await db.run(figures, broadcast_id)
            if counts and not counts.get("pending") and not counts.get("sending"):
                break
            await asyncio.sleep(0.2)
        return time.monotonic() - started
    finally:
        await dispatcher.stop()
        await bot.shutdown()
