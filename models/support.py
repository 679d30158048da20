"""Support given: what went from a campaign's fund to a household or to an area's cause.

"Không trùng, không sót": before a record is saved Loa looks for what the same household got of
the same kind from this campaign, or from any within `duplicate_days`, and says so; the
households of an area with nothing yet from a campaign are a list of their own. A record is
never edited: a correction is a new entry that supersedes the old one, so the chain of entries
is the audit trail, and every figure counts the current entries only. A Great Solidarity house
is a record of kind "house" tied to the campaign's item target, whose stage (started, finished)
moves by such corrections, each with its photo.

The public figures (given_by_area, given_by_day, house_progress) carry counts, sums and photos
of houses, never a household's name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum

from sqlalchemy import BigInteger, Column, update
from sqlmodel import Field, Session, SQLModel, col, func, select

from models.areas import Area, fold, get_area, is_within
from models.base import telegram_id_column, utcnow
from models.campaigns import Campaign, CampaignTarget, campaigns_run_by, targets
from models.households import Household, initials, may_manage
from models.users import AccessDenied, Actor, Role
from models.wording import N_

CAUSE_MAX, NOTE_MAX = 200, 500
DUPLICATE_DAYS = 365  # config [support] duplicate_days


class Kind(StrEnum):
    MONEY = "money"
    HOUSE = "house"  # Nhà Đại đoàn kết
    GOODS = "goods"
    SCHOLARSHIP = "scholarship"
    INSURANCE = "insurance"  # health insurance cards
    OTHER = "other"


KIND_NAMES = {
    Kind.MONEY: N_("💵 Money"),
    Kind.HOUSE: N_("🏠 Great Solidarity house"),
    Kind.GOODS: N_("📦 Goods"),
    Kind.SCHOLARSHIP: N_("🎓 Scholarship"),
    Kind.INSURANCE: N_("🩺 Health insurance cards"),
    Kind.OTHER: N_("Other"),
}


class Stage(StrEnum):
    STARTED = "started"
    FINISHED = "finished"


class Status(StrEnum):
    CURRENT = "current"
    SUPERSEDED = "superseded"  # a later entry took its place
    WITHDRAWN = "withdrawn"  # the latest entry of a record recorded by mistake


class Support(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True, ondelete="RESTRICT")
    household_id: int | None = Field(default=None, foreign_key="household.id", index=True,
                                     ondelete="RESTRICT")
    #: The household's area when recorded, or the area of the cause: what public sums group by.
    area_id: int = Field(foreign_key="area.id", index=True, ondelete="RESTRICT")
    cause: str | None = Field(default=None, max_length=CAUSE_MAX)  # an area-level cause
    kind: str = Field(max_length=16)
    value: int = Field(sa_column=Column(BigInteger, nullable=False))  # đồng
    given_on: date
    file_id: str | None = Field(default=None, max_length=200)  # the handover record
    file_kind: str | None = Field(default=None, max_length=16)  # "photo" | "document"
    note: str = Field(default="", max_length=NOTE_MAX)
    target_id: int | None = Field(default=None, foreign_key="campaigntarget.id",
                                  ondelete="SET NULL")
    stage: str | None = Field(default=None, max_length=16)  # houses: started, finished
    recorded_by: int | None = Field(default=None, sa_column=telegram_id_column(
        foreign_key="user.id", ondelete="SET NULL"))
    at: datetime = Field(default_factory=utcnow)
    supersedes_id: int | None = Field(default=None, foreign_key="support.id", unique=True,
                                      ondelete="RESTRICT")
    status: str = Field(default=Status.CURRENT, max_length=16)


@dataclass
class SupportDraft:
    campaign_id: int
    kind: str
    value: int
    given_on: date
    household_id: int | None = None
    area_id: int | None = None  # with `cause`, when no household
    cause: str | None = None
    file_id: str | None = None
    file_kind: str | None = None
    note: str = ""
    stage: str | None = None


@dataclass
class Recorded:
    """The new record, or (support None) the earlier ones that make it look like a double."""

    support: Support | None
    earlier: list[Support] = field(default_factory=list)


# ---- who may record -------------------------------------------------------------------------

def support_campaigns(session: Session, actor: Actor) -> list[Campaign]:
    """Campaigns an officer gives from: those they run, and those covering their area (a
    commune hands out the district's fund), newest first."""
    if not actor.at_least(Role.OFFICER):
        return []
    found = {c.id: c for c in campaigns_run_by(session, actor)}
    if actor.scope is not None:
        areas = {a.id: a for a in session.exec(select(Area).where(
            col(Area.id).in_(set(session.exec(select(Campaign.area_id))))))}
        for campaign in session.exec(select(Campaign)):
            if is_within(actor.scope, areas[campaign.area_id]):
                found[campaign.id] = campaign
    return sorted(found.values(), key=lambda c: -c.id)


def _campaign_for(session: Session, actor: Actor, campaign_id: int) -> Campaign:
    campaign = session.get(Campaign, campaign_id)
    if campaign is None or campaign.id not in {c.id for c in support_campaigns(session, actor)}:
        raise AccessDenied("support is recorded by officers, from campaigns of their area")
    return campaign


def _target_for(session: Session, campaign_id: int) -> CampaignTarget | None:
    """The item target a house counts towards: the one named for houses ("Nhà …"), or the
    campaign's only one."""
    found = targets(session, campaign_id)
    named = [t for t in found if "nha" in fold(t.name).split()]
    return (named or found)[0] if len(named) == 1 or len(found) == 1 else None


# ---- recording ------------------------------------------------------------------------------

def earlier_support(session: Session, household_id: int, kind: str, campaign_id: int,
                    since: date) -> list[Support]:
    """Current records of the same kind for the household: from this campaign, or given on
    or after `since` from any."""
    return list(session.exec(select(Support).where(
        Support.household_id == household_id, Support.kind == kind,
        Support.status == Status.CURRENT,
        (Support.campaign_id == campaign_id) | (col(Support.given_on) >= since))
        .order_by(col(Support.given_on).desc(), col(Support.id).desc())))


def record_support(session: Session, actor: Actor, draft: SupportDraft, today: date,
                   duplicate_days: int = DUPLICATE_DAYS, force: bool = False) -> Recorded:
    """Save a record, unless the household already got the same kind (then the earlier ones
    come back and nothing is saved; `force` saves it anyway)."""
    campaign = _campaign_for(session, actor, draft.campaign_id)
    kind = Kind(draft.kind)
    if draft.household_id is not None:
        # locked until the transaction ends (PostgreSQL): two officers recording for one
        # household at once cannot both pass the duplicate check
        household = session.exec(select(Household).where(
            Household.id == draft.household_id).with_for_update()).first()
        if household is None or household.erased_at is not None:
            raise LookupError(draft.household_id)
        area, cause = get_area(session, household.area_id), None
    else:
        area, cause = get_area(session, draft.area_id), (draft.cause or "").strip()
        if not cause or len(cause) > CAUSE_MAX:
            raise ValueError(f"an area-level cause needs 1-{CAUSE_MAX} characters")
    if not may_manage(actor, area) or not is_within(area, get_area(session, campaign.area_id)):
        raise AccessDenied("the household or cause is outside the officer's scope or the "
                           "campaign's area")
    if draft.value < 0 or len(draft.note) > NOTE_MAX:
        raise ValueError("a value of at least 0 and a note of at most 500 characters")
    if draft.household_id is not None and not force:
        earlier = earlier_support(session, draft.household_id, kind, campaign.id,
                                  draft.given_on - timedelta(days=duplicate_days))
        if earlier:
            return Recorded(None, earlier)
    house = kind is Kind.HOUSE
    support = Support(
        campaign_id=campaign.id, household_id=draft.household_id, area_id=area.id, cause=cause,
        kind=kind.value, value=draft.value, given_on=draft.given_on, file_id=draft.file_id,
        file_kind=draft.file_kind, note=draft.note.strip(), recorded_by=actor.id,
        target_id=(t.id if house and (t := _target_for(session, campaign.id)) else None),
        stage=Stage(draft.stage or Stage.STARTED).value if house else None)
    session.add(support)
    session.flush()
    return Recorded(support)


def support_for(session: Session, actor: Actor, support_id: int) -> Support:
    """A record, for an officer whose scope covers its area."""
    support = session.get(Support, support_id)
    if support is None:
        raise LookupError(support_id)
    if not may_manage(actor, get_area(session, support.area_id)):
        raise AccessDenied("support is seen in detail by the officers of its area")
    return support


CORRECTABLE = ("kind", "value", "given_on", "note", "file_id", "file_kind", "stage", "cause")


def correct_support(session: Session, actor: Actor, support_id: int, withdraw: bool = False,
                    **changes: object) -> Support:
    """A new entry in the old one's place, the old one kept as superseded (the trail); with
    `withdraw`, the new entry says the record was a mistake and counts for nothing."""
    old = support_for(session, actor, support_id)
    if old.status != Status.CURRENT:
        raise LookupError(f"support #{support_id} was already corrected")
    unknown = set(changes) - set(CORRECTABLE)
    if unknown:
        raise ValueError(f"not correctable: {unknown}")
    values = {k: getattr(old, k) for k in ("campaign_id", "household_id", "area_id",
                                           "target_id", *CORRECTABLE)}
    values.update(changes)
    values["kind"] = Kind(values["kind"]).value
    if values["kind"] == Kind.HOUSE:
        values["stage"] = Stage(values["stage"] or Stage.STARTED).value
        if values["target_id"] is None:  # became a house: it counts towards the houses' target
            values["target_id"] = t.id if (t := _target_for(session, old.campaign_id)) else None
    else:
        values["stage"] = None
    if int(values["value"]) < 0:
        raise ValueError("the value cannot be negative")
    # claimed with a conditional update: two corrections of one entry cannot both win
    if session.execute(update(Support).where(col(Support.id) == old.id,
                                             Support.status == Status.CURRENT)
                       .values(status=Status.SUPERSEDED)).rowcount != 1:
        raise LookupError(f"support #{support_id} was already corrected")
    session.expire(old)
    new = Support(**values, recorded_by=actor.id, supersedes_id=old.id,
                  status=Status.WITHDRAWN if withdraw else Status.CURRENT)
    session.add(new)
    session.flush()
    return new


def doubles_if_corrected(session: Session, actor: Actor, support_id: int, kind: str,
                         given_on: date, duplicate_days: int = DUPLICATE_DAYS) -> list[Support]:
    """"Không trùng" for a correction that changes the kind: what the household already got of
    the new kind, as recording would warn (nothing when the kind stays or there is no
    household)."""
    old = support_for(session, actor, support_id)
    if old.household_id is None or Kind(kind).value == old.kind:
        return []
    return [e for e in earlier_support(session, old.household_id, Kind(kind).value,
                                       old.campaign_id,
                                       given_on - timedelta(days=duplicate_days))
            if e.id != old.id]


def trail(session: Session, actor: Actor, support_id: int) -> list[Support]:
    """Every entry of the record the given entry belongs to, the first first."""
    entry = support_for(session, actor, support_id)
    chain = [entry]
    while chain[0].supersedes_id is not None:
        chain.insert(0, session.get(Support, chain[0].supersedes_id))
    while (after := session.exec(select(Support).where(
            Support.supersedes_id == chain[-1].id)).first()) is not None:
        chain.append(after)
    return chain


def given_to(session: Session, actor: Actor, campaign_id: int, household_id: int | None = None,
             offset: int = 0, limit: int = 10) -> tuple[list[Support], int]:
    """Current records of a campaign in the officer's scope (or of one household), newest
    first."""
    query = select(Support).join(Area, col(Area.id) == Support.area_id).where(
        Support.campaign_id == campaign_id, Support.status == Status.CURRENT)
    if actor.role is not Role.ADMIN:
        if actor.scope is None or not actor.at_least(Role.OFFICER):
            return [], 0
        query = query.where(col(Area.path).startswith(actor.scope.path, autoescape=True))
    if household_id is not None:
        query = query.where(Support.household_id == household_id)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    return list(session.exec(query.order_by(col(Support.id).desc()).offset(offset)
                             .limit(limit))), total


def never_helped(session: Session, actor: Actor, campaign_id: int, area_id: int,
                 offset: int = 0, limit: int = 10) -> tuple[list[Household], int]:
    """"Không sót": households of the area (and below) with nothing current from the campaign."""
    area = get_area(session, area_id)
    if not may_manage(actor, area):
        raise AccessDenied("households are seen by the officers of their area")
    helped = select(Support.household_id).where(
        Support.campaign_id == campaign_id, Support.status == Status.CURRENT,
        col(Support.household_id).is_not(None))
    query = select(Household).join(Area, col(Area.id) == Household.area_id).where(
        col(Area.path).startswith(area.path, autoescape=True),
        col(Household.erased_at).is_(None), col(Household.id).not_in(helped))
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    return list(session.exec(query.order_by(Area.path, Household.search_name, Household.id)
                             .offset(offset).limit(limit))), total


def forget_household_details(session: Session, household_id: int) -> None:
    """On a household's erasure: its records keep kind, value and date, not the words or the
    handover file that may name or show the family."""
    session.execute(update(Support).where(Support.household_id == household_id)
                    .values(note="", file_id=None, file_kind=None))


# ---- the public figures: counts and sums, never names ----------------------------------------

def _current(campaign_id: int):
    return (Support.campaign_id == campaign_id, Support.status == Status.CURRENT)


def given_by_area(session: Session, campaign_id: int) -> dict[int, tuple[int, int]]:
    """Per area where support went (not rolled up): (records, đồng)."""
    rows = session.exec(select(Support.area_id, func.count(), func.coalesce(
        func.sum(Support.value), 0)).where(*_current(campaign_id)).group_by(Support.area_id))
    return {area_id: (int(count), int(value)) for area_id, count, value in rows}


def given_by_day(session: Session, campaign_id: int) -> dict[date, tuple[int, int]]:
    """Per day given, in order: (records, đồng)."""
    rows = session.exec(select(Support.given_on, func.count(), func.coalesce(
        func.sum(Support.value), 0)).where(*_current(campaign_id))
        .group_by(Support.given_on).order_by(Support.given_on))
    return {day: (int(count), int(value)) for day, count, value in rows}


@dataclass(frozen=True)
class HouseProgress:
    target_id: int
    name: str
    quantity: int
    started: int  # being built
    finished: int
    photos: tuple[str, ...]  # Telegram file ids of finished houses' photos


def house_progress(session: Session, campaign_id: int) -> list[HouseProgress]:
    """Each item target of the campaign with its houses under way and finished."""
    counts = {(t, s): int(n) for t, s, n in session.exec(
        select(Support.target_id, Support.stage, func.count()).where(
            *_current(campaign_id), Support.kind == Kind.HOUSE,
            col(Support.target_id).is_not(None)).group_by(Support.target_id, Support.stage))}
    photos: dict[int, list[str]] = {}
    for target_id, file_id in session.exec(select(Support.target_id, Support.file_id).where(
            *_current(campaign_id), Support.kind == Kind.HOUSE,
            Support.stage == Stage.FINISHED, Support.file_kind == "photo")
            .order_by(Support.given_on, Support.id)):
        photos.setdefault(target_id, []).append(file_id)
    return [HouseProgress(t.id, t.name, t.quantity, counts.get((t.id, Stage.STARTED.value), 0),
                          counts.get((t.id, Stage.FINISHED.value), 0), tuple(photos.get(t.id, ())))
            for t in targets(session, campaign_id)]


def given_total(session: Session, campaign_id: int) -> tuple[int, int]:
    """(records, đồng) of the whole campaign."""
    count, value = session.exec(select(func.count(), func.coalesce(func.sum(Support.value), 0))
                                .where(*_current(campaign_id))).one()
    return int(count), int(value)


@dataclass(frozen=True)
class HelpedLine:
    """One record as a commune notice board shows it: initials and village, never the name."""

    initials: str
    village: str
    kind: str
    value: int
    given_on: date


def helped_households(session: Session, campaign_id: int,
                      limit: int = 500) -> tuple[list[HelpedLine], int]:
    """Current records to households (not erased ones) of the campaign, the newest first, at
    most `limit`; and how many there are in all. Only for deployments that choose to show them
    (web.show_households)."""
    query = select(Household.name, Area.name, Support.kind, Support.value, Support.given_on
                   ).join(Household, col(Household.id) == Support.household_id
                   ).join(Area, col(Area.id) == Support.area_id).where(
        *_current(campaign_id), col(Household.erased_at).is_(None))
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(query.order_by(col(Support.given_on).desc(), col(Support.id).desc())
                        .limit(limit))
    return [HelpedLine(initials(name), village, kind, int(value), given_on)
            for name, village, kind, value, given_on in rows], int(total)
