"""Public figures by grouped queries: exact figures of the report to the level above on a small
tree, and totals / progress / the report against a brute-force Python sum over random pledges,
so a grouping bug cannot hide (both backends)."""

import random
from collections import Counter, defaultdict
from datetime import UTC, date, datetime

import pytest
from sqlmodel import select

from models.areas import Area, by_code
from models.campaigns import CampaignDraft, CampaignTarget, create_campaign
from models.figures import progress, totals, upward_report
from models.pledges import (
    COUNTED,
    ORGANISATIONS,
    Pledge,
    PledgeDraft,
    change_own_pledge,
    mark_received,
    register_pledge,
    reject_pledge,
)
from models.privacy import erase_person
from models.users import AccessDenied, Role, actor_for, ensure_user, grant, update_user

NOW = datetime(2023, 10, 20, 3, 0, tzinfo=UTC)
TODAY = date(2023, 10, 20)
ADMINS = frozenset({1})


def actor(s, user_id):
    return actor_for(s, ensure_user(s, user_id)[0], ADMINS)


def campaign_of(s, code="804"):
    return create_campaign(s, actor(s, 1), CampaignDraft(
        name="Vì người nghèo", description="Thư ngỏ", starts_on=date(2023, 10, 17),
        ends_on=date(2023, 11, 18), area_id=by_code(s, code).id, money_target=500_000_000,
        targets=[("Nhà Đại đoàn kết", 7), ("Bò giống", 10)]))


def give(s, user_id, area_code, campaign, amount, kind="money", pledger="individual", **extra):
    user = ensure_user(s, user_id, f"Người {user_id}")[0]
    update_user(s, user, area_id=by_code(s, area_code).id if area_code else None)
    draft = PledgeDraft(campaign.id, pledger, user.name, kind, amount, True, **extra)
    return register_pledge(s, user, draft, f"tok-{user_id}-{amount}-{kind}", NOW, TODAY)[0]


def test_the_report_to_the_level_above_counts_what_totals_counts(areas_db):
    areas_db.call(grant, 10, Role.OFFICER, "804")
    areas_db.call(grant, 11, Role.OFFICER, "28054")
    areas_db.call(grant, 12, Role.OFFICER, "80")
    areas_db.call(grant, 13, Role.VILLAGE_HEAD, "28042-A1")

    def check(s):
        campaign = campaign_of(s)
        house, cow = s.exec(select(CampaignTarget).order_by(CampaignTarget.id)).all()
        officer = actor(s, 1)
        lan = give(s, 31, "28042-A1", campaign, 1_000_000)                      # Tân Thành
        mark_received(s, officer, lan.id, 900_000, TODAY, NOW)
        give(s, 31, "28042-A1", campaign, 300_000, "salary", monthly_salary=7_800_000)
        home = give(s, 32, "28042-A2", campaign, 5_000_000, "in_kind", "household",
                    item="Nhà", quantity=1, target_id=house.id)
        mark_received(s, officer, home.id, 5_000_000, TODAY, NOW)
        give(s, 33, "28054-VK", campaign, 20_000_000, pledger="business")       # Bình An
        give(s, 33, "28054-VK", campaign, 2_000_000, "in_kind", "business", item="Bò",
             quantity=2, target_id=cow.id)
        give(s, 34, "28054", campaign, 200_000_000)                            # held
        cancelled = give(s, 35, "28054-AH1", campaign, 700_000)
        change_own_pledge(s, 35, cancelled.id, NOW, status="cancelled")
        rejected = give(s, 36, "28054-AH1", campaign, 400_000)
        reject_pledge(s, officer, rejected.id, "trùng", NOW)
        give(s, 37, None, campaign, 3_000_000, pledger="agency")               # from nowhere
        give(s, 38, "23656", campaign, 1_000_000)                              # Lô Ku
        give(s, 39, "28042-A3", campaign, 600_000)
        give(s, 40, "28042-A3", campaign, 100_000)
        give(s, 40, "28042-A3", campaign, 200_000)
        for erased in (39, 40):
            erase_person(s, erased)

        report = upward_report(s, actor(s, 10), campaign.id)
        assert (report.unit.code, report.starts_on, report.ends_on) == (
            "804", date(2023, 10, 17), date(2023, 11, 18))
        assert [t.name for t in report.targets] == ["Nhà Đại đoàn kết", "Bò giống"]
        children = [a.code for a in s.exec(select(Area).where(
            Area.parent_id == by_code(s, "804").id).order_by(Area.search_name))]
        assert [r.area.code for r in report.rows] == [*children, "804"]
        assert [r.own for r in report.rows] == [False] * len(children) + [True]

        def figures(row):
            return (row.units, row.individuals, row.money_pledged, row.money_received,
                    row.in_kind_pledges, row.in_kind_pledged, row.in_kind_received,
                    {t: (q.pledged, q.received) for t, q in row.items.items()},
                    (row.sums.pledged, row.sums.received, row.sums.pledges))
        by = {r.area.code: figures(r) for r in report.rows}
        # Lan once for two pledges, the household, three erased pledges one each
        assert by["28042"] == (0, 5, 2_200_000, 900_000, 1, 5_000_000, 5_000_000,
                               {house.id: (1, 1)}, (7_200_000, 5_900_000, 6))
        assert by["28054"] == (1, 0, 20_000_000, 0, 1, 2_000_000, 0, {cow.id: (2, 0)},
                               (22_000_000, 0, 2))
        assert by["804"] == (1, 1, 4_000_000, 0, 0, 0, 0, {}, (4_000_000, 0, 2))
        assert by["28036"] == (0, 0, 0, 0, 0, 0, 0, {}, (0, 0, 0))
        assert figures(report.total) == (2, 6, 26_200_000, 900_000, 2, 7_000_000, 5_000_000,
                                         {house.id: (1, 1), cow.id: (2, 0)},
                                         (33_200_000, 5_900_000, 10))
        assert report.total.sums == totals(s, campaign.id).overall
        prog = progress(s, campaign.id)
        assert [(t.id, p, r) for t, p, r in prog.items] == [(house.id, 1, 1), (cow.id, 2, 0)]
        assert prog.pledgers == 8  # 31, 32, 33, 37, 38 and three pledges without a person

        assert upward_report(s, actor(s, 12), campaign.id).unit.code == "80"
        assert upward_report(s, actor(s, 1), campaign.id).unit.code == "804"  # an admin
        part = upward_report(s, actor(s, 11), campaign.id)  # Bình An's officer: its part
        villages = [a.code for a in s.exec(select(Area).where(
            Area.parent_id == by_code(s, "28054").id).order_by(Area.search_name))]
        assert part.unit.code == "28054"
        assert [r.area.code for r in part.rows] == villages  # no own row: its 200 million is held
        assert figures(part.total) == by["28054"]
        for outside in (13, 31):  # a village head, a citizen
            with pytest.raises(AccessDenied):
                upward_report(s, actor(s, outside), campaign.id)
    areas_db.call(check)


def test_a_report_without_pledges_lists_every_area_at_zero_and_no_own_row(areas_db):
    def check(s):
        campaign = campaign_of(s, "28054")
        report = upward_report(s, actor(s, 1), campaign.id)
        assert [r.area.code for r in report.rows] == ["28054-AH1", "28054-AH2", "28054-LT",
                                                      "28054-VK"]
        assert report.total.sums == totals(s, campaign.id).overall
        assert report.total.sums.pledges == 0 and report.total.units == 0
    areas_db.call(check)


# ---- brute force ------------------------------------------------------------------------------

KINDS = ("individual", "household", "business", "agency", "organisation")
STATUSES = ("registered", "received", "cancelled", "rejected")


def scatter(s, campaign, targets, rng: random.Random, count: int) -> None:
    """Random pledges straight into the table: every kind, status, area (inside the campaign's,
    outside it, none), with and without a person, some held."""
    codes = [a.code for a in s.exec(select(Area))] + [None]
    people = [ensure_user(s, 500 + i)[0].id for i in range(8)] + [None]
    for i in range(count):
        status = rng.choice(STATUSES)
        code = rng.choice(codes)
        target = rng.choice([*targets, None, None])
        amount = rng.randrange(0, 50) * 10_000
        s.add(Pledge(reference=f"R-{campaign.id}-{i}", campaign_id=campaign.id,
                     user_id=rng.choice(people), area_id=by_code(s, code).id if code else None,
                     pledger_kind=rng.choice(KINDS), kind=rng.choice(("money", "in_kind",
                                                                      "salary")),
                     amount=amount, quantity=rng.randrange(1, 4) if target else None,
                     target_id=target, held=rng.random() < 0.15, status=status,
                     received_amount=amount - rng.randrange(3) * 10_000
                     if status == "received" or rng.random() < 0.2 else None,
                     token=f"r-{campaign.id}-{i}", created_at=NOW, updated_at=NOW))
    s.flush()


def counted_at(pledge, areas, root):
    """The area a pledge counts at: its own when inside the campaign's, else the campaign's."""
    area = areas.get(pledge.area_id)
    return area if area is not None and area.path.startswith(root.path) else root


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_grouped_figures_equal_a_brute_force_sum(areas_db, seed):
    rng = random.Random(seed)

    def check(s):
        campaign = campaign_of(s, rng.choice(["80", "804", "28042"]))
        targets = [t.id for t in s.exec(select(CampaignTarget).where(
            CampaignTarget.campaign_id == campaign.id))]
        scatter(s, campaign, targets, rng, 120)
        areas = {a.id: a for a in s.exec(select(Area))}
        root = areas[campaign.area_id]
        public = [p for p in s.exec(select(Pledge)) if p.status in COUNTED and not p.held]

        def sums(pledges):
            return (sum(p.amount for p in pledges),
                    sum(p.received_amount or 0 for p in pledges if p.status == "received"),
                    len(pledges))

        def who(pledges):
            return len({p.user_id if p.user_id is not None else -p.id for p in pledges})

        result = totals(s, campaign.id)
        got = {a.id: (x.pledged, x.received, x.pledges) for a, x in result.by_area}
        expected = {}
        for area in areas.values():
            mine = [p for p in public if counted_at(p, areas, root).path.startswith(area.path)]
            if mine and area.path.startswith(root.path) and area.depth - root.depth <= 2:
                expected[area.id] = sums(mine)
        assert got == expected
        assert [a.id for a, _ in result.by_area] == sorted(got, key=lambda i: [
            areas[int(j)].search_name for j in areas[i].path.strip("/").split("/")
            if areas[int(j)].depth >= root.depth])
        overall = result.overall
        assert (overall.pledged, overall.received, overall.pledges) == sums(public)
        assert {k: (x.pledged, x.received, x.pledges) for k, x in result.by_kind.items()} == {
            k: sums([p for p in public if p.pledger_kind == k])
            for k in {p.pledger_kind for p in public}}

        prog = progress(s, campaign.id)
        assert prog.overall == overall and prog.pledgers == who(public)
        assert [(t.id, pledged, received) for t, pledged, received in prog.items] == [
            (t, sum(p.quantity for p in public if p.target_id == t),
             sum(p.quantity for p in public if p.target_id == t and p.status == "received"))
            for t in sorted(targets)]

        report = upward_report(s, actor(s, 1), campaign.id)
        assert report.total.sums == overall
        for row in report.rows:
            mine = [p for p in public if (counted_at(p, areas, root) == root if row.own else
                                          counted_at(p, areas, root).path.startswith(
                                              row.area.path))]
            units = [p for p in mine if p.pledger_kind in ORGANISATIONS]
            money = [p for p in mine if p.kind != "in_kind"]
            goods = [p for p in mine if p.kind == "in_kind"]
            assert (row.sums.pledged, row.sums.received, row.sums.pledges) == sums(mine)
            assert (row.units, row.individuals) == (who(units),
                                                    who([p for p in mine if p not in units]))
            assert (row.money_pledged, row.money_received) == sums(money)[:2]
            assert (row.in_kind_pledged, row.in_kind_received, row.in_kind_pledges) == \
                sums(goods)
            quantities = defaultdict(Counter)
            for p in mine:
                if p.target_id is not None:
                    quantities[p.target_id]["pledged"] += p.quantity
                    quantities[p.target_id]["received"] += p.quantity * (p.status == "received")
            assert {t: (q.pledged, q.received) for t, q in row.items.items()} == {
                t: (q["pledged"], q["received"]) for t, q in quantities.items()}
        assert report.total.units == sum(r.units for r in report.rows)
        assert report.total.money_received == sum(r.money_received for r in report.rows)
    areas_db.call(check)
