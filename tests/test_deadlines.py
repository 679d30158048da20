"""Reporting deadlines end to end: set in chat, reminders on a controlled clock through the
outbox, reports field by field, the officers' overview, pledge reminders."""

from datetime import UTC, datetime, timedelta

from sqlmodel import select

from bot.i18n import Translator
from models.areas import by_code
from models.deadlines import Deadline, Reminder, Report
from models.users import Role, User, grant
from tests.test_pledging import open_campaign


async def set_deadline(loa, officer=601, campaign=False):
    loa.db.call(grant, officer, Role.OFFICER, "28042")                 # Tân Thành
    await loa.onboard(officer, name="Tím", lang="en")
    assert "Give it a title" in (await loa.send(officer, "/deadline")).plain
    await loa.send(officer, "Kết quả Tháng cao điểm")
    assert "still to come" in (await loa.send(officer, "01/01/2020 08:00")).plain
    due = (datetime.now(loa.config.timezone) + timedelta(days=10)).replace(
        hour=8, minute=0, second=0, microsecond=0)
    picker = await loa.send(officer, due.strftime("%d/%m/%Y %H:%M"))
    assert "Now at: Tân Thành" in picker.plain
    levels = await loa.tap(officer, "✅ All of Tân Thành (xã)")
    assert levels.buttons() == [["☑ ấp"], ["Next ➡"], ["⬅ Back", "✖ Cancel"]]
    await loa.tap(officer, "Next ➡")
    await loa.tap(officer, "village head")
    assert "not a field" in (await loa.send(officer, "Households")).plain
    await loa.send(officer, "Số hộ được hỗ trợ: number\nSố tiền vận động: money\nGhi chú: text")
    await loa.tap(officer, "Yes, ask for one")
    if campaign:
        await loa.tap(officer, "Vì người nghèo")
    confirm = await loa.tap(officer, "Keep: 7 days, 3 days, 1 day before")
    assert "Each report comes with a file or a photo." in confirm.plain
    assert "One report from each ấp of Tân Thành, Thủ Thừa, Long An (5 areas)" in confirm.plain
    done = await loa.tap(officer, "✅ Set the deadline")
    assert done.plain.startswith("The deadline “Kết quả Tháng cao điểm” is set.")
    return loa.db.call(lambda s: s.exec(select(Deadline)).one()), due.astimezone(UTC)


async def tick(loa, when):
    return await loa.services.reminders.tick(when)


async def test_reminders_reports_and_the_overview(loa):
    deadline, due = await set_deadline(loa)
    loa.db.call(grant, 602, Role.VILLAGE_HEAD, "28042-A1")
    loa.db.call(grant, 603, Role.VILLAGE_HEAD, "28042-A2")
    await loa.onboard(602, name="Hùng", lang="vi")
    await loa.onboard(603, name="Ba", lang="en")
    assert await tick(loa, due - timedelta(days=8)) == 0
    assert await tick(loa, due - timedelta(days=7)) == 2              # the two village heads
    assert await tick(loa, due - timedelta(days=7)) == 0              # never twice
    reminder = await loa.next(602)
    assert reminder.plain.startswith("⏰ Nhắc nhở: báo cáo “Kết quả Tháng cao điểm” của Ấp 1")
    assert reminder.buttons() == [["📝 Báo cáo ngay", "💤 Nhắc lại ngày mai"]]
    assert (await loa.next(603)).buttons() == [["📝 Report now", "💤 Remind me tomorrow"]]

    forged = f"rp:now:{deadline.id}:{loa.db.call(by_code, '28042-A1').id}"
    refused = await loa.emu.wait_callback_answer(loa.emu.press(603, forged))
    assert refused.text is None
    assert "You cannot report for this area" in (await loa.next(603)).plain

    first = await loa.tap(602, "📝 Báo cáo ngay")
    assert "mục 1/3: Số hộ được hỗ trợ (nhập số, ví dụ 12)" in first.plain
    assert "không phải là số" in (await loa.send(602, "nhiều")).plain
    await loa.send(602, "12")
    await loa.send(602, "5tr")
    ask_file = await loa.send(602, "Đã trao 2 nhà")
    assert ask_file.plain == "Cuối cùng, hãy gửi tệp hoặc ảnh cho báo cáo này."
    loa.emu.send_photo(602, b"\x89PNG signed report", caption="")
    summary = await loa.next(602)
    assert "Số tiền vận động: 5.000.000\xa0₫" in summary.plain
    assert "Có kèm tệp." in summary.plain
    saved = await loa.tap(602, "✅ Gửi báo cáo")
    assert saved.plain.startswith("Cảm ơn bạn! Báo cáo đã được nhận.")
    report = loa.db.call(lambda s: s.exec(select(Report)).one())
    assert report.values == {"Số hộ được hỗ trợ": 12, "Số tiền vận động": 5_000_000,
                             "Ghi chú": "Đã trao 2 nhà"} and not report.late
    assert report.file_id

    assert await tick(loa, due - timedelta(days=3)) == 1              # only Ấp 2 still owes
    assert (await loa.next(603)).plain.startswith("⏰ Reminder")
    await loa.quiet(602)
    snoozed = await loa.emu.wait_callback_answer(loa.emu.press_button(603,
                                                                      "💤 Remind me tomorrow"))
    assert snoozed.text.startswith("I will remind you at")

    listing = await loa.send(601, "/deadlines")
    assert "1 reported, 4 missing, 0 late" in listing.plain
    opened = await loa.tap(601, "Kết quả Tháng cao điểm")
    assert "Not reported yet: Ấp 2, Ấp 3, Ấp 4, Ấp 5." in opened.plain
    assert "• Tân Thành: Số hộ được hỗ trợ: 12, Số tiền vận động: 5,000,000" in opened.plain
    assert "  • Ấp 1: Số hộ được hỗ trợ: 12" in opened.plain
    await loa.tap(601, "📣 Nudge the missing now")
    assert (await loa.next(603)).plain.startswith("⏰ Reminder")

    assert await tick(loa, due - timedelta(hours=1)) == 1             # the due day's morning
    assert "⏰ Reminder" in (await loa.next(603)).plain
    assert await tick(loa, due + timedelta(minutes=1)) == 1           # the officer's summary
    passed = await loa.emu.wait_for(lambda m: m.chat_id == 601 and "has passed" in
                                    (m.plain or ""))
    assert "1 of 5 areas reported" in passed.plain and "Ấp 2, Ấp 3" in passed.plain
    assert await tick(loa, due + timedelta(days=2)) == 1              # overdue, Ấp 2 only
    assert (await loa.next(603)).plain.startswith("⚠️ Overdue")

    await loa.tap(601, "⏹ Close (keep the reports)")
    assert loa.db.call(lambda s: s.get(Deadline, deadline.id).status) == "open"  # asked first
    closed = await loa.tap(601, "⏹ Yes, close it")
    assert closed.plain.startswith("The deadline “Kết quả Tháng cao điểm” is closed")
    assert await tick(loa, due + timedelta(days=4)) == 0
    pending = loa.db.call(lambda s: [r for r in s.exec(select(Reminder))
                                     if r.status == "pending"])
    assert pending == []


async def test_officers_of_other_communes_cannot_touch_the_deadline(loa):
    open_campaign(loa)
    deadline, _due = await set_deadline(loa, campaign=True)
    assert deadline.campaign_id is not None
    loa.db.call(grant, 610, Role.OFFICER, "28054")
    await loa.onboard(610, lang="en")
    for action in ("v", "n", "c", "x", "cc", "xx", "t", "o"):
        answer = await loa.emu.wait_callback_answer(loa.emu.press(610, f"dl:{action}:"
                                                                  f"{deadline.id}"))
        assert answer.text == "That deadline is outside your area."
    assert "No open deadlines" in (await loa.send(610, "/deadlines")).plain


async def test_a_pledger_is_reminded_once_before_the_campaign_ends(loa):
    campaign = open_campaign(loa)
    await loa.onboard(620, lang="en")
    await loa.send(620, "/pledge")
    await loa.tap(620, "Individual")
    await loa.tap(620, "Use “Lan”")
    await loa.tap(620, "💵 Money")
    await loa.send(620, "300k")
    await loa.tap(620, "Yes, show my name")
    await loa.tap(620, "✅ Confirm")
    await loa.next(620)
    ends = datetime.combine(campaign.ends_on, datetime.min.time(), tzinfo=loa.config.timezone)
    assert await tick(loa, ends - timedelta(days=10)) == 0
    assert await tick(loa, ends - timedelta(days=2)) == 1
    assert await tick(loa, ends - timedelta(days=1)) == 0
    nudge = await loa.next(620)
    assert "is not received yet, and the campaign ends on" in nudge.plain
    off = await loa.tap(620, "Stop these reminders")
    assert off.plain == "Done: no more pledge reminders."
    assert loa.db.call(lambda s: s.get(User, 620).pledge_reminders) is False


async def test_the_snooze_offered_ends_before_the_deadline_and_planned_times_are_shown(loa):
    deadline, due = await set_deadline(loa)
    loa.db.call(grant, 604, Role.VILLAGE_HEAD, "28042-A1")
    await loa.onboard(604, name="Hùng", lang="en")
    overview = await loa.send(601, "/deadlines")
    await loa.tap(601, overview.buttons()[0][0])
    shown = loa.emu.last(601).plain
    local = due.astimezone(loa.config.timezone)
    en = Translator("en", loa.config.timezone)
    planned = [due - timedelta(days=d) for d in (7, 3, 1)] + [local.replace(hour=7)]
    assert "Reminders: " + " · ".join(en.datetime(t) for t in planned) in shown

    await tick(loa, due - timedelta(days=7))
    assert (await loa.next(604)).buttons() == [["📝 Report now", "💤 Remind me tomorrow"]]
    await tick(loa, due - timedelta(days=1))                # tomorrow would be too late
    assert (await loa.next(604)).buttons() == [["📝 Report now", "💤 Remind me in 3 hours"]]
    await tick(loa, local.replace(hour=7).astimezone(UTC))  # the due day's morning, 1 h before
    assert (await loa.next(604)).buttons() == [["📝 Report now"]]

    area = loa.db.call(by_code, "28042-A1").id
    snoozed = loa.emu.press(604, f"rp:snz:{deadline.id}:{area}:180")
    assert (await loa.emu.wait_callback_answer(snoozed)).text.startswith("I will remind you at")
    forged = loa.emu.press(604, f"rp:snz:{deadline.id}:{area}:7")
    assert (await loa.emu.wait_callback_answer(forged)).text == "This button is not valid."
