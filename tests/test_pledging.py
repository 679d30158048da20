"""Campaigns and pledges end to end over the emulator, in both languages."""

import asyncio
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import select

from bot.app import build_application, serving
from bot.emulator import Emulator
from models.areas import by_code
from models.campaigns import Campaign, CampaignDraft, create_campaign
from models.dialogs import Dialog, get_dialog
from models.outbox import Delivery
from models.pledges import (
    Pledge,
    PledgeChange,
    PledgeDraft,
    TooManyOpen,
    mark_received,
    register_pledge,
)
from models.users import Role, actor_for, get_user, grant, update_user
from tests.conftest import ADMIN, TOKEN, loa_config


def open_campaign(loa, code="804", targets=(("Nhà Đại đoàn kết", 7),), name="Vì người nghèo"):
    def make(s):
        admin = actor_for(s, get_user(s, ADMIN) or _admin(s), frozenset({ADMIN}))
        today = date.today()
        return create_campaign(s, admin, CampaignDraft(
            name=name, description="Kính gửi bà con: chung tay vì người nghèo.",
            starts_on=today - timedelta(days=3), ends_on=today + timedelta(days=29),
            area_id=by_code(s, code).id, money_target=500_000_000, targets=list(targets)))
    return loa.db.call(make)


def _admin(s):
    from models.users import ensure_user
    return ensure_user(s, ADMIN)[0]


async def eventually(condition, timeout=5.0):
    """What the database says once a background step (the dispatcher) has caught up."""
    for _ in range(int(timeout / 0.02)):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition never held")


def pledges(loa):
    return loa.db.call(lambda s: list(s.exec(select(Pledge).order_by(Pledge.id))))


def receive_all(loa):
    """The office marks every registered pledge received, as pledged, today."""
    def receive(s):
        admin = actor_for(s, get_user(s, ADMIN) or _admin(s), frozenset({ADMIN}))
        for pledge in s.exec(select(Pledge).where(Pledge.status == "registered")).all():
            mark_received(s, admin, pledge.id, pledge.amount, date.today(),
                          datetime.now(UTC))
    loa.db.call(receive)


async def start_pledge(loa, user_id, lang="en"):
    """From /pledge to the 'what' question, as an individual under the Telegram name."""
    await loa.send(user_id, "/pledge")
    who = "Individual" if lang == "en" else "Cá nhân"
    await loa.tap(user_id, who)
    use = next(b for row in loa.emu.last(user_id).buttons() for b in row)
    return await loa.tap(user_id, use)


async def test_a_citizen_pledges_money_in_vietnamese_and_gets_a_receipt_with_vietqr(loa):
    campaign = open_campaign(loa)
    await loa.onboard(301, name="Lan", lang="vi")
    cards = await loa.send(301, "/campaigns")
    assert "Vì người nghèo" in cards.plain and "Kính gửi bà con" in cards.plain
    assert "Đã đăng ký ủng hộ 0\xa0₫ / chỉ tiêu 500.000.000\xa0₫ (0%)" in cards.plain
    assert "🏠 Nhà Đại đoàn kết: đã đăng ký 0/7" in cards.plain
    assert cards.buttons() == [["🤝 Đăng ký ủng hộ"]]
    who = await loa.tap(301, "🤝 Đăng ký ủng hộ")
    assert who.plain == "Bạn đăng ký ủng hộ với tư cách nào?"
    await loa.tap(301, "Cá nhân")
    what = await loa.tap(301, "Dùng tên “Lan”")
    assert what.plain == "Bạn ủng hộ bằng hình thức nào?"
    await loa.tap(301, "💵 Tiền")
    bad = await loa.send(301, "nhiều lắm")
    assert "không đọc được số tiền" in bad.plain and "500.000" in bad.plain and "1tr2" in bad.plain
    public = await loa.send(301, "1tr2")
    assert "bảng vàng" in public.plain
    confirm = await loa.tap(301, "Có, ghi tên tôi")
    assert "Khoản ủng hộ: 1.200.000\xa0₫" in confirm.plain
    assert confirm.buttons() == [["✅ Xác nhận", "✏ Sửa", "✖ Hủy"]]
    receipt = await loa.tap(301, "✅ Xác nhận")
    assert "TT" in receipt.plain and "-0001" in receipt.plain and "1.200.000\xa0₫" in receipt.plain
    qr = await loa.next(301)
    assert qr.method == "sendPhoto" and qr.photo and "-0001" in qr.plain
    assert "1031933430" in qr.plain
    [saved] = pledges(loa)
    assert (saved.amount, saved.kind, saved.public, saved.display_name) == (
        1_200_000, "money", True, "Lan")
    assert saved.reference == f"{campaign.ref_prefix}-0001"
    assert saved.area_id == loa.db.call(by_code, "28042-A1").id


async def test_confirm_twice_and_a_retried_update_make_one_pledge(loa):
    open_campaign(loa)
    await loa.onboard(302, lang="en")
    await start_pledge(loa, 302)
    await loa.tap(302, "💵 Money")
    await loa.send(302, "500k")
    confirm = await loa.tap(302, "No, stay anonymous")
    token_data = loa.emu.last(302).inline_keyboard[0][0]["callback_data"]
    loa.emu.press(302, token_data, confirm.message_id)
    loa.emu.press(302, token_data, confirm.message_id)   # a double tap
    first = await loa.next(302)
    assert "is registered: ₫500,000" in first.plain
    await loa.next(302)                                  # the VietQR photo
    again = await loa.next(302)
    assert again.plain.startswith("This pledge is already saved as ")
    loa.emu.press(302, token_data, confirm.message_id)   # the same update, delivered again
    assert (await loa.next(302)).plain.startswith("This pledge is already saved as ")
    assert len(pledges(loa)) == 1


async def test_the_same_pledge_again_within_a_day_asks_first(loa):
    open_campaign(loa)
    await loa.onboard(303, lang="en")
    for round_ in range(2):
        await start_pledge(loa, 303)
        await loa.tap(303, "💵 Money")
        await loa.send(303, "200.000đ")
        await loa.tap(303, "Yes, show my name")
        answer = await loa.tap(303, "✅ Confirm")
        if round_ == 0:
            await loa.next(303)  # QR
    assert answer.plain.startswith("You already pledged ₫200,000 to this campaign today")
    assert len(pledges(loa)) == 1
    added = await loa.tap(303, "Yes, add another")
    assert "-0002" in added.plain
    assert len(pledges(loa)) == 2


async def test_in_kind_toward_a_target_and_a_days_salary(loa):
    open_campaign(loa)
    await loa.onboard(304, lang="en")
    await loa.send(304, "/pledge")
    await loa.tap(304, "Business")
    typed = await loa.send(304, "Công ty <Phú Mỹ>")
    assert typed.plain == "What do you pledge?"
    assert typed.buttons() == [["💵 Money", "📦 In kind"], ["⬅ Back", "✖ Cancel"]]  # no salary
    target = await loa.tap(304, "📦 In kind")
    assert target.buttons() == [["Nhà Đại đoàn kết"], ["Other goods"], ["⬅ Back", "✖ Cancel"]]
    await loa.tap(304, "Nhà Đại đoàn kết")
    assert "not a whole number" in (await loa.send(304, "two")).plain
    await loa.send(304, "2")
    await loa.send(304, "100 triệu")
    confirm = await loa.tap(304, "Yes, show my name")
    assert "From: Công ty <Phú Mỹ> (business)" in confirm.plain
    assert "2 × Nhà Đại đoàn kết, worth about ₫100,000,000" in confirm.plain
    receipt = await loa.tap(304, "✅ Confirm")
    assert "registered" in receipt.plain
    assert "An officer will contact you about when and where to hand it over" in receipt.plain
    offer = await loa.next(304)                           # in kind: no QR code to pay, but
    assert "Share your phone number so an officer can call you" in offer.plain
    assert offer.reply_markup["keyboard"][0][0]["request_contact"] is True

    await start_pledge(loa, 304)
    await loa.tap(304, "📅 One day's salary")
    await loa.send(304, "11 triệu")
    confirm = await loa.tap(304, "No, stay anonymous")
    assert "one day's salary: ₫500,000 (₫11,000,000 a month ÷ 22)" in confirm.plain
    await loa.tap(304, "✅ Confirm")
    await loa.next(304)                                   # its QR code
    houses, salary = pledges(loa)
    assert (houses.kind, houses.quantity, houses.amount, houses.pledger_kind) == (
        "in_kind", 2, 100_000_000, "business")
    assert (salary.kind, salary.monthly_salary, salary.amount) == ("salary", 11_000_000, 500_000)
    cards = await loa.send(304, "/campaigns")
    assert "🏠 Nhà Đại đoàn kết: 2 of 7 pledged, 0 received" in cards.plain


async def test_edit_one_field_and_cancel_asks_first(loa):
    open_campaign(loa)
    await loa.onboard(305, lang="en")
    await start_pledge(loa, 305)
    await loa.tap(305, "💵 Money")
    await loa.send(305, "300k")
    await loa.tap(305, "Yes, show my name")
    menu = await loa.tap(305, "✏ Edit")
    assert menu.plain == "What do you want to change?"
    assert menu.buttons() == [["Amount: ₫300,000"], ["Name shown: Lan"],
                              ["Honour roll: your name is shown"], ["⬅ Back"]]
    await loa.tap(305, "Amount: ₫300,000")
    confirm = await loa.send(305, "400k")                 # straight back, nothing else asked
    assert "Pledge: ₫400,000" in confirm.plain and "From: Lan (individual)" in confirm.plain
    await loa.tap(305, "✏ Edit")
    await loa.tap(305, "Name shown: Lan")
    confirm = await loa.send(305, "Gia đình ông Ba")
    assert "From: Gia đình ông Ba (individual)" in confirm.plain and "₫400,000" in confirm.plain
    await loa.tap(305, "✏ Edit")
    confirm = await loa.tap(305, "Honour roll: your name is shown")
    assert "Honour roll: anonymous" in confirm.plain
    sure = await loa.tap(305, "✖ Cancel")
    assert sure.plain == "Cancel this pledge? Nothing will be saved."
    kept = await loa.tap(305, "No, go back")
    assert "Please check your pledge" in kept.plain
    await loa.tap(305, "✖ Cancel")
    dropped = await loa.tap(305, "Yes, cancel it")
    assert dropped.plain == "Cancelled: nothing was saved."
    assert pledges(loa) == []
    loa.emu.press(305, "pl:ed:amount", loa.emu.messages(305)[-1].message_id)  # a stale press
    assert "expired" in (await loa.next(305)).plain
    assert loa.db.call(get_dialog, 305) is None


async def test_my_pledges_edit_and_cancel_until_received(loa):
    open_campaign(loa)
    await loa.onboard(306, lang="en")
    await start_pledge(loa, 306)
    await loa.tap(306, "💵 Money")
    await loa.send(306, "1tr")
    await loa.tap(306, "Yes, show my name")
    await loa.tap(306, "✅ Confirm")
    await loa.next(306)
    [pledge] = pledges(loa)
    mine = await loa.send(306, "/mypledges")
    assert f"{pledge.reference} · Vì người nghèo · ₫1,000,000 · registered" in mine.plain
    menu = await loa.tap(306, f"✏ {pledge.reference}")
    assert menu.buttons()[0] == ["Amount: ₫1,000,000"]
    await loa.tap(306, "Amount: ₫1,000,000")
    sure = await loa.send(306, "1,5 triệu")
    assert sure.plain == f"Change the amount of {pledge.reference} from ₫1,000,000 to " \
        "₫1,500,000?"
    edited = await loa.tap(306, "✅ Yes, change it")
    assert edited.plain.startswith(f"Pledge {pledge.reference} now stands at ₫1,500,000")
    qr = await loa.next(306)                              # a new code for the new amount
    assert qr.method == "sendPhoto" and "₫1,500,000" in qr.plain
    await loa.send(306, "/mypledges")
    await loa.tap(306, f"✖ {pledge.reference}")
    gone = await loa.tap(306, "Yes, cancel it")
    assert gone.plain == f"Pledge {pledge.reference} is cancelled."
    actions = loa.db.call(lambda s: [c.action for c in s.exec(
        select(PledgeChange).order_by(PledgeChange.id))])
    assert actions == ["created", "edited", "cancelled"]
    answer = await loa.emu.wait_callback_answer(loa.emu.press(306, f"mp:e:{pledge.id}"))
    assert answer.text == "This pledge can no longer be changed."


async def test_officer_marks_received_and_the_pledger_is_thanked_in_their_language(loa):
    open_campaign(loa)
    loa.db.call(grant, 310, Role.OFFICER, "28042")          # Tân Thành
    loa.db.call(grant, 311, Role.OFFICER, "28054")          # Bình An, next door
    await loa.onboard(310, name="Tím", lang="en")
    await loa.onboard(311, name="Ba", lang="en")
    await loa.onboard(312, name="Lan", lang="vi")           # lives in Ấp 1, Tân Thành
    await loa.send(312, "/pledge")
    await loa.tap(312, "Cá nhân")
    await loa.tap(312, "Dùng tên “Lan”")
    await loa.tap(312, "💵 Tiền")
    await loa.send(312, "2tr")
    await loa.tap(312, "Có, ghi tên tôi")
    await loa.tap(312, "✅ Xác nhận")
    await loa.next(312)
    [pledge] = pledges(loa)

    desk = await loa.send(310, "/pledges")
    assert "Pledges (1 found)" in desk.plain and pledge.reference in desk.plain
    assert desk.buttons()[0] == [f"{pledge.reference} · Lan · ₫2,000,000"]
    shown = await loa.tap(310, desk.buttons()[0][0])
    assert "Status: registered" in shown.plain and "History" in shown.plain
    elsewhere = await loa.send(311, "/pledges")
    assert "Pledges (0 found)" in elsewhere.plain
    for forged in (f"pd:o:{pledge.id}", f"pd:a:{pledge.id}", f"pd:j:{pledge.id}"):
        answer = await loa.emu.wait_callback_answer(loa.emu.press(311, forged))
        assert answer.text == "This pledge is outside your area.", forged
    answer = await loa.emu.wait_callback_answer(loa.emu.press(312, f"pd:a:{pledge.id}"))
    assert answer.text == "Khoản ủng hộ này nằm ngoài địa bàn của bạn."

    await loa.tap(310, "✏ Received: other amount or date")
    done = await loa.send(310, "1tr8 20/11/2023")
    assert f"{pledge.reference} is marked received: ₫1,800,000 on 20 Nov 2023" in done.plain
    thanks = await loa.next(312)
    assert (f"đã tiếp nhận khoản ủng hộ {pledge.reference} của bạn "
            "(1.800.000\xa0₫ ngày 20/11/2023)") in thanks.plain
    await eventually(lambda: loa.db.call(lambda s: [d.status for d in s.exec(
        select(Delivery))]) == ["sent"])
    mine = await loa.send(312, "/mypledges")
    assert "đã nhận (1.800.000\xa0₫ ngày 20/11/2023)" in mine.plain
    assert mine.buttons() == []                            # received: no more changes
    totals = await loa.send(312, "/totals")
    assert "đã nhận 1.800.000\xa0₫" in totals.plain


async def test_officer_rejects_with_a_reason(loa):
    open_campaign(loa)
    await loa.onboard(320, lang="en")
    await start_pledge(loa, 320)
    await loa.tap(320, "💵 Money")
    await loa.send(320, "50k")
    await loa.tap(320, "Yes, show my name")
    await loa.tap(320, "✅ Confirm")
    await loa.next(320)
    [pledge] = pledges(loa)
    await loa.onboard(ADMIN, lang="en")
    desk = await loa.send(ADMIN, "/pledges")
    await loa.tap(ADMIN, desk.buttons()[0][0])
    await loa.tap(ADMIN, "✖ Reject")
    done = await loa.send(ADMIN, "Duplicate of a paper form")
    assert done.plain == f"{pledge.reference} is rejected; the pledger has been told."
    told = await loa.next(320)
    assert "could not be accepted. Reason: Duplicate of a paper form." in told.plain


async def test_totals_and_honour_roll_never_name_the_anonymous(loa):
    open_campaign(loa)
    for user_id, name, public, amount in [(330, "An", True, "3tr"), (331, "Bình", False, "5tr"),
                                          (332, "Chi", True, "1tr")]:
        await loa.onboard(user_id, name=name, lang="en")
        await start_pledge(loa, user_id)
        await loa.tap(user_id, "💵 Money")
        await loa.send(user_id, amount)
        await loa.tap(user_id, "Yes, show my name" if public else "No, stay anonymous")
        await loa.tap(user_id, "✅ Confirm")
        await loa.next(user_id)
    roll = await loa.send(330, "/honour")
    assert "Nobody on the roll yet" in roll.plain  # registered, not received: not yet
    receive_all(loa)
    roll = await loa.send(330, "/honour")
    assert "1. An — ₫3,000,000" in roll.plain and "2. Chi — ₫1,000,000" in roll.plain
    assert "Bình" not in roll.plain
    totals = await loa.send(330, "/totals")
    assert "Overall: pledged ₫9,000,000, received ₫9,000,000 (3 pledges)" in totals.plain
    assert "Tân Thành: pledged ₫9,000,000" in totals.plain
    assert "Individual: pledged ₫9,000,000" in totals.plain


async def test_officer_opens_a_campaign_in_chat_with_the_letter_attached(loa):
    loa.db.call(grant, 340, Role.OFFICER, "804")
    await loa.onboard(340, name="Tím", lang="en")
    menu = await loa.send(340, "/campaign")
    assert menu.buttons() == [["➕ New campaign"]]
    assert (await loa.tap(340, "➕ New campaign")).plain.startswith("Step 1 of 7")
    await loa.send(340, "Tháng cao điểm “Vì người nghèo” 2023")
    await loa.send(340, "Kính gửi các cơ quan, doanh nghiệp, mạnh thường quân...")
    loa.emu.send_document(340, "thu-ngo.pdf", b"%PDF-1.4 open letter", "application/pdf")
    period = await loa.next(340)
    assert period.plain.startswith("Step 4 of 7")
    assert "not a period" in (await loa.send(340, "next week")).plain
    area = await loa.send(340, "17/10/2023 - 18/11/2099")
    assert "Now at: Thủ Thừa, Long An (huyện)" in area.plain
    await loa.tap(340, "✅ All of Thủ Thừa (huyện)")
    await loa.next(340)
    await loa.send(340, "500 triệu")
    confirm = await loa.send(340, "Nhà Đại đoàn kết: 7")
    assert "Money target: ₫500,000,000" in confirm.plain
    assert "🏠 Nhà Đại đoàn kết: 7" in confirm.plain
    assert "With the letter attached." in confirm.plain
    opened = await loa.tap(340, "✅ Open the campaign")
    assert "Pledge references will look like TT23-0001" in opened.plain
    campaign = loa.db.call(lambda s: s.exec(select(Campaign)).one())
    assert (campaign.attachment[0]["kind"], campaign.money_target) == ("document", 500_000_000)
    await loa.onboard(341, lang="en")
    letter = await loa.send(341, "/campaigns")
    assert letter.method == "sendDocument" and letter.content["document"]["file_name"] == \
        "thu-ngo.pdf"
    assert "Tháng cao điểm “Vì người nghèo” 2023" in (await loa.next(341)).plain
    forged = await loa.emu.wait_callback_answer(loa.emu.press(341, f"cmp:s:{campaign.id}:closed"))
    assert forged.text == "You may only run campaigns inside your own area."
    manage = await loa.send(340, "/campaign")
    await loa.tap(340, manage.buttons()[1][0])
    paused = await loa.tap(340, "⏸ Pause")
    assert "Status: paused" in paused.plain
    assert "There is no open campaign to pledge to" in (await loa.send(341, "/pledge")).plain


async def test_a_half_finished_pledge_survives_a_restart(areas_db, db_url):
    async with Emulator(token=TOKEN, bot_username="loa_test_bot") as emu:
        config = loa_config(emu.api_url, db_url)
        emu.add_user(350, "Lan", language_code="en")

        class Driver:
            async def say(self, text):
                emu.send_text(350, text)
                return await emu.next_message(350)

            async def tap(self, label):
                emu.press_button(350, label)
                return await emu.next_message(350)
        d = Driver()
        async with serving(build_application(config, areas_db)):
            await d.say("/start")
            await d.tap("English")
            await d.tap("I agree")
            await d.say("tan thanh")
            await d.tap("Tân Thành, Thủ Thừa, Long An ›")
            await d.tap("Ấp 1")
            await emu.next_message(350)
            emu.tap(350, "Skip")
            await emu.next_message(350)

            def make(s):
                admin = actor_for(s, _admin(s), frozenset({ADMIN}))
                return create_campaign(s, admin, CampaignDraft(
                    "Vì người nghèo", "", date.today(), date.today() + timedelta(days=9),
                    by_code(s, "804").id, 0))
            areas_db.call(make)
            await d.say("/pledge")
            await d.tap("Individual")
            await d.tap("Use “Lan”")
            await d.tap("💵 Money")
        emu.send_text(350, "750k")                         # typed while Loa was down
        async with serving(build_application(config, areas_db)):
            assert "honour roll" in (await emu.next_message(350)).plain
            emu.press_button(350, "Yes, show my name")
            assert "₫750,000" in (await emu.next_message(350)).plain
    assert areas_db.call(lambda s: s.exec(select(Pledge)).all()) == []


def seed_pledges(loa, campaign, count, kind="money"):
    """Pledges made directly in the database, from people of Ấp 1, Tân Thành."""
    from models.pledges import PledgeDraft, register_pledge
    from models.users import ensure_user, update_user

    def make(s):
        area = by_code(s, "28042-A1").id
        for i in range(count):
            user = update_user(s, ensure_user(s, 5000 + i, f"Người {i}")[0], area_id=area)
            register_pledge(s, user, PledgeDraft(campaign.id, "individual", user.name, kind,
                                                 100_000 + i, True), f"seed-{kind}-{i}",
                            datetime.now(UTC), date.today())
    loa.db.call(make)


async def test_the_desk_filters_and_pages(loa):
    campaign = open_campaign(loa)
    seed_pledges(loa, campaign, 10)
    seed_pledges(loa, campaign, 2, kind="salary")
    loa.db.call(grant, 360, Role.OFFICER, "28042")
    await loa.onboard(360, lang="en")
    first = await loa.send(360, "/pledges")
    assert "Pledges (12 found)" in first.plain and first.plain.count("\n") == 8
    assert [row[0].split(" · ")[0] for row in first.buttons()[:8]] == \
        [f"{campaign.ref_prefix}-{n:04d}" for n in range(12, 4, -1)]
    assert first.buttons()[8][0] == "• All statuses" and first.buttons()[9][0] == "• All kinds"
    assert first.buttons()[-1] == ["1/2", "▶"]
    second = await loa.tap(360, "▶")
    assert second.buttons()[-1] == ["◀", "2/2"] and "9. " not in second.plain
    salaries = await loa.tap(360, "📅 One day's salary")
    assert "Pledges (2 found)" in salaries.plain and "one day's salary" in salaries.plain
    none = await loa.tap(360, "received")
    assert "Pledges (0 found)" in none.plain and "No pledge matches." in none.plain
    forged = await loa.emu.wait_callback_answer(loa.emu.press(360, "pd:l:0:zz:a:0"))
    assert forged.text == "This button is not valid."


async def test_officer_edits_a_campaign_and_people_choose_among_campaigns(loa):
    first = open_campaign(loa, name="Vì người nghèo")
    open_campaign(loa, code="28042", name="Nhà cho bà Tư", targets=())
    loa.db.call(grant, 370, Role.OFFICER, "804")
    await loa.onboard(370, lang="en")
    await loa.send(370, "/campaign")
    await loa.tap(370, "Vì người nghèo (open)")
    await loa.tap(370, "Edit target")
    assert "not an amount" in (await loa.send(370, "lots")).plain
    await loa.send(370, "600tr")
    saved = await loa.next(370)
    assert "of ₫600,000,000" in saved.plain
    assert loa.db.call(lambda s: s.get(Campaign, first.id).money_target) == 600_000_000
    await loa.onboard(371, lang="en")
    choose = await loa.send(371, "/pledge")
    assert choose.plain == "Which campaign do you pledge to?"
    assert choose.buttons()[-1] == ["✖ Cancel"]  # the chooser can be left too
    assert sorted(b for row in choose.buttons()[:-1] for b in row) == ["Nhà cho bà Tư",
                                                                       "Vì người nghèo"]
    assert (await loa.tap(371, "Nhà cho bà Tư")).plain == "Who is pledging?"
    await loa.send(371, "/cancel")
    await loa.send(371, "/pledge")
    assert (await loa.tap(371, "✖ Cancel")).buttons() == []  # the chooser's buttons go
    assert (await loa.next(371)).plain == "Cancelled: the pledge you were registering."
    assert loa.db.call(lambda s: s.get(Dialog, 371)) is None


async def test_public_figures_cannot_be_inflated_and_never_tell_a_salary(loa):
    """A huge pledge waits for an officer before it shows anywhere public; the honour roll
    lists received pledges with a day's salary only; ten open pledges per person at most."""
    campaign = open_campaign(loa)
    await loa.onboard(380, name="Đại gia", lang="en")
    await start_pledge(loa, 380)
    await loa.tap(380, "💵 Money")
    await loa.send(380, "9 tỷ")
    await loa.tap(380, "Yes, show my name")
    await loa.tap(380, "✅ Confirm")
    await loa.next(380)
    [held] = pledges(loa)
    assert held.held
    cards = await loa.send(380, "/campaigns")
    assert "Pledged ₫0 of ₫500,000,000" in cards.plain
    assert "pledged ₫0" in (await loa.send(380, "/totals")).plain

    loa.db.call(grant, 381, Role.OFFICER, "804")
    await loa.onboard(381, lang="en")
    desk = await loa.send(381, "/pledges")
    assert "⏳" in desk.plain
    detail = await loa.tap(381, desk.buttons()[0][0])
    assert "kept out of the public figures" in detail.plain
    approved = await loa.tap(381, "👁 Approve for public figures")
    assert "👁 Approve for public figures" not in str(approved.buttons())
    assert "approved for public figures" in approved.plain
    assert "pledged ₫9,000,000,000" in (await loa.send(380, "/totals")).plain

    await loa.onboard(382, name="Cô giáo Hoa", lang="en")
    await start_pledge(loa, 382)
    await loa.tap(382, "📅 One day's salary")
    await loa.send(382, "11 triệu")
    await loa.tap(382, "Yes, show my name")
    await loa.tap(382, "✅ Confirm")
    await loa.next(382)
    receive_all(loa)
    roll = await loa.send(382, "/honour")
    assert "Cô giáo Hoa — one day's salary: ₫500,000" in roll.plain
    assert "11,000,000" not in roll.plain and "a month" not in roll.plain

    seed_pledges(loa, campaign, 1)  # person 5000, then nine more of theirs
    loa.db.call(lambda s: [register_pledge(
        s, get_user(s, 5000), PledgeDraft(campaign.id, "individual", "Người 0", "money",
                                          200_000 + i, True), f"more-{i}",
        datetime.now(UTC), date.today()) for i in range(9)])
    with pytest.raises(TooManyOpen):
        loa.db.call(lambda s: register_pledge(
            s, get_user(s, 5000), PledgeDraft(campaign.id, "individual", "Người 0", "money",
                                              300_000, True), "one-too-many",
            datetime.now(UTC), date.today()))
    loa.emu.add_user(5000, "Người 0", language_code="en")
    loa.db.call(lambda s: update_user(s, get_user(s, 5000), language="en",
                                      consent_at=datetime.now(UTC)))
    refused = await loa.send(5000, "/pledge")
    assert "You already have 10 pledges to this campaign" in refused.plain


async def test_small_faults_double_taps_future_dates_odd_digits_and_early_pledges(loa):
    campaign = open_campaign(loa)
    seed_pledges(loa, campaign, 1)
    [pledge] = pledges(loa)
    loa.db.call(grant, 390, Role.OFFICER, "28042")
    await loa.onboard(390, lang="en")
    desk = await loa.send(390, "/pledges")
    await loa.tap(390, desk.buttons()[0][0])
    await loa.tap(390, "✏ Received: other amount or date")
    future = await loa.send(390, "100k 01/01/2031")
    assert "1 Jan 2031 is still to come" in future.plain
    assert pledges(loa)[0].status == "registered"
    desk = await loa.send(390, "/pledges")
    await loa.tap(390, desk.buttons()[0][0])
    loa.emu.press_button(390, "✅ Received as pledged, today")  # two quick taps
    loa.emu.press_button(390, "✅ Received as pledged, today")
    first, second = await loa.next(390), await loa.next(390)
    assert "is marked received" in first.plain and "was already marked received" in second.plain
    changes = loa.db.call(lambda s: s.exec(select(PledgeChange).where(
        PledgeChange.pledge_id == pledge.id, PledgeChange.action == "received")).all())
    assert len(changes) == 1
    await eventually(lambda: len(loa.db.call(lambda s: s.exec(select(Delivery)).all())) == 1)

    await loa.onboard(391, lang="en")
    await start_pledge(loa, 391)
    await loa.tap(391, "📦 In kind")
    await loa.tap(391, "Nhà Đại đoàn kết")
    for typed in ("²", "٣", "1²"):
        assert "is not a whole number" in (await loa.send(391, typed)).plain
    assert "not a whole number" not in (await loa.send(391, "２")).plain  # full-width: 2
    assert loa.db.call(get_dialog, 391).data["quantity"] == 2
    later = open_campaign(loa, name="Tết 2027")
    loa.db.call(lambda s: setattr(s.get(Campaign, later.id), "starts_on",
                                  date.today() + timedelta(days=5)))
    loa.emu.press(391, f"pl:new:{later.id}", loa.emu.messages(391)[-1].message_id)
    early = await loa.next(391)
    assert early.plain.startswith("This campaign takes pledges from")
    for forged in ("pl:c:²", "pl:new:²", "tot:٣", "pl:tgt:²", "dl:ca:²", "bc:go:²"):
        answer = loa.emu.press(391, forged, loa.emu.messages(391)[-1].message_id)
        await loa.emu.wait_callback_answer(answer)
    await asyncio.sleep(0.3)
    assert not any("went wrong" in (m.plain or "") for m in loa.emu.messages(391))
