"""Translations and formatting in the reader's language.

Catalogs are the .po files under locales/ (and the deployment's own folder, locale.catalogs);
they are compiled in memory when first used, so no manual compile step is needed to run or
test. Source strings are English with {named} placeholders. A language added by a commune
(Bahnar, Ede, Jarai, ...) is read from its own catalog, and what it does not translate yet is
shown in Vietnamese, never in English. Numbers, money and dates go through Babel; a language
that CLDR does not know (bdq) is formatted as Vietnamese.
"""

from __future__ import annotations

import gettext
import io
import logging
import re
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_datetime
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal, format_percent

from models.wording import N_

log = logging.getLogger("loa.i18n")

DOMAIN = "loa"
#: The catalogs shipped with Loa, and the template new ones start from.
LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
TEMPLATE = LOCALES_DIR / f"{DOMAIN}.pot"
SOURCE_LANGUAGE = "en"  # the msgids themselves
FALLBACK = "vi"  # what an added language shows until translated: its text and its formats
DATE_PATTERNS = {"vi": "dd/MM/yyyy", "en": "d MMM yyyy"}
TIME_PATTERNS = {"vi": "HH:mm dd/MM/yyyy", "en": "HH:mm, d MMM yyyy"}
#: How each catalog names its language, in that language (for the language buttons): set by
#: `loa locale init --name`, translated like any other string.
LANGUAGE_NAME = N_("English (the name of this language, written in it)")
#: A language as Loa names it: ISO 639 (bdq, km), maybe with a region or script (zh_TW).
LANGUAGE_CODE = re.compile(r"[a-z]{2,3}(_[A-Za-z]{2,4})?")
PLACEHOLDER = re.compile(r"\{(\w*)\}")
TAG = re.compile(r"</?\w+>")

_folders: tuple[Path, ...] = (LOCALES_DIR,)


def use_catalogs(folder: Path | None) -> None:
    """Read catalogs from the deployment's folder first, then the shipped ones (one deployment
    per process: the configuration loaded last decides)."""
    global _folders
    _folders = (folder, LOCALES_DIR) if folder else (LOCALES_DIR,)


def catalog_path(lang: str, folders: tuple[Path, ...] | None = None) -> Path | None:
    for folder in folders or _folders:
        path = folder / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
        if path.is_file():
            return path
    return None


def sound(source: str, text: str) -> bool:
    """A translation keeps the placeholders and HTML tags of its source: else .format() or
    Telegram's HTML parser would fail on it."""
    return (sorted(PLACEHOLDER.findall(text)) == sorted(PLACEHOLDER.findall(source))
            and sorted(TAG.findall(text)) == sorted(TAG.findall(source)))


@cache
def _read(path: Path, lang: str) -> Catalog:
    """The usable entries of a catalog: fuzzy, partly translated or unsound ones are left out,
    so the fallback shows instead (an unsound one is logged for the translator)."""
    with path.open("rb") as fh:
        po = read_po(fh, locale=lang if _known(lang) else None, domain=DOMAIN)
    unusable = []
    for message in po:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        source = message.id if isinstance(message.id, str) else message.id[0]
        if message.fuzzy or not all(strings):
            unusable.append(message.id)
        elif not all(sound(source, text) for text in strings):
            log.warning("%s: the translation of %r is left out: its {placeholders} or <tags> "
                        "differ from the source", path, source)
            unusable.append(message.id)
    for message_id in unusable:
        po.delete(message_id)
    return po


@cache
def _catalog(lang: str, folders: tuple[Path, ...]) -> gettext.NullTranslations:
    path = catalog_path(lang, folders)
    if path is None:
        translations = gettext.NullTranslations()
    else:
        buffer = io.BytesIO()
        write_mo(buffer, _read(path, lang))
        buffer.seek(0)
        translations = gettext.GNUTranslations(buffer)
    if lang not in (FALLBACK, SOURCE_LANGUAGE):
        translations.add_fallback(_catalog(FALLBACK, folders))
    return translations


def catalog(lang: str) -> gettext.NullTranslations:
    """The language's translations; what it lacks comes from Vietnamese."""
    return _catalog(lang, _folders)


def language_name(lang: str) -> str:
    """The language's name in itself, from its own catalog (never a fallback's): the code
    when the catalog does not say."""
    path = catalog_path(lang)
    message = _read(path, lang).get(LANGUAGE_NAME) if path else None
    return message.string if message else lang


def _known(lang: str) -> bool:
    return _locale(lang) is not None


@cache
def _locale(lang: str) -> Locale | None:
    """Babel's data for the language; None where Babel has none (some minority languages).
    Kept: every reply's translator needs it."""
    try:
        return Locale.parse(lang)
    except (UnknownLocaleError, ValueError):
        return None


class Translator:
    """Everything a reply needs to speak one person's language: `_("Hi {name}", name=...)`."""

    def __init__(self, lang: str, timezone: ZoneInfo):
        self.lang = lang
        self.timezone = timezone
        self.locale = _locale(lang) or _locale(FALLBACK)
        self._catalog = catalog(lang)

    def __call__(self, message: str, **values: object) -> str:
        text = self._catalog.gettext(message)
        return text.format(**values) if values else text

    def ngettext(self, singular: str, plural: str, n: int, **values: object) -> str:
        text = self._catalog.ngettext(singular, plural, n)
        return text.format(n=self.number(n), **values)

    def number(self, value: int | float) -> str:
        return format_decimal(value, locale=self.locale)

    def percent(self, ratio: float) -> str:
        return format_percent(ratio, locale=self.locale)

    def money(self, amount: int) -> str:
        """Integer VND as its readers write it: 1.500.000 ₫ in Vietnamese."""
        return format_currency(amount, "VND", locale=self.locale)

    def date(self, value: date | datetime) -> str:
        if isinstance(value, datetime):
            value = self.local(value).date()
        pattern = (DATE_PATTERNS.get(self.locale.language)
                   or self.locale.date_formats["medium"].pattern)
        return format_date(value, pattern, locale=self.locale)

    def datetime(self, value: datetime) -> str:
        """A local time and day: Loa's own pattern in vi and en, the locale's otherwise."""
        pattern = TIME_PATTERNS.get(self.locale.language) or (
            self.locale.datetime_formats["medium"].replace("'", "")
            .replace("{0}", self.locale.time_formats["short"].pattern)
            .replace("{1}", self.locale.date_formats["medium"].pattern))
        return format_datetime(self.local(value), pattern, tzinfo=self.timezone,
                               locale=self.locale)

    def local(self, value: datetime) -> datetime:
        """Stored UTC → the deployment's wall clock."""
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(self.timezone)


def guess_language(language_code: str | None, languages: tuple[str, ...]) -> str:
    """The Telegram client's UI language when Loa speaks it, else the deployment's default."""
    code = (language_code or "").split("-")[0].lower()
    return code if code in languages else languages[0]
