"""Reporting deadlines: one report owed per area of a chosen level, and the reminders that go
only to those who still owe one.

Reminder times are stored as rows; a due reminder is claimed with a conditional UPDATE and its
messages enqueued in the same transaction, so however many processes look, and however late
they look (a restart, a crash), each reminder goes out once, or is skipped and logged when it
is later than the grace period.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import JSON, Column, Index, UniqueConstraint, update
from sqlmodel import Field, Session, SQLModel, col, func, select

from models.areas import Area, get_area, is_within
from models.base import telegram_id_column, utcnow
from models.schedule import (
    QuietHours,
    next_overdue,
    parse_offsets,
    reminder_times,
    snoozed,
)
from models.users import AccessDenied, Actor, Role, User

log = logging.getLogger(__name__)

FIELD_KINDS = ("number", "money", "text")


class DeadlineStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class Deadline(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=200)
    created_by: int | None = Field(default=None, sa_column=telegram_id_column(
        foreign_key="user.id", ondelete="SET NULL"))
    area_id: int = Field(foreign_key="area.id", index=True, ondelete="RESTRICT")
    # the level(s) of the areas that each owe a report: "ấp", or several joined by LEVEL_SEP
    # ("ấp|khu phố"); a deadline set before several levels were possible holds one
    level: str = Field(max_length=50)
    role: str = Field(default=Role.VILLAGE_HEAD, max_length=20)  # who reports for an area
    campaign_id: int | None = Field(default=None, foreign_key="campaign.id",
                                    ondelete="SET NULL")
    due_at: datetime
    offsets: str = Field(max_length=100)
    fields: list[dict[str, str]] = Field(default_factory=list, sa_column=Column(JSON))
    wants_file: bool = False
    status: str = Field(default=DeadlineStatus.OPEN, max_length=16)
    summary_sent_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)


class Report(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("deadline_id", "area_id",
                                       name="uq_report_deadline_id_area_id"),)

    id: int | None = Field(default=None, primary_key=True)
    deadline_id: int = Field(foreign_key="deadline.id", ondelete="CASCADE")
    area_id: int = Field(foreign_key="area.id", ondelete="RESTRICT")
    values: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    file_id: str | None = Field(default=None, max_length=200)
    reported_by: int | None = Field(default=None, sa_column=telegram_id_column(
        foreign_key="user.id", ondelete="SET NULL"))
    reported_at: datetime = Field(default_factory=utcnow)
    late: bool = False


class ReminderStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    SKIPPED = "skipped"
    CANCELLED = "cancelled"


class Reminder(SQLModel, table=True):
    __table_args__ = (Index("ix_reminder_due", "status", "due_at"),)

    id: int | None = Field(default=None, primary_key=True)
    deadline_id: int = Field(foreign_key="deadline.id", index=True, ondelete="CASCADE")
    area_id: int = Field(foreign_key="area.id", ondelete="RESTRICT")
    due_at: datetime
    kind: str = Field(max_length=16)  # "before", "overdue", "snooze"
    status: str = Field(default=ReminderStatus.PENDING, max_length=16)
    handled_at: datetime | None = None


LEVEL_SEP = "|"
LEVELS_MAX = 50  # the column's length: the levels chosen, joined, must fit


def split_levels(stored: str) -> list[str]:
    """The levels a deadline is owed at, from its column."""
    return [level for level in stored.split(LEVEL_SEP) if level]


def join_levels(levels: list[str]) -> str:
    joined = LEVEL_SEP.join(sorted(set(levels)))
    if not levels or len(joined) > LEVELS_MAX:
        raise ValueError("levels do not fit")
    return joined


@dataclass(frozen=True)
class Clockwork:
    """What reminder times depend on besides the deadline itself."""

    tz: ZoneInfo
    quiet: QuietHours | None
    grace: timedelta


def reporting_areas(session: Session, deadline: Deadline) -> list[Area]:
    """The areas that each owe one report: those of the chosen level in the subtree."""
    root = get_area(session, deadline.area_id)
    return list(session.exec(select(Area).where(
        col(Area.path).startswith(root.path, autoescape=True),
        col(Area.level).in_(split_levels(deadline.level))).order_by(Area.search_name)))


def planned(session: Session, deadline_id: int) -> list[datetime]:
    """When the reminders before the deadline will go out, as they stand in the database."""
    return list(session.exec(select(Reminder.due_at).distinct().where(
        Reminder.deadline_id == deadline_id, Reminder.kind == "before",
        Reminder.status == ReminderStatus.PENDING).order_by(Reminder.due_at)))


def plan(session: Session, deadline: Deadline, clock: Clockwork, now: datetime) -> int:
    """(Re)write the pending reminders of a deadline from its time and offsets; reminders
    already sent stay as they are. Returns how many are pending."""
    closing = deadline.status != DeadlineStatus.OPEN
    session.execute(update(Reminder).where(  # a person's own "remind me tomorrow" stays
        Reminder.deadline_id == deadline.id, Reminder.status == ReminderStatus.PENDING,
        (Reminder.kind != "snooze") | closing)
        .values(status=ReminderStatus.CANCELLED, handled_at=now))
    if closing:
        return 0
    times = reminder_times(deadline.due_at, parse_offsets(deadline.offsets), clock.tz,
                           clock.quiet, now)
    times.append(next_overdue(max(deadline.due_at, now), clock.tz, clock.quiet))
    reported = {r.area_id for r in session.exec(select(Report).where(
        Report.deadline_id == deadline.id))}
    count = 0
    for area in reporting_areas(session, deadline):
        if area.id in reported:
            continue
        for when in times:
            kind = "overdue" if when > deadline.due_at else "before"
            session.add(Reminder(deadline_id=deadline.id, area_id=area.id, due_at=when,
                                 kind=kind))
            count += 1
    session.flush()
    return count


def reporters(session: Session, deadline: Deadline, area_id: int) -> list[User]:
    """Who reports for an area: the village heads (or officers) bound to it, reachable."""
    return list(session.exec(select(User).where(
        User.role == deadline.role, User.scope_area_id == area_id,
        col(User.unreachable_at).is_(None))))


@dataclass(frozen=True)
class DueReminder:
    reminder: Reminder
    deadline: Deadline
    area: Area
    people: list[User]


def take_due(session: Session, now: datetime, clock: Clockwork,
             limit: int = 200) -> list[DueReminder]:
    """Claim the reminders whose time has come (once, whichever process asks), skipping
    those already answered and those later than the grace period. The caller enqueues the
    messages in the same transaction."""
    due = []
    for reminder in session.exec(select(Reminder).where(
            Reminder.status == ReminderStatus.PENDING, col(Reminder.due_at) <= now)
            .order_by(Reminder.due_at).limit(limit)).all():
        deadline = session.get(Deadline, reminder.deadline_id)
        answered = deadline.status != DeadlineStatus.OPEN or session.exec(
            select(Report.id).where(Report.deadline_id == deadline.id,
                                    Report.area_id == reminder.area_id)).first() is not None
        late = now - reminder.due_at > clock.grace
        status = ReminderStatus.SKIPPED if answered or late else ReminderStatus.SENT
        won = session.execute(update(Reminder).where(
            col(Reminder.id) == reminder.id, Reminder.status == ReminderStatus.PENDING)
            .values(status=status, handled_at=now)).rowcount
        if won != 1:
            continue
        if late and not answered:
            log.warning("reminder %s of deadline %s skipped: %s late, past the grace period",
                        reminder.id, deadline.id, now - reminder.due_at)
        if answered:
            continue
        if reminder.kind == "overdue":  # the next one, two days on, until answered
            session.add(Reminder(deadline_id=deadline.id, area_id=reminder.area_id,
                                 due_at=next_overdue(max(reminder.due_at, now), clock.tz,
                                                     clock.quiet), kind="overdue"))
        if not late:
            due.append(DueReminder(reminder, deadline, get_area(session, reminder.area_id),
                                   reporters(session, deadline, reminder.area_id)))
    session.flush()
    return due


class TooLateToSnooze(Exception):
    """The snooze would end after the deadline: report now instead."""


def snooze(session: Session, actor: Actor, deadline_id: int, area_id: int, now: datetime,
           clock: Clockwork, span: timedelta) -> datetime:
    """"Remind me tomorrow" (or in a few hours), for the reporter of that area; never past
    the deadline while it is still ahead."""
    deadline = session.get(Deadline, deadline_id)
    area = get_area(session, area_id)
    may_report(session, actor, deadline, area)
    when = snoozed(now, clock.tz, clock.quiet, span)
    if now < deadline.due_at <= when:
        raise TooLateToSnooze(deadline_id)
    session.execute(update(Reminder).where(  # one snooze an area: the latest press counts
        Reminder.deadline_id == deadline_id, Reminder.area_id == area_id,
        Reminder.kind == "snooze", Reminder.status == ReminderStatus.PENDING)
        .values(status=ReminderStatus.CANCELLED, handled_at=now))
    session.add(Reminder(deadline_id=deadline_id, area_id=area_id, due_at=when, kind="snooze"))
    session.flush()
    return when


def may_report(session: Session, actor: Actor, deadline: Deadline | None,
               area: Area | None) -> None:
    """Only the village head (or officer) bound to that very area reports for it, and only
    when the area is one of those that owe this deadline a report."""
    if deadline is None or area is None or deadline.status != DeadlineStatus.OPEN:
        raise AccessDenied("no open deadline")
    if actor.role.value != deadline.role or actor.scope is None or actor.scope.id != area.id:
        raise AccessDenied("not the reporter of this area")
    if area.level not in split_levels(deadline.level) or not is_within(area, get_area(session,
                                                                    deadline.area_id)):
        raise AccessDenied("this area owes this deadline no report")


def submit(session: Session, actor: Actor, deadline_id: int, area_id: int,
           values: dict[str, Any], file_id: str | None, now: datetime) -> Report:
    """Save (or correct, until the deadline) the area's report; late ones are marked late.
    The area's pending reminders stop."""
    deadline = session.get(Deadline, deadline_id)
    area = get_area(session, area_id)
    may_report(session, actor, deadline, area)
    report = session.exec(select(Report).where(Report.deadline_id == deadline_id,
                                               Report.area_id == area_id)).first()
    if report is not None and now > deadline.due_at:
        raise AccessDenied("a report can be corrected only until the deadline")
    report = report or Report(deadline_id=deadline_id, area_id=area_id)
    report.values, report.file_id = dict(values), file_id
    report.reported_by, report.reported_at = actor.id, now
    report.late = now > deadline.due_at
    session.add(report)
    session.execute(update(Reminder).where(Reminder.deadline_id == deadline_id,
                                           Reminder.area_id == area_id,
                                           Reminder.status == ReminderStatus.PENDING)
                    .values(status=ReminderStatus.CANCELLED, handled_at=now))
    session.flush()
    return report


# ---- officers' side -------------------------------------------------------------------------

@dataclass
class DeadlineDraft:
    title: str
    due_at: datetime
    area_id: int
    level: str
    role: str
    fields: list[dict[str, str]]
    offsets: str
    campaign_id: int | None = None
    wants_file: bool = False


def _may_run(actor: Actor, area: Area | None) -> None:
    if not actor.at_least(Role.OFFICER) or not actor.covers(area):
        raise AccessDenied("deadlines are set by officers inside their scope")


def create_deadline(session: Session, actor: Actor, draft: DeadlineDraft, clock: Clockwork,
                    now: datetime) -> Deadline:
    _may_run(actor, get_area(session, draft.area_id))
    parse_offsets(draft.offsets)
    if draft.due_at <= now:
        raise ValueError("the due time has passed")
    deadline = Deadline(title=draft.title, created_by=actor.id, area_id=draft.area_id,
                        level=join_levels(split_levels(draft.level)), role=Role(draft.role).value,
                        campaign_id=draft.campaign_id, due_at=draft.due_at,
                        offsets=draft.offsets, fields=draft.fields, wants_file=draft.wants_file)
    session.add(deadline)
    session.flush()
    plan(session, deadline, clock, now)
    return deadline


def managed_deadline(session: Session, actor: Actor, deadline_id: int,
                     open_only: bool = False) -> Deadline:
    """The deadline, locked while it changes (two officers editing at once wait in turn)."""
    deadline = session.get(Deadline, deadline_id, with_for_update=True)
    if deadline is None or (open_only and deadline.status != DeadlineStatus.OPEN):
        raise AccessDenied("no such open deadline")
    _may_run(actor, get_area(session, deadline.area_id))
    return deadline


def change_deadline(session: Session, actor: Actor, deadline_id: int, clock: Clockwork,
                    now: datetime, **changes: Any) -> Deadline:
    """New time, offsets or status; what has not been sent is planned again."""
    deadline = managed_deadline(session, actor, deadline_id, open_only=True)
    if set(changes) - {"due_at", "offsets", "status"}:
        raise ValueError(changes)
    if "offsets" in changes:
        parse_offsets(changes["offsets"])
    for key, value in changes.items():
        setattr(deadline, key, value)
    if "due_at" in changes:
        deadline.summary_sent_at = None
    session.add(deadline)
    session.flush()
    plan(session, deadline, clock, now)
    return deadline


def _run_by(actor: Actor, query):
    query = query.join(Area, col(Area.id) == Deadline.area_id).where(
        Deadline.status == DeadlineStatus.OPEN)
    if actor.role is not Role.ADMIN:
        if actor.scope is None or not actor.at_least(Role.OFFICER):
            return None
        query = query.where(col(Area.path).startswith(actor.scope.path, autoescape=True))
    return query


def deadlines_run_by(session: Session, actor: Actor, offset: int = 0,
                     limit: int | None = None) -> list[Deadline]:
    query = _run_by(actor, select(Deadline))
    if query is None:
        return []
    return list(session.exec(query.order_by(Deadline.due_at, Deadline.id).offset(offset)
                             .limit(limit)))


def count_run_by(session: Session, actor: Actor) -> int:
    query = _run_by(actor, select(func.count(col(Deadline.id))).select_from(Deadline))
    return 0 if query is None else session.exec(query).one()


def owing_ids(session: Session, deadline: Deadline) -> set[int]:
    """The ids of the areas that owe this deadline a report."""
    root = get_area(session, deadline.area_id)
    return set(session.exec(select(Area.id).where(
        col(Area.path).startswith(root.path, autoescape=True),
        col(Area.level).in_(split_levels(deadline.level)))))


@dataclass
class Overview:
    deadline: Deadline
    areas: list[Area]
    reports: dict[int, Report]
    totals: list[tuple[Area, dict[str, int]]]  # the deadline's area and those below, rolled up

    @property
    def missing(self) -> list[Area]:
        return [a for a in self.areas if a.id not in self.reports]

    @property
    def late(self) -> int:
        return sum(1 for r in self.reports.values() if r.late)


def overview(session: Session, deadline: Deadline, depth: int = 2) -> Overview:
    """Who reported, who not, and every numeric field summed up the area tree."""
    areas = reporting_areas(session, deadline)
    reports = {r.area_id: r for r in session.exec(select(Report).where(
        Report.deadline_id == deadline.id))}
    root = get_area(session, deadline.area_id)
    tree = {a.id: a for a in session.exec(select(Area).where(
        col(Area.path).startswith(root.path, autoescape=True)))}
    numeric = [f["name"] for f in deadline.fields if f["kind"] in ("number", "money")]
    sums: dict[int, dict[str, int]] = {}
    for report in reports.values():
        ids = [int(i) for i in tree[report.area_id].path.strip("/").split("/")]
        for ancestor in ids[ids.index(root.id):]:
            line = sums.setdefault(ancestor, dict.fromkeys(numeric, 0))
            for name in numeric:
                line[name] += int(report.values.get(name) or 0)
    shown = sorted(((tree[i], s) for i, s in sums.items()
                    if tree[i].depth - root.depth <= depth), key=lambda p: p[0].path)
    return Overview(deadline, areas, reports, shown)


def due_to_report(session: Session, actor: Actor) -> list[tuple[Deadline, Area]]:
    """The open deadlines this person reports for: their own area owes a report."""
    if actor.scope is None:
        return []
    within = [int(i) for i in actor.scope.path.strip("/").split("/")]  # the area and above
    return [(deadline, actor.scope) for deadline in session.exec(select(Deadline).where(
        Deadline.status == DeadlineStatus.OPEN, Deadline.role == actor.role.value,
        col(Deadline.area_id).in_(within)).order_by(Deadline.id)).all()
        if actor.scope.level in split_levels(deadline.level)]


def without_reporter(session: Session, deadline: Deadline, areas: list[Area]) -> list[Area]:
    """Those of the areas nobody can report for: no village head (or officer, as the deadline
    asks) bound to them has started Loa, or Telegram said they cannot be reached."""
    ids = [a.id for a in areas]
    served = set(session.exec(select(User.scope_area_id).distinct().where(
        User.role == deadline.role, col(User.scope_area_id).in_(ids),
        col(User.unreachable_at).is_(None)))) if ids else set()
    return [a for a in areas if a.id not in served]
