"""Roles from the command line: grant, revoke, users; mistakes get one line."""

import subprocess
import sys

from tests.conftest import EXAMPLES, ROOT


def loa(tmp_path, *args):
    env = {"PATH": "/usr/bin:/bin", "LOA_DATABASE_URL": f"sqlite:///{tmp_path}/r.db",
           "LOA_ADMINS": "777"}
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], capture_output=True,
                          text=True, env=env, cwd=ROOT, timeout=60)


def test_grant_revoke_and_list(tmp_path):
    assert loa(tmp_path, "areas", "import", str(EXAMPLES / "areas-thu-thua.csv")).returncode == 0
    granted = loa(tmp_path, "grant", "4242", "officer", "--area", "28042")
    assert granted.returncode == 0 and granted.stdout.strip() == "4242: officer of area 28042"
    listing = loa(tmp_path, "users").stdout.splitlines()
    assert listing == ["777\tadmin (config)", "4242\tofficer\t28042\t"]
    assert loa(tmp_path, "revoke", "4242").stdout.strip() == "4242: citizen"
    for args, message in [
        (("grant", "1", "officer"), "loa: the officer role needs --area CODE"),
        (("grant", "1", "village_head", "--area", "NOPE"), "loa: no area with code 'NOPE'"),
        (("grant", "1", "village_head", "--area", "28042"),
         "loa: a village head serves a village-level area (ấp, thôn, tổ dân phố...), not the xã "
         "Tân Thành; other levels can be added in config.toml [areas.head_titles]"),
        (("revoke", "999"), "loa: no user 999"),
    ]:
        result = loa(tmp_path, *args)
        assert (result.returncode, result.stderr.strip()) == (1, message)
    refused = loa(tmp_path, "grant", "1", "admin", "--area", "804")
    assert refused.returncode == 2 and "invalid choice: 'admin'" in refused.stderr
