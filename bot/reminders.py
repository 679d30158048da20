"""Reminders from what the database holds, woken by APScheduler (PTB's JobQueue).

Every tick reads the reminders whose time has come, claims each once and puts its messages in
the outbox in the same transaction (so several processes, a restart or a crash never send one
twice), tells officers when their deadline has passed, and reminds pledgers once before a
campaign ends. The clock is injectable: tests run a week of reminders in a moment.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, col, select
from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.ext import ContextTypes, Job, JobQueue

from bot import metrics, pages
from bot.config import Config
from bot.context import escape, translator
from bot.db import Database
from bot.delivery import Dispatcher
from bot.i18n import N_
from models.areas import label, short_labels
from models.base import utcnow
from models.campaigns import take_ended
from models.deadlines import (
    Clockwork,
    Deadline,
    DeadlineStatus,
    Report,
    reporting_areas,
    take_due,
)
from models.figures import reported_area, totals
from models.onboarding import erase_unconsented
from models.outbox import enqueue
from models.pledges import take_pledge_reminders
from models.schedule import SNOOZES, QuietHours, snooze_span
from models.users import AccessDenied, User, actor_for

TICK = 20  # seconds between looks at the database
SWEEP_EVERY = timedelta(hours=1)  # for people who started and never consented
SNOOZE_LABELS = dict(zip(SNOOZES, (N_("💤 Remind me tomorrow"), N_("💤 Remind me in 3 hours"),
                                   N_("💤 Remind me in 1 hour")), strict=True))

log = logging.getLogger(__name__)


def clockwork(config: Config) -> Clockwork:
    return Clockwork(config.timezone, QuietHours.parse(config.quiet_hours),
                     config.reminder_grace)


class Reminders:
    def __init__(self, db: Database, config: Config, dispatcher: Dispatcher,
                 clock: Callable[[], datetime] = utcnow):
        self.db, self.config, self.dispatcher, self.clock = db, config, dispatcher, clock
        self._next_sweep = datetime.min.replace(tzinfo=UTC)
        self._scheduled: Job | None = None
        self._ticking = asyncio.Lock()

    def start(self, jobs: JobQueue) -> None:
        self._scheduled = jobs.run_repeating(self._job, interval=TICK, first=1,
                                             name="loa-reminders")

    async def stop(self) -> None:
        """No more ticks; a tick under way finishes first (the scheduler's own shutdown would
        cancel it mid-round and log the cancellation as the job's error)."""
        if self._scheduled is not None:
            self._scheduled.schedule_removal()
            self._scheduled = None
        async with self._ticking:
            pass

    async def _job(self, _context: ContextTypes.DEFAULT_TYPE) -> None:
        async with self._ticking:
            await self.tick()

    async def tick(self, now: datetime | None = None) -> int:
        """Send what is due at `now` (the clock's time by default); how many were enqueued."""
        counts = await self.db.run(self._tick, now or self.clock())
        for kind, count in counts.items():  # counted once committed: each is taken only once
            metrics.REMINDERS.labels(kind).inc(count)
        if any(counts.values()):
            self.dispatcher.wake()
        return sum(counts.values())

    def _tick(self, session: Session, now: datetime) -> dict[str, int]:
        if now >= self._next_sweep:  # an hourly chore rides on the same clock
            self._next_sweep = now + SWEEP_EVERY
            erased = erase_unconsented(session, now)
            if erased:
                log.info("erased %d people who never consented", erased)
        return {"deadline": self._deadline_reminders(session, now),
                "summary": self._summaries(session, now),
                "pledge": self._pledge_reminders(session, now),
                "result": self._results(session, now)}

    def _deadline_reminders(self, session: Session, now: datetime) -> int:
        count, clock = 0, clockwork(self.config)
        taken = take_due(session, now, clock)
        for due in taken:
            where = label(session, due.area)
            span = snooze_span(now, due.deadline.due_at, clock.tz, clock.quiet)
            for person in due.people:
                _ = translator(self.config, person.language)
                values = {"title": escape(due.deadline.title), "area": escape(where),
                          "when": _.datetime(due.deadline.due_at)}
                text = _("⚠️ Overdue: the report “{title}” for {area} was due {when}.",
                         **values) if due.reminder.due_at > due.deadline.due_at else \
                    _("⏰ Reminder: the report “{title}” for {area} is due {when}.", **values)
                key = f"{due.deadline.id}:{due.area.id}"
                row = [InlineKeyboardButton(_("📝 Report now"), callback_data=f"rp:now:{key}")]
                if span is not None:
                    row.append(InlineKeyboardButton(
                        _(SNOOZE_LABELS[span]),
                        callback_data=f"rp:snz:{key}:{int(span.total_seconds()) // 60}"))
                enqueue(session, person.id, text, InlineKeyboardMarkup([row]).to_dict())
                count += 1
        if taken:
            log.info("reminder round: %d reminders for %d areas of %d deadlines, %d messages",
                     len(taken), len({(d.deadline.id, d.area.id) for d in taken}),
                     len({d.deadline.id for d in taken}), count)
        return count

    def _summaries(self, session: Session, now: datetime) -> int:
        """When a deadline passes, its officer hears which areas have not reported."""
        count = 0
        for deadline in session.exec(select(Deadline).where(
                Deadline.status == DeadlineStatus.OPEN, col(Deadline.due_at) <= now,
                col(Deadline.summary_sent_at).is_(None))).all():
            won = session.execute(update(Deadline).where(
                col(Deadline.id) == deadline.id, col(Deadline.summary_sent_at).is_(None))
                .values(summary_sent_at=now)).rowcount
            officer = session.get(User, deadline.created_by) if deadline.created_by else None
            if won != 1 or officer is None:
                continue
            reported = {r.area_id for r in session.exec(select(Report).where(
                Report.deadline_id == deadline.id))}
            areas = reporting_areas(session, deadline)
            missing = short_labels(session, [a for a in areas if a.id not in reported])
            _ = translator(self.config, officer.language)
            text = _("📋 The deadline “{title}” has passed: {reported} of {total} areas "
                     "reported.", title=escape(deadline.title),
                     reported=_.number(len(areas) - len(missing)), total=_.number(len(areas)))
            blocks = [_("Not reported yet: {areas}.", areas=run)
                      for run in pages.runs([escape(n) for n in missing])]
            for part in pages.split_text(blocks, text):  # as many messages as it takes
                enqueue(session, officer.id, part)
            log.info("summary of deadline %s: %d of %d areas reported", deadline.id,
                     len(areas) - len(missing), len(areas))
            count += 1
        return count

    def _pledge_reminders(self, session: Session, now: datetime) -> int:
        today = now.astimezone(self.config.timezone).date()
        count = 0
        for pledge, campaign, user in take_pledge_reminders(
                session, today, self.config.pledge_reminder_days, now):
            _ = translator(self.config, user.language)
            text = _("🙏 A gentle reminder: your pledge {reference} to {campaign} is not "
                     "received yet, and the campaign ends on {date}. Thank you!",
                     reference=pledge.reference, campaign=escape(campaign.name),
                     date=_.date(campaign.ends_on))
            markup = InlineKeyboardMarkup([[InlineKeyboardButton(
                _("Stop these reminders"), callback_data="rm:off")]])
            enqueue(session, user.id, text, markup.to_dict())
            count += 1
        if count:
            log.info("pledge reminders: %d", count)
        return count

    def _results(self, session: Session, now: datetime) -> int:
        """The day after a campaign ends, those who ran it hear its result, with the report
        to the level above one press away: only those who may still have that report (whoever
        started it and is a citizen now, or an officer elsewhere, is not told)."""
        today = now.astimezone(self.config.timezone).date()
        count = 0
        for campaign, people in take_ended(session, today, now):
            overall, before = totals(session, campaign.id).overall, count
            for person in people:
                try:
                    reported_area(session, actor_for(session, person, self.config.admins),
                                  campaign)
                except AccessDenied:
                    continue
                _ = translator(self.config, person.language)
                text = _("🏁 The campaign “{name}” ended on {date}: {pledged} pledged, {received} "
                         "received ({n}). The report to the level above is ready as a "
                         "workbook.", name=escape(campaign.name), date=_.date(campaign.ends_on),
                         pledged=_.money(overall.pledged), received=_.money(overall.received),
                         n=_.ngettext("{n} pledge", "{n} pledges", overall.pledges))
                markup = InlineKeyboardMarkup([[InlineKeyboardButton(
                    _("📤 Report to the level above (Excel)"),
                    callback_data=f"ex:up:{campaign.id}")]])
                enqueue(session, person.id, text, markup.to_dict())
                count += 1
            log.info("campaign %s ended: result to %d officers", campaign.id, count - before)
        return count

