"""Campaigns (fund drives): what officers open for an area, with a period and targets.

The 2023 "For the Poor" peak month is the model: an open letter, 17/10–18/11, a money target and
7 Great Solidarity houses. Only officers (inside their scope) and admins open and change them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import JSON, BigInteger, Column, Text, update
from sqlmodel import Field, Session, SQLModel, col, select

from models.areas import Area, fold, get_area, is_within
from models.base import telegram_id_column, utcnow
from models.dates import InputProblem
from models.numbers import ascii_digits
from models.users import AccessDenied, Actor, Role, User

NAME_MAX = 200
DESCRIPTION_MAX = 3500  # the open letter; a Telegram message holds 4096 characters
HANDOVER_MAX = 300  # where to bring goods: a place, days and hours, whom to ask
NAME_TYPED = 120  # a new name as typed (older ones may hold NAME_MAX)
TARGETS_MAX, TARGET_NAME_MAX = 20, 60  # item targets of one campaign, and a target's name
PREFIX_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # no I or O: a reference is read aloud


class CampaignStatus(StrEnum):
    OPEN = "open"
    PAUSED = "paused"
    CLOSED = "closed"


class Campaign(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=NAME_MAX)
    description: str = Field(default="", sa_column=Column(Text, nullable=False))
    # the letter as the officer sent it: [{"kind": "voice", "file_id": ...}] (bot/messages.py)
    attachment: list[dict[str, str]] | None = Field(default=None, sa_column=Column(JSON))
    area_id: int = Field(foreign_key="area.id", index=True, ondelete="RESTRICT")
    starts_on: date
    ends_on: date
    money_target: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    status: str = Field(default=CampaignStatus.OPEN, max_length=16)
    ref_prefix: str = Field(max_length=8, unique=True)
    last_number: int = 0
    #: For goods: where and how to hand them over, shown on in-kind receipts.
    handover: str | None = Field(default=None, max_length=HANDOVER_MAX)
    created_by: int | None = Field(default=None, sa_column=telegram_id_column(
        foreign_key="user.id", ondelete="SET NULL"))
    created_at: datetime = Field(default_factory=utcnow)
    result_sent_at: datetime | None = None  # its officers were told the result, once


class CampaignTarget(SQLModel, table=True):
    """An item target beside the money: "Great Solidarity houses: 7"."""

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=100)
    quantity: int


@dataclass
class CampaignDraft:
    name: str
    description: str
    starts_on: date
    ends_on: date
    area_id: int
    money_target: int
    targets: list[tuple[str, int]] = field(default_factory=list)
    attachment: list[dict[str, str]] | None = None


def parse_targets(text: str) -> list[tuple[str, int]]:
    """One target a line (or separated by ";"), "name: number": "Nhà Đại đoàn kết: 7"."""
    targets = []
    for line in re.split(r"[\n;]", text.strip()):
        match = re.fullmatch(rf"\s*(.{{1,{TARGET_NAME_MAX}}}?)\s*[:=]\s*([0-9]{{1,9}})\s*",
                             ascii_digits(line))
        if not match or int(match.group(2)) <= 0:
            raise InputProblem(line)
        targets.append((match.group(1), int(match.group(2))))
    if not 0 < len(targets) <= TARGETS_MAX:
        raise InputProblem(text)
    return targets


def _may_run(actor: Actor, area: Area | None) -> None:
    if not actor.at_least(Role.OFFICER) or not actor.covers(area):
        raise AccessDenied("campaigns are run by officers inside their scope")


def _prefix(session: Session, area: Area, year: int) -> str:
    """A readable, unique reference prefix: initials of the area and the year, "TT23"."""
    initials = "".join(w[0] for w in fold(area.name).upper().split() if w[0] in PREFIX_LETTERS)
    base = (initials[:3] or "VN") + f"{year % 100:02d}"
    taken = set(session.exec(select(Campaign.ref_prefix).where(
        col(Campaign.ref_prefix).startswith(base))))
    for suffix in ["", *PREFIX_LETTERS]:
        if base + suffix not in taken:
            return base + suffix
    raise ValueError(f"no reference prefix left for {base}")


def create_campaign(session: Session, actor: Actor, draft: CampaignDraft) -> Campaign:
    area = get_area(session, draft.area_id)
    _may_run(actor, area)
    campaign = Campaign(
        name=draft.name[:NAME_MAX], description=draft.description[:DESCRIPTION_MAX],
        attachment=draft.attachment or None,
        area_id=area.id, starts_on=draft.starts_on, ends_on=draft.ends_on,
        money_target=draft.money_target, ref_prefix=_prefix(session, area, draft.starts_on.year),
        created_by=actor.id)
    session.add(campaign)
    session.flush()
    for name, quantity in draft.targets:
        session.add(CampaignTarget(campaign_id=campaign.id, name=name, quantity=quantity))
    session.flush()
    return campaign


def managed_campaign(session: Session, actor: Actor, campaign_id: int) -> Campaign:
    """The campaign, when this actor may change it; AccessDenied otherwise."""
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise LookupError(campaign_id)
    _may_run(actor, get_area(session, campaign.area_id))
    return campaign


EDITABLE = ("name", "description", "starts_on", "ends_on", "money_target", "status", "handover")


def update_campaign(session: Session, actor: Actor, campaign_id: int,
                    **changes: object) -> Campaign:
    campaign = managed_campaign(session, actor, campaign_id)
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValueError(f"not editable: {unknown}")
    if "status" in changes:
        changes["status"] = CampaignStatus(changes["status"]).value
    for key, value in changes.items():
        setattr(campaign, key, value)
    if campaign.ends_on < campaign.starts_on:
        raise InputProblem("the end comes before the start")
    session.add(campaign)
    session.flush()
    return campaign


def targets(session: Session, campaign_id: int) -> list[CampaignTarget]:
    return list(session.exec(select(CampaignTarget).where(
        CampaignTarget.campaign_id == campaign_id).order_by(CampaignTarget.id)))


def campaigns_run_by(session: Session, actor: Actor) -> list[Campaign]:
    """Every campaign inside the actor's scope, newest first (all of them for admins)."""
    query = select(Campaign).join(Area, col(Area.id) == Campaign.area_id)
    if actor.role is not Role.ADMIN:
        if actor.scope is None or not actor.at_least(Role.OFFICER):
            return []
        query = query.where(col(Area.path).startswith(actor.scope.path, autoescape=True))
    return list(session.exec(query.order_by(col(Campaign.id).desc())))


def open_campaigns(session: Session, area: Area | None, today: date) -> list[Campaign]:
    """Open campaigns a person in this area may pledge to: those covering the area, or, for
    someone outside every campaign's area (a benefactor from elsewhere), all open ones."""
    query = select(Campaign).where(Campaign.status == CampaignStatus.OPEN,
                                   col(Campaign.ends_on) >= today)
    return _covering(session, area, list(session.exec(query.order_by(Campaign.ends_on,
                                                                      Campaign.id))))


def public_campaigns(session: Session, area: Area | None,
                     limit: int | None = 10) -> list[Campaign]:
    """Every campaign's figures are public (công khai): newest first, the person's own first."""
    found = list(session.exec(select(Campaign).order_by(col(Campaign.id).desc())))
    return _covering(session, area, found)[:limit]


def _covering(session: Session, area: Area | None, found: list[Campaign]) -> list[Campaign]:
    if area is None:
        return found
    areas = {a.id: a for a in session.exec(select(Area).where(
        col(Area.id).in_({c.area_id for c in found})))}
    covering = [c for c in found if is_within(area, areas[c.area_id])]
    return covering or found


def is_open(campaign: Campaign, today: date) -> bool:
    """Open and not over: shown, and announced ahead of its start."""
    return campaign.status == CampaignStatus.OPEN and campaign.ends_on >= today


def takes_pledges(campaign: Campaign, today: date) -> bool:
    """Open, and its first day has come."""
    return is_open(campaign, today) and campaign.starts_on <= today


def relayable(session: Session, actor: Actor, today: date, limit: int = 5) -> list[Campaign]:
    """Open campaigns an officer may point people to: those they run and those covering
    their area (a commune officer relays the district's drive)."""
    found = {c.id: c for c in campaigns_run_by(session, actor) if is_open(c, today)}
    if actor.scope is not None:
        found.update({c.id: c for c in open_campaigns(session, actor.scope, today)
                      if is_within(actor.scope, get_area(session, c.area_id))})
    return list(found.values())[:limit]


def take_ended(session: Session, today: date, now: datetime) -> list[tuple[Campaign, list[User]]]:
    """Campaigns over by `today` whose officers have not been told the result, each claimed
    once (however many processes look), with whom to tell: whoever started it, and the
    officers of its area, while Telegram still reaches them."""
    taken = []
    for campaign in session.exec(select(Campaign).where(
            col(Campaign.ends_on) < today, col(Campaign.result_sent_at).is_(None))).all():
        if session.execute(update(Campaign).where(col(Campaign.id) == campaign.id,
                                                  col(Campaign.result_sent_at).is_(None))
                           .values(result_sent_at=now)).rowcount != 1:
            continue
        people = list(session.exec(select(User).where(
            (col(User.id) == campaign.created_by)
            | ((User.role == Role.OFFICER) & (User.scope_area_id == campaign.area_id)),
            col(User.unreachable_at).is_(None)).order_by(User.id)))
        taken.append((campaign, people))
    return taken

