"""`loa run` as an operator starts it: migrations first, polling, clean stop on SIGTERM,
and a log with levels that never contains the token."""

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time

import httpx

from bot import loop
from tests.conftest import EXAMPLES, ROOT, TOKEN


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_outbox(base: str, since: int, timeout: float = 15.0) -> list[dict]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        answer = httpx.get(f"{base}/_emu/outbox", params={"since": since, "timeout": 1})
        records = answer.json()["result"]
        if records:
            return records
    raise TimeoutError("the bot sent nothing")


def emulator_process(users: list[str]) -> tuple[subprocess.Popen, str]:
    """The emulator in a process of its own, answering; and its address."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    emulator = subprocess.Popen([sys.executable, "-m", "bot.emulator", "--port", str(port),
                                 "--token", TOKEN, *(f"--user={user}" for user in users)],
                                cwd=ROOT)
    for _ in range(100):
        try:
            httpx.get(f"{base}/_emu/stats").raise_for_status()
            break
        except httpx.HTTPError:
            time.sleep(0.05)
    return emulator, base


def test_loa_run_answers_and_stops_cleanly_without_logging_the_token(tmp_path):
    emulator, base = emulator_process(["501:Lan"])
    env = {**os.environ, "LOA_TELEGRAM_TOKEN": TOKEN, "LOA_TELEGRAM_API_URL": base,
           "LOA_DATABASE_URL": f"sqlite:///{tmp_path}/loa.db", "LOA_LOG_LEVEL": "DEBUG"}
    try:
        loa = [sys.executable, "-m", "bot.cli"]
        subprocess.run([*loa, "areas", "import", str(EXAMPLES / "areas-lo-ku.csv")], env=env,
                       cwd=ROOT, check=True, capture_output=True)
        bot = subprocess.Popen([*loa, "run"], env=env, cwd=ROOT, stderr=subprocess.PIPE,
                               text=True)
        httpx.post(f"{base}/_emu/send_text", json={"user_id": 501, "text": "/start"})
        records = wait_outbox(base, 0)
        assert "Hãy chọn ngôn ngữ" in records[0]["plain"]
        bot.send_signal(signal.SIGTERM)
        _out, log = bot.communicate(timeout=30)
    finally:
        emulator.terminate()
        emulator.wait(timeout=10)
    assert bot.returncode == 0, log
    assert "INFO loa: stopped cleanly" in log and "DEBUG" in log
    assert TOKEN not in log and TOKEN.split(":")[1] not in log
    assert "Traceback" not in log


def test_an_update_survives_kill_9_between_arrival_and_handling(tmp_path):
    """Updates stored but not handled when Loa is killed are handled by the next process, at
    once (the dead process's claims come back without waiting for their lease). A second
    `loa run` on the same SQLite file is refused while the first runs."""
    people = list(range(501, 506))
    emulator, base = emulator_process([f"{p}:P{p}" for p in people])
    env = {**os.environ, "LOA_TELEGRAM_TOKEN": TOKEN, "LOA_TELEGRAM_API_URL": base,
           "LOA_DATABASE_URL": f"sqlite:///{tmp_path}/loa.db"}
    loa = [sys.executable, "-m", "bot.cli", "run"]
    bots = []
    try:
        httpx.post(f"{base}/_emu/force_bad_gateway",  # Telegram fails every reply for now
                   json={"times": 1_000_000, "methods": ["sendMessage"]})
        bots.append(subprocess.Popen(loa, env=env, cwd=ROOT, stderr=subprocess.PIPE,
                                     text=True))
        time.sleep(1)
        second = subprocess.run(loa, env=env, cwd=ROOT, capture_output=True, text=True,
                                timeout=30)
        assert second.returncode == 1
        assert f"another Loa process (pid {bots[0].pid}) already runs" in second.stderr
        assert "use PostgreSQL" in second.stderr
        for person in people:
            httpx.post(f"{base}/_emu/send_text", json={"user_id": person, "text": "/help"})
        deadline = time.monotonic() + 20
        while httpx.get(f"{base}/_emu/stats").json()["result"]["bad_gateways"] < len(people):
            assert time.monotonic() < deadline, "Loa never tried to answer"
            time.sleep(0.05)
        bots[0].kill()  # kill -9: every update is stored, none handled
        bots[0].wait(timeout=10)
        httpx.post(f"{base}/_emu/force_bad_gateway", json={"times": 0})
        started = time.monotonic()
        bots.append(subprocess.Popen(loa, env=env, cwd=ROOT, stderr=subprocess.PIPE,
                                     text=True))
        answered: dict[int, int] = {}
        while len(answered) < len(people) and time.monotonic() - started < 20:
            for record in httpx.get(f"{base}/_emu/outbox",
                                    params={"since": 0, "timeout": 1}).json()["result"]:
                answered[record["chat_id"]] = answered.get(record["chat_id"], 0) + 1
        waited = time.monotonic() - started
        time.sleep(1)
        outbox = httpx.get(f"{base}/_emu/outbox", params={"since": 0}).json()["result"]
    finally:
        for bot in bots:
            bot.kill()
        emulator.terminate()
        emulator.wait(timeout=10)
    replies = [r["chat_id"] for r in outbox if r["method"] == "sendMessage"]
    assert sorted(replies) == people, replies  # each answered, once
    assert waited < 15, f"the restarted Loa took {waited:.1f} s"


def test_loa_runs_on_uvloop():
    """`loa run`, the public page and the emulator run on uvloop (bot/loop.py)."""
    async def running() -> str:
        return type(asyncio.get_running_loop()).__module__
    assert loop.run(running()).startswith("uvloop")
