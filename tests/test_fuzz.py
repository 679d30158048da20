"""Random use and abuse of the real Application over the emulator (Hypothesis).

Citizens, a newcomer, a village head and officers of two communes type commands and every
kind of text (long, empty, emoji, right-to-left, digits of other scripts), share contacts,
send files, press the buttons they were shown, press buttons with forged data under every
prefix Loa uses, and talk in a group. Whatever they do:

- no update ends in the internal-error reply or an unhandled exception;
- no message breaks Telegram's limits (the emulator refuses those, as Telegram does);
- nobody hears anything that was not an answer to them, except through the outbox;
- a group hears at most the one line pointing to the private chat;
- nobody gains a role or a scope;
- every campaign's public totals equal the sum of the pledges that count.

LOA_FUZZ_EXAMPLES sets how many sequences are tried (CI: the default; locally: more).
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import col, select

from bot.app import build_application, serving
from bot.config import load_config
from bot.db import Database
from bot.emulator import Emulator
from bot.migrate import upgrade
from bot.reminders import clockwork
from models.areas import by_code
from models.campaigns import Campaign, CampaignDraft, create_campaign
from models.deadlines import DeadlineDraft, create_deadline
from models.figures import totals
from models.outbox import Delivery, DeliveryStatus
from models.pledges import COUNTED, Pledge, PledgeDraft, PledgeStatus, register_pledge
from models.users import Role, User, actor_for, get_user, grant
from tests.conftest import ADMIN, ROOT, TOKEN, loa_config, load_examples

EXAMPLES = int(os.environ.get("LOA_FUZZ_EXAMPLES", "12"))
GROUP = -100500
CITIZEN_VI, CITIZEN_EN, NEWCOMER, HEAD, OFFICER, OTHER_OFFICER = 801, 802, 803, 804, 805, 806
PEOPLE = (CITIZEN_VI, CITIZEN_EN, NEWCOMER, HEAD, OFFICER, OTHER_OFFICER)
INTERNAL_ERROR = ("went wrong", "đã có lỗi")  # en, vi: the internal-error reply

COMMANDS = ["/start", "/help", "/pledge", "/campaigns", "/mypledges", "/totals", "/honour",
            "/privacy", "/language", "/area", "/campaign", "/pledges", "/broadcast",
            "/broadcasts", "/deadline", "/deadlines", "/export", "/report", "/invite", "/cancel",
            "/forget", "/start bogus-invite-code", "/nonsense"]
TYPED = ["500k", "1 triệu rưỡi", "2tr5", "0", "-5", "10 tỷ", "999999999999999999999", "12",
         "hủy", "thôi", "Ấp 1", "tan thanh", "17/10/2023 - 18/11/2023", "30/11/2099 08:00",
         "7d 3d 1d", "Nhà Đại đoàn kết: 7", "a: số; b: tiền; c: chữ", "²", "１２", "٣", "",
         " ", "=HYPERLINK(\"http://x\",\"y\")", "<b>bold</b> & <i>", "https://mttq.example.vn",
         "📣 Thông báo", "🗂 Sổ ủng hộ", "⏰ Hạn báo cáo", "📝 Báo cáo", "🤝 Ủng hộ", "📋 Mine",
         "❓ Help", "cancel", "huỷ bỏ"]
ALPHABET = st.characters(codec="utf-8", exclude_categories=("Cs",))
SCRIPTS = st.sampled_from(["مرحبا بالعالم", "שלום", "😀🙏🏽👨‍👩‍👧", "１２３", "٣٤٥", "²³",
                           "ꦲꦏ꧀ꦱꦫ", "Tiếng Ba Na", "\u200f\u202e"])
TEXTS = st.one_of(st.sampled_from(COMMANDS), st.sampled_from(TYPED), SCRIPTS,
                  st.text(ALPHABET, max_size=40),
                  st.builds(lambda s, n: s * n, st.sampled_from(["a", "Ấp ", "😀", "<"]),
                            st.integers(1000, 5000)))
SUFFIXES = st.one_of(st.integers(-5, 40).map(str), st.just("9" * 40), st.just("²"),
                     st.just("１"), st.text(ALPHABET, max_size=12),
                     st.builds(lambda a, b: f"{a}:{b}", st.integers(0, 40), st.integers(0, 3)))
KNOWN_PREFIXES = ["lang", "consent", "pl:c", "pl:new", "pl:who", "pl:name", "pl:what",
                  "pl:tgt", "pl:pub", "pl:ok", "pl:again", "pl:edit", "pl:cancel", "mp:keep",
                  "mp:e", "mp:x", "mp:xx", "pd:l:0:a:a", "pd:o", "pd:a", "pd:r", "pd:j", "pd:v",
                  "tot", "hon", "bc:go", "bc:at", "bc:x", "bc:csv", "dl:ca", "dl:n", "dl:c",
                  "dl:x", "dl:t", "dl:o", "dl:ok", "rp:now", "rp:snz", "cmp:m", "cmp:s",
                  "cmp:e", "inv", "rm:off", "fg", "ob", "nav", "cmp:pg", "cmp:lp", "cmp:l",
                  "bc:p", "bc:bp", "bc:b", "bc:l", "bc:r", "dl:lp", "dl:cp", "dl:lv", "dl:of",
                  "dl:fi", "dl:ro", "rp:pg", "rp:skip", "rp:ok", "mp:p", "pl:cp", "forget"]


@dataclass(frozen=True)
class Act:
    kind: str  # text, press, forge, tap, contact, document, photo, group
    who: int
    value: object = None


ACTS = st.one_of(
    st.builds(Act, st.just("text"), st.sampled_from(PEOPLE), TEXTS),
    st.builds(Act, st.just("press"), st.sampled_from(PEOPLE), st.integers(0, 30)),
    st.builds(Act, st.just("forge"), st.sampled_from(PEOPLE),
              st.tuples(st.sampled_from(KNOWN_PREFIXES), SUFFIXES)),
    st.builds(Act, st.just("tap"), st.sampled_from(PEOPLE), st.integers(0, 10)),
    st.builds(Act, st.just("contact"), st.sampled_from(PEOPLE), st.booleans()),
    st.builds(Act, st.just("document"), st.sampled_from(PEOPLE), st.text(ALPHABET,
                                                                          max_size=30)),
    st.builds(Act, st.just("photo"), st.sampled_from(PEOPLE), TEXTS),
    st.builds(Act, st.just("group"), st.sampled_from(PEOPLE), TEXTS),
)
# Presses and plain typing are what people mostly do: weight them up.
STEPS = st.lists(st.one_of(ACTS, st.builds(Act, st.just("press"), st.sampled_from(PEOPLE),
                                           st.integers(0, 30))), min_size=5, max_size=30)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated database with the example areas, people, a campaign and a deadline: each
    sequence starts from a copy of it."""
    path = tmp_path_factory.mktemp("fuzz") / "template.db"
    url = f"sqlite:///{path}"
    upgrade(url)
    db = Database(url)
    load_examples(db)
    db.call(_seed)
    db.dispose()
    return path


def _seed(s) -> None:
    now = datetime.now(UTC)
    for user_id, lang, area in [(CITIZEN_VI, "vi", "28042-A1"), (CITIZEN_EN, "en", "28042-A2"),
                                (HEAD, "vi", "28042-A1"), (OFFICER, "en", "28042"),
                                (OTHER_OFFICER, "vi", "28054"), (ADMIN, "vi", "804")]:
        s.add(User(id=user_id, name=f"Người {user_id}", language=lang, consent_at=now,
                   area_id=by_code(s, area).id, phone="+84909123456"))
    s.flush()
    grant(s, HEAD, Role.VILLAGE_HEAD, "28042-A1")
    grant(s, OFFICER, Role.OFFICER, "28042")
    grant(s, OTHER_OFFICER, Role.OFFICER, "28054")
    admin = actor_for(s, get_user(s, ADMIN), frozenset({ADMIN}))
    today = date.today()
    campaign = create_campaign(s, admin, CampaignDraft(
        name="Vì người nghèo", description="Thư ngỏ", starts_on=today - timedelta(days=2),
        ends_on=today + timedelta(days=20), area_id=by_code(s, "804").id,
        money_target=500_000_000, targets=[("Nhà Đại đoàn kết", 7)]))
    for i, user_id in enumerate((CITIZEN_VI, CITIZEN_EN)):
        register_pledge(s, get_user(s, user_id), PledgeDraft(
            campaign.id, "individual", f"Người {user_id}", "money", 200_000 * (i + 1), True),
            f"seed-{user_id}", now, today)
    officer = actor_for(s, get_user(s, OFFICER), frozenset())
    clock = clockwork(load_config(ROOT / "config.toml", env={}))
    create_deadline(s, officer, DeadlineDraft(
        title="Kết quả", due_at=now + timedelta(days=3), area_id=by_code(s, "28042").id,
        level="ấp", role=Role.VILLAGE_HEAD.value,
        fields=[{"name": "Số hộ", "kind": "number"}, {"name": "Ghi chú", "kind": "text"}],
        offsets="1d", campaign_id=campaign.id, wants_file=False), clock, now)


def roles(db: Database) -> dict[int, tuple[str, int | None]]:
    return {u.id: (u.role, u.scope_area_id)
            for u in db.call(lambda s: s.exec(select(User)).all())}


class Errors(logging.Handler):
    """Unhandled exceptions while handling an update, as the application logs them."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


async def settle(emu: Emulator, app, quiet: float = 0.03, timeout: float = 20.0) -> None:
    """Until every update is handled and nothing new was sent for a moment."""
    last, waited = -1, 0.0
    while waited < timeout:
        busy = bool(emu.pending_updates) or app.bot_data["poller"].storing or \
            not await app.bot_data["inbox"].idle()
        seen = len(emu.outbox) + len(emu.callback_answers)
        if not busy and seen == last:
            return
        last = seen
        await asyncio.sleep(quiet)
        waited += quiet
    raise AssertionError(f"Loa did not settle:\n{emu.dump()}")


def play(emu: Emulator, act: Act, seen_data: list[str]) -> None:
    who = act.who
    if act.kind == "text":
        emu.send_text(who, act.value or "…")
    elif act.kind == "group":
        emu.send_text(who, act.value or "…", chat_id=GROUP)
    elif act.kind == "contact":
        emu.send_contact(who, "+84911222333", contact_user_id=None if act.value else 0)
    elif act.kind == "document":
        emu.send_document(who, (act.value or "x") + ".pdf", b"%PDF-1.4", "application/pdf")
    elif act.kind == "photo":
        emu.send_photo(who, b"\x89PNG", caption=act.value[:1500] or None)
    elif act.kind == "tap":
        labels = [label for row in emu.reply_keyboard(who) or [] for label in row]
        if labels:
            label = labels[act.value % len(labels)]
            try:
                emu.tap(who, label)
            except ValueError:  # the button asks for a contact: share one's own
                emu.tap(who, label, phone_number="+84911222333")
    else:
        target = next((m for m in reversed(emu.messages(who)) if m.inline_keyboard), None)
        if target is None:
            return
        if act.kind == "press":
            buttons = [b for row in target.inline_keyboard for b in row if "callback_data" in b]
            if buttons:
                data = buttons[act.value % len(buttons)]["callback_data"]
                seen_data.append(data)
                emu.press(who, data, target.message_id)
        else:
            prefix, suffix = act.value
            emu.press(who, f"{prefix}:{suffix}"[:64], target.message_id)


async def run_sequence(template: Path, workdir: Path, steps: list[Act]) -> None:
    path = workdir / "loa.db"
    shutil.copy(template, path)
    url = f"sqlite:///{path}"
    db = Database(url)
    errors = Errors()
    logging.getLogger().addHandler(errors)
    seen_data: list[str] = []
    try:
        async with Emulator(token=TOKEN, bot_username="loa_test_bot") as emu:
            for user_id in PEOPLE:
                emu.add_user(user_id, f"Người {user_id}",
                             language_code="en" if user_id == CITIZEN_EN else "vi")
            emu.add_group(GROUP, "Ấp 1 Tân Thành")
            before = roles(db)
            app = build_application(loa_config(emu.api_url, url), db)
            async with serving(app):
                for act in steps:
                    play(emu, act, seen_data)
                    await settle(emu, app)
                await asyncio.sleep(0.3)  # the dispatcher's last round
                await settle(emu, app)
            check(emu, db, before, errors, steps)
    finally:
        logging.getLogger().removeHandler(errors)
        db.dispose()


def check(emu: Emulator, db: Database, before: dict, errors: Errors, steps: list[Act]) -> None:
    trail = "\n".join(map(repr, steps))
    assert not errors.records, f"{errors.records[0].getMessage()}\n{trail}"
    assert not emu.internal_errors, emu.internal_errors
    for message in emu.outbox:
        assert not any(e in (message.plain or "").lower() for e in INTERNAL_ERROR), \
            f"{message.describe()}\n{trail}"
    # Only the people who wrote hear from Loa, or those the outbox sent something to.
    spoke = {a.who for a in steps} | {GROUP}
    delivered = {d.chat_id for d in db.call(lambda s: s.exec(select(Delivery).where(
        Delivery.status == DeliveryStatus.SENT)).all())}
    for message in emu.outbox:
        assert message.chat_id in spoke | delivered, f"{message.describe()}\n{trail}"
        if message.chat_id == GROUP:
            assert "t.me/loa_test_bot" in (message.plain or "") and \
                "\n" not in message.plain, f"{message.describe()}\n{trail}"
    after = roles(db)
    assert {k: v for k, v in after.items() if k in before} == \
        {k: v for k, v in before.items() if k in after}, trail  # /forget may remove people
    for campaign_id in db.call(lambda s: s.exec(select(Campaign.id)).all()):
        counted = db.call(lambda s, c=campaign_id: s.exec(select(Pledge).where(
            Pledge.campaign_id == c, col(Pledge.status).in_(COUNTED),
            col(Pledge.held).is_(False))).all())
        overall = db.call(lambda s, c=campaign_id: totals(s, c).overall)
        assert overall.pledged == sum(p.amount for p in counted), trail
        assert overall.received == sum(p.received_amount or 0 for p in counted
                                       if p.status == PledgeStatus.RECEIVED), trail


@settings(max_examples=EXAMPLES, deadline=None, derandomize=False,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(steps=STEPS)
def test_random_use_and_abuse_breaks_nothing(template, tmp_path_factory, steps):
    asyncio.run(run_sequence(template, tmp_path_factory.mktemp("run"), steps))
