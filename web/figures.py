"""What the public page shows of a campaign, gathered in one read of the database.

Everything here is already public in Telegram (/totals, /honour, the campaign card): sums per
area, item targets, the honour roll's names (only pledgers who agreed to be named), money
received day by day; and support given, as the ledger's sums per area and day (models/support.py),
never who got it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import date

from sqlmodel import Session, col, select

from models.areas import Area, get_area, label
from models.campaigns import Campaign
from models.exports import campaign_by_prefix
from models.figures import Sums, honour_roll, progress, totals
from models.pledges import PledgeStatus
from models.series import received_by_day
from models.support import (
    HelpedLine,
    given_by_area,
    given_by_day,
    given_total,
    helped_households,
    house_progress,
)
from web.photos import photo_key

#: Finished houses' photos shown per item target: thumbnails, the page stays light.
PHOTOS_SHOWN = 6
HOUSEHOLDS_SHOWN = 500
#: How far below the campaign's area the table goes: a province's districts, communes and ấp.
TABLE_DEPTH = 3
HONOUR_SHOWN = 100


@dataclass(frozen=True)
class AreaLine:
    code: str
    name: str
    level: str
    depth: int  # 0 for the campaign's own area
    parent_code: str | None
    pledged: int
    received: int
    pledges: int
    given: int = 0  # support given to households and causes there and below


@dataclass(frozen=True)
class ItemLine:
    name: str
    quantity: int  # the target
    pledged: int
    received: int
    started: int = 0  # houses being built with the fund (support recorded as a house)
    finished: int = 0
    photos: tuple[str, ...] = ()  # keys of finished houses' photos (web/photos.py), the first


@dataclass(frozen=True)
class HonourLine:
    name: str
    amount: int  # received (or, where the deployment lists registered pledges, pledged)
    item: str | None  # goods: what was given
    quantity: int | None
    received: bool


@dataclass(frozen=True)
class Given:
    """Support given from the campaign's fund (models/support.py): sums, never names."""

    total: int
    records: int = 0
    by_day: list[tuple[date, int]] = field(default_factory=list)


@dataclass(frozen=True)
class PageFigures:
    prefix: str
    name: str
    area: str
    starts_on: date
    ends_on: date
    status: str
    target: int
    pledged: int
    received: int
    pledges: int
    pledgers: int
    areas: list[AreaLine]
    items: list[ItemLine]
    honour: list[HonourLine]
    received_by_day: list[tuple[date, int]]
    given: Given
    #: With web.show_households: the households helped as a notice board shows them (initials,
    #: village), the newest HOUSEHOLDS_SHOWN, and how many in all; else None.
    helped: tuple[list[HelpedLine], int] | None = None
    #: photo key → Telegram file id: what /c/PREFIX/photos/KEY.jpg may fetch; never published
    photo_files: dict[str, str] = field(default_factory=dict)

    def as_json(self) -> dict:
        data = asdict(self)
        del data["photo_files"]
        for key in ("starts_on", "ends_on"):
            data[key] = data[key].isoformat()
        data["received_by_day"] = [{"date": d.isoformat(), "amount": a}
                                   for d, a in self.received_by_day]
        data["helped"] = None if self.helped is None else {
            "total": self.helped[1], "shown": [
                {**asdict(h), "given_on": h.given_on.isoformat()} for h in self.helped[0]]}
        data["given"] = {"total": self.given.total, "records": self.given.records, "by_day": [
            {"date": d.isoformat(), "amount": a} for d, a in self.given.by_day]}
        return data


def page_figures(session: Session, prefix: str, honour_registered: bool = False,
                 show_households: bool = False) -> PageFigures | None:
    """The figures of the campaign with this reference prefix, None when there is none; the
    households helped (initials and village) only with `show_households`."""
    campaign = campaign_by_prefix(session, prefix)
    if campaign is None:
        return None
    root = get_area(session, campaign.area_id)
    tally = totals(session, campaign.id, depth=TABLE_DEPTH)
    prog = progress(session, campaign.id)
    areas = _area_lines(session, root, {a.id: s for a, s in tally.by_area},
                        given_by_area(session, campaign.id))
    records, total = given_total(session, campaign.id)
    given = Given(total, records, [(day, value) for day, (_n, value)
                                   in given_by_day(session, campaign.id).items()])
    houses = {h.target_id: h for h in house_progress(session, campaign.id)}
    photo_files = {photo_key(file_id): file_id for h in houses.values()
                   for file_id in h.photos[:PHOTOS_SHOWN]}
    items = [ItemLine(t.name, t.quantity, pledged, received,
                      houses[t.id].started if t.id in houses else 0,
                      houses[t.id].finished if t.id in houses else 0,
                      tuple(photo_key(f) for f in houses[t.id].photos[:PHOTOS_SHOWN])
                      if t.id in houses else ())
             for t, pledged, received in prog.items]
    honour = [HonourLine(p.display_name, p.received_amount if p.status == PledgeStatus.RECEIVED
                         and p.received_amount is not None else p.amount, p.item, p.quantity,
                         p.status == PledgeStatus.RECEIVED)
              for p in honour_roll(session, campaign.id, honour_registered, HONOUR_SHOWN)]
    return PageFigures(
        campaign.ref_prefix, campaign.name, label(session, root), campaign.starts_on,
        campaign.ends_on, campaign.status, campaign.money_target, tally.overall.pledged,
        tally.overall.received, tally.overall.pledges, prog.pledgers, areas, items, honour,
        received_by_day(session, campaign.id), given,
        helped_households(session, campaign.id, HOUSEHOLDS_SHOWN) if show_households else None,
        photo_files)


def _area_lines(session: Session, root: Area, sums: dict[int, Sums],
                given: dict[int, tuple[int, int]]) -> list[AreaLine]:
    """The campaign's area and every area down to TABLE_DEPTH below it, in tree order (by
    name), those without pledges at zero: an ấp that gave nothing yet is seen too. Support
    given is rolled up the tree like the pledges."""
    below = list(session.exec(select(Area).where(
        col(Area.path).startswith(root.path, autoescape=True), Area.id != root.id)))
    paths = {a.id: a.path for a in below} | {root.id: root.path}
    out: dict[int, int] = defaultdict(int)
    for area_id, (_n, value) in given.items():
        ids = [int(i) for i in paths.get(area_id, root.path).strip("/").split("/")]
        for ancestor in ids[ids.index(root.id):] if root.id in ids else [root.id]:
            out[ancestor] += value
    children: dict[int, list[Area]] = defaultdict(list)
    for area in below:
        if area.depth - root.depth <= TABLE_DEPTH:
            children[area.parent_id].append(area)
    lines: list[AreaLine] = []
    stack = [(root, None)]
    while stack:
        area, parent = stack.pop()
        s = sums.get(area.id, Sums())
        lines.append(AreaLine(area.code, area.name, area.level, area.depth - root.depth,
                              parent, s.pledged, s.received, s.pledges, out[area.id]))
        kids = sorted(children.get(area.id, []), key=lambda a: (a.search_name, a.id))
        stack.extend((kid, area.code) for kid in reversed(kids))
    return lines


@dataclass(frozen=True)
class CampaignLink:
    prefix: str
    name: str
    area: str
    starts_on: date
    ends_on: date


def campaign_links(session: Session, limit: int = 200) -> list[CampaignLink]:
    """The campaigns for the index page, newest first."""
    found = list(session.exec(select(Campaign).order_by(col(Campaign.id).desc()).limit(limit)))
    areas = {a.id: a for a in session.exec(select(Area).where(
        col(Area.id).in_({c.area_id for c in found})))} if found else {}
    return [CampaignLink(c.ref_prefix, c.name, areas[c.area_id].name, c.starts_on, c.ends_on)
            for c in found]
