"""Translations and formatting in the reader's language.

Catalogs are the .po files under locales/; they are compiled in memory when first used, so no
manual compile step is needed to run or test. Source strings are English with {named}
placeholders. Numbers, money and dates go through Babel; a language that CLDR does not know
(Bahnar, Ede, Jarai, ...) is translated from its own catalog but formatted as Vietnamese.
"""

from __future__ import annotations

import gettext
import io
from datetime import UTC, date, datetime
from functools import cache
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal, format_percent

from bot.config import LOCALES_DIR
from models.wording import N_  # noqa: F401  (re-exported: handlers mark strings with it)

DOMAIN = "loa"
FORMAT_FALLBACK = "vi"
DATE_PATTERNS = {"vi": "dd/MM/yyyy", "en": "d MMM yyyy"}
TIME_PATTERNS = {"vi": "HH:mm dd/MM/yyyy", "en": "HH:mm, d MMM yyyy"}

#: The name of each language in itself, for the language buttons.
LANGUAGE_NAMES = {"vi": "Tiếng Việt", "en": "English"}


@cache
def catalog(lang: str) -> gettext.NullTranslations:
    path = LOCALES_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not path.is_file():
        return gettext.NullTranslations()
    with path.open("rb") as fh:
        po = read_po(fh, locale=lang if _known(lang) else None, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, po, use_fuzzy=False)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def _known(lang: str) -> bool:
    try:
        Locale.parse(lang)
    except (UnknownLocaleError, ValueError):
        return False
    return True


class Translator:
    """Everything a reply needs to speak one person's language: `_("Hi {name}", name=...)`."""

    def __init__(self, lang: str, timezone: ZoneInfo):
        self.lang = lang
        self.timezone = timezone
        self.locale = Locale.parse(lang if _known(lang) else FORMAT_FALLBACK)
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
        pattern = DATE_PATTERNS.get(self.locale.language, DATE_PATTERNS[FORMAT_FALLBACK])
        return format_date(value, pattern, locale=self.locale)

    def datetime(self, value: datetime) -> str:
        pattern = TIME_PATTERNS.get(self.locale.language, TIME_PATTERNS[FORMAT_FALLBACK])
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
