"""`loa sandbox` as a newcomer uses it: no token, no network, a scripted chat."""

import subprocess
import sys

from tests.conftest import ROOT

SCRIPT = """/start
:2
:1
my an
:1
:2
:as officer
/invite
:1
tan thanh
:1
:1
:as head
/help
:as nobody
:9
:quit
"""


def test_sandbox_chats_as_several_personas():
    result = subprocess.run([sys.executable, "-m", "bot.cli", "sandbox"], input=SCRIPT,
                            capture_output=True, text=True, cwd=ROOT, timeout=120,
                            env={"PATH": "/usr/bin:/bin"})
    out = result.stdout
    assert result.returncode == 0, result.stderr
    assert "[1] Tiếng Việt   [2] English" in out
    assert "What Loa stores, and why" in out                     # the citizen chose English
    assert "Your area: Mỹ An, Thủ Thừa." in out
    assert "[1] 📱 Share my phone number   [2] Skip" in out
    assert "All set! Your area: <b>" not in out and "All set! Your area: Mỹ An" in out
    assert "You are now Tím, officer of Thủ Thừa district." in out
    assert "Bạn muốn mời ai?" in out
    assert "Lời mời tham gia Loa với vai trò trưởng ấp của Ấp 1, Tân Thành, Thủ Thừa:" in out
    assert "https://t.me/loa_sandbox_bot?start=" in out
    assert "Bạn là: trưởng ấp." in out
    assert "switch persona: citizen, benefactor, head, officer, admin" in out
    assert "The public page (công khai) is served at http://127.0.0.1:" in out
    assert "there is no button 9" in out and out.rstrip().endswith("bye")


async def test_messages_nobody_asked_for_appear_as_they_arrive_each_once():
    import asyncio
    import io

    from telegram import Bot

    from bot.emulator import Emulator
    from bot.sandbox import PERSONAS, VILLAGE_GROUP, VILLAGE_TITLE, Terminal

    citizen, officer = PERSONAS["citizen"].id, PERSONAS["officer"].id
    async with Emulator(token="1:T", bot_username="loa_sandbox_bot") as emu:
        for persona in PERSONAS.values():
            emu.add_user(persona.id, persona.name)
        emu.add_group(VILLAGE_GROUP, VILLAGE_TITLE)
        out = io.StringIO()
        term = Terminal(emu, out)
        watcher = asyncio.create_task(term.watch(lambda: "citizen> "))
        async with Bot("1:T", base_url=f"{emu.api_url}/bot") as bot:
            await bot.send_message(citizen, "⏰ Reminder: the report is due tomorrow")
            await bot.send_message(officer, "Broadcast #1 finished")
            await bot.send_message(officer, "Broadcast #2 finished")
            await bot.send_message(VILLAGE_GROUP, "Họp dân tối nay")  # a broadcast's copy
            await asyncio.sleep(1.0)                  # nobody typed anything
        watcher.cancel()
        printed = out.getvalue()
        assert printed.count("⏰ Reminder: the report is due tomorrow") == 1
        assert printed.count("new messages for officer") == 1
        assert "Broadcast #" not in printed
        assert f"── Loa → group “{VILLAGE_TITLE}”" in printed and "Họp dân tối nay" in printed
        term.switch(PERSONAS["officer"])
        term.switch(PERSONAS["citizen"])
        printed = out.getvalue()
        assert printed.count("Broadcast #1 finished") == printed.count("Broadcast #2") == 1
        assert printed.count("⏰ Reminder") == 1 and printed.endswith("(no new messages)\n")
