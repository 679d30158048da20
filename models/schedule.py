"""When reminders go out: offsets as people write them, quiet hours, the overdue cadence.

Pure functions over times (no database): a deadline's reminder times are worked out here and
stored; the clock is always passed in, so a week of reminders can be tested in a moment.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from models.numbers import ascii_digits

DEFAULT_OFFSETS = "7d 3d 1d"
MAX_OFFSETS = 10
MORNING = time(7, 0)
OVERDUE_EVERY = timedelta(days=2)
UNITS = {"d": timedelta(days=1), "h": timedelta(hours=1), "m": timedelta(minutes=1)}
OFFSET = re.compile(r"(\d{1,3})\s*(d|h|m|ngày|ngay|giờ|gio|phút|phut)", re.ASCII)
WORDS = {"ngày": "d", "ngay": "d", "giờ": "h", "gio": "h", "phút": "m", "phut": "m"}


class OffsetProblem(ValueError):
    """The offsets could not be read; the text is kept for the message."""


def parse_offsets(text: str) -> list[timedelta]:
    """"7d 3d 1d 2h 30m" (also "7 ngày 2 giờ") → the distinct offsets, largest first."""
    cleaned = ascii_digits(text.strip().lower().replace(",", " "))
    found = OFFSET.findall(cleaned)
    if not found or OFFSET.sub("", cleaned).strip():
        raise OffsetProblem(text)
    offsets = {int(n) * UNITS[WORDS.get(unit, unit)] for n, unit in found}
    if any(o <= timedelta(0) or o > timedelta(days=90) for o in offsets) or \
            len(offsets) > MAX_OFFSETS:
        raise OffsetProblem(text)
    return sorted(offsets, reverse=True)


def format_offsets(offsets: list[timedelta]) -> str:
    parts = []
    for offset in offsets:
        minutes = int(offset.total_seconds() // 60)
        if minutes % (24 * 60) == 0:
            parts.append(f"{minutes // (24 * 60)}d")
        elif minutes % 60 == 0:
            parts.append(f"{minutes // 60}h")
        else:
            parts.append(f"{minutes}m")
    return " ".join(parts)


@dataclass(frozen=True)
class QuietHours:
    """No reminder between start and end, local time (21:00–07:00 by default)."""

    start: time
    end: time

    @classmethod
    def parse(cls, text: str) -> QuietHours | None:
        """"21:00-07:00"; an empty text means no quiet hours."""
        if not text.strip():
            return None
        match = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*", text, re.ASCII)
        if not match:
            raise ValueError(text)
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        return cls(time(h1, m1), time(h2, m2))

    def contains(self, moment: time) -> bool:
        if self.start <= self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end

    def shift(self, when: datetime, tz: ZoneInfo) -> datetime:
        """A time inside the quiet hours moves to their end (the next morning)."""
        local = when.astimezone(tz)
        if not self.contains(local.time()):
            return when
        day = local.date() if local.time() < self.end else local.date() + timedelta(days=1)
        return datetime.combine(day, self.end, tzinfo=tz).astimezone(when.tzinfo)

    def before(self, when: datetime, tz: ZoneInfo) -> datetime:
        """A time inside the quiet hours moves to the last minute before they began (the
        evening before), so a reminder due before a deadline still comes before it."""
        local = when.astimezone(tz)
        if not self.contains(local.time()):
            return when
        day = local.date() if local.time() >= self.start else local.date() - timedelta(days=1)
        began = datetime.combine(day, self.start, tzinfo=tz)
        return (began - timedelta(minutes=1)).astimezone(when.tzinfo)


def reminder_times(due: datetime, offsets: list[timedelta], tz: ZoneInfo,
                   quiet: QuietHours | None, now: datetime) -> list[datetime]:
    """Every reminder before a deadline: each offset before it, and the morning of the day
    it falls due; one in the quiet hours comes on the evening before them instead; those
    already past are left out."""
    times = {due - offset for offset in offsets}
    morning = datetime.combine(due.astimezone(tz).date(), MORNING, tzinfo=tz)
    if morning < due:
        times.add(morning.astimezone(due.tzinfo))
    if quiet is not None:
        times = {quiet.before(t, tz) for t in times}
    return sorted(t for t in times if now <= t <= due)


def next_overdue(after: datetime, tz: ZoneInfo, quiet: QuietHours | None) -> datetime:
    """An overdue reminder every two days until the report comes or the officer closes it."""
    when = after + OVERDUE_EVERY
    return quiet.shift(when, tz) if quiet is not None else when


SNOOZES = (timedelta(days=1), timedelta(hours=3), timedelta(hours=1))


def snoozed(now: datetime, tz: ZoneInfo, quiet: QuietHours | None,
            span: timedelta = SNOOZES[0]) -> datetime:
    """"Remind me tomorrow" (or in a few hours): then, out of the quiet hours."""
    when = now + span
    return quiet.shift(when, tz) if quiet is not None else when


def snooze_span(now: datetime, due: datetime, tz: ZoneInfo,
                quiet: QuietHours | None) -> timedelta | None:
    """The longest snooze that still ends before the deadline (any, once it is overdue);
    None when even the shortest would come too late."""
    for span in SNOOZES:
        if now >= due or snoozed(now, tz, quiet, span) < due:
            return span
    return None
