"""Leaving any flow at any step: /cancel and the words hủy, huỷ, thôi, cancel."""

from sqlmodel import select

from models.broadcasts import Broadcast
from models.dialogs import get_dialog
from models.users import Role, grant
from tests.test_pledging import open_campaign, pledges, start_pledge


async def test_words_and_cancel_leave_a_pledge_at_any_step_and_say_what_was_dropped(loa):
    open_campaign(loa)
    await loa.onboard(901, name="Lan", lang="vi")
    await start_pledge(loa, 901, "vi")
    await loa.tap(901, "💵 Tiền")
    left = await loa.send(901, "Hủy")                 # at the amount step: not a bad amount
    assert left.plain == "Đã hủy: khoản ủng hộ bạn đang đăng ký."
    assert loa.db.call(get_dialog, 901) is None and pledges(loa) == []
    assert loa.emu.reply_keyboard(901)[0] == ["🤝 Ủng hộ", "📋 Của tôi"]
    after = await loa.send(901, "500k")               # the flow does not go on
    assert after.plain.startswith("Loa chưa hiểu ý bạn.")
    for word in ("huỷ", "thôi!", "/cancel"):
        await start_pledge(loa, 901, "vi")
        assert (await loa.send(901, word)).plain == "Đã hủy: khoản ủng hộ bạn đang đăng ký."
    nothing = await loa.send(901, "/cancel")
    assert nothing.plain == "Không có gì để hủy: bạn không đang làm dở việc nào."
    assert pledges(loa) == []


async def test_leaving_a_broadcast_at_its_preview_cancels_the_draft(loa):
    loa.db.call(grant, 902, Role.OFFICER, "28042")
    await loa.onboard(902, name="Tím", lang="en")
    await loa.onboard(904, name="Lan", lang="vi")                     # someone to reach
    await loa.send(902, "/broadcast")
    await loa.send(902, "Meeting tonight at 19:00")
    await loa.tap(902, "✅ All of Tân Thành (xã)")
    await loa.tap(902, "Next ➡")
    await loa.tap(902, "All languages")
    await loa.tap(902, "No button")                   # the preview's intro
    await loa.next(902)                               # the preview
    await loa.next(902)                               # Send now / Schedule / Cancel
    left = await loa.send(902, "cancel")
    assert left.plain == "Cancelled: the announcement you were writing (nothing was sent)."
    [draft] = loa.db.call(lambda s: list(s.exec(select(Broadcast))))
    assert draft.status == "cancelled"
    loa.emu.press_button(902, "📤 Send now")
    await loa.quiet(902)
    assert loa.db.call(lambda s: s.exec(select(Broadcast)).one().status) == "cancelled"


async def test_leaving_onboarding_before_consent(loa):
    hello = await loa.send(loa.user(903, "Ba", "vi"), "/start")
    assert "Hãy chọn ngôn ngữ" in hello.plain
    left = await loa.send(903, "thôi")
    assert left.plain == "Đã hủy: việc cài đặt Loa (gửi /start để làm lại từ đầu)."
    assert loa.db.call(get_dialog, 903) is None


async def test_back_keeps_earlier_answers_and_the_cross_leaves_a_campaign_being_set_up(loa):
    from datetime import date

    from models.campaigns import Campaign

    loa.db.call(grant, 904, Role.OFFICER, "804")
    await loa.onboard(904, name="Tím", lang="vi")
    await loa.send(904, "/campaign")
    first = await loa.tap(904, "➕ Cuộc vận động mới")
    year = str(date.today().year)
    assert first.plain.startswith("Bước 1/7") and f"“Vì người nghèo” {year}" in first.plain
    assert first.buttons() == [["✖ Hủy"]]                      # no ⬅ on the first question
    letter = await loa.send(904, "Tết vì người nghèo")
    assert letter.buttons() == [["⬅ Quay lại", "✖ Hủy"]]
    again = await loa.tap(904, "⬅ Quay lại")
    assert again.plain.startswith("Bước 1/7")
    await loa.send(904, "Tết vì người nghèo 2027")
    await loa.send(904, "Kính gửi bà con")
    attachment = await loa.tap(904, "Bỏ qua")                 # no letter as a file
    assert f"17/10/{year} - 18/11/{year}" in attachment.plain
    back = await loa.tap(904, "⬅ Quay lại")                   # from the period to the file
    assert back.plain.startswith("Bước 3/7")
    dialog = loa.db.call(get_dialog, 904)
    assert (dialog.step, dialog.data["name"], dialog.data["description"]) == (
        "attachment", "Tết vì người nghèo 2027", "Kính gửi bà con")
    question = await loa.tap(904, "✖ Hủy")                   # its buttons go, then the answer
    assert question.plain.startswith("Bước 3/7") and question.buttons() == []
    assert (await loa.next(904)).plain == "Đã hủy: cuộc vận động bạn đang tạo."
    assert loa.db.call(get_dialog, 904) is None
    assert loa.db.call(lambda s: s.exec(select(Campaign)).all()) == []
