"""The figures behind the charts: a campaign per area and day by day, a deadline per area.

Computed by grouped queries (a row per area or per day, never a row per pledge), with the
counting rule of the public totals, so that a chart always says what /totals says.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, func, select

from models.areas import Area, get_area
from models.campaigns import Campaign
from models.deadlines import Deadline, Report, reporting_areas
from models.figures import Sums, public_pledges, totals
from models.pledges import Pledge, PledgeStatus


@dataclass
class AreaSums:
    """One bar of a chart: an area with what lies below it."""

    area: Area
    sums: Sums


@dataclass
class CampaignSeries:
    campaign: Campaign
    by_area: list[AreaSums]  # the areas directly below the campaign's, then the campaign's own
    overall: Sums
    by_day: list[tuple[date, int]]  # received per day, in date order

    @property
    def cumulative(self) -> list[tuple[date, int]]:
        total, out = 0, []
        for day, amount in self.by_day:
            total += amount
            out.append((day, total))
        return out


def _branch(path: str, root: Area) -> int:
    """The id of the area directly below `root` on this path, or root's own id when the path
    is root itself or lies outside its subtree (counted at the campaign's area, as totals)."""
    ids = [int(i) for i in path.strip("/").split("/")]
    if root.id not in ids:
        return root.id
    at = ids.index(root.id)
    return ids[at + 1] if at + 1 < len(ids) else root.id


def campaign_series(session: Session, campaign_id: int) -> CampaignSeries | None:
    """Pledged and received per area directly below the campaign's area (each its whole
    subtree), pledges counted at the campaign's area itself last, and received day by day."""
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        return None
    root = get_area(session, campaign.area_id)
    figures = totals(session, campaign_id, depth=1)  # the campaign's area and one level down
    rolled = {area.id: sums for area, sums in figures.by_area}
    children = list(session.exec(select(Area).where(Area.parent_id == root.id)
                                 .order_by(Area.search_name, Area.id)))
    bars = [AreaSums(a, rolled.get(a.id, Sums())) for a in children]
    own = Sums()  # what counts at the campaign's area itself: its total less its children's
    own.add(figures.overall)
    for bar in bars:
        own.pledged -= bar.sums.pledged
        own.received -= bar.sums.received
        own.pledges -= bar.sums.pledges
    if own.pledges or not bars:
        bars.append(AreaSums(root, own))
    return CampaignSeries(campaign, bars, figures.overall, received_by_day(session, campaign_id))


def received_by_day(session: Session, campaign_id: int) -> list[tuple[date, int]]:
    """Money received per day (the day the officer or the statement says), in date order."""
    days = session.exec(select(Pledge.received_on, func.sum(Pledge.received_amount))
                        .where(public_pledges(campaign_id),
                               Pledge.status == PledgeStatus.RECEIVED,
                               col(Pledge.received_on).is_not(None))
                        .group_by(Pledge.received_on).order_by(Pledge.received_on)).all()
    return [(day, int(amount or 0)) for day, amount in days]


@dataclass
class AreaReports:
    area: Area
    reported: int
    missing: int


def deadline_series(session: Session, deadline: Deadline) -> list[AreaReports]:
    """Reported and missing among the areas that owe a report, grouped by the area directly
    below the deadline's area (an owing area at that level is a group of its own)."""
    root = get_area(session, deadline.area_id)
    owing = reporting_areas(session, deadline)
    done = set(session.exec(select(Report.area_id).where(Report.deadline_id == deadline.id)))
    counts: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for area in owing:
        counts[_branch(area.path, root)][area.id not in done] += 1
    groups = {a.id: a for a in session.exec(select(Area).where(col(Area.id).in_(counts)))} \
        if counts else {}
    return sorted((AreaReports(groups[i], *c) for i, c in counts.items()),
                  key=lambda bar: (bar.area.search_name, bar.area.id))
