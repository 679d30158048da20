"""Loa's one HTTP server: Telegram's webhook, /healthz and /metrics for operators, and the
public page (web/) when `web.listen` is set.

Several `loa run` processes may listen on one port (SO_REUSEPORT: the kernel spreads the
connections) or sit behind one proxy address: whichever process receives an update only stores
it, and any process may handle it (bot/inbox.py). The webhook answers 200 only once the update
is committed, so Telegram sends again whatever Loa did not keep.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from aiohttp import web
from sqlmodel import Session

from bot import metrics
from bot.config import Config
from bot.db import Database
from bot.inbox import Inbox
from models import inbox, outbox
from models.base import utcnow
from web.server import PublicSite

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
#: The oldest waiting update older than this: no process is handling updates.
STALLED = timedelta(seconds=60)
HEALTH_TIMEOUT = 5.0


@dataclass(frozen=True)
class Health:
    healthy: bool
    database: str
    last_update_handled_seconds_ago: float | None = None
    inbox_waiting: int | None = None
    inbox_oldest_waiting_seconds: float | None = None
    inbox_set_aside: int | None = None
    outbox_waiting: int | None = None


def _ago(moment: datetime | None, now: datetime) -> float | None:
    return None if moment is None else round((now - moment).total_seconds(), 1)


def health(session: Session) -> Health:
    now = utcnow()
    box = inbox.backlog(session)
    oldest = _ago(box.oldest_waiting, now)
    return Health(healthy=oldest is None or oldest < STALLED.total_seconds(), database="ok",
                  last_update_handled_seconds_ago=_ago(box.last_done, now),
                  inbox_waiting=box.waiting, inbox_oldest_waiting_seconds=oldest,
                  inbox_set_aside=box.failed, outbox_waiting=outbox.backlog(session))


class HttpServer:
    def __init__(self, db: Database, inbox: Inbox | None = None, webhook_path: str | None = None,
                 secret: str | None = None, site: PublicSite | None = None):
        self.db, self.inbox, self.site = db, inbox, site
        self.webhook_path, self.secret = webhook_path, (secret or "").encode()
        self.runner: web.AppRunner | None = None

    def app(self) -> web.Application:
        app = self.site.app() if self.site is not None else web.Application()
        own = {"/healthz", "/metrics"}
        app.router.add_get("/healthz", self.healthz, name="healthz")
        app.router.add_get("/metrics", self.metrics, name="metrics")
        if self.inbox is not None and self.webhook_path:
            app.router.add_post(self.webhook_path, self.webhook, name="webhook")
            own.add(self.webhook_path)
        if self.site is not None:
            self.site.unguarded |= own  # Telegram and the monitor are not page readers
        return app

    async def start(self, addresses: list[tuple[str, int]]) -> list[str]:
        """Listen on each host:port (port 0: a free one); returns the addresses served."""
        self.runner = web.AppRunner(self.app(), access_log=None)
        await self.runner.setup()
        for host, port in dict.fromkeys(addresses):
            await web.TCPSite(self.runner, host, port, reuse_port=port != 0).start()
        served = [f"http://{host}:{port}" for host, port, *_ in self.runner.addresses]
        log.info("HTTP served on %s", ", ".join(served))
        return served

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()
            self.runner = None

    async def webhook(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not self.secret or not hmac.compare_digest(given, self.secret):
            return web.Response(status=401, text="unauthorized\n")
        try:
            payload = await request.json(loads=json.loads)
        except ValueError:
            payload = None
        if not isinstance(payload, dict) or not isinstance(payload.get("update_id"), int):
            return web.Response(status=400, text="not an update\n")
        try:
            await self.inbox.receive([payload])
        except Exception:  # not kept: Telegram sends it again
            log.exception("could not store update %s", payload.get("update_id"))
            return web.Response(status=500, text="not stored\n")
        return web.Response(text="ok\n")

    async def metrics(self, request: web.Request) -> web.Response:
        try:
            backlogs = await asyncio.wait_for(self.db.run(_backlogs), HEALTH_TIMEOUT)
        except Exception:  # the counters still tell; the backlogs keep their last value
            backlogs = (None, None)
        body, content_type = metrics.render(*backlogs)
        return web.Response(body=body, headers={"Content-Type": content_type})

    async def healthz(self, request: web.Request) -> web.Response:
        try:
            state = await asyncio.wait_for(self.db.run(health), HEALTH_TIMEOUT)
        except Exception as exc:
            state = Health(healthy=False, database=f"unreachable: {exc.__class__.__name__}")
        return web.json_response({"status": "ok" if state.healthy else "unhealthy",
                                  **asdict(state)}, status=200 if state.healthy else 503)


async def serve_page(config: Config, db: Database) -> None:
    """`loa web`: the public page alone (with /healthz), until interrupted."""
    server = HttpServer(db, site=PublicSite(config, db))
    address = (await server.start([config.web_listen]))[0]
    print(f"Loa's public page: {address}/", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await server.stop()


def _backlogs(session: Session) -> tuple[int, int]:
    return outbox.backlog(session), inbox.backlog(session).waiting
