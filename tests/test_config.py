"""Configuration: defaults, environment overrides, and one clear line for every mistake."""

import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import ConfigError, load_config

ROOT = Path(__file__).resolve().parent.parent


def write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(body, encoding="utf-8")
    return path


def test_shipped_file_loads_with_defaults():
    config = load_config(ROOT / "config.toml", env={})
    assert config.api_url == "https://api.telegram.org"
    assert config.timezone.key == "Asia/Ho_Chi_Minh"
    assert config.languages == ("vi", "en") and config.default_language == "vi"
    assert config.database_url == f"sqlite:///{ROOT / 'var' / 'loa.db'}"
    assert config.token is None and config.admins == frozenset()


def test_environment_overrides_every_key(tmp_path):
    env = {"LOA_TELEGRAM_TOKEN": "42:SECRET", "LOA_TELEGRAM_API_URL": "http://127.0.0.1:8081/",
           "LOA_DATABASE_URL": "postgresql://loa@db/loa", "LOA_ADMINS": "11, 22",
           "LOA_TIMEZONE": "UTC", "LOA_LANGUAGES": "en,vi", "LOA_INVITE_TTL_HOURS": "2",
           "LOA_LOG_LEVEL": "debug", "LOA_LOG_FORMAT": "JSON",
           "LOA_CONFIG": str(write(tmp_path, ""))}
    config = load_config(env=env)
    assert config.require_token() == "42:SECRET"
    assert config.api_url == "http://127.0.0.1:8081"
    assert config.database_url == "postgresql+psycopg://loa@db/loa"
    assert config.admins == {11, 22}
    assert config.timezone.key == "UTC" and config.default_language == "en"
    assert config.invite_ttl.total_seconds() == 7200 and config.log_level == "DEBUG"
    assert config.log_json
    assert "SECRET" not in repr(config)


@pytest.mark.parametrize(("env", "body", "expected"), [
    ({"LOA_TELEGRAM_API_URL": "ftp://x"}, "", "LOA_TELEGRAM_API_URL: not an http(s) URL"),
    ({}, "[telegram]\napi_url = 'nonsense'\n", "telegram.api_url: not an http(s) URL"),
    ({"LOA_ADMINS": "12,abc"}, "", "LOA_ADMINS: expected Telegram user ids"),
    ({"LOA_TIMEZONE": "Mars/Base"}, "", "LOA_TIMEZONE: unknown timezone"),
    ({"LOA_DATABASE_URL": "mysql://x/y"}, "", "LOA_DATABASE_URL: only sqlite and postgresql"),
    ({"LOA_DATABASE_URL": "::"}, "", "LOA_DATABASE_URL: not a database URL"),
    ({"LOA_LANGUAGES": "vi,xx"}, "", "LOA_LANGUAGES: no catalog for language 'xx'"),
    ({"LOA_LANGUAGES": "vi,Ba Na"}, "", "LOA_LANGUAGES: 'Ba Na' is not a language code"),
    ({}, "[locale]\nlanguages = ['vi', 'bdq']\n",
     "locale.languages: no catalog for language 'bdq'"),
    ({"LOA_CATALOGS": "no-such-folder"}, "", "LOA_CATALOGS: no such folder"),
    ({}, "[access]\ninvite_ttl_hours = -1\n", "access.invite_ttl_hours: expected a positive"),
    ({}, "[telegram]\ntoken = 'x'\n", "telegram.token must not be stored in the file"),
    ({}, "[telegram\n", "malformed TOML"),
    ({"LOA_LOG_FORMAT": "xml"}, "", "LOA_LOG_FORMAT: expected text or json"),
    ({}, "[areas.head_titles]\n'khối' = 3\n", "areas.head_titles.khối: expected a title"),
])
def test_mistakes_name_the_key(tmp_path, env, body, expected):
    with pytest.raises(ConfigError, match=None) as caught:
        load_config(write(tmp_path, body), env=env)
    assert expected in str(caught.value)
    assert "\n" not in str(caught.value)


def test_missing_token_is_one_line():
    with pytest.raises(ConfigError) as caught:
        load_config(ROOT / "config.toml", env={}).require_token()
    assert str(caught.value).startswith("LOA_TELEGRAM_TOKEN is not set")


def run_loa(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], capture_output=True,
                          text=True, env={"PATH": "/usr/bin:/bin", **env}, cwd=ROOT,
                          timeout=60)


@pytest.mark.parametrize(("env", "expected"), [
    ({}, "loa: LOA_TELEGRAM_TOKEN is not set"),
    ({"LOA_TELEGRAM_TOKEN": "1:x", "LOA_TELEGRAM_API_URL": "bad"},
     "loa: LOA_TELEGRAM_API_URL: not an http(s) URL"),
    ({"LOA_CONFIG": "/nonexistent.toml"}, "loa: LOA_CONFIG: no such file"),
])
def test_cli_reports_one_line_and_fails(tmp_path, env, expected):
    result = run_loa("run", env={"LOA_DATABASE_URL": f"sqlite:///{tmp_path}/x.db", **env})
    assert result.returncode == 2
    assert result.stderr.startswith(expected)
    assert "Traceback" not in result.stderr and result.stderr.count("\n") == 1


def test_village_head_titles_of_a_deployment(tmp_path):
    body = "[areas.head_titles]\n'Khối' = { vi = 'trưởng khối', en = 'block head' }\n" \
           "'Buôn làng' = 'già làng'\n"
    config = load_config(write(tmp_path, body), env={})
    assert config.head_titles == {"khoi": {"vi": "trưởng khối", "en": "block head"},
                                  "buon lang": {"vi": "già làng", "en": "già làng"}}


def test_the_funds_bank_name_from_the_file_or_the_environment(tmp_path):
    from bot.config import load_config
    path = write(tmp_path, '[fund]\nbank_bin = "970436"\naccount = "1031933430"\n'
                           'bank_name = "VCB Thủ Thừa"\n')
    assert load_config(path, env={}).fund.bank_name == "VCB Thủ Thừa"
    assert load_config(path, env={"LOA_FUND_BANK_NAME": "Vietcombank CN Long An"}
                       ).fund.bank_name == "Vietcombank CN Long An"
    bare = write(tmp_path, '[fund]\nbank_bin = "970436"\naccount = "1031933430"\n')
    assert load_config(bare, env={}).fund.bank_name == ""


def test_the_public_page_keys(tmp_path):
    config = load_config(ROOT / "config.toml", env={})
    assert config.web_listen is None and config.web_public_url is None
    assert config.web_refresh == 30
    body = "[web]\nlisten = '0.0.0.0:8080'\npublic_url = 'https://loa.example.vn/'\n"
    config = load_config(write(tmp_path, body), env={"LOA_WEB_REFRESH_SECONDS": "10"})
    assert config.web_listen == ("0.0.0.0", 8080)
    assert config.web_public_url == "https://loa.example.vn" and config.web_refresh == 10
    config = load_config(write(tmp_path, body), env={"LOA_WEB_LISTEN": "[::1]:0",
                                                      "LOA_WEB_PUBLIC_URL": ""})
    assert config.web_listen == ("::1", 0) and config.web_public_url is None
    for key, value, expected in (("LOA_WEB_LISTEN", "8080", "expected host:port"),
                                 ("LOA_WEB_PUBLIC_URL", "loa.vn", "not an http")):
        with pytest.raises(ConfigError, match=expected):
            load_config(write(tmp_path, ""), env={key: value})
