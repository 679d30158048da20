"""Leaving a flow or stepping back: /cancel, the words hủy, huỷ, thôi, cancel typed at any step,
and the ✖ and ⬅ buttons under every question (`nav_row`).

Leaving says what was dropped; nothing half-made stays behind (the dialog ends, and a broadcast
draft built for the preview is cancelled). ⬅ asks the previous question again, with the answers
given so far kept: each flow says, per step, how to ask its previous one (`Back`).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime

from sqlmodel import Session
from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, ContextTypes

from bot.context import Me, me, reply, services
from bot.i18n import N_
from handlers import (
    broadcasts,
    campaigns,
    deadlines,
    exports,
    invites,
    my_pledges,
    pledge_desk,
    pledges,
    reports,
    support,
)
from handlers.menu import main_menu
from handlers.router import BACK, CANCEL
from models import onboarding
from models.broadcasts import discard_draft
from models.dialogs import end_dialog, get_dialog

#: Typed alone (any case, a final "." or "!"), these leave the flow at any step.
WORDS = frozenset({"hủy", "huỷ", "hủy bỏ", "huỷ bỏ", "thôi", "cancel", "stop"})

#: What each flow was doing, for "Cancelled: …".
DROPPED = {
    onboarding.FLOW: N_("setting up Loa (send /start to begin again)"),
    onboarding.CHANGE_AREA: N_("changing your area (it stays as it was)"),
    invites.FLOW: N_("the invite (no link was made)"),
    pledges.FLOW: N_("the pledge you were registering"),
    my_pledges.MINE: N_("the change to your pledge (it stays as it was)"),
    pledges.PHONE: N_("sharing your phone number (nothing was stored)"),
    pledge_desk.FLOW: N_("the change on the pledge desk (the pledge stays as it was)"),
    broadcasts.FLOW: N_("the announcement you were writing (nothing was sent)"),
    campaigns.FLOW: N_("the campaign you were setting up"),
    campaigns.EDIT_FLOW: N_("the change to the campaign (it stays as it was)"),
    deadlines.FLOW: N_("the deadline you were setting"),
    deadlines.CHANGE: N_("the change to the deadline (it stays as it was)"),
    reports.REPORT: N_("the report you were filling in (nothing was sent)"),
    exports.FLOW: N_("the export (no file was made)"),
    support.FLOW: N_("recording support (nothing was recorded)"),
}


def is_leave_word(text: str) -> bool:
    return unicodedata.normalize("NFC", text).strip().rstrip(".!").strip().casefold() in WORDS


def _leave(session: Session, user_id: int) -> str | None:
    """End the person's flow; the flow it was, or None when they were in none."""
    dialog = get_dialog(session, user_id)
    if dialog is None:
        return None
    if dialog.flow == broadcasts.FLOW and "broadcast_id" in dialog.data:
        discard_draft(session, user_id, dialog.data["broadcast_id"], datetime.now(UTC))
    end_dialog(session, user_id)
    return dialog.flow


async def leave(update: Update, context: ContextTypes.DEFAULT_TYPE, person: Me,
                _text: str = "") -> None:
    _ = person._
    flow = await services(context).db.run(_leave, person.id)
    if flow is None:
        text = _("There is nothing to cancel: you are not in the middle of anything.")
    else:
        text = _("Cancelled: {what}.", what=_(DROPPED.get(flow, N_("what you were doing"))))
    menu = main_menu(person.actor.role, _) if person.user.consent_at else None
    await reply(update, text, menu, edit=False)


async def cancel_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    person = await me(update, context, consented=False)
    if person is not None:
        await leave(update, context, person)


#: How a flow asks the question before a step again: (flow, step) → an asker of the previous
#: step, which moves the dialog back (answers kept) and shows that question.
Back = Mapping[tuple[str, str], Callable[[Update, ContextTypes.DEFAULT_TYPE, Me],
                                         Awaitable[None]]]


def nav_handler(back: Back) -> CallbackQueryHandler:
    async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        person = await me(update, context, consented=False)
        if person is None:
            await query.answer()
            return
        if query.data == CANCEL:
            await query.answer()
            await query.edit_message_reply_markup(None)  # the question is gone; say why below
            await leave(update, context, person)
            return
        dialog = await services(context).db.run(get_dialog, person.id)
        previous = back.get((dialog.flow, dialog.step)) if dialog else None
        if previous is None:
            await query.answer(person._("There is no earlier step to go back to."),
                               show_alert=True)
            return
        await query.answer()
        await previous(update, context, person)

    return CallbackQueryHandler(pressed, pattern=f"^({CANCEL}|{BACK})$")


def handlers(back: Back) -> list:
    return [CommandHandler("cancel", cancel_command), nav_handler(back)]
