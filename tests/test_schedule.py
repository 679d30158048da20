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


def test_quiet_hours_move_reminders_to_seven():
    due = local(2023, 11, 30, 23, 0)
    times = reminder_times(due, parse_offsets("1d 2h 30m"), HANOI, QUIET,
                           local(2023, 11, 1, 0, 0))
    # 1d before (23:00 on the 29th) moves to 07:00 on the 30th, the due day's morning; 2h and
    # 30m before (21:00, 22:30) would move past the deadline itself, so they fall away.
    assert [t.astimezone(HANOI) for t in times] == [local(2023, 11, 30, 7, 0)]
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
