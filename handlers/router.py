"""Typed text goes to the step the person is at; every flow says which steps take text."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, NamedTuple

from telegram import InlineKeyboardButton, Update
from telegram.ext import ContextTypes, MessageHandler, filters

from bot.context import Me, guessed, me, reply
from bot.i18n import N_, Translator
from models.users import Actor

TextStep = Callable[[Update, ContextTypes.DEFAULT_TYPE, Me, str], Awaitable[None]]

EXPIRED = N_("This button has expired.")
CANCEL, BACK = "nav:x", "nav:b"  # handled in handlers/leave.py


def nav_row(_: Translator, back: bool = True) -> list[InlineKeyboardButton]:
    """⬅ (unless this is the first question) and ✖, under a question that waits for an answer."""
    row = [InlineKeyboardButton(_("⬅ Back"), callback_data=BACK)] if back else []
    return [*row, InlineKeyboardButton(_("✖ Cancel"), callback_data=CANCEL)]


class StepPress(NamedTuple):
    """A button pressed inside a conversation: who, their answers so far, the button's value."""

    person: Me
    data: dict[str, Any]
    value: str


async def step_press(update: Update, context: ContextTypes.DEFAULT_TYPE, flow: str,
                     steps: tuple[str, ...], expired: str = EXPIRED,
                     allowed: Callable[[Actor], bool] | None = None) -> StepPress | None:
    """The press when the person is at one of these steps of the flow (and allowed); else
    they hear the button has expired, since callback data outlives its conversation."""
    query = update.callback_query
    await query.answer()
    person = await me(update, context)
    if person is None:
        return None
    dialog = person.dialog
    if (dialog is None or dialog.flow != flow or dialog.step not in steps
            or (allowed and not allowed(person.actor))):
        await reply(update, person._(expired))
        return None
    return StepPress(person, dialog.data, query.data.split(":", 2)[2])


MAX_TEXT = 4096  # a Telegram message is at most this long anyway


#: What a person can send that no step uses (a contact is onboarding's). Sent, not edited: a
#: live location is edited every few seconds while shared.
UNUSABLE = (filters.Sticker.ALL | filters.LOCATION | filters.POLL | filters.Dice.ALL |
            filters.STORY | filters.GAME) & filters.UpdateType.MESSAGE


async def ask_for_words(update: Update, person: Me) -> None:
    """The answer to a message with no words (a sticker, a photo) at a step that reads words."""
    await reply(update, person._("Loa cannot read this message at this step: please type your "
                                 "answer to the question above."))


Document = Callable[[Update, ContextTypes.DEFAULT_TYPE, Me], Awaitable[None]]


def takes_media(step: TextStep) -> TextStep:
    """Marks a step that reads what is sent, not only words (a photo, a file, a broadcast):
    a message with no words goes to it; at any other step the router asks for words."""
    step.takes_media = True
    return step


def text_router(steps: dict[tuple[str, str], TextStep],
                leave: tuple[Callable[[str], bool], TextStep],
                document: Document | None = None,
                albums: dict[str, TextStep] | None = None) -> MessageHandler:
    """Typed text to the person's step; `leave` = (is it a word that leaves, how to leave);
    a file sent when no step waits for one goes to `document` (a bank statement). A message
    with no words (a sticker, a location, a photo without a caption) goes to a step that
    `takes_media`, which says what it takes; any other step asks for words, and without a step
    it is "I did not understand". The items of an album come one update each: the later ones
    of the album a flow gathers (its dialog's "album") go to that flow's `albums` handler,
    whatever step it is at."""
    is_leave_word, leave_flow = leave

    async def route(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        leaving = bool(message.text) and is_leave_word(message.text)
        person = await me(update, context, consented=not leaving)  # onboarding can be left
        if person is None:
            return
        if leaving:
            await leave_flow(update, context, person, message.text)
            return
        dialog = person.dialog
        if dialog and message.media_group_id and (albums or {}).get(dialog.flow) and \
                dialog.data.get("album") == message.media_group_id:
            await albums[dialog.flow](update, context, person, message.caption or "")
            return
        step = steps.get((dialog.flow, dialog.step)) if dialog else None
        if step is None and message.document and document is not None:
            await document(update, context, person)
            return
        if step is None:
            await reply(update, person._("I did not understand that. Send /help to see what "
                                         "you can do."))
            return
        text = message.text or message.caption
        if not text and not getattr(step, "takes_media", False):
            await ask_for_words(update, person)
            return
        await step(update, context, person, (text or "")[:MAX_TEXT])

    accepted = (filters.TEXT & ~filters.COMMAND) | filters.Document.ALL | filters.PHOTO | \
        filters.VIDEO | filters.ANIMATION | filters.AUDIO | filters.VOICE | filters.VIDEO_NOTE | \
        UNUSABLE
    return MessageHandler(accepted, route)


async def unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    person = await me(update, context, must_exist=False)
    _ = person._ if person else guessed(update, context)
    await reply(update, _("Unknown command. Send /help to see what you can do."))


def unknown_command_handler() -> MessageHandler:
    return MessageHandler(filters.COMMAND, unknown_command)
