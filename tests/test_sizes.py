"""Every screen built from data of unbounded size, with 500 entries, long names and long
letters, through the real Application and the emulator: every message within Telegram's
limits (4,096 UTF-16 units of visible text, 1,024 for a caption, 100 buttons, callback data of
64 bytes), and the ◀ n/N ▶ buttons reach every entry."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import select

from models.areas import Area, by_code, import_areas, parse_csv, short_labels
from models.broadcasts import Broadcast
from models.campaigns import Campaign, CampaignTarget
from models.deadlines import Deadline
from models.outbox import Delivery
from models.pledges import Pledge, PledgeChange
from models.users import Role, grant
from tests.conftest import ADMIN
from tests.test_pages import seen, utf16  # one measure, independent of bot.pages

N = 500
CITIZEN, HEAD = 801, 802
LETTER = ("Kính gửi bà con 🤝 & cô bác <thân mến>, chung tay vì người nghèo. " * 80)[:3500]
LONG = "Nguyễn Thị Phương Thảo 🌸 & “Hội Phụ nữ” "



def within_limits(loa) -> int:
    """Every message and edit the bot sent so far; how many were checked."""
    for rec in loa.emu.outbox:
        html = rec.parse_mode and rec.parse_mode.upper() == "HTML"
        if rec.text is not None:
            text = seen(rec.text) if html else rec.text
            assert 0 < utf16(text.strip()) <= 4096, (rec.method, utf16(text))
        if rec.caption is not None:
            caption = seen(rec.caption) if html else rec.caption
            assert utf16(caption.strip()) <= 1024, (rec.method, utf16(caption))
        buttons = [b for row in rec.inline_keyboard for b in row]
        assert len(buttons) <= 100
        assert all(len(b.get("callback_data", "").encode()) <= 64 for b in buttons)
    return len(loa.emu.outbox)


async def walk(loa, user_id: int, first) -> list:
    """Every page of a paged message, pressing ▶ until there is none; each press edits the
    same message in place."""
    shown = [first]
    while any(b == "▶" for row in shown[-1].buttons() for b in row):
        page = await loa.tap(user_id, "▶")
        assert page.message_id == first.message_id and page.is_edit
        shown.append(page)
    last = shown[-1].buttons()[-1] if shown[-1].buttons() else []
    if len(shown) > 1:
        assert last[-1] == f"{len(shown)}/{len(shown)}"
    return shown


def everything(shown: list) -> str:
    return "\n".join(p.plain + "\n" + "\n".join(b for row in p.buttons() for b in row)
                     for p in shown)


def marks(text: str) -> set[int]:
    return {int(m) for m in re.findall(r"\[(\d+)\]", text)}


# ---- data ---------------------------------------------------------------------------------------

def hamlets(loa) -> list[int]:
    """25 communes of 20 hamlets each, named "Ấp 1" … "Ấp 20" in every commune."""
    rows = ["code,name,level,parent_code"]
    for c in range(25):
        rows.append(f"X{c},Xã Số {c},xã,804")
        rows += [f"X{c}-{h},Ấp {h + 1},ấp,X{c}" for h in range(20)]
    loa.db.call(lambda s: import_areas(s, parse_csv("\n".join(rows) + "\n")))
    return loa.db.call(lambda s: [a.id for a in s.exec(select(Area).where(
        Area.code.startswith("X"), Area.level == "ấp")).all()])


def campaigns(loa, n: int = N, area: str = "80") -> list[int]:
    def make(s):
        province, today, ids = by_code(s, area), date.today(), []
        for i in range(n):
            c = Campaign(name=f"[{i}] " + ("Tháng cao điểm “Vì người nghèo” 🏠 " * 6)[:190],
                         description=LETTER, area_id=province.id,
                         starts_on=today - timedelta(days=3),
                         ends_on=today + timedelta(days=30), money_target=500_000_000,
                         ref_prefix=f"Z{i}", created_by=ADMIN)
            s.add(c)
            s.flush()
            s.add_all([CampaignTarget(campaign_id=c.id, quantity=7,
                                      name=(f"{j} Nhà Đại đoàn kết 🏠 & " * 8)[:100])
                       for j in range(25)])
            ids.append(c.id)
        return ids
    return loa.db.call(make)


def pledges(loa, campaign_id: int, areas: list[int], status: str = "received") -> list[int]:
    def make(s):
        ids = []
        for i in range(N):
            p = Pledge(reference=f"Z0-{i:04d}", campaign_id=campaign_id, user_id=CITIZEN,
                       area_id=areas[i % len(areas)], pledger_kind="individual",
                       display_name=f"[{i}] " + (LONG * 3)[:90], kind="in_kind",
                       amount=10_000_000 - i, item=(LONG * 6)[:200], quantity=3,
                       status=status, received_amount=10_000_000 - i if status ==
                       "received" else None, received_on=date.today() if status ==
                       "received" else None, token=f"tok{i}")
            s.add(p)
            s.flush()
            ids.append(p.id)
        return ids
    return loa.db.call(make)


async def people(loa) -> None:
    await loa.onboard(CITIZEN, name="Lan", lang="vi")
    await loa.onboard(ADMIN, name="Admin", lang="en")


# ---- the screens --------------------------------------------------------------------------------

async def test_every_campaign_card_is_reached_page_by_page(loa):
    await people(loa)
    campaigns(loa, 40)
    cards = await walk(loa, CITIZEN, await loa.send(CITIZEN, "/campaigns"))
    assert len(cards) == 40 and marks(everything(cards)) == set(range(40))
    assert all(len(marks(c.plain)) == 1 for c in cards)  # one card a page
    assert within_limits(loa) > 40


async def test_campaigns_cards_and_choosers_with_500_campaigns(loa):
    await people(loa)
    campaigns(loa)
    first = await loa.send(CITIZEN, "/campaigns")
    assert marks(first.plain) == {0} and first.buttons()[-1] == ["1/500", "▶"]
    second = await loa.tap(CITIZEN, "▶")
    assert marks(second.plain) == {1} and second.buttons()[-1] == ["◀", "2/500", "▶"]
    loa.emu.press(CITIZEN, "cmp:pg:9999")  # past the end: the last page
    last = await loa.next(CITIZEN)
    assert marks(last.plain) == {N - 1} and last.buttons()[-1] == ["◀", "500/500"]
    assert (await loa.tap(CITIZEN, "◀")).buttons()[-1] == ["◀", "499/500", "▶"]
    loa.emu.press(CITIZEN, "cmp:pg:499")
    cards = [await loa.next(CITIZEN)]
    assert "📖 Đọc toàn bộ thư ngỏ" in cards[-1].buttons()[1]
    letter_parts = []
    loa.emu.press_button(CITIZEN, "📖 Đọc toàn bộ thư ngỏ")
    letter_parts.append(await loa.next(CITIZEN))
    assert "chung tay vì người nghèo" in letter_parts[0].plain
    assert utf16(letter_parts[0].plain) > 3000  # the whole letter, not the card's extract
    chooser = await walk(loa, CITIZEN, await loa.send(CITIZEN, "/pledge"))
    assert marks(everything(chooser)) == set(range(N))
    totals = await walk(loa, CITIZEN, await loa.send(CITIZEN, "/totals"))
    assert marks(everything(totals)) == set(range(N))
    officer_list = await walk(loa, ADMIN, await loa.send(ADMIN, "/campaign"))
    assert marks(everything(officer_list)) == set(range(N))
    assert within_limits(loa) > 150


async def test_honour_totals_desk_and_history_with_500_pledges(loa):
    await people(loa)
    [campaign] = campaigns(loa, 1, area="804")
    areas = hamlets(loa)
    ids = pledges(loa, campaign, areas)
    loa.db.call(lambda s: s.add_all([PledgeChange(pledge_id=ids[0], actor_id=ADMIN,
                                                  action="edited") for _ in range(N)]))
    honour = await walk(loa, CITIZEN, await loa.send(CITIZEN, "/honour"))
    assert len(honour) > 1 and marks(everything(honour)) == set(range(N))
    totals = await walk(loa, CITIZEN, await loa.send(CITIZEN, "/totals"))
    assert everything(totals).count("• Ấp ") == N
    assert "Xã Số 24" in everything(totals)
    desk = await walk(loa, ADMIN, await loa.send(ADMIN, "/pledges"))
    assert marks(everything(desk)) == set(range(N))
    loa.emu.press(ADMIN, f"pd:o:{ids[0]}")
    history = await walk(loa, ADMIN, await loa.next(ADMIN))
    assert len(history) > 1
    assert everything(history).count("· edited") == N
    assert all("✅ Received as pledged, today" in everything([p]) for p in history)
    assert within_limits(loa) > 50


async def test_mypledges_with_500_open_pledges(loa):
    await people(loa)
    [campaign] = campaigns(loa, 1)
    pledges(loa, campaign, [loa.db.call(lambda s: by_code(s, "28042-A1").id)], "registered")
    mine = await walk(loa, CITIZEN, await loa.send(CITIZEN, "/mypledges"))
    text = everything(mine)
    assert all(f"Z0-{i:04d}" in text for i in range(N))
    assert "✖ Z0-0000" in text  # every pledge's buttons are on its page
    assert within_limits(loa) > 60


async def test_broadcasts_with_500_broadcasts(loa):
    await people(loa)
    def make(s):
        province = by_code(s, "80")
        s.add_all([Broadcast(created_by=ADMIN, area_id=province.id, roles="citizen",
                             text="x", status="scheduled" if i % 2 else "done",
                             send_at=datetime.now(UTC) + timedelta(days=1), recipients=0)
                   for i in range(N)])
    loa.db.call(make)
    ids = loa.db.call(lambda s: [b.id for b in s.exec(select(Broadcast))])
    shown = await walk(loa, ADMIN, await loa.send(ADMIN, "/broadcasts"))
    text = everything(shown)
    assert all(f"#{i} ·" in text for i in ids)
    assert within_limits(loa) > 60


def deadlines(loa, n: int, due: datetime) -> list[int]:
    def make(s):
        county = by_code(s, "804")
        rows = [Deadline(title=f"[{i}] " + ("Kết quả Tháng cao điểm Vì người nghèo 📋 " * 5)[:190],
                         created_by=ADMIN, area_id=county.id, level="ấp",
                         role=Role.VILLAGE_HEAD, due_at=due, offsets="7d",
                         fields=[{"name": "Số hộ", "kind": "number"}]) for i in range(n)]
        s.add_all(rows)
        s.flush()
        return [d.id for d in rows]
    return loa.db.call(make)


async def test_deadlines_list_overview_with_500_missing_areas_and_the_report_chooser(loa):
    await people(loa)
    hamlets(loa)
    ids = deadlines(loa, N, datetime.now(UTC) + timedelta(days=5))
    listed = await walk(loa, ADMIN, await loa.send(ADMIN, "/deadlines"))
    assert marks(everything(listed)) == set(range(N))
    loa.emu.press(ADMIN, f"dl:v:{ids[-1]}")
    overview = await walk(loa, ADMIN, await loa.next(ADMIN))
    expected = loa.db.call(lambda s: short_labels(s, list(s.exec(
        select(Area).where(Area.level == "ấp", Area.path.startswith(by_code(s, "804").path))
        .order_by(Area.search_name)))))
    assert len(expected) > N and "Ấp 1, Xã Số 7" in expected
    text = everything(overview)
    assert all(name in text for name in expected)
    assert all("📣 Nudge the missing now" in everything([p]) for p in overview)
    loa.db.call(lambda s: grant(s, HEAD, Role.VILLAGE_HEAD, "28042-A1"))
    await loa.onboard(HEAD, name="Hùng", lang="vi")
    chooser = await walk(loa, HEAD, await loa.send(HEAD, "/report"))
    assert marks(everything(chooser)) == set(range(N))
    assert within_limits(loa) > 100


async def test_the_deadline_summary_is_split_into_several_deliveries(loa):
    await people(loa)
    hamlets(loa)
    [deadline] = deadlines(loa, 1, datetime.now(UTC) - timedelta(minutes=1))
    await loa.services.reminders.tick()
    sent = loa.db.call(lambda s: [d.text for d in s.exec(select(Delivery).where(
        Delivery.chat_id == ADMIN).order_by(Delivery.id))])
    assert len(sent) > 1
    assert all(utf16(seen(t)) <= 4096 for t in sent)
    expected = loa.db.call(lambda s: short_labels(s, list(s.exec(
        select(Area).where(Area.level == "ấp", Area.path.startswith(by_code(s, "804").path))
        .order_by(Area.search_name)))))
    text = seen("\n".join(sent))
    assert all(name in text for name in expected)
    assert deadline


def test_short_labels_add_the_parent_only_where_names_repeat(areas_db):
    hamlet_rows = "code,name,level,parent_code\nQ1,Ấp 1,ấp,28039\nQ2,Ấp 9,ấp,28039\n"
    areas_db.call(lambda s: import_areas(s, parse_csv(hamlet_rows)))
    found = areas_db.call(lambda s: short_labels(s, [by_code(s, c) for c in
                                                      ("28042-A1", "Q1", "Q2", "28042")]))
    assert found == ["Ấp 1, Tân Thành", "Ấp 1, Long Thạnh", "Ấp 9", "Tân Thành"]


pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


# ---- the caps on what feeds these screens ------------------------------------------------------

def test_item_targets_are_capped_in_number_and_name_length():
    from models.campaigns import TARGET_NAME_MAX, TARGETS_MAX, parse_targets
    from models.dates import InputProblem
    assert len(parse_targets("; ".join(f"Nhà {i}: 1" for i in range(TARGETS_MAX)))) == 20
    with pytest.raises(InputProblem):
        parse_targets("; ".join(f"Nhà {i}: 1" for i in range(TARGETS_MAX + 1)))
    assert parse_targets("N" * TARGET_NAME_MAX + ": 7") == [("N" * 60, 7)]
    with pytest.raises(InputProblem):
        parse_targets("N" * (TARGET_NAME_MAX + 1) + ": 7")


async def test_long_inputs_are_refused_with_the_cap_and_an_example(loa):
    await people(loa)
    campaigns(loa, 1)
    await loa.send(ADMIN, "/deadline")
    refused = await loa.send(ADMIN, "Báo cáo " * 20)
    assert "1 to 120 characters" in refused.plain and "For the Poor month" in refused.plain
    await loa.send(CITIZEN, "/pledge")
    await loa.tap(CITIZEN, "Tổ chức")
    refused = await loa.send(CITIZEN, "Công ty " * 20)
    assert "1 đến 80 ký tự" in refused.plain and "Nguyễn Văn An" in refused.plain
    await loa.send(ADMIN, "/broadcast")
    loa.emu.send_photo(ADMIN, b"\xff\xd8 photo", caption="🤝" * 600)  # 600 characters, 1,200 units
    refused = await loa.next(ADMIN)
    assert "1024" in refused.plain.replace(".", "").replace(",", "")
    assert within_limits(loa)


async def test_forged_page_presses_show_nothing_more_than_the_command(loa):
    await people(loa)
    [campaign] = campaigns(loa, 1)
    [pledge] = pledges(loa, campaign, [loa.db.call(lambda s: by_code(s, "28042-A1").id)])[:1]
    [deadline] = deadlines(loa, 1, datetime.now(UTC) + timedelta(days=5))
    card = (await loa.send(CITIZEN, "/campaigns")).message_id
    for data, refusal in [("cmp:lp:3", "cán bộ"), ("bc:p:2", "cán bộ"), ("dl:lp:1", "cán bộ"),
                          (f"dl:v:{deadline}:4", "ngoài địa bàn"),
                          (f"pd:o:{pledge}:9", "ngoài địa bàn")]:
        answer = await loa.emu.wait_callback_answer(loa.emu.press(CITIZEN, data, card))
        shown = answer.text or (await loa.next(CITIZEN)).plain
        assert refusal in shown, (data, shown)
    loa.emu.press(CITIZEN, "tot:p", card)
    assert "Z0-" not in (await loa.next(CITIZEN)).plain
    loa.emu.press(CITIZEN, "mp:p:999", card)  # past the end: the last page of one's own
    assert "Z0-0000" in (await loa.next(CITIZEN)).plain
    assert within_limits(loa)
