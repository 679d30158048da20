"""Reconciling a campaign with the bank statement: credits matched to pledges by their code.

VietQR puts the pledge code (TT26-0042) into each transfer's note; banks then change the note
(case, dashes, spaces, diacritics, text around it). A plan says what would change before
anything does; applying it records each bank transaction once (by the bank's reference, or a
hash of day, amount and note), so the same or an overlapping statement changes nothing again.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Column, UniqueConstraint
from sqlmodel import Field, Session, SQLModel, col, select

from models.areas import fold
from models.base import telegram_id_column
from models.campaigns import Campaign, managed_campaign
from models.pledges import (
    Pledge,
    PledgeKind,
    PledgerKind,
    PledgeStatus,
    _audit,
    mark_received,
    next_reference,
)
from models.statements import Credit, Statement
from models.users import Actor, Role, User

CHUNK = 900  # values in one IN (...): SQLite allows 999 parameters


class Outcome(StrEnum):
    MATCHED = "matched"  # the pledge's code and its amount: marked received
    OTHER_AMOUNT = "other_amount"  # the code, another amount: left for the desk unless accepted
    FOREIGN = "foreign"  # a code of another campaign, unknown, or of a cancelled/rejected pledge
    NO_CODE = "no_code"  # no code: a gift from a benefactor through the bank, or assigned by hand
    ALREADY = "already"  # imported before, or the pledge was already received
    ACCEPTED = "accepted"  # another amount, accepted as the statement says
    GIFT = "gift"
    ASSIGNED = "assigned"


PLANNED = (Outcome.MATCHED, Outcome.OTHER_AMOUNT, Outcome.FOREIGN, Outcome.NO_CODE,
           Outcome.ALREADY)


class BankTransaction(SQLModel, table=True):
    """One credit of the fund's account, recorded once per campaign when it changed something."""

    __table_args__ = (UniqueConstraint("campaign_id", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", ondelete="RESTRICT")
    key: str = Field(max_length=64)
    amount: int = Field(sa_column=Column(BigInteger, nullable=False))
    on: date
    description: str = Field(default="", max_length=500)
    pledge_id: int | None = Field(default=None, foreign_key="pledge.id", ondelete="SET NULL")
    outcome: str = Field(max_length=16)
    imported_by: int | None = Field(default=None, sa_column=telegram_id_column(
        foreign_key="user.id", ondelete="SET NULL"))
    at: datetime


# ---- finding the code in a note ----------------------------------------------------------

def code_pattern(prefixes: Iterable[str]) -> re.Pattern[str]:
    """The pledge code of any of these campaigns in a folded, upper-cased note. After a
    separator ("TT26 42", "TT26-0042", "TT26.0042") any number of digits; glued to the prefix
    ("TT260042") the four digits Loa printed. Leading zeros do not matter: TT26-42 is 0042."""
    alternatives = "|".join(re.escape(p) for p in sorted(set(prefixes), key=len, reverse=True))
    return re.compile(rf"(?<![A-Z0-9])({alternatives})(?:[\s\-_.:/#–—]+(\d{{1,7}})|(\d{{4,7}}))"
                      r"(?!\d)")


def find_codes(pattern: re.Pattern[str], note: str) -> list[str]:
    """Every pledge code in the note, "TT26-0042", once each. A note the bank cut inside the
    code ("… TT26-004" at its very end, a leading zero and fewer than four digits) has none:
    TT26-004 may be 0042 cut short, and guessing would receive the wrong pledge."""
    text = fold(note).upper()
    found: list[str] = []
    for m in pattern.finditer(text):
        digits = m[2] or m[3]
        cut = digits.startswith("0") and len(digits) < 4 and not text[m.end():].strip()
        code = f"{m[1]}-{int(digits):04d}"
        if int(digits) and not cut and code not in found:
            found.append(code)
    return found


def find_code(pattern: re.Pattern[str], note: str, prefer: str) -> str | None:
    """The code in the note, "TT26-0042"; one of the `prefer`red campaign first."""
    found = find_codes(pattern, note)
    return next((c for c in found if c.startswith(prefer + "-")), found[0] if found else None)


# ---- the plan ----------------------------------------------------------------------------

@dataclass
class Line:
    credit: Credit
    outcome: Outcome
    code: str | None = None
    pledge_id: int | None = None
    pledge_amount: int | None = None
    note: str = ""  # why: "cancelled", "rejected", "other_campaign", "unknown", "twice"...


@dataclass
class Plan:
    campaign: Campaign
    lines: dict[Outcome, list[Line]] = field(default_factory=lambda: {o: [] for o in PLANNED})
    debits: int = 0

    def count(self, outcome: Outcome) -> int:
        return len(self.lines.get(outcome, []))

    def total(self, outcome: Outcome) -> int:
        return sum(line.credit.amount for line in self.lines.get(outcome, []))


def _chunks(values: list, size: int = CHUNK) -> Iterable[list]:
    for i in range(0, len(values), size):
        yield values[i:i + size]


def recorded_keys(session: Session, campaign_id: int, keys: list[str]) -> set[str]:
    found: set[str] = set()
    for chunk in _chunks(keys):
        found.update(session.exec(select(BankTransaction.key).where(
            BankTransaction.campaign_id == campaign_id, col(BankTransaction.key).in_(chunk))))
    return found


def _same(credit: Credit) -> tuple[date, int, str]:
    return credit.on, credit.amount, fold(credit.description[:500])


def recorded_credits(session: Session, campaign_id: int, credits: list[Credit],
                     done: set[str]) -> Counter:
    """The transactions recorded for the campaign over the statement's days, by day, amount
    and note, less those this statement holds by key. The same account exported another way
    (a .csv without the reference column after an .xlsx with it) gives other keys: a credit
    of a gift recorded before must not become a second gift."""
    seen: Counter = Counter()
    if not credits:
        return seen
    days = [c.on for c in credits]
    for on, amount, description in session.exec(
            select(BankTransaction.on, BankTransaction.amount, BankTransaction.description)
            .where(BankTransaction.campaign_id == campaign_id,
                   col(BankTransaction.on).between(min(days), max(days)))):
        seen[(on, amount, fold(description))] += 1
    for credit in credits:
        if credit.key in done:
            seen[_same(credit)] -= 1
    return seen


def make_plan(session: Session, actor: Actor, campaign_id: int, statement: Statement) -> Plan:
    """What applying the statement would do, changing nothing."""
    campaign = managed_campaign(session, actor, campaign_id)
    plan = Plan(campaign, debits=statement.debits)
    pattern = code_pattern(session.exec(select(Campaign.ref_prefix)))
    found = [find_codes(pattern, c.description) for c in statement.credits]
    ours = campaign.ref_prefix + "-"
    codes = [next((c for c in f if c.startswith(ours)), f[0] if f else None) for f in found]
    done = recorded_keys(session, campaign.id, [c.key for c in statement.credits])
    seen = recorded_credits(session, campaign.id, statement.credits, done)
    pledges = {}
    for chunk in _chunks(sorted({c for c in codes if c})):
        for row in session.exec(select(Pledge.id, Pledge.reference, Pledge.campaign_id,
                                       Pledge.status, Pledge.amount)
                                .where(col(Pledge.reference).in_(chunk))):
            pledges[row[1]] = row
    claimed: set[int] = set()
    for credit, code, every in zip(statement.credits, codes, found, strict=True):
        line = Line(credit, Outcome.NO_CODE, code)
        row = pledges.get(code)
        if credit.key in done:
            line.outcome = Outcome.ALREADY
        elif seen[_same(credit)] > 0:  # recorded from another export of the account
            seen[_same(credit)] -= 1
            line.outcome, line.note = Outcome.ALREADY, "recorded"
        elif code is None:
            pass
        elif sum(c.startswith(ours) for c in every) > 1:  # one transfer for several pledges
            line.outcome, line.note, line.code = Outcome.FOREIGN, "several", ", ".join(every)
        elif row is None or row[2] != campaign.id:
            line.outcome, line.note = Outcome.FOREIGN, "unknown" if row is None else "other"
        else:
            line.pledge_id, line.pledge_amount = row[0], row[4]
            if row[3] in (PledgeStatus.CANCELLED, PledgeStatus.REJECTED):
                line.outcome, line.note = Outcome.FOREIGN, row[3]
            elif row[3] == PledgeStatus.RECEIVED:
                line.outcome, line.note = Outcome.ALREADY, "received"
            elif row[0] in claimed:  # paid twice: the second transfer is not that pledge
                line.outcome, line.note, line.pledge_id = Outcome.NO_CODE, "twice", None
            else:
                claimed.add(row[0])
                line.outcome = Outcome.MATCHED if credit.amount == row[4] else \
                    Outcome.OTHER_AMOUNT
        plan.lines[line.outcome].append(line)
    return plan


# ---- applying it -------------------------------------------------------------------------

Thank = Callable[[Session, Pledge, Campaign], None]


@dataclass
class Applied:
    received: int = 0  # pledges marked received
    gifts: int = 0
    amount: int = 0  # money recorded by this import


def _record(session: Session, actor: Actor, campaign: Campaign, credit: Credit,
            outcome: Outcome, pledge_id: int | None, now: datetime) -> None:
    session.add(BankTransaction(campaign_id=campaign.id, key=credit.key, amount=credit.amount,
                                on=credit.on, description=credit.description[:500],
                                pledge_id=pledge_id, outcome=outcome, imported_by=actor.id,
                                at=now))


def _receive(session: Session, actor: Actor, campaign: Campaign, credit: Credit,
             pledge_id: int, outcome: Outcome, now: datetime, thank: Thank) -> None:
    pledge, changed = mark_received(session, actor, pledge_id, credit.amount, credit.on, now)
    if changed:
        thank(session, pledge, campaign)
    _record(session, actor, campaign, credit, outcome, pledge_id, now)


def record_gift(session: Session, actor: Actor, campaign: Campaign, credit: Credit,
                now: datetime) -> Pledge:
    """A credit without a code, counted as received money from a benefactor through the bank:
    a pledge with no person behind it and no name (shown as such, in the reader's language)."""
    token = "bank:" + hashlib.sha256(f"{campaign.id}:{credit.key}".encode()).hexdigest()[:35]
    pledge = Pledge(reference=next_reference(session, campaign), campaign_id=campaign.id,
                    area_id=campaign.area_id, pledger_kind=PledgerKind.INDIVIDUAL,
                    display_name="", kind=PledgeKind.MONEY, amount=credit.amount, public=False,
                    status=PledgeStatus.RECEIVED, received_amount=credit.amount,
                    received_on=credit.on, token=token, created_at=now, updated_at=now)
    session.add(pledge)
    session.flush()
    _audit(session, pledge, actor.id, "created", None, now)
    _record(session, actor, campaign, credit, Outcome.GIFT, pledge.id, now)
    return pledge


def is_bank_gift(pledge: Pledge) -> bool:
    return pledge.user_id is None and pledge.token.startswith("bank:")


def apply_plan(session: Session, actor: Actor, campaign_id: int, statement: Statement,
               now: datetime, thank: Thank, accept_amounts: bool = False,
               gifts: bool = False) -> tuple[Plan, Applied]:
    """Apply in the caller's one transaction: matched pledges received (and their pledgers
    thanked), other amounts accepted and credits without a code made gifts when asked.
    The plan is made again here, so a second apply finds everything done."""
    plan = make_plan(session, actor, campaign_id, statement)
    campaign, applied = plan.campaign, Applied()
    todo = [(line, Outcome.MATCHED) for line in plan.lines[Outcome.MATCHED]]
    if accept_amounts:
        todo += [(line, Outcome.ACCEPTED) for line in plan.lines[Outcome.OTHER_AMOUNT]]
    for line, outcome in todo:
        _receive(session, actor, campaign, line.credit, line.pledge_id, outcome, now, thank)
        applied.received += 1
        applied.amount += line.credit.amount
    if gifts:
        for line in plan.lines[Outcome.NO_CODE]:
            record_gift(session, actor, campaign, line.credit, now)
            applied.gifts += 1
            applied.amount += line.credit.amount
    session.flush()
    return plan, applied


class NotAssignable(Exception):
    """The typed code is not a registered pledge of this campaign (the reason in args)."""


def assign(session: Session, actor: Actor, campaign_id: int, credit: Credit, typed: str,
           now: datetime, thank: Thank) -> Pledge:
    """A credit the officer knows belongs to a pledge (code typed by hand): received with the
    statement's amount and day, recorded like the others."""
    campaign = managed_campaign(session, actor, campaign_id)
    code = find_code(code_pattern([campaign.ref_prefix]), typed, campaign.ref_prefix)
    pledge = session.exec(select(Pledge).where(Pledge.reference == code)).first() \
        if code else None
    if pledge is None or pledge.campaign_id != campaign.id:
        raise NotAssignable("unknown")
    if pledge.status != PledgeStatus.REGISTERED:
        raise NotAssignable(pledge.status)
    if recorded_keys(session, campaign.id, [credit.key]):
        raise NotAssignable("already")
    _receive(session, actor, campaign, credit, pledge.id, Outcome.ASSIGNED, now, thank)
    return session.get(Pledge, pledge.id)


def office_actor() -> Actor:
    """Who acts from the office computer (`loa reconcile`): the deployment itself, an admin
    with no Telegram account, so audit entries name nobody."""
    return Actor(User(id=None, name="loa"), Role.ADMIN, None)

