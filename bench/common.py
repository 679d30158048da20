"""What the benchmarks share: an emulator in its own process, a seeded database, a broadcast,
and reading back what the emulator recorded. Run from the repository root."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import insert

from bot.db import Database
from bot.migrate import upgrade
from models.areas import by_code, import_areas, parse_csv
from models.broadcasts import BroadcastDraft, create_broadcast, schedule
from models.users import User, actor_for

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "123456:BENCH"
ADMIN = 1
FIRST = 100_000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class EmulatorProcess:
    """The Bot API emulator on its own core, as Telegram is on its own servers."""

    def __init__(self, users: int, rate_limit: float | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        args = [sys.executable, "-m", "bot.emulator", "--port", str(self.port), "--token", TOKEN,
                "--users", f"{FIRST}-{FIRST + users - 1}", "--user", f"{ADMIN}:Admin"]
        if rate_limit:
            args += ["--rate-limit", str(rate_limit)]
        self.process = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.DEVNULL)
        for _ in range(600):
            try:
                httpx.get(f"{self.url}/_emu/stats", timeout=1).raise_for_status()
                return
            except httpx.HTTPError:
                time.sleep(0.05)
        raise RuntimeError("the emulator did not start")

    def stats(self) -> dict:
        return httpx.get(f"{self.url}/_emu/stats").json()["result"]

    def records(self, since: int = 0) -> list[dict]:
        return httpx.get(f"{self.url}/_emu/outbox", params={"since": since},
                         timeout=60).json()["result"]

    def send_text(self, user_id: int, text: str) -> None:
        httpx.post(f"{self.url}/_emu/send_text", json={"user_id": user_id, "text": text})

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def seed(url: str, users: int) -> Database:
    """A migrated database with the example areas, an admin and `users` onboarded citizens."""
    upgrade(url)
    db = Database(url)
    text = (ROOT / "examples" / "areas-thu-thua.csv").read_text(encoding="utf-8")
    db.call(lambda s: import_areas(s, parse_csv(text)))
    now = datetime.now(UTC)

    def people(s):
        area = by_code(s, "28042-A1").id
        s.add(User(id=ADMIN, name="Admin", language="vi", consent_at=now, area_id=area))
        s.execute(insert(User), [dict(id=FIRST + i, name=f"Dân {i}", language="vi",
                                      role="citizen", area_id=area, consent_at=now,
                                      created_at=now) for i in range(users)])
    db.call(people)
    return db


def start_broadcast(db: Database, text: str = "<b>Họp dân</b> lúc 19 giờ tối nay",
                    paid: bool = False) -> int:
    def make(s):
        admin = actor_for(s, s.get(User, ADMIN), frozenset({ADMIN}))
        b = create_broadcast(s, admin, BroadcastDraft(by_code(s, "804").id, ["citizen"], text),
                             paid=paid)
        schedule(s, admin, b.id, datetime.now(UTC) - timedelta(seconds=1))
        return b.id
    return db.call(make)


def per_recipient(records: list[dict]) -> Counter:
    return Counter(r["chat_id"] for r in records
                   if r["method"] == "sendMessage" and not r["version"] and r["chat_id"] >= FIRST)


def rate_of(records: list[dict]) -> float:
    times = sorted(r["at"] for r in records if r["chat_id"] >= FIRST and not r["version"])
    return (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 else 0.0
