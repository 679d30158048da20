"""Amounts spelled out in words, as older people type them: "nửa triệu", "hai triệu rưỡi",
"mười lăm triệu", "một trăm nghìn", "two million".

The words arrive without diacritics (amounts.py folds them first), so "mười" (ten) and
"mươi" (the tens of "hai mươi") are both "muoi", and "một"/"mốt" both "mot": position tells
them apart, as it does for a Vietnamese reader. Anything that is not a well-formed number is
None, never a guess.
"""

from __future__ import annotations

from decimal import Decimal

DIGITS = {"khong": 0, "mot": 1, "hai": 2, "ba": 3, "bon": 4, "nam": 5, "sau": 6, "bay": 7,
          "tam": 8, "chin": 9,
          "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
          "eight": 8, "nine": 9}
AFTER_TENS = {"mot": 1, "tu": 4, "lam": 5, "nham": 5}  # hai mươi mốt, hai mươi tư, mười lăm
TEENS = {"ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
         "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19}
TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
        "eighty": 80, "ninety": 90}
HUNDRED = ("tram", "hundred")
ZERO_TENS = ("linh", "le")  # một trăm linh năm: 105
TEN = "muoi"
SCALES = {"nghin": 10**3, "ngan": 10**3, "thousand": 10**3, "trieu": 10**6, "million": 10**6,
          "cu": 10**6, "ty": 10**9, "ti": 10**9, "billion": 10**9}
HALF_BEFORE = ("nua", "half")  # nửa triệu, half a million
HALF_AFTER = "ruoi"  # hai triệu rưỡi, hai trăm rưỡi
FILLERS = ("a", "and", "dong", "d", "vnd")
WORDS = frozenset({*DIGITS, *AFTER_TENS, *TEENS, *TENS, *HUNDRED, *ZERO_TENS, TEN, *SCALES,
                   *HALF_BEFORE, HALF_AFTER, *FILLERS})


def spelled(words: list[str]) -> Decimal | None:
    """The value of number words (folded, lower case), or None if they are not one."""
    words = _without_fillers(words)
    if not words or any(w not in WORDS for w in words) or \
            not any(w in DIGITS or w in TEENS or w in TENS or w == TEN or w in HALF_BEFORE
                    for w in words):
        return None
    total, last_scale = Decimal(0), None
    i = 0
    while i < len(words):
        begun = i
        part, i = _below_thousand(words, i)
        if part is None:
            return None
        if i == len(words):  # the end: đồng, or after a unit its next digit ("một triệu hai")
            if last_scale is None:
                return total + part
            if i - begun == 1 and words[begun] in DIGITS:
                return total + part * last_scale / 10
            return None
        if words[i] not in SCALES:
            return None
        scale = SCALES[words[i]]
        if last_scale is not None and scale >= last_scale:
            return None  # larger units first: "một tỷ hai trăm triệu"
        i += 1
        if i < len(words) and words[i] == HALF_AFTER:  # hai triệu rưỡi
            part, i = part + Decimal("0.5"), i + 1
        total, last_scale = total + part * scale, scale
    return total


def _without_fillers(words: list[str]) -> list[str]:
    """"a million" is one million, "half a million" half of one; "and", "đồng" say nothing."""
    kept: list[str] = []
    for i, word in enumerate(words):
        nxt = words[i + 1] if i + 1 < len(words) else ""
        if word == "a" and (nxt in SCALES or nxt in HUNDRED) and \
                not (kept and kept[-1] in HALF_BEFORE):
            kept.append("one")
        elif word not in FILLERS:
            kept.append(word)
    return kept


def _below_thousand(words: list[str], i: int) -> tuple[Decimal | None, int]:
    """A number under a thousand from words[i:] (or a half), and where it stopped."""
    if i < len(words) and words[i] in HALF_BEFORE:
        return Decimal("0.5"), i + 1
    value, start = 0, i
    digit = None
    if i < len(words) and words[i] in DIGITS:
        digit, i = DIGITS[words[i]], i + 1
    if i < len(words) and words[i] in HUNDRED:
        value, digit, i = (digit or 1) * 100, None, i + 1
        if i < len(words) and words[i] == HALF_AFTER:
            return Decimal(value + 50), i + 1
        if i < len(words) and words[i] in ZERO_TENS:  # một trăm linh năm
            i += 1
            if i < len(words) and words[i] in DIGITS:
                return Decimal(value + DIGITS[words[i]]), i + 1
            return None, i
        if i < len(words) and words[i] in DIGITS:
            digit, i = DIGITS[words[i]], i + 1
    if i < len(words) and words[i] == TEN:  # hai mươi / mười
        value += (digit if digit is not None else 1) * 10
        digit, i = None, i + 1
        if i < len(words) and (words[i] in AFTER_TENS or words[i] in DIGITS):
            value += AFTER_TENS.get(words[i], DIGITS.get(words[i], 0))
            i += 1
    elif i < len(words) and words[i] in TEENS and digit is None:
        value, i = value + TEENS[words[i]], i + 1
    elif i < len(words) and words[i] in TENS and digit is None:
        value, i = value + TENS[words[i]], i + 1
        if i < len(words) and words[i] in DIGITS:
            value, i = value + DIGITS[words[i]], i + 1
    if digit is not None:
        value += digit
    return (Decimal(value) if i > start else None), i
