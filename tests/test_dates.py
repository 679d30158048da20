"""Dates and times as people type them: which year a date without one is in depends on the
question; words for today and yesterday; times in every common shape; either order."""

from datetime import date, datetime, time

import pytest

from models.dates import (
    InputProblem,
    Lean,
    parse_clock,
    parse_day,
    parse_moment,
    parse_period,
    split_trailing_day,
)

TODAY = date(2026, 11, 23)


@pytest.mark.parametrize(("text", "lean", "day"), [
    ("18/11/2023", Lean.NEAR, date(2023, 11, 18)),
    ("18/11/23", Lean.PAST, date(2023, 11, 18)),
    ("18.11.2023", Lean.FUTURE, date(2023, 11, 18)),
    ("22/11", Lean.PAST, date(2026, 11, 22)),
    ("25/11", Lean.PAST, date(2025, 11, 25)),     # a payment received: not in the future
    ("22/11", Lean.FUTURE, date(2027, 11, 22)),   # a deadline: not in the past
    ("25/11", Lean.FUTURE, date(2026, 11, 25)),
    ("5/1", Lean.NEAR, date(2027, 1, 5)),         # nearer next January than last
    ("5/6", Lean.NEAR, date(2026, 6, 5)),
    ("ngày 20/11", Lean.PAST, date(2026, 11, 20)),
    ("hôm nay", Lean.PAST, TODAY),
    ("Hôm qua", Lean.PAST, date(2026, 11, 22)),
    ("hom qua", Lean.PAST, date(2026, 11, 22)),
    ("hôm kia", Lean.PAST, date(2026, 11, 21)),
    ("mai", Lean.FUTURE, date(2026, 11, 24)),
    ("ngày mai", Lean.FUTURE, date(2026, 11, 24)),
    ("ngày kia", Lean.FUTURE, date(2026, 11, 25)),
    ("today", Lean.PAST, TODAY),
    ("yesterday", Lean.PAST, date(2026, 11, 22)),
    ("tomorrow", Lean.FUTURE, date(2026, 11, 24)),
    ("２２/１１", Lean.PAST, date(2026, 11, 22)),
])
def test_days(text, lean, day):
    assert parse_day(text, TODAY, lean) == day


@pytest.mark.parametrize("text", ["31/02/2024", "32/1", "11/22/2026", "next week", "22", "",
                                  "²²/11", "٢٢/١١", "29/02"])
def test_not_days(text):
    with pytest.raises(InputProblem):
        parse_day(text, date(2025, 3, 1), Lean.FUTURE)


@pytest.mark.parametrize(("text", "clock"), [
    ("08:00", time(8)), ("8:30", time(8, 30)), ("8h", time(8)), ("8H", time(8)),
    ("8h30", time(8, 30)), ("20h30", time(20, 30)), ("8 giờ", time(8)), ("8g", time(8)),
    ("8 giờ 30", time(8, 30)), ("8 giờ 30 phút", time(8, 30)), ("8 giờ sáng", time(8)),
    ("2 giờ chiều", time(14)), ("7 giờ tối", time(19)), ("7h tối", time(19)),
    ("9 giờ đêm", time(21)), ("2 giờ đêm", time(2)), ("12 giờ đêm", time(0)),
    ("12 giờ trưa", time(12)), ("11 giờ trưa", time(11)), ("8pm", time(20)),
    ("8 am", time(8)), ("12am", time(0)), ("12 pm", time(12)), ("０８:００", time(8)),
])
def test_times(text, clock):
    assert parse_clock(text) == clock


@pytest.mark.parametrize("text", ["8", "25:00", "8:75", "sáng", "8 giờ 5", "h30", ""])
def test_not_times(text):
    with pytest.raises(InputProblem):
        parse_clock(text)


@pytest.mark.parametrize(("text", "moment"), [
    ("25/11 08:00", datetime(2026, 11, 25, 8)),
    ("08:00 25/11", datetime(2026, 11, 25, 8)),   # the order Loa itself writes
    ("30/11/2026 8h", datetime(2026, 11, 30, 8)),
    ("8h sáng mai", datetime(2026, 11, 24, 8)),
    ("mai 20h30", datetime(2026, 11, 24, 20, 30)),
    ("8 giờ tối ngày 1/12", datetime(2026, 12, 1, 20)),
])
def test_moments_either_order(text, moment):
    assert parse_moment(text, TODAY) == moment


def test_periods_take_the_year_that_makes_sense():
    assert parse_period("1/12 - 31/12", TODAY) == (date(2026, 12, 1), date(2026, 12, 31))
    assert parse_period("15/12 đến 15/1", TODAY) == (date(2026, 12, 15), date(2027, 1, 15))
    assert parse_period("17/10/2023 - 18/11/2023", TODAY) == (date(2023, 10, 17),
                                                                date(2023, 11, 18))
    assert parse_period("17/10/2023 – 18/11", TODAY) == (date(2023, 10, 17),
                                                           date(2023, 11, 18))
    for bad in ("18/11/2023 - 17/10/2023", "1/12", "soon"):
        with pytest.raises(InputProblem):
            parse_period(bad, TODAY)


def test_an_amount_with_a_day_after_it():
    assert split_trailing_day("1tr8 hôm qua", TODAY, Lean.PAST) == ("1tr8", date(2026, 11, 22))
    assert split_trailing_day("1tr8 20/11", TODAY, Lean.PAST) == ("1tr8", date(2026, 11, 20))
    assert split_trailing_day("2 triệu rưỡi", TODAY, Lean.PAST) == ("2 triệu rưỡi", None)
    assert split_trailing_day("500k", TODAY, Lean.PAST) == ("500k", None)
