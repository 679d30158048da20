"""Dates and times as people type them in a chat, in Vietnamese and English.

"22/11" (which year depends on the question: a payment received is in the past, a deadline
in the future), "hôm nay", "hôm qua", "mai", "8h", "8 giờ sáng", "20h30", "8pm", a date and a
time in either order ("08:00 25/11" is how Loa itself writes them), and periods
"1/12 - 31/12". The day it is today is always passed in. Anything else is InputProblem.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from models.numbers import ascii_digits


class InputProblem(ValueError):
    """Text that could not be read; `example` is what would have worked."""


class Lean(StrEnum):
    """Which year a date without one is in: the question decides."""

    PAST = "past"  # a payment received: the latest such day up to today
    FUTURE = "future"  # a deadline, a scheduled broadcast: the next such day from today
    NEAR = "near"  # a campaign's period: the such day nearest to today


DATE = re.compile(r"(\d{1,2})[/.-](\d{1,2})(?:[/.-](\d{4}|\d{2}))?", re.ASCII)
RELATIVE = {"hom nay": 0, "nay": 0, "today": 0, "hom qua": -1, "qua": -1, "yesterday": -1,
            "hom kia": -2, "mai": 1, "ngay mai": 1, "tomorrow": 1, "ngay kia": 2}
CLOCK = re.compile(r"(\d{1,2})(?:\s*(?:[:hg]|gio)\s*(\d{2})?(?:\s*(?:phut|p))?)?", re.ASCII)
MORNING = ("sang", "am")
EVENING = ("chieu", "toi", "pm")
NIGHT = "dem"  # 9 giờ đêm is 21:00, 2 giờ đêm 02:00, 12 giờ đêm midnight
NOON = "trua"
PERIOD_SPLIT = re.compile(r"\s*(?:–|—|-\s|\s-|\bden\b|\bto\b|\btoi\b)\s*")


def fold(text: str) -> str:
    """Lower case, no diacritics, ASCII digits, single spaces: "Hôm Qua" → "hom qua"."""
    decomposed = unicodedata.normalize("NFD", ascii_digits(text).casefold())
    kept = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"\s+", " ", kept.replace("đ", "d")).strip()


def parse_day(text: str, today: date, lean: Lean = Lean.NEAR) -> date:
    """A day: "18/11/2023", "18/11/23", "18/11", "hôm qua", "mai"."""
    folded = fold(text)
    if folded in RELATIVE:
        return today + timedelta(days=RELATIVE[folded])
    match = DATE.fullmatch(folded.removeprefix("ngay "))  # "ngày 22/11"
    if not match:
        raise InputProblem(text)
    day, month = int(match.group(1)), int(match.group(2))
    if match.group(3):
        year = int(match.group(3))
        return _date(year + 2000 if year < 100 else year, month, day, text)
    return _nearest(day, month, today, lean, text)


def _date(year: int, month: int, day: int, text: str) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise InputProblem(text) from None


def _nearest(day: int, month: int, today: date, lean: Lean, text: str) -> date:
    candidates = []
    for year in (today.year - 1, today.year, today.year + 1):
        try:
            candidates.append(date(year, month, day))
        except ValueError:  # 29/02 in a year without it
            continue
    if lean is Lean.PAST:
        candidates = [d for d in candidates if d <= today]
        if candidates:
            return max(candidates)
    elif lean is Lean.FUTURE:
        candidates = [d for d in candidates if d >= today]
        if candidates:
            return min(candidates)
    elif candidates:
        return min(candidates, key=lambda d: abs((d - today).days))
    raise InputProblem(text)


def parse_clock(text: str) -> time:
    """A time of day: "08:00", "8h", "8h30", "8 giờ 30", "8 giờ sáng", "8 giờ tối", "8pm"."""
    folded = fold(text)
    part = next((w for w in (*MORNING, *EVENING, NIGHT, NOON) if folded.endswith(w)), None)
    core = folded.removesuffix(part).strip() if part else folded
    match = CLOCK.fullmatch(core)
    if not match or (part is None and core.isdigit()):  # a bare "8" is not yet a time
        raise InputProblem(text)
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    if (part in EVENING and hour < 12) or (part == NIGHT and 7 <= hour < 12):
        hour += 12
    elif part in (*MORNING, NIGHT) and hour == 12:
        hour = 0
    if hour > 23 or minute > 59:
        raise InputProblem(text)
    return time(hour, minute)


def parse_moment(text: str, today: date, lean: Lean = Lean.FUTURE) -> datetime:
    """A day and a time in either order, as a naive local datetime: "25/11 08:00",
    "08:00 25/11", "8h sáng mai", "mai 20h30"."""
    words = text.split()
    for cut in range(1, len(words)):
        for day_words, clock_words in ((words[:cut], words[cut:]), (words[cut:], words[:cut])):
            try:
                day = parse_day(" ".join(day_words), today, lean)
                return datetime.combine(day, parse_clock(" ".join(clock_words)))
            except InputProblem:
                continue
    raise InputProblem(text)


def parse_period(text: str, today: date) -> tuple[date, date]:
    """"17/10/2023 - 18/11/2023", "1/12 - 31/12", "1/12 đến 15/1" → two dates, the end not
    before the start (a year left out is the one that makes it so)."""
    parts = PERIOD_SPLIT.split(fold(text), maxsplit=1)
    if len(parts) != 2:
        raise InputProblem(text)
    start = parse_day(parts[0], today, Lean.NEAR)
    end = parse_day(parts[1], start, Lean.FUTURE)  # without a year: the next one after start
    if end < start:
        raise InputProblem(text)
    return start, end


def split_trailing_day(text: str, today: date, lean: Lean) -> tuple[str, date | None]:
    """"1tr8 hôm qua" → ("1tr8", yesterday); "1tr8 20/11" → ("1tr8", 20/11); the text and
    None when it does not end with a day."""
    words = text.split()
    for size in (2, 1):
        if len(words) > size:
            try:
                return " ".join(words[:-size]), parse_day(" ".join(words[-size:]), today, lean)
            except InputProblem:
                continue
    return text, None
