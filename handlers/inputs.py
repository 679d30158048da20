"""Reading what people type (amounts, dates, whole numbers), with a clear answer and two
examples that work whenever the text cannot be read."""

from __future__ import annotations

import contextlib
from datetime import UTC, date, datetime, timedelta

from telegram import Update

from bot.config import Config
from bot.context import Me, escape, local_today, reply
from bot.i18n import N_
from models.amounts import AmountError, AmountProblem, example_amounts, parse_amount
from models.dates import InputProblem, Lean, parse_day, parse_moment
from models.numbers import whole

AMOUNT_PROBLEMS = {
    AmountProblem.NOT_A_NUMBER: N_("“{text}” is not an amount I can read."),
    AmountProblem.ZERO: N_("The amount must be more than zero."),
    AmountProblem.NEGATIVE: N_("The amount cannot be negative."),
    AmountProblem.FRACTION: N_("Amounts are in whole đồng, without fractions."),
    AmountProblem.TOO_LARGE: N_("That is more than {maximum}, the most one pledge may carry."),
}


async def read_amount(update: Update, person: Me, text: str, maximum: int) -> int | None:
    """The amount in đồng, or None after telling the person what was wrong."""
    _ = person._
    try:
        return parse_amount(text, maximum)
    except AmountError as error:
        first, second = example_amounts()
        await reply(update, _(AMOUNT_PROBLEMS[error.problem], text=escape(text[:50]),
                              maximum=_.money(maximum)) + " " +
                    _("Type it like {first} or {second}.", first=first, second=second))
        return None


async def read_past_date(update: Update, person: Me, text: str, today: date) -> date | None:
    """A day up to today ("20/11", "hôm qua"), or None after saying what was wrong."""
    try:
        day = parse_day(text, today, Lean.PAST)
    except InputProblem:
        await reply(update, person._("“{text}” is not a date I can read. Type it like {full} "
                                     "or {short}, or “hôm qua”.", text=escape(text[:50]),
                                     full=f"{today:%d/%m/%Y}", short=f"{today:%d/%m}"))
        return None
    if day > today:
        await reply(update, person._("{date} is still to come. Type a date up to today, "
                                     "like {today}.", date=person._.date(day),
                                     today=person._.date(today)))
        return None
    return day


def example_moment(config: Config, days_ahead: int) -> str:
    """A local date and time some days ahead, to show how one is typed."""
    return f"{local_today(config) + timedelta(days=days_ahead):%d/%m/%Y} 08:00"


async def read_moment(update: Update, person: Me, text: str, config: Config,
                      days_ahead: int = 1) -> datetime | None:
    """A local date and time still to come ("30/11/2026 08:00", "08:00 30/11", "8h sáng
    mai") as UTC, or None after telling the person how to type one."""
    when = None
    with contextlib.suppress(InputProblem):
        local = parse_moment(text, local_today(config), Lean.FUTURE)
        when = local.replace(tzinfo=config.timezone).astimezone(UTC)
    if when is None or when <= datetime.now(UTC):
        await reply(update, person._("Type a date and time still to come, for example "
                                     "“{example}”.", example=example_moment(config, days_ahead)))
        return None
    return when


async def read_count(update: Update, person: Me, text: str, maximum: int = 10**6) -> int | None:
    """A whole number of things (houses, bags of rice)."""
    count = whole(text.strip().replace(".", "").replace(",", ""), maximum)
    if count:
        return count
    await reply(update, person._("“{text}” is not a whole number. Type it like 1 or 7.",
                                 text=escape(text[:50])))
    return None
