"""The public page: routes, caching (ETag, 304, one computation per refresh), headers, the rate
limit, the language, and that it shows exactly the public figures and nothing personal beyond
the honour roll's names (both backends)."""

from __future__ import annotations

import asyncio
import os
import re
import sys
from datetime import timedelta

import pytest
from aiohttp import ClientSession
from aiohttp.test_utils import TestClient, TestServer
from sqlmodel import select

from bot.app import build_application, serving
from bot.config import load_config
from bot.emulator import Emulator
from models.areas import by_code
from models.figures import totals
from models.pledges import Pledge, PledgeDraft, mark_received, register_pledge
from models.users import ensure_user, update_user
from tests.conftest import ROOT, TOKEN, Loa, loa_config
from tests.test_config import run_loa
from tests.test_figures import NOW, TODAY, actor, campaign_of, give
from tests.test_pledging import open_campaign
from tests.test_run import free_port
from web.server import ClientLimiter, PublicSite


def config(**env: str):
    return load_config(ROOT / "config.toml", env={"LOA_LANGUAGES": "vi,en", **env})


def seed(s) -> str:
    """A district's campaign: named and anonymous pledges in two communes and an ấp, some
    received on two days, one towards an item target; returns its prefix."""
    campaign = campaign_of(s)
    admin = actor(s, 1)
    named = give(s, 20, "28042-A1", campaign, 2_000_000)
    give(s, 21, "28054", campaign, 700_000)
    shy = ensure_user(s, 22, "Trần Thị Kín")[0]
    update_user(s, shy, phone="0912345678")
    hidden = register_pledge(s, shy, PledgeDraft(campaign.id, "individual", "Trần Thị Kín",
                                                  "money", 5_000_000, False), "tok-shy", NOW,
                             TODAY)[0]
    house = give(s, 23, "28042", campaign, 0, kind="in_kind", item="Nhà Đại đoàn kết",
                 quantity=1, target_id=1)
    mark_received(s, admin, named.id, 2_000_000, TODAY - timedelta(days=1), NOW)
    mark_received(s, admin, hidden.id, 5_000_000, TODAY, NOW)
    mark_received(s, admin, house.id, 0, TODAY, NOW)
    return campaign.ref_prefix


@pytest.fixture
async def site(areas_db):
    prefix = areas_db.call(seed)
    public = PublicSite(config(), areas_db, burst=1000)
    async with TestClient(TestServer(public.app())) as client:
        client.public, client.prefix = public, prefix
        yield client


async def test_the_json_is_the_databases_figures(site, areas_db):
    answer = await site.get(f"/api/campaigns/{site.prefix.lower()}")
    assert answer.status == 200 and answer.content_type == "application/json"
    data = await answer.json()
    campaign_id = areas_db.call(lambda s: s.exec(select(Pledge.campaign_id)).first())
    figures = areas_db.call(totals, campaign_id, 3)
    assert (data["pledged"], data["received"], data["pledges"]) == (
        figures.overall.pledged, figures.overall.received, figures.overall.pledges)
    assert data["received"] == 7_000_000 and data["target"] == 500_000_000
    assert [(a["code"], a["pledged"], a["received"]) for a in data["areas"] if a["pledges"]
            ] == [(a.code, s.pledged, s.received) for a, s in figures.by_area]
    assert len(data["areas"]) == 28  # every area of the district, those without pledges at 0
    assert data["received_by_day"] == [
        {"date": (TODAY - timedelta(days=1)).isoformat(), "amount": 2_000_000},
        {"date": TODAY.isoformat(), "amount": 5_000_000}]
    assert data["items"][0] == {"name": "Nhà Đại đoàn kết", "quantity": 7, "pledged": 1,
                                "received": 1, "started": 0, "finished": 0, "photos": []}
    assert [h["name"] for h in data["honour"]] == ["Người 20", "Người 23"]
    assert data["given"] == {"total": 0, "records": 0, "by_day": []} and data["updated_at"]


async def test_the_page_shows_the_figures_and_nothing_personal(site):
    answer = await site.get(f"/c/{site.prefix}", headers={"Accept-Language": "vi"})
    assert answer.status == 200 and answer.content_type == "text/html"
    page = await answer.text()
    assert '<html lang="vi">' in page
    for shown in ("Vì người nghèo", "500.000.000", "7.700.000", "7.000.000", "Ấp 1",
                  "Tân Thành", "Bình An", "Người 20", "Nhà Đại đoàn kết", "<svg"):
        assert shown in page, shown
    for secret in ("Trần Thị Kín", "0912345678", "Người 21", "Người 22", "tok-", "<script"):
        assert secret not in page, secret
    assert '<th scope="row"' in page and "<caption>" in page and "<details>" in page
    json_text = await (await site.get(f"/api/campaigns/{site.prefix}")).text()
    for secret in ("Trần Thị Kín", "0912345678", "Người 21", "tok-", "user_id", "phone"):
        assert secret not in json_text, secret


async def test_language_from_the_browser_and_the_switch(site):
    english = await (await site.get(f"/c/{site.prefix}", headers={
        "Accept-Language": "en-GB,en;q=0.9,vi;q=0.5"})).text()
    assert '<html lang="en">' in english and "Honour roll" in english
    assert f'href="/c/{site.prefix}?lang=vi"' in english
    switched = await (await site.get(f"/c/{site.prefix}?lang=vi", headers={
        "Accept-Language": "en"})).text()
    assert '<html lang="vi">' in switched and "Bảng vàng" in switched
    assert '<html lang="vi">' in await (await site.get("/")).text()


async def test_etag_304_and_one_computation_per_refresh(site):
    first = await site.get(f"/c/{site.prefix}")
    etag = first.headers["ETag"]
    assert first.headers["Cache-Control"] == "public, max-age=30"
    again = await site.get(f"/c/{site.prefix}", headers={"If-None-Match": etag})
    assert again.status == 304 and await again.read() == b""
    head = await site.head(f"/c/{site.prefix}")
    assert head.status == 200 and head.headers["ETag"] == etag
    api = await site.get(f"/api/campaigns/{site.prefix}")
    assert (await site.get(f"/api/campaigns/{site.prefix}", headers={
        "If-None-Match": api.headers["ETag"]})).status == 304
    assert site.public.cache.computations == 1  # four requests, one read of the figures


async def test_a_change_shows_after_the_refresh(areas_db):
    prefix = areas_db.call(seed)
    clock = [0.0]
    public = PublicSite(config(LOA_WEB_REFRESH_SECONDS="30"), areas_db)
    public.cache.clock = lambda: clock[0]
    async with TestClient(TestServer(public.app())) as client:
        before = await (await client.get(f"/api/campaigns/{prefix}")).json()
        areas_db.call(lambda s: give(s, 30, "28042-A2", campaign_of_prefix(s, prefix), 1_000))
        clock[0] = 29
        assert (await (await client.get(f"/api/campaigns/{prefix}")).json()) == before
        clock[0] = 31  # the stale figures once more, while they are read again
        assert (await (await client.get(f"/api/campaigns/{prefix}")).json()) == before
        await asyncio.gather(*public.cache.refreshing.values())
        after = await (await client.get(f"/api/campaigns/{prefix}")).json()
        assert after["pledged"] == before["pledged"] + 1_000
        assert public.cache.computations == 2


def campaign_of_prefix(s, prefix):
    from models.exports import campaign_by_prefix
    return campaign_by_prefix(s, prefix)


async def test_support_given_shows_rolled_up_and_without_names(areas_db):
    from models.households import add_household
    from models.support import SupportDraft, record_support

    prefix = areas_db.call(seed)

    def give_support(s):
        campaign = campaign_of_prefix(s, prefix)
        home = add_household(s, actor(s, 1), "Nguyễn Văn Nghèo", by_code(s, "28042-A1").id,
                             "poor")
        record_support(s, actor(s, 1), SupportDraft(campaign.id, "money", 3_000_000, TODAY,
                                                    household_id=home.id), TODAY)
        record_support(s, actor(s, 1), SupportDraft(
            campaign.id, "goods", 500_000, TODAY - timedelta(days=1),
            area_id=by_code(s, "28054").id, cause="Bếp ăn trường học"), TODAY)
        builds = add_household(s, actor(s, 1), "Lê Thị Nhà", by_code(s, "28042-A2").id, "poor")
        record_support(s, actor(s, 1), SupportDraft(campaign.id, "house", 0, TODAY,
                                                    household_id=builds.id, stage="started"),
                       TODAY)
    areas_db.call(give_support)
    public = PublicSite(config(), areas_db)
    async with TestClient(TestServer(public.app())) as client:
        data = await (await client.get(f"/api/campaigns/{prefix}")).json()
        assert data["given"] == {"total": 3_500_000, "records": 3, "by_day": [
            {"date": (TODAY - timedelta(days=1)).isoformat(), "amount": 500_000},
            {"date": TODAY.isoformat(), "amount": 3_000_000}]}
        assert (data["items"][0]["started"], data["items"][0]["finished"]) == (1, 0)
        given = {a["code"]: a["given"] for a in data["areas"]}
        assert (given["804"], given["28042"], given["28042-A1"], given["28054"],
                given["28039"]) == (3_500_000, 3_000_000, 3_000_000, 500_000, 0)
        page = await (await client.get(f"/c/{prefix}?lang=en")).text()
        assert "Given" in page and 'class="given"' in page and "1 being built, 0 finished" in page
        assert "Nghèo" not in page and "Bếp ăn" not in page and "Lê Thị" not in page


async def test_routes_methods_headers_and_missing_campaigns(site):
    for path in ("/", f"/c/{site.prefix}", f"/api/campaigns/{site.prefix}", "/static/loa.css"):
        answer = await site.get(path)
        assert answer.status == 200, path
        assert "default-src 'self'" in answer.headers["Content-Security-Policy"]
        assert "frame-ancestors" in answer.headers["Content-Security-Policy"]
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
        assert answer.headers["Referrer-Policy"]
    for method in ("POST", "PUT", "DELETE", "PATCH"):
        answer = await site.request(method, f"/c/{site.prefix}")
        assert answer.status == 405, method
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert (await site.get("/c/NOPE99")).status == 404
    assert (await site.get("/c/bad'prefix")).status == 404
    assert (await site.get("/api/campaigns/NOPE99")).status == 404


async def test_a_client_over_its_rate_gets_429_with_retry_after(areas_db):
    prefix = areas_db.call(seed)
    public = PublicSite(config(), areas_db, rate=1, burst=3)
    async with TestClient(TestServer(public.app())) as client:
        codes = [(await client.get(f"/c/{prefix}")).status for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        answer = await client.get("/")
        assert answer.status == 429 and int(answer.headers["Retry-After"]) >= 1


def test_the_token_bucket_refills_and_forgets_idle_clients():
    limiter = ClientLimiter(rate=2, burst=2, max_clients=2)
    assert [limiter.wait("a", 0) for _ in range(3)] == [0, 0, 0.5]
    assert limiter.wait("a", 0.5) == 0  # one token back after half a second
    limiter.wait("b", 0.5)
    limiter.wait("c", 10)  # a third client: the idle ones are dropped
    assert set(limiter.buckets) == {"c"}


async def test_the_page_is_small_for_300_areas(db):
    """A district of 300 areas with a pledge in every ấp: the page stays under 100 KB."""
    from models.areas import import_areas, parse_csv
    rows = ["code,name,level,parent_code", "P,Tỉnh Thử,tỉnh,", "D,Huyện Thử,huyện,P"]
    rows += [f"X{c},Xã {c},xã,D" for c in range(30)]
    rows += [f"X{c}A{v},Ấp {v},ấp,X{c}" for c in range(30) for v in range(9)]
    db.call(lambda s: import_areas(s, parse_csv("\n".join(rows))))

    def many(s):
        campaign = campaign_of(s, "D")
        for i in range(270):
            give(s, 100 + i, f"X{i // 9}A{i % 9}", campaign, 100_000 * (i + 1))
        return campaign.ref_prefix
    prefix = db.call(many)
    public = PublicSite(config(), db)
    async with TestClient(TestServer(public.app())) as client:
        page = await (await client.get(f"/c/{prefix}", headers={
            "Accept-Encoding": "identity"})).read()
        css = await (await client.get("/static/loa.css")).read()
        zipped = await client.get(f"/c/{prefix}", auto_decompress=False)
        assert zipped.headers["Content-Encoding"] == "gzip"
        gzipped = len(await zipped.read())
        assert gzipped < len(page) / 4
    print(f"page {len(page):,} bytes ({gzipped:,} gzipped) + CSS {len(css):,} bytes for "
          "300 areas")
    assert len(re.findall(r'<th scope="row"', page.decode())) == 300
    assert len(page) + len(css) < 100_000


@pytest.mark.parametrize(("public_url", "kind"), [("https://loa.example.vn", "web_app"),
                                                  ("http://127.0.0.1:8080", "url")])
async def test_totals_and_the_campaign_card_open_the_page(areas_db, db_url, public_url, kind):
    """With web.public_url, /totals and the card carry the page's button: inside Telegram
    (a Web App) over https, a plain link otherwise; with web.listen the bot serves the page."""
    async with Emulator(token=TOKEN, bot_username="loa_test_bot") as emu:
        cfg = loa_config(emu.api_url, db_url, LOA_WEB_PUBLIC_URL=public_url,
                         LOA_WEB_LISTEN="127.0.0.1:0")
        app = build_application(cfg, areas_db)
        async with serving(app):
            loa = Loa(emu, areas_db, cfg, app.bot_data["services"])
            campaign = open_campaign(loa)
            await loa.onboard(700, name="Lan", lang="en")
            wanted = f"{public_url}/c/{campaign.ref_prefix}?lang=en"
            for command in ("/totals", "/campaigns"):
                screen = await loa.send(700, command)
                buttons = [b for row in screen.inline_keyboard for b in row]
                opening = [b for b in buttons if b["text"] == "🌐 Open the public page"]
                assert len(opening) == 1, command
                target = opening[0][kind]
                assert (target["url"] if kind == "web_app" else target) == wanted, command
            port = app.bot_data["http"].runner.addresses[0][1]
            async with ClientSession() as http, http.get(
                    f"http://127.0.0.1:{port}/c/{campaign.ref_prefix}") as answer:
                assert answer.status == 200 and "Vì người nghèo" in await answer.text()


async def test_no_public_url_no_button(loa):
    open_campaign(loa)
    await loa.onboard(701, name="Lan", lang="en")
    for command in ("/totals", "/campaigns"):
        screen = await loa.send(701, command)
        assert "🌐 Open the public page" not in str(screen.buttons()), command


async def test_readers_arriving_together_wait_for_one_computation(areas_db):
    prefix = areas_db.call(seed)
    public = PublicSite(config(), areas_db, burst=100)
    async with TestClient(TestServer(public.app())) as client:
        answers = await asyncio.gather(*(client.get(f"/c/{prefix}") for _ in range(20)))
        assert {a.status for a in answers} == {200}
        assert public.cache.computations == 1


def test_loa_web_needs_an_address(tmp_path):
    result = run_loa("web", env={"LOA_DATABASE_URL": f"sqlite:///{tmp_path}/x.db"})
    assert result.returncode == 2
    assert result.stderr.startswith("loa: LOA_WEB_LISTEN is not set")


async def test_loa_web_serves_the_page_alone(tmp_path):
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "web", cwd=ROOT, stdout=asyncio.subprocess.PIPE,
        env={"PATH": "/usr/bin:/bin", "LOA_DATABASE_URL": f"sqlite:///{tmp_path}/x.db",
             "LOA_WEB_LISTEN": f"127.0.0.1:{port}"})
    try:
        line = await asyncio.wait_for(process.stdout.readline(), timeout=60)
        assert line.decode().strip() == f"Loa's public page: http://127.0.0.1:{port}/"
        async with ClientSession() as http, http.get(f"http://127.0.0.1:{port}/?lang=en") as got:
            assert got.status == 200 and "There is no campaign yet." in await got.text()
    finally:
        process.terminate()
        await process.wait()


def house_with_photos(prefix: str, finished_photo: str, started_photo: str):
    """Two houses: one finished with its photo, one being built with another."""
    from models.households import add_household
    from models.support import SupportDraft, record_support

    def record(s):
        campaign = campaign_of_prefix(s, prefix)
        for name, stage, photo in (("Lê Văn Xong", "finished", finished_photo),
                                   ("Lê Văn Đang", "started", started_photo)):
            home = add_household(s, actor(s, 1), name, by_code(s, "28042-A1").id, "poor")
            record_support(s, actor(s, 1), SupportDraft(
                campaign.id, "house", 0, TODAY, household_id=home.id, stage=stage,
                file_id=photo, file_kind="photo"), TODAY)
    return record


def jpeg(width: int, height: int) -> bytes:
    from io import BytesIO

    from PIL import Image
    out = BytesIO()
    Image.new("RGB", (width, height), (200, 40, 30)).save(out, "JPEG")
    return out.getvalue()


async def test_finished_houses_show_their_photos_as_small_thumbnails(areas_db, tmp_path):
    from io import BytesIO

    from PIL import Image
    prefix = areas_db.call(seed)
    async with Emulator(token=TOKEN, bot_username="loa_test_bot") as emu:
        emu.add_user(700, "Tím")
        done = emu.send_photo(700, jpeg(1280, 960))["photo"][-1]["file_id"]
        building = emu.send_photo(700, jpeg(640, 480))["photo"][-1]["file_id"]
        areas_db.call(house_with_photos(prefix, done, building))
        public = PublicSite(config(LOA_TELEGRAM_TOKEN=TOKEN, LOA_TELEGRAM_API_URL=emu.api_url,
                                   LOA_WEB_PHOTOS_DIR=str(tmp_path / "p")), areas_db, burst=1000)
        async with TestClient(TestServer(public.app())) as client:
            page = await (await client.get(f"/c/{prefix}?lang=en")).text()
            images = re.findall(r'<img src="([^"]+)" loading="lazy" width="160" height="120" '
                                r'alt="([^"]+)">', page)
            assert images == [(images[0][0], "Finished house 1: Nhà Đại đoàn kết")]
            assert "1 being built, 1 finished" in page
            answer = await client.get(images[0][0])
            assert answer.status == 200 and answer.content_type == "image/jpeg"
            data = await answer.read()
            with Image.open(BytesIO(data)) as thumb:
                assert thumb.format == "JPEG" and thumb.size == (320, 240)
            assert await (await client.get(images[0][0])).read() == data
            assert public.photos.fetches == 1  # kept on disk: Telegram asked once
            assert [p.name for p in (tmp_path / "p").iterdir()] == [images[0][0].rsplit("/", 1)[1]]
            vi = await (await client.get(f"/c/{prefix}?lang=vi")).text()
            assert 'alt="Nhà đã xong 1: Nhà Đại đoàn kết"' in vi
            json_text = await (await client.get(f"/api/campaigns/{prefix}")).text()
            refused = [await client.get(f"/c/{prefix}/photos/{key}.jpg") for key in (
                "0" * 24, done, building, images[0][0].rsplit("/", 1)[1][:-4] + "0")]
            assert [r.status for r in refused] == [404] * 4
            refused_text = "".join([await r.text() for r in refused])
            assert (await client.get(f"/c/NOPE99/{images[0][0].split('/', 3)[3]}")).status == 404
            for shown in (page, vi, json_text, refused_text):
                for secret in (TOKEN, done, building, "Lê Văn"):
                    assert secret not in shown


async def test_no_token_no_photos(areas_db):
    prefix = areas_db.call(seed)
    areas_db.call(house_with_photos(prefix, "PHO1-abc", "PHO2-def"))
    public = PublicSite(config(), areas_db)
    assert public.photos is None
    async with TestClient(TestServer(public.app())) as client:
        page = await (await client.get(f"/c/{prefix}?lang=en")).text()
        assert "1 being built, 1 finished" in page and "<img" not in page
        from web.photos import photo_key
        assert (await client.get(f"/c/{prefix}/photos/{photo_key('PHO1-abc')}.jpg")
                ).status == 404


def test_initials_as_a_notice_board_writes_them():
    from models.households import initials
    assert initials("Nguyễn Văn An") == "N.V.A."
    assert initials("  đỗ thị  ánh ") == "Đ.T.Á."
    assert initials("Lê (Bà) Út") == "L.Ú."


@pytest.mark.parametrize("show", [False, True])
async def test_households_helped_by_initials_and_village_only_when_asked(areas_db, show):
    from models.households import add_household, erase_household
    from models.support import SupportDraft, record_support

    prefix = areas_db.call(seed)

    def helped(s):
        campaign = campaign_of_prefix(s, prefix)
        for name, area, kind, value in (("Nguyễn Văn An", "28042-A1", "money", 2_000_000),
                                        ("Đỗ Thị Ánh", "28054", "house", 0)):
            home = add_household(s, actor(s, 1), name, by_code(s, area).id, "poor")
            record_support(s, actor(s, 1), SupportDraft(campaign.id, kind, value, TODAY,
                                                        household_id=home.id), TODAY)
        gone = add_household(s, actor(s, 1), "Trần Quốc Bảo", by_code(s, "28042-A2").id, "poor")
        record_support(s, actor(s, 1), SupportDraft(campaign.id, "money", 1_000, TODAY,
                                                    household_id=gone.id), TODAY)
        erase_household(s, actor(s, 1), gone.id)  # erased on request: off the board too
    areas_db.call(helped)
    public = PublicSite(config(LOA_WEB_SHOW_HOUSEHOLDS=str(show).lower()), areas_db)
    async with TestClient(TestServer(public.app())) as client:
        vi = await (await client.get(f"/c/{prefix}?lang=vi")).text()
        en = await (await client.get(f"/c/{prefix}?lang=en")).text()
        data = await (await client.get(f"/api/campaigns/{prefix}")).json()
    today = TODAY.strftime("%d/%m/%Y")
    shown = [f"N.V.A. — Ấp 1 — 2.000.000\xa0₫, {today}",
             f"Đ.T.Á. — Bình An — 🏠 Nhà Đại đoàn kết, {today}"]
    for line in shown:
        assert (line in vi) is show, line
    assert ("Households helped" in en) is show and ("Hộ đã được hỗ trợ" in vi) is show
    if show:
        assert data["helped"]["total"] == 2
        assert [(h["initials"], h["village"]) for h in data["helped"]["shown"]] == [
            ("Đ.T.Á.", "Bình An"), ("N.V.A.", "Ấp 1")]
    else:
        assert data["helped"] is None
    for text in (vi, en, str(data)):
        for name in ("Nguyễn Văn An", "Văn An", "Đỗ Thị Ánh", "Thị Ánh", "T.Q.B.", "Bảo"):
            assert name not in text, name


def province_figures():
    """A province of 11,011 areas (10 districts × 100 communes × 10 ấp), sums everywhere."""
    from web.figures import AreaLine, Given, PageFigures

    def line(code, name, level, depth, parent, n):
        return AreaLine(code, name, level, depth, parent, 123_456_000 * n, 98_765_000 * n,
                        1_000 * n, 45_678_000 * n)
    areas = [line("P", "Tỉnh Thử", "tỉnh", 0, None, 10_000)]
    for d in range(10):
        areas.append(line(f"D{d}", f"Huyện Thử Nghiệm {d}", "huyện", 1, "P", 1_000))
        for c in range(100):
            areas.append(line(f"D{d}X{c}", f"Xã Phước Long Thử {c}", "xã", 2, f"D{d}", 10))
            areas += [line(f"D{d}X{c}A{v}", f"Ấp Tân Hòa {v}", "ấp", 3, f"D{d}X{c}", 1)
                      for v in range(10)]
    return PageFigures("TT", "Vì người nghèo", "Tỉnh Thử", TODAY, TODAY, "open",
                       10**12, 10**11, 10**11, 11_000_000, 900_000, areas, [], [], [], Given(0))


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_a_province_page_stays_small_and_each_area_opens_its_own_table(lang):
    """11,011 areas made a page of 1.25 MB: the table stops at the deepest level that fits 500
    lines, each area cut there a link to its own table, each of them small too."""
    from bot.i18n import Translator
    from web import render
    figures = province_figures()
    _ = Translator(lang, config().timezone)

    def rendered(area=None):
        return render.page(_, figures, ("vi", "en"), NOW, area=area)

    whole = rendered()
    assert len(re.findall(r'<th scope="row"', whole)) == 10  # the districts
    assert f'<a href="/c/TT?area=D3&amp;lang={lang}">Huyện Thử Nghiệm 3</a>' in whole
    district, commune = rendered("D3"), rendered("D3X7")
    assert len(re.findall(r'<th scope="row"', district)) == 100  # 1,100 lines would not fit
    assert f'<a href="/c/TT?area=D3X7&amp;lang={lang}">Xã Phước Long Thử 7</a>' in district
    assert len(re.findall(r'<th scope="row"', commune)) == 10 and "Ấp Tân Hòa 9" in commune
    assert "?area=D3X7A" not in commune and f'href="/c/TT?lang={lang}"' in commune
    print(f"{lang}: province {len(whole.encode()):,} B, district {len(district.encode()):,} B, "
          f"commune {len(commune.encode()):,} B")
    assert max(len(page.encode()) for page in (whole, district, commune)) < 100_000


async def test_a_big_tree_links_each_cut_area_to_its_own_table(db):
    """661 areas (a district, 60 communes of 10 ấp): the communes, each opening its ấp."""
    from models.areas import import_areas, parse_csv
    rows = ["code,name,level,parent_code", "P,Tỉnh Thử,tỉnh,", "D,Huyện Thử,huyện,P"]
    rows += [f"X{c},Xã {c},xã,D" for c in range(60)]
    rows += [f"X{c}A{v},Ấp {v},ấp,X{c}" for c in range(60) for v in range(10)]
    db.call(lambda s: import_areas(s, parse_csv("\n".join(rows))))
    prefix = db.call(lambda s: (campaign := campaign_of(s, "D"), give(
        s, 100, "X7A3", campaign, 400_000))[0].ref_prefix)
    public = PublicSite(config(), db)
    async with TestClient(TestServer(public.app())) as client:
        page = await (await client.get(f"/c/{prefix}?lang=en")).text()
        assert len(re.findall(r'<th scope="row"', page)) == 60 and "Ấp 3" not in page
        link = f"/c/{prefix}?area=X7&lang=en"
        assert f'<a href="{link.replace("&", "&amp;")}">Xã 7</a>' in page
        answer = await client.get(link)
        one = await answer.text()
        assert answer.status == 200 and len(re.findall(r'<th scope="row"', one)) == 10
        assert f'href="/c/{prefix}?area=X7&amp;lang=vi"' in one  # the switch keeps the area
        assert "Xã 7 and the areas below it." in one and "<td>400,000" in one.replace(
            "₫", "").replace("\xa0", "")
        again = await client.get(link, headers={"If-None-Match": answer.headers["ETag"]})
        assert again.status == 304 and answer.headers["ETag"] != (
            await client.get(f"/c/{prefix}")).headers["ETag"]
        assert (await client.get(f"/c/{prefix}?area=NOPE")).status == 404
        assert set(public.cache.entries[prefix].bodies) == {"en", "en:X7", "vi"}  # kept


def test_the_photos_folder_and_its_cap(tmp_path):
    from web.photos import PhotoStore, photos_folder
    assert photos_folder(config(LOA_DATABASE_URL=f"sqlite:///{tmp_path}/loa.db")) == \
        tmp_path / "web-photos"
    assert photos_folder(config(LOA_DATABASE_URL="postgresql://x@h/loa")).name == \
        "loa-web-photos"
    assert photos_folder(config(LOA_WEB_PHOTOS_DIR=str(tmp_path / "t"))) == tmp_path / "t"
    assert PhotoStore.of(config()) is None  # no token: no photos
    store = PhotoStore(TOKEN, "http://127.0.0.1:9", tmp_path / "p", max_bytes=2_500)
    assert TOKEN not in repr(store)
    for n, name in enumerate("abc"):
        store._keep(tmp_path / "p" / f"{name}.jpg", b"x" * 1_000)
        os.utime(tmp_path / "p" / f"{name}.jpg", (n, n))
    assert sorted(p.name for p in (tmp_path / "p").iterdir()) == ["b.jpg", "c.jpg"]


async def test_a_photo_telegram_will_not_give_is_404_and_not_asked_again_at_once(tmp_path):
    from web.photos import PhotoStore
    store = PhotoStore(TOKEN, f"http://127.0.0.1:{free_port()}", tmp_path, 10**6)
    assert await store.get("a" * 24, "PHO1") is None
    assert await store.get("a" * 24, "PHO1") is None
    assert store.fetches == 1
