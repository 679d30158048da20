"""Pledging as older citizens on cheap phones do it (issue 9): ⬅/✖ under every question,
amounts read the way people type them, receipts that let people act, a readable desk."""

from datetime import timedelta

from sqlmodel import select

from bot.context import local_today
from models.campaigns import Campaign
from models.dialogs import get_dialog
from models.pledges import Pledge
from models.users import Role, get_user, grant
from tests.conftest import ADMIN
from tests.test_pledging import open_campaign, pledges, start_pledge

NBSP = "\xa0"


async def pledge_money(loa, user_id, amount="1tr", lang="en"):
    await start_pledge(loa, user_id, lang)
    await loa.tap(user_id, "💵 Money" if lang == "en" else "💵 Tiền")
    await loa.send(user_id, amount)
    await loa.tap(user_id, "Yes, show my name" if lang == "en" else "Có, ghi tên tôi")
    receipt = await loa.tap(user_id, "✅ Confirm" if lang == "en" else "✅ Xác nhận")
    qr = await loa.next(user_id)
    return receipt, qr


# ---- A: ⬅ and ✖ ------------------------------------------------------------------------------

async def test_back_asks_the_previous_question_with_the_answers_kept(loa):
    open_campaign(loa)
    await loa.onboard(401, name="Lan", lang="vi")
    who = await loa.send(401, "/pledge")
    assert who.buttons()[-1] == ["✖ Hủy"]                      # the first question: no ⬅
    await loa.tap(401, "Hộ gia đình")
    await loa.send(401, "Gia đình ông Ba")
    await loa.tap(401, "💵 Tiền")
    amount = loa.emu.last(401)
    assert amount.buttons() == [["⬅ Quay lại", "✖ Hủy"]]
    what = await loa.tap(401, "⬅ Quay lại")
    assert what.plain == "Bạn ủng hộ bằng hình thức nào?"
    assert loa.db.call(get_dialog, 401).data["display_name"] == "Gia đình ông Ba"
    name = await loa.tap(401, "⬅ Quay lại")
    assert "tên" in name.plain and name.buttons()[-1] == ["⬅ Quay lại", "✖ Hủy"]
    await loa.send(401, "Gia đình bà Tư")
    await loa.tap(401, "💵 Tiền")
    await loa.send(401, "300k")
    public = loa.emu.last(401)
    assert public.buttons()[-1] == ["⬅ Quay lại", "✖ Hủy"]
    again = await loa.tap(401, "⬅ Quay lại")
    assert again.plain.startswith("Bao nhiêu tiền?")
    await loa.send(401, "400k")
    confirm = await loa.tap(401, "Có, ghi tên tôi")
    assert "Gia đình bà Tư (hộ gia đình)" in confirm.plain and f"400.000{NBSP}₫" in confirm.plain
    left = await loa.send(401, "thôi")
    assert left.plain.startswith("Đã hủy")
    assert pledges(loa) == []


async def test_back_and_cancel_on_the_desk_and_in_my_pledges(loa):
    open_campaign(loa)
    await loa.onboard(402, lang="en")
    await pledge_money(loa, 402, "2tr")
    [pledge] = pledges(loa)
    mine = await loa.send(402, "/mypledges")
    assert mine.buttons() == [[f"✏ {pledge.reference}", f"✖ {pledge.reference}",
                               f"🧾 {pledge.reference}"]]
    await loa.tap(402, f"✏ {pledge.reference}")
    ask = await loa.tap(402, "Amount: ₫2,000,000")
    assert ask.buttons() == [["⬅ Back", "✖ Cancel"]]
    menu = await loa.tap(402, "⬅ Back")
    assert menu.plain == f"Pledge {pledge.reference}: what do you want to change?"
    await loa.tap(402, "✖ Cancel")                       # the question loses its buttons
    gone = await loa.next(402)
    assert gone.plain == "Cancelled: the change to your pledge (it stays as it was)."

    loa.db.call(grant, 403, Role.OFFICER, "28042")
    await loa.onboard(403, lang="en")
    desk = await loa.send(403, "/pledges")
    await loa.tap(403, desk.buttons()[0][0])
    question = await loa.tap(403, "✏ Received: other amount or date")
    assert question.buttons() == [["⬅ Back", "✖ Cancel"]]
    shown = await loa.tap(403, "⬅ Back")
    assert "Status: registered" in shown.plain
    assert loa.db.call(get_dialog, 403) is None
    await loa.tap(403, "✖ Reject")
    shown = await loa.tap(403, "⬅ Back")
    assert "Status: registered" in shown.plain and pledges(loa)[0].status == "registered"


# ---- B: amounts as people type them ----------------------------------------------------------

async def test_a_bare_small_number_is_asked_before_it_is_taken_in_vietnamese(loa):
    open_campaign(loa)
    await loa.onboard(410, lang="vi")
    await start_pledge(loa, 410, "vi")
    await loa.tap(410, "💵 Tiền")
    asked = await loa.send(410, "500")
    assert asked.plain == f"Bạn muốn ghi 500.000{NBSP}₫ phải không?"
    assert asked.buttons() == [[f"✅ Đúng, 500.000{NBSP}₫"], [f"Không, chỉ 500{NBSP}₫"],
                               ["✏ Nhập lại"]]
    assert loa.db.call(get_dialog, 410).step == "amount"            # nothing taken yet
    taken = await loa.tap(410, f"✅ Đúng, 500.000{NBSP}₫")
    assert taken.plain == f"Số tiền: 500.000{NBSP}₫"
    assert "bảng vàng" in (await loa.next(410)).plain
    assert loa.db.call(get_dialog, 410).data["amount"] == 500_000
    loa.emu.press(410, "amt:1", asked.message_id)                    # pressed again, late
    assert "hết hạn" in (await loa.next(410)).plain
    assert loa.db.call(get_dialog, 410).data["amount"] == 500_000


async def test_exactly_as_typed_type_again_decimals_and_spelled_amounts_in_english(loa):
    open_campaign(loa)
    await loa.onboard(411, lang="en")
    await start_pledge(loa, 411)
    await loa.tap(411, "💵 Money")
    await loa.send(411, "500")
    await loa.tap(411, "No, exactly ₫500")
    await loa.next(411)
    assert loa.db.call(get_dialog, 411).data["amount"] == 500
    await loa.tap(411, "⬅ Back")
    for typed in ("1,5", "1.5"):
        asked = await loa.send(411, typed)
        assert asked.plain == "Did you mean ₫1,500,000?"
        assert asked.buttons() == [["✅ Yes, ₫1,500,000"], ["✏ Type it again"]]
        again = await loa.tap(411, "✏ Type it again")
        assert again.plain.startswith("Type the amount again")
    public = await loa.send(411, "nửa triệu")                         # spelled out
    assert "honour roll" in public.plain
    confirm = await loa.tap(411, "Yes, show my name")
    assert "Pledge: ₫500,000" in confirm.plain
    await loa.tap(411, "✏ Edit")
    await loa.tap(411, "Amount: ₫500,000")
    await loa.send(411, "mười lăm triệu")
    assert "Pledge: ₫15,000,000" in loa.emu.last(411).plain
    forged = loa.emu.press(411, "amt:0", loa.emu.last(411).message_id)  # no question open
    await loa.emu.wait_callback_answer(forged)
    assert "expired" in (await loa.next(411)).plain
    assert loa.db.call(get_dialog, 411).data["amount"] == 15_000_000


async def test_the_value_of_goods_can_be_left_out(loa):
    open_campaign(loa, targets=())
    await loa.onboard(412, lang="vi")
    await start_pledge(loa, 412, "vi")
    await loa.tap(412, "📦 Hiện vật")
    await loa.send(412, "10 bao gạo 25 kg")
    value = loa.emu.last(412)
    assert ["Bỏ qua: tôi không rõ"] in value.buttons()
    public = await loa.send(412, "Không rõ")
    assert "bảng vàng" in public.plain
    confirm = await loa.tap(412, "Có, ghi tên tôi")
    assert "10 bao gạo 25 kg (chưa rõ trị giá)" in confirm.plain and "₫" not in confirm.plain
    await loa.tap(412, "✅ Xác nhận")
    await loa.onboard(413, lang="en")
    await start_pledge(loa, 413)
    await loa.tap(413, "📦 In kind")
    await loa.send(413, "a bicycle")
    await loa.tap(413, "Skip: I do not know")
    confirm = await loa.tap(413, "No, stay anonymous")
    assert "a bicycle (value not given)" in confirm.plain
    assert [p.amount for p in pledges(loa)] == [0]
    assert "worth about" not in (await loa.send(412, "/mypledges")).plain


async def test_received_with_an_amount_and_a_day_as_typed(loa):
    open_campaign(loa)
    await loa.onboard(420, name="Lan", lang="vi")
    await pledge_money(loa, 420, "2tr", "vi")
    [pledge] = pledges(loa)
    loa.db.call(grant, 421, Role.OFFICER, "28042")
    await loa.onboard(421, name="Tím", lang="vi")
    desk = await loa.send(421, "/pledges")
    await loa.tap(421, desk.buttons()[0][0])
    await loa.tap(421, "✏ Đã nhận: số tiền hoặc ngày khác")
    bad_day = await loa.send(421, "1tr8 hôm kiaa")
    assert bad_day.plain.startswith(f"Loa đọc được số tiền 1.800.000{NBSP}₫, nhưng không "
                                    "đọc được ngày “hôm kiaa”")
    bad_amount = await loa.send(421, "nhiều hôm qua")
    assert "Loa không đọc được số tiền “nhiều”" in bad_amount.plain
    assert pledges(loa)[0].status == "registered"
    done = await loa.send(421, "1tr8 hôm qua")
    yesterday = local_today(loa.config) - timedelta(days=1)  # the deployment's day, not UTC's
    assert f"1.800.000{NBSP}₫ ngày {yesterday:%d/%m/%Y}" in done.plain
    saved = pledges(loa)[0]
    assert (saved.received_amount, saved.received_on) == (1_800_000, yesterday)
    listed = await loa.send(421, "/pledges")
    assert f"đã nhận 1.800.000{NBSP}₫" in listed.plain               # differs from 2.000.000
    assert listed.buttons()[1][0] == "• Mọi trạng thái"
    assert listed.buttons()[2][0] == "• Mọi hình thức"
    assert listed.buttons()[0] == [f"{pledge.reference} · Lan · 2.000.000 ₫"]


# ---- C: receipts that let people act -----------------------------------------------------------

async def test_receipt_names_the_bank_and_the_place_for_goods_and_offers_a_phone(loa):
    campaign = open_campaign(loa)
    loa.db.call(grant, 430, Role.OFFICER, "804")
    await loa.onboard(430, lang="vi")
    await loa.send(430, "/campaign")
    await loa.tap(430, "Vì người nghèo (đang mở)")
    prompt = await loa.tap(430, "📦 Nơi nhận hiện vật")
    assert "“-”" in prompt.plain
    await loa.send(430, "Nhà văn hóa ấp 1, 7h–17h hằng ngày, gặp chị Lan")
    assert loa.db.call(lambda s: s.get(Campaign, campaign.id).handover).startswith("Nhà văn")

    await loa.onboard(431, lang="vi")
    receipt, qr = await pledge_money(loa, 431, "1tr", "vi")
    assert "1031933430 tại Vietcombank (QUY VI NGUOI NGHEO)" in qr.plain
    await start_pledge(loa, 431, "vi")
    await loa.tap(431, "📦 Hiện vật")
    await loa.tap(431, "Nhà Đại đoàn kết")
    await loa.send(431, "1")
    await loa.send(431, "80 triệu")
    await loa.tap(431, "Có, ghi tên tôi")
    receipt = await loa.tap(431, "✅ Xác nhận")
    assert "📦 Nơi nhận hiện vật: Nhà văn hóa ấp 1, 7h–17h hằng ngày, gặp chị Lan" \
        in receipt.plain
    offer = await loa.next(431)
    assert offer.keyboard()[0] == ["📱 Chia sẻ số điện thoại"]
    loa.emu.tap(431, "📱 Chia sẻ số điện thoại", phone_number="+84901234567")
    thanks = await loa.next(431)
    assert thanks.plain.startswith("Cảm ơn bạn: cán bộ có thể gọi điện cho bạn")
    assert loa.db.call(get_user, 431).phone == "+84901234567"
    assert loa.db.call(get_dialog, 431) is None


async def test_the_bank_name_can_be_configured_and_skip_ends_the_phone_offer(
        areas_db, db_url):
    from bot.app import build_application, serving
    from bot.emulator import Emulator
    from tests.conftest import TOKEN, Loa, loa_config
    async with Emulator(token=TOKEN, bot_username="loa_test_bot") as emu:
        config = loa_config(emu.api_url, db_url, LOA_FUND_BANK_NAME="Ngân hàng Ngoại thương",
                            LOA_FUND_BANK_BIN="970499")
        app = build_application(config, areas_db)
        async with serving(app):
            loa = Loa(emu, areas_db, config, app.bot_data["services"])
            open_campaign(loa, targets=())
            await loa.onboard(432, lang="en")
            _receipt, qr = await pledge_money(loa, 432, "1tr")
            assert "1031933430 at Ngân hàng Ngoại thương" in qr.plain
            await start_pledge(loa, 432)
            await loa.tap(432, "📦 In kind")
            await loa.send(432, "rice")
            await loa.send(432, "không biết")
            await loa.tap(432, "Yes, show my name")
            receipt = await loa.tap(432, "✅ Confirm")
            assert "An officer will contact you about when and where" in receipt.plain
            await loa.next(432)
            loa.emu.send_sticker(432)                     # not a number: how to share one
            assert (await loa.next(432)).plain.startswith("Press “📱 Share my phone number”")
            loa.emu.tap(432, "Skip")
            done = await loa.next(432)
            assert done.plain.startswith("Alright.") and loa.db.call(get_dialog, 432) is None
            assert loa.db.call(get_user, 432).phone is None


async def test_my_pledges_code_again_and_one_field_changes_with_a_confirmation(loa):
    open_campaign(loa)
    await loa.onboard(440, name="Lan", lang="en")
    await pledge_money(loa, 440, "1tr")
    [pledge] = pledges(loa)
    await loa.send(440, "/mypledges")
    qr = await loa.tap(440, f"🧾 {pledge.reference}")
    assert qr.method == "sendPhoto" and "₫1,000,000" in qr.plain and pledge.reference in qr.plain

    await loa.send(440, "/mypledges")
    await loa.tap(440, f"✏ {pledge.reference}")
    await loa.tap(440, "Name shown: Lan")
    sure = await loa.send(440, "Nguyễn Thị Lan")
    assert sure.plain == f"Change the name shown of {pledge.reference} from Lan to " \
        "Nguyễn Thị Lan?"
    await loa.tap(440, "No")
    assert pledges(loa)[0].display_name == "Lan"
    await loa.send(440, "/mypledges")
    await loa.tap(440, f"✏ {pledge.reference}")
    await loa.tap(440, "Name shown: Lan")
    await loa.send(440, "Nguyễn Thị Lan")
    done = await loa.tap(440, "✅ Yes, change it")
    assert "name shown: Nguyễn Thị Lan" in done.plain
    await loa.send(440, "/mypledges")
    await loa.tap(440, f"✏ {pledge.reference}")
    sure = await loa.tap(440, "Honour roll: your name is shown")
    assert sure.plain.endswith("from your name is shown to anonymous?")
    await loa.tap(440, "✅ Yes, change it")
    await loa.quiet(440)                                  # no new code: the amount is the same
    saved = pledges(loa)[0]
    assert (saved.display_name, saved.public, saved.amount) == ("Nguyễn Thị Lan", False,
                                                               1_000_000)
    await loa.send(440, "/mypledges")
    await loa.tap(440, f"✏ {pledge.reference}")
    await loa.tap(440, "Amount: ₫1,000,000")
    await loa.send(440, "2tr")
    await loa.tap(440, "✅ Yes, change it")
    assert "₫2,000,000" in (await loa.next(440)).plain   # a new code for the new amount

    await loa.onboard(441, lang="en")                     # someone else, with forged presses
    for forged in (f"mp:q:{pledge.id}", f"mp:e:{pledge.id}", f"mp:xx:{pledge.id}"):
        answer = await loa.emu.wait_callback_answer(loa.emu.press(441, forged))
        assert answer.text == "This pledge can no longer be changed.", forged
    loa.emu.press(441, "mp:ok:1")
    assert "expired" in (await loa.next(441)).plain
    assert pledges(loa)[0].status == "registered" and pledges(loa)[0].amount == 2_000_000


async def test_organisations_are_not_offered_a_days_salary_even_by_a_forged_press(loa):
    open_campaign(loa)
    await loa.onboard(450, lang="vi")
    await loa.send(450, "/pledge")
    await loa.tap(450, "Cơ quan, đơn vị")
    what = await loa.send(450, "UBND xã Tân Thành")
    assert what.buttons()[0] == ["💵 Tiền", "📦 Hiện vật"]
    loa.emu.press(450, "pl:what:salary", what.message_id)
    await loa.quiet(450)
    assert loa.db.call(get_dialog, 450).step == "what"


# ---- D: the desk and the figures ---------------------------------------------------------------

async def test_a_pledge_on_the_desk_shows_area_kind_and_telegram_name_and_goes_back(loa):
    open_campaign(loa)
    await loa.onboard(460, name="Lan Nguyễn", lang="en")
    await start_pledge(loa, 460)
    await loa.tap(460, "💵 Money")
    await loa.send(460, "300k")
    await loa.tap(460, "No, stay anonymous")
    await loa.tap(460, "✅ Confirm")
    await loa.next(460)
    await loa.onboard(ADMIN, lang="en")
    await loa.send(ADMIN, "/pledges")
    kinds = await loa.tap(ADMIN, "💵 Money")
    shown = await loa.tap(ADMIN, kinds.buttons()[0][0])
    assert "From: Lan Nguyễn (individual)" in shown.plain
    assert "Area: Ấp 1, Tân Thành" in shown.plain
    assert "Telegram name: Lan Nguyễn" in shown.plain
    back = await loa.tap(ADMIN, "⬅ Back to the list")
    assert "Pledges (1 found)" in back.plain and back.buttons()[1][0] == "• All statuses"
    assert back.buttons()[2][1] == "• 💵 Money"                      # the filter kept
    forged = await loa.emu.wait_callback_answer(loa.emu.press(
        ADMIN, f"{back.inline_keyboard[0][0]['callback_data']}x"))
    assert forged.text == "This pledge is outside your area."


async def test_totals_without_pledges_hide_the_empty_sections(loa):
    open_campaign(loa)
    await loa.onboard(470, lang="vi")
    empty = await loa.send(470, "/totals")
    assert f"đăng ký 0{NBSP}₫" in empty.plain and "Chưa có khoản ủng hộ nào" in empty.plain
    assert "Theo địa bàn" not in empty.plain
    await pledge_money(loa, 470, "1tr", "vi")
    full = await loa.send(470, "/totals")
    assert "Theo địa bàn" in full.plain and f"1.000.000{NBSP}₫" in full.plain
    assert loa.db.call(lambda s: len(s.exec(select(Pledge)).all())) == 1


async def test_a_tiny_value_for_goods_is_asked_and_back_during_a_change_returns_to_the_check(loa):
    open_campaign(loa, targets=())
    await loa.onboard(480, lang="en")
    await start_pledge(loa, 480)
    await loa.tap(480, "📦 In kind")
    await loa.send(480, "2 bags of rice")
    asked = await loa.send(480, "2")                      # once this became "worth about ₫2"
    assert asked.plain == "Did you mean ₫2,000?"
    await loa.tap(480, "✏ Type it again")
    await loa.send(480, "500k")
    confirm = await loa.tap(480, "Yes, show my name")
    assert "2 bags of rice, worth about ₫500,000" in confirm.plain
    await loa.tap(480, "✏ Edit")
    await loa.tap(480, "Amount: 2 bags of rice, worth about ₫500,000")
    back = await loa.tap(480, "⬅ Back")
    assert "Please check your pledge" in back.plain and "₫500,000" in back.plain
    assert loa.db.call(get_dialog, 480).step == "confirm"


async def test_a_sticker_or_a_bare_photo_at_a_typed_step_is_asked_to_be_typed(loa):
    open_campaign(loa)
    await loa.onboard(402, name="Lan", lang="vi")
    await start_pledge(loa, 402, "vi")
    await loa.tap(402, "💵 Tiền")
    loa.emu.send_sticker(402)
    words = "Ở bước này Loa chỉ đọc được chữ: mời bạn gõ câu trả lời cho câu hỏi ở trên."
    assert (await loa.next(402)).plain == words
    loa.emu.send_photo(402, b"\x89PNG photo")                      # no caption: no words either
    assert (await loa.next(402)).plain == words
    await loa.send(402, "300k")                                     # still at the amount
    confirm = await loa.tap(402, "Có, ghi tên tôi")
    assert f"300.000{NBSP}₫" in confirm.plain
