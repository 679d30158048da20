"""Typed text goes to the step the person is at; every flow says which steps take text."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from telegram import Update
from telegram.ext import ContextTypes, MessageHandler, filters

from bot.context import Me, guessed, me, reply, services
from models.dialogs import get_dialog

TextStep = Callable[[Update, ContextTypes.DEFAULT_TYPE, Me, str], Awaitable[None]]

MAX_TEXT = 4096  # a Telegram message is at most this long anyway


def text_router(steps: dict[tuple[str, str], TextStep]) -> MessageHandler:
    async def route(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        person = await me(update, context)
        if person is None:
            return
        dialog = await services(context).db.run(get_dialog, person.id)
        step = steps.get((dialog.flow, dialog.step)) if dialog else None
        if step is None:
            await reply(update, person._("I did not understand that. Send /help to see what "
                                         "you can do."))
            return
        message = update.effective_message
        await step(update, context, person, (message.text or message.caption or "")[:MAX_TEXT])

    accepted = (filters.TEXT & ~filters.COMMAND) | filters.Document.ALL | filters.PHOTO
    return MessageHandler(accepted, route)


async def unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    person = await me(update, context, must_exist=False)
    _ = person._ if person else guessed(update, context)
    await reply(update, _("Unknown command. Send /help to see what you can do."))


def unknown_command_handler() -> MessageHandler:
    return MessageHandler(filters.COMMAND, unknown_command)
