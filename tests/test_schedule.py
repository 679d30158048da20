"""Reminder times without waiting: offsets, the due day's morning, quiet hours, timezones."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from models.schedule import (
    OffsetProblem,
    QuietHours,
    format_offsets,
    next_overdue,
    parse_offsets,
    reminder_times,
    snooze_span,
    snoozed,
)

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
QUIET = QuietHours.parse("21:00-07:00")


def local(*args):
    return datetime(*args, tzinfo=HANOI)


@pytest.mark.parametrize(("text", "expected"), [
    ("7d 3d 1d", "7d 3d 1d"),
    ("1d 7d 3d 3d", "7d 3d 1d"),
    ("7d 3d 1d 2h 30m", "7d 3d 1d 2h 30m"),
    ("7 ngày, 2 giờ", "7d 2h"),
    ("90m", "90m"),
])
def test_offsets_as_people_write_them(text, expected):
    assert format_offsets(parse_offsets(text)) == expected


@pytest.mark.parametrize("text", ["", "soon", "7x", "0d", "100d", "7d and 3d"])
def test_offsets_that_cannot_be_read(text):
    with pytest.raises(OffsetProblem):
        parse_offsets(text)


def test_a_deadline_at_eight_hanoi_is_one_utc():
    due = local(2023, 11, 30, 8, 0)
    assert due.astimezone(UTC) == datetime(2023, 11, 30, 1, 0, tzinfo=UTC)
    times = reminder_times(due, parse_offsets("7d 3d 1d"), HANOI, QUIET,
                           local(2023, 11, 1, 0, 0))
    assert [t.astimezone(HANOI) for t in times] == [
        local(2023, 11, 23, 8, 0), local(2023, 11, 27, 8, 0), local(2023, 11, 29, 8, 0),
        local(2023, 11, 30, 7, 0)]                                  # and the due day's morning


def test_reminders_in_quiet_hours_come_the_evening_before_them():
    """Due 22:00 with "2h 30m": the 21:30 one is in the quiet hours and comes at 20:59; due
    02:30: none is lost, each comes the evening before."""
    early = local(2023, 11, 1, 0, 0)
    due = local(2023, 11, 30, 22, 0)
    times = reminder_times(due, parse_offsets("1d 2h 30m"), HANOI, QUIET, early)
    assert [t.astimezone(HANOI) for t in times] == [
        local(2023, 11, 29, 20, 59), local(2023, 11, 30, 7, 0), local(2023, 11, 30, 20, 0),
        local(2023, 11, 30, 20, 59)]
    night = local(2023, 12, 1, 2, 30)
    times = reminder_times(night, parse_offsets("7d 3d 1d"), HANOI, QUIET, early)
    assert [t.astimezone(HANOI) for t in times] == [
        local(2023, 11, 23, 20, 59), local(2023, 11, 27, 20, 59), local(2023, 11, 29, 20, 59)]
    assert QUIET.before(local(2023, 11, 30, 3, 15), HANOI) == local(2023, 11, 29, 20, 59)
    assert QUIET.before(local(2023, 11, 30, 12, 0), HANOI) == local(2023, 11, 30, 12, 0)
    assert QUIET.shift(local(2023, 11, 30, 3, 15), HANOI) == local(2023, 11, 30, 7, 0)
    assert QUIET.shift(local(2023, 11, 30, 12, 0), HANOI) == local(2023, 11, 30, 12, 0)
    assert QuietHours.parse("") is None


def test_past_reminders_are_left_out_and_overdue_and_snooze_respect_quiet_hours():
    due = local(2023, 11, 30, 8, 0)
    now = local(2023, 11, 28, 9, 0)
    times = reminder_times(due, parse_offsets("7d 3d 1d"), HANOI, QUIET, now)
    assert [t.astimezone(HANOI) for t in times] == [local(2023, 11, 29, 8, 0),
                                                     local(2023, 11, 30, 7, 0)]
    assert next_overdue(local(2023, 11, 30, 22, 0), HANOI, QUIET) == local(2023, 12, 3, 7, 0)
    assert next_overdue(due, HANOI, None) == due + timedelta(days=2)
    assert snoozed(local(2023, 11, 28, 21, 30), HANOI, QUIET) == local(2023, 11, 30, 7, 0)
    assert snoozed(local(2023, 11, 28, 9, 0), HANOI, QUIET) == local(2023, 11, 29, 9, 0)


def test_a_snooze_is_offered_only_when_it_ends_before_the_deadline():
    due = local(2023, 11, 30, 17, 0)
    for now, span in [(local(2023, 11, 28, 9, 0), timedelta(days=1)),
                      (local(2023, 11, 30, 7, 0), timedelta(hours=3)),
                      (local(2023, 11, 30, 15, 30), timedelta(hours=1)),
                      (local(2023, 11, 30, 16, 30), None),
                      (local(2023, 12, 2, 7, 0), timedelta(days=1))]:  # overdue: any
        assert snooze_span(now, due, HANOI, QUIET) == span, now
