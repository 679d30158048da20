"""Steering the broadcast, deadline and report flows (⬅ and ✖, confirmations before what
destroys), who speaks in a broadcast and never to nobody, deadlines owed at several levels,
offsets in words, and the areas whose village head is not on Loa yet: in both languages,
end to end over the emulator, with forged presses."""

from datetime import datetime, timedelta

import pytest
from sqlmodel import select

from bot.config import ConfigError, load_config
from models.areas import by_code
from models.broadcasts import Broadcast
from models.deadlines import Deadline
from models.invites import Invite
from models.users import Role, grant
from tests.conftest import ROOT


def when(loa, days=10):
    return (datetime.now(loa.config.timezone) + timedelta(days=days)).strftime(
        "%d/%m/%Y 08:00")


# ---- broadcasts -------------------------------------------------------------------------------

async def test_broadcast_back_steps_keep_answers_and_the_preview_names_the_sender(loa):
    loa.db.call(grant, 701, Role.OFFICER, "804")                        # Thủ Thừa district
    await loa.onboard(701, name="Tím", lang="vi")
    await loa.onboard(702, name="Lan", lang="vi")
    ask = await loa.send(701, "/broadcast")
    assert "Thông báo sẽ gửi kèm dòng tên đơn vị gửi: “📢 Ủy ban MTTQ huyện Thủ Thừa”." in ask.plain
    assert ask.buttons() == [["✖ Hủy"]]                                   # first: no ⬅
    await loa.send(701, "Họp dân tối nay")
    roles = await loa.tap(701, "✅ Chọn cả huyện Thủ Thừa")
    assert roles.buttons()[-1] == ["⬅ Quay lại", "✖ Hủy"]
    await loa.tap(701, "☐ trưởng thôn, ấp")
    await loa.tap(701, "Tiếp ➡")
    again = await loa.tap(701, "⬅ Quay lại")                          # language → roles
    assert again.buttons()[0] == ["☑ người dân", "☑ trưởng thôn, ấp", "☐ cán bộ"]
    await loa.tap(701, "Tiếp ➡")
    await loa.tap(701, "Mọi ngôn ngữ")
    await loa.tap(701, "Không có nút")
    preview = await loa.next(701)
    assert preview.text == "<b>📢 Ủy ban MTTQ huyện Thủ Thừa</b>\n\nHọp dân tối nay"
    decide = await loa.next(701)
    assert decide.buttons() == [["📤 Gửi ngay", "🕒 Hẹn giờ"], ["⬅ Quay lại", "✖ Hủy"]]
    menu = await loa.tap(701, "⬅ Quay lại")                           # the draft goes
    assert "nút" in menu.plain.lower()
    assert loa.db.call(lambda s: s.exec(select(Broadcast)).one().status) == "cancelled"
    await loa.tap(701, "Không có nút")
    await loa.next(701)
    await loa.next(701)
    statuses = loa.db.call(lambda s: [b.status for b in s.exec(select(Broadcast))])
    assert sorted(statuses) == ["cancelled", "draft"]


async def test_a_broadcast_to_nobody_is_not_sent_and_the_audience_can_be_changed(loa):
    loa.db.call(grant, 711, Role.OFFICER, "28042")                      # Tân Thành
    await loa.onboard(711, name="Tím", lang="en")
    await loa.onboard(712, name="Lan", lang="vi")                        # a citizen there
    await loa.send(711, "/broadcast")
    await loa.send(711, "Village heads, please meet tomorrow")
    await loa.tap(711, "✅ All of Tân Thành (xã)")
    await loa.tap(711, "☑ citizen")
    await loa.tap(711, "☐ village head")
    await loa.tap(711, "Next ➡")
    await loa.tap(711, "All languages")
    nobody = await loa.tap(711, "No button")
    assert nobody.plain == ("Nobody would receive this: no village head in Tân Thành, Thủ "
                            "Thừa, Long An has started Loa yet. Change whom it reaches, or "
                            "cancel.")
    assert nobody.buttons() == [["⬅ Change whom it reaches"], ["✖ Cancel"]]
    assert loa.db.call(lambda s: list(s.exec(select(Broadcast)))) == []
    roles = await loa.tap(711, "⬅ Change whom it reaches")
    assert roles.buttons()[0] == ["☐ citizen", "☑ village head", "☐ officer"]
    await loa.tap(711, "☐ citizen")
    await loa.tap(711, "Next ➡")
    await loa.tap(711, "English")
    nobody = await loa.tap(711, "No button")                             # Lan reads Vietnamese
    assert "no citizen, village head who read English in Tân Thành" in nobody.plain

    loa.db.call(grant, 713, Role.OFFICER, "28054")                      # Bình An: nobody yet
    await loa.onboard(713, name="Ba", lang="vi")
    await loa.send(713, "/broadcast")
    await loa.send(713, "Họp dân tối nay")
    await loa.tap(713, "✅ Chọn cả xã Bình An")
    await loa.tap(713, "Tiếp ➡")
    await loa.tap(713, "Mọi ngôn ngữ")
    vi = await loa.tap(713, "Không có nút")
    assert vi.plain == ("Không ai nhận được thông báo này: ở Bình An, Thủ Thừa, Long An chưa "
                        "có người dân nào dùng Loa. Hãy chọn lại người nhận, hoặc hủy.")
    assert vi.buttons() == [["⬅ Chọn lại người nhận"], ["✖ Hủy"]]
    forged = await loa.emu.wait_callback_answer(loa.emu.press(713, "bc:go:1"))
    assert forged.text == "Thông báo này nằm ngoài địa bàn của bạn hoặc đã được gửi."


async def test_a_caption_leaves_room_for_the_sender(loa):
    loa.db.call(grant, 721, Role.OFFICER, "28042")
    await loa.onboard(721, name="Tím", lang="en")
    await loa.send(721, "/broadcast")
    loa.emu.send_photo(721, b"\x89PNG poster", caption="x" * 1020)
    refused = await loa.next(721)
    room = 1024 - len("📢 Ủy ban MTTQ xã Tân Thành") - 1 - 2              # 📢 counts two
    assert f"or {room} as the caption of a photo, a video, a voice message, an audio file, a " \
           "document or an album, not counting the sender's line" in refused.plain
    loa.emu.send_photo(721, b"\x89PNG poster", caption="x" * room)
    assert "Which area should it reach?" in (await loa.next(721)).plain


async def test_cancelling_from_the_list_asks_first_and_forged_presses_change_nothing(loa):
    loa.db.call(grant, 731, Role.OFFICER, "28042")
    await loa.onboard(731, name="Tím", lang="en")
    await loa.onboard(732, name="Lan", lang="vi")
    await loa.send(731, "/broadcast")
    await loa.send(731, "Meeting on Sunday morning at the cultural house of Ấp 1")
    await loa.tap(731, "✅ All of Tân Thành (xã)")
    await loa.tap(731, "Next ➡")
    await loa.tap(731, "All languages")
    await loa.tap(731, "No button")
    await loa.next(731)
    await loa.next(731)
    await loa.tap(731, "🕒 Schedule")
    await loa.next(731)
    await loa.send(731, when(loa, 2))
    [broadcast] = loa.db.call(lambda s: list(s.exec(select(Broadcast))))
    listing = await loa.send(731, "/broadcasts")
    assert "“Meeting on Sunday morning at the cultural house…”" in listing.plain
    asked = await loa.tap(731, f"✖ Cancel #{broadcast.id}")
    assert asked.buttons() == [[f"✖ Yes, cancel #{broadcast.id}"], ["⬅ No, back to the list"]]
    back = await loa.tap(731, "⬅ No, back to the list")
    assert "Recent broadcasts" in back.plain
    assert loa.db.call(lambda s: s.get(Broadcast, broadcast.id).status) == "scheduled"

    loa.db.call(grant, 733, Role.OFFICER, "28054")                      # another commune
    await loa.onboard(733, lang="en")
    for data in (f"bc:x:{broadcast.id}", f"bc:xx:{broadcast.id}"):
        answer = await loa.emu.wait_callback_answer(loa.emu.press(733, data))
        assert answer.text == "That broadcast is outside your area or already sent."
    answer = await loa.emu.wait_callback_answer(loa.emu.press(732, f"bc:xx:{broadcast.id}"))
    assert answer.text == "Thông báo này nằm ngoài địa bàn của bạn hoặc đã được gửi."
    assert loa.db.call(lambda s: s.get(Broadcast, broadcast.id).status) == "scheduled"
    await loa.tap(731, f"✖ Cancel #{broadcast.id}")
    done = await loa.tap(731, f"✖ Yes, cancel #{broadcast.id}")
    assert done.plain.startswith(f"Broadcast #{broadcast.id} is cancelled")
    assert loa.db.call(lambda s: s.get(Broadcast, broadcast.id).status) == "cancelled"


def test_the_sender_wording_is_configurable(tmp_path):
    config = load_config(ROOT / "config.toml", env={})
    assert config.broadcast_sender == "📢 Ủy ban MTTQ {level} {area}"
    config = load_config(ROOT / "config.toml", env={"LOA_BROADCAST_SENDER": "📢 MTTQ {area}"})
    assert config.broadcast_sender == "📢 MTTQ {area}"
    with pytest.raises(ConfigError) as caught:
        load_config(ROOT / "config.toml", env={"LOA_BROADCAST_SENDER": "📢 {unit}"})
    assert "LOA_BROADCAST_SENDER: only {level} and {area}" in str(caught.value)


# ---- deadlines --------------------------------------------------------------------------------

async def test_a_district_deadline_owed_by_ấp_and_khu_phố_with_back_steps(loa):
    loa.db.call(grant, 741, Role.OFFICER, "804")
    await loa.onboard(741, name="Tím", lang="vi")
    title = await loa.send(741, "/deadline")
    assert title.buttons() == [["✖ Hủy"]]
    due = await loa.send(741, "Kết quả rà soát hộ nghèo")
    assert due.buttons() == [["⬅ Quay lại", "✖ Hủy"]]
    again = await loa.tap(741, "⬅ Quay lại")
    assert again.plain.startswith("Báo cáo về nội dung gì?")
    await loa.send(741, "Kết quả rà soát hộ nghèo")
    await loa.send(741, when(loa))
    levels = await loa.tap(741, "✅ Chọn cả huyện Thủ Thừa")
    assert levels.buttons() == [["☐ khu phố"], ["☐ thị trấn"], ["☐ xã"], ["☐ ấp"],
                                ["Tiếp ➡"], ["⬅ Quay lại", "✖ Hủy"]]
    none = await loa.tap(741, "Tiếp ➡")
    assert none.plain == "Hãy chọn ít nhất một cấp, rồi bấm Tiếp."
    await loa.tap(741, "☐ ấp")
    await loa.tap(741, "☐ khu phố")
    await loa.tap(741, "Tiếp ➡")
    await loa.tap(741, "trưởng thôn, ấp")
    await loa.send(741, "Số hộ: số")
    offsets = await loa.tap(741, "Không")
    assert offsets.buttons()[0] == ["Giữ: 7 ngày, 3 ngày, 1 ngày trước hạn"]
    back = await loa.tap(741, "⬅ Quay lại")                        # no campaign: the file
    assert back.plain.startswith("Mỗi báo cáo có cần kèm tệp")
    await loa.tap(741, "Không")
    confirm = await loa.send(741, "5 ngày 2 giờ")
    assert "Nhắc 5 ngày, 2 giờ trước hạn." in confirm.plain
    assert "Mỗi khu phố / ấp của Thủ Thừa, Long An nộp một báo cáo (15 địa bàn)" in confirm.plain
    done = await loa.tap(741, "✅ Đặt hạn báo cáo")
    assert done.plain.startswith("Đã đặt hạn báo cáo")
    deadline = loa.db.call(lambda s: s.exec(select(Deadline)).one())
    assert deadline.level == "khu phố|ấp"

    loa.db.call(grant, 742, Role.VILLAGE_HEAD, "28036-KP11")            # a khu phố's head
    await loa.onboard(742, name="Bảy", lang="en")
    first = await loa.send(742, "/report")
    assert first.plain == ("Kết quả rà soát hộ nghèo · field 1 of 1: Số hộ (type a number, "
                           "for example 12)")
    assert first.buttons() == [["✖ Cancel"]]
    summary = await loa.send(742, "7")
    assert "Check your report" in summary.plain
    back = await loa.tap(742, "⬅ Back")
    assert back.plain.startswith("Kết quả rà soát hộ nghèo · field 1 of 1")
    await loa.send(742, "8")
    saved = await loa.tap(742, "✅ Send the report")
    assert saved.plain.startswith("Thank you! Your report is in.")


async def test_areas_without_a_village_head_the_nudge_and_the_invite_shortcut(loa):
    loa.db.call(grant, 751, Role.OFFICER, "28042")
    await loa.onboard(751, name="Tím", lang="en")
    await loa.send(751, "/deadline")
    await loa.send(751, "Poor households review")
    await loa.send(751, when(loa))
    await loa.tap(751, "✅ All of Tân Thành (xã)")
    await loa.tap(751, "Next ➡")
    await loa.tap(751, "village head")
    await loa.send(751, "Households: number")
    await loa.tap(751, "No")
    confirm = await loa.tap(751, "Keep: 7 days, 3 days, 1 day before")
    assert "Reminded 7 days, 3 days, 1 day before." in confirm.plain
    await loa.tap(751, "✅ Set the deadline")
    loa.db.call(grant, 752, Role.VILLAGE_HEAD, "28042-A1")
    await loa.onboard(752, name="Hùng", lang="vi")

    await loa.send(751, "/deadlines")
    opened = await loa.tap(751, "Poor households review")
    assert "Reminded 7 days, 3 days, 1 day before." in opened.plain
    assert ("No village head on Loa yet (nobody is reminded): Ấp 2, Ấp 3, Ấp 4, Ấp 5."
            in opened.plain)
    labels = [row[0] for row in opened.buttons()]
    assert labels[1:5] == ["✉ Invite the village head of Ấp 2", "✉ Invite the village head "
                           "of Ấp 3", "✉ Invite the village head of Ấp 4",
                           "✉ Invite the village head of Ấp 5"]
    nudged = await loa.tap(751, "📣 Nudge the missing now")
    assert nudged.plain == ("1 reminder is on its way.\nNobody could be reminded for Ấp 2, "
                            "Ấp 3, Ấp 4, Ấp 5: no village head of these areas has started "
                            "Loa yet. Invite one from the deadline (/deadlines).")
    await loa.next(752)
    invite = await loa.tap(751, "✉ Invite the village head of Ấp 3")
    assert invite.message_id != opened.message_id                       # the overview stays
    assert "Invite to serve as" in invite.plain and "Ấp 3" in invite.plain
    made = loa.db.call(lambda s: s.exec(select(Invite)).one())
    assert (made.role, made.area_id) == ("village_head", loa.db.call(by_code, "28042-A3").id)

    commune = loa.db.call(by_code, "28042").id
    other = loa.db.call(by_code, "28054-VK").id                      # Bình An's Ấp Vàm Kinh
    loa.emu.press(751, f"inv:for:village_head:{commune}")             # not a village
    assert "A village head serves one hamlet" in (await loa.next(751)).plain
    assert "Which area will they serve?" in (await loa.next(751)).plain  # choose inside it
    loa.emu.press(751, f"inv:for:village_head:{other}")               # another commune
    assert (await loa.next(751)).plain == "You may only invite people into your own area."
    answer = await loa.emu.wait_callback_answer(
        loa.emu.press(752, f"inv:for:village_head:{commune}"))          # a village head
    assert answer.text == "Chỉ cán bộ mới có thể mời trưởng thôn, ấp và cán bộ."
    assert loa.db.call(lambda s: len(list(s.exec(select(Invite))))) == 1


async def test_closing_and_cancelling_a_deadline_ask_first_in_vietnamese(loa):
    loa.db.call(grant, 761, Role.OFFICER, "28042")
    await loa.onboard(761, name="Tím", lang="vi")
    await loa.send(761, "/deadline")
    await loa.send(761, "Danh sách hộ khó khăn")
    await loa.send(761, when(loa))
    await loa.tap(761, "✅ Chọn cả xã Tân Thành")
    await loa.tap(761, "Tiếp ➡")
    await loa.tap(761, "trưởng thôn, ấp")
    await loa.send(761, "Số hộ: số")
    await loa.tap(761, "Không")
    await loa.tap(761, "Giữ: 7 ngày, 3 ngày, 1 ngày trước hạn")
    await loa.tap(761, "✅ Đặt hạn báo cáo")
    deadline = loa.db.call(lambda s: s.exec(select(Deadline)).one())

    await loa.send(761, "/deadlines")
    await loa.tap(761, "Danh sách hộ khó khăn")
    asked = await loa.tap(761, "🗑 Hủy hạn báo cáo")
    assert asked.plain.startswith("Hủy hạn báo cáo “Danh sách hộ khó khăn”?")
    assert asked.buttons() == [["🗑 Có, hủy hạn báo cáo"], ["⬅ Không, giữ lại"]]
    back = await loa.tap(761, "⬅ Không, giữ lại")
    assert back.plain.startswith("Danh sách hộ khó khăn")
    asked = await loa.tap(761, "⏹ Đóng (giữ các báo cáo)")
    assert asked.plain.startswith("Đóng “Danh sách hộ khó khăn”?")
    await loa.tap(761, "⬅ Không, quay lại hạn báo cáo")
    assert loa.db.call(lambda s: s.get(Deadline, deadline.id).status) == "open"

    loa.db.call(grant, 762, Role.OFFICER, "28054")
    await loa.onboard(762, lang="vi")
    answer = await loa.emu.wait_callback_answer(loa.emu.press(762, f"dl:xx:{deadline.id}"))
    assert answer.text == "Hạn báo cáo này nằm ngoài địa bàn của bạn."
    await loa.tap(761, "🗑 Hủy hạn báo cáo")
    cancelled = await loa.tap(761, "🗑 Có, hủy hạn báo cáo")
    assert cancelled.plain == ("Đã hủy hạn báo cáo “Danh sách hộ khó khăn”: không ai còn phải "
                               "nộp báo cáo này.")
    assert loa.db.call(lambda s: s.get(Deadline, deadline.id).status) == "cancelled"
    listing = await loa.tap(761, "⬅ Về danh sách")
    assert "Chưa có hạn báo cáo nào đang mở" in listing.plain


async def test_changing_reminders_shows_them_in_words_and_back_leaves_the_change(loa):
    loa.db.call(grant, 771, Role.OFFICER, "28042")
    await loa.onboard(771, name="Tím", lang="en")
    await loa.send(771, "/deadline")
    await loa.send(771, "Flood damage")
    await loa.send(771, when(loa))
    await loa.tap(771, "✅ All of Tân Thành (xã)")
    await loa.tap(771, "Next ➡")
    await loa.tap(771, "village head")
    await loa.send(771, "Houses: number")
    await loa.tap(771, "No")
    await loa.send(771, "3d 12h")
    await loa.tap(771, "✅ Set the deadline")
    await loa.send(771, "/deadlines")
    await loa.tap(771, "Flood damage")
    ask = await loa.tap(771, "⏰ Change reminders")
    assert ask.plain.startswith("Now reminded 3 days, 12 hours before.")
    assert ask.buttons() == [["⬅ Back", "✖ Cancel"]]
    back = await loa.tap(771, "⬅ Back")
    assert back.plain.startswith("Flood damage")
    assert "Reminded 3 days, 12 hours before." in back.plain
