"""Charts: the figures behind them equal /totals and the deadline overview; the PNGs stay within
Telegram's limits for 1 area and for 300, with every Vietnamese letter drawn; 📊 under /totals
and under a deadline sends the pictures."""

import io
import warnings
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from PIL import Image
from sqlmodel import select

from bot import charts
from bot.i18n import Translator
from bot.reminders import clockwork
from models.areas import by_code, import_areas, parse_csv
from models.campaigns import create_campaign
from models.deadlines import Clockwork, DeadlineDraft, Report, create_deadline, overview
from models.figures import totals
from models.pledges import (
    Pledge,
    PledgeDraft,
    PledgeRules,
    change_own_pledge,
    mark_received,
    register_pledge,
)
from models.series import campaign_series, deadline_series
from models.users import Role, grant
from tests.test_pledge_rules import NOW, TODAY, actor, citizen, draft, pledge
from tests.test_pledging import open_campaign

VI = Translator("vi", ZoneInfo("Asia/Ho_Chi_Minh"))
EN = Translator("en", ZoneInfo("Asia/Ho_Chi_Minh"))
PNG = b"\x89PNG\r\n\x1a\n"


def test_the_chart_of_a_campaign_says_what_totals_says(areas_db):
    def check(s):
        campaign = create_campaign(s, actor(s, 1), draft(s))      # the district: 804
        hamlet = pledge(s, citizen(s, 31, "28042-A1"), campaign, 1_000_000, "a")   # Tân Thành
        commune = pledge(s, citizen(s, 32, "28054"), campaign, 2_000_000, "b")     # Bình An
        pledge(s, citizen(s, 33, "28054-VK"), campaign, 3_000_000, "c", public=False)
        pledge(s, citizen(s, 34, None), campaign, 4_000_000, "d", kind="business")  # outsider
        pledge(s, citizen(s, 35, "23656"), campaign, 5_000_000, "e")  # another province
        big = register_pledge(s, citizen(s, 36, "28042-A2"), PledgeDraft(
            campaign.id, "individual", "Lớn", "money", 900_000_000, True), "f", NOW, TODAY,
            PledgeRules())[0]                                          # held: not public
        gone = pledge(s, citizen(s, 37, "28042-A3"), campaign, 6_000_000, "g")
        change_own_pledge(s, 37, gone.id, NOW, status="cancelled")
        mark_received(s, actor(s, 1), hamlet.id, 900_000, date(2023, 10, 21), NOW)
        mark_received(s, actor(s, 1), commune.id, 2_500_000, date(2023, 10, 23), NOW)
        assert big.held
        series = campaign_series(s, campaign.id)
        shown = totals(s, campaign.id)
        by = {area.code: (x.pledged, x.received, x.pledges) for area, x in shown.by_area}
        bars = {b.area.code: (b.sums.pledged, b.sums.received, b.sums.pledges)
                for b in series.by_area}
        for code in ("28042", "28054"):
            assert bars[code] == by[code]
        assert bars["28036"] == (0, 0, 0)                            # every commune has a bar
        assert len(bars) == 13 and list(bars)[-1] == "804"           # the district's own last
        assert bars["804"] == (9_000_000, 0, 2)                      # outsiders count there
        assert (series.overall.pledged, series.overall.received, series.overall.pledges) == \
            by["804"] == (15_000_000, 3_400_000, 5)
        assert series.by_day == [(date(2023, 10, 21), 900_000), (date(2023, 10, 23), 2_500_000)]
        assert series.cumulative[-1] == (date(2023, 10, 23), shown.overall.received)
        assert campaign_series(s, 999_999) is None
    areas_db.call(check)


def test_the_chart_of_a_deadline_says_what_the_overview_says(areas_db):
    def check(s):
        deadline = create_deadline(s, actor(s, 1), DeadlineDraft(
            title="Kết quả", due_at=NOW + timedelta(days=10), area_id=by_code(s, "804").id,
            level="ấp", role=Role.VILLAGE_HEAD, fields=[], offsets="1d"),
            Clockwork(VI.timezone, None, timedelta(hours=6)), NOW)
        for code in ("28042-A1", "28054-VK", "28054-LT"):
            s.add(Report(deadline_id=deadline.id, area_id=by_code(s, code).id))
        s.flush()
        bars = {b.area.code: (b.reported, b.missing) for b in deadline_series(s, deadline)}
        assert bars == {"28042": (1, 4), "28048": (0, 1), "28054": (2, 2), "28057": (0, 2),
                        "28063": (0, 1)}
        view = overview(s, deadline)
        assert sum(r for r, _m in bars.values()) == len(view.reports)
        assert sum(m for _r, m in bars.values()) == len(view.missing)
    areas_db.call(check)


def money_bars(n: int) -> list[charts.MoneyBar]:
    names = ["Xã Mỹ Phú", "Thị trấn Thủ Thừa", "Ấp Bình Hòa Đông Nhất Thượng", "Phường Ưu Đãi"]
    return [charts.MoneyBar(f"{names[i % 4]} {i}", 50_000_000 * (i % 7 + 1),
                            30_000_000 * (i % 5)) for i in range(n)]


def check_png(data: bytes) -> tuple[int, int]:
    """A PNG Telegram takes as a photo, about 1080 px wide as a phone shows it."""
    assert data.startswith(PNG) and len(data) < 1_000_000
    with Image.open(io.BytesIO(data)) as image:
        image.verify()
        width, height = image.size
    assert width == 1080 and 300 <= height <= 4000
    assert width + height <= 10_000 and max(width, height) / min(width, height) <= 20
    return width, height


@pytest.mark.parametrize("count", [1, 300])
def test_charts_render_for_one_area_and_for_three_hundred(count):
    bars = money_bars(count)
    overall = charts.MoneyBar("", sum(b.pledged for b in bars), sum(b.received for b in bars))
    assert charts.page_count(count) == (1 if count == 1 else 12)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Glyph ... missing from font" would fail the test
        heights = [check_png(charts.areas_chart(VI, "Tháng cao điểm “Vì người nghèo” — Thủ "
                                                "Thừa, Long An", bars, overall, 2_000_000_000,
                                                page))[1]
                   for page in {0, charts.page_count(count) - 1}]
        reports = [charts.ReportBar(b.name, i % 3, 2) for i, b in enumerate(bars)]
        check_png(charts.reports_chart(EN, "Kết quả Tháng cao điểm", reports,
                                        charts.page_count(count) - 1))
        days = [(date(2026, 11, 1) + timedelta(days=i), 10_000_000 * (i % 3 + 1))
                for i in range(count % 40)]
        check_png(charts.daily_chart(VI, "Vì người nghèo", days, 500_000_000))
    assert max(heights) < 2600                                      # 25 bars at most a page


def test_money_on_the_axis_in_the_readers_words():
    assert [charts.short_money(VI, n) for n in (0, 500_000, 1_500_000, 500_000_000,
                                                1_500_000_000)] == \
        ["0", "500 nghìn", "1,5 triệu", "500 triệu", "1,5 tỷ"]
    assert [charts.short_money(EN, n) for n in (500_000_000, 1_500_000_000)] == ["500M", "1.5B"]


def add_communes(loa, count: int) -> None:
    """A district of many communes, to page through."""
    rows = "\n".join(f"9{i:03d},Xã Số {i},xã,999" for i in range(count))
    text = f"code,name,level,parent_code\n999,Huyện Mới,huyện,80\n{rows}\n"
    loa.db.call(lambda s: import_areas(s, parse_csv(text)))


def pledge_in(loa, campaign_id: int, user_id: int, code: str, amount: int) -> None:
    def make(s):
        made = register_pledge(s, citizen(s, user_id, code), PledgeDraft(
            campaign_id, "individual", "Lan", "money", amount, True), f"t{user_id}",
            datetime.now(UTC), date.today())[0]
        mark_received(s, actor(s, 1), made.id, amount, date.today(), datetime.now(UTC))
    loa.db.call(make)


async def test_totals_offers_a_chart_and_pages_through_many_areas(loa):
    add_communes(loa, 30)
    campaign = open_campaign(loa, code="999")
    pledge_in(loa, campaign.id, 501, "9003", 2_000_000)
    await loa.onboard(500, name="Lan", lang="vi")
    screen = await loa.send(500, "/totals")
    assert ["📊 Biểu đồ"] in screen.buttons()
    daily = await loa.tap(500, "📊 Biểu đồ")
    assert daily.photo and "tiền đã nhận theo từng ngày" in daily.plain
    check_png(loa.emu.file_bytes(daily.photo))
    first = await loa.next(500)
    assert first.photo and "đăng ký và đã nhận theo địa bàn" in first.plain
    assert first.buttons() == [["1/2", "▶"]]
    check_png(loa.emu.file_bytes(first.photo))
    second = await loa.tap(500, "▶")
    assert second.photo and second.buttons() == [["◀", "2/2"]]
    assert second.photo != first.photo
    back = await loa.tap(500, "◀")                                     # the areas only
    assert back.buttons() == [["1/2", "▶"]] and "theo địa bàn" in back.plain
    forged = loa.emu.press(500, "ch:999999")
    await loa.emu.wait_callback_answer(forged)
    assert (await loa.next(500)).plain == "Không tìm thấy cuộc vận động này."
    assert loa.db.call(lambda s: len(s.exec(select(Pledge)).all())) == 1


async def test_a_deadline_offers_a_chart_of_reported_and_missing(loa):
    loa.db.call(grant, 610, Role.OFFICER, "28042")                     # Tân Thành
    await loa.onboard(610, name="Tím", lang="en")

    def make(s):
        deadline = create_deadline(s, actor(s, 610), DeadlineDraft(
            title="Kết quả Tháng cao điểm", due_at=datetime.now(UTC) + timedelta(days=5),
            area_id=by_code(s, "28042").id, level="ấp", role=Role.VILLAGE_HEAD, fields=[],
            offsets="1d"), clockwork(loa.config), datetime.now(UTC))
        s.add(Report(deadline_id=deadline.id, area_id=by_code(s, "28042-A1").id))
        return deadline.id
    deadline_id = loa.db.call(make)
    await loa.send(610, "/deadlines")
    opened = await loa.tap(610, "Kết quả Tháng cao điểm")
    assert ["📣 Nudge the missing now", "📊 Chart"] in opened.buttons()
    chart = await loa.tap(610, "📊 Chart")
    assert chart.photo and "reported and missing by area" in chart.plain
    assert chart.buttons() == []                                        # five hamlets: one page
    check_png(loa.emu.file_bytes(chart.photo))
    loa.db.call(grant, 611, Role.OFFICER, "28054")                     # another commune
    await loa.onboard(611, name="Ba", lang="en")
    refused = await loa.emu.wait_callback_answer(loa.emu.press(611, f"dl:g:{deadline_id}:0"))
    assert refused.text == "That deadline is outside your area."
    await loa.quiet(611)
    await loa.onboard(612, name="Dân", lang="en")                      # a citizen, forging
    refused = await loa.emu.wait_callback_answer(loa.emu.press(612, f"dl:g:{deadline_id}"))
    assert refused.text == "That deadline is outside your area."
    await loa.quiet(612)
    loa.emu.press(610, f"dl:g:{deadline_id}:9999")                     # a page past the end
    last = await loa.next(610)
    assert last.photo and last.buttons() == []                          # the only page
