"""Pledges: who gives what to which campaign, tracked from registration to receipt.

"Nobody counted twice": a confirmation carries a token that is stored with the pledge (unique),
so pressing Confirm twice or a retried update returns the pledge already made. Every change, by
anyone, is written to the pledge's audit trail with before and after.

Public figures cannot be inflated by anyone with a phone: a person has a bounded number of
pledges not yet received per campaign, and a pledge above a set amount is held back from
everything public until an officer has looked at it (or the money arrived).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, update
from sqlmodel import Field, Session, SQLModel, col, func, select

from models.areas import Area, get_area, is_within
from models.base import telegram_id_column, utcnow
from models.campaigns import Campaign, takes_pledges
from models.users import AccessDenied, Actor, Role, User
from models.wording import N_

SIMILAR_WITHIN = timedelta(days=1)


class PledgerKind(StrEnum):
    INDIVIDUAL = "individual"
    HOUSEHOLD = "household"
    BUSINESS = "business"
    AGENCY = "agency"
    ORGANISATION = "organisation"


#: Pledgers who are not a person: they give their organisation's name, never the user's.
ORGANISATIONS = (PledgerKind.BUSINESS, PledgerKind.AGENCY, PledgerKind.ORGANISATION)


class PledgeKind(StrEnum):
    MONEY = "money"
    IN_KIND = "in_kind"
    SALARY = "salary"


def may_give(pledger_kind: str | None, kind: str) -> bool:
    """A day's salary is a person's to give (or a household's), not an organisation's."""
    return kind != PledgeKind.SALARY or pledger_kind not in ORGANISATIONS


class PledgeStatus(StrEnum):
    REGISTERED = "registered"
    RECEIVED = "received"
    CANCELLED = "cancelled"
    REJECTED = "rejected"


COUNTED = (PledgeStatus.REGISTERED, PledgeStatus.RECEIVED)

#: The names of kinds of pledger and of statuses, translated where they are shown.
PLEDGER_KINDS = {
    PledgerKind.INDIVIDUAL: N_("Individual"),
    PledgerKind.HOUSEHOLD: N_("Household"),
    PledgerKind.BUSINESS: N_("Business"),
    PledgerKind.AGENCY: N_("Agency or unit"),
    PledgerKind.ORGANISATION: N_("Organisation"),
}
STATUS_NAMES = {
    PledgeStatus.REGISTERED: N_("registered"),
    PledgeStatus.RECEIVED: N_("received"),
    PledgeStatus.CANCELLED: N_("cancelled"),
    PledgeStatus.REJECTED: N_("rejected"),
}


def money_column(nullable: bool = False) -> Column:
    """Integer VND; ten billion đồng does not fit in 32 bits."""
    return Column(BigInteger, nullable=nullable)


class Pledge(SQLModel, table=True):
    # the public figures (models/figures.py) are grouped queries answered by these indexes
    # alone, never reading the rows: a million pledges summed in well under a second
    __table_args__ = (Index("ix_pledge_totals", "campaign_id", "area_id", "pledger_kind",
                            "status", "held", "amount", "received_amount"),
                      Index("ix_pledge_pledgers", "campaign_id", "user_id", "status", "held"),
                      Index("ix_pledge_targets", "target_id", "status", "held", "quantity"))

    id: int | None = Field(default=None, primary_key=True)
    reference: str = Field(max_length=16, unique=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True, ondelete="RESTRICT")
    user_id: int | None = Field(default=None, sa_column=telegram_id_column(
        foreign_key="user.id", ondelete="SET NULL", index=True))
    area_id: int | None = Field(default=None, foreign_key="area.id", index=True,
                                ondelete="RESTRICT")
    pledger_kind: str = Field(max_length=16)
    display_name: str = Field(default="", max_length=200)
    kind: str = Field(max_length=16)
    amount: int = Field(sa_column=money_column())
    item: str | None = Field(default=None, max_length=200)
    quantity: int | None = None
    target_id: int | None = Field(default=None, foreign_key="campaigntarget.id",
                                  ondelete="SET NULL")
    monthly_salary: int | None = Field(default=None, sa_column=money_column(nullable=True))
    public: bool = True
    held: bool = False  # above the review amount: kept out of public figures until approved
    status: str = Field(default=PledgeStatus.REGISTERED, max_length=16, index=True)
    received_amount: int | None = Field(default=None, sa_column=money_column(nullable=True))
    received_on: date | None = None
    reject_reason: str | None = Field(default=None, max_length=500)
    token: str = Field(max_length=40, unique=True)
    reminded_at: datetime | None = None  # the one reminder before the campaign ends
    created_at: datetime = Field(default_factory=utcnow, index=True)
    updated_at: datetime = Field(default_factory=utcnow)


class PledgeChange(SQLModel, table=True):
    """The audit trail: who changed a pledge, when, and what it was before and after."""

    id: int | None = Field(default=None, primary_key=True)
    pledge_id: int = Field(foreign_key="pledge.id", index=True, ondelete="CASCADE")
    actor_id: int | None = Field(default=None, sa_column=telegram_id_column(
        foreign_key="user.id", ondelete="SET NULL"))
    at: datetime = Field(default_factory=utcnow)
    action: str = Field(max_length=20)
    before: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    after: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))


@dataclass
class PledgeDraft:
    """What a person answered in the pledge conversation, before it is confirmed."""

    campaign_id: int
    pledger_kind: str
    display_name: str
    kind: str
    amount: int
    public: bool
    item: str | None = None
    quantity: int | None = None
    target_id: int | None = None
    monthly_salary: int | None = None

    @classmethod
    def from_answers(cls, answers: dict[str, Any]) -> PledgeDraft:
        names = cls.__dataclass_fields__
        return cls(**{k: v for k, v in answers.items() if k in names})


def day_salary(monthly: int, working_days: int) -> int:
    """One day's salary, rounded to the đồng: monthly / working days in a month."""
    return (monthly + working_days // 2) // working_days


AUDITED = ("status", "amount", "item", "quantity", "monthly_salary", "public", "display_name",
           "held", "received_amount", "received_on", "reject_reason")


def _snapshot(pledge: Pledge) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, date) else v)
            for k in AUDITED if (v := getattr(pledge, k)) is not None}


def _audit(session: Session, pledge: Pledge, actor_id: int | None, action: str,
           before: dict[str, Any] | None, now: datetime) -> None:
    session.add(PledgeChange(pledge_id=pledge.id, actor_id=actor_id, at=now, action=action,
                             before=before, after=_snapshot(pledge)))


def by_token(session: Session, token: str) -> Pledge | None:
    return session.exec(select(Pledge).where(Pledge.token == token)).first()


def similar_pledge(session: Session, user_id: int, draft: PledgeDraft,
                   now: datetime) -> Pledge | None:
    """The same person, campaign and amount within a day: probably the same pledge again."""
    return session.exec(select(Pledge).where(
        Pledge.user_id == user_id, Pledge.campaign_id == draft.campaign_id,
        Pledge.amount == draft.amount, col(Pledge.status).in_(COUNTED),
        col(Pledge.created_at) >= now - SIMILAR_WITHIN)).first()


class CampaignNotOpen(Exception):
    pass


class TooManyOpen(Exception):
    """The person already has as many pledges not yet received to this campaign as allowed."""


@dataclass(frozen=True)
class PledgeRules:
    """The deployment's limits (config [pledges])."""

    review_above: int = 100_000_000  # larger pledges wait for an officer before going public
    open_per_campaign: int = 10  # registered, not yet received, per person and campaign


def open_pledges(session: Session, user_id: int, campaign_id: int) -> int:
    return session.exec(select(func.count()).select_from(Pledge).where(
        Pledge.user_id == user_id, Pledge.campaign_id == campaign_id,
        Pledge.status == PledgeStatus.REGISTERED)).one()


def register_pledge(session: Session, user: User, draft: PledgeDraft, token: str,
                    now: datetime, today: date,
                    rules: PledgeRules = PledgeRules()) -> tuple[Pledge, bool]:
    """Save the pledge once per token; (pledge, True) when new, (existing, False) on a repeat."""
    existing = by_token(session, token)
    if existing is not None:
        return existing, False
    if not may_give(draft.pledger_kind, draft.kind):
        raise ValueError(f"a {draft.pledger_kind} cannot pledge a day's salary")
    campaign = session.get(Campaign, draft.campaign_id)
    if campaign is None or not takes_pledges(campaign, today):
        raise CampaignNotOpen(draft.campaign_id)
    if open_pledges(session, user.id, campaign.id) >= rules.open_per_campaign:
        raise TooManyOpen(campaign.id)
    pledge = Pledge(**asdict(draft), reference=next_reference(session, campaign),
                    user_id=user.id, area_id=_counted_area(session, user, campaign),
                    held=draft.amount > rules.review_above, token=token, created_at=now,
                    updated_at=now)
    session.add(pledge)
    session.flush()
    _audit(session, pledge, user.id, "created", None, now)
    return pledge, True


def next_reference(session: Session, campaign: Campaign) -> str:
    """The campaign's next pledge code, "TT26-0042": counted in one UPDATE, never twice."""
    number = session.execute(
        update(Campaign).where(col(Campaign.id) == campaign.id)
        .values(last_number=col(Campaign.last_number) + 1)
        .returning(col(Campaign.last_number))).scalar_one()
    return f"{campaign.ref_prefix}-{number:04d}"


def _counted_area(session: Session, user: User, campaign: Campaign) -> int:
    """Where the pledge counts in the totals: the pledger's area when inside the campaign's,
    else the campaign's own area (benefactors from elsewhere)."""
    home, campaign_area = get_area(session, user.area_id), get_area(session, campaign.area_id)
    return home.id if home is not None and is_within(home, campaign_area) else campaign_area.id


# ---- the pledger's side -----------------------------------------------------------------------

def my_pledges(session: Session, user_id: int, limit: int | None = 10,
               offset: int = 0) -> list[tuple[Pledge, str]]:
    rows = session.exec(select(Pledge, Campaign.name).join(Campaign).where(
        Pledge.user_id == user_id).order_by(col(Pledge.id).desc()).offset(offset).limit(limit))
    return [(p, name) for p, name in rows]


def count_my_pledges(session: Session, user_id: int) -> int:
    return session.exec(select(func.count(col(Pledge.id))).where(
        Pledge.user_id == user_id)).one()


def own_pledge(session: Session, user_id: int, pledge_id: int) -> Pledge:
    """The person's own pledge while it can still change; AccessDenied otherwise. The row is
    locked (PostgreSQL) so an officer's "received" and the pledger's "cancel" cannot cross."""
    pledge = session.get(Pledge, pledge_id, with_for_update=True)
    if pledge is None or pledge.user_id != user_id:
        raise AccessDenied("not this person's pledge")
    if pledge.status != PledgeStatus.REGISTERED:
        raise AccessDenied("only a registered pledge can change")
    return pledge


def change_own_pledge(session: Session, user_id: int, pledge_id: int, now: datetime,
                      rules: PledgeRules = PledgeRules(), **changes: Any) -> Pledge:
    pledge = own_pledge(session, user_id, pledge_id)
    allowed = {"amount", "monthly_salary", "public", "display_name", "status"}
    if set(changes) - allowed or changes.get("status", PledgeStatus.CANCELLED) != \
            PledgeStatus.CANCELLED:
        raise AccessDenied(f"a pledger may not change {set(changes)}")
    before = _snapshot(pledge)
    for key, value in changes.items():
        setattr(pledge, key, value)
    if "amount" in changes:  # an approved 150 million edited to 900 million is looked at again
        pledge.held = pledge.amount > rules.review_above
    pledge.updated_at = now
    session.add(pledge)
    session.flush()
    _audit(session, pledge, user_id, "cancelled" if "status" in changes else "edited", before,
           now)
    return pledge


# ---- the officers' side -----------------------------------------------------------------------

def visible(actor: Actor, campaign_area: Area, pledge_area: Area | None) -> bool:
    """Officers see the pledges of their campaigns and those made from their area."""
    return actor.at_least(Role.OFFICER) and (
        actor.covers(campaign_area) or actor.covers(pledge_area))


def officer_pledge(session: Session, actor: Actor, pledge_id: int) -> tuple[Pledge, Campaign]:
    pledge = session.get(Pledge, pledge_id, with_for_update=True)
    if pledge is None:
        raise LookupError(pledge_id)
    campaign = session.get(Campaign, pledge.campaign_id)
    if not visible(actor, get_area(session, campaign.area_id), get_area(session, pledge.area_id)):
        raise AccessDenied("pledge outside the officer's scope")
    return pledge, campaign


@dataclass(frozen=True)
class PledgeFilter:
    campaign_id: int | None = None
    status: str | None = None
    kind: str | None = None


def officer_pledges(session: Session, actor: Actor, flt: PledgeFilter, offset: int,
                    limit: int) -> tuple[list[Pledge], int]:
    """A page of the pledges this officer may see, newest first, and how many there are."""
    if not actor.at_least(Role.OFFICER):
        raise AccessDenied("officers only")
    camp_area, pledge_area = Area.__table__.alias("camp_area"), Area.__table__.alias("p_area")
    query = (select(Pledge).join(Campaign, col(Campaign.id) == Pledge.campaign_id)
             .join(camp_area, camp_area.c.id == Campaign.area_id)
             .outerjoin(pledge_area, pledge_area.c.id == Pledge.area_id))
    if actor.role is not Role.ADMIN:
        scope = actor.scope.path
        query = query.where(camp_area.c.path.startswith(scope, autoescape=True)
                            | pledge_area.c.path.startswith(scope, autoescape=True))
    if flt.campaign_id:
        query = query.where(Pledge.campaign_id == flt.campaign_id)
    if flt.status:
        query = query.where(Pledge.status == flt.status)
    if flt.kind:
        query = query.where(Pledge.kind == flt.kind)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(query.order_by(col(Pledge.id).desc()).offset(offset).limit(limit))
    return list(rows), total


def mark_received(session: Session, actor: Actor, pledge_id: int, amount: int, on: date,
                  now: datetime) -> tuple[Pledge, bool]:
    """(pledge, True) once received as stated; (pledge, False) when it already was, exactly
    so (a double tap): nothing is recorded twice and nobody is thanked twice."""
    pledge, _campaign = officer_pledge(session, actor, pledge_id)
    if pledge.status not in COUNTED:
        raise AccessDenied(f"a {pledge.status} pledge cannot be received")
    if (pledge.status, pledge.received_amount, pledge.received_on) == (
            PledgeStatus.RECEIVED, amount, on):
        return pledge, False
    before = _snapshot(pledge)
    pledge.status, pledge.received_amount, pledge.received_on = PledgeStatus.RECEIVED, amount, on
    pledge.held = False  # the money arrived: it is real
    pledge.updated_at = now
    session.add(pledge)
    session.flush()
    _audit(session, pledge, actor.id, "received", before, now)
    return pledge, True


def approve_pledge(session: Session, actor: Actor, pledge_id: int, now: datetime) -> Pledge:
    """An officer has looked at a large pledge: it may count in the public figures."""
    pledge, _campaign = officer_pledge(session, actor, pledge_id)
    if not pledge.held or pledge.status != PledgeStatus.REGISTERED:
        raise AccessDenied("only a held, registered pledge is approved")
    before = _snapshot(pledge)
    pledge.held, pledge.updated_at = False, now
    session.add(pledge)
    session.flush()
    _audit(session, pledge, actor.id, "approved", before, now)
    return pledge


def reject_pledge(session: Session, actor: Actor, pledge_id: int, reason: str,
                  now: datetime) -> Pledge:
    pledge, _campaign = officer_pledge(session, actor, pledge_id)
    if pledge.status != PledgeStatus.REGISTERED:
        raise AccessDenied(f"a {pledge.status} pledge cannot be rejected")
    before = _snapshot(pledge)
    pledge.status, pledge.reject_reason, pledge.updated_at = PledgeStatus.REJECTED, reason, now
    session.add(pledge)
    session.flush()
    _audit(session, pledge, actor.id, "rejected", before, now)
    return pledge


def history(session: Session, pledge_id: int) -> list[PledgeChange]:
    return list(session.exec(select(PledgeChange).where(PledgeChange.pledge_id == pledge_id)
                             .order_by(PledgeChange.id)))


# ---- reminders and erasure --------------------------------------------------------------------

def take_pledge_reminders(session: Session, today: date, days_before_end: int,
                          now: datetime) -> list[tuple[Pledge, Campaign, User]]:
    """Registered pledges of campaigns ending within `days_before_end` days whose pledgers
    want reminders and have had none: claimed once (the caller enqueues the message)."""
    rows = session.exec(select(Pledge, Campaign, User)
                        .join(Campaign, col(Campaign.id) == Pledge.campaign_id)
                        .join(User, col(User.id) == Pledge.user_id)
                        .where(Pledge.status == PledgeStatus.REGISTERED,
                               col(Pledge.reminded_at).is_(None),
                               col(User.pledge_reminders).is_(True),
                               col(User.unreachable_at).is_(None),
                               col(Campaign.ends_on) >= today,
                               col(Campaign.ends_on) <= today + timedelta(days=days_before_end)))
    taken = []
    for pledge, campaign, user in rows.all():
        if session.execute(update(Pledge).where(col(Pledge.id) == pledge.id,
                                                col(Pledge.reminded_at).is_(None))
                           .values(reminded_at=now)).rowcount == 1:
            taken.append((pledge, campaign, user))
    return taken


def anonymise_pledges_of(session: Session, user_id: int) -> None:
    """On /forget: the pledges stay in the totals, without the person's name."""
    for pledge in session.exec(select(Pledge).where(Pledge.user_id == user_id)):
        if pledge.pledger_kind not in ORGANISATIONS:
            pledge.display_name, pledge.public = "", False
            session.add(pledge)
    for change in session.exec(select(PledgeChange).join(Pledge).where(
            Pledge.user_id == user_id)):
        change.before = _without_name(change.before)
        change.after = _without_name(change.after)
        session.add(change)
    session.flush()


def _without_name(snapshot: dict[str, Any] | None) -> dict[str, Any] | None:
    return None if snapshot is None else {k: v for k, v in snapshot.items()
                                          if k != "display_name"}
