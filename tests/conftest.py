"""Shared fixtures: a migrated database on SQLite and, when one is configured, PostgreSQL.

PostgreSQL tests run when LOA_TEST_DATABASE_URL is set (CI sets it to the local server); each
test gets an empty `public` schema, so tests never see each other's rows. Under pytest-xdist each
worker has a database of its own beside the named one (test_gw0, test_gw1...), made on first use.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import make_url

from bot.app import build_application, serving
from bot.config import Config, load_config
from bot.context import Services
from bot.db import Database, fresh_postgres
from bot.emulator import Emulator, SentMessage
from bot.migrate import upgrade
from models.areas import import_areas, parse_csv

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
PG_URL = os.environ.get("LOA_TEST_DATABASE_URL")

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@functools.cache
def worker_database(url: str) -> str:
    """This xdist worker's own database (the URL itself without xdist)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return url
    base = make_url(url)
    return base.set(database=f"{base.database}_{worker}").render_as_string(hide_password=False)


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'loa.db'}"
    if not PG_URL:
        pytest.skip("PostgreSQL: set LOA_TEST_DATABASE_URL (e.g. "
                    "postgresql+psycopg://postgres@127.0.0.1:5432/test) to run these")
    url = worker_database(PG_URL)
    fresh_postgres(url)
    return url


@pytest.fixture
def db(db_url: str):
    upgrade(db_url)
    database = Database(db_url)
    yield database
    database.dispose()


def load_examples(database: Database) -> None:
    for name in ("areas-thu-thua.csv", "areas-lo-ku.csv"):
        text_ = (EXAMPLES / name).read_text(encoding="utf-8")
        database.call(lambda s, t=text_: import_areas(s, parse_csv(t)))


@pytest.fixture
def areas_db(db: Database) -> Database:
    load_examples(db)
    return db


# ---- end to end: the real Application over real HTTP against the emulator ---------------------

TOKEN = "123456:LOA-TEST-TOKEN-never-logged"
ADMIN = 9000


@dataclass
class Loa:
    """A running Loa and the emulator that plays its users."""

    emu: Emulator
    db: Database
    config: Config
    services: Services

    def user(self, user_id: int, name: str = "Lan", lang: str = "vi") -> int:
        self.emu.add_user(user_id, name, language_code=lang)
        return user_id

    async def send(self, user_id: int, text: str) -> SentMessage:
        """Type a message; the bot's next message (or edit) to that person."""
        self.emu.send_text(user_id, text)
        return await self.emu.next_message(user_id)

    async def tap(self, user_id: int, label: str) -> SentMessage:
        """Press an inline button of the latest message with one; what the bot shows next."""
        self.emu.press_button(user_id, label)
        return await self.emu.next_message(user_id)

    async def next(self, user_id: int) -> SentMessage:
        return await self.emu.next_message(user_id)

    async def quiet(self, user_id: int, seconds: float = 0.3) -> None:
        """Assert that the bot sends that person nothing more."""
        with pytest.raises(TimeoutError):
            await self.emu.next_message(user_id, timeout=seconds)

    async def onboard(self, user_id: int, name: str = "Lan", lang: str = "vi",
                      area: str = "Ấp 1, Tân Thành, Thủ Thừa") -> None:
        """Walk a new person through /start: language, consent, area by search, skip phone."""
        self.user(user_id, name, lang)
        await self.send(user_id, "/start")
        await self.tap(user_id, {"vi": "Tiếng Việt", "en": "English"}[lang])
        await self.tap(user_id, {"vi": "Tôi đồng ý", "en": "I agree"}[lang])
        await self.send(user_id, area.split(",")[0])
        await self.tap(user_id, area)
        await self.next(user_id)  # the phone question
        self.emu.tap(user_id, {"vi": "Bỏ qua", "en": "Skip"}[lang])
        await self.next(user_id)


def loa_config(api_url: str, db_url: str, path: Path = ROOT / "config.toml", **env: str
               ) -> Config:
    """Loa as deployed, but paced for tests (the rate tests set LOA_RATE themselves)."""
    return load_config(path, env={"LOA_RATE": "500", "LOA_CHAT_RATE": "1000",
        "LOA_TELEGRAM_TOKEN": TOKEN, "LOA_TELEGRAM_API_URL": api_url,
        "LOA_DATABASE_URL": db_url, "LOA_ADMINS": str(ADMIN), "LOA_FUND_BANK_BIN": "970436",
        "LOA_FUND_ACCOUNT": "1031933430", "LOA_FUND_ACCOUNT_NAME": "QUY VI NGUOI NGHEO", **env})


@pytest.fixture
async def loa(areas_db: Database, db_url: str):
    async with Emulator(token=TOKEN, bot_username="loa_test_bot") as emu:
        config = loa_config(emu.api_url, db_url)
        app = build_application(config, areas_db)
        async with serving(app):
            yield Loa(emu, areas_db, config, app.bot_data["services"])
