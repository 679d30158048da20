"""/invite end to end, and every role check against forged button presses."""

import re
from datetime import timedelta

import pytest
from sqlmodel import func, select

from bot.app import build_application, serving
from bot.emulator import Emulator
from models.areas import by_code, import_areas, parse_csv
from models.base import utcnow
from models.invites import Invite, create_invite
from models.users import NotAVillage, Role, actor_for, get_user, grant
from tests.conftest import ROOT, TOKEN, Loa, loa_config

LINK = re.compile(r"https://t\.me/loa_test_bot\?start=([A-Za-z0-9_-]{16})")


def invites(loa) -> int:
    return loa.db.call(lambda s: s.exec(select(func.count()).select_from(Invite)).one())


def area_id(loa, code: str) -> int:
    return loa.db.call(by_code, code).id


async def officer(loa, user_id=201, code="28042", lang="vi"):
    loa.db.call(grant, user_id, Role.OFFICER, code)
    await loa.onboard(user_id, name="Tím", lang=lang)
    return user_id


async def test_officer_invites_a_village_head_who_joins_by_the_link(loa):
    tim = await officer(loa)
    ask = await loa.send(tim, "/invite")
    assert ask.plain == "Bạn muốn mời ai?"
    assert ask.buttons() == [["trưởng thôn, ấp", "cán bộ"]]
    picker = await loa.tap(tim, "trưởng thôn, ấp")
    assert "Người đó phụ trách địa bàn nào?" in picker.plain
    assert "Đang xem: Tân Thành, Thủ Thừa, Long An (xã)" in picker.plain
    labels = [b for row in picker.buttons() for b in row]
    assert labels == ["Ấp 1", "Ấp 2", "Ấp 3", "Ấp 4", "Ấp 5", "✅ Chọn cả xã Tân Thành",
                      "✖ Hủy"]  # no Back at the top of the scope; ✖ leaves the flow
    made = await loa.tap(tim, "Ấp 3")
    assert "Lời mời tham gia Loa với vai trò trưởng ấp của Ấp 3, Tân Thành, Thủ Thừa" in made.plain
    code = LINK.search(made.plain).group(1)

    hung = loa.user(202, "Hùng", "vi")
    welcome = await loa.send(hung, f"/start {code}")
    assert welcome.plain == ("Chào mừng! Từ nay bạn dùng Loa với vai trò trưởng ấp của Ấp 3, "
                             "Tân Thành, Thủ Thừa.")
    assert "Hãy chọn ngôn ngữ" in (await loa.next(hung)).plain
    head = loa.db.call(get_user, hung)
    assert (head.role, head.scope_area_id) == ("village_head", area_id(loa, "28042-A3"))

    late = loa.user(203, "Khách", "en")
    refused = await loa.send(late, f"/start {code}")
    assert refused.plain.startswith("This invite has already been used.")
    assert loa.db.call(get_user, late).role == "citizen"
    bogus = await loa.send(loa.user(204, "Ai", "en"), "/start not-a-real-code")
    assert bogus.plain.startswith("This invite code is not valid.")


async def test_expired_invite_and_an_officer_inviting_in_english(loa):
    tim = await officer(loa, 205, lang="en")
    await loa.send(tim, "/invite")
    await loa.tap(tim, "officer")
    found = await loa.send(tim, "ap 2")              # typed search stays inside the scope
    assert found.buttons()[0] == ["Ấp 2, Tân Thành, Thủ Thừa"]
    assert "Nhị Thành" not in found.plain + str(found.buttons())
    made = await loa.tap(tim, "Ấp 2, Tân Thành, Thủ Thừa")
    assert made.plain.startswith("Invite to serve as officer of Ấp 2, Tân Thành, Thủ Thừa:")
    assert "It works once and expires at" in made.plain

    def stale(s):
        actor = actor_for(s, get_user(s, tim), frozenset())
        return create_invite(s, actor, Role.VILLAGE_HEAD, by_code(s, "28042-A4"),
                             timedelta(hours=1), utcnow() - timedelta(hours=2)).code
    code = loa.db.call(stale)
    expired = await loa.send(loa.user(206, "Ba", "vi"), f"/start {code}")
    assert expired.plain.startswith("Lời mời này đã hết hạn.")


async def test_citizens_and_village_heads_cannot_invite_even_by_forged_buttons(loa):
    await loa.onboard(210, lang="vi")
    loa.db.call(grant, 211, Role.VILLAGE_HEAD, "28042-A1")
    await loa.onboard(211, lang="vi")
    for who in (210, 211):
        assert (await loa.send(who, "/invite")).plain == \
            "Chỉ cán bộ mới có thể mời trưởng thôn, ấp và cán bộ."
        for data in ("inv:officer", "inv:village_head", "inv:admin"):
            answer = await loa.emu.wait_callback_answer(loa.emu.press(who, data))
            assert answer.show_alert and "Chỉ cán bộ" in answer.text
        for data in (f"ap:inv:p:{area_id(loa, '28042-A1')}:0", "ap:inv:o:0:0"):
            answer = await loa.emu.wait_callback_answer(loa.emu.press(who, data))
            assert answer.text == "Địa bàn này nằm ngoài phạm vi bạn được chọn."
    assert invites(loa) == 0


async def test_an_officer_cannot_reach_outside_their_commune_by_forged_buttons(loa):
    tim = await officer(loa, 220)
    await loa.send(tim, "/invite")
    await loa.tap(tim, "cán bộ")
    for code in ("28054", "28054-VK", "804", "80", "23656"):   # neighbours, above, elsewhere
        for op in ("p", "o"):
            answer = await loa.emu.wait_callback_answer(
                loa.emu.press(tim, f"ap:inv:{op}:{area_id(loa, code)}:0"))
            assert answer.text == "Địa bàn này nằm ngoài phạm vi bạn được chọn.", code
    answer = await loa.emu.wait_callback_answer(loa.emu.press(tim, "ap:inv:o:0:0"))
    assert answer.text == "Địa bàn này nằm ngoài phạm vi bạn được chọn."
    assert invites(loa) == 0
    ok = await loa.tap(tim, "Ấp 5")
    assert LINK.search(ok.plain) and invites(loa) == 1


async def test_a_stale_invite_button_does_not_create_an_invite(loa):
    tim = await officer(loa, 230)
    await loa.send(tim, "/invite")
    await loa.tap(tim, "trưởng thôn, ấp")
    await loa.tap(tim, "Ấp 1")
    assert invites(loa) == 1
    answer = await loa.emu.wait_callback_answer(
        loa.emu.press(tim, f"ap:inv:p:{area_id(loa, '28042-A2')}:0"))
    assert (answer.text, answer.show_alert) == ("Nút này đã hết hạn.", True)
    assert invites(loa) == 1


async def test_admin_invites_anywhere_and_sees_the_whole_tree(loa):
    admin = await loa.onboard(9000, name="Quản trị", lang="vi") or 9000
    help_ = await loa.send(admin, "/help")
    assert "/invite" in help_.plain and "Bạn là: quản trị viên." in help_.plain
    await loa.send(admin, "/invite")
    roots = await loa.tap(admin, "cán bộ")
    assert roots.buttons()[0] == ["Gia Lai ›", "Long An ›"]
    await loa.tap(admin, "Gia Lai ›")
    await loa.tap(admin, "Kbang ›")
    made = await loa.tap(admin, "Lơ Ku")
    code = LINK.search(made.plain).group(1)
    joined = await loa.send(loa.user(240, "Đinh", "vi"), f"/start {code}")
    assert joined.plain == ("Chào mừng! Từ nay bạn dùng Loa với vai trò cán bộ của Lơ Ku, "
                            "Kbang, Gia Lai.")
    await loa.emu.wait_until(lambda: "invite" in [
        c["command"] for c in loa.emu.commands({"type": "chat", "chat_id": 240})])


async def test_a_village_head_serves_a_village_not_a_commune(loa):
    tim = await officer(loa, 240)
    await loa.send(tim, "/invite")
    await loa.tap(tim, "trưởng thôn, ấp")
    refused = await loa.tap(tim, "✅ Chọn cả xã Tân Thành")
    assert refused.plain.startswith("Trưởng thôn, ấp chỉ phụ trách một ấp, thôn, bản hay tổ dân "
                                    "phố…, không phải cả Tân Thành.")
    again = await loa.next(tim)                      # the villages of that commune, to pick one
    assert again.buttons()[0] == ["Ấp 1", "Ấp 2"] and invites(loa) == 0
    made = await loa.tap(tim, "Ấp 2")
    assert "Lời mời tham gia Loa với vai trò trưởng ấp của Ấp 2" in made.plain

    def old_invite(s):                               # made before heads were bound to villages
        invite = Invite(code="commune-invite-01", role="village_head",
                        area_id=by_code(s, "28042").id, created_by=tim,
                        expires_at=utcnow() + timedelta(days=1))
        s.add(invite)
    loa.db.call(old_invite)
    late = await loa.send(loa.user(241, "Ba", "vi"), "/start commune-invite-01")
    assert late.plain.startswith("Lời mời này ghi cả một xã hoặc huyện")
    assert loa.db.call(get_user, 241).role == "citizen"


async def test_a_deployment_names_its_own_village_heads(areas_db, db_url, tmp_path):
    areas_db.call(import_areas, parse_csv("code,name,level,parent_code\n"
                                          "28036-K1,Khối 1,khối,28036\n"))
    path = tmp_path / "config.toml"
    path.write_text((ROOT / "config.toml").read_text(encoding="utf-8") + "\n[areas.head_titles]\n"
                    "'khối' = { vi = 'trưởng khối', en = 'block head' }\n", encoding="utf-8")
    async with Emulator(token=TOKEN, bot_username="loa_test_bot") as emu:
        config = loa_config(emu.api_url, db_url, path)
        async with serving(build_application(config, areas_db)) as app:
            loa = Loa(emu, areas_db, config, app.bot_data["services"])
            tim = await officer(loa, 250, code="28036")
            await loa.send(tim, "/invite")
            await loa.tap(tim, "trưởng thôn, ấp")
            made = await loa.tap(tim, "Khối 1")
            assert ("Lời mời tham gia Loa với vai trò trưởng khối của Khối 1, Thủ Thừa, "
                    "Thủ Thừa") in made.plain
            code = LINK.search(made.plain).group(1)
            welcome = await loa.send(loa.user(251, "Bảy", "en"), f"/start {code}")
            assert welcome.plain.startswith("Welcome! You are now block head of Khối 1")
    with pytest.raises(NotAVillage):                 # without the deployment's titles
        areas_db.call(grant, 252, Role.VILLAGE_HEAD, "28036-K1")
