"""The one way out: a dispatcher that drains the outbox within Telegram's limits.

Every message Loa sends on its own initiative (notifications, broadcasts, later reminders) is a
delivery row, sent from here. The pace, per-chat spacing, 429 pauses and the precedence of
replies are the rate limiter's (bot/ratelimit.py), which every Bot API call passes through.
Here: claim due deliveries, send them with a few concurrent workers, record each outcome
(network errors and 5xx retried with backoff up to a cap; 403 marks the person unreachable and
is never retried; 400 fails that delivery only), start scheduled broadcasts when their time
comes, and keep each broadcast's progress message current.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlmodel import Session, col, select
from telegram import Bot
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
)

from bot import metrics
from bot.config import Config
from bot.db import Database
from bot.i18n import FALLBACK, Translator
from bot.messages import broadcast_requests
from bot.ratelimit import Limiter, messages
from bot.wire import Wire
from models.base import utcnow
from models.broadcasts import (
    Broadcast,
    BroadcastStatus,
    figures,
    finish_done,
    mark_unreachable,
    running,
    start_due,
)
from models.chats import follow_migration, mark_removed, paced, readers
from models.outbox import (
    Delivery,
    DeliveryStatus,
    advance,
    beat,
    claim,
    drop_lease,
    finish,
    next_due,
    release,
    release_dead,
    take_lease,
)
from models.users import User

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
# A claim names its process's lease; a dead process's claims go back to the queue as soon as
# its death is seen (models/outbox.py). A claim that names no lease (made before leases
# existed) is taken back when older than this.
STALE_CLAIM = timedelta(seconds=30)
HEARTBEAT = 2.0  # seconds between heartbeats of this process's lease
ETA_WINDOW = 10.0  # seconds of recent progress the time left is estimated from
CACHE_MAX = 256  # broadcasts and rendered requests kept in memory
HAND_BACK_AFTER = 2.0  # seconds of 429 pause beyond which unsent claims are handed back
IDLE_POLL = 1.0  # seconds between looks at the outbox when nobody woke the dispatcher
FLUSH_EVERY = 0.1  # seconds: outcomes are written in small batches, not one by one
PROGRESS_EVERY = 2.0


@dataclass(frozen=True)
class Outcome:
    delivery_id: int
    chat_id: int
    status: DeliveryStatus
    error: str | None = None
    retry_at: datetime | None = None
    claim: str | None = None

    @property
    def counted_as(self) -> str | None:
        """Its outcome in loa_sends_total; None when nothing was tried (left, cancelled)."""
        if self.status in (DeliveryStatus.LEFT, DeliveryStatus.CANCELLED):
            return None
        if self.retry_at is not None:  # a 429 handed back, a network error or a 5xx
            return "retried"
        return {DeliveryStatus.SENT: "sent", DeliveryStatus.BLOCKED: "blocked"}.get(
            self.status, "failed")


KNOWN_BLOCKED = "blocked Loa before it"  # the error of a delivery not tried: already marked


@dataclass(frozen=True)
class Job:
    delivery: Delivery
    language: str | None
    gone: bool  # the recipient left Loa after the list was fixed
    cancelled: bool = False  # the officer cancelled the broadcast after it was claimed
    blocked: bool = False  # the person blocked Loa after the list was fixed (Telegram said so)


def _claim(session: Session, now: datetime, limit: int, lease_id: int | None,
           group_interval: float) -> list[Job]:
    claimed = claim(session, now, limit, lease_id)
    deliveries = paced(session, claimed, now, group_interval, _sizes(session, claimed))
    people = {uid: (lang, unreachable) for uid, lang, unreachable in session.exec(
        select(User.id, User.language, User.unreachable_at)
        .where(col(User.id).in_({d.chat_id for d in deliveries})))}
    people.update(readers(session, {d.chat_id for d in deliveries if d.chat_id < 0}))
    stopped = set(session.exec(select(Broadcast.id).where(
        col(Broadcast.id).in_({d.broadcast_id for d in deliveries if d.broadcast_id}),
        Broadcast.status == BroadcastStatus.CANCELLED)))
    jobs = []
    for d in deliveries:
        lang, unreachable = people.get(d.chat_id, (None, None))
        known, bulk = d.chat_id in people, d.broadcast_id is not None
        gone = bulk and (not known or (d.chat_id < 0 and unreachable))  # a group removed Loa
        blocked = bulk and known and d.chat_id > 0 and unreachable is not None
        jobs.append(Job(d, lang, bool(gone), d.broadcast_id in stopped, blocked))
    return jobs


def _sizes(session: Session, deliveries: list[Delivery]) -> dict[int, int]:
    """How many messages each broadcast bound for a group sends (an album counts each item,
    a video note its text too): the group's pace takes that many slots."""
    ids = {d.broadcast_id for d in deliveries if d.chat_id < 0 and d.broadcast_id}
    if not ids:
        return {}
    any_reader = Translator(FALLBACK, UTC)  # the count is the same in every language
    return {b.id: sum(messages(method, params)
                      for method, params in broadcast_requests(b, any_reader, 0))
            for b in session.exec(select(Broadcast).where(col(Broadcast.id).in_(ids)))}


def _record(session: Session, outcomes: list[Outcome], now: datetime) -> None:
    blocked = []
    for o in outcomes:  # only what this process still holds: a claim taken back stays so
        if finish(session, o.delivery_id, o.status, now, error=o.error, retry_at=o.retry_at,
                  claim=o.claim) and o.status is DeliveryStatus.BLOCKED and \
                o.error != KNOWN_BLOCKED:  # marked already (and perhaps unblocked since)
            blocked.append(o.chat_id)
    mark_unreachable(session, [c for c in blocked if c > 0], now)
    mark_removed(session, [c for c in blocked if c < 0] + _groups_gone(outcomes), now)


def _groups_gone(outcomes: list[Outcome]) -> list[int]:
    """Groups Telegram no longer knows (400 "chat not found"): skipped from now on, as a
    group that removed Loa (403) is."""
    return [o.chat_id for o in outcomes if o.chat_id < 0 and o.status is DeliveryStatus.FAILED
            and "chat not found" in (o.error or "").lower()]


def _broadcasts(session: Session, ids: set[int]) -> dict[int, Broadcast]:
    return {b.id: b for b in session.exec(select(Broadcast).where(col(Broadcast.id).in_(ids)))}


class Dispatcher:
    def __init__(self, bot: Bot, db: Database, config: Config, limiter: Limiter,
                 concurrency: int = 16, batch: int = 100):
        self.bot, self.db, self.config, self.limiter = bot, db, config, limiter
        self.concurrency, self.batch = concurrency, batch
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task] = []
        self._outcomes: list[Outcome] = []
        self._broadcasts: dict[int, Broadcast] = {}
        self._shown: dict[int, str] = {}
        self._unfinished: set[int] = set()  # claimed here, no outcome yet
        self._requests: dict[tuple[int, str, bool], list[tuple[str, dict]]] = {}
        self._stopping = False
        self.lease_id: int | None = None
        self.wire = Wire(config.api_url, bot.token, limiter, connections=concurrency)

    async def preview(self, chat_id: int, broadcast: Broadcast, _: Translator) -> None:
        """The broadcast, to the officer, by the very requests its recipients will get."""
        calls = broadcast_requests(broadcast, _, chat_id)
        for _method, params in calls:
            params.pop("allow_paid_broadcast", None)  # a preview costs no Stars
        await self.answer(calls)

    async def answer(self, calls: list[tuple[str, dict]]) -> None:
        """Calls made by bot/messages.py, sent in order as a reply (a preview, a letter's
        voice or album): by the wire, since PTB has a method per kind, not one for all."""
        if self.wire._session is None:
            await self.wire.open()
        for method, params in calls:
            await self.wire.call(method, params, bulk=False)
            metrics.SENDS.labels("sent").inc()  # a reply by the wire: the limiter's hook misses it

    def wake(self) -> None:
        """Something was enqueued: look now rather than at the next poll."""
        self._wake.set()

    def start(self) -> None:
        self._stopping = False
        self._tasks = [asyncio.create_task(self._run(), name="loa-dispatcher"),
                       asyncio.create_task(self._flusher(), name="loa-outcomes"),
                       asyncio.create_task(self._progress(), name="loa-progress")]

    async def stop(self) -> None:
        """Let the sends in flight finish (none is cut off half-way), then write everything
        down and hand back the rest."""
        self._stopping = True
        self._wake.set()
        if self._tasks:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._tasks[0]), timeout=10)
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks = []
        try:
            await self._flush()
            if self._unfinished:  # a clean stop hands back what it had claimed but not sent
                await self.db.run(release, sorted(self._unfinished))
                self._unfinished.clear()
            if self.lease_id is not None:
                await self.db.run(drop_lease, self.lease_id)
                self.lease_id = None
        except Exception:  # the next start on this host takes the claims back in any case
            log.exception("dispatcher: could not write everything down while stopping")
        await self.wire.close()

    # ---- the loop -----------------------------------------------------------------------------

    async def _run(self) -> None:
        if self.wire._session is None:
            await self.wire.open()
        while not self._stopping:
            try:
                if self.lease_id is None:
                    self.lease_id = await self.db.run(take_lease, utcnow())
                released = await self.db.run(release_dead, utcnow(), STALE_CLAIM)
                if released:
                    log.warning("dispatcher: took back %d claims of a process that died",
                                released)
                await self.db.run(start_due, utcnow())
                if not await self.drain_once() and not self._stopping:
                    await self._idle()
            except Exception:  # a database hiccup must not close the way out for good
                log.exception("dispatcher: could not drain the outbox")
                await asyncio.sleep(1)

    async def _idle(self) -> None:
        due = await self.db.run(next_due)
        wait = IDLE_POLL
        if due is not None:
            wait = min(wait, max(0.0, (due - utcnow()).total_seconds()))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=wait)
        self._wake.clear()

    async def drain_once(self) -> bool:
        """Claim a batch of due deliveries and send them; False when nothing was due."""
        await asyncio.sleep(self.limiter.paused_for)
        if self.lease_id is None:
            return False
        jobs = await self.db.run(_claim, utcnow(), self.batch, self.lease_id,
                                 self.config.group_interval)
        if not jobs:
            return False
        self._unfinished.update(j.delivery.id for j in jobs)
        missing = {j.delivery.broadcast_id for j in jobs} - {None, *self._broadcasts}
        if missing:
            if len(self._broadcasts) + len(missing) > CACHE_MAX:
                self._broadcasts.clear()
                self._requests.clear()
                missing = {j.delivery.broadcast_id for j in jobs} - {None}
            self._broadcasts.update(await self.db.run(_broadcasts, missing))
        queue: asyncio.Queue[Job] = asyncio.Queue()
        for job in jobs:
            queue.put_nowait(job)
        workers = [asyncio.create_task(self._worker(queue))
                   for _ in range(min(self.concurrency, len(jobs)))]
        await asyncio.gather(*workers)
        return True

    async def _worker(self, queue: asyncio.Queue[Job]) -> None:
        while not queue.empty() and not self._stopping:
            job = queue.get_nowait()
            d = job.delivery
            try:
                if self.limiter.paused_for > HAND_BACK_AFTER:  # a long 429 pause: give it back
                    retry_at = utcnow() + timedelta(seconds=self.limiter.paused_for)
                    outcome = Outcome(d.id, d.chat_id, DeliveryStatus.PENDING, "429", retry_at)
                else:
                    outcome = await self._send(job)
            except Exception as exc:  # whatever it was, the delivery is retried or recorded
                log.exception("dispatcher: sending delivery %s failed unexpectedly", d.id)
                outcome = self._failed(d, f"{exc.__class__.__name__}: {exc}")
            self._outcomes.append(
                dataclasses.replace(outcome, claim=d.claim))  # _flush swaps the list
            if outcome.counted_as:
                metrics.SENDS.labels(outcome.counted_as).inc()
            self._unfinished.discard(d.id)

    @staticmethod
    def _failed(d: Delivery, error: str) -> Outcome:
        """A failure that may pass: tried again later with backoff, up to MAX_ATTEMPTS."""
        retry_at = None
        if d.attempts + 1 < MAX_ATTEMPTS:
            retry_at = utcnow() + timedelta(seconds=min(2 ** (d.attempts + 1), 300))
        return Outcome(d.id, d.chat_id, DeliveryStatus.FAILED, error, retry_at)

    async def _send(self, job: Job) -> Outcome:
        d = job.delivery
        if job.cancelled:
            return Outcome(d.id, d.chat_id, DeliveryStatus.CANCELLED)
        if job.gone:
            return Outcome(d.id, d.chat_id, DeliveryStatus.LEFT)
        if job.blocked:  # not tried: Telegram would answer 403
            return Outcome(d.id, d.chat_id, DeliveryStatus.BLOCKED, KNOWN_BLOCKED)
        if d.broadcast_id is not None:
            calls = self._rendered(d.broadcast_id, self._language(job.language), d.chat_id < 0)
        else:
            params = {"text": d.text, "parse_mode": ParseMode.HTML.value}
            if d.markup:
                params["reply_markup"] = d.markup
            calls = [("sendMessage", params)]
        try:
            while d.part < len(calls):
                method, params = calls[d.part]
                await self.wire.call(method, {**params, "chat_id": d.chat_id})
                d.part += 1
                if d.part < len(calls):  # a retry, or a restart, skips the calls that went out
                    await self.db.run(advance, d.id, d.claim, d.part)
        except RetryAfter:  # the wire paused the limiter for the whole bot; this one goes back
            retry_at = utcnow() + timedelta(seconds=self.limiter.paused_for)
            return Outcome(d.id, d.chat_id, DeliveryStatus.PENDING, "429", retry_at)
        except ChatMigrated as exc:  # a group became a supergroup: there, under its new id
            return await self._migrated(job, exc.new_chat_id)
        except Forbidden as exc:
            return Outcome(d.id, d.chat_id, DeliveryStatus.BLOCKED, exc.message)
        except BadRequest as exc:
            return Outcome(d.id, d.chat_id, DeliveryStatus.FAILED, exc.message)
        except (NetworkError, TelegramError) as exc:  # timeouts, 5xx, answers not understood
            return self._failed(d, exc.message)
        return Outcome(d.id, d.chat_id, DeliveryStatus.SENT)

    async def _migrated(self, job: Job, new_id: int) -> Outcome:
        """The group's row, link and pending messages follow its new id; this one goes there,
        unless the new id has its own delivery of the same broadcast (then it is cancelled)."""
        d = job.delivery
        if new_id == d.chat_id:
            return Outcome(d.id, d.chat_id, DeliveryStatus.FAILED, "migrated to itself")
        if not await self.db.run(follow_migration, d.id, d.claim, d.chat_id, new_id):
            return Outcome(d.id, d.chat_id, DeliveryStatus.CANCELLED)
        d.chat_id = new_id
        return await self._send(job)

    def _rendered(self, broadcast_id: int, lang: str, group: bool) -> list[tuple[str, dict]]:
        """A broadcast's requests for one language, made once and reused for every reader
        (people, or groups and channels: theirs carry the pledge button as a link)."""
        key = (broadcast_id, lang, group)
        if key not in self._requests:
            if len(self._requests) >= CACHE_MAX:
                self._requests.clear()
            _ = Translator(lang, self.config.timezone)
            self._requests[key] = broadcast_requests(self._broadcasts[broadcast_id], _, 0,
                                                     self.bot.username if group else None)
        return self._requests[key]

    def _language(self, language: str | None) -> str:
        return language if language in self.config.languages else self.config.default_language

    # ---- outcomes and progress ----------------------------------------------------------------

    async def _flusher(self) -> None:
        last = time.monotonic()
        while True:
            await asyncio.sleep(FLUSH_EVERY)
            try:
                await self._flush()
                if time.monotonic() - last > HEARTBEAT and self.lease_id is not None:
                    if not await self.db.run(beat, self.lease_id, utcnow()):
                        # declared dead (a long stall): its claims went back; start afresh
                        log.warning("dispatcher: lost its lease; taking a new one")
                        self.lease_id = await self.db.run(take_lease, utcnow())
                    last = time.monotonic()
            except Exception:
                log.exception("dispatcher: could not record outcomes; will retry")

    async def _flush(self) -> None:
        outcomes, self._outcomes = self._outcomes, []
        if outcomes:
            try:
                await self.db.run(_record, outcomes, utcnow())
            except BaseException:  # stop() may cancel this mid-write: stop's own flush then
                self._outcomes[:0] = outcomes  # records them (again: a no-op if it went in),
                raise  # before the lease's claims go back to pending, never after

    async def _progress(self) -> None:
        """Keep each running broadcast's progress message current; a summary at the end."""
        samples: dict[int, deque[tuple[float, int]]] = {}
        while True:
            await asyncio.sleep(PROGRESS_EVERY)
            try:
                live = await self.db.run(running)
                for gone in set(samples) - {b.id for b in live}:  # bounded: running ones only
                    del samples[gone]
                for broadcast in live:
                    counts = await self.db.run(figures, broadcast.id)
                    rate = recent_rate(samples.setdefault(broadcast.id, deque()),
                                       time.monotonic(), done_of(counts))
                    await self.show_progress(broadcast, counts, rate, False)
                for broadcast_id in await self.db.run(finish_done, utcnow()):
                    broadcast = (await self.db.run(_broadcasts, {broadcast_id}))[broadcast_id]
                    counts = await self.db.run(figures, broadcast_id)
                    await self.show_progress(broadcast, counts, 0.0, True)
                    samples.pop(broadcast_id, None)
                    self._shown.pop(broadcast_id, None)
            except Exception:
                log.exception("dispatcher: progress update failed")

    async def show_progress(self, broadcast: Broadcast, counts: dict[str, int],
                            rate: float, final: bool) -> None:
        if not broadcast.progress_message_id:
            return
        officer = await self.db.run(lambda s: s.get(User, broadcast.created_by)) \
            if broadcast.created_by else None
        _ = Translator(self._language(officer.language if officer else None),
                       self.config.timezone)
        text = progress_text(_, broadcast, counts, rate, final)
        if self._shown.get(broadcast.id) == text:
            return
        if len(self._shown) >= CACHE_MAX:
            self._shown.clear()
        self._shown[broadcast.id] = text
        with contextlib.suppress(TelegramError):
            await self.bot.edit_message_text(text, broadcast.progress_chat_id,
                                             broadcast.progress_message_id,
                                             parse_mode=ParseMode.HTML)


def done_of(counts: dict[str, int]) -> int:
    return sum(v for k, v in counts.items() if k not in ("pending", "sending"))


def recent_rate(samples: deque[tuple[float, int]], now: float, done: int) -> float:
    """Messages a second over the last ETA_WINDOW seconds (not since the start: a pause, a
    429 or a restart must not make the time left wrong for the rest of the broadcast)."""
    samples.append((now, done))
    while len(samples) > 2 and now - samples[1][0] >= ETA_WINDOW:
        samples.popleft()
    first_at, first_done = samples[0]
    return (done - first_done) / (now - first_at) if now > first_at else 0.0


def progress_text(_: Translator, broadcast: Broadcast, counts: dict[str, int], rate: float,
                  final: bool) -> str:
    total = broadcast.recipients
    sent = counts.get("sent", 0)
    left_to_send = counts.get("pending", 0) + counts.get("sending", 0)
    head = _("✅ Broadcast #{id} finished.", id=broadcast.id) if final else \
        _("📣 Broadcast #{id} is going out…", id=broadcast.id)
    lines = [head,
             _("Sent {sent} of {total} · failed {failed} · blocked {blocked} · left {left}",
               sent=_.number(sent), total=_.number(total),
               failed=_.number(counts.get("failed", 0)),
               blocked=_.number(counts.get("blocked", 0)), left=_.number(counts.get("left", 0)))]
    if not final and left_to_send and rate > 0:
        lines.append(_("About {minutes} min to go.",
                       minutes=_.number(max(1, round(left_to_send / rate / 60)))))
    if final:
        lines.append(_("/broadcasts shows the figures and the list of those not reached."))
    return "\n".join(lines)
