"""Exports: the workbooks and CSV files officers take to the office, opened as Excel would
(openpyxl, csv), their figures against the database, and the officer's scope."""

import csv
import io
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from bot.context import local_today
from bot.i18n import Translator
from bot.sheets import MONEY_FORMAT, write_csv, write_xlsx
from models.areas import ancestors, by_code
from models.broadcasts import Broadcast, BroadcastStatus
from models.campaigns import Campaign, CampaignDraft, create_campaign
from models.chats import Chat
from models.deadlines import Deadline, Report
from models.dialogs import Dialog
from models.exports import (
    NotInside,
    broadcast_table,
    exportable_campaigns,
    pledges_table,
    reports_table,
    totals_tables,
    upward_table,
)
from models.figures import totals, upward_report
from models.outbox import Delivery, DeliveryStatus
from models.pledges import PledgeDraft, mark_received, register_pledge
from models.users import AccessDenied, Role, actor_for, ensure_user, grant, update_user
from tests.conftest import ADMIN

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
TODAY = date(2026, 11, 20)
TZ = ZoneInfo("Asia/Ho_Chi_Minh")
VI, EN = Translator("vi", TZ), Translator("en", TZ)
ADMINS = frozenset({1})
NAMES = ['=HYPERLINK("http://x.example","Bấm")', "+1", "Nguyễn Thị Hồng Nhung", " -2+3"]


def actor(s, user_id):
    return actor_for(s, ensure_user(s, user_id)[0], ADMINS)


def seed(s):
    """A district campaign with pledges from two hamlets of Tân Thành and one from Long
    Thạnh; an officer of Tân Thành (50) and one of Long Thạnh (51)."""
    grant(s, 50, Role.OFFICER, "28042")
    grant(s, 51, Role.OFFICER, "28039")
    campaign = create_campaign(s, actor(s, 1), CampaignDraft(
        name="Vì người nghèo 2026", description="Thư ngỏ", starts_on=date(2026, 11, 1),
        ends_on=date(2026, 12, 31), area_id=by_code(s, "804").id, money_target=10**9,
        targets=[("Nhà Đại đoàn kết", 7)]))
    homes = ["28042-A1", "28042-A1", "28042-A2", "28039"]
    for i, (name, home) in enumerate(zip(NAMES, homes, strict=True)):
        user = update_user(s, ensure_user(s, 100 + i, name)[0], area_id=by_code(s, home).id)
        pledge = register_pledge(s, user, PledgeDraft(campaign.id, "individual", name, "money",
                                                      500_000 * (i + 1), True),
                                 f"tok{i}", NOW, TODAY)[0]
        if i == 0:
            mark_received(s, actor(s, 1), pledge.id, 400_000, date(2026, 11, 21), NOW)
    return campaign.id


def book(tables, _=VI):
    buffer = io.BytesIO()
    write_xlsx(buffer, tables, _)
    return openpyxl.load_workbook(io.BytesIO(buffer.getvalue()))


def rows(sheet):
    return [[c.value for c in row] for row in sheet.iter_rows()]


@pytest.fixture
def seeded(areas_db):
    return areas_db, areas_db.call(seed)


def test_pledges_workbook_has_types_formats_levels_and_a_frozen_filtered_header(seeded):
    db, campaign_id = seeded
    admin = db.call(actor, 1)
    table = pledges_table(db.session, admin, campaign_id, batch=2)  # several pages
    assert table.total == 4
    sheet = book([table])["Danh sách ủng hộ"]
    header, *body = rows(sheet)
    assert header[:6] == ["Mã ủng hộ", "Thời gian đăng ký", "Đối tượng ủng hộ", "Tên", "Hình thức",
                          "Số tiền"]
    assert header[-4:] == ["Địa bàn", "huyện", "xã / thị trấn", "ấp / khu phố"]
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == f"A1:Q{len(body) + 1}"
    assert sheet["A1"].font.b and not sheet["A2"].font.b
    assert [r[0][-4:] for r in body] == ["0001", "0002", "0003", "0004"]  # every page, in order
    first = next(sheet.iter_rows(min_row=2, max_row=2))
    amount, registered, received_on = first[5], first[1], first[11]
    assert amount.value == 500_000 and amount.data_type == "n"
    assert amount.number_format == MONEY_FORMAT
    assert registered.value == datetime(2026, 11, 20, 10, 0)  # 03:00 UTC is 10:00 in Vietnam
    assert registered.number_format == "dd/mm/yyyy hh:mm"
    assert received_on.value == datetime(2026, 11, 21) and received_on.number_format == \
        "dd/mm/yyyy"
    assert first[9].value == "đã nhận" and first[10].value == 400_000
    assert body[0][-4:] == ["Ấp 1, Tân Thành", "Thủ Thừa", "Tân Thành", "Ấp 1"]
    assert body[3][-4:] == ["Long Thạnh", "Thủ Thừa", "Long Thạnh", None]
    assert sheet.column_dimensions["D"].width > len("Tên") + 2  # sized to the names


def test_names_that_are_formulas_stay_text(seeded):
    db, campaign_id = seeded
    table = pledges_table(db.session, db.call(actor, 1), campaign_id)
    sheet = book([table]).active
    names = [c for (c,) in sheet.iter_rows(min_row=2, min_col=4, max_col=4)]
    assert [c.value for c in names] == ["'" + NAMES[0], "'+1", NAMES[2], "' -2+3"]
    assert all(c.data_type == "s" for c in names)  # a string, never a formula


def test_english_headers(seeded):
    db, campaign_id = seeded
    sheet = book([pledges_table(db.session, db.call(actor, 1), campaign_id)], EN).active
    header = rows(sheet)[0]
    assert header[:6] == ["Reference", "Registered at", "Pledger", "Name", "Kind", "Amount"]
    assert rows(sheet)[1][2] == "Individual"


def test_csv_round_trip_with_vietnamese_names(seeded, tmp_path):
    db, campaign_id = seeded
    path = tmp_path / "pledges.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        write_csv(fh, pledges_table(db.session, db.call(actor, 1), campaign_id), VI)
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    with path.open(encoding="utf-8-sig", newline="") as fh:
        header, *body = list(csv.reader(fh))
    assert header[3] == "Tên" and body[2][3] == "Nguyễn Thị Hồng Nhung"
    assert body[0][3] == "'" + NAMES[0]
    assert body[0][5] == "500000" and body[0][1] == "2026-11-20 10:00"
    assert body[0][11] == "2026-11-21"


def test_narrowed_to_an_area_and_areas_outside_refused(seeded):
    db, campaign_id = seeded
    admin = db.call(actor, 1)
    table = pledges_table(db.session, admin, campaign_id, "28042-A1")
    assert table.total == 2 and len(list(table.rows)) == 2
    with pytest.raises(NotInside):
        pledges_table(db.session, admin, campaign_id, "625")  # Kbang, another province
    with pytest.raises(LookupError):
        pledges_table(db.session, admin, campaign_id, "nowhere")


def test_totals_sheet_equals_the_database(seeded):
    db, campaign_id = seeded
    workbook = book(totals_tables(db.session, db.call(actor, 1), campaign_id))
    figures = db.call(totals, campaign_id, 5)
    summary, by_area = workbook["Tổng hợp"], workbook["Theo địa bàn"]
    lines = rows(summary)
    assert lines[0] == ["Tính theo", "Cụ thể", "Đã đăng ký", "Đã nhận", "Số khoản ủng hộ"]
    overall = figures.overall
    assert lines[1] == ["Cả cuộc vận động", "Thủ Thừa", overall.pledged, overall.received,
                        overall.pledges]
    assert lines[1][2:] == [5_000_000, 400_000, 4]
    assert lines[2] == ["Cộng các địa bàn cùng cấp", "xã / thị trấn", 5_000_000, 400_000, 4]
    assert lines[3] == ["Cộng các địa bàn cùng cấp", "ấp / khu phố", 3_000_000, 400_000, 3]
    assert lines[4][:2] == ["Theo đối tượng ủng hộ", "Cá nhân"]
    assert lines[4][2:] == [figures.by_kind["individual"].pledged,
                            figures.by_kind["individual"].received, 4]
    header, *body = rows(by_area)
    assert header == ["Địa bàn", "huyện", "xã / thị trấn", "ấp / khu phố", "Đã đăng ký",
                      "Đã nhận", "Số khoản ủng hộ"]
    sheet_figures = {tuple(r[1:4]): r[4:] for r in body}
    for area, sums in figures.by_area:
        names = db.call(ancestors, area)[1:]  # below the province
        key = tuple([n.name for n in names] + [None] * (3 - len(names)))
        assert sheet_figures[key] == [sums.pledged, sums.received, sums.pledges]
    assert sheet_figures[("Thủ Thừa", "Mỹ An", None)] == [0, 0, 0]  # every area, even quiet
    assert by_area.cell(2, 5).number_format == MONEY_FORMAT


def test_reports_of_a_deadline_with_missing_areas(seeded):
    db, _campaign_id = seeded

    def make(s):
        deadline = Deadline(title="Kết quả vận động", area_id=by_code(s, "28042").id,
                            level="ấp", due_at=NOW + timedelta(days=1), offsets="1d",
                            fields=[{"name": "Số hộ", "kind": "number"},
                                    {"name": "Số tiền", "kind": "money"},
                                    {"name": "Ghi chú", "kind": "text"}])
        s.add(deadline)
        s.flush()
        ensure_user(s, 60, "Trưởng ấp Một")
        s.add(Report(deadline_id=deadline.id, area_id=by_code(s, "28042-A1").id,
                     values={"Số hộ": 12, "Số tiền": 3_500_000, "Ghi chú": "=1+1"},
                     reported_by=60, reported_at=NOW, late=False))
        return deadline.id

    deadline_id = db.call(make)
    header, *body = rows(book([reports_table(db.session, db.call(actor, 50), deadline_id)])
                         .active)
    assert header == ["Địa bàn", "xã", "ấp", "Tình hình báo cáo", "Người báo cáo",
                      "Thời gian báo cáo", "Số hộ", "Số tiền", "Ghi chú"]
    assert body[0] == ["Ấp 1", "Tân Thành", "Ấp 1", "đã báo cáo", "Trưởng ấp Một",
                       datetime(2026, 11, 20, 10, 0), 12, 3_500_000, "'=1+1"]
    missing = [r for r in body if r[3] == "chưa báo cáo"]
    assert len(missing) == len(body) - 1 >= 4 and missing[0][4:] == [None] * 5
    with pytest.raises(AccessDenied):
        reports_table(db.session, db.call(actor, 51), deadline_id)


def test_recipients_of_a_broadcast(seeded):
    db, _campaign_id = seeded

    def make(s):
        broadcast = Broadcast(created_by=50, area_id=by_code(s, "28042").id, roles="citizen",
                              text="Họp dân", status=BroadcastStatus.DONE)
        s.add(broadcast)
        s.flush()
        s.add(Delivery(broadcast_id=broadcast.id, chat_id=100, status=DeliveryStatus.SENT,
                       sent_at=NOW))
        s.add(Delivery(broadcast_id=broadcast.id, chat_id=102, status=DeliveryStatus.BLOCKED,
                       error="Forbidden: bot was blocked by the user"))
        s.add(Chat(id=-1001, type="supergroup", title="Thôn 3 Tân Thành", language="en",
                   area_id=by_code(s, "28042-A3").id))
        s.flush()
        s.add(Delivery(broadcast_id=broadcast.id, chat_id=-1001, status=DeliveryStatus.SENT,
                       sent_at=NOW))
        return broadcast.id

    broadcast_id = db.call(make)
    table = broadcast_table(db.session, db.call(actor, 50), broadcast_id, batch=1)
    header, *body = rows(book([table]).active)
    assert header == ["Mã Telegram", "Tên", "Địa bàn", "Ngôn ngữ", "Kết quả gửi", "Thời gian gửi",
                      "Lý do không gửi được"]
    assert body[0][:3] == [100, "'" + NAMES[0], "Ấp 1, Tân Thành, Thủ Thừa"]
    assert body[0][4:6] == ["đã gửi", datetime(2026, 11, 20, 10, 0)]
    assert body[1][4:] == ["đã chặn Loa", None, "Forbidden: bot was blocked by the user"]
    assert body[2][:5] == [-1001, "Thôn 3 Tân Thành", "Ấp 3, Tân Thành, Thủ Thừa", "en",
                           "đã gửi"]  # a group, by its title
    with pytest.raises(AccessDenied):
        broadcast_table(db.session, db.call(actor, 51), broadcast_id)


def test_an_officer_exports_only_inside_their_scope(seeded):
    db, campaign_id = seeded

    def own_campaign(s):
        return create_campaign(s, actor(s, 50), CampaignDraft(
            name="Áo ấm Tân Thành", description="", starts_on=date(2026, 11, 1),
            ends_on=date(2026, 12, 31), area_id=by_code(s, "28042").id, money_target=0)).id

    own = db.call(own_campaign)
    assert [c.id for c in db.call(lambda s: exportable_campaigns(s, actor(s, 50)))] == [own]
    assert db.call(lambda s: exportable_campaigns(s, actor(s, 51))) == []
    for officer in (50, 51):  # the district's campaign is above both
        with pytest.raises(AccessDenied):
            pledges_table(db.session, db.call(actor, officer), campaign_id)
    with pytest.raises(AccessDenied):
        totals_tables(db.session, db.call(actor, 51), own)
    with pytest.raises(AccessDenied):
        pledges_table(db.session, db.call(actor, 100), own)  # a citizen
    assert pledges_table(db.session, db.call(actor, 50), own).total == 0


# ---- the command line -------------------------------------------------------------------------

def run_cli(monkeypatch, db_url, *args):
    from bot.cli import main

    monkeypatch.setenv("LOA_DATABASE_URL", db_url)
    monkeypatch.delenv("LOA_CONFIG", raising=False)
    return main(["export", *args])


def test_loa_export_from_the_office_computer(seeded, db_url, tmp_path, monkeypatch, capsys):
    db, campaign_id = seeded
    prefix = db.call(lambda s: s.get(Campaign, campaign_id).ref_prefix)
    out = tmp_path / "p.xlsx"
    assert run_cli(monkeypatch, db_url, "pledges", "--campaign", prefix.lower(), "-o",
                   str(out)) == 0
    assert capsys.readouterr().out.strip() == f"{out}: 4 rows"
    assert rows(openpyxl.load_workbook(out).active)[0][0] == "Mã ủng hộ"
    out = tmp_path / "t.csv"
    assert run_cli(monkeypatch, db_url, "totals", "--campaign", prefix, "--area", "28042",
                   "--lang", "en", "-o", str(out)) == 0
    header, *body = list(csv.reader(out.read_text(encoding="utf-8-sig").splitlines()))
    assert header[0] == "Area" and body[0][:4] == ["Tân Thành", "Thủ Thừa", "Tân Thành", ""]
    assert body[0][-3:] == ["3000000", "400000", "3"]
    capsys.readouterr()
    for args, message in [
        (("pledges", "--campaign", "ZZ99", "-o", "x.xlsx"),
         "loa: no campaign with the reference prefix 'ZZ99'"),
        (("pledges", "--campaign", prefix, "--area", "NOPE", "-o", "x.xlsx"),
         "loa: no area with code 'NOPE'"),
        (("totals", "--campaign", prefix, "--area", "625", "-o", "x.xlsx"),
         "loa: area '625' is not inside the campaign's area"),
        (("pledges", "--campaign", prefix, "-o", "x.pdf"),
         "loa: unknown format 'pdf': use --format xlsx or --format csv"),
        (("reports", "--deadline", "99", "-o", "x.csv"), "loa: no deadline #99"),
        (("broadcast", "--id", "99", "-o", "x.csv"), "loa: no broadcast #99"),
    ]:
        assert run_cli(monkeypatch, db_url, *args) == 1
        assert capsys.readouterr().err.strip() == message
    assert not list(tmp_path.glob("*.part"))


def test_the_progress_bar_is_drawn_a_few_times_a_second():
    from bot.cli import ProgressBar

    stream, now = io.StringIO(), [0.0]
    bar = ProgressBar(100_000, stream, clock=lambda: now[0])
    for done in range(1000, 100_001, 1000):
        now[0] += 0.01  # a thousand rows every 10 ms
        bar(done)
    bar.finish(100_000)
    drawn = stream.getvalue().split("\r")[1:]
    assert 4 <= len(drawn) <= 7  # one second of work: about five redraws, not a hundred
    assert drawn[-1] == f"[{'#' * 30}] 100000/100000 rows\n"


# ---- the report to the level above ------------------------------------------------------------

def test_the_report_to_the_level_above_as_the_front_lays_it_out(seeded):
    db, campaign_id = seeded
    db.call(lambda s: update_user(s, ensure_user(s, 50)[0], name="Trần Văn Tâm"))
    district = book([upward_table(db.session, db.call(actor, 1), campaign_id, TODAY)])
    lines = rows(district.active)
    assert [line[0] for line in lines[:5]] == [
        "BÁO CÁO KẾT QUẢ CUỘC VẬN ĐỘNG “Vì người nghèo 2026”",
        "Đơn vị báo cáo: Huyện Thủ Thừa", "Đơn vị nhận báo cáo: Tỉnh Long An",
        "Thời gian vận động: từ 01/11/2026 đến 31/12/2026", "Ngày báo cáo: 20/11/2026"]
    header = lines[6]
    assert header == ["STT", "Địa bàn", "Số tập thể, đơn vị ủng hộ",
                      "Số cá nhân, hộ gia đình ủng hộ", "Số tiền đăng ký", "Số tiền đã nhận",
                      "Hiện vật: số khoản", "Hiện vật quy ra tiền: đăng ký",
                      "Hiện vật quy ra tiền: đã nhận", "Nhà Đại đoàn kết (chỉ tiêu 7): đăng ký",
                      "Nhà Đại đoàn kết: đã nhận", "Tổng đăng ký (tiền và hiện vật quy ra tiền)",
                      "Tổng đã nhận"]
    body, total = lines[7:-1], lines[-1]
    assert len(body) == 12 and body[0][:2] == [1, "Xã Bình An"]  # every commune, even at 0
    by_name = {line[1]: line for line in body}
    assert by_name["Xã Tân Thành"][2:6] == [0, 3, 3_000_000, 400_000]
    assert by_name["Xã Long Thạnh"][2:6] == [0, 1, 2_000_000, 0]
    assert by_name["Thị trấn Thủ Thừa"][2:] == [0] * 11
    overall = db.call(totals, campaign_id).overall
    assert total[1] == "Tổng cộng" and total[-2:] == [overall.pledged, overall.received]
    assert total[2:] == [sum(line[i] for line in body) for i in range(2, len(header))]
    money = district.active.cell(row=8, column=5)
    assert money.number_format == MONEY_FORMAT and district.active.freeze_panes == "A8"

    # Tân Thành's officer reports its part of the district's drive: the hamlets, the same
    # figures the district sees on Tân Thành's line
    commune = rows(book([upward_table(db.session, db.call(actor, 50), campaign_id,
                                      TODAY)]).active)
    assert commune[1][0] == "Đơn vị báo cáo: Xã Tân Thành"
    assert commune[2][0] == "Đơn vị nhận báo cáo: Huyện Thủ Thừa"
    assert commune[5][0] == "Người lập biểu: Trần Văn Tâm"
    assert [line[1] for line in commune[8:-1]][:2] == ["Ấp 1", "Ấp 2"]
    assert commune[-1][2:] == by_name["Xã Tân Thành"][2:]
    english = rows(book([upward_table(db.session, db.call(actor, 50), campaign_id, TODAY)],
                        EN).active)
    assert english[0][0] == "Report on the result of the campaign “Vì người nghèo 2026”"
    assert english[-1][1] == "Total"
    with pytest.raises(AccessDenied):  # a citizen
        upward_table(db.session, db.call(actor, 100), campaign_id, TODAY)
    assert db.call(lambda s: upward_report(s, actor(s, 50), campaign_id).unit.code) == "28042"


def test_loa_export_upward_from_the_office_computer(seeded, db_url, tmp_path, monkeypatch,
                                                    capsys):
    db, campaign_id = seeded
    prefix = db.call(lambda s: s.get(Campaign, campaign_id).ref_prefix)
    out = tmp_path / "bao-cao.xlsx"
    assert run_cli(monkeypatch, db_url, "upward", "--campaign", prefix, "--area", "28042",
                   "-o", str(out)) == 0
    lines = rows(openpyxl.load_workbook(out).active)
    assert lines[1][0] == "Đơn vị báo cáo: Xã Tân Thành" and lines[-1][4] == 3_000_000
    capsys.readouterr()
    assert run_cli(monkeypatch, db_url, "upward", "--campaign", prefix, "--area", "625",
                   "-o", str(out)) == 1
    assert capsys.readouterr().err.strip() == \
        "loa: area '625' and the campaign's area do not meet"


# ---- /export in the chat ----------------------------------------------------------------------

async def test_export_in_chat_sends_the_file_and_refuses_outside_the_scope(loa):
    district = loa.db.call(seed)
    own = loa.db.call(lambda s: create_campaign(s, actor(s, 50), CampaignDraft(
        name="Áo ấm Tân Thành", description="", starts_on=date(2026, 11, 1),
        ends_on=date(2026, 12, 31), area_id=by_code(s, "28042").id, money_target=0)))
    loa.db.call(grant, 700, Role.OFFICER, "28042")
    await loa.onboard(700, name="Tím")
    await loa.onboard(701, name="Dân")
    assert (await loa.send(701, "/export")).plain == \
        "Chỉ cán bộ mới xuất được số liệu của địa bàn mình ra tệp."

    asked = await loa.send(700, "🧾 Xuất số liệu")
    assert asked.plain == "Bạn muốn xuất số liệu nào ra tệp?"
    assert asked.buttons()[-1] == ["✖ Hủy"]
    which = await loa.tap(700, "🗂 Các khoản ủng hộ của một cuộc vận động")
    assert which.buttons() == [[f"{own.ref_prefix} · Áo ấm Tân Thành"], ["⬅ Quay lại", "✖ Hủy"]]
    loa.emu.press(700, f"ex:i:{district}")  # the district's campaign: not this officer's
    refused = await loa.next(700)
    assert refused.plain == "Mục này ngoài địa bàn của bạn nên Loa không xuất ra tệp được."

    await loa.send(700, "/export")
    await loa.tap(700, "📊 Bảng tổng hợp một cuộc vận động, theo địa bàn")
    fmt = await loa.tap(700, f"{own.ref_prefix} · Áo ấm Tân Thành")
    assert fmt.buttons()[0] == ["📗 Excel (.xlsx)", "📄 CSV (bảng đơn giản)"]
    back = await loa.tap(700, "⬅ Quay lại")
    assert back.plain == "Lấy bảng tổng hợp của cuộc vận động nào?"
    await loa.tap(700, f"{own.ref_prefix} · Áo ấm Tân Thành")
    loa.emu.press_button(700, "📗 Excel (.xlsx)")
    document = await loa.emu.wait_for(lambda m: m.chat_id == 700 and m.document is not None,
                                      timeout=10)
    today = local_today(loa.config).isoformat()
    assert document.content["document"]["file_name"] == f"loa-{own.ref_prefix}-totals-{today}.xlsx"
    assert document.plain.startswith("📊 Bảng tổng hợp một cuộc vận động, theo địa bàn: "
                                     f"{own.ref_prefix} · Áo ấm Tân Thành · ")
    workbook = openpyxl.load_workbook(io.BytesIO(loa.emu.file_bytes(document.document)))
    assert workbook.sheetnames == ["Tổng hợp", "Theo địa bàn"]
    assert rows(workbook["Tổng hợp"])[1] == ["Cả cuộc vận động", "Tân Thành", 0, 0, 0]
    assert loa.db.call(lambda s: s.get(Dialog, 700)) is None
    await loa.send(700, "/export")
    await loa.tap(700, "🗂 Các khoản ủng hộ của một cuộc vận động")
    await loa.tap(700, f"{own.ref_prefix} · Áo ấm Tân Thành")
    loa.emu.press_button(700, "📄 CSV (bảng đơn giản)")
    sent = await loa.emu.wait_for(lambda m: m.chat_id == 700 and m.document is not None
                                  and m.document != document.document, timeout=10)
    assert sent.content["document"]["file_name"] == f"loa-{own.ref_prefix}-pledges-{today}.csv"
    data = loa.emu.file_bytes(sent.document)
    assert data.startswith(b"\xef\xbb\xbf") and data.decode("utf-8-sig").startswith("Mã ủng hộ,")
    assert sent.plain.endswith("· 0 dòng")


async def test_the_report_upward_in_chat_for_a_communes_part(loa):
    district = loa.db.call(seed)
    prefix = loa.db.call(lambda s: s.get(Campaign, district).ref_prefix)
    other = loa.db.call(lambda s: create_campaign(s, actor(s, 51), CampaignDraft(
        name="Long Thạnh giúp nhau", description="", starts_on=date(2026, 11, 1),
        ends_on=date(2026, 12, 31), area_id=by_code(s, "28039").id, money_target=0)))
    loa.db.call(grant, 700, Role.OFFICER, "28042")
    await loa.onboard(700, name="Tím")
    await loa.send(700, "/export")
    which = await loa.tap(700, "📤 Báo cáo kết quả lên cấp trên")
    assert which.plain == "Báo cáo kết quả cuộc vận động nào lên cấp trên?"
    assert which.buttons()[0] == [f"{prefix} · Vì người nghèo 2026"]  # the district's drive
    loa.emu.press(700, f"ex:i:{other.id}")  # another commune's campaign, forged
    assert (await loa.next(700)).plain == \
        "Mục này ngoài địa bàn của bạn nên Loa không xuất ra tệp được."
    await loa.send(700, "/export")
    await loa.tap(700, "📤 Báo cáo kết quả lên cấp trên")
    await loa.tap(700, f"{prefix} · Vì người nghèo 2026")
    loa.emu.press_button(700, "📗 Excel (.xlsx)")
    document = await loa.emu.wait_for(lambda m: m.chat_id == 700 and m.document is not None,
                                      timeout=10)
    today = local_today(loa.config).isoformat()
    assert document.content["document"]["file_name"] == f"loa-{prefix}-report-{today}.xlsx"
    lines = rows(openpyxl.load_workbook(io.BytesIO(loa.emu.file_bytes(document.document))).active)
    assert lines[1][0] == "Đơn vị báo cáo: Xã Tân Thành"
    assert lines[5][0] == "Người lập biểu: Tím" and lines[-1][1:6] == ["Tổng cộng", 0, 3, 3_000_000,
                                                                  400_000]


async def test_when_a_campaign_ends_its_officers_get_the_result_and_the_report(loa):
    # a campaign ending in 2099: the bot's own clock, ticking beside the test, never gets there
    loa.db.call(grant, 700, Role.OFFICER, "28042")
    loa.db.call(grant, 702, Role.OFFICER, "28042")
    await loa.onboard(700, name="Tím")
    await loa.onboard(701, name="Dân")
    await loa.onboard(702, name="Hoa", lang="en")
    campaign = loa.db.call(lambda s: create_campaign(s, actor(s, 700), CampaignDraft(
        name="Áo ấm Tân Thành", description="", starts_on=date(2099, 11, 1),
        ends_on=date(2099, 11, 30), area_id=by_code(s, "28042").id, money_target=0)))
    the_last_day = datetime(2099, 11, 30, 16, 0, tzinfo=UTC)  # 23:00 in Vietnam
    assert await loa.services.reminders.tick(the_last_day) == 0
    after = datetime(2099, 11, 30, 17, 30, tzinfo=UTC)  # 00:30 on 1 December in Vietnam
    assert await loa.services.reminders.tick(after) == 2
    told = await loa.next(700)
    assert told.plain == ("🏁 Cuộc vận động “Áo ấm Tân Thành” đã kết thúc ngày 30/11/2099: "
                          "đăng ký 0 ₫, đã nhận 0 ₫ (0 khoản). Báo cáo kết quả lên cấp trên "
                          "đã làm sẵn thành tệp Excel, bấm nút dưới đây để nhận."
                          ).replace(" ₫", "\u00a0₫")
    assert (await loa.next(702)).buttons() == [["📤 Report to the level above (Excel)"]]
    await loa.quiet(701)
    assert await loa.services.reminders.tick(after + timedelta(days=1)) == 0  # told once

    loa.emu.press_button(700, "📤 Báo cáo kết quả lên cấp trên (Excel)")
    document = await loa.emu.wait_for(lambda m: m.chat_id == 700 and m.document is not None,
                                      timeout=10)
    lines = rows(openpyxl.load_workbook(io.BytesIO(loa.emu.file_bytes(document.document))).active)
    assert lines[0][0] == "BÁO CÁO KẾT QUẢ CUỘC VẬN ĐỘNG “Áo ấm Tân Thành”"
    assert loa.db.call(lambda s: s.get(Campaign, campaign.id).result_sent_at) is not None
    loa.emu.press(701, f"ex:up:{campaign.id}")  # a citizen forging the button
    assert (await loa.next(701)).plain == \
        "Chỉ cán bộ mới xuất được số liệu của địa bàn mình ra tệp."
    loa.db.call(grant, 703, Role.OFFICER, "28039")  # an officer of another commune
    await loa.onboard(703, name="Ba")
    menu = await loa.send(703, "/export")
    loa.emu.press(703, f"ex:up:{campaign.id}", menu.message_id)
    assert (await loa.next(703)).plain == \
        "Mục này ngoài địa bàn của bạn nên Loa không xuất ra tệp được."


async def test_the_result_is_not_sent_to_a_creator_who_is_a_citizen_now_nor_twice_after_a_crash(
        loa, monkeypatch):
    from sqlmodel import select

    import bot.reminders
    from models.users import revoke

    loa.db.call(grant, 700, Role.OFFICER, "28042")
    loa.db.call(grant, 702, Role.OFFICER, "28042")
    await loa.onboard(700, name="Tím")
    await loa.onboard(702, name="Hoa")
    campaign = loa.db.call(lambda s: create_campaign(s, actor(s, 700), CampaignDraft(
        name="Áo ấm", description="", starts_on=date(2099, 11, 1),
        ends_on=date(2099, 11, 30), area_id=by_code(s, "28042").id, money_target=0)))
    loa.db.call(revoke, 700)  # the creator is a citizen again before the campaign ends
    after = datetime(2099, 11, 30, 17, 30, tzinfo=UTC)

    def crash(*_args, **_kwargs):
        raise RuntimeError("killed between the claim and the message")
    monkeypatch.setattr(bot.reminders, "enqueue", crash)
    with pytest.raises(RuntimeError):
        await loa.services.reminders.tick(after)
    assert loa.db.call(lambda s: s.get(Campaign, campaign.id).result_sent_at) is None
    monkeypatch.undo()
    assert await loa.services.reminders.tick(after) == 1  # after the restart: once, to 702
    assert await loa.services.reminders.tick(after) == 0
    assert (await loa.next(702)).buttons() == [["📤 Báo cáo kết quả lên cấp trên (Excel)"]]
    await loa.quiet(700)
    assert loa.db.call(lambda s: s.exec(select(Delivery).where(
        Delivery.chat_id == 700, Delivery.text.contains("Áo ấm"))).all()) == []
    loa.emu.press(700, f"ex:up:{campaign.id}")  # the old button, pressed as a citizen
    assert (await loa.next(700)).plain == \
        "Chỉ cán bộ mới xuất được số liệu của địa bàn mình ra tệp."


def test_campaigns_over_before_the_upgrade_are_not_announced(areas_db, db_url):
    from alembic import command
    from sqlmodel import select

    from bot.migrate import alembic_config, upgrade

    def make(s, name, ends_on):
        return create_campaign(s, actor(s, 1), CampaignDraft(
            name=name, description="", starts_on=date(2020, 1, 1), ends_on=ends_on,
            area_id=by_code(s, "804").id, money_target=0)).id

    old = areas_db.call(make, "Cũ", date(2021, 1, 31))
    running = areas_db.call(make, "Đang chạy", date(2099, 1, 31))
    areas_db.engine.dispose()
    command.downgrade(alembic_config(db_url), "0009")
    upgrade(db_url)
    sent = areas_db.call(lambda s: {c.id: c.result_sent_at for c in s.exec(select(Campaign))})
    assert sent[old] is not None and sent[running] is None


async def test_typed_instead_of_pressed_forged_presses_cancel_and_a_group(loa):
    own = loa.db.call(lambda s: create_campaign(s, actor(s, 1), CampaignDraft(
        name="Áo ấm", description="", starts_on=date(2026, 11, 1),
        ends_on=date(2026, 12, 31), area_id=by_code(s, "28042").id, money_target=0)))
    loa.db.call(grant, 700, Role.OFFICER, "28042")
    await loa.onboard(700, name="Tím")
    await loa.onboard(701, name="Dân")
    refused = await loa.send(701, "/export")
    for forged in ("ex:w:pledges", f"ex:i:{own.id}", "ex:f:xlsx", "ex:p:3"):
        loa.emu.press(701, forged, refused.message_id)  # a citizen's: nothing but "expired"
    assert (await loa.next(701)).plain == "Nút này đã hết hạn."
    await loa.quiet(701)  # pressed again, it says so already: no "something went wrong"
    assert loa.db.call(lambda s: s.get(Dialog, 701)) is None

    await loa.send(700, "/export")
    hint = await loa.send(700, "pledges")  # typed where a press is awaited
    assert hint.plain == "Bạn hãy chọn bằng cách bấm một nút bên dưới."
    assert (await loa.next(700)).plain == "Bạn muốn xuất số liệu nào ra tệp?"
    await loa.tap(700, "🗂 Các khoản ủng hộ của một cuộc vận động")
    await loa.tap(700, f"{own.ref_prefix} · Áo ấm")
    hint = await loa.send(700, "bảng tính")
    assert hint.plain == ("Loa không biết bạn muốn loại tệp nào. Gõ excel hoặc csv, "
                          "hoặc bấm một nút bên dưới.")
    assert (await loa.next(700)).buttons()[0] == ["📗 Excel (.xlsx)", "📄 CSV (bảng đơn giản)"]
    loa.emu.send_text(700, "  EXCEL ")  # an older officer types the word
    document = await loa.emu.wait_for(lambda m: m.chat_id == 700 and m.document is not None,
                                      timeout=10)
    assert document.content["document"]["file_name"].endswith(".xlsx")
    assert loa.db.call(lambda s: s.get(Dialog, 700)) is None

    await loa.send(700, "/export")
    await loa.tap(700, "🗂 Các khoản ủng hộ của một cuộc vận động")
    await loa.tap(700, f"{own.ref_prefix} · Áo ấm")
    await loa.send(700, "/cancel")
    assert loa.db.call(lambda s: s.get(Dialog, 700)) is None
    assert loa.db.call(lambda s: s.get(Dialog, 700)) is None
    loa.emu.press(700, "ex:f:csv")  # the format button after /cancel: expired, no file
    assert (await loa.next(700)).document is None
    await loa.quiet(700)

    loa.emu.add_group(-1001234, "Ấp 1")
    loa.emu.send_text(700, "/export", chat_id=-1001234)
    assert "t.me/loa_test_bot" in (await loa.next(-1001234)).plain
    await loa.quiet(700)


async def test_among_many_campaigns_part_of_a_name_typed_finds_one(loa):
    def make(s):
        district = by_code(s, "804").id
        return [create_campaign(s, actor(s, 1), CampaignDraft(
            name=name, description="", starts_on=date(2026, 11, 1), ends_on=date(2026, 12, 31),
            area_id=district, money_target=0)) for name in
            [f"Đợt {i}" for i in range(23)] + ["Tết ấm cho người nghèo", "Tết sum vầy"]]
    made = loa.db.call(make)
    await loa.onboard(ADMIN, name="Admin")
    await loa.send(ADMIN, "/export")
    first = await loa.tap(ADMIN, "🗂 Các khoản ủng hộ của một cuộc vận động")
    assert first.buttons()[-1] == ["1/3", "▶"]
    found = await loa.send(ADMIN, "tet")  # no diacritics, as typed on an old phone
    assert [row[0].split(" · ")[1] for row in found.buttons()[:-1]] == [
        "Tết sum vầy", "Tết ấm cho người nghèo"]
    nothing = await loa.send(ADMIN, "<b>Trung thu</b>")
    assert nothing.plain == ("Loa không tìm thấy mục nào tên “<b>Trung thu</b>”. Bấm một nút "
                             "bên dưới, hoặc gõ một phần của tên.")
    assert (await loa.next(ADMIN)).buttons()[-1] == ["1/3", "▶"]
    asked = await loa.send(ADMIN, made[0].ref_prefix.lower())
    assert asked.buttons()[0] == ["📗 Excel (.xlsx)", "📄 CSV (bảng đơn giản)"]
    assert loa.db.call(lambda s: s.get(Dialog, ADMIN)).data["item_id"] == made[0].id


async def test_two_taps_on_excel_send_one_file(loa):
    own = loa.db.call(lambda s: create_campaign(s, actor(s, 1), CampaignDraft(
        name="Áo ấm", description="", starts_on=date(2026, 11, 1),
        ends_on=date(2026, 12, 31), area_id=by_code(s, "28042").id, money_target=0)))
    loa.db.call(grant, 700, Role.OFFICER, "28042")
    await loa.onboard(700, name="Tím")
    await loa.send(700, "/export")
    await loa.tap(700, "🗂 Các khoản ủng hộ của một cuộc vận động")
    question = await loa.tap(700, f"{own.ref_prefix} · Áo ấm")
    loa.emu.press(700, "ex:f:xlsx", question.message_id)
    loa.emu.press(700, "ex:f:xlsx", question.message_id)  # a second tap before the file
    await loa.emu.wait_for(lambda m: m.chat_id == 700 and m.document is not None, timeout=10)
    with pytest.raises(TimeoutError):
        await loa.emu.wait_for(lambda m: m.chat_id == 700 and m.document is not None
                               and m.message_id > question.message_id + 1, timeout=1)
