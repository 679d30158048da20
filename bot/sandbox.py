"""`loa sandbox`: try Loa in a terminal, with no token and no network.

One process runs the Bot API emulator and the real bot against it, on a throwaway SQLite
database holding the example areas. You chat as one of several personas: what you type goes to
the bot, its answers are printed with numbered buttons, and `:as NAME` switches persona.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import shutil
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TextIO

from sqlmodel import Session

from bot.app import build_application, serving
from bot.config import ROOT, Config, Fund
from bot.db import Database
from bot.emulator import Emulator, SentMessage
from bot.http import HttpServer
from bot.logs import setup_logging
from bot.migrate import upgrade
from models.areas import by_code, import_areas, parse_csv
from models.broadcasts import SEND as MEDIA
from models.campaigns import CampaignDraft, create_campaign
from models.chats import record_membership
from models.households import import_households, parse_households_csv
from models.users import Role, actor_for, get_user, grant, update_user
from web.server import PublicSite

TOKEN = "100000:SANDBOX"
DEMO_FUND = Fund("970436", "0011001234567", "MTTQ HUYEN THU THUA (SANDBOX)")
EXAMPLES = ("areas-thu-thua.csv", "areas-lo-ku.csv")
QUIET = 0.4  # seconds without a new bot message before the prompt comes back
PATIENCE = 5.0


@dataclass(frozen=True)
class Persona:
    id: int
    name: str
    language: str
    about: str
    role: Role | None = None
    area: str | None = None


PERSONAS = {
    "citizen": Persona(100001, "Lan", "vi", "a citizen (Vietnamese phone)"),
    "benefactor": Persona(100002, "Alex", "en", "a benefactor from outside the area (English)"),
    "head": Persona(100003, "Hùng", "vi", "village head of Ấp 1, Tân Thành",
                    Role.VILLAGE_HEAD, "28042-A1"),
    "officer": Persona(100004, "Tím", "vi", "officer of Thủ Thừa district", Role.OFFICER, "804"),
    "admin": Persona(100005, "Quản trị", "vi", "the administrator (LOA_ADMINS)", Role.ADMIN),
}

#: A village's Telegram group Loa is in, linked to Ấp 1: the officer's broadcasts can reach it.
VILLAGE_GROUP, VILLAGE_TITLE = -1001000001, "Bà con Ấp 1 Tân Thành"

HELP = """Type to talk to Loa as the current persona. Commands:
  :N            press button N of the last message (or of the keyboard below it)
  :as NAME      switch persona: {names}
  :contact      share this persona's phone number
  :file PATH    send a document
  :voice PATH   send a recording as a voice message (to broadcast it, say)
  :who          list the personas
  :quit         leave (also Ctrl-D)
Start with /start."""


def prepare(folder: Path) -> Database:
    """A fresh database with the example areas and households, and the personas' roles."""
    url = f"sqlite:///{folder / 'sandbox.db'}"
    upgrade(url)
    db = Database(url)
    for name in EXAMPLES:
        text = (ROOT / "examples" / name).read_text(encoding="utf-8")
        db.call(lambda s, t=text: import_areas(s, parse_csv(t)))
    households = (ROOT / "examples" / "households-thu-thua.csv").read_text(encoding="utf-8")
    db.call(lambda s: import_households(s, parse_households_csv(households)))
    for persona in PERSONAS.values():
        if persona.role in (Role.VILLAGE_HEAD, Role.OFFICER):
            db.call(grant, persona.id, persona.role, persona.area)
            db.call(_agreed, persona.id, persona.language)
    db.call(_campaign, PERSONAS["officer"].id)
    db.call(_village_group)
    return db


def _village_group(session: Session) -> None:
    chat = record_membership(session, VILLAGE_GROUP, "supergroup", VILLAGE_TITLE, "member",
                             datetime.now(UTC))
    chat.area_id, chat.language = by_code(session, "28042-A1").id, "vi"
    session.add(chat)


def _agreed(session: Session, user_id: int, language: str) -> None:
    """The village head and the officer have set up Loa already (the sandbox skips it)."""
    update_user(session, get_user(session, user_id), consent_at=datetime.now(UTC),
                language=language, area_id=get_user(session, user_id).scope_area_id)


def _campaign(session: Session, officer_id: int) -> None:
    """The 2023 peak month, shifted to today, so there is something to pledge to at once."""
    today = date.today()
    officer = actor_for(session, get_user(session, officer_id), frozenset())
    create_campaign(session, officer, CampaignDraft(
        name="Tháng cao điểm “Vì người nghèo”", area_id=by_code(session, "804").id,
        description="Ban Thường trực Ủy ban MTTQ Việt Nam huyện Thủ Thừa kêu gọi các cơ quan, "
                    "doanh nghiệp, mạnh thường quân và bà con chung tay ủng hộ Quỹ “Vì người "
                    "nghèo”: mỗi cán bộ, công chức ít nhất một ngày lương.",
        starts_on=today - timedelta(days=3), ends_on=today + timedelta(days=29),
        money_target=500_000_000, targets=[("Nhà Đại đoàn kết", 7)]))


class Terminal:
    """The person at the keyboard: renders what the bot sends and turns input into updates."""

    def __init__(self, emu: Emulator, out: TextIO):
        self.emu = emu
        self.out = out
        self.persona = PERSONAS["citizen"]
        self.seen = 0
        self.pending: set[int] = set()  # other personas told they have news
        self.shown: set[int] = set()  # outbox records printed, so none is printed twice
        self.inline: SentMessage | None = None  # the message whose buttons :N presses
        self.busy = False  # settle() is waiting for the answer to what was typed
        self.interactive = False  # a person at a terminal: re-show the prompt after news

    def say(self, text: str = "") -> None:
        print(text, file=self.out, flush=True)

    def show_new(self) -> bool:
        """Print what arrived since last time, each message once; for another persona, one
        notice until you switch to them. True when anything was printed."""
        printed = False
        for rec in self.emu.outbox[self.seen:]:
            if rec.chat_id == VILLAGE_GROUP:  # everyone in the village group sees it
                self.say(f"── Loa → group “{VILLAGE_TITLE}” " + "─" * 20)
                self.say(rec.plain if rec.plain is not None else f"[{rec.method}]")
                printed = True
            elif rec.chat_id == self.persona.id:
                self._render(rec)
                printed = True
            elif rec.chat_id not in self.pending:
                self.pending.add(rec.chat_id)
                name = next((k for k, p in PERSONAS.items() if p.id == rec.chat_id),
                            rec.chat_id)
                self.say(f"   (new messages for {name}: `:as {name}` to read)")
                printed = True
        self.seen = len(self.emu.outbox)
        return printed

    async def watch(self, prompt: Callable[[], str]) -> None:
        """Messages nobody asked for (reminders, broadcast copies, notices) appear as they
        arrive, between your lines; a reply to what you typed is printed by settle()."""
        while True:
            with contextlib.suppress(TimeoutError):
                await self.emu.wait_until(lambda: len(self.emu.outbox) > self.seen, 3600)
            await asyncio.sleep(QUIET)  # let a burst finish, then print it as one
            if not self.busy and self.show_new() and self.interactive:
                print(prompt(), end="", file=self.out, flush=True)

    def _render(self, rec: SentMessage) -> None:
        self.shown.add(rec.seq)
        who = f"{self.persona.name} ({self.key()})"
        self.say(f"── Loa → {who}{' (edited)' if rec.is_edit else ''} " + "─" * 20)
        self.say(rec.plain if rec.plain is not None else f"[{rec.method}]")
        if rec.document:
            self.say(f"   [document: {rec.content.get('document', {}).get('file_name', '')}]")
        elif rec.kind in MEDIA:  # a voice message, a video... of a broadcast, as sent
            album = " in an album" if rec.media_group_id else ""
            self.say(f"   [{rec.kind.replace('_', ' ')}{album}]")
        self.inline = rec if rec.inline_keyboard else None
        inline, keyboard = self._inline_labels(), self._keyboard_labels()
        if inline:
            self.say("   " + "   ".join(f"[{i}] {label}" for i, label in enumerate(inline, 1)))
        if keyboard and rec.keyboard():  # the buttons under the typing field, when they change
            self.say("   ⌨ " + "   ".join(f"[{i}] {label}" for i, label in
                                         enumerate(keyboard, len(inline) + 1)))

    def key(self) -> str:
        return next(k for k, p in PERSONAS.items() if p is self.persona)

    def _inline_labels(self) -> list[str]:
        return [b for row in self.inline.buttons() for b in row] if self.inline else []

    def _keyboard_labels(self) -> list[str]:
        return [b for row in self.emu.reply_keyboard(self.persona.id) or [] for b in row]

    def act(self, line: str) -> str:
        """Do what the line says: "sent" (the bot will answer), "local" or "quit"."""
        line = line.strip()
        if not line.startswith(":"):
            if line:
                self.emu.send_text(self.persona.id, line)
            return "sent" if line else "local"
        command, _, arg = line[1:].partition(" ")
        arg = arg.strip()
        if command in ("q", "quit", "exit"):
            return "quit"
        if command.isdigit():
            return self._press(int(command))
        if command == "contact":
            self.emu.send_contact(self.persona.id, self._phone())
            return "sent"
        if command in ("file", "voice") and Path(arg).expanduser().is_file():
            path = Path(arg).expanduser()
            if command == "voice":
                self.emu.send_voice(self.persona.id, path.read_bytes())
            else:
                self.emu.send_document(self.persona.id, path.name, path.read_bytes())
            return "sent"
        if command == "as" and arg in PERSONAS:
            self.switch(PERSONAS[arg])
        elif command == "who":
            self.who()
        elif command in ("file", "voice"):
            self.say(f"no such file: {arg}")
        else:
            self.say(HELP.format(names=", ".join(PERSONAS)))
        return "local"

    def switch(self, persona: Persona) -> None:
        """Become another persona and read what came for them while away (each once)."""
        self.persona = persona
        self.say(f"You are now {persona.name}, {persona.about}.")
        self.pending.discard(persona.id)
        self.inline = None
        unread = [rec for rec in self.emu.outbox[:self.seen]
                  if rec.chat_id == persona.id and rec.seq not in self.shown]
        for rec in unread:
            self._render(rec)
        if not unread:
            self.say("   (no new messages)")

    def _phone(self) -> str:
        return f"+8490{self.persona.id % 10000000:07d}"

    def _press(self, number: int) -> str:
        inline, keyboard = self._inline_labels(), self._keyboard_labels()
        if 1 <= number <= len(inline):
            self.emu.press_button(self.persona.id, number - 1, self.inline.message_id)
        elif 1 <= number - len(inline) <= len(keyboard):
            self.emu.tap(self.persona.id, keyboard[number - len(inline) - 1],
                         phone_number=self._phone())
        else:
            self.say(f"there is no button {number}")
            return "local"
        return "sent"

    def who(self) -> None:
        for key, p in PERSONAS.items():
            mark = "*" if p is self.persona else " "
            self.say(f" {mark} {key:<11} {p.name:<9} {p.about}")

    async def settle(self) -> None:
        """Wait until the bot has answered and gone quiet, then print what it sent."""
        self.busy = True
        try:
            start = len(self.emu.outbox)
            with contextlib.suppress(TimeoutError):
                await self.emu.wait_until(lambda: len(self.emu.outbox) > start, PATIENCE)
            while True:
                count = len(self.emu.outbox)
                await asyncio.sleep(QUIET)
                if len(self.emu.outbox) == count:
                    break
            self.show_new()
        finally:
            self.busy = False


async def chat(config: Config, db: Database, stdin: TextIO, out: TextIO) -> None:
    async with Emulator(token=TOKEN, bot_username="loa_sandbox_bot") as emu:
        for persona in PERSONAS.values():
            emu.add_user(persona.id, persona.name, language_code=persona.language)
        emu.add_group(VILLAGE_GROUP, VILLAGE_TITLE)
        config = dataclasses.replace(
            config, token=TOKEN, api_url=emu.api_url, database_url=db.url,
            admins=frozenset({PERSONAS["admin"].id}), fund=config.fund or DEMO_FUND,
            chat_rate=1000, web_listen=None)  # one person at a terminal: no chat pace to keep
        site = HttpServer(db, site=PublicSite(config, db))
        address = (await site.start([("127.0.0.1", 0)]))[0]  # a free local port
        config = dataclasses.replace(config, web_public_url=address)
        async with serving(build_application(config, db)):
            term = Terminal(emu, out)
            term.interactive = stdin.isatty()
            term.say("Loa sandbox: the bot runs against a local Bot API emulator.")
            term.say(f"The public page (công khai) is served at {address}/")
            term.say(HELP.format(names=", ".join(PERSONAS)))
            term.who()
            watcher = asyncio.create_task(term.watch(lambda: f"{term.key()}> "))
            try:
                while True:
                    prompt = f"{term.key()}> "
                    line = await asyncio.to_thread(_read, stdin, prompt)
                    if line is None:
                        break
                    if not term.interactive:  # a script: echo it, so it reads as a chat
                        term.say(prompt + line.rstrip("\n"))
                    done = term.act(line)
                    if done == "quit":
                        break
                    if done == "sent":
                        await term.settle()
            finally:
                watcher.cancel()
                await site.stop()
            term.say("bye")


def _read(stdin: TextIO, prompt: str) -> str | None:
    if stdin.isatty():
        try:
            return input(prompt)
        except EOFError:
            return None
    line = stdin.readline()
    return line if line else None


def run_sandbox(config: Config, keep: bool = False, stdin: TextIO = sys.stdin,
                out: TextIO = sys.stdout) -> None:
    folder = Path(tempfile.mkdtemp(prefix="loa-sandbox-"))
    setup_logging("INFO", TOKEN, stream=(folder / "loa.log").open("a", encoding="utf-8"))
    logging.getLogger(__name__).info("sandbox in %s", folder)
    db = prepare(folder)
    try:
        asyncio.run(chat(config, db, stdin, out))
    finally:
        db.dispose()
        if keep:
            print(f"database and log kept in {folder}", file=out)
        else:
            shutil.rmtree(folder, ignore_errors=True)
