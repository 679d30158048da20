"""What the benchmarks share: an emulator in its own process, a seeded database, a broadcast,
and reading back what the emulator recorded. Run from the repository root."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import insert

from bot.db import Database
from bot.migrate import upgrade
from models.areas import by_code, import_areas, parse_csv
from models.broadcasts import BroadcastDraft, create_broadcast, schedule
from models.campaigns import CampaignDraft, create_campaign
from models.users import User, actor_for

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "123456:BENCH"
ADMIN = 1
FIRST = 100_000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def postgres_cpu_seconds() -> float:
    """CPU time the PostgreSQL server's processes have used so far (those alive now)."""
    total = 0.0
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and (proc / "comm").read_text().strip() == "postgres":
                total += cpu_seconds(int(proc.name))
        except OSError:  # it ended meanwhile
            continue
    return total


CGROUP = Path("/sys/fs/cgroup/cpu")  # cgroup v1's CPU controller, as on our machines


def cap_cpu(pid: int, share: float) -> None:
    """At most `share` of one core for this process (Linux's CFS quota; needs root and
    cgroup v1's cpu controller): so a worker's budget does not depend on what else runs."""
    if not (CGROUP / "cgroup.procs").exists():
        raise SystemExit(f"--worker-cpu needs cgroup v1's cpu controller at {CGROUP}")
    group = CGROUP / f"loa-bench-{pid}"
    group.mkdir(exist_ok=True)
    period = int((group / "cpu.cfs_period_us").read_text())
    (group / "cpu.cfs_quota_us").write_text(str(int(period * share)))
    (group / "cgroup.procs").write_text(str(pid))


def machine_busy() -> tuple[float, float]:
    """(CPU seconds busy, CPU seconds in all) of the whole machine so far, every core."""
    ticks = [int(n) for n in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = ticks[3] + ticks[4]  # idle and iowait
    return (sum(ticks) - idle) / os.sysconf("SC_CLK_TCK"), sum(ticks) / os.sysconf("SC_CLK_TCK")


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


def seed_campaign(url: str) -> Database:
    """A migrated database with the example areas, the admin and a campaign under way in the
    district, and nobody else: people onboard themselves through the bot."""
    upgrade(url)
    db = Database(url)
    csv = (ROOT / "examples" / "areas-thu-thua.csv").read_text(encoding="utf-8")
    db.call(lambda s: import_areas(s, parse_csv(csv)))

    def make(s):
        s.add(User(id=ADMIN, name="Admin", language="vi", consent_at=datetime.now(UTC),
                   area_id=by_code(s, "28042-A1").id))
        s.flush()
        admin = actor_for(s, s.get(User, ADMIN), frozenset({ADMIN}))
        today = date.today()
        create_campaign(s, admin, CampaignDraft(
            name="Vì người nghèo", description="Kính gửi bà con: chung tay vì người nghèo.",
            starts_on=today - timedelta(days=3), ends_on=today + timedelta(days=29),
            area_id=by_code(s, "804").id, money_target=500_000_000,
            targets=[("Nhà Đại đoàn kết", 7)]))
    db.call(make)
    return db


class Workers:
    """`loa run --webhook` processes sharing one port (SO_REUSEPORT), as an operator runs them;
    Telegram's send pace lifted to the most Loa takes (1000/s): Loa's own cost is measured."""

    def __init__(self, emu: EmulatorProcess, db_url: str, max_connections: int = 100):
        self.emu, self.port = emu, free_port()
        self.env = {**os.environ, "LOA_TELEGRAM_TOKEN": TOKEN, "LOA_TELEGRAM_API_URL": emu.url,
                    "LOA_DATABASE_URL": db_url, "LOA_ADMINS": str(ADMIN),
                    "LOA_WEBHOOK_URL": f"http://127.0.0.1:{self.port}/telegram",
                    "LOA_WEBHOOK_LISTEN": f"127.0.0.1:{self.port}",
                    "LOA_WEBHOOK_SECRET": "bench-secret",
                    "LOA_WEBHOOK_MAX_CONNECTIONS": str(max_connections),
                    "LOA_RATE": "1000", "LOA_CHAT_RATE": "1000", "LOA_CHAT_BURST": "1000",
                    "LOA_FUND_BANK_BIN": "970436", "LOA_FUND_ACCOUNT": "1031933430",
                    "LOA_FUND_ACCOUNT_NAME": "QUY VI NGUOI NGHEO", "LOA_LOG_LEVEL": "ERROR"}
        self.processes: list[subprocess.Popen] = []

    def start(self, prefix: tuple[str, ...] = (), cpu: float | None = None) -> subprocess.Popen:
        """One more worker (`prefix`: a profiler to run it under; `cpu`: the share of one
        core it may use at most)."""
        process = subprocess.Popen([*prefix, sys.executable, "-m", "bot.cli", "run", "--webhook"],
                                   cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL)
        self.processes.append(process)
        if cpu is not None:
            cap_cpu(process.pid, cpu)
        return process

    def wait_ready(self, seconds: float = 3.0) -> None:
        """Until the webhook is set, then a moment for the others (one setWebhook a second)."""
        for _ in range(600):
            info = httpx.post(f"{self.emu.url}/_emu/webhook_info").json()["result"]
            if info["url"]:
                break
            time.sleep(0.05)
        else:
            raise RuntimeError("no worker set the webhook")
        time.sleep(seconds)

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            process.wait(timeout=30)
            with contextlib.suppress(OSError):  # its CPU cap, if it had one
                (CGROUP / f"loa-bench-{process.pid}").rmdir()
        self.processes = []


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
