"""Campaign and pledge rules without Telegram: permissions, references, no double counting,
totals rolled up a three-level tree, the audit trail, erasure."""

from datetime import UTC, date, datetime, timedelta

import pytest

from models.areas import by_code
from models.campaigns import (
    CampaignDraft,
    create_campaign,
    open_campaigns,
    parse_targets,
    update_campaign,
)
from models.dates import InputProblem, parse_period
from models.figures import totals
from models.pledges import (
    PledgeDraft,
    PledgeFilter,
    history,
    mark_received,
    officer_pledges,
    register_pledge,
    reject_pledge,
    similar_pledge,
)
from models.privacy import erase_person
from models.users import AccessDenied, Role, actor_for, ensure_user, get_user, grant, update_user

NOW = datetime(2023, 10, 20, 3, 0, tzinfo=UTC)
TODAY = date(2023, 10, 20)


def actor(s, user_id):
    return actor_for(s, ensure_user(s, user_id)[0], frozenset({1}))


def draft(s, code="804", name="Tháng cao điểm 2023", **kw):
    return CampaignDraft(name=name, description="Thư ngỏ", starts_on=date(2023, 10, 17),
                         ends_on=date(2023, 11, 18), area_id=by_code(s, code).id,
                         money_target=500_000_000, targets=[("Nhà Đại đoàn kết", 7)], **kw)


def citizen(s, user_id, area_code=None):
    user = ensure_user(s, user_id, f"Người {user_id}")[0]
    return update_user(s, user, area_id=by_code(s, area_code).id if area_code else None)


def pledge(s, user, campaign, amount, token, kind="individual", public=True):
    return register_pledge(s, user, PledgeDraft(campaign.id, kind, user.name, "money", amount,
                                                public), token, NOW, TODAY)[0]


def test_periods_and_targets_as_officers_type_them():
    assert parse_period("17/10/2023 - 18/11/2023", TODAY) == (date(2023, 10, 17),
                                                                date(2023, 11, 18))
    assert parse_period("17/10/23 đến 18/11/23", TODAY) == (date(2023, 10, 17),
                                                              date(2023, 11, 18))
    assert parse_period("1.1.2024 – 31.1.2024", TODAY) == (date(2024, 1, 1), date(2024, 1, 31))
    assert parse_targets("Nhà Đại đoàn kết: 7\nBò giống = 10") == [("Nhà Đại đoàn kết", 7),
                                                                    ("Bò giống", 10)]
    assert parse_targets("Nhà Đại đoàn kết: 7; Bò giống: 10") == [("Nhà Đại đoàn kết", 7),
                                                                  ("Bò giống", 10)]
    for bad in ("18/11/2023 - 17/10/2023", "31/02/2024 - 1/3/2024", "tomorrow", "17/10/2023"):
        with pytest.raises(InputProblem):
            parse_period(bad, TODAY)
    for bad in ("houses", "houses: 0", "houses: many"):
        with pytest.raises(InputProblem):
            parse_targets(bad)


def test_only_officers_in_scope_open_and_change_campaigns(areas_db):
    areas_db.call(grant, 10, Role.OFFICER, "804")
    areas_db.call(grant, 11, Role.OFFICER, "28054")

    def check(s):
        first = create_campaign(s, actor(s, 10), draft(s))
        second = create_campaign(s, actor(s, 10), draft(s, name="Đợt 2"))
        lo_ku = create_campaign(s, actor(s, 1), draft(s, code="23656"))
        assert (first.ref_prefix, second.ref_prefix, lo_ku.ref_prefix) == ("TT23", "TT23A",
                                                                           "LK23")
        for who, code in [(11, "804"), (11, "28042"), (20, "28054")]:
            with pytest.raises(AccessDenied):
                create_campaign(s, actor(s, who), draft(s, code=code))
        with pytest.raises(AccessDenied):
            update_campaign(s, actor(s, 11), first.id, status="closed")
        assert update_campaign(s, actor(s, 10), first.id, status="paused").status == "paused"
        assert [c.id for c in open_campaigns(s, by_code(s, "28042-A1"), TODAY)] == [second.id]
    areas_db.call(check)


def test_a_token_makes_one_pledge_and_references_count_up(areas_db):
    def check(s):
        campaign = create_campaign(s, actor(s, 1), draft(s))
        lan = citizen(s, 30, "28042-A1")
        first = pledge(s, lan, campaign, 500_000, "t1")
        again = pledge(s, lan, campaign, 500_000, "t1")
        assert again.id == first.id and first.reference == "TT23-0001"
        assert pledge(s, lan, campaign, 200_000, "t2").reference == "TT23-0002"
        d = PledgeDraft(campaign.id, "individual", "Lan", "money", 500_000, True)
        assert similar_pledge(s, 30, d, NOW + timedelta(hours=23)).id == first.id
        assert similar_pledge(s, 30, d, NOW + timedelta(hours=25)) is None
        assert first.area_id == by_code(s, "28042-A1").id
    areas_db.call(check)


def test_totals_roll_up_a_three_level_tree(areas_db):
    def check(s):
        campaign = create_campaign(s, actor(s, 1), draft(s))      # the district: 804
        hamlet = pledge(s, citizen(s, 31, "28042-A1"), campaign, 1_000_000, "a")   # Tân Thành
        pledge(s, citizen(s, 32, "28054"), campaign, 2_000_000, "b")               # Bình An
        pledge(s, citizen(s, 33, "28054-VK"), campaign, 3_000_000, "c", public=False)
        pledge(s, citizen(s, 34, None), campaign, 4_000_000, "d", kind="business")  # outsider
        pledge(s, citizen(s, 35, "23656"), campaign, 5_000_000, "e")  # another province
        mark_received(s, actor(s, 1), hamlet.id, 900_000, date(2023, 10, 21), NOW)
        result = totals(s, campaign.id)
        by = {area.code: (x.pledged, x.received, x.pledges) for area, x in result.by_area}
        assert by["804"] == (15_000_000, 900_000, 5)
        assert by["28042"] == by["28042-A1"] == (1_000_000, 900_000, 1)
        assert by["28054"] == (5_000_000, 0, 2)
        assert by["28054-VK"] == (3_000_000, 0, 1)
        assert [a.code for a, _ in result.by_area] == ["804", "28054", "28054-VK", "28042",
                                                      "28042-A1"]
        assert result.overall.pledged == 15_000_000 and result.overall.received == 900_000
        assert result.by_kind["business"].pledged == 4_000_000
        assert result.by_kind["individual"].pledges == 4
    areas_db.call(check)


def test_officers_see_and_change_only_their_areas_pledges(areas_db):
    areas_db.call(grant, 11, Role.OFFICER, "28054")      # Bình An
    areas_db.call(grant, 12, Role.OFFICER, "28042")      # Tân Thành

    def check(s):
        campaign = create_campaign(s, actor(s, 1), draft(s))
        ours = pledge(s, citizen(s, 31, "28054-VK"), campaign, 1_000_000, "a")
        theirs = pledge(s, citizen(s, 32, "28042-A1"), campaign, 2_000_000, "b")
        rows, total = officer_pledges(s, actor(s, 11), PledgeFilter(), 0, 10)
        assert [p.id for p in rows] == [ours.id] and total == 1
        with pytest.raises(AccessDenied):
            mark_received(s, actor(s, 11), theirs.id, 1, TODAY, NOW)
        with pytest.raises(AccessDenied):
            reject_pledge(s, actor(s, 11), theirs.id, "no", NOW)
        with pytest.raises(AccessDenied):
            officer_pledges(s, actor(s, 31), PledgeFilter(), 0, 10)
        reject_pledge(s, actor(s, 12), theirs.id, "trùng", NOW)
        received, changed = mark_received(s, actor(s, 11), ours.id, 800_000, TODAY, NOW)
        assert changed
        assert mark_received(s, actor(s, 11), ours.id, 800_000, TODAY, NOW) == (received, False)
        assert (received.status, received.received_amount) == ("received", 800_000)
        trail = history(s, ours.id)
        assert [c.action for c in trail] == ["created", "received"]
        assert trail[1].actor_id == 11 and trail[1].before["status"] == "registered"
        assert trail[1].after["received_amount"] == 800_000
        status_rows, _ = officer_pledges(s, actor(s, 1), PledgeFilter(status="rejected"), 0, 10)
        assert [p.id for p in status_rows] == [theirs.id]
    areas_db.call(check)


def test_erasing_a_person_keeps_their_gift_counted_without_their_name(areas_db):
    def setup(s):
        campaign = create_campaign(s, actor(s, 1), draft(s))
        return campaign.id, pledge(s, citizen(s, 40, "28042-A1"), campaign, 700_000, "z").id
    campaign_id, pledge_id = areas_db.call(setup)
    areas_db.call(erase_person, 40)

    def check(s):
        from models.pledges import Pledge
        kept = s.get(Pledge, pledge_id)
        assert (kept.user_id, kept.display_name, kept.public) == (None, "", False)
        assert all("display_name" not in (c.after or {}) for c in history(s, pledge_id))
        assert totals(s, campaign_id).overall.pledged == 700_000
        assert get_user(s, 40) is None
    areas_db.call(check)


def test_a_days_salary_is_a_persons_or_a_households_never_an_organisations(areas_db):
    def check(s):
        campaign = create_campaign(s, actor(s, 1), draft(s))
        lan = citizen(s, 31, "28042-A1")
        for who in ("individual", "household"):
            d = PledgeDraft(campaign.id, who, "Lan", "salary", 363_636, True)
            assert register_pledge(s, lan, d, f"s-{who}", NOW, TODAY)[1]
        for who in ("business", "agency", "organisation"):
            d = PledgeDraft(campaign.id, who, "Công ty Minh Phát", "salary", 363_636, True)
            with pytest.raises(ValueError, match="day's salary"):
                register_pledge(s, lan, d, f"s-{who}", NOW, TODAY)
    areas_db.call(check)
