"""The public page in a real browser: headless Chromium (Debian's `chromium`) loads a seeded
campaign's page; the figures it shows equal the database's, nothing personal shows, and a phone
-width screenshot is taken (LOA_SCREENSHOT_TO=docs/public-page.png keeps it for the README)."""

from __future__ import annotations

import asyncio
import html
import os
import re
import shutil
from pathlib import Path

import pytest
from sqlmodel import select

from bot.http import HttpServer
from bot.i18n import Translator
from models.figures import totals
from models.pledges import Pledge
from tests.test_figures import TODAY, actor, give
from tests.test_web import config, seed
from web.server import PublicSite

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="no /usr/bin/chromium: apt-get install -y "
    "--no-install-recommends chromium to test the page in a real browser")


async def chromium(tmp_path: Path, *args: str) -> bytes:
    flags = ["--headless", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
             f"--user-data-dir={tmp_path / 'profile'}"]
    if os.geteuid() == 0:  # Chromium's sandbox refuses to run as root (containers, CI)
        flags.append("--no-sandbox")
    process = await asyncio.create_subprocess_exec(
        str(CHROMIUM), *flags, *args, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL)
    out, _ = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode == 0
    return out


def more(s):
    """Enough for the screenshot to look like a drive: three communes, several days."""
    prefix = seed(s)
    from models.exports import campaign_by_prefix
    from models.pledges import mark_received
    campaign = campaign_by_prefix(s, prefix)
    for i, (code, amount, days) in enumerate([("28042-A2", 3_000_000, 3), ("28054-AH1", 1_500_000,
                                             2), ("28063", 10_000_000, 4), ("28042-A1", 500_000,
                                                                            0)]):
        pledge = give(s, 40 + i, code, campaign, amount)
        mark_received(s, actor(s, 1), pledge.id, amount, TODAY.fromordinal(
            TODAY.toordinal() - days), pledge.created_at)
    from models.areas import by_code
    from models.households import add_household
    from models.support import SupportDraft, record_support
    for name, code, kind, value, stage in [("Hộ mẫu Một", "28042-A2", "money", 2_000_000, None),
                                           ("Hộ mẫu Hai", "28063", "house", 0, "started")]:
        home = add_household(s, actor(s, 1), name, by_code(s, code).id, "poor")
        record_support(s, actor(s, 1), SupportDraft(campaign.id, kind, value, TODAY,
                                                    household_id=home.id, stage=stage), TODAY)
    return prefix, campaign.id


async def test_the_page_in_chromium_shows_the_databases_figures(areas_db, tmp_path):
    prefix, campaign_id = areas_db.call(more)
    site = HttpServer(areas_db, site=PublicSite(config(), areas_db))
    address = (await site.start([("127.0.0.1", 0)]))[0]
    try:
        dom = html.unescape((await chromium(
            tmp_path, "--dump-dom", f"{address}/c/{prefix}?lang=vi")).decode())
        shot = tmp_path / "page.png"
        await chromium(tmp_path, f"--screenshot={shot}", "--window-size=412,915",
                       f"{address}/c/{prefix}?lang=vi")
    finally:
        await site.stop()
    _ = Translator("vi", config().timezone)
    figures = areas_db.call(totals, campaign_id, 3)
    shown = dict(re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", dom))
    assert shown["Chỉ tiêu"] == _.money(500_000_000)
    assert shown["Đã đăng ký"].startswith(_.money(figures.overall.pledged) + " · ")
    assert shown["Đã nhận"] == _.money(figures.overall.received)
    assert shown["Đã hỗ trợ"] == _.money(2_000_000)
    assert "Hộ mẫu" not in dom  # who was helped is never on the page
    rows = dict((name, (pledged, received)) for name, pledged, received in re.findall(
        r'<th scope="row" class="d\d">(.*?)</th><td>(.*?)</td><td>(.*?)</td>', dom))
    for area, sums in figures.by_area[1:]:
        assert rows[area.name] == (_.money(sums.pledged), _.money(sums.received)), area.name
    names = areas_db.call(lambda s: {p.display_name: p.public for p in s.exec(select(Pledge))})
    for name, public in names.items():
        assert (name in dom) == public or name == "Người 21", name  # 21: registered only
    assert "Trần Thị Kín" not in dom and "0912345678" not in dom
    png = shot.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert int.from_bytes(png[16:20], "big") == 412  # phone width, in pixels
    if os.environ.get("LOA_SCREENSHOT_TO"):
        shutil.copy(shot, os.environ["LOA_SCREENSHOT_TO"])
