"""After a crash: show the person where they are.

An update whose writes were committed when Loa was killed is not handled again (that would
apply it twice), so its answer may never have gone out. The person then gets one message: Loa
was interrupted, what they did was saved, and the question of the step they are at now (each
flow says how to ask its steps again: `Again`); in a step no flow can ask again, what they were
doing with ⬅ and ✖; in no flow at all, the main menu.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import CallbackContext, ContextTypes

from bot.context import PREFACE, Me, guessed, me, reply, services
from bot.i18n import N_, Translator
from handlers.leave import DROPPED, Back
from handlers.menu import main_menu
from handlers.router import nav_row
from models.dialogs import get_dialog

#: How a flow asks a step's question again: (flow, step) → an asker that shows the question
#: of that step with the answers given so far kept.
Again = Mapping[tuple[str, str], Callable[[Update, ContextTypes.DEFAULT_TYPE, Me],
                                          Awaitable[None]]]

NOTICE = N_("⚠ Loa was interrupted while answering you. What you did was saved.")


def resumer(again: Again, back: Back) -> Callable[[Update, CallbackContext], Awaitable[None]]:
    async def resume(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.callback_query is not None:  # the press's spinner (too late: ignored)
            await update.callback_query.answer()
        person = await me(update, context, must_exist=False, consented=False)
        _ = person._ if person and person.user.language else guessed(update, context)
        token = PREFACE.set(_(NOTICE))
        try:
            await _where(update, context, person, _, again, back)
        finally:
            if PREFACE.get():  # the asker sent nothing through reply(): the notice alone
                await update.effective_chat.send_message(PREFACE.get())
            PREFACE.reset(token)
    return resume


async def _where(update: Update, context: ContextTypes.DEFAULT_TYPE, person: Me | None,
                 _: Translator, again: Again, back: Back) -> None:
    dialog = await services(context).db.run(get_dialog, person.id) if person else None
    where = (dialog.flow, dialog.step) if dialog else None
    if where in again:
        await again[where](update, context, person)
    elif dialog is not None:
        await reply(update, _("You were in the middle of {what}. Press ⬅ to see the question "
                              "before again, or ✖ to leave.",
                              what=_(DROPPED.get(dialog.flow, N_("what you were doing")))),
                    InlineKeyboardMarkup([nav_row(_, back=where in back)]))
    elif person is None or person.user.consent_at is None:
        await reply(update, _("Send /start to begin."))
    else:
        await reply(update, _("Choose what to do next with the buttons below; /help lists "
                              "everything."), main_menu(person.actor.role, _))
