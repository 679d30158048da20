"""Loa talks in private chats only: in a group it says at most one line pointing to the private
chat, and never anything personal."""

from __future__ import annotations

from models.users import get_user, update_user

GROUP = -1001234


async def test_a_group_hears_one_line_and_nothing_personal(loa):
    lan = 501
    await loa.onboard(lan, "Lan")
    loa.db.call(lambda s: update_user(s, get_user(s, lan), phone="+84909123456"))
    loa.emu.add_group(GROUP, "Ấp 1 Tân Thành")
    for typed in ("/privacy", "/pledges", "/start", "/help", "/privacy@loa_test_bot"):
        loa.emu.send_text(lan, typed, chat_id=GROUP)
        line = await loa.next(GROUP)
        assert "t.me/loa_test_bot" in line.plain and "riêng" in line.plain
        assert "+84909123456" not in line.plain and "Ấp 1" not in line.plain
        assert len(line.plain.splitlines()) == 1
    for ignored in ("xin chào", "/help@another_bot", "500k"):
        loa.emu.send_text(lan, ignored, chat_id=GROUP)
    await loa.quiet(GROUP)
    await loa.quiet(lan)  # and nothing went to the private chat instead


async def test_a_button_pressed_in_a_group_changes_nothing(loa):
    lan = 502
    await loa.onboard(lan, "Lan")
    loa.emu.add_group(GROUP, "Ấp 1 Tân Thành")
    loa.emu.send_text(lan, "/help", chat_id=GROUP)
    message = await loa.next(GROUP)
    query = loa.emu.press(lan, "ob:forget:yes", message.message_id, chat_id=GROUP)
    answer = await loa.emu.wait_callback_answer(query)
    assert answer.show_alert and "t.me/loa_test_bot" in answer.text
    await loa.quiet(GROUP)
    assert loa.db.call(get_user, lan) is not None
