"""Reporting deadlines without Telegram or waiting: a week of reminders on a controlled clock,
a restart across a reminder, only those who still owe a report, once each."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from models.areas import by_code
from models.deadlines import (
    Clockwork,
    Deadline,
    Reminder,
    TooLateToSnooze,
    overview,
    plan,
    snooze,
    submit,
    take_due,
)
from models.schedule import SNOOZES, QuietHours
from models.users import AccessDenied, Role, actor_for, ensure_user, grant

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
CLOCK = Clockwork(HANOI, QuietHours.parse("21:00-07:00"), timedelta(hours=6))
DUE = datetime(2023, 11, 30, 8, 0, tzinfo=HANOI).astimezone(UTC)     # 01:00 UTC
START = datetime(2023, 11, 20, 3, 0, tzinfo=UTC)


def setup(db):
    """A deadline for the five hamlets of Tân Thành; village heads of Ấp 1 and Ấp 2."""
    db.call(grant, 51, Role.VILLAGE_HEAD, "28042-A1")
    db.call(grant, 52, Role.VILLAGE_HEAD, "28042-A2")

    def make(s):
        deadline = Deadline(title="Kết quả tháng cao điểm", area_id=by_code(s, "28042").id,
                            level="ấp", due_at=DUE, offsets="7d 3d 1d",
                            fields=[{"name": "Số hộ được hỗ trợ", "kind": "number"}])
        s.add(deadline)
        s.flush()
        return deadline.id, plan(s, deadline, CLOCK, START)
    return db.call(make)


def run_until(db, end, step=timedelta(hours=1), start=START):
    """Look for due reminders every `step` from start to end; who got what, when."""
    sent, now = [], start
    while now <= end:
        for due in db.call(take_due, now, CLOCK):
            sent += [(now, due.area.code, due.reminder.kind, [p.id for p in due.people])]
        now += step
    return sent


def actor(s, user_id):
    return actor_for(s, ensure_user(s, user_id)[0], frozenset())


def test_a_week_of_reminders_only_to_those_who_still_owe(areas_db):
    deadline_id, pending = setup(areas_db)
    assert pending == 5 * 5                    # 5 hamlets × (3 offsets, the morning, overdue)
    sent = run_until(areas_db, DUE - timedelta(days=2))
    assert {(s[1], s[2]) for s in sent} == {(f"28042-A{i}", "before") for i in range(1, 6)}
    first = [s for s in sent if s[1] == "28042-A1"]
    assert first[0][0] == datetime(2023, 11, 23, 1, 0, tzinfo=UTC) and first[0][3] == [51]
    areas_db.call(lambda s: submit(s, actor(s, 51), deadline_id, by_code(s, "28042-A1").id,
                                   {"Số hộ được hỗ trợ": 12}, None, DUE - timedelta(days=1)))
    later = run_until(areas_db, DUE + timedelta(days=5), start=DUE - timedelta(days=2))
    assert not [s for s in later if s[1] == "28042-A1"]            # reported: no more
    a2 = [(s[0].astimezone(HANOI), s[2]) for s in later if s[1] == "28042-A2"]
    assert a2 == [(datetime(2023, 11, 29, 8, 0, tzinfo=HANOI), "before"),
                  (datetime(2023, 11, 30, 7, 0, tzinfo=HANOI), "before"),
                  (datetime(2023, 12, 2, 8, 0, tzinfo=HANOI), "overdue"),
                  (datetime(2023, 12, 4, 8, 0, tzinfo=HANOI), "overdue")]


def test_down_across_a_reminder_sends_it_once_late_or_skips_it_past_grace(areas_db):
    setup(areas_db)
    # Loa was down from the 22nd to 4 hours after the 7-day reminder (inside the 6 h grace)
    back = datetime(2023, 11, 23, 5, 0, tzinfo=UTC)
    first = areas_db.call(take_due, back, CLOCK)
    assert len(first) == 5 and all(d.reminder.kind == "before" for d in first)
    assert areas_db.call(take_due, back, CLOCK) == []                 # never twice
    # down again across the 3-day reminder, back a day later: skipped and logged
    assert areas_db.call(take_due, datetime(2023, 11, 28, 3, 0, tzinfo=UTC), CLOCK) == []
    statuses = areas_db.call(lambda s: sorted({r.status for r in s.exec(select(Reminder))
                                               if r.due_at < datetime(2023, 11, 28, tzinfo=UTC)}))
    assert statuses == ["sent", "skipped"]


def test_only_the_head_of_that_village_reports_and_snoozes(areas_db):
    deadline_id, _ = setup(areas_db)
    areas_db.call(grant, 53, Role.VILLAGE_HEAD, "28054-VK")          # another commune

    def attempt(s, who, code):
        return submit(s, actor(s, who), deadline_id, by_code(s, code).id, {}, None, START)
    for who, code in [(52, "28042-A1"), (53, "28042-A1"), (60, "28042-A1")]:
        with pytest.raises(AccessDenied):
            areas_db.call(attempt, who, code)
    report = areas_db.call(attempt, 52, "28042-A2")
    assert report.late is False
    late = areas_db.call(lambda s: submit(s, actor(s, 51), deadline_id,
                                          by_code(s, "28042-A1").id, {}, None,
                                          DUE + timedelta(hours=1)))
    assert late.late is True
    with pytest.raises(AccessDenied):                       # no corrections after the deadline
        areas_db.call(lambda s: submit(s, actor(s, 51), deadline_id, by_code(s, "28042-A1").id,
                                       {}, None, DUE + timedelta(hours=2)))
    when = areas_db.call(lambda s: snooze(s, actor(s, 52), deadline_id,
                                          by_code(s, "28042-A2").id,
                                          datetime(2023, 11, 25, 15, 0, tzinfo=UTC), CLOCK,
                                          SNOOZES[0]))
    assert when.astimezone(HANOI) == datetime(2023, 11, 27, 7, 0, tzinfo=HANOI)  # 22:00 → 07:00
    with pytest.raises(TooLateToSnooze):  # an hour's snooze half an hour before it is due
        areas_db.call(lambda s: snooze(s, actor(s, 52), deadline_id, by_code(s, "28042-A2").id,
                                       DUE - timedelta(minutes=30), CLOCK, SNOOZES[2]))


def test_report_totals_roll_up_a_three_level_tree(areas_db):
    areas_db.call(grant, 71, Role.VILLAGE_HEAD, "28042-A1")
    areas_db.call(grant, 72, Role.VILLAGE_HEAD, "28054-VK")
    areas_db.call(grant, 73, Role.VILLAGE_HEAD, "28054-AH1")

    def run(s):
        deadline = Deadline(title="Kết quả", area_id=by_code(s, "804").id, level="ấp",
                            due_at=DUE, offsets="1d",
                            fields=[{"name": "hộ", "kind": "number"},
                                    {"name": "tiền", "kind": "money"},
                                    {"name": "ghi chú", "kind": "text"}])
        s.add(deadline)
        s.flush()
        for who, code, households, money in [(71, "28042-A1", 3, 1_000_000),
                                             (72, "28054-VK", 5, 2_000_000),
                                             (73, "28054-AH1", 7, 4_000_000)]:
            submit(s, actor(s, who), deadline.id, by_code(s, code).id,
                   {"hộ": households, "tiền": money, "ghi chú": "x"}, None, START)
        view = overview(s, deadline)
        return ({a.code: v for a, v in view.totals}, len(view.areas), len(view.missing))
    totals, owed, missing = areas_db.call(run)
    assert totals["804"] == {"hộ": 15, "tiền": 7_000_000}               # district
    assert totals["28054"] == {"hộ": 12, "tiền": 6_000_000}             # Bình An commune
    assert totals["28042"] == {"hộ": 3, "tiền": 1_000_000}              # Tân Thành commune
    assert totals["28054-VK"] == {"hộ": 5, "tiền": 2_000_000}           # a hamlet
    assert (owed, missing) == (13, 10)                                  # every ấp of the district


@pytest.mark.postgres
def test_two_processes_claim_each_reminder_once(areas_db, db_url):
    if not db_url.startswith("postgresql"):
        pytest.skip("concurrent claims are exercised on PostgreSQL")
    from concurrent.futures import ThreadPoolExecutor
    setup(areas_db)
    now = DUE + timedelta(hours=1)
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: areas_db.call(take_due, now, CLOCK), range(4)))
    claimed = [d.reminder.id for batch in results for d in batch]
    assert len(claimed) == len(set(claimed)) == 5                       # the due-day morning


def test_edge_cases_the_review_found(areas_db):
    deadline_id, _ = setup(areas_db)
    areas_db.call(grant, 54, Role.VILLAGE_HEAD, "28054-VK")          # Bình An: owes nothing here

    def own_area(s):
        return submit(s, actor(s, 54), deadline_id, by_code(s, "28054-VK").id, {}, None, START)
    with pytest.raises(AccessDenied):
        areas_db.call(own_area)

    def snooze_twice(s):
        area = by_code(s, "28042-A2").id
        for _ in range(2):
            snooze(s, actor(s, 52), deadline_id, area, START, CLOCK, SNOOZES[0])
        return len([r for r in s.exec(select(Reminder)) if r.kind == "snooze"
                    and r.status == "pending"])
    assert areas_db.call(snooze_twice) == 1

    def replan_after_due(s):
        deadline = s.get(Deadline, deadline_id)
        plan(s, deadline, CLOCK, DUE + timedelta(days=1))
        return sorted({(r.kind, r.status) for r in s.exec(select(Reminder))
                       if r.status == "pending"})
    assert areas_db.call(replan_after_due) == [("overdue", "pending"), ("snooze", "pending")]
