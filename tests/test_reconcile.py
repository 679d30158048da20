"""Reconciliation without Telegram: codes found in what banks do to notes, the plan and its
lists, apply once, re-import and overlapping statements change nothing, gifts, thank-yous."""

import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlmodel import func, select

from bot.app import build_application, serving
from bot.cli import main as loa_main
from bot.emulator import Emulator
from handlers.reconcile import thanks
from models.areas import by_code
from models.campaigns import CampaignDraft, create_campaign
from models.outbox import Delivery
from models.pledges import Pledge, PledgeChange, PledgeDraft, PledgeStatus, register_pledge
from models.reconcile import (
    BankTransaction,
    NotAssignable,
    Outcome,
    apply_plan,
    assign,
    code_pattern,
    find_code,
    make_plan,
    office_actor,
)
from models.statements import Statement, read_statement
from models.users import AccessDenied, Role, actor_for, ensure_user, grant, update_user
from tests.conftest import TOKEN, loa_config

DATA = Path(__file__).parent / "data"
NOW = datetime(2026, 11, 7, 3, 0, tzinfo=UTC)
OPENED = date(2026, 11, 1)
CONFIG = loa_config("http://127.0.0.1:1", "sqlite://")
THANK = thanks(CONFIG)


def statement(name: str = "vietcombank.xlsx") -> Statement:
    return read_statement(name, (DATA / name).read_bytes())


def test_codes_as_banks_mangle_them():
    pattern = code_pattern(["TT26", "TT26A", "LK26"])
    for note, code in [
            ("CHUYEN TIEN UNG HO TT26-0042 NGUYEN VAN A", "TT26-0042"), ("TT26 0042", "TT26-0042"),
            ("tt260042", "TT26-0042"), ("tt26-42", "TT26-0042"), ("Ủng hộ tt26–0042.", "TT26-0042"),
            ("MBVCB.123.TT26.0042.CT tu 0123", "TT26-0042"), ("ung ho TT26A-0007", "TT26A-0007"),
            ("TT26A0007", "TT26A-0007"), ("ung ho dong bao", None), ("TT2642", None),
            ("XTT26-0042", None), ("TT26-00421", "TT26-0421"), ("LK26-0001 va TT26-0003",
                                                                "TT26-0003"),
            # what banks add around the code, and cut from its end
            ("MBVCB.123456.TT26-0042.CT tu 0123456 NGUYEN VAN A", "TT26-0042"),
            ("IBFT TT26 0042", "TT26-0042"), ("ibft tt26 0042 ung ho", "TT26-0042"),
            ("ung ho quy TT26-004", None), ("ung ho quy TT26-00 ", None), ("TT26-0", None),
            ("TT26-004 ung ho", "TT26-0004"), ("TT26-0000", None)]:
        assert find_code(pattern, note, "TT26") == code, note


def world(s):
    """Thủ Thừa's campaign TT26 with five pledges (the fourth cancelled), Tân Thành's TT26A
    with one; officer 10 runs Thủ Thừa, officer 11 only Bình An."""
    grant(s, 10, Role.OFFICER, "804")
    grant(s, 11, Role.OFFICER, "28054")
    officer = actor_for(s, ensure_user(s, 10)[0], frozenset())
    made = []
    for code in ("804", "28042"):
        made.append(create_campaign(s, officer, CampaignDraft(
            name=f"Vì người nghèo {code}", description="", starts_on=OPENED,
            ends_on=date(2026, 12, 31), area_id=by_code(s, code).id, money_target=0)))
    main, other = made
    amounts = [500_000, 1_000_000, 200_000, 100_000, 2_000_000]
    for n, amount in enumerate(amounts, 1):
        user = update_user(s, ensure_user(s, 100 + n, f"Người {n}")[0], language="vi")
        register_pledge(s, user, PledgeDraft(main.id, "individual", user.name, "money", amount,
                                             True), f"t{n}", NOW, OPENED)
    register_pledge(s, ensure_user(s, 200)[0], PledgeDraft(other.id, "individual", "B",
                                                           "money", 400_000, True), "u1", NOW,
                    OPENED)
    cancelled = s.exec(select(Pledge).where(Pledge.reference == "TT26-0004")).one()
    cancelled.status = PledgeStatus.CANCELLED
    s.add(cancelled)
    return main.id, other.id


@pytest.fixture
def ready(areas_db):
    main, other = areas_db.call(world)
    return areas_db, main, other


def officer(s, user_id=10):
    return actor_for(s, ensure_user(s, user_id)[0], frozenset())


def plan_lists(plan):
    return {o.value: [(line.code, line.credit.amount, line.note) for line in lines]
            for o, lines in plan.lines.items()}


@pytest.mark.parametrize("name", ["vietcombank.xlsx", "vietinbank.xls", "bidv.csv",
                                  "techcombank.xlsx"])
def test_the_plan_lists_what_would_change_and_changes_nothing(ready, name):
    db, main, _other = ready
    plan = db.call(lambda s: make_plan(s, officer(s), main, statement(name)))
    assert plan_lists(plan) == {
        "matched": [("TT26-0001", 500_000, ""), ("TT26-0002", 1_000_000, ""),
                    ("TT26-0005", 2_000_000, "")],
        "other_amount": [("TT26-0003", 300_000, "")],
        "foreign": [("TT26A-0001", 400_000, "other"), ("TT26-0004", 100_000, "cancelled")],
        "no_code": [(None, 250_000, "")],
        "already": []}
    assert plan.total(Outcome.MATCHED) == 3_500_000 and plan.debits == 1
    assert db.call(lambda s: s.exec(select(func.count()).select_from(BankTransaction)).one()) == 0


def received(s, campaign_id):
    return s.exec(select(func.coalesce(func.sum(Pledge.received_amount), 0)).where(
        Pledge.campaign_id == campaign_id, Pledge.status == PledgeStatus.RECEIVED)).one()


def test_apply_once_then_nothing_again_and_thank_yous_once(ready):
    db, main, _other = ready

    def apply(s, name="vietcombank.xlsx", **kw):
        return apply_plan(s, officer(s), main, statement(name), NOW, THANK, **kw)[1]

    applied = db.call(apply)
    assert (applied.received, applied.gifts, applied.amount) == (3, 0, 3_500_000)

    def check(s):
        first = s.exec(select(Pledge).where(Pledge.reference == "TT26-0001")).one()
        assert (first.status, first.received_amount, first.received_on) == (
            PledgeStatus.RECEIVED, 500_000, date(2026, 11, 2))
        change = s.exec(select(PledgeChange).where(PledgeChange.pledge_id == first.id,
                                                   PledgeChange.action == "received")).one()
        assert change.actor_id == 10
        thanked = s.exec(select(Delivery).where(Delivery.chat_id == 101)).all()
        assert len(thanked) == 1 and "TT26-0001" in thanked[0].text
        assert s.exec(select(Pledge).where(Pledge.reference == "TT26-0003")).one().status \
            == PledgeStatus.REGISTERED  # another amount: left for the desk
        return received(s, main), s.exec(select(func.count()).select_from(Delivery)).one()

    before = db.call(check)
    assert before[0] == 3_500_000
    for name in ("vietcombank.xlsx", "vietcombank.xlsx"):  # the same statement again
        assert db.call(apply, name).received == 0
    plan = db.call(lambda s: make_plan(s, officer(s), main, statement()))
    assert plan.count(Outcome.ALREADY) == 3 and plan.count(Outcome.MATCHED) == 0
    assert db.call(check) == before


def test_an_overlapping_statement_changes_nothing_already_recorded(ready):
    db, main, _other = ready
    whole = read_statement("agribank.csv", (DATA / "agribank.csv").read_bytes(),
                           answers={"credit": 1})  # no bank reference: keys are hashes
    first_days = Statement([c for c in whole.credits if c.on <= date(2026, 11, 3)], 0, "")
    db.call(lambda s: apply_plan(s, officer(s), main, first_days, NOW, THANK))
    plan, applied = db.call(lambda s: apply_plan(s, officer(s), main, whole, NOW, THANK))
    assert applied.received == 1  # TT26-0005 only; 0001 and 0002 were in the first statement
    assert plan.count(Outcome.ALREADY) == 2
    assert db.call(received, main) == 3_500_000


def test_gifts_and_accepted_amounts_make_received_equal_the_statement(ready):
    db, main, _other = ready
    st = statement("bidv.csv")
    plan, applied = db.call(lambda s: apply_plan(s, officer(s), main, st, NOW, THANK,
                                                 accept_amounts=True, gifts=True))
    assert (applied.received, applied.gifts) == (4, 1)
    ours = sum(c.amount for c in st.credits) - plan.total(Outcome.FOREIGN)
    assert db.call(received, main) == ours == 4_050_000

    def gift(s):
        return s.exec(select(Pledge).where(Pledge.user_id.is_(None))).one()

    made = db.call(gift)
    assert (made.amount, made.display_name, made.public, made.pledger_kind) == (
        250_000, "", False, "individual")
    again = db.call(lambda s: apply_plan(s, officer(s), main, st, NOW, THANK, gifts=True))[1]
    assert (again.received, again.gifts) == (0, 0)
    assert db.call(lambda s: s.exec(select(func.count()).select_from(Pledge)).one()) == 7


def test_assign_by_hand_and_scope(ready):
    db, main, _other = ready
    no_code = statement().credits[5]

    def hand(s, typed, user_id=10):
        return assign(s, officer(s, user_id), main, no_code, typed, NOW, THANK)

    for typed, reason in [("TT26-0099", "unknown"), ("TT26-0004", "cancelled"),
                          ("hello", "unknown")]:
        with pytest.raises(NotAssignable) as refused:
            db.call(hand, typed)
        assert refused.value.args[0] == reason
    assert db.call(hand, "tt26 3").received_amount == 250_000
    with pytest.raises(NotAssignable):
        db.call(hand, "TT26-0002")  # the same credit cannot go to a second pledge
    with pytest.raises(AccessDenied):
        db.call(hand, "TT26-0002", 11)
    with pytest.raises(AccessDenied):
        db.call(lambda s: make_plan(s, officer(s, 11), main, statement()))
    plan = db.call(lambda s: make_plan(s, office_actor(), main, statement()))
    assert plan.count(Outcome.MATCHED) == 3


# ---- in the chat: the real Application against the emulator --------------------------------

async def test_an_officer_sends_the_statement_and_applies_it(loa):
    await loa.onboard(10, lang="en")
    loa.user(101)  # the first pledger, who hears the thank-you
    main, _other = loa.db.call(world)
    content = (DATA / "vietcombank.xlsx").read_bytes()
    loa.emu.send_document(10, "vietcombank.xlsx", content)
    asked = await loa.next(10)
    assert "Which campaign" in asked.text  # Thủ Thừa's officer runs both campaigns
    summary = await loa.tap(10, "TT26 · Vì người nghèo 804")
    assert "Code and amount match (to be marked received): <b>3</b>" in summary.text
    assert "No pledge code: <b>1</b>" in summary.text
    listed = await loa.tap(10, "📄 ≠ Code matches, another amount (1)")
    assert "TT26-0003" in listed.text and "pledged ₫200,000" in listed.text
    await loa.tap(10, "⬅ Back to the summary")
    assert loa.db.call(received, main) == 0  # nothing changed before Apply
    done = await loa.tap(10, "✅ Apply")
    assert "3 pledges marked received" in done.text
    assert loa.db.call(received, main) == 3_500_000
    thanked = await loa.emu.next_message(101)
    assert "TT26-0001" in thanked.text
    again = await loa.tap(10, "🎁 No code: gifts from a benefactor via the bank")
    assert "0 pledges marked received, 1 gift from a benefactor through the bank recorded" \
        in again.text
    assert loa.db.call(received, main) == 3_750_000
    desk = await loa.send(10, "/pledges")
    assert "TT26-0006</b> · a benefactor through the bank · ₫250,000 · received" in desk.text


async def test_a_citizen_or_a_bad_file_changes_nothing(loa):
    await loa.onboard(10, lang="en")
    await loa.onboard(20, lang="en")
    main, _other = loa.db.call(world)
    loa.emu.send_document(20, "vietcombank.xlsx", (DATA / "vietcombank.xlsx").read_bytes())
    refused = (await loa.next(20)).text
    assert "Only officers can reconcile" in refused and "/report" in refused
    forged = await loa.emu.wait_callback_answer(loa.emu.press(20, "rc:a"))
    assert forged.show_alert and "expired" in forged.text

    def elsewhere(s):  # Lô Ku's campaign, outside officer 10's scope
        admin = actor_for(s, ensure_user(s, 1)[0], frozenset({1}))
        return create_campaign(s, admin, CampaignDraft(
            name="Lô Ku", description="", starts_on=OPENED, ends_on=date(2026, 12, 31),
            area_id=by_code(s, "23656").id, money_target=0)).id

    outside = loa.db.call(elsewhere)
    await loa.send(10, "/reconcile")
    forged = await loa.emu.wait_callback_answer(loa.emu.press(10, f"rc:c:{outside}"))
    assert forged.show_alert and forged.text == "This button is not valid."
    await loa.send(10, "/reconcile")
    await loa.tap(10, "TT26 · Vì người nghèo 804")
    loa.emu.send_document(10, "usd.xlsx", (DATA / "usd.xlsx").read_bytes())
    assert "not in đồng (VND)" in (await loa.next(10)).text
    loa.emu.send_document(10, "agribank.csv", (DATA / "agribank.csv").read_bytes())
    question = await loa.next(10)  # the same campaign as for the refused file
    assert "which column holds the money received" in question.text
    assert "type its heading" in (await loa.send(10, "tiền")).text  # no heading holds it
    assert "Phát sinh" in str((await loa.next(10)).reply_markup)  # asked again, as written
    summary = await loa.tap(10, "Phát sinh")
    assert "Code and amount match (to be marked received): <b>3</b>" in summary.text
    assert loa.db.call(received, main) == 0
    await loa.tap(10, "✍ Assign one to a pledge")
    assert "did not find line “99”" in (await loa.send(10, "99 TT26-0003")).text
    assert "registered pledge “TT26-0099”" in (await loa.send(10, "8 TT26-0099")).text
    assigned = await loa.send(10, "8 tt26 3")
    assert assigned.text.startswith("TT26-0003 is marked received: ₫250,000 on 5 Nov 2026")
    assert loa.db.call(received, main) == 250_000
    for _tap in range(2):  # a double tap: the plan is made again inside the transaction
        loa.emu.press_button(10, "✅ Apply")
    assert "3 pledges marked received" in (await loa.next(10)).text
    assert "Nothing left to apply" in (await loa.next(10)).text
    assert loa.db.call(received, main) == 3_750_000


def test_the_command_line_reports_then_applies(ready, db_url, monkeypatch, capsys):
    db, main_id, _other = ready
    monkeypatch.setenv("LOA_DATABASE_URL", db_url)
    file = str(DATA / "techcombank.xlsx")
    assert loa_main(["reconcile", file, "--campaign", "tt26", "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert "Code and amount match (to be marked received): 3 · ₫3,500,000" in out
    assert "TT26-0003 · pledged ₫200,000" in out and db.call(received, main_id) == 0
    assert loa_main(["reconcile", file, "--campaign", "TT26", "--apply", "--gifts"]) == 0
    assert "Xong: 3" in capsys.readouterr().out
    assert db.call(received, main_id) == 3_750_000
    for args, message in [
            ([str(DATA / "password.xlsx"), "--campaign", "TT26"], "password"),
            ([str(DATA / "agribank.csv"), "--campaign", "TT26", "--lang", "en"],
             "--column credit=N"),
            ([file, "--campaign", "XX99"], "no campaign with the code prefix XX99"),
            ([file, "--campaign", "TT26", "--lang", "fr"], "unknown language 'fr': use one of")]:
        assert loa_main(["reconcile", *args]) == 1
        assert message in capsys.readouterr().err
    assert loa_main(["reconcile", str(DATA / "agribank.csv"), "--campaign", "TT26",
                 "--column", "credit=2"]) == 0


async def test_the_summary_survives_a_restart(areas_db, db_url):
    main, _other = areas_db.call(world)
    areas_db.call(lambda s: update_user(s, ensure_user(s, 10)[0], language="en",
                                        consent_at=NOW))
    async with Emulator(token=TOKEN, bot_username="loa_test_bot") as emu:
        emu.add_user(10, "Officer", language_code="en")
        config = loa_config(emu.api_url, db_url)
        async with serving(build_application(config, areas_db)):
            emu.send_document(10, "bidv.csv", (DATA / "bidv.csv").read_bytes())
            await emu.next_message(10)
            emu.press_button(10, "TT26 · Vì người nghèo 804")
            assert "Bank statement" in (await emu.next_message(10)).text
        async with serving(build_application(config, areas_db)):  # Loa restarted
            emu.press_button(10, "✅ Apply")
            assert "3 pledges marked received" in (await emu.next_message(10)).text
    assert areas_db.call(received, main) == 3_500_000


def test_a_note_with_two_codes_is_left_to_the_officer(ready):
    """One transfer for two pledges ("TT26-0001 TT26-0002"): it used to count for the first
    code alone, and accepting the statement's amount gave it the money of both."""
    db, main, _other = ready
    text = ("Ngày giao dịch,Số tiền ghi có,Nội dung,Số tham chiếu\n"
            "02/11/2026,1500000,ung ho TT26-0001 va TT26-0002,R1\n"
            "02/11/2026,300000,TT26-0003 nho LK26-0001,R2\n").encode()
    st = read_statement("s.csv", text)
    plan, applied = db.call(lambda s: apply_plan(s, officer(s), main, st, NOW, THANK,
                                                 accept_amounts=True, gifts=True))
    assert plan_lists(plan)["foreign"] == [("TT26-0001, TT26-0002", 1_500_000, "several")]
    assert plan_lists(plan)["other_amount"] == [("TT26-0003", 300_000, "")]
    assert (applied.received, applied.gifts) == (1, 0)
    assert db.call(received, main) == 300_000


def test_two_applies_at_once_receive_once_and_thank_once(ready):
    """Two officers (or two devices) press Apply at the same moment: each pledge is received
    once and its pledger thanked once; the later one finds nothing left or is refused whole."""
    import threading

    from sqlalchemy.exc import IntegrityError

    db, main, _other = ready
    st = statement()
    start, results = threading.Barrier(2), []

    def press():
        start.wait()
        try:
            results.append(db.call(lambda s: apply_plan(s, officer(s), main, st, NOW,
                                                        THANK))[1].received)
        except IntegrityError:
            results.append("refused")

    threads = [threading.Thread(target=press) for _n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results, key=str) in ([0, 3], [3, "refused"])
    assert db.call(received, main) == 3_500_000
    thanked = db.call(lambda s: s.exec(select(Delivery.chat_id)).all())
    assert sorted(thanked) == [101, 102, 105]


async def test_an_officer_who_types_instead_of_tapping(loa):
    """At the summary, "đồng ý" means Apply and "tt26 3" assigns the one credit with no code;
    a file sent there is the next statement; other words get the summary and a hint."""
    await loa.onboard(10, lang="vi")
    main, _other = loa.db.call(world)
    await loa.send(10, "/reconcile")
    await loa.tap(10, "TT26 · Vì người nghèo 804")
    loa.emu.send_document(10, "vietcombank.xlsx", (DATA / "vietcombank.xlsx").read_bytes())
    assert "Sao kê" in (await loa.next(10)).text
    hint = await loa.send(10, "xong chưa")
    assert "gõ “ghi nhận”" in hint.text and loa.db.call(received, main) == 0
    done = await loa.send(10, " Đồng ý ")
    assert "Xong: 3" in done.text and loa.db.call(received, main) == 3_500_000
    assigned = await loa.send(10, "tt26 3")  # one credit with no code: no line number needed
    assert "TT26-0003" in assigned.text and loa.db.call(received, main) == 3_750_000
    loa.emu.send_document(10, "bidv.csv", (DATA / "bidv.csv").read_bytes())
    again = await loa.next(10)  # the same credits through another bank: nothing new
    assert "Sao kê" in again.text and "✅ Ghi nhận" not in str(again.reply_markup)
    loa.emu.send_document(10, "agribank.csv", (DATA / "agribank.csv").read_bytes())
    assert "Phát sinh" in str((await loa.next(10)).reply_markup)
    assert "Sao kê" in (await loa.send(10, "phát sinh")).text  # the heading typed
    await loa.send(10, "/cancel")
    assert loa.db.call(received, main) == 3_750_000


async def test_five_hundred_credits_page_within_telegram_s_limit(loa):
    await loa.onboard(10, lang="vi")
    loa.db.call(world)
    rows = "".join(f"02/11/2026,{10_000 + n},{'chuyen khoan ung ho dong bao ' * 6}{n},R{n}\n"
                   for n in range(500))
    content = ("Ngày giao dịch,Số tiền ghi có,Nội dung,Số tham chiếu\n" + rows).encode()
    await loa.send(10, "/reconcile")
    await loa.tap(10, "TT26 · Vì người nghèo 804")
    loa.emu.send_document(10, "s.csv", content)
    summary = await loa.next(10)
    assert len(summary.text) < 1000 and "<b>500</b>" in summary.text
    seen, page = set(), await loa.tap(10, "📄 ❔ Không có mã ủng hộ (500)")
    while True:
        assert len(page.text) <= 4096
        seen.update(int(m) for m in re.findall(r"^(\d+)\. ", page.text, re.M))
        if "▶" not in str(page.reply_markup):
            break
        page = await loa.tap(10, "▶")
    assert seen == set(range(2, 502))


async def test_bad_files_in_chat_are_named_and_change_nothing(loa):
    await loa.onboard(10, lang="en")
    main, _other = loa.db.call(world)
    await loa.send(10, "/reconcile")
    await loa.tap(10, "TT26 · Vì người nghèo 804")
    xlsx = (DATA / "vietcombank.xlsx").read_bytes()
    for name, content, said in [
            ("big.csv", b"x" * (20 * 1024 * 1024 + 1), "over 20 MB"),
            ("sao ke.pdf", b"%PDF-1.4\n" + bytes(range(256)), "a PDF, a picture"),
            ("report.docx", b"PK\x03\x04" + bytes(range(256)), "export the statement as Excel"),
            ("photo.png", b"\x89PNG\r\n\x1a\n" + bytes(range(256)), "a PDF, a picture"),
            ("password.xlsx", (DATA / "password.xlsx").read_bytes(), "password"),
            ("usd.xlsx", (DATA / "usd.xlsx").read_bytes(), "not in đồng (VND)"),
            ("empty.csv", (DATA / "empty.csv").read_bytes(), "no money received")]:
        loa.emu.send_document(10, name, content)
        assert said in (await loa.next(10)).text, name
    loa.emu.add_group(-100777, "Mặt trận xã")
    loa.emu.send_document(10, "vietcombank.xlsx", xlsx, chat_id=-100777)
    await loa.quiet(-100777)
    await loa.quiet(10)
    assert loa.db.call(received, main) == 0
    assert loa.db.call(lambda s: s.exec(select(func.count()).select_from(BankTransaction)).one()
                       ) == 0
    loa.emu.send_document(10, "sao ke.csv", xlsx)  # an .xlsx renamed .csv is still read
    assert "Code and amount match (to be marked received): <b>3</b>" in (
        await loa.next(10)).text


async def test_a_village_head_s_report_file_goes_to_the_report(loa):
    """The deadline flow waits for the report's file: an .xlsx sent there is the report's,
    never a bank statement."""
    from tests.test_deadlines import set_deadline

    await set_deadline(loa)
    loa.db.call(grant, 602, Role.VILLAGE_HEAD, "28042-A1")
    await loa.onboard(602, name="Hùng", lang="vi")
    await loa.send(602, "/report")
    for typed in ("12", "5tr", "Đã trao 2 nhà"):
        asked = await loa.send(602, typed)
    assert "gửi tệp hoặc ảnh" in asked.plain
    loa.emu.send_document(602, "bao cao.xlsx", (DATA / "vietcombank.xlsx").read_bytes())
    assert "Có kèm tệp." in (await loa.next(602)).plain


async def test_apply_under_an_older_summary_has_expired(loa):
    """The officer sends a statement, then another: ✅ under the first summary used to apply
    the second file, whose summary the officer may not have read."""
    await loa.onboard(10, lang="en")
    main, _other = loa.db.call(world)
    await loa.send(10, "/reconcile")
    await loa.tap(10, "TT26 · Vì người nghèo 804")
    loa.emu.send_document(10, "vietcombank.xlsx", (DATA / "vietcombank.xlsx").read_bytes())
    first = await loa.next(10)
    old_apply = re.search(r"rc:a:[\w-]*", str(first.reply_markup))[0]
    loa.emu.send_document(10, "bidv.csv", (DATA / "bidv.csv").read_bytes())
    await loa.next(10)  # the second file's summary
    stale = await loa.emu.wait_callback_answer(loa.emu.press(10, old_apply, first.message_id))
    assert stale.show_alert and "expired" in stale.text
    assert loa.db.call(received, main) == 0
    assert "3 pledges marked received" in (await loa.tap(10, "✅ Apply")).text


def test_the_same_account_exported_another_way_is_not_counted_twice(ready):
    """A gift recorded from the .xlsx (keyed by the bank's reference) came back as a second
    gift from a .csv of the same days without the reference column (keyed by a hash)."""
    db, main, _other = ready
    db.call(lambda s: apply_plan(s, officer(s), main, statement(), NOW, THANK, gifts=True))
    before = db.call(received, main)
    again = read_statement("agribank.csv", (DATA / "agribank.csv").read_bytes(),
                           answers={"credit": 1})
    plan, applied = db.call(lambda s: apply_plan(s, officer(s), main, again, NOW, THANK,
                                                 gifts=True))
    assert (applied.received, applied.gifts) == (0, 0)
    assert ("no code", 250_000, "recorded") in [
        (line.code or "no code", line.credit.amount, line.note)
        for line in plan.lines[Outcome.ALREADY]]
    assert db.call(received, main) == before == 3_750_000


async def test_an_officer_of_many_campaigns_reaches_each_or_types_its_code(loa):
    """Only the ten newest campaigns used to be offered: a province's officer could not
    reconcile an older one."""
    await loa.onboard(10, lang="en")
    main, _other = loa.db.call(world)

    def more(s):
        for n in range(10):
            create_campaign(s, officer(s), CampaignDraft(
                name=f"Mùa lũ {n}", description="", starts_on=OPENED,
                ends_on=date(2026, 12, 31), area_id=by_code(s, "804").id, money_target=0))

    loa.db.call(more)
    loa.emu.send_document(10, "vietcombank.xlsx", (DATA / "vietcombank.xlsx").read_bytes())
    first = await loa.next(10)
    assert "TT26 · " not in str(first.reply_markup) and "1/2" in str(first.reply_markup)
    second = await loa.tap(10, "▶")
    assert "TT26 · Vì người nghèo 804" in str(second.reply_markup)
    await loa.tap(10, "◀")
    assert "did not find a campaign" in (await loa.send(10, "XX99")).text
    await loa.next(10)  # the question again
    summary = await loa.send(10, " tt26 ")
    assert "Code and amount match (to be marked received): <b>3</b>" in summary.text
    assert loa.db.call(received, main) == 0
