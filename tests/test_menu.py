"""The main menu under the typing field, /start for someone Loa knows, and the grouped /help."""

from models.dialogs import get_dialog
from models.users import Role, grant

CITIZEN_VI = [["🤝 Ủng hộ", "📋 Của tôi"], ["📊 Kết quả", "❓ Trợ giúp"]]


async def test_a_citizen_gets_the_menu_and_its_buttons_do_what_commands_do(loa):
    await loa.onboard(801, name="Lan", lang="vi")
    assert loa.emu.reply_keyboard(801) == CITIZEN_VI
    mine = await loa.send(801, "📋 Của tôi")
    assert mine.plain == (await loa.send(801, "/mypledges")).plain
    results = await loa.send(801, "📊 Kết quả")
    assert results.plain == (await loa.send(801, "/totals")).plain
    helped = await loa.send(801, "❓ Trợ giúp")
    assert "<b>Vận động và ủng hộ</b>" in helped.text and "/pledge" in helped.plain
    assert "Việc của cán bộ" not in helped.plain and "/broadcast" not in helped.plain
    assert "Bạn là: người dân." in helped.plain


async def test_start_from_someone_known_greets_and_shows_the_menu(loa):
    await loa.onboard(802, name="Alex", lang="en")
    hello = await loa.send(802, "/start")
    assert hello.plain.startswith("Hello Alex, Loa is here.")
    assert "Choose your language" not in hello.plain
    assert loa.emu.reply_keyboard(802) == [["🤝 Give", "📋 Mine"], ["📊 Results", "❓ Help"]]
    await loa.quiet(802)                               # nothing else: no language, no consent
    assert loa.db.call(get_dialog, 802) is None


async def test_officers_and_heads_have_their_own_buttons_and_help_groups(loa):
    loa.db.call(grant, 803, Role.OFFICER, "28042")
    await loa.onboard(803, name="Tím", lang="vi")
    assert loa.emu.reply_keyboard(803) == [["📣 Thông báo", "🗂 Sổ ủng hộ", "⏰ Hạn báo cáo"],
                                           ["🎁 Trao hỗ trợ", "🧾 Xuất số liệu", "🤝 Ủng hộ"],
                                           ["📋 Của tôi", "📊 Kết quả", "❓ Trợ giúp"]]
    desk = await loa.send(803, "⏰ Hạn báo cáo")
    assert desk.plain == (await loa.send(803, "/deadlines")).plain
    helped = await loa.send(803, "/help")
    groups = [line for line in helped.text.splitlines() if line.startswith("<b>")][1:]
    assert groups == ["<b>Vận động và ủng hộ</b>", "<b>Báo cáo của địa bàn</b>",
                      "<b>Việc của cán bộ</b>", "<b>Bạn và Loa</b>"]

    loa.db.call(grant, 804, Role.VILLAGE_HEAD, "28042-A1")
    await loa.onboard(804, name="Hùng", lang="vi")
    assert loa.emu.reply_keyboard(804) == [["📝 Báo cáo", "🤝 Ủng hộ", "📋 Của tôi"],
                                           ["📊 Kết quả", "❓ Trợ giúp"]]
    helped = await loa.send(804, "/help")
    assert "<b>Báo cáo của địa bàn</b>\n/report" in helped.text and "/deadline" not in helped.plain
    assert "Bạn là: trưởng ấp." in helped.plain


async def test_a_citizen_typing_an_officers_button_is_refused(loa):
    await loa.onboard(805, lang="vi")
    refused = await loa.send(805, "🗂 Sổ ủng hộ")
    assert refused.plain == (await loa.send(805, "/pledges")).plain
    assert "Sổ" not in str(refused.buttons())
