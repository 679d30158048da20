"""Amounts as Vietnamese and English speakers type them; anything else refused with a reason."""

import pytest
from babel.numbers import format_currency, format_decimal
from hypothesis import given
from hypothesis import strategies as st

from models.amounts import (
    DEFAULT_MAXIMUM,
    AmountError,
    AmountProblem,
    example_amounts,
    parse_amount,
)

GOOD = [
    # plain and grouped
    ("500000", 500_000),
    ("500.000", 500_000),
    ("500,000", 500_000),
    ("500 000", 500_000),
    ("500\xa0000", 500_000),
    ("500\u202f000", 500_000),
    ("2.000.000", 2_000_000),
    ("1,500,000", 1_500_000),
    ("12.345.678", 12_345_678),
    ("  75000  ", 75_000),
    ("1", 1),
    ("10.000.000.000", 10_000_000_000),
    # currency marks
    ("2.000.000đ", 2_000_000),
    ("2.000.000 đ", 2_000_000),
    ("2.000.000 ₫", 2_000_000),
    ("2.000.000₫", 2_000_000),
    ("₫500,000", 500_000),
    ("2 000 000 VND", 2_000_000),
    ("VND 500.000", 500_000),
    ("2000000 vnd", 2_000_000),
    ("2000000 vnđ", 2_000_000),
    ("2000000 VNĐ", 2_000_000),
    ("2000000 đồng", 2_000_000),
    ("2000000 dong", 2_000_000),
    ("2000000 ĐỒNG", 2_000_000),
    ("500.000d", 500_000),
    # thousands
    ("500k", 500_000),
    ("500K", 500_000),
    ("500 k", 500_000),
    ("500k đồng", 500_000),
    ("500kđ", 500_000),
    ("500 nghìn", 500_000),
    ("500 ngàn", 500_000),
    ("500 nghin", 500_000),
    ("500 ngan", 500_000),
    ("500 Nghìn Đồng", 500_000),
    ("500 thousand", 500_000),
    ("2k5", 2_500),
    ("2K500", 2_500),
    ("2.5k", 2_500),
    ("1,000k", 1_000_000),
    # millions
    ("1tr", 1_000_000),
    ("1 tr", 1_000_000),
    ("1TR", 1_000_000),
    ("1tr2", 1_200_000),
    ("1 tr 2", 1_200_000),
    ("1tr25", 1_250_000),
    ("1tr05", 1_050_000),
    ("1tr250", 1_250_000),
    ("1 triệu", 1_000_000),
    ("1 trieu", 1_000_000),
    ("1 TRIỆU", 1_000_000),
    ("1triệu", 1_000_000),
    ("1,5 triệu", 1_500_000),
    ("1.5tr", 1_500_000),
    ("1.25tr", 1_250_000),
    ("0,5 triệu", 500_000),
    ("1 triệu rưỡi", 1_500_000),
    ("1 trieu ruoi", 1_500_000),
    ("1tr rưỡi", 1_500_000),
    ("1 triệu rưởi", 1_500_000),
    ("2 củ", 2_000_000),
    ("2 cu", 2_000_000),
    ("2củ", 2_000_000),
    ("2m", 2_000_000),
    ("2M", 2_000_000),
    ("2 million", 2_000_000),
    ("2 mil", 2_000_000),
    ("1.5m", 1_500_000),
    ("1trieudong", 1_000_000),
    ("2 triệu đồng", 2_000_000),
    ("1.500 triệu", 1_500_000_000),
    # billions
    ("2 tỷ", 2_000_000_000),
    ("2 tỉ", 2_000_000_000),
    ("2 ty", 2_000_000_000),
    ("2 ti", 2_000_000_000),
    ("2 TỶ", 2_000_000_000),
    ("1,2 tỷ", 1_200_000_000),
    ("2b", 2_000_000_000),
    ("2bn", 2_000_000_000),
    ("2 billion", 2_000_000_000),
    ("1 tỷ rưỡi", 1_500_000_000),
    ("1 tỷ 2", 1_200_000_000),
    ("10 tỷ", 10_000_000_000),
    # compound
    ("1 triệu 200 nghìn", 1_200_000),
    ("1tr200k", 1_200_000),
    ("1tr 200k", 1_200_000),
    ("1 tỷ 500 triệu", 1_500_000_000),
    ("1 ty 500 trieu 200 nghin", 1_500_200_000),
    ("2 triệu 500", 2_500_000),
    ("2 nghìn 500", 2_500),
    ("2 million 500 thousand", 2_500_000),
    ("1 triệu 200 nghìn đồng", 1_200_000),
    ("1 tỷ 500 triệu rưỡi", 1_500_500_000),
    # decomposed (NFD) Vietnamese, as some keyboards send it: e + dot below + circumflex
    ("1 tri\u0065\u0323\u0302u", 1_000_000),
    # spelled out, as older people type them
    ("nửa triệu", 500_000),
    ("hai triệu", 2_000_000),
    ("hai triệu rưỡi", 2_500_000),
    ("mười lăm triệu", 15_000_000),
    ("Mười Lăm Triệu Đồng", 15_000_000),
    ("mười triệu", 10_000_000),
    ("hai mươi mốt triệu", 21_000_000),
    ("hai mươi tư nghìn", 24_000),
    ("bảy mươi lăm ngàn", 75_000),
    ("một trăm nghìn", 100_000),
    ("năm trăm nghìn đồng", 500_000),
    ("hai trăm rưỡi nghìn", 250_000),
    ("một trăm linh năm nghìn", 105_000),
    ("một triệu hai trăm nghìn", 1_200_000),
    ("một triệu hai", 1_200_000),
    ("một tỷ hai", 1_200_000_000),
    ("nua trieu", 500_000),
    ("５００k", 500_000),
    ("năm trăm", 500),
    ("half a million", 500_000),
    ("a million", 1_000_000),
    ("two million", 2_000_000),
    ("fifteen million", 15_000_000),
    ("five hundred thousand", 500_000),
    ("one hundred and fifty thousand", 150_000),
]

BAD = [
    ("", AmountProblem.NOT_A_NUMBER),
    ("   ", AmountProblem.NOT_A_NUMBER),
    ("abc", AmountProblem.NOT_A_NUMBER),
    ("500 đô", AmountProblem.NOT_A_NUMBER),
    ("$500", AmountProblem.NOT_A_NUMBER),
    ("1..5", AmountProblem.NOT_A_NUMBER),
    ("5tr tr", AmountProblem.NOT_A_NUMBER),
    ("k", AmountProblem.NOT_A_NUMBER),
    ("tr2", AmountProblem.NOT_A_NUMBER),
    ("đ", AmountProblem.NOT_A_NUMBER),
    ("-", AmountProblem.NOT_A_NUMBER),
    ("-abc", AmountProblem.NOT_A_NUMBER),
    ("1.50.000", AmountProblem.NOT_A_NUMBER),
    ("12,50,000", AmountProblem.NOT_A_NUMBER),
    ("1 5", AmountProblem.NOT_A_NUMBER),
    ("500.000.", AmountProblem.NOT_A_NUMBER),
    ("500 rưỡi", AmountProblem.NOT_A_NUMBER),
    ("1,5 triệu rưỡi", AmountProblem.NOT_A_NUMBER),
    ("triệu", AmountProblem.NOT_A_NUMBER),
    ("5²", AmountProblem.NOT_A_NUMBER),  # ASCII digits only (full-width ones read as such)
    ("٥٠٠k", AmountProblem.NOT_A_NUMBER),
    ("một triệu hai trăm", AmountProblem.NOT_A_NUMBER),  # 1.2 million, or 1,000,200?
    ("hai hai", AmountProblem.NOT_A_NUMBER),
    ("ba triệu một triệu", AmountProblem.NOT_A_NUMBER),
    ("không", AmountProblem.ZERO),
    ("1tr2 rưỡi", AmountProblem.NOT_A_NUMBER),
    ("1 triệu 2500", AmountProblem.NOT_A_NUMBER),
    ("1 triệu 200.000", AmountProblem.NOT_A_NUMBER),
    ("200k 1tr", AmountProblem.NOT_A_NUMBER),
    ("1tr 1500k", AmountProblem.NOT_A_NUMBER),
    ("5tr 3tr", AmountProblem.NOT_A_NUMBER),
    ("₫500đ", AmountProblem.NOT_A_NUMBER),
    ("500k - 200k", AmountProblem.NOT_A_NUMBER),
    ("1.000.5", AmountProblem.NOT_A_NUMBER),
    ("0", AmountProblem.ZERO),
    ("0đ", AmountProblem.ZERO),
    ("0k", AmountProblem.ZERO),
    ("000", AmountProblem.ZERO),
    ("-0", AmountProblem.ZERO),
    ("-500k", AmountProblem.NEGATIVE),
    ("- 500.000", AmountProblem.NEGATIVE),
    ("−500000", AmountProblem.NEGATIVE),
    ("-₫500,000", AmountProblem.NEGATIVE),
    ("1,5", AmountProblem.FRACTION),
    ("1.5", AmountProblem.FRACTION),
    ("12.50", AmountProblem.FRACTION),
    ("1000.5", AmountProblem.FRACTION),
    ("0.500", AmountProblem.FRACTION),
    ("500.00", AmountProblem.FRACTION),
    ("1.000,50", AmountProblem.FRACTION),
    ("1,000.50", AmountProblem.FRACTION),
    ("1.0005k", AmountProblem.FRACTION),
    ("1.0000001tr", AmountProblem.FRACTION),
    ("1.0000000000000000000000000000001 tỷ", AmountProblem.FRACTION),
    ("11 tỷ", AmountProblem.TOO_LARGE),
    ("10.000.000.001", AmountProblem.TOO_LARGE),
    ("99999999999999999999999999999999999 tỷ", AmountProblem.TOO_LARGE),
]

AMOUNTS = st.integers(min_value=1, max_value=DEFAULT_MAXIMUM)


@pytest.mark.parametrize(("text", "expected"), GOOD)
def test_reads_amount(text, expected):
    assert parse_amount(text) == expected


@pytest.mark.parametrize(("text", "problem"), BAD)
def test_refuses_with_reason(text, problem):
    with pytest.raises(AmountError) as caught:
        parse_amount(text)
    assert caught.value.problem is problem
    assert caught.value.text == text


def test_maximum_is_inclusive_and_configurable():
    assert parse_amount("100k", maximum=100_000) == 100_000
    with pytest.raises(AmountError) as caught:
        parse_amount("100.001", maximum=100_000)
    assert caught.value.problem is AmountProblem.TOO_LARGE


def test_examples_parse():
    assert [parse_amount(text) for text in example_amounts()] == [500_000, 1_200_000]


def test_error_is_a_value_error():
    assert issubclass(AmountError, ValueError)


@given(AMOUNTS)
def test_vietnamese_number_format_round_trips(n):
    assert parse_amount(format_decimal(n, locale="vi")) == n


@given(AMOUNTS)
def test_english_number_format_round_trips(n):
    assert parse_amount(format_decimal(n, locale="en")) == n


@given(AMOUNTS)
def test_vietnamese_currency_format_round_trips(n):
    assert parse_amount(format_currency(n, "VND", locale="vi_VN")) == n


@given(AMOUNTS)
def test_english_currency_format_round_trips(n):
    assert parse_amount(format_currency(n, "VND", locale="en")) == n


@given(AMOUNTS)
def test_bare_digits_round_trip(n):
    assert parse_amount(str(n)) == n


@given(st.integers(min_value=1, max_value=10_000_000))
def test_thousands_unit(n):
    assert parse_amount(f"{n}k") == n * 1000
    assert parse_amount(f"{format_decimal(n, locale='vi')} nghìn") == n * 1000


@given(st.integers(min_value=1, max_value=9_999), st.integers(min_value=0, max_value=999))
def test_millions_with_trailing_digits(millions, thousands):
    expected = millions * 1_000_000 + thousands * 1000
    assert parse_amount(f"{millions}tr{thousands:03d}") == expected
    assert parse_amount(f"{millions} triệu {thousands} nghìn") == expected


def _outcome(text: str, maximum: int = DEFAULT_MAXIMUM):
    try:
        value = parse_amount(text, maximum)
    except AmountError as error:
        assert isinstance(error.problem, AmountProblem)
        return error.problem
    assert isinstance(value, int)
    assert 1 <= value <= maximum
    return value


@given(st.text())
def test_any_text_is_an_amount_or_an_amount_error(text):
    _outcome(text)


PIECES = ["0", "1", "5", "12", "500", "000", ".", ",", " ", "\xa0", "-", "k", "tr", "triệu",
          "rưỡi", "tỷ", "củ", "m", "bn", "đ", "₫", "vnd", "đồng", "nghìn", "d", "x"]


@given(st.lists(st.sampled_from(PIECES), max_size=12).map("".join),
       st.integers(min_value=1, max_value=DEFAULT_MAXIMUM))
def test_amount_shaped_text_is_an_amount_or_an_amount_error(text, maximum):
    _outcome(text, maximum)


# ---- amounts typed without their unit (issue 9) ------------------------------------------------

@pytest.mark.parametrize(("text", "meant"), [
    ("500", (500, 500_000)), ("2", (2, 2_000)), ("999", (999, 999_000)), (" 50 ", (50, 50_000)),
    ("1,5", (None, 1_500_000)), ("1.5", (None, 1_500_000)), ("12,25", (None, 12_250_000)),
])
def test_a_number_without_a_unit_is_asked_as_people_mean_it(text, meant):
    from models.amounts import likely_meant
    assert likely_meant(text) == meant


@pytest.mark.parametrize("text", [
    "1000", "1.500", "500k", "500 nghìn", "1tr5", "1,5 triệu", "nửa triệu", "hai triệu", "0",
    "-5", "abc", "", "1.500.000", "1,500", "500đ",
])
def test_an_amount_that_says_what_it_means_is_not_asked_about(text):
    from models.amounts import likely_meant
    assert likely_meant(text) is None


def test_a_suggestion_never_goes_above_the_maximum():
    from models.amounts import likely_meant
    assert likely_meant("500", maximum=100_000) is None
    assert likely_meant("1,5", maximum=1_000_000) is None


@pytest.mark.parametrize(("text", "amount"), [
    ("nửa triệu", 500_000), ("hai triệu", 2_000_000), ("mười lăm triệu", 15_000_000),
])
def test_spelled_amounts_used_on_the_pledge_path(text, amount):
    assert parse_amount(text) == amount


@pytest.mark.parametrize(("text", "found"), [
    ("1tr8 hôm kiaa", (1_800_000, "hôm kiaa")),
    ("1 triệu 8 hôm kiaa", (1_800_000, "hôm kiaa")),
    ("2.000.000 ngày mốt kia", (2_000_000, "ngày mốt kia")),
    ("1 triệu", None), ("1tr8", None), ("nhiều hôm qua", None), ("", None),
])
def test_an_amount_followed_by_what_is_not_a_day(text, found):
    from models.amounts import amount_then_other
    assert amount_then_other(text, 10**10) == found
