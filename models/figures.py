"""Public figures (công khai): a campaign's totals, progress and honour roll, and the report to
the level above.

Every figure is a grouped query: the database sums the pledges (ix_pledge_totals answers the
totals without reading the rows) and only the area tree, never the pledges, is walked in Python,
so a million pledges over ten thousand areas are summed in about a second. The same pledges count
everywhere: registered or received, and not held back for review.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import BigInteger, case, cast, distinct
from sqlmodel import Session, col, func, select

from models.areas import Area, get_area, is_within
from models.campaigns import Campaign, CampaignTarget
from models.pledges import COUNTED, ORGANISATIONS, Pledge, PledgeKind, PledgeStatus
from models.users import AccessDenied, Actor, Role


@dataclass
class Sums:
    pledged: int = 0
    received: int = 0
    pledges: int = 0

    def add(self, other: Sums) -> None:
        self.pledged += other.pledged
        self.received += other.received
        self.pledges += other.pledges


@dataclass
class Progress:
    overall: Sums
    pledgers: int
    items: list[tuple[CampaignTarget, int, int]]  # target, pledged quantity, received quantity


@dataclass
class Totals:
    overall: Sums
    by_area: list[tuple[Area, Sums]]  # the campaign's area and its subtree, in tree order
    by_kind: dict[str, Sums]


def _counted():
    """Registered or received, and not held: the pledges that count in public figures."""
    return col(Pledge.status).in_(COUNTED) & col(Pledge.held).is_(False)


def public_pledges(campaign_id: int):
    """The pledges of a campaign that count in public figures."""
    return (col(Pledge.campaign_id) == campaign_id) & _counted()


def _when_received(value) -> Any:
    """A value that counts only once the pledge is received (a registered pledge's
    received_amount, if any, is not money in the fund)."""
    return case((col(Pledge.status) == PledgeStatus.RECEIVED, value), else_=0)


def _total(value) -> Any:
    """SUM as a BIGINT: PostgreSQL would sum into NUMERIC, slow Decimals in Python."""
    return cast(func.sum(value), BigInteger)


#: count, pledged, received: the columns of a Sums, as SQL aggregates
SUMS = (func.count(), _total(Pledge.amount), _total(_when_received(Pledge.received_amount)))


def _sums(count: int, pledged: int | None, received: int | None) -> Sums:
    """An empty sum is NULL."""
    return Sums(pledged or 0, received or 0, count)


def progress(session: Session, campaign_id: int) -> Progress:
    """The campaign card's line: overall sums, how many gave (a pledge without a user counts
    as one), and the quantities pledged and received towards each item target."""
    overall = _sums(*session.exec(select(*SUMS).where(public_pledges(campaign_id))).one())
    targets = list(session.exec(select(CampaignTarget).where(
        CampaignTarget.campaign_id == campaign_id).order_by(CampaignTarget.id)))
    quantities = _quantities(session, [t.id for t in targets])
    return Progress(overall, _pledgers(session, campaign_id),
                    [(t, *quantities.get(t.id, (0, 0))) for t in targets])


def _pledgers(session: Session, campaign_id: int) -> int:
    """Distinct users, and each pledge without one. A GROUP BY in ix_pledge_pledgers' order
    streams; COUNT(DISTINCT) would sort or hash every pledge."""
    per_user = select(Pledge.user_id, func.count().label("n")).where(
        public_pledges(campaign_id)).group_by(Pledge.user_id).subquery()
    users, anonymous = session.exec(select(
        func.count(per_user.c.user_id),
        func.sum(case((per_user.c.user_id.is_(None), per_user.c.n), else_=0)))).one()
    return users + int(anonymous or 0)


def _quantities(session: Session, target_ids: list[int]) -> dict[int, tuple[int, int]]:
    """Per item target (of one campaign): quantity pledged and quantity received."""
    if not target_ids:
        return {}
    rows = session.exec(select(Pledge.target_id, func.sum(Pledge.quantity),
                               func.sum(_when_received(Pledge.quantity)))
                        .where(col(Pledge.target_id).in_(target_ids), _counted())
                        .group_by(Pledge.target_id))
    return {target: (int(pledged or 0), int(received or 0)) for target, pledged, received in rows}


def _chain(path: str, root: Area) -> list[int]:
    """Area ids from the campaign's area down to the area with this path."""
    ids = [int(i) for i in path.strip("/").split("/")]
    return ids[ids.index(root.id):]


def totals(session: Session, campaign_id: int, depth: int = 2) -> Totals:
    """Pledged and received, overall, per pledger kind, and per area rolled up the tree (an
    area's figures include everything below it), down to `depth` levels under the campaign.
    Pledges counted outside the campaign's subtree (or nowhere) count at its area."""
    campaign = session.get(Campaign, campaign_id)
    root = get_area(session, campaign.area_id)
    rows = session.connection().execute(  # plain rows: no ORM for tens of thousands of groups
        select(Pledge.area_id, Pledge.pledger_kind, *SUMS).where(public_pledges(campaign_id))
        .group_by(Pledge.area_id, Pledge.pledger_kind)).all()
    paths = dict(session.exec(select(Area.id, Area.path).where(
        col(Area.path).startswith(root.path, autoescape=True))).all())
    at: dict[int, list] = defaultdict(lambda: [0, 0, 0])  # count, pledged, received
    kinds: dict[str, list] = defaultdict(lambda: [0, 0, 0])
    for area_id, pledger_kind, count, pledged, received in rows:
        for tally in (at[area_id if area_id in paths else root.id], kinds[pledger_kind]):
            tally[0] += count
            tally[1] += pledged or 0
            tally[2] += received or 0
    rolled: dict[int, list] = defaultdict(lambda: [0, 0, 0])
    for area_id, tally in at.items():  # up the tree area by area, never pledge by pledge
        for ancestor in _chain(paths[area_id], root):
            total = rolled[ancestor]
            for i in range(3):
                total[i] += tally[i]
    by_area = {i: _sums(*tally) for i, tally in rolled.items()}
    by_kind = {kind: _sums(*tally) for kind, tally in kinds.items()}
    overall = Sums()
    for sums in by_kind.values():
        overall.add(sums)
    shown_ids = [i for i in by_area if paths[i].count("/") - root.path.count("/") <= depth]
    areas = {a.id: a for a in session.exec(select(Area).where(col(Area.id).in_(shown_ids)))}
    shown = [(areas[i], by_area[i]) for i in shown_ids]
    shown.sort(key=lambda pair: [areas[i].search_name for i in _chain(pair[0].path, root)])
    return Totals(overall, shown, by_kind)


def honour_roll(session: Session, campaign_id: int, registered: bool = False,
                limit: int | None = 30) -> list[Pledge]:
    """Those who agreed to be named, largest first; anonymous pledges count but never show.
    Received pledges only, unless the deployment also lists `registered` ones."""
    shown = COUNTED if registered else (PledgeStatus.RECEIVED,)
    return list(session.exec(select(Pledge).where(
        public_pledges(campaign_id), col(Pledge.status).in_(shown),
        col(Pledge.public).is_(True), Pledge.display_name != "")
        .order_by(func.coalesce(Pledge.received_amount, Pledge.amount).desc(), Pledge.id)
        .limit(limit)))


# ---- the report to the level above ------------------------------------------------------------

@dataclass
class Quantities:
    pledged: int = 0
    received: int = 0

    def add(self, other: Quantities) -> None:
        self.pledged += other.pledged
        self.received += other.received


@dataclass
class UpwardRow:
    """One line of the report; see upward_report for what each column counts."""

    area: Area
    own: bool = False  # pledges counted at the campaign's area itself, not below it
    units: int = 0
    individuals: int = 0
    money_pledged: int = 0
    money_received: int = 0
    in_kind_pledges: int = 0
    in_kind_pledged: int = 0
    in_kind_received: int = 0
    items: dict[int, Quantities] = field(default_factory=dict)  # by target id
    sums: Sums = field(default_factory=Sums)  # every counted pledge, as /totals shows it

    def add(self, other: UpwardRow) -> None:
        for name in ("units", "individuals", "money_pledged", "money_received",
                     "in_kind_pledges", "in_kind_pledged", "in_kind_received"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for target_id, quantities in other.items.items():
            self.items.setdefault(target_id, Quantities()).add(quantities)
        self.sums.add(other.sums)


@dataclass
class UpwardReport:
    campaign: Campaign
    unit: Area  # the reporting officer's unit: the area they serve (an admin: the campaign's)
    starts_on: date
    ends_on: date
    targets: list[CampaignTarget]
    rows: list[UpwardRow]  # the areas directly below the campaign's, then its own row if any
    total: UpwardRow  # the sum of the rows; its sums equal totals().overall


MONEY = (PledgeKind.MONEY, PledgeKind.SALARY)


def upward_report(session: Session, actor: Actor, campaign_id: int) -> UpwardReport:
    """A campaign's result the way the Front reports it upward: one row per area directly below
    the campaign's area (everything below it rolled up), then a row for pledges counted at the
    campaign's area itself (benefactors from elsewhere) when there are any, and the total.

    The pledges are those of /totals: registered or received, not held. Per row:
    - units: distinct pledgers among businesses, agencies and organisations;
    - individuals: distinct pledgers among individuals and households;
      a pledger is the Telegram user; a pledge without one (erased) counts as one pledger, and a
      person who gave in two rows counts in each (the total is the sum of the rows, as the Front
      adds up its communes' reports);
    - money pledged / received: money and a day's salary, the amount / the amount received,
      received only once the pledge is marked received;
    - in kind: how many pledges, their stated value, the value received;
    - items: per item target (houses...), the quantity pledged and the quantity received;
    - sums: all counted pledges (money and in kind) as /totals counts them.
    Officers whose scope covers the campaign's area, and admins, have the whole campaign. An
    officer of an area inside it (a commune in a district's drive) has their own area's part:
    its rows are the areas below theirs, the figures the same ones the district sees."""
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise LookupError(campaign_id)
    root = reported_area(session, actor, campaign)
    children = list(session.exec(select(Area).where(Area.parent_id == root.id)
                                 .order_by(Area.search_name, Area.id)))
    rows = {a.id: UpwardRow(a) for a in children}
    rows[root.id] = UpwardRow(root, own=True)
    branch = _branch(session, root)
    public = public_pledges(campaign_id)
    if root.id != campaign.area_id:  # a part of the campaign: only what counts inside it
        public = public & col(Area.path).startswith(root.path, autoescape=True)
    for top, kind, status, target_id, count, pledged, received, quantity in session.exec(
            select(branch, Pledge.kind, Pledge.status, Pledge.target_id, func.count(),
                   _total(Pledge.amount), _total(Pledge.received_amount),
                   func.sum(Pledge.quantity))
            .outerjoin(Area, col(Area.id) == Pledge.area_id).where(public)
            .group_by(branch, Pledge.kind, Pledge.status, Pledge.target_id)):
        row = rows[int(top) if top else root.id]
        got = status == PledgeStatus.RECEIVED
        pledged, received = int(pledged or 0), int(received or 0) if got else 0
        row.sums.add(Sums(pledged, received, count))
        if kind in MONEY:
            row.money_pledged += pledged
            row.money_received += received
        elif kind == PledgeKind.IN_KIND:
            row.in_kind_pledges += count
            row.in_kind_pledged += pledged
            row.in_kind_received += received
        if target_id is not None:
            row.items.setdefault(target_id, Quantities()).add(
                Quantities(int(quantity or 0), int(quantity or 0) if got else 0))
    unit = col(Pledge.pledger_kind).in_(ORGANISATIONS)
    for top, is_unit, users, count, with_user in session.exec(
            select(branch, unit, func.count(distinct(Pledge.user_id)), func.count(),
                   func.count(Pledge.user_id))
            .outerjoin(Area, col(Area.id) == Pledge.area_id).where(public)
            .group_by(branch, unit)):
        row = rows[int(top) if top else root.id]
        if is_unit:
            row.units += users + count - with_user
        else:
            row.individuals += users + count - with_user
    own = rows.pop(root.id)
    shown = [rows[a.id] for a in children] + ([own] if own.sums.pledges else [])
    total = UpwardRow(root)
    for row in shown:
        total.add(row)
    targets = list(session.exec(select(CampaignTarget).where(
        CampaignTarget.campaign_id == campaign_id).order_by(CampaignTarget.id)))
    return UpwardReport(campaign, actor.scope or root, campaign.starts_on, campaign.ends_on,
                        targets, shown, total)


def reported_area(session: Session, actor: Actor, campaign: Campaign) -> Area:
    """The area an officer reports on for a campaign: the campaign's own when their scope
    covers it, their scope when it lies inside the campaign's area; AccessDenied otherwise."""
    area = get_area(session, campaign.area_id)
    if actor.at_least(Role.OFFICER) and actor.covers(area):
        return area
    if actor.at_least(Role.OFFICER) and actor.scope is not None and \
            is_within(actor.scope, area):
        return actor.scope
    raise AccessDenied("the campaign's area and the officer's scope do not meet")


def _branch(session: Session, root: Area) -> Any:
    """SQL: the id (as text) of the area directly below `root` that a pledge's area lies in;
    "" when the pledge counts at root itself (root's own area, outside it, or none)."""
    rest = func.substr(Area.path, len(root.path) + 1)  # "5/23/" for "/1/5/23/" under "/1/"
    find = func.strpos if session.get_bind().dialect.name == "postgresql" else func.instr
    below = col(Area.path).startswith(root.path, autoescape=True) & (col(Area.id) != root.id)
    return case((below, func.substr(rest, 1, find(rest, "/") - 1)), else_="")
