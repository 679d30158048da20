"""Catalogs are complete and consistent, and formatting follows the reader's locale."""

import re
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from bot.config import LOCALES_DIR, ROOT
from bot.i18n import Translator

LANGUAGES = ["vi", "en"]
PLACEHOLDER = re.compile(r"\{(\w*)\}")
TAG = re.compile(r"</?\w+>")
HCM = ZoneInfo("Asia/Ho_Chi_Minh")


def catalog(lang):
    with (LOCALES_DIR / lang / "LC_MESSAGES" / "loa.po").open("rb") as fh:
        return read_po(fh, locale=lang)


def source_messages() -> set[str]:
    found = set()
    for folder in ("bot", "handlers", "models"):
        for _file, _line, message, _comments, _context in extract_from_dir(
                ROOT / folder, keywords={"_": None, "N_": None, "ngettext": (1, 2)}):
            found.add(message if isinstance(message, str) else message[0])
    return found


@pytest.mark.parametrize("lang", LANGUAGES)
def test_catalog_is_complete_without_fuzzy_entries(lang):
    problems = []
    for message in catalog(lang):
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy:
            problems.append(f"fuzzy: {message.id!r}")
        if not all(strings):
            problems.append(f"untranslated: {message.id!r}")
        source_id = message.id if isinstance(message.id, str) else message.id[0]
        for text in strings:
            if sorted(PLACEHOLDER.findall(text)) != sorted(PLACEHOLDER.findall(source_id)):
                problems.append(f"placeholders differ: {message.id!r} → {text!r}")
            if sorted(TAG.findall(text)) != sorted(TAG.findall(source_id)):
                problems.append(f"HTML tags differ: {message.id!r} → {text!r}")
    assert problems == []


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_string_in_the_code_is_in_the_catalog(lang):
    ids = {m.id if isinstance(m.id, str) else m.id[0] for m in catalog(lang) if m.id}
    assert sorted(source_messages() - ids) == []


def test_vietnamese_formatting():
    _ = Translator("vi", HCM)
    assert _.money(500000) == "500.000\xa0₫"
    assert _.number(1234567) == "1.234.567"
    assert _.date(date(2023, 11, 18)) == "18/11/2023"
    assert _.datetime(datetime(2023, 11, 18, 1, 0, tzinfo=UTC)) == "08:00 18/11/2023"
    assert _("Skip") == "Bỏ qua"
    assert _("Phone: {phone}", phone="0909") == "Điện thoại: 0909"


def test_english_formatting_and_unknown_locale_fallback():
    en = Translator("en", HCM)
    assert en.money(500000) == "₫500,000"
    assert en.date(datetime(2023, 11, 17, 20, 0, tzinfo=UTC)) == "18 Nov 2023"
    bahnar = Translator("bdq", HCM)  # no CLDR locale: formats as Vietnamese, no catalog yet
    assert bahnar.money(1500000) == "1.500.000\xa0₫"
    assert bahnar("Skip") == "Skip"
