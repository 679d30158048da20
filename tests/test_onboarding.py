"""Onboarding end to end, in both languages, over the emulator: what people see and what is kept."""

from sqlmodel import select

from bot.app import build_application, serving
from bot.emulator import Emulator
from models.areas import by_code
from models.dialogs import get_dialog
from models.users import User, get_user
from tests.conftest import TOKEN, loa_config


def flat(rows):
    return [label for row in rows for label in row]


def user_row(loa, user_id):
    return loa.db.call(get_user, user_id)


async def test_vietnamese_onboarding_by_walking_the_tree(loa):
    lan = loa.user(101, "Lan", "vi")
    hello = await loa.send(lan, "/start")
    assert "Hãy chọn ngôn ngữ" in hello.plain
    assert hello.buttons() == [["Tiếng Việt", "English"]]

    consent = await loa.tap(lan, "Tiếng Việt")
    assert "Loa lưu gì và để làm gì" in consent.plain and "/forget" in consent.plain
    assert consent.buttons() == [["Tôi đồng ý", "Không, cảm ơn"]]

    roots = await loa.tap(lan, "Tôi đồng ý")
    assert "Bạn sống ở đâu?" in roots.plain
    assert roots.buttons()[0] == ["Gia Lai ›", "Long An ›"]
    province = await loa.tap(lan, "Long An ›")
    assert "Đang xem: Long An (tỉnh)" in province.plain
    district = await loa.tap(lan, "Thủ Thừa ›")
    labels = flat(district.buttons())
    assert labels[:8] == ["Bình An ›", "Bình Thạnh ›", "Long Thạnh", "Long Thuận", "Mỹ An",
                          "Mỹ Lạc ›", "Mỹ Phú", "Mỹ Thạnh"]
    assert "▶" in labels and "✅ Chọn cả huyện Thủ Thừa" in labels and "⬅ Quay lại" in labels
    page2 = await loa.tap(lan, "▶")
    assert "Tân Thành ›" in flat(page2.buttons()) and "◀" in flat(page2.buttons())
    commune = await loa.tap(lan, "Tân Thành ›")
    assert "Đang xem: Tân Thành, Thủ Thừa, Long An (xã)" in commune.plain

    chosen = await loa.tap(lan, "Ấp 2")
    assert chosen.plain == "Địa bàn của bạn: Ấp 2, Tân Thành."
    phone = await loa.next(lan)
    assert "không bắt buộc" in phone.plain
    assert loa.emu.reply_keyboard(lan) == [["📱 Chia sẻ số điện thoại"], ["Bỏ qua"]]
    loa.emu.tap(lan, "📱 Chia sẻ số điện thoại", phone_number="+84909123456")
    done = await loa.next(lan)
    assert "Xong! Địa bàn của bạn: Ấp 2, Tân Thành, Thủ Thừa." in done.plain
    assert "Điện thoại: +84909123456" in done.plain

    user = user_row(loa, lan)
    assert (user.language, user.phone, user.role) == ("vi", "+84909123456", "citizen")
    assert user.consent_at is not None
    assert user.area_id == loa.db.call(by_code, "28042-A2").id
    assert loa.db.call(get_dialog, lan) is None
    menu = loa.emu.commands({"type": "chat", "chat_id": lan})
    assert [c["command"] for c in menu] == [
        "start", "campaigns", "pledge", "mypledges", "totals", "honour", "help", "cancel",
        "language", "area", "privacy", "forget"]
    assert dict((c["command"], c["description"]) for c in menu)["help"] == \
        "Loa giúp được gì cho bạn"


async def test_english_onboarding_by_typing_a_name_without_diacritics(loa):
    alex = loa.user(102, "Alex", "en")
    hello = await loa.send(alex, "/start")
    assert "Choose your language" in hello.plain
    consent = await loa.tap(alex, "English")
    assert "What Loa stores, and why" in consent.plain
    await loa.tap(alex, "I agree")
    found = await loa.send(alex, "thu thua")
    assert found.plain == "Which one do you mean?"
    assert found.buttons()[:2] == [["huyện Thủ Thừa, Long An ›"],
                                   ["thị trấn Thủ Thừa, Thủ Thừa, Long An ›"]]
    none = await loa.send(alex, "zzz")
    assert "No area matches “zzz”" in none.plain and "thu thua" in none.plain
    await loa.send(alex, "BINH AN")
    commune = await loa.tap(alex, "Bình An, Thủ Thừa, Long An ›")  # a commune opens on its ấp
    assert commune.buttons()[0][0] == "Ấp An Hòa 1" and "Now at: Bình An" in commune.plain
    chosen = await loa.tap(alex, "✅ All of Bình An (xã)")
    assert chosen.plain == "Your area: Bình An, Thủ Thừa."
    await loa.next(alex)
    wrong = await loa.send(alex, "maybe later")
    assert "Skip" in wrong.plain and "Share my phone number" in wrong.plain
    loa.emu.send_sticker(alex)                          # a sticker, too, hears how to share
    assert (await loa.next(alex)).plain == wrong.plain
    loa.emu.tap(alex, "Skip")
    done = await loa.next(alex)
    assert done.plain.startswith("All set! Your area: Bình An, Thủ Thừa, Long An.")
    assert "Phone" not in done.plain
    help_ = await loa.send(alex, "/help")
    assert "/privacy — What Loa stores about you, and why" in help_.plain
    assert "/invite" not in help_.plain and "You are: citizen." in help_.plain
    assert user_row(loa, alex).phone is None


async def test_someone_elses_contact_is_refused(loa):
    lan = loa.user(103)
    await loa.send(lan, "/start")
    await loa.tap(lan, "Tiếng Việt")
    await loa.tap(lan, "Tôi đồng ý")
    await loa.send(lan, "lo ku")
    await loa.tap(lan, "Lơ Ku, Kbang, Gia Lai")
    await loa.next(lan)
    loa.emu.send_contact(lan, "+84911111111", contact_user_id=555)
    refused = await loa.next(lan)
    assert "số của chính bạn" in refused.plain
    assert user_row(loa, lan).phone is None


async def test_declining_consent_keeps_nothing(loa):
    lan = loa.user(104)
    await loa.send(lan, "/start")
    await loa.tap(lan, "Tiếng Việt")
    bye = await loa.tap(lan, "Không, cảm ơn")
    assert "Loa không lưu gì về bạn" in bye.plain
    assert user_row(loa, lan) is None
    again = await loa.send(lan, "/help")
    assert "Gửi /start để bắt đầu." in again.plain


async def test_start_again_language_and_area_change_the_choices(loa):
    await loa.onboard(105, lang="vi")
    languages = await loa.send(105, "/language")
    assert languages.buttons() == [["Tiếng Việt", "English"]]
    switched = await loa.tap(105, "English")
    assert switched.plain == "Language set: English."
    assert loa.emu.commands({"type": "chat", "chat_id": 105})[0]["description"] == \
        "Greet Loa and show the menu buttons"
    picker = await loa.send(105, "/area")
    assert "Where do you live?" in picker.plain
    await loa.send(105, "my phu")
    moved = await loa.tap(105, "Mỹ Phú, Thủ Thừa, Long An")
    assert moved.plain == "Your area is now Mỹ Phú, Thủ Thừa."
    assert user_row(loa, 105).area_id == loa.db.call(by_code, "28066").id
    again = await loa.send(105, "/start")          # a known person is greeted, not re-asked
    assert again.plain.startswith("Hello Lan, Loa is here.") and not again.buttons()
    assert user_row(loa, 105).area_id == loa.db.call(by_code, "28066").id


async def test_privacy_and_forget(loa):
    await loa.onboard(106, name="Lan <b>", lang="vi")
    privacy = await loa.send(106, "/privacy")
    assert "Tên: Lan <b>" in privacy.plain           # escaped: shown as typed, not as markup
    assert "Địa bàn: Ấp 1, Tân Thành, Thủ Thừa" in privacy.plain
    assert "Vai trò: người dân" in privacy.plain
    ask = await loa.send(106, "/forget")
    kept = await loa.tap(106, "Không, giữ lại")
    assert kept.plain == "Không có gì bị xóa." and user_row(loa, 106) is not None
    await loa.send(106, "/forget")
    gone = await loa.tap(106, "Có, xóa dữ liệu của tôi")
    assert "dữ liệu của bạn đã được xóa" in gone.plain
    assert user_row(loa, 106) is None
    assert ask.buttons() == [["Có, xóa dữ liệu của tôi", "Không, giữ lại"]]


async def test_unknown_input_gets_a_clear_answer(loa):
    await loa.onboard(107, lang="en")
    assert "Unknown command" in (await loa.send(107, "/frobnicate")).plain
    assert "I did not understand" in (await loa.send(107, "hello")).plain
    stranger = loa.user(108, "Khách", "vi")
    assert "Vui lòng gửi /start trước" in (await loa.send(stranger, "/area")).plain
    for forged in ("ap:home:x:1:0", "ap:home:o:notanumber:0", "lang:xx"):
        answer = await loa.emu.wait_callback_answer(loa.emu.press(107, forged))
        assert (answer.text, answer.show_alert) == ("This button is not valid.", True)
    answer = await loa.emu.wait_callback_answer(loa.emu.press(107, "ap:home:o:99999:0"))
    assert answer.text == "That area is outside what you may choose."


async def test_default_menus_per_language(loa):
    assert loa.emu.commands(None, "en")[0]["description"] == \
        "Greet Loa and show the menu buttons"
    assert loa.emu.commands(None, "vi")[0]["description"] == \
        "Chào Loa và hiện các nút chọn việc"
    assert loa.emu.commands(None, "") == loa.emu.commands(None, "vi")
    assert "invite" not in [c["command"] for c in loa.emu.commands(None, "vi")]


async def test_half_finished_onboarding_survives_a_restart(areas_db, db_url):
    async with Emulator(token=TOKEN, bot_username="loa_test_bot") as emu:
        config = loa_config(emu.api_url, db_url)
        emu.add_user(110, "Lan", language_code="vi")
        async with serving(build_application(config, areas_db)):
            emu.send_text(110, "/start")
            await emu.next_message(110)
            emu.press_button(110, "Tiếng Việt")
            await emu.next_message(110)
            emu.press_button(110, "Tôi đồng ý")
            await emu.next_message(110)
        # Loa is down; the person types meanwhile, and Loa comes back with a fresh process
        emu.send_text(110, "my an")
        async with serving(build_application(config, areas_db)):
            found = await emu.next_message(110)
            assert found.buttons()[0] == ["Mỹ An, Thủ Thừa, Long An"]
            emu.press_button(110, "Mỹ An, Thủ Thừa, Long An")
            assert (await emu.next_message(110)).plain == "Địa bàn của bạn: Mỹ An, Thủ Thừa."
    users = areas_db.call(lambda s: list(s.exec(select(User))))
    assert [u.id for u in users] == [110]


async def test_old_buttons_and_early_commands_change_nothing(loa):
    await loa.onboard(120, lang="en")
    first = loa.emu.messages(120)[0].message_id               # the consent screen, long ago
    await loa.emu.wait_callback_answer(loa.emu.press(120, "consent:no", first))
    assert "This button has expired" in (await loa.next(120)).plain
    assert user_row(loa, 120) is not None                     # an old "No, thanks" erases no one
    forged = loa.emu.press(120, "tot:" + "9" * 40, first)       # an id no row can have
    await loa.emu.wait_callback_answer(forged)
    assert (await loa.next(120)).plain == "This button is not valid."
    early = loa.user(121, "Mới", "en")
    await loa.send(early, "/start")                            # stops at the language question
    refused = await loa.send(early, "/pledge")
    assert refused.plain == "Please send /start and agree to the privacy notice first."


def test_erasing_a_person_cancels_their_queued_messages(areas_db):
    from sqlmodel import select

    from models.outbox import Delivery, enqueue
    from models.privacy import erase_person
    from models.users import ensure_user

    areas_db.call(lambda s: ensure_user(s, 130, "Lan"))
    areas_db.call(enqueue, 130, "Khoản ủng hộ đã được nhận")
    areas_db.call(erase_person, 130)
    [row] = areas_db.call(lambda s: list(s.exec(select(Delivery))))
    assert row.status == "cancelled" and row.chat_id == -row.id
