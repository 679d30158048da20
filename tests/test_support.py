"""Support given: không trùng (the duplicate warning), không sót (the never-helped list),
corrections that supersede, houses that move from started to finished, and the public sums."""

from datetime import date, timedelta

import pytest
from sqlmodel import select

from models.areas import by_code
from models.campaigns import CampaignDraft, create_campaign
from models.households import Household, import_households, parse_households_csv
from models.support import (
    Status,
    Support,
    SupportDraft,
    correct_support,
    doubles_if_corrected,
    given_by_area,
    given_by_day,
    given_total,
    house_progress,
    never_helped,
    record_support,
    support_campaigns,
    trail,
)
from models.users import AccessDenied, Role, actor_for, ensure_user, grant

ADMINS = frozenset({1})
DAY = date(2026, 12, 2)
CSV = """code,name,area_code,category
H1,Nguyễn Văn Thử,28042-A1,nghèo
H2,Trần Thị Mẫu,28042-A1,cận nghèo
H3,Lê Văn Ví Dụ,28042-A2,nghèo
H4,Phạm Thị Khác Xã,28039,nghèo
"""


def actor(s, user_id):
    return actor_for(s, ensure_user(s, user_id)[0], ADMINS)


def hh(s, code):
    return s.exec(select(Household).where(Household.code == code)).one().id


def campaign(s, name="Vì người nghèo 2026", area="804", houses=7):
    return create_campaign(s, actor(s, 1), CampaignDraft(
        name=name, description="", starts_on=date(2026, 11, 1), ends_on=date(2026, 12, 31),
        area_id=by_code(s, area).id, money_target=10**9,
        targets=[("Nhà Đại đoàn kết", houses)] if houses else [])).id


def give(s, who, campaign_id, code, kind="money", value=1_000_000, day=DAY, **more):
    return record_support(s, actor(s, who), SupportDraft(
        campaign_id, kind, value, day, household_id=hh(s, code), **more), day)


@pytest.fixture
def ledger(areas_db):
    def seed(s):
        import_households(s, parse_households_csv(CSV))
        grant(s, 50, Role.OFFICER, "28042")  # Tân Thành
        grant(s, 51, Role.OFFICER, "28039")  # Long Thạnh
        return campaign(s)
    return areas_db, areas_db.call(seed)


def test_a_commune_officer_gives_from_the_district_drive_in_their_commune(ledger):
    db, cid = ledger

    def check(s):
        assert [c.id for c in support_campaigns(s, actor(s, 50))] == [cid]
        assert support_campaigns(s, actor(s, 60)) == []  # a citizen
        assert give(s, 50, cid, "H1").support.area_id == by_code(s, "28042-A1").id
        with pytest.raises(AccessDenied):  # a household of another commune
            give(s, 50, cid, "H4")
        own = campaign(s, "Xã Long Thạnh", "28039", 0)
        with pytest.raises(AccessDenied):  # another commune's campaign
            give(s, 50, own, "H1", kind="goods")
    db.call(check)


def test_the_same_kind_from_the_same_campaign_is_asked_about(ledger):
    db, cid = ledger

    def check(s):
        first = give(s, 50, cid, "H1").support
        again = give(s, 50, cid, "H1", value=500_000)
        assert again.support is None and [e.id for e in again.earlier] == [first.id]
        assert give(s, 50, cid, "H1", kind="goods").support is not None  # another kind
        forced = record_support(s, actor(s, 50), SupportDraft(
            cid, "money", 500_000, DAY, household_id=hh(s, "H1")), DAY, force=True)
        assert forced.support is not None
        assert len(s.exec(select(Support).where(Support.kind == "money")).all()) == 2
    db.call(check)


def test_within_the_period_from_any_campaign(ledger):
    db, cid = ledger

    def check(s):
        other = campaign(s, "Tết 2027")
        give(s, 50, cid, "H2", kind="scholarship", day=DAY - timedelta(days=100))

        def draft(day):
            return SupportDraft(other, "scholarship", 1, day, household_id=hh(s, "H2"))
        assert record_support(s, actor(s, 50), draft(DAY), DAY, 365).earlier
        assert record_support(s, actor(s, 50), draft(DAY), DAY, 30).support is not None
    db.call(check)


def test_never_helped_lists_those_with_nothing_from_the_campaign(ledger):
    db, cid = ledger

    def check(s):
        commune = by_code(s, "28042").id
        give(s, 50, cid, "H1")
        found, total = never_helped(s, actor(s, 50), cid, commune)
        assert total == 2 and [h.id for h in found] == [hh(s, "H2"), hh(s, "H3")]
        assert never_helped(s, actor(s, 50), cid, by_code(s, "28042-A2").id)[1] == 1
        with pytest.raises(AccessDenied):
            never_helped(s, actor(s, 51), cid, commune)
        # a record withdrawn as a mistake: the household is back on the list
        withdrawn = correct_support(s, actor(s, 50), give(s, 50, cid, "H3").support.id,
                                    withdraw=True)
        assert withdrawn.status == Status.WITHDRAWN
        assert never_helped(s, actor(s, 50), cid, commune)[1] == 2
    db.call(check)


def test_a_correction_supersedes_and_only_the_latest_counts(ledger):
    db, cid = ledger

    def check(s):
        first = give(s, 50, cid, "H1", value=1_000_000).support
        fixed = correct_support(s, actor(s, 50), first.id, value=1_500_000, note="sửa số")
        assert fixed.supersedes_id == first.id
        with pytest.raises(LookupError):  # the old entry cannot be corrected again
            correct_support(s, actor(s, 50), first.id, value=9)
        with pytest.raises(AccessDenied):
            correct_support(s, actor(s, 51), fixed.id, value=9)
        assert [e.value for e in trail(s, actor(s, 50), first.id)] == [1_000_000, 1_500_000]
        assert [e.status for e in trail(s, actor(s, 50), fixed.id)] == ["superseded",
                                                                         "current"]
        assert given_total(s, cid) == (1, 1_500_000)
    db.call(check)


def test_houses_move_from_started_to_finished_with_photos(ledger):
    db, cid = ledger

    def check(s):
        a = give(s, 50, cid, "H1", kind="house", value=60_000_000).support
        give(s, 50, cid, "H2", kind="house", value=60_000_000)
        assert a.stage == "started" and a.target_id is not None
        (progress,) = house_progress(s, cid)
        assert (progress.quantity, progress.started, progress.finished) == (7, 2, 0)
        correct_support(s, actor(s, 50), a.id, stage="finished", file_id="PHOTO-1",
                        file_kind="photo")
        (progress,) = house_progress(s, cid)
        assert (progress.started, progress.finished, progress.photos) == (1, 1, ("PHOTO-1",))
    db.call(check)


def test_a_kind_corrected_warns_of_doubles_and_a_new_house_counts(ledger):
    db, cid = ledger

    def check(s):
        money = give(s, 50, cid, "H1").support.id
        give(s, 50, cid, "H1", kind="goods", value=200_000)
        officer = actor(s, 50)
        assert doubles_if_corrected(s, officer, money, "money", DAY) == []  # the kind stays
        assert [e.value for e in doubles_if_corrected(s, officer, money, "goods", DAY)] == \
            [200_000]
        assert doubles_if_corrected(s, officer, money, "house", DAY) == []
        correct_support(s, officer, money, kind="house", stage="finished")
        (progress,) = house_progress(s, cid)
        assert (progress.started, progress.finished) == (0, 1)
        with pytest.raises(AccessDenied):  # another commune's officer
            doubles_if_corrected(s, actor(s, 51), money, "goods", DAY)
    db.call(check)


def test_area_level_causes_and_public_sums_equal_the_records(ledger):
    db, cid = ledger

    def check(s):
        give(s, 50, cid, "H1", value=1_000_000)
        give(s, 50, cid, "H3", value=2_000_000, day=DAY + timedelta(days=1))
        record_support(s, actor(s, 50), SupportDraft(
            cid, "other", 5_000_000, DAY, area_id=by_code(s, "28042").id,
            cause="Sửa cầu khỉ ấp 3"), DAY)
        with pytest.raises(ValueError):
            record_support(s, actor(s, 50), SupportDraft(
                cid, "other", 1, DAY, area_id=by_code(s, "28042").id, cause=" "), DAY)
        by_area = given_by_area(s, cid)
        assert by_area == {by_code(s, "28042-A1").id: (1, 1_000_000),
                           by_code(s, "28042-A2").id: (1, 2_000_000),
                           by_code(s, "28042").id: (1, 5_000_000)}
        records = s.exec(select(Support).where(Support.status == Status.CURRENT)).all()
        assert sum(v for _n, v in by_area.values()) == sum(r.value for r in records)
        assert given_by_day(s, cid) == {DAY: (2, 6_000_000),
                                        DAY + timedelta(days=1): (1, 2_000_000)}
        assert given_total(s, cid) == (3, 8_000_000)
    db.call(check)


# ---- in chat --------------------------------------------------------------------------------

def test_every_step_back_leads_to_a_question():
    from handlers.support import ASKERS, BACK_TO

    assert set(BACK_TO.values()) <= set(ASKERS)


async def test_support_in_chat_warns_of_a_double_and_steps_back(loa):
    cid = loa.db.call(lambda s: (import_households(s, parse_households_csv(CSV)),
                                 grant(s, 700, Role.OFFICER, "28042"), campaign(s))[-1])
    await loa.onboard(700, name="Tím", lang="en")
    await loa.onboard(701, name="Dân", lang="en")
    assert (await loa.send(701, "/support")).plain == \
        "Only officers record support and keep the household list of their area."
    asked = await loa.send(700, "🎁 Support")
    assert asked.buttons()[-1] == ["✖ Cancel"]
    menu = await loa.tap(700, asked.buttons()[0][0])
    assert "Vì người nghèo 2026" in menu.plain
    chooser = await loa.tap(700, "➕ Record support given")
    labels = [row[0] for row in chooser.buttons()]
    assert "Nguyễn Văn Thử · Ấp 1, Tân Thành" in labels
    assert not any("Khác Xã" in text for text in labels)  # another commune's household
    loa.emu.press(700, f"su:h:{loa.db.call(hh, 'H4')}")  # forged: not this officer's
    assert (await loa.next(700)).plain == "This is outside your area."
    found = await loa.send(700, "thu")
    assert found.buttons()[0] == ["Nguyễn Văn Thử · Ấp 1, Tân Thành"]
    await loa.tap(700, "Nguyễn Văn Thử · Ấp 1, Tân Thành")
    await loa.tap(700, "💵 Money")
    assert (await loa.send(700, "2tr")).plain.startswith("When was it given?")
    back = await loa.tap(700, "⬅ Back")  # to the value again, the household kept
    assert back.plain.startswith("What was it worth")
    await loa.send(700, "2tr")
    await loa.send(700, "1/12/2026")
    loa.emu.send_photo(700, b"\xff\xd8 handover")
    await loa.next(700)
    check = await loa.tap(700, "Skip")  # no note
    assert "To: Nguyễn Văn Thử · Ấp 1, Tân Thành" in check.plain
    assert "Worth: ₫2,000,000" in check.plain and "handover record attached" in check.plain
    assert (await loa.tap(700, "⬅ Back")).plain.startswith("A note, if any")
    check = await loa.tap(700, "Skip")
    done = await loa.tap(700, "✅ Record")
    assert done.plain.startswith("✅ Recorded (#")

    await loa.tap(700, "➕ Record support given")
    await loa.send(700, "thu")
    await loa.tap(700, "Nguyễn Văn Thử · Ấp 1, Tân Thành")
    await loa.tap(700, "💵 Money")
    await loa.send(700, "500k")
    await loa.tap(700, "📅 Today, " + loa.emu.last(700).buttons()[0][0].split(", ", 1)[1])
    await loa.tap(700, "Skip")
    await loa.tap(700, "Skip")
    warned = await loa.tap(700, "✅ Record")
    assert "already got 💵 Money" in warned.plain
    assert "1 Dec 2026 · ₫2,000,000 · Vì người nghèo 2026" in warned.plain
    assert warned.buttons()[-1] == ["⬅ Back", "✖ Cancel"]
    again = await loa.tap(700, "⬅ Back")
    assert again.plain.startswith("Check before recording")
    await loa.tap(700, "✅ Record")
    await loa.tap(700, "✖ Cancel")  # the question loses its buttons, then:
    assert (await loa.next(700)).plain == "Cancelled: recording support (nothing was recorded)."
    assert loa.db.call(lambda s: given_total(s, cid)) == (1, 2_000_000)

    await loa.send(700, "/support")
    await loa.tap(700, loa.emu.last(700).buttons()[0][0])
    await loa.tap(700, "🔎 Not helped yet")
    gaps = await loa.tap(700, "✅ All of Tân Thành (xã)")
    assert "Not helped yet" in gaps.plain and "2 households" in gaps.plain
    assert "Trần Thị Mẫu" in gaps.plain and "Nguyễn Văn Thử" not in gaps.plain


async def test_officers_add_correct_and_erase_a_household_in_chat(loa):
    loa.db.call(lambda s: (import_households(s, parse_households_csv(CSV)),
                           grant(s, 700, Role.OFFICER, "28042"), campaign(s)))
    await loa.onboard(700, name="Tím", lang="en")
    await loa.send(700, "/support")
    await loa.tap(700, loa.emu.last(700).buttons()[0][0])
    await loa.tap(700, "🏠 Households: add or correct")
    await loa.tap(700, "➕ Add a household")
    assert (await loa.send(700, " ")).plain.startswith("A name of 1 to 200 characters")
    await loa.send(700, "Hộ Mới Thêm")
    await loa.send(700, "ấp 4")
    await loa.tap(700, "Ấp 4, Tân Thành, Thủ Thừa")
    await loa.tap(700, "in hardship (khó khăn)")
    assert "not a whole number" in (await loa.send(700, "nhiều")).plain
    saved = await loa.send(700, "3")
    assert "✅ Saved: household 28042-A4.1." in saved.plain
    added = loa.db.call(lambda s: s.exec(select(Household).where(
        Household.code == "28042-A4.1")).one())
    assert (added.name, added.category, added.members) == ("Hộ Mới Thêm", "hardship", 3)

    await loa.tap(700, "🏠 Households: add or correct")
    await loa.send(700, "moi them")
    card = await loa.tap(700, "Hộ Mới Thêm · Ấp 4, Tân Thành")
    assert "Category: in hardship (khó khăn)" in card.plain and "Members: 3" in card.plain
    await loa.tap(700, "✏ Correct")
    await loa.send(700, "Hộ Đã Sửa")
    await loa.send(700, "ấp 4")
    await loa.tap(700, "Ấp 4, Tân Thành, Thủ Thừa")
    await loa.tap(700, "poor (nghèo)")
    await loa.tap(700, "Skip")
    fixed = loa.db.call(lambda s: s.get(Household, added.id))
    assert (fixed.name, fixed.category, fixed.members) == ("Hộ Đã Sửa", "poor", None)

    await loa.tap(700, "🏠 Households: add or correct")
    await loa.send(700, "da sua")
    await loa.tap(700, "Hộ Đã Sửa · Ấp 4, Tân Thành")
    await loa.tap(700, "🗑 Erase personal data")
    erased = await loa.tap(700, "🗑 Yes, erase")
    assert "personal data was erased" in erased.plain
    assert loa.db.call(lambda s: s.get(Household, added.id)).name == ""


async def test_a_house_is_finished_and_a_record_corrected_in_chat(loa):
    cid = loa.db.call(lambda s: (import_households(s, parse_households_csv(CSV)),
                                 grant(s, 700, Role.OFFICER, "28042"), campaign(s))[-1])
    house = loa.db.call(lambda s: give(s, 700, cid, "H1", kind="house", value=60_000_000)
                        .support.id)
    other = loa.db.call(lambda s: give(s, 1, cid, "H4").support.id)  # in Long Thạnh
    await loa.onboard(700, name="Tím", lang="en")
    await loa.send(700, "/support")
    await loa.tap(700, loa.emu.last(700).buttons()[0][0])
    listed = await loa.tap(700, "📋 Recorded: correct, withdraw, finish a house")
    assert listed.buttons()[0] == ["2 Dec 2026 · Nguyễn Văn Thử · ₫60,000,000"]
    loa.emu.press(700, f"su:r:{other}")  # forged: another commune's record
    assert (await loa.next(700)).plain == "This is outside your area."
    await loa.send(700, "/support")
    await loa.tap(700, loa.emu.last(700).buttons()[0][0])
    await loa.tap(700, "📋 Recorded: correct, withdraw, finish a house")
    entry = await loa.tap(700, "2 Dec 2026 · Nguyễn Văn Thử · ₫60,000,000")
    assert "What: 🏠 Great Solidarity house (🏗 Being built)" in entry.plain
    await loa.tap(700, "🏠 Mark the house finished")
    loa.emu.send_photo(700, b"\xff\xd8 house")
    assert "the old one stays in the history" in (await loa.next(700)).plain
    (progress,) = loa.db.call(house_progress, cid)
    assert (progress.started, progress.finished, len(progress.photos)) == (0, 1, 1)

    await loa.tap(700, "📋 Recorded: correct, withdraw, finish a house")
    entry = await loa.tap(700, "2 Dec 2026 · Nguyễn Văn Thử · ₫60,000,000")
    assert f"Replaces:\n• #{house} · 🏠 Great Solidarity house (🏗 Being built) · ₫60,000,000" \
        in entry.plain
    await loa.tap(700, "✏ Correct the value")
    asked = await loa.send(700, "55tr")
    assert "Change the value from ₫60,000,000 to ₫55,000,000?" in asked.plain
    await loa.tap(700, "✅ Yes, change it")
    assert [e.value for e in loa.db.call(lambda s: trail(s, actor(s, 700), house))] == \
        [60_000_000, 60_000_000, 55_000_000]
    await loa.tap(700, "📋 Recorded: correct, withdraw, finish a house")
    await loa.tap(700, "2 Dec 2026 · Nguyễn Văn Thử · ₫55,000,000")
    await loa.tap(700, "↩ Withdraw: recorded by mistake")
    assert "↩ Withdrawn." in (await loa.tap(700, "↩ Yes, withdraw it")).plain
    assert loa.db.call(given_total, cid) == (1, 1_000_000)  # Long Thạnh's only


async def _open_entry(loa, user_id, label):
    await loa.send(user_id, "/support")
    await loa.tap(user_id, loa.emu.last(user_id).buttons()[0][0])
    await loa.tap(user_id, "📋 Recorded: correct, withdraw, finish a house")
    return await loa.tap(user_id, label)


async def test_date_kind_note_and_file_are_corrected_by_new_entries_in_chat(loa):
    cid = loa.db.call(lambda s: (import_households(s, parse_households_csv(CSV)),
                                 grant(s, 700, Role.OFFICER, "28042"), campaign(s))[-1])
    first = loa.db.call(lambda s: give(s, 700, cid, "H1", note="Trao tại nhà").support.id)
    loa.db.call(lambda s: give(s, 700, cid, "H1", kind="goods", value=300_000,
                               day=DAY - timedelta(days=1)))
    await loa.onboard(700, name="Tím", lang="en")
    label = "2 Dec 2026 · Nguyễn Văn Thử · ₫1,000,000"

    await _open_entry(loa, 700, label)
    await loa.tap(700, "📅 Correct the date")
    assert "not a date I can read" in (await loa.send(700, "mai mốt")).plain
    asked = await loa.send(700, "30/11/2026")
    assert "Change the date given from 2 Dec 2026 to 30 Nov 2026?" in asked.plain
    assert (await loa.tap(700, "⬅ Back")).plain.startswith("When was it given?")
    await loa.send(700, "30/11/2026")
    await loa.tap(700, "✅ Yes, change it")
    loa.emu.press(700, "su:fx:ok")  # a double tap: one new entry only
    assert (await loa.next(700)).plain == "This button has expired."

    label = "30 Nov 2026 · Nguyễn Văn Thử · ₫1,000,000"
    await _open_entry(loa, 700, label)
    await loa.tap(700, "🏷 Correct what was given")
    asked = await loa.tap(700, "📦 Goods")
    assert "Change what was given from 💵 Money to 📦 Goods?" in asked.plain
    warned = await loa.tap(700, "✅ Yes, change it")
    assert "Nguyễn Văn Thử already got 📦 Goods:" in warned.plain
    assert "1 Dec 2026 · ₫300,000 · Vì người nghèo 2026" in warned.plain
    assert (await loa.tap(700, "⬅ Back")).plain.endswith("to 📦 Goods?")
    await loa.tap(700, "✅ Yes, change it")
    assert "✅ Corrected" in (await loa.tap(700, "✅ Change anyway")).plain

    await _open_entry(loa, 700, label)
    await loa.tap(700, "📝 Correct the note")
    assert "at most 500" in (await loa.send(700, "x" * 501)).plain
    asked = await loa.send(700, "Trao tại nhà văn hóa ấp")
    assert "from “Trao tại nhà” to “Trao tại nhà văn hóa ấp”?" in asked.plain
    await loa.tap(700, "✅ Yes, change it")

    await _open_entry(loa, 700, label)
    await loa.tap(700, "📎 Replace the handover file")
    assert "Send a photo or a document" in (await loa.send(700, "ảnh đây")).plain
    loa.emu.send_photo(700, b"\xff\xd8 signed")
    asked = await loa.next(700)
    assert "Change the handover file from nothing to a photo?" in asked.plain
    await loa.tap(700, "✅ Yes, change it")

    chain = loa.db.call(lambda s: trail(s, actor(s, 700), first))
    assert [(e.given_on, e.kind, e.note, e.file_kind, e.status) for e in chain] == [
        (DAY, "money", "Trao tại nhà", None, "superseded"),
        (date(2026, 11, 30), "money", "Trao tại nhà", None, "superseded"),
        (date(2026, 11, 30), "goods", "Trao tại nhà", None, "superseded"),
        (date(2026, 11, 30), "goods", "Trao tại nhà văn hóa ấp", None, "superseded"),
        (date(2026, 11, 30), "goods", "Trao tại nhà văn hóa ấp", "photo", "current")]
    assert loa.db.call(given_total, cid) == (2, 1_300_000)


async def test_a_stale_correction_is_refused_after_another_officer_corrected(loa):
    cid = loa.db.call(lambda s: (import_households(s, parse_households_csv(CSV)),
                                 grant(s, 700, Role.OFFICER, "28042"),
                                 grant(s, 702, Role.OFFICER, "28042"), campaign(s))[-1])
    house = loa.db.call(lambda s: give(s, 700, cid, "H1", kind="house", value=60_000_000)
                        .support.id)
    for user_id in (700, 702):
        await loa.onboard(user_id, name="Cán bộ", lang="en")
    label = "2 Dec 2026 · Nguyễn Văn Thử · ₫60,000,000"
    await _open_entry(loa, 700, label)
    await loa.tap(700, "🏗 Correct the stage")
    asked = await loa.tap(700, "🏠 Finished")
    assert "from 🏠 Great Solidarity house (🏗 Being built) to 🏠 Great Solidarity house " \
        "(🏠 Finished)?" in asked.plain
    await _open_entry(loa, 702, label)  # the other officer, meanwhile
    await loa.tap(702, "✏ Correct the value")
    await loa.send(702, "55tr")
    await loa.tap(702, "✅ Yes, change it")
    stale = await loa.tap(700, "✅ Yes, change it")
    assert stale.plain.startswith("This record was corrected or withdrawn in the meantime.")
    loa.emu.press(702, "su:f:date")  # a button of the screen before
    assert (await loa.next(702)).plain == "This button has expired."
    chain = loa.db.call(lambda s: trail(s, actor(s, 700), house))
    assert [(e.value, e.stage, e.status) for e in chain] == [
        (60_000_000, "started", "superseded"), (55_000_000, "started", "current")]


async def test_support_speaks_vietnamese(loa):
    loa.db.call(lambda s: (grant(s, 700, Role.OFFICER, "28042"), campaign(s)))
    await loa.onboard(700, name="Tím", lang="vi")
    asked = await loa.send(700, "🎁 Trao hỗ trợ")
    assert asked.plain == "Trao hỗ trợ\nTừ quỹ của cuộc vận động nào?"
    menu = await loa.tap(700, asked.buttons()[0][0])
    assert menu.buttons()[:4] == [["➕ Ghi nhận hỗ trợ đã trao"], ["🔎 Hộ chưa được hỗ trợ"],
                                  ["📋 Đã ghi: sửa, rút lại, báo nhà xây xong"],
                                  ["🏠 Danh sách hộ: thêm hoặc sửa"]]
    chooser = await loa.tap(700, "➕ Ghi nhận hỗ trợ đã trao")
    assert "chưa có hộ nào" in chooser.plain
    assert (await loa.send(700, "hủy")).plain == "Đã hủy: việc ghi nhận hỗ trợ (chưa ghi gì)."


async def test_a_correction_speaks_vietnamese(loa):
    cid = loa.db.call(lambda s: (import_households(s, parse_households_csv(CSV)),
                                 grant(s, 700, Role.OFFICER, "28042"), campaign(s))[-1])
    loa.db.call(lambda s: give(s, 700, cid, "H1"))
    await loa.onboard(700, name="Tím", lang="vi")
    await loa.send(700, "/support")
    await loa.tap(700, loa.emu.last(700).buttons()[0][0])
    listed = await loa.tap(700, "📋 Đã ghi: sửa, rút lại, báo nhà xây xong")
    entry = await loa.tap(700, listed.buttons()[0][0])
    assert ["📎 Thay biên bản bàn giao"] in entry.buttons()
    await loa.tap(700, "📝 Sửa ghi chú")
    asked = await loa.send(700, "Trao tại nhà")
    assert "Đổi ghi chú từ không có ghi chú thành “Trao tại nhà”?" in asked.plain
    assert asked.buttons()[0] == ["✅ Có, đổi"]


async def test_every_campaign_to_give_from_is_reachable_however_many(loa):
    loa.db.call(lambda s: (grant(s, 700, Role.OFFICER, "28042"),
                           [campaign(s, f"Đợt {n:02d}", area="28042", houses=0)
                            for n in range(25)]))
    await loa.onboard(700, name="Tím", lang="en")
    shown = await loa.send(700, "/support")
    seen = set()
    while True:
        seen |= {row[0] for row in shown.buttons() if "·" in row[0]}
        assert shown.buttons()[-2] == ["✖ Cancel"]  # a way out on every page
        if "▶" not in shown.buttons()[-1]:
            break
        shown = await loa.tap(700, "▶")
    assert len(seen) == 25  # the campaigns past the twentieth were not offered before
