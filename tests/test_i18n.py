"""Catalogs are complete and consistent, and formatting follows the reader's locale.

Vietnamese and English must be complete. A language a commune adds is reported with the share
it translates (a warning in pytest's summary): what it lacks shows in Vietnamese.
"""

import logging
import warnings
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from bot.config import ROOT
from bot.i18n import (
    LANGUAGE_NAME,
    LOCALES_DIR,
    TEMPLATE,
    Translator,
    catalog_path,
    language_name,
    sound,
    use_catalogs,
)
from handlers.menu import role_name
from models.areas import Area
from models.users import Role

LANGUAGES = ["vi", "en"]
HCM = ZoneInfo("Asia/Ho_Chi_Minh")
#: The test-only catalog of a third language (markers, not Bahnar).
TEST_CATALOGS = Path(__file__).parent / "data" / "locales"
#: Catalogs beyond vi and en: those a deployment put under locales/, and the test-only one.
ADDED = sorted(path for folder in (LOCALES_DIR, TEST_CATALOGS)
               for path in folder.glob("*/LC_MESSAGES/loa.po")
               if path.parent.parent.name not in LANGUAGES)


def catalog(lang):
    with catalog_path(lang, (LOCALES_DIR,)).open("rb") as fh:
        return read_po(fh, locale=lang)


@pytest.fixture
def third_language():
    """Loa reading the test-only bdq catalog beside the shipped ones, as locale.catalogs does."""
    use_catalogs(TEST_CATALOGS)
    yield
    use_catalogs(None)


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
        problems += [f"placeholders or HTML tags differ: {message.id!r} → {text!r}"
                     for text in strings if not sound(source_id, text)]
    assert problems == []


def translated_share(path: Path) -> tuple[int, int, list[str]]:
    """Strings of the template this catalog translates usably, of all; and the unsound ones."""
    with TEMPLATE.open("rb") as fh:
        wanted = {m.id for m in read_po(fh) if m.id}
    with path.open("rb") as fh:
        po = read_po(fh)
    done, unsound = 0, []
    for message in po:
        if message.id not in wanted or message.fuzzy:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        source = message.id if isinstance(message.id, str) else message.id[0]
        if not all(strings):
            continue
        if all(sound(source, text) for text in strings):
            done += 1
        else:
            unsound.append(source)
    return done, len(wanted), unsound


@pytest.mark.parametrize("path", ADDED, ids=lambda p: str(p.relative_to(ROOT).parents[1]))
def test_an_added_language_reports_its_share_and_names_itself(path):
    done, total, unsound = translated_share(path)
    lang = path.parent.parent.name
    warnings.warn(f"{lang}: {done} of {total} strings translated ({done / total:.0%}); the "
                  f"others show in Vietnamese" + (f"; left out, their {{placeholders}} or <tags> "
                  f"differ: {unsound}" if unsound else ""), stacklevel=1)
    with path.open("rb") as fh:
        named = read_po(fh).get(LANGUAGE_NAME)
    assert named is not None and named.string, \
        f"{path}: name the language in itself (loa locale init sets it)"


def test_the_share_counts_usable_translations_of_the_template():
    done, total, unsound = translated_share(TEST_CATALOGS / "bdq" / "LC_MESSAGES" / "loa.po")
    with TEMPLATE.open("rb") as fh:
        assert total == len(read_po(fh))
    assert (done, unsound) == (4, [])  # the name, three markers; the fuzzy "Skip" is not done


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


def test_english_formatting():
    en = Translator("en", HCM)
    assert en.money(500000) == "₫500,000"
    assert en.date(datetime(2023, 11, 17, 20, 0, tzinfo=UTC)) == "18 Nov 2023"
    assert en.ngettext("{n} pledger", "{n} pledgers", 1200) == "1,200 pledgers"


def test_a_language_babel_does_not_know_is_formatted_as_vietnamese(third_language):
    bahnar = Translator("bdq", HCM)
    assert bahnar.money(1500000) == "1.500.000\xa0₫"
    assert bahnar.number(1234567.5) == "1.234.567,5"
    assert bahnar.date(date(2023, 11, 18)) == "18/11/2023"
    assert bahnar.datetime(datetime(2023, 11, 18, 1, 0, tzinfo=UTC)) == "08:00 18/11/2023"


def test_a_language_babel_knows_keeps_its_own_formats():
    khmer, chinese = Translator("km", HCM), Translator("zh", HCM)
    assert khmer.money(1500000) == "1,500,000₫"
    assert khmer.date(date(2023, 11, 18)) == "18 វិច្ឆិកា 2023"
    assert chinese.money(1500000) == "₫1,500,000"
    assert chinese.date(date(2023, 11, 18)) == "2023年11月18日"
    assert chinese.datetime(datetime(2023, 11, 18, 1, 0, tzinfo=UTC)) == "2023年11月18日 08:00"
    assert chinese("Skip") == "Bỏ qua"  # no catalog: the text is Vietnamese all the same


def test_an_added_language_falls_back_to_vietnamese_never_english(third_language):
    bahnar = Translator("bdq", HCM)
    assert bahnar("I agree") == "(bdq) I agree"
    assert bahnar("Language set: {language}.", language="x") == "(bdq) Language set: x."
    assert bahnar("No, thanks") == "Không, cảm ơn"                      # not translated
    assert bahnar("Skip") == "Bỏ qua"                                   # fuzzy: not used
    assert bahnar.ngettext("{n} pledger", "{n} pledgers", 2) == "2 người ủng hộ"  # empty plural
    assert bahnar.ngettext("{n} pledge", "{n} pledges", 1) == "1 khoản"  # half translated
    assert [language_name(lang) for lang in ("vi", "en", "bdq", "km")] == [
        "Tiếng Việt", "English", "Tiếng Ba Na", "km"]


def test_a_translation_that_would_break_the_message_is_left_out(tmp_path, caplog):
    folder = tmp_path / "ede" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (folder / "loa.po").write_text(
        'msgid ""\nmsgstr ""\n"Language: ede\\n"\n\n'
        'msgid "Phone: {phone}"\nmsgstr "(ede) {so}"\n\n'
        'msgid "<b>What Loa holds about you now</b>"\nmsgstr "(ede) <b>held"\n\n'
        'msgid "Name: {value}"\nmsgstr "(ede) {value}"\n', encoding="utf-8")
    use_catalogs(tmp_path)
    try:
        with caplog.at_level(logging.WARNING, logger="loa.i18n"):
            ede = Translator("ede", HCM)
        assert ede("Phone: {phone}", phone="0909") == "Điện thoại: 0909"
        assert ede("<b>What Loa holds about you now</b>") == \
            "<b>Dữ liệu Loa đang lưu về bạn</b>"
        assert ede("Name: {value}", value="Y") == "(ede) Y"
        assert sum("left out" in r.message for r in caplog.records) == 2
    finally:
        use_catalogs(None)


def test_a_village_heads_title_in_an_added_language_is_the_vietnamese_one(third_language):
    """[areas.head_titles] names titles in vi and en; a Bahnar reader sees the Vietnamese."""
    titles = {"khom": {"en": "hamlet head", "vi": "trưởng khóm"}}
    khom = Area(id=1, code="K1", name="Khóm 1", level="Khóm")
    assert role_name(Translator("bdq", HCM), Role.VILLAGE_HEAD, khom, titles) == "trưởng khóm"
    assert role_name(Translator("en", HCM), Role.VILLAGE_HEAD, khom, titles) == "hamlet head"
