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
    assert "Lời mời làm trưởng ấp của Ấp 1, Tân Thành, Thủ Thừa:" in out
    assert "https://t.me/loa_sandbox_bot?start=" in out
    assert "Bạn là: trưởng ấp." in out
    assert "switch persona: citizen, benefactor, head, officer, admin" in out
    assert "there is no button 9" in out and out.rstrip().endswith("bye")
