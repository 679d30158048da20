"""Money amounts as people type them in a chat ("500.000", "1tr2", "2 củ", "1,5 tỷ") → whole đồng.

Vietnamese writes "." for thousands and "," for decimals, English the other way round, and chat
adds units (k, triệu, tỷ), slang and missing diacritics; some people spell the amount out
("hai triệu rưỡi", number_words.py). A separator counts as thousands grouping
only when the groups say so (three digits each); otherwise it is a decimal point. Anything that
is not a whole number of đồng, or that could be read two ways, is refused rather than rounded or
guessed: a donor confirms the amount they typed, not one we made up.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import MAX_EMAX, MAX_PREC, MIN_EMIN, Context, Decimal, localcontext
from enum import StrEnum

from models.number_words import spelled
from models.numbers import ascii_digits

DEFAULT_MAXIMUM = 10_000_000_000  # 10 billion đồng

THOUSAND, MILLION, BILLION = 10**3, 10**6, 10**9

# Unit words after diacritics are stripped ("triệu" → "trieu", "tỷ" → "ty", "củ" → "cu").
UNITS: dict[str, int] = {
    "k": THOUSAND, "nghin": THOUSAND, "ngan": THOUSAND, "thousand": THOUSAND,
    "tr": MILLION, "trieu": MILLION, "cu": MILLION,
    "m": MILLION, "mil": MILLION, "million": MILLION,
    "ty": BILLION, "ti": BILLION, "b": BILLION, "bn": BILLION, "billion": BILLION,
}
HALF = "ruoi"  # rưỡi (and the common misspelling rưởi): half of the unit just before it
CURRENCY_BEFORE = frozenset({"₫", "vnd"})  # "₫500,000" is how Babel writes VND in English
CURRENCY_AFTER = frozenset({"₫", "d", "dong", "vnd"})  # đ, đồng, VNĐ lose their marks too
# Longest first, so "bn" wins over "b" when a run of letters is split ("500kđ" → k + đ).
WORDS = tuple(sorted({*UNITS, HALF, *CURRENCY_AFTER} - {"₫"}, key=len, reverse=True))
SIGNS = "-−–"  # hyphen-minus, minus sign, and the en dash phones substitute for it

TOKEN = re.compile(r"(?P<num>[0-9]+(?:[., ][0-9]+)*)|(?P<word>[a-z]+)|(?P<sym>₫)|(?P<gap> )")
EXAMPLES = ("500.000", "1tr2")

# Exact arithmetic whatever the input's length: the default 28 digits would round silently.
EXACT = Context(prec=MAX_PREC, Emax=MAX_EMAX, Emin=MIN_EMIN)


class AmountProblem(StrEnum):
    NOT_A_NUMBER = "not_a_number"
    ZERO = "zero"
    NEGATIVE = "negative"
    FRACTION = "fraction"
    TOO_LARGE = "too_large"


class AmountError(ValueError):
    """Why a text is not an amount; `problem` picks the message the bot answers with."""

    def __init__(self, problem: AmountProblem, text: str):
        super().__init__(f"{problem.value}: {text!r}")
        self.problem = problem
        self.text = text


class _Unreadable(Exception):
    """Internal: the text is not an amount we can read with certainty."""


def example_amounts() -> tuple[str, str]:
    """Two forms the bot suggests after a bad amount: one plain, one with a unit."""
    return EXAMPLES


def parse_amount(text: str, maximum: int = DEFAULT_MAXIMUM) -> int:
    """The whole đồng in `text`, from 1 to `maximum`; otherwise AmountError saying why not."""
    with localcontext(EXACT):
        try:
            negative, value, loose_decimal = _read(text)
        except _Unreadable:
            raise AmountError(AmountProblem.NOT_A_NUMBER, text) from None
        if value == 0:
            raise AmountError(AmountProblem.ZERO, text)
        if negative:
            raise AmountError(AmountProblem.NEGATIVE, text)
        # Without a unit a decimal point can only mean part of a đồng, even "5.00": refuse it so a
        # mistyped "500.00" (meant 500.000) is asked again rather than taken as 500 đồng.
        if loose_decimal or value != value.to_integral_value():
            raise AmountError(AmountProblem.FRACTION, text)
        if value > maximum:
            raise AmountError(AmountProblem.TOO_LARGE, text)
        return int(value)


def _normalise(text: str) -> str:
    """Lower case, no diacritics, one kind of space: "2.000.000\xa0ĐỒNG" → "2.000.000 dong"."""
    decomposed = unicodedata.normalize("NFD", ascii_digits(text).casefold())
    kept = "".join(c for c in decomposed
                   if not unicodedata.combining(c) and unicodedata.category(c) != "Cf")
    return re.sub(r"\s+", " ", kept.replace("đ", "d")).strip()


def _read(text: str) -> tuple[bool, Decimal, bool]:
    """(negative?, value, decimal number without a unit?) or _Unreadable."""
    s = _normalise(text)
    negative = bool(s) and s[0] in SIGNS
    if negative:
        s = s[1:].lstrip()
    if re.fullmatch(r"[a-z ]+", s) and (words := spelled(s.split())) is not None:
        return negative, words, False  # "hai triệu rưỡi", "nửa triệu"
    tokens = _tokens(s)
    currency = 0
    if tokens and tokens[0][0] == "cur" and tokens[0][1] in CURRENCY_BEFORE:
        tokens, currency = tokens[1:], 1
    if tokens and tokens[-1][0] == "cur":
        tokens, currency = tokens[:-1], currency + 1
    if currency > 1 or any(kind == "cur" for kind, _ in tokens):
        raise _Unreadable
    value, loose_decimal = _body(tokens)
    return negative, value, loose_decimal


def _tokens(s: str) -> list[tuple[str, str]]:
    """("num", "1.500") / ("unit", "tr") / ("half", "ruoi") / ("cur", "d"), spaces dropped."""
    tokens: list[tuple[str, str]] = []
    pos = 0
    while pos < len(s):
        match = TOKEN.match(s, pos)
        if match is None:
            raise _Unreadable
        pos = match.end()
        if match["num"]:
            tokens.append(("num", match["num"]))
        elif match["sym"]:
            tokens.append(("cur", "₫"))
        elif match["word"]:
            tokens.extend((_kind(word), word) for word in _split_letters(match["word"]))
    return tokens


def _kind(word: str) -> str:
    if word in UNITS:
        return "unit"
    return "half" if word == HALF else "cur"


def _split_letters(run: str) -> list[str]:
    """A run of letters as known words: people type "500kđ" and "1trieudong" without spaces."""
    n = len(run)
    step = [0] * (n + 1)  # step[i]: length of the word starting at i, 0 if the rest can't split
    for i in range(n - 1, -1, -1):
        for word in WORDS:
            end = i + len(word)
            if run.startswith(word, i) and (end == n or step[end]):
                step[i] = len(word)
                break
    if not step[0]:
        raise _Unreadable
    words, i = [], 0
    while i < n:
        words.append(run[i:i + step[i]])
        i += step[i]
    return words


def _body(tokens: list[tuple[str, str]]) -> tuple[Decimal, bool]:
    """Sum "1 tỷ 500 triệu", then "rưỡi" or trailing digits ("1tr2") on the last unit."""
    if not tokens:
        raise _Unreadable
    total = Decimal(0)
    last_unit: int | None = None
    last_was_decimal = False
    i = 0
    while i < len(tokens):
        kind, raw = tokens[i]
        if kind != "num":
            raise _Unreadable
        number, shape = _number(raw)
        after = tokens[i + 1] if i + 1 < len(tokens) else None
        if after is not None and after[0] == "unit":
            unit = UNITS[after[1]]
            amount = number * unit
            # Larger units first, each part smaller than the unit before: "1 tỷ 500 triệu".
            if last_unit is not None and (unit >= last_unit or amount >= last_unit):
                raise _Unreadable
            total += amount
            last_unit, last_was_decimal = unit, shape == "decimal"
            i += 2
            if i < len(tokens) and tokens[i][0] == "half":
                if last_was_decimal or i + 1 != len(tokens):
                    raise _Unreadable  # "1,5 triệu rưỡi", "1 tỷ rưỡi 200 triệu"
                return total + Decimal(unit) / 2, False
            continue
        if i + 1 != len(tokens):
            raise _Unreadable  # "500 rưỡi", "2 5"
        if last_unit is None:
            return number, shape == "decimal"
        # Trailing digits are the next decimal places of the last unit: "1tr2" = 1.2 triệu,
        # "2 triệu 500" = 2.500 triệu. Past three digits it could be đồng or the next unit.
        if shape != "plain" or len(raw) > 3 or last_was_decimal:
            raise _Unreadable
        return total + Decimal("0." + raw) * last_unit, False
    return total, False


def _number(raw: str) -> tuple[Decimal, str]:
    """A digit string with separators as (value, "plain" | "grouped" | "decimal")."""
    if raw.isdigit():
        return Decimal(raw), "plain"
    if _grouped(raw):
        return Decimal(re.sub(r"[., ]", "", raw)), "grouped"
    cut = max(raw.rfind("."), raw.rfind(","))
    if cut < 0:
        raise _Unreadable  # only spaces, and not in groups of three: "1 5"
    point, whole, fraction = raw[cut], raw[:cut], raw[cut + 1:]
    if " " in fraction or point in whole or not (whole.isdigit() or _grouped(whole)):
        raise _Unreadable  # "1.5.5", "1,00.5", "1 5"
    return Decimal(re.sub(r"[., ]", "", whole) + "." + fraction), "decimal"


def _grouped(raw: str) -> bool:
    """Thousands grouping with one separator: "1.500", "12,345,678", "500 000" (not "0.500")."""
    separators = {c for c in raw if not c.isdigit()}
    if len(separators) != 1:
        return False
    first, *rest = raw.split(separators.pop())
    return (1 <= len(first) <= 3 and first[0] != "0" and bool(rest)
            and all(len(group) == 3 for group in rest))


#: A bare number below this is too small to be meant as đồng: "500" is asked as 500.000 ₫.
BARE_BELOW = 1_000
BARE_DECIMAL = re.compile(r"([0-9]{1,3})[.,]([0-9]{1,2})")


def likely_meant(text: str, maximum: int = DEFAULT_MAXIMUM) -> tuple[int | None, int] | None:
    """An amount typed without its unit, read the way people mean it, to be asked before it
    is taken: "500" → (500, 500.000) — thousands, or exactly 500 đồng; "1,5" or "1.5" →
    (None, 1.500.000) — millions, since 1.5 đồng cannot be. None when the text says what it
    means (a unit, grouping, a large number) or is not an amount at all."""
    s = _normalise(text)
    if re.fullmatch(r"[0-9]+", s) and 0 < int(s) < BARE_BELOW and int(s) * THOUSAND <= maximum:
        return int(s), int(s) * THOUSAND
    match = BARE_DECIMAL.fullmatch(s)
    if match:
        value = int((Decimal(f"{match[1]}.{match[2]}") * MILLION).to_integral_value())
        if 0 < value <= maximum:
            return None, value
    return None


def amount_then_other(text: str, maximum: int) -> tuple[int, str] | None:
    """(amount, the words after it) when the text is not an amount as a whole but its
    longest beginning is: "1tr8 hôm kiaa" → (1800000, "hôm kiaa"); None otherwise."""
    words = text.split()
    try:
        parse_amount(text, maximum)
        return None
    except AmountError:
        pass
    for size in range(len(words) - 1, 0, -1):
        try:
            return parse_amount(" ".join(words[:size]), maximum), " ".join(words[size:])
        except AmountError:
            continue
    return None
