"""What each export holds, checked against the officer's scope and streamed from the database.

An export is one or more tables (models/tables.py). Large ones (the pledges of a campaign, the
recipients of a broadcast) are read in batches by keyset paging, each batch in its own short
transaction, so a 100,000-row export never holds all rows nor a long lock (SQLite transactions
begin IMMEDIATE). Areas are placed once per export: a dict from area id to its chain under the
campaign's (or deadline's) area, never a query per row.

Each area appears as its short path in one column ("Ấp 1, Tân Thành") and as one column per
level of the tree (huyện, xã, ấp...), the level names taken from the tree itself, so a pivot
table works. Who may export: officers, for campaigns, deadlines and broadcasts of areas inside
their scope; admins (and the command line) everything.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from datetime import date
from typing import Any

from sqlmodel import Session, col, func, select

from models.areas import Area, by_code, formal_name, get_area, is_within, label
from models.broadcasts import Broadcast, BroadcastStatus, managed_broadcast, recent
from models.campaigns import Campaign, CampaignTarget, campaigns_run_by, managed_campaign
from models.chats import Chat
from models.deadlines import Deadline, overview
from models.figures import Quantities, Sums, UpwardRow, totals, upward_report
from models.outbox import Delivery, DeliveryStatus
from models.pledges import PLEDGER_KINDS, STATUS_NAMES, Pledge, PledgeKind, PledgeStatus
from models.tables import DATE, DATETIME, INTEGER, MONEY, TEXT, Column, Phrase, Table
from models.users import AccessDenied, Actor, Role, User
from models.wording import N_

BATCH = 2000  # rows a query
Sessions = Callable[[], AbstractContextManager[Session]]

KIND_LABELS = {
    PledgeKind.MONEY: N_("Money"),
    PledgeKind.IN_KIND: N_("Goods (in kind)"),
    PledgeKind.SALARY: N_("A day's salary"),
}
HELD_LABELS = {"held": N_("held for review")}
REPORT_LABELS = {"on_time": N_("reported"), "late": N_("reported late"),
                 "missing": N_("missing")}
DELIVERY_LABELS = {
    DeliveryStatus.PENDING: N_("waiting"),
    DeliveryStatus.SENDING: N_("being sent"),
    DeliveryStatus.SENT: N_("sent"),
    DeliveryStatus.FAILED: N_("failed"),
    DeliveryStatus.BLOCKED: N_("blocked Loa"),
    DeliveryStatus.LEFT: N_("left Loa"),
    DeliveryStatus.CANCELLED: N_("cancelled"),
}
SCOPE_LABELS = {"all": N_("Whole campaign"), "area": N_("Area chosen"),
                "level": N_("All areas of a level"), "kind": N_("Pledgers of a kind")}
LEVEL_SEP = " / "


class NotInside(ValueError):
    """The area asked for lies outside the campaign's area."""


# ---- what an officer may export ---------------------------------------------------------------

def exportable_campaigns(session: Session, actor: Actor) -> list[Campaign]:
    return campaigns_run_by(session, actor)


def reportable_campaigns(session: Session, actor: Actor) -> list[Campaign]:
    """Campaigns an officer reports on upward: those in their scope, and those of a larger
    area their own lies in (a commune's part of the district's drive), newest first."""
    if actor.role is Role.ADMIN or not actor.at_least(Role.OFFICER) or actor.scope is None:
        return campaigns_run_by(session, actor)
    ids = [int(i) for i in actor.scope.path.strip("/").split("/")]
    return list(session.exec(select(Campaign).join(Area, col(Area.id) == Campaign.area_id)
                             .where(col(Area.path).startswith(actor.scope.path, autoescape=True)
                                    | col(Campaign.area_id).in_(ids))
                             .order_by(col(Campaign.id).desc())))


def exportable_deadlines(session: Session, actor: Actor) -> list[Deadline]:
    """Every deadline (open or past) of an area inside the actor's scope, newest first."""
    query = select(Deadline).join(Area, col(Area.id) == Deadline.area_id)
    if actor.role is not Role.ADMIN:
        if actor.scope is None or not actor.at_least(Role.OFFICER):
            return []
        query = query.where(col(Area.path).startswith(actor.scope.path, autoescape=True))
    return list(session.exec(query.order_by(col(Deadline.id).desc())))


def exportable_broadcasts(session: Session, actor: Actor) -> list[Broadcast]:
    """Broadcasts in the actor's scope that went (or go) to someone: drafts have no recipients."""
    return [b for b in recent(session, actor, limit=None) if b.status != BroadcastStatus.DRAFT]


def campaign_by_prefix(session: Session, prefix: str) -> Campaign | None:
    return session.exec(select(Campaign).where(
        func.upper(Campaign.ref_prefix) == prefix.strip().upper())).first()


def exported_deadline(session: Session, actor: Actor, deadline_id: int) -> Deadline:
    deadline = session.get(Deadline, deadline_id)
    if deadline is None:
        raise LookupError(deadline_id)
    if not actor.at_least(Role.OFFICER) or not actor.covers(get_area(session, deadline.area_id)):
        raise AccessDenied("deadline outside the officer's scope")
    return deadline


def within_campaign(session: Session, campaign: Campaign, area_code: str | None) -> Area:
    """The campaign's area, or the area named by code when it lies inside it."""
    root = get_area(session, campaign.area_id)
    if not area_code:
        return root
    area = by_code(session, area_code)
    if area is None:
        raise LookupError(area_code)
    if not is_within(area, root):
        raise NotInside(area_code)
    return area


# ---- the area tree, placed once ---------------------------------------------------------------

class Tree:
    """The areas under a root, each with its short path and its name at every level."""

    def __init__(self, session: Session, root: Area):
        self.root = root
        self.areas = {a.id: a for a in session.exec(select(Area).where(
            col(Area.path).startswith(root.path, autoescape=True)))}
        depth = max((a.depth for a in self.areas.values()), default=root.depth)
        levels: list[Counter[str]] = [Counter() for _ in range(depth - root.depth + 1)]
        for area in self.areas.values():
            levels[area.depth - root.depth][area.level] += 1
        # "xã / thị trấn": the usual level first
        self.levels = [LEVEL_SEP.join(sorted(found, key=lambda name, f=found: (-f[name], name)))
                       for found in levels]
        self._placed: dict[int, tuple[str, ...]] = {}

    def chain(self, area_id: int | None) -> list[Area]:
        """The areas from the root down to this one (the root for an unknown area)."""
        area = self.areas.get(area_id, self.root)
        ids = [int(i) for i in area.path.strip("/").split("/")]
        return [self.areas[i] for i in ids[ids.index(self.root.id):]]

    def columns(self) -> list[Column]:
        return [Column(N_("Area")), *(Column(level, translate=False) for level in self.levels)]

    def cells(self, area_id: int | None) -> tuple[str, ...]:
        """The short path (nearest first, the root left out below it) and a name per level."""
        if area_id not in self._placed:
            chain = self.chain(area_id)
            below = chain[1:] or chain
            names = [a.name for a in chain]
            self._placed[area_id] = (", ".join(a.name for a in reversed(below)),
                                     *names, *[None] * (len(self.levels) - len(names)))
        return self._placed[area_id]


# ---- (a) the pledges of a campaign ------------------------------------------------------------

PLEDGE_COLUMNS = [
    Column(N_("Reference")), Column(N_("Registered at"), DATETIME),
    Column(N_("Pledger"), labels=PLEDGER_KINDS), Column(N_("Name")),
    Column(N_("Kind"), labels=KIND_LABELS), Column(N_("Amount"), MONEY), Column(N_("Item")),
    Column(N_("Quantity"), INTEGER), Column(N_("Target")),
    Column(N_("Status"), labels=STATUS_NAMES), Column(N_("Received amount"), MONEY),
    Column(N_("Received on"), DATE), Column(N_("Review"), labels=HELD_LABELS),
]


def pledges_table(sessions: Sessions, actor: Actor, campaign_id: int,
                  area_code: str | None = None, batch: int = BATCH) -> Table:
    """Every pledge of the campaign (of one area of it, when asked), oldest first."""
    with sessions() as session:
        campaign = managed_campaign(session, actor, campaign_id)
        area = within_campaign(session, campaign, area_code)
        narrow = None if area.id == campaign.area_id else area
        tree = Tree(session, get_area(session, campaign.area_id))
        total = session.exec(_pledges(campaign.id, narrow, select(func.count(col(Pledge.id)))
                                      .select_from(Pledge))).one()
    return Table(N_("Pledges"), [*PLEDGE_COLUMNS, *tree.columns()],
                 _pledge_rows(sessions, campaign.id, narrow, tree, batch), total)


def _pledges(campaign_id: int, narrow: Area | None, query):
    """The campaign's pledges, or those counted inside one area of it."""
    query = query.where(Pledge.campaign_id == campaign_id)
    if narrow is not None:
        query = query.join(Area, col(Area.id) == Pledge.area_id).where(
            col(Area.path).startswith(narrow.path, autoescape=True))
    return query


def _pledge_rows(sessions: Sessions, campaign_id: int, narrow: Area | None, tree: Tree,
                 batch: int) -> Iterator[tuple[Any, ...]]:
    last = 0
    while True:
        with sessions() as session:
            page = session.exec(_pledges(campaign_id, narrow, select(
                Pledge.id, Pledge.reference, Pledge.created_at, Pledge.pledger_kind,
                Pledge.display_name, Pledge.kind, Pledge.amount, Pledge.item, Pledge.quantity,
                CampaignTarget.name, Pledge.status, Pledge.received_amount, Pledge.received_on,
                Pledge.held, Pledge.area_id).select_from(Pledge)
                .outerjoin(CampaignTarget, col(CampaignTarget.id) == Pledge.target_id))
                .where(col(Pledge.id) > last).order_by(Pledge.id).limit(batch)).all()
        for (_pid, ref, at, who, name, kind, amount, item, quantity, target, status, received,
             received_on, held, area_id) in page:
            yield (ref, at, who, name, kind, amount, item, quantity, target, status,
                   received if status == PledgeStatus.RECEIVED else None, received_on,
                   "held" if held else None, *tree.cells(area_id))
        if len(page) < batch:
            return
        last = page[-1][0]


# ---- (b) the totals of a campaign, rolled up the tree -----------------------------------------

SUM_COLUMNS = [Column(N_("Pledged"), MONEY), Column(N_("Received"), MONEY),
               Column(N_("Number of pledges"), INTEGER)]


def totals_tables(sessions: Sessions, actor: Actor, campaign_id: int,
                  area_code: str | None = None) -> list[Table]:
    """Two sheets: every area of the campaign (of the area asked) with what was pledged and
    received there and below, and the totals: overall, per level, per kind of pledger, the
    figures /totals shows (public pledges: registered or received, not held)."""
    with sessions() as session:
        campaign = managed_campaign(session, actor, campaign_id)
        area = within_campaign(session, campaign, area_code)
        tree = Tree(session, get_area(session, campaign.area_id))
        figures = totals(session, campaign.id, depth=len(tree.levels))
    rolled = {a.id: s for a, s in figures.by_area}
    shown = sorted((a for a in tree.areas.values() if is_within(a, area)),
                   key=lambda a: [x.search_name for x in tree.chain(a.id)])
    by_area = [(*tree.cells(a.id), _sums(rolled.get(a.id))) for a in shown]
    areas = Table(N_("By area"), [*tree.columns(), *SUM_COLUMNS],
                  [(*cells, s.pledged, s.received, s.pledges) for *cells, s in by_area],
                  len(by_area))
    overall = figures.overall if area.id == tree.root.id else _sums(rolled.get(area.id))
    lines: list[tuple[Any, ...]] = [("all" if area.id == tree.root.id else "area", area.name,
                                     overall.pledged, overall.received, overall.pledges)]
    for depth in range(area.depth - tree.root.depth + 1, len(tree.levels)):
        at = [_sums(rolled.get(a.id)) for a in shown if a.depth - tree.root.depth == depth]
        lines.append(("level", tree.levels[depth], sum(s.pledged for s in at),
                      sum(s.received for s in at), sum(s.pledges for s in at)))
    if area.id == tree.root.id:
        lines += [("kind", kind, s.pledged, s.received, s.pledges)
                  for kind, s in sorted(figures.by_kind.items())]
    summary = Table(N_("Totals"), [Column(N_("Counted over"), labels=SCOPE_LABELS),
                                   Column(N_("Which"), labels=PLEDGER_KINDS), *SUM_COLUMNS],
                    lines, len(lines))
    return [summary, areas]


def _sums(sums: Sums | None) -> Sums:
    return sums or Sums()


# ---- (c) the reports of a deadline ------------------------------------------------------------

FIELD_KINDS = {"number": INTEGER, "money": MONEY, "text": TEXT}


def reports_table(sessions: Sessions, actor: Actor, deadline_id: int) -> Table:
    """One row per area that owes a report: its answers, one column per field of the form,
    who reported and when; the areas with none are listed as missing."""
    with sessions() as session:
        deadline = exported_deadline(session, actor, deadline_id)
        tree = Tree(session, get_area(session, deadline.area_id))
        seen = overview(session, deadline)
        people = {u.id: u.name for u in session.exec(select(User).where(col(User.id).in_(
            {r.reported_by for r in seen.reports.values() if r.reported_by is not None})))}
    fields = list(deadline.fields)
    rows = []
    for area in seen.areas:
        report = seen.reports.get(area.id)
        status = "missing" if report is None else "late" if report.late else "on_time"
        answers = [report.values.get(f["name"]) if report else None for f in fields]
        rows.append((*tree.cells(area.id), status,
                     people.get(report.reported_by, "") if report else None,
                     report.reported_at if report else None, *answers))
    columns = [*tree.columns(), Column(N_("Report"), labels=REPORT_LABELS),
               Column(N_("Reported by")), Column(N_("Reported at"), DATETIME),
               *(Column(f["name"], FIELD_KINDS.get(f["kind"], TEXT), translate=False)
                 for f in fields)]
    return Table(N_("Reports"), columns, rows, len(rows))


# ---- (d) the recipients of a broadcast --------------------------------------------------------

DELIVERY_COLUMNS = [
    Column(N_("Telegram id"), INTEGER), Column(N_("Name")), Column(N_("Area")),
    Column(N_("Language")), Column(N_("Delivery"), labels=DELIVERY_LABELS),
    Column(N_("Sent at"), DATETIME), Column(N_("Error")),
]


def broadcast_table(sessions: Sessions, actor: Actor, broadcast_id: int,
                    batch: int = BATCH) -> Table:
    """Everyone the broadcast was for (people, groups and channels), and what became of their
    message."""
    with sessions() as session:
        broadcast = managed_broadcast(session, actor, broadcast_id)
        total = session.exec(select(func.count(col(Delivery.id))).where(
            Delivery.broadcast_id == broadcast.id)).one()
    return Table(N_("Recipients"), DELIVERY_COLUMNS,
                 _delivery_rows(sessions, broadcast.id, batch), total)


def _delivery_rows(sessions: Sessions, broadcast_id: int,
                   batch: int) -> Iterator[tuple[Any, ...]]:
    last, places = 0, {}
    while True:
        with sessions() as session:
            page = session.exec(select(  # a person, or a group or channel by its title
                Delivery.id, Delivery.chat_id, func.coalesce(User.name, Chat.title),
                func.coalesce(User.area_id, Chat.area_id),
                func.coalesce(User.language, Chat.language),
                Delivery.status, Delivery.sent_at, Delivery.error)
                .outerjoin(User, col(User.id) == Delivery.chat_id)
                .outerjoin(Chat, col(Chat.id) == Delivery.chat_id)
                .where(Delivery.broadcast_id == broadcast_id, col(Delivery.id) > last)
                .order_by(Delivery.id).limit(batch)).all()
            for area_id in {row[3] for row in page} - places.keys():
                area = get_area(session, area_id)
                places[area_id] = label(session, area) if area is not None else None
        for _id, chat, name, area_id, language, status, sent_at, error in page:
            yield chat, name, places[area_id], language, status, sent_at, error
        if len(page) < batch:
            return
        last = page[-1][0]


# ---- (e) the report to the level above --------------------------------------------------------

UPWARD_COLUMNS = [
    Column(N_("No."), INTEGER), Column(N_("Area")),
    Column(N_("Units and organisations giving"), INTEGER),
    Column(N_("Individuals and households giving"), INTEGER),
    Column(N_("Money pledged"), MONEY), Column(N_("Money received"), MONEY),
    Column(N_("Goods: pledges"), INTEGER), Column(N_("Goods: value pledged"), MONEY),
    Column(N_("Goods: value received"), MONEY),
]
UPWARD_SUMS = [Column(N_("Pledged in all (money and goods)"), MONEY),
               Column(N_("Received in all"), MONEY)]


def upward_table(sessions: Sessions, actor: Actor, campaign_id: int, today: date) -> Table:
    """The campaign's result laid out the way the Front reports it to the level above: who
    reports and to whom, then one row per area below the reporting one, then the totals. The
    figures are upward_report's, the same the level above sees in Loa: nobody retypes them."""
    with sessions() as session:
        report = upward_report(session, actor, campaign_id)
        reporter = session.get(User, actor.id)
        parent = get_area(session, report.unit.parent_id)
    above: list[str | Phrase] = [
        Phrase(N_("Report on the result of the campaign “{campaign}”"),
               {"campaign": report.campaign.name}),
        Phrase(N_("Reporting unit: {unit}"), {"unit": formal_name(report.unit)}),
        *([Phrase(N_("Receiving unit: {area}"), {"area": formal_name(parent)})]
          if parent else []),
        Phrase(N_("Campaign from {start} to {end}"),
               {"start": report.starts_on, "end": report.ends_on}),
        Phrase(N_("Report date: {date}"), {"date": today}),
        *([Phrase(N_("Prepared by: {name}"), {"name": reporter.name})]
          if reporter and reporter.name else []),
    ]
    columns = [*UPWARD_COLUMNS]
    for target in report.targets:
        columns += [Column(Phrase(N_("{item} (target {quantity}): pledged"),
                                  {"item": target.name, "quantity": target.quantity}), INTEGER),
                    Column(Phrase(N_("{item}: received"), {"item": target.name}), INTEGER)]
    columns += UPWARD_SUMS

    def line(number: int | None, name: str | Phrase, row: UpwardRow) -> tuple[Any, ...]:
        items = [getattr(row.items.get(t.id, Quantities()), side)
                 for t in report.targets for side in ("pledged", "received")]
        return (number, name, row.units, row.individuals, row.money_pledged,
                row.money_received, row.in_kind_pledges, row.in_kind_pledged,
                row.in_kind_received, *items, row.sums.pledged, row.sums.received)

    rows = [line(n, Phrase(N_("{area} (given directly)"), {"area": formal_name(row.area)})
                 if row.own else formal_name(row.area), row)
            for n, row in enumerate(report.rows, 1)]
    rows.append(line(None, Phrase(N_("Total")), report.total))
    return Table(N_("Result report"), columns, rows, len(rows), above, totals_last=True)

