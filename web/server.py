"""The public web server: GET/HEAD only, read-only, cached, rate-limited per client.

Why a cache: a campaign of a million pledges takes about a second to sum, so the figures are
computed at most once per `refresh` seconds per campaign (one computation however many readers
wait for it), and the rendered page is kept per language until the figures change. The ETag is
a hash of the figures, so a reader whose page is current gets a bodiless 304.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import json
import logging
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from aiohttp import web

from bot import metrics
from bot.config import Config
from bot.db import Database
from bot.i18n import Translator
from web import render
from web.figures import PageFigures, campaign_links, page_figures
from web.photos import KEY, PhotoStore

log = logging.getLogger(__name__)

STATIC = Path(__file__).resolve().parent / "static"
PREFIX = re.compile(r"^[A-Za-z0-9]{1,8}$")
MAX_AGE = 30  # with web.refresh_seconds (30), a change reaches every reader within a minute
#: Areas' own tables (?area=CODE) kept per campaign and change of its figures: memory bounded
#: (a district's table is 64 KB), the rest made on each request.
AREA_BODIES = 200
#: Telegram opens a Web App in its own web view; Telegram Web (the browser client) frames it.
FRAME_ANCESTORS = "'self' https://web.telegram.org https://*.telegram.org"
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; base-uri 'none'; "
                               f"form-action 'none'; frame-ancestors {FRAME_ANCESTORS}",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


class ClientLimiter:
    """A token bucket per client address: `burst` requests at once, then `rate` a second."""

    def __init__(self, rate: float, burst: int, max_clients: int = 10_000):
        self.rate, self.burst, self.max_clients = rate, burst, max_clients
        self.buckets: dict[str, tuple[float, float]] = {}  # address → tokens, at

    def wait(self, client: str, now: float) -> float:
        """0 when the request may go ahead (a token is taken), else the seconds to wait."""
        tokens, at = self.buckets.get(client, (self.burst, now))
        tokens = min(self.burst, tokens + (now - at) * self.rate)
        if tokens < 1:
            self.buckets[client] = (tokens, now)
            return (1 - tokens) / self.rate
        if len(self.buckets) >= self.max_clients and client not in self.buckets:
            self._forget_idle(now)
        self.buckets[client] = (tokens - 1, now)
        return 0.0

    def _forget_idle(self, now: float) -> None:
        """Buckets that have filled up again say nothing: drop them, so memory stays bounded."""
        full = self.burst / self.rate
        self.buckets = {c: (t, at) for c, (t, at) in self.buckets.items() if now - at < full}


@dataclass(frozen=True)
class Body:
    """An answer made once per change of the figures, plain and gzipped (a slow line)."""

    plain: bytes
    gzipped: bytes

    @classmethod
    def of(cls, data: bytes) -> Body:
        return cls(data, gzip.compress(data, compresslevel=6, mtime=0))


@dataclass
class Entry:
    figures: PageFigures
    etag: str
    updated: datetime  # when these figures were first seen: the page's "last updated"
    checked: float  # monotonic time of the last computation
    bodies: dict[str, Body] = field(default_factory=dict)  # "json", or HTML per language


def _etag(figures: PageFigures) -> str:
    data = json.dumps(figures.as_json(), sort_keys=True, ensure_ascii=False).encode()
    return hashlib.sha256(data).hexdigest()[:32]


class FigureCache:
    """Per campaign prefix: the figures, recomputed at most every `refresh` seconds. Only the
    first reader of a campaign waits for them; later, stale figures are served while one
    background task reads them again, so a second of summing never stalls the page."""

    def __init__(self, compute: Callable[[str], Awaitable[PageFigures | None]], refresh: float,
                 clock: Callable[[], float] = time.monotonic):
        self.compute, self.refresh, self.clock = compute, refresh, clock
        self.entries: dict[str, Entry] = {}
        self.locks: dict[str, asyncio.Lock] = {}
        self.refreshing: dict[str, asyncio.Task] = {}
        self.computations = 0

    async def get(self, prefix: str) -> Entry | None:
        entry = self.entries.get(prefix)
        if entry is None:
            lock = self.locks.setdefault(prefix, asyncio.Lock())
            async with lock:  # readers arriving meanwhile wait for this one computation
                if prefix not in self.entries:
                    await self._read(prefix)
                self.locks.pop(prefix, None)
            return self.entries.get(prefix)
        if self.clock() - entry.checked >= self.refresh and prefix not in self.refreshing:
            task = asyncio.create_task(self._read(prefix))
            self.refreshing[prefix] = task
            task.add_done_callback(lambda _: self.refreshing.pop(prefix, None))
        return entry

    async def _read(self, prefix: str) -> None:
        try:
            figures = await self.compute(prefix)
        except Exception:
            log.exception("could not read the figures of %s", prefix)
            return
        self.computations += 1
        old = self.entries.get(prefix)
        if figures is None:
            self.entries.pop(prefix, None)
            return
        etag = await asyncio.to_thread(_etag, figures)  # 10,000 areas: not in the loop
        if old is not None and old.etag == etag:
            old.checked = self.clock()
        else:
            self.entries[prefix] = Entry(figures, etag, datetime.now(UTC), self.clock())


def choose_language(request: web.Request, languages: tuple[str, ...]) -> str:
    """?lang= when Loa speaks it, else the browser's preferred language Loa speaks."""
    asked = request.query.get("lang", "")
    if asked in languages:
        return asked
    best, best_q = languages[0], 0.0
    for part in request.headers.get("Accept-Language", "").split(","):
        code, _, params = part.strip().partition(";")
        code = code.split("-")[0].strip().lower()
        try:
            q = float(params.strip()[2:]) if params.strip().startswith("q=") else 1.0
        except ValueError:
            q = 0.0
        if code in languages and q > best_q:
            best, best_q = code, q
    return best


def _current(request: web.Request, etag: str) -> bool:
    wanted = request.headers.get("If-None-Match", "")
    return any(tag.strip().removeprefix("W/") in (f'"{etag}"', "*") for tag in wanted.split(","))


class PublicSite:
    """The aiohttp application and its state (cache, limiter); start()/stop() to serve it."""

    def __init__(self, config: Config, db: Database, rate: float = 5.0, burst: int = 30):
        self.config, self.db = config, db
        self.cache = FigureCache(self._compute, config.web_refresh)
        self.limiter = ClientLimiter(rate, burst)
        self.photos = PhotoStore.of(config)  # None without the bot's token: no photos shown
        #: paths served beside the page (bot/http.py: the webhook, /healthz): no page limits
        self.unguarded: set[str] = set()

    async def _compute(self, prefix: str) -> PageFigures | None:
        return await self.db.run(page_figures, prefix, self.config.honour_registered,
                                 self.config.web_show_households)

    def translator(self, lang: str) -> Translator:
        return Translator(lang, self.config.timezone)

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._guard])
        # the names are the pages of loa_web_hits_total (never the path: one series a page)
        app.router.add_get("/", self.index, name="index")
        app.router.add_get("/c/{prefix}", self.page, name="campaign")
        app.router.add_get("/c/{prefix}/photos/{key}.jpg", self.photo, name="photo")
        app.router.add_get("/api/campaigns/{prefix}", self.api, name="api")
        app.router.add_static("/static/", STATIC, name="static")
        return app

    @web.middleware
    async def _guard(self, request: web.Request, handler) -> web.StreamResponse:
        """Rate limit first; security headers on every answer, errors (404, 405) included."""
        if request.path in self.unguarded:
            return await handler(request)
        metrics.WEB_HITS.labels(request.match_info.route.name or "not_found").inc()
        wait = self.limiter.wait(request.remote or "", time.monotonic())
        if wait:
            raise web.HTTPTooManyRequests(text="Too many requests\n", headers={
                **SECURITY_HEADERS, "Retry-After": str(max(1, round(wait + 0.5)))})
        try:
            response = await handler(request)
        except web.HTTPException as exc:
            exc.headers.update(SECURITY_HEADERS)
            raise
        response.headers.update(SECURITY_HEADERS)
        if request.path.startswith("/static/"):
            response.headers["Cache-Control"] = "public, max-age=86400"
        return response

    async def _entry(self, request: web.Request) -> Entry | None:
        prefix = request.match_info["prefix"]
        return await self.cache.get(prefix.upper()) if PREFIX.match(prefix) else None

    def _answer(self, request: web.Request, etag: str, body: Body,
                content_type: str) -> web.Response:
        headers = {"ETag": f'"{etag}"', "Cache-Control": f"public, max-age={MAX_AGE}",
                   "Vary": "Accept-Language, Accept-Encoding"}
        if _current(request, etag):
            return web.Response(status=304, headers=headers)
        data = body.plain
        if "gzip" in request.headers.get("Accept-Encoding", ""):
            data, headers["Content-Encoding"] = body.gzipped, "gzip"
        return web.Response(body=data, content_type=content_type, charset="utf-8",
                            headers=headers)

    async def page(self, request: web.Request) -> web.Response:
        lang = choose_language(request, self.config.languages)
        _ = self.translator(lang)
        entry = await self._entry(request)
        if entry is None:
            return web.Response(status=404, text=render.not_found(_, self.config.languages),
                                content_type="text/html")
        area = request.query.get("area")
        if area is not None:  # one area's table; the first AREA_BODIES asked for are kept
            body = entry.bodies.get(f"{lang}:{area}")
            if body is None and render.subtree(entry.figures.areas, area) is None:
                return web.Response(status=404, text=render.not_found(_, self.config.languages),
                                    content_type="text/html")
            if body is None:
                body = await asyncio.to_thread(lambda: Body.of(self._render(_, entry, area)))
                if len(entry.bodies) < AREA_BODIES:
                    entry.bodies[f"{lang}:{area}"] = body
            tag = hashlib.sha256(area.encode()).hexdigest()[:16]
            return self._answer(request, f"{entry.etag}-{lang}-{tag}", body, "text/html")
        body = entry.bodies.get(lang)
        if body is None:  # once per change and language; a thread, as 10,000 areas take time
            body = entry.bodies[lang] = await asyncio.to_thread(
                lambda: Body.of(self._render(_, entry)))
        return self._answer(request, f"{entry.etag}-{lang}", body, "text/html")

    def _render(self, _: Translator, entry: Entry, area: str | None = None) -> bytes:
        return render.page(_, entry.figures, self.config.languages, entry.updated,
                           photos=self.photos is not None, area=area).encode()

    async def photo(self, request: web.Request) -> web.Response:
        """A finished house's thumbnail, by the key the page names it with; 404 for any other."""
        key = request.match_info["key"]
        entry = await self._entry(request)
        file_id = entry.figures.photo_files.get(key) if entry and KEY.match(key) else None
        data = await self.photos.get(key, file_id) if file_id and self.photos else None
        if data is None:
            raise web.HTTPNotFound(text="No such photo\n")
        return web.Response(body=data, content_type="image/jpeg", headers={
            "Cache-Control": "public, max-age=86400", "ETag": f'"{key}"'})

    async def api(self, request: web.Request) -> web.Response:
        entry = await self._entry(request)
        if entry is None:
            return web.json_response({"error": "no such campaign"}, status=404)
        body = entry.bodies.get("json")
        if body is None:
            data = {**entry.figures.as_json(), "updated_at": entry.updated.isoformat()}
            body = entry.bodies["json"] = await asyncio.to_thread(
                lambda: Body.of(json.dumps(data, ensure_ascii=False).encode()))
        return self._answer(request, entry.etag, body, "application/json")

    async def index(self, request: web.Request) -> web.Response:
        _ = self.translator(choose_language(request, self.config.languages))
        links = await self.db.run(campaign_links)
        return web.Response(text=render.index(_, links, self.config.languages),
                            content_type="text/html",
                            headers={"Cache-Control": f"public, max-age={MAX_AGE}",
                                     "Vary": "Accept-Language"})
