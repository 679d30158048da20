"""Reading what people type (amounts, dates, whole numbers), with a clear answer and two
examples that work whenever the text cannot be read."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlmodel import Session
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.ext import CallbackQueryHandler, ContextTypes

from bot.config import Config
from bot.context import Me, escape, local_today, me, reply, services
from bot.i18n import N_
from handlers.router import EXPIRED
from models.amounts import (
    AmountError,
    AmountProblem,
    example_amounts,
    likely_meant,
    parse_amount,
)
from models.broadcasts import SEND
from models.dates import InputProblem, Lean, parse_day, parse_moment
from models.dialogs import get_dialog, save_dialog
from models.numbers import whole

AMOUNT_PROBLEMS = {
    AmountProblem.NOT_A_NUMBER: N_("“{text}” is not an amount I can read."),
    AmountProblem.ZERO: N_("The amount must be more than zero."),
    AmountProblem.NEGATIVE: N_("The amount cannot be negative."),
    AmountProblem.FRACTION: N_("Amounts are in whole đồng, without fractions."),
    AmountProblem.TOO_LARGE: N_("That is more than {maximum}, the most one pledge may carry."),
}


async def read_amount(update: Update, person: Me, text: str, maximum: int,
                      context: ContextTypes.DEFAULT_TYPE | None = None,
                      **keep: Any) -> int | None:
    """The amount in đồng, or None after telling the person what was wrong. With `context`
    (a step listed in AMOUNT_STEPS), an amount typed without its unit ("500", "1,5") is asked
    about first ("500.000 ₫?"); the answer goes on through the step's AmountNext, with `keep`
    (answers given beside the amount) stored meanwhile."""
    _ = person._
    guess = likely_meant(text, maximum) if context is not None else None
    if guess is not None:
        typed, meant = guess
        await services(context).db.run(_remember, person.id, [meant, typed], keep)
        rows = [[InlineKeyboardButton(_("✅ Yes, {amount}", amount=_.money(meant)),
                                      callback_data="amt:0")]]
        if typed is not None:
            rows.append([InlineKeyboardButton(_("No, exactly {amount}", amount=_.money(typed)),
                                              callback_data="amt:1")])
        rows.append([InlineKeyboardButton(_("✏ Type it again"), callback_data="amt:r")])
        await reply(update, _("Did you mean {amount}?", amount=_.money(meant)),
                    InlineKeyboardMarkup(rows), edit=False)
        return None
    try:
        return parse_amount(text, maximum)
    except AmountError as error:
        first, second = example_amounts()
        await reply(update, _(AMOUNT_PROBLEMS[error.problem], text=escape(text[:50]),
                              maximum=_.money(maximum)) + " " +
                    _("Type it like {first} or {second}.", first=first, second=second))
        return None


def _remember(session: Session, user_id: int, maybe: list[int | None],
              keep: dict[str, Any]) -> None:
    dialog = get_dialog(session, user_id)
    if dialog is not None:
        save_dialog(session, user_id, dialog.flow, dialog.step, maybe=maybe, **keep)


#: What a step does with an amount once it is settled: (update, context, person, amount,
#: the dialog's answers).
AmountNext = Callable[[Update, ContextTypes.DEFAULT_TYPE, Me, int, dict[str, Any]],
                      Awaitable[None]]


def _settle(session: Session, user_id: int, steps: Mapping[tuple[str, str], AmountNext],
            choice: str):
    """(the step's AmountNext, the amount chosen or None to type again, the answers), or
    None when the question is no longer open (another step, or already answered)."""
    dialog = get_dialog(session, user_id)
    if dialog is None or (dialog.flow, dialog.step) not in steps or \
            not isinstance(maybe := dialog.data.get("maybe"), list) or len(maybe) != 2:
        return None
    amount = None if choice == "r" else maybe[int(choice)]
    if choice != "r" and amount is None:
        return None
    data = save_dialog(session, user_id, dialog.flow, dialog.step, maybe=None).data
    return steps[(dialog.flow, dialog.step)], amount, dict(data)


def amount_handler(steps: Mapping[tuple[str, str], AmountNext]) -> CallbackQueryHandler:
    """The answer to "Did you mean 500.000 ₫?": amt:0 yes, amt:1 exactly as typed, amt:r type
    again. Only the amounts stored in the person's dialog can be chosen."""
    async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.callback_query.answer()
        person = await me(update, context)
        if person is None:
            return
        choice = update.callback_query.data.removeprefix("amt:")
        found = await services(context).db.run(_settle, person.id, steps, choice)
        if found is None:
            await reply(update, person._(EXPIRED))
            return
        step, amount, data = found
        if amount is None:
            await reply(update, person._("Type the amount again, for example 500.000 or 1tr5."))
            return
        await reply(update, person._("Amount: {amount}", amount=person._.money(amount)))
        await step(update, context, person, amount, data)

    return CallbackQueryHandler(pressed, pattern=r"^amt:[01r]$")


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


TOO_BIG = N_("That file is {size} MB; a broadcast or a campaign letter carries up to {n} MB, "
             "since everyone who receives it downloads it. Send a shorter or smaller one.")
ALBUM_REFUSED = N_("This one could not join the album: an album holds up to 10 photos and "
                   "videos, or documents only, or audio files only.")


async def refuse_big(update: Update, person: Me, size: int, config: Config) -> bool:
    """True (and the person told why) when a file is over `broadcasts.max_file_mb`."""
    if size <= config.broadcast_max_file:
        return False
    await reply(update, person._(TOO_BIG, size=person._.number(round(size / 2 ** 20, 1)),
                                 n=person._.number(config.broadcast_max_file // 2 ** 20)))
    return True


def sent_media(message: Message) -> tuple[dict[str, str], int] | None:
    """The media a message carries, as Loa re-sends it ({kind, file_id}), and its size in
    bytes (0 when Telegram does not say); None for a text. An animation also carries a
    document: it is found first."""
    for kind in SEND:
        found = getattr(message, kind, None)
        if found:
            item = found[-1] if kind == "photo" else found
            return {"kind": kind, "file_id": item.file_id}, item.file_size or 0
    return None
