"""Configuration: config.toml, each key overridable by an environment variable.

Errors are ConfigError with one line that names the key, so the CLI can print it and exit
without a traceback. The token is only ever read from the environment.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bot.i18n import LANGUAGE_CODE, LOCALES_DIR, catalog_path, use_catalogs
from models.areas import fold
from models.pledges import PledgeRules
from models.schedule import QuietHours

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_FILE = ROOT / "config.toml"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


class ConfigError(Exception):
    """A configuration problem, worded for the person running Loa."""


@dataclass(frozen=True)
class Fund:
    """The bank account pledges are paid into (for the VietQR code on receipts)."""

    bank_bin: str
    account: str
    account_name: str
    bank_name: str = ""  # shown beside the account; else the name the BIN stands for


@dataclass(frozen=True)
class Config:
    token: str | None
    api_url: str
    database_url: str
    admins: frozenset[int]
    invite_ttl: timedelta
    timezone: ZoneInfo
    languages: tuple[str, ...]
    #: The deployment's own catalogs (CODE/LC_MESSAGES/loa.po), read before the shipped ones.
    catalogs: Path | None
    log_level: str
    log_json: bool
    working_days: int = 22
    max_amount: int = 10_000_000_000
    review_above: int = 100_000_000
    open_pledges: int = 10
    honour_registered: bool = False
    fund: Fund | None = None
    rate: float = 25.0
    paid_broadcasts: bool = False
    paid_rate: float = 1000.0
    chat_rate: float = 1.0
    chat_burst: int = 3
    #: Messages a minute to one group or channel (Telegram allows 20), shared by all workers.
    group_rate: float = 19.0
    max_pending: int = 20
    #: Handled updates are kept this long (they hold people's messages), then pruned.
    keep_updates: timedelta = timedelta(hours=24)
    #: Webhook mode: Telegram posts updates to this public URL (its path is Loa's route).
    webhook_url: str | None = None
    webhook_listen: tuple[str, int] = ("127.0.0.1", 8443)
    webhook_max_connections: int = 40
    webhook_secret: str | None = None  # from the environment only
    quiet_hours: str = "21:00-07:00"
    reminder_grace: timedelta = timedelta(hours=12)
    pledge_reminder_days: int = 3
    #: Support of one kind to one household within this many days is asked about twice.
    duplicate_days: int = 365
    #: The first line of every broadcast: who speaks, from the officer's area.
    broadcast_sender: str = "📢 Ủy ban MTTQ {level} {area}"
    #: The largest file a broadcast or a campaign letter may carry, in bytes: every recipient
    #: downloads it, often on mobile data (re-sending by file id has no limit of its own).
    broadcast_max_file: int = 50 * 1024 * 1024
    #: Village-level areas beyond models.areas.HEAD_TITLES: folded level → {language: title}.
    head_titles: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    #: The public page: where it listens (host, port; None = no web server), the address used
    #: in links (None = no links), and how often a campaign's figures are read again.
    web_listen: tuple[str, int] | None = None
    web_public_url: str | None = None
    web_refresh: int = 30
    #: Thumbnails of finished houses' photos, fetched once from Telegram: their folder (None:
    #: beside the SQLite database, else a temporary folder) and its size cap in bytes.
    web_photos_dir: Path | None = None
    web_photos_max: int = 100 * 1024 * 1024
    #: Show households helped as commune notice boards do: initials and village, never names.
    web_show_households: bool = False
    source: Path | None = None

    @property
    def send_rate(self) -> float:
        """Messages a second for the whole bot: Telegram's ~30/s, or the paid broadcast rate."""
        return self.paid_rate if self.paid_broadcasts else self.rate

    @property
    def group_interval(self) -> float:
        """Seconds between two messages to one group or channel."""
        return 60.0 / self.group_rate

    @property
    def pledge_rules(self) -> PledgeRules:
        return PledgeRules(review_above=self.review_above, open_per_campaign=self.open_pledges)

    @property
    def default_language(self) -> str:
        return self.languages[0]

    def require_token(self) -> str:
        if not self.token:
            raise ConfigError(
                "LOA_TELEGRAM_TOKEN is not set: export the bot token from @BotFather "
                "(or try `loa sandbox`, which needs none)"
            )
        return self.token

    def __repr__(self) -> str:  # never show the token, even in a debugger or a log line
        return f"Config(api_url={self.api_url!r}, database_url={self.database_url!r}, ...)"


def _text(key: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{key}: expected a non-empty text, got {value!r}")
    return value.strip()


def _list(key: str, value: Any) -> list[str]:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, list):
        return [str(part).strip() for part in value]
    raise ConfigError(f"{key}: expected a list, got {value!r}")


def _admins(key: str, value: Any) -> frozenset[int]:
    try:
        return frozenset(int(part) for part in _list(key, value))
    except ValueError:
        raise ConfigError(
            f"{key}: expected Telegram user ids (numbers), e.g. 12345678,87654321; got {value!r}"
        ) from None


def _api_url(key: str, value: Any) -> str:
    url = _text(key, value).rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{key}: not an http(s) URL: {url!r} (e.g. http://127.0.0.1:8081)")
    return url


def _hours(key: str, value: Any) -> timedelta:
    try:
        hours = float(value)
    except (TypeError, ValueError):
        hours = 0
    if hours <= 0:
        raise ConfigError(f"{key}: expected a positive number of hours, got {value!r}")
    return timedelta(hours=hours)


def _positive_int(key: str, value: Any) -> int:
    try:
        number = int(str(value).replace("_", ""))
    except ValueError:
        number = 0
    if number <= 0:
        raise ConfigError(f"{key}: expected a positive whole number, got {value!r}")
    return number


def _per_minute(key: str, value: Any) -> float:
    try:
        rate = float(value)
    except (TypeError, ValueError):
        rate = 0
    if not 0 < rate <= 60_000:
        raise ConfigError(f"{key}: expected messages a minute, more than 0, got {value!r}")
    return rate


def _rate(key: str, value: Any) -> float:
    try:
        rate = float(value)
    except (TypeError, ValueError):
        rate = 0
    if not 0 < rate <= 1000:
        raise ConfigError(f"{key}: expected messages a second between 0 and 1000, got {value!r}")
    return rate


def _flag(key: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off", ""):
        return False
    raise ConfigError(f"{key}: expected true or false, got {value!r}")


def _quiet(key: str, value: Any) -> str:
    try:
        QuietHours.parse(str(value))
    except ValueError:
        raise ConfigError(f"{key}: expected HH:MM-HH:MM (e.g. 21:00-07:00) or empty, "
                          f"got {value!r}") from None
    return str(value).strip()


def _digits(key: str, value: Any) -> str:
    text = str(value).strip()
    if text and not text.isdigit():
        raise ConfigError(f"{key}: expected digits only, got {value!r}")
    return text


def _optional_text(key: str, value: Any) -> str:
    return str(value).strip()


def _sender(key: str, value: Any) -> str:
    text = _text(key, value)
    try:
        text.format(level="huyện", area="Thủ Thừa")
    except (KeyError, IndexError, ValueError):
        raise ConfigError(f"{key}: only {{level}} and {{area}} may stand in braces, got "
                          f"{value!r}") from None
    if len(text) > 200:
        raise ConfigError(f"{key}: at most 200 characters, got {len(text)}")
    return text


def _listen(key: str, value: Any) -> tuple[str, int] | None:
    text = str(value).strip()
    if not text:
        return None
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ConfigError(f"{key}: expected host:port (e.g. 127.0.0.1:8080), got {value!r}")
    return host.strip("[]"), int(port)


def _connections(key: str, value: Any) -> int:
    number = _positive_int(key, value)
    if number > 100:
        raise ConfigError(f"{key}: Telegram allows 1 to 100 connections, got {value!r}")
    return number


def _secret(value: str | None) -> str | None:
    """Telegram's rule for secret_token: 1-256 characters of A-Z, a-z, 0-9, _ and -."""
    if not value:
        return None
    if len(value) > 256 or not all(c.isascii() and (c.isalnum() or c in "_-") for c in value):
        raise ConfigError("LOA_WEBHOOK_SECRET: 1 to 256 characters of A-Z, a-z, 0-9, _ and -, "
                          "e.g. the output of: python -c 'import secrets; "
                          "print(secrets.token_urlsafe(32))'")
    return value


def _webhook_url(key: str, value: Any) -> str | None:
    """Kept exactly as given (a trailing slash included): Telegram posts to this very URL."""
    if not str(value).strip():
        return None
    _api_url(key, value)
    return str(value).strip()


def _public_url(key: str, value: Any) -> str | None:
    return _api_url(key, value) if str(value).strip() else None


def _timezone(key: str, value: Any) -> ZoneInfo:
    try:
        return ZoneInfo(_text(key, value))
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"{key}: unknown timezone {value!r} (e.g. Asia/Ho_Chi_Minh)") from None


def _languages(key: str, value: Any) -> tuple[str, ...]:
    languages = tuple(_list(key, value))
    if not languages:
        raise ConfigError(f"{key}: list at least one language, e.g. vi,en")
    for lang in languages:
        if not LANGUAGE_CODE.fullmatch(lang):
            raise ConfigError(f"{key}: {lang!r} is not a language code: 2 or 3 lowercase "
                              f"letters (ISO 639), e.g. vi,en,bdq")
    return languages


def _catalogs(keys: tuple[str, str], folder: Path | None, languages: tuple[str, ...]) -> None:
    """Every language offered has a catalog: else its buttons would lead nowhere."""
    folder_key, key = keys
    if folder is not None and not folder.is_dir():
        raise ConfigError(f"{folder_key}: no such folder: {folder}")
    folders = (folder, LOCALES_DIR) if folder else (LOCALES_DIR,)
    for lang in languages:
        if catalog_path(lang, folders) is None:
            raise ConfigError(
                f"{key}: no catalog for language {lang!r} under "
                f"{' or '.join(str(f) for f in folders)}; create it with "
                f"`loa locale init {lang} --name \"...\"`")


def _log_level(key: str, value: Any) -> str:
    level = _text(key, value).upper()
    if level not in LOG_LEVELS:
        raise ConfigError(f"{key}: expected one of {', '.join(LOG_LEVELS)}, got {value!r}")
    return level


def _log_format(key: str, value: Any) -> str:
    shape = _text(key, value).lower()
    if shape not in ("text", "json"):
        raise ConfigError(f"{key}: expected text or json, got {value!r}")
    return shape


# (section, key, environment variable, parser, default)
KEYS: tuple[tuple[str, str, str, Callable[[str, Any], Any], Any], ...] = (
    ("telegram", "api_url", "LOA_TELEGRAM_API_URL", _api_url, "https://api.telegram.org"),
    ("database", "url", "LOA_DATABASE_URL", _text, "sqlite:///var/loa.db"),
    ("access", "admins", "LOA_ADMINS", _admins, []),
    ("access", "invite_ttl_hours", "LOA_INVITE_TTL_HOURS", _hours, 72),
    ("locale", "timezone", "LOA_TIMEZONE", _timezone, "Asia/Ho_Chi_Minh"),
    ("locale", "languages", "LOA_LANGUAGES", _languages, ["vi", "en"]),
    ("locale", "catalogs", "LOA_CATALOGS", _optional_text, ""),
    ("log", "level", "LOA_LOG_LEVEL", _log_level, "INFO"),
    ("log", "format", "LOA_LOG_FORMAT", _log_format, "text"),
    ("pledges", "working_days_per_month", "LOA_WORKING_DAYS", _positive_int, 22),
    ("pledges", "max_amount", "LOA_MAX_AMOUNT", _positive_int, 10_000_000_000),
    ("pledges", "review_above", "LOA_REVIEW_ABOVE", _positive_int, 100_000_000),
    ("pledges", "open_per_campaign", "LOA_OPEN_PLEDGES", _positive_int, 10),
    ("pledges", "honour_registered", "LOA_HONOUR_REGISTERED", _flag, False),
    ("fund", "bank_bin", "LOA_FUND_BANK_BIN", _digits, ""),
    ("fund", "account", "LOA_FUND_ACCOUNT", _digits, ""),
    ("fund", "account_name", "LOA_FUND_ACCOUNT_NAME", _optional_text, ""),
    ("fund", "bank_name", "LOA_FUND_BANK_NAME", _optional_text, ""),
    ("delivery", "rate", "LOA_RATE", _rate, 25),
    ("delivery", "paid_broadcasts", "LOA_PAID_BROADCASTS", _flag, False),
    ("delivery", "paid_rate", "LOA_PAID_RATE", _rate, 1000),
    ("delivery", "chat_rate", "LOA_CHAT_RATE", _rate, 1),
    ("delivery", "chat_burst", "LOA_CHAT_BURST", _positive_int, 3),
    ("delivery", "group_rate", "LOA_GROUP_RATE", _per_minute, 19),
    ("updates", "max_pending", "LOA_MAX_PENDING", _positive_int, 20),
    ("updates", "keep_hours", "LOA_UPDATES_KEEP_HOURS", _hours, 24),
    ("webhook", "url", "LOA_WEBHOOK_URL", _webhook_url, ""),
    ("webhook", "listen", "LOA_WEBHOOK_LISTEN", _listen, "127.0.0.1:8443"),
    ("webhook", "max_connections", "LOA_WEBHOOK_MAX_CONNECTIONS", _connections, 40),
    ("reminders", "quiet_hours", "LOA_QUIET_HOURS", _quiet, "21:00-07:00"),
    ("reminders", "grace_hours", "LOA_REMINDER_GRACE_HOURS", _hours, 12),
    ("reminders", "pledge_days_before_end", "LOA_PLEDGE_REMINDER_DAYS", _positive_int, 3),
    ("support", "duplicate_days", "LOA_SUPPORT_DUPLICATE_DAYS", _positive_int, 365),
    ("broadcasts", "sender", "LOA_BROADCAST_SENDER", _sender, "📢 Ủy ban MTTQ {level} {area}"),
    ("broadcasts", "max_file_mb", "LOA_BROADCAST_MAX_FILE_MB", _positive_int, 50),
    ("web", "listen", "LOA_WEB_LISTEN", _listen, ""),
    ("web", "public_url", "LOA_WEB_PUBLIC_URL", _public_url, ""),
    ("web", "refresh_seconds", "LOA_WEB_REFRESH_SECONDS", _positive_int, 30),
    ("web", "photos_dir", "LOA_WEB_PHOTOS_DIR", _optional_text, ""),
    ("web", "photos_max_mb", "LOA_WEB_PHOTOS_MAX_MB", _positive_int, 100),
    ("web", "show_households", "LOA_WEB_SHOW_HOUSEHOLDS", _flag, False),
)


def _fund(values: dict[str, Any]) -> Fund | None:
    parts = (values["LOA_FUND_BANK_BIN"], values["LOA_FUND_ACCOUNT"])
    if not any(parts):
        return None
    if not all(parts) or len(parts[0]) != 6:
        raise ConfigError("fund: set both bank_bin (6 digits) and account "
                          "(LOA_FUND_BANK_BIN, LOA_FUND_ACCOUNT), or neither")
    return Fund(parts[0], parts[1], values["LOA_FUND_ACCOUNT_NAME"],
                values["LOA_FUND_BANK_NAME"])


def _head_titles(key: str, value: Any, languages: tuple[str, ...]) -> dict[str, dict[str, str]]:
    """[areas.head_titles]: level = "title", or level = { vi = "...", en = "..." }."""
    if not isinstance(value, dict):
        raise ConfigError(f'{key}: expected a table, e.g. "khóm" = "trưởng khóm"; got {value!r}')
    titles = {}
    for level, title in value.items():
        names = {lang: title for lang in languages} if isinstance(title, str) else title
        if (not fold(level) or not isinstance(names, dict) or not names
                or not all(isinstance(v, str) and v.strip() for v in names.values())):
            raise ConfigError(f'{key}.{level}: expected a title, e.g. "trưởng khóm", or a table '
                              f'of titles by language, e.g. {{ vi = "trưởng khóm", en = '
                              f'"hamlet head" }}; got {title!r}')
        titles[fold(level)] = {lang: text.strip() for lang, text in names.items()}
    return titles


def _read_file(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"LOA_CONFIG: no such file: {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: malformed TOML: {exc}") from None
    if "secret" in data.get("webhook", {}):
        raise ConfigError(f"{path}: webhook.secret must not be stored in the file; set "
                          "LOA_WEBHOOK_SECRET")
    if "token" in data.get("telegram", {}):
        raise ConfigError(
            f"{path}: telegram.token must not be stored in the file; set LOA_TELEGRAM_TOKEN"
        )
    return data


def _database_url(key: str, url: str, base: Path) -> str:
    """Check the URL and anchor a relative SQLite path to the config file's folder."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigError(
            f"{key}: not a database URL: {url!r} (e.g. sqlite:///var/loa.db)") from None
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise ConfigError(f"{key}: only sqlite and postgresql are supported, got {url!r}")
    if parsed.get_backend_name() == "postgresql":  # psycopg 3 is the driver Loa ships with
        parsed = parsed.set(drivername="postgresql+psycopg")
    database = parsed.database
    if parsed.get_backend_name() == "sqlite" and database and database != ":memory:":
        path = Path(database)
        if not path.is_absolute():
            parsed = parsed.set(database=str(base / path))
    return parsed.render_as_string(hide_password=False)


def load_config(path: str | Path | None = None, env: Mapping[str, str] | None = None,
                check_catalogs: bool = True) -> Config:
    """Read the file (LOA_CONFIG or config.toml), then let the environment override each key.
    Its catalogs folder becomes the one translations are read from. Without check_catalogs a
    language may lack its catalog (for `loa locale init` to make it)."""
    env = os.environ if env is None else env
    file = Path(path or env.get("LOA_CONFIG") or DEFAULT_FILE)
    data = _read_file(file)
    values: dict[str, Any] = {}
    for section, key, variable, parse, default in KEYS:
        if variable in env:
            name, raw = variable, env[variable]
        else:
            name, raw = f"{section}.{key}", data.get(section, {}).get(key, default)
        values[variable] = parse(name, raw)
    db_key = "LOA_DATABASE_URL" if "LOA_DATABASE_URL" in env else "database.url"
    catalogs = file.parent / values["LOA_CATALOGS"] if values["LOA_CATALOGS"] else None
    _catalogs(("LOA_CATALOGS" if "LOA_CATALOGS" in env else "locale.catalogs",
               "LOA_LANGUAGES" if "LOA_LANGUAGES" in env else "locale.languages"),
              catalogs, values["LOA_LANGUAGES"] if check_catalogs else ())
    use_catalogs(catalogs)
    return Config(
        token=env.get("LOA_TELEGRAM_TOKEN") or None,
        api_url=values["LOA_TELEGRAM_API_URL"],
        database_url=_database_url(db_key, values["LOA_DATABASE_URL"], file.parent),
        admins=values["LOA_ADMINS"],
        invite_ttl=values["LOA_INVITE_TTL_HOURS"],
        timezone=values["LOA_TIMEZONE"],
        languages=values["LOA_LANGUAGES"],
        catalogs=catalogs,
        log_level=values["LOA_LOG_LEVEL"],
        log_json=values["LOA_LOG_FORMAT"] == "json",
        working_days=values["LOA_WORKING_DAYS"],
        max_amount=values["LOA_MAX_AMOUNT"],
        review_above=values["LOA_REVIEW_ABOVE"],
        open_pledges=values["LOA_OPEN_PLEDGES"],
        honour_registered=values["LOA_HONOUR_REGISTERED"],
        fund=_fund(values),
        rate=values["LOA_RATE"],
        paid_broadcasts=values["LOA_PAID_BROADCASTS"],
        paid_rate=values["LOA_PAID_RATE"],
        chat_rate=values["LOA_CHAT_RATE"],
        chat_burst=values["LOA_CHAT_BURST"],
        group_rate=values["LOA_GROUP_RATE"],
        max_pending=values["LOA_MAX_PENDING"],
        keep_updates=values["LOA_UPDATES_KEEP_HOURS"],
        webhook_url=values["LOA_WEBHOOK_URL"],
        webhook_listen=values["LOA_WEBHOOK_LISTEN"] or ("127.0.0.1", 8443),
        webhook_max_connections=values["LOA_WEBHOOK_MAX_CONNECTIONS"],
        webhook_secret=_secret(env.get("LOA_WEBHOOK_SECRET")),
        quiet_hours=values["LOA_QUIET_HOURS"],
        reminder_grace=values["LOA_REMINDER_GRACE_HOURS"],
        pledge_reminder_days=values["LOA_PLEDGE_REMINDER_DAYS"],
        duplicate_days=values["LOA_SUPPORT_DUPLICATE_DAYS"],
        broadcast_sender=values["LOA_BROADCAST_SENDER"],
        broadcast_max_file=values["LOA_BROADCAST_MAX_FILE_MB"] * 1024 * 1024,
        head_titles=_head_titles("areas.head_titles", data.get("areas", {}).get("head_titles", {}),
                                 values["LOA_LANGUAGES"]),
        web_listen=values["LOA_WEB_LISTEN"],
        web_public_url=values["LOA_WEB_PUBLIC_URL"],
        web_refresh=values["LOA_WEB_REFRESH_SECONDS"],
        web_photos_dir=(file.parent / values["LOA_WEB_PHOTOS_DIR"]
                        if values["LOA_WEB_PHOTOS_DIR"] else None),
        web_photos_max=values["LOA_WEB_PHOTOS_MAX_MB"] * 1024 * 1024,
        web_show_households=values["LOA_WEB_SHOW_HOUSEHOLDS"],
        source=file,
    )
