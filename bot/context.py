"""What a handler needs about the person it is answering, in one call.

`me(update, context)` loads the user, their effective role and scope, and a translator in their
language, all from the database; handlers never trust anything the update claims beyond the
sender's Telegram id.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime
from html import escape
from typing import TYPE_CHECKING

from sqlmodel import Session
from telegram import InlineKeyboardMarkup, ReplyKeyboardMarkup, ReplyKeyboardRemove, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot.config import Config
from bot.db import Database, current_handling
from bot.delivery import Dispatcher

if TYPE_CHECKING:
    from bot.reminders import Reminders
from bot.i18n import Translator, guess_language
from models.broadcasts import mark_reachable
from models.dialogs import Dialog, with_dialogs
from models.users import SCOPED_ROLES, Actor, Role, User, actor_for, effective_role

__all__ = ["PREFACE", "Me", "Services", "escape", "guessed", "local_today", "me", "officer",
           "presser", "reply", "services", "translator"]


@dataclass(frozen=True)
class Services:
    config: Config
    db: Database
    dispatcher: Dispatcher
    reminders: Reminders


@dataclass(frozen=True)
class Me:
    """The sender as the rules see them, with their translator as `_`."""

    actor: Actor
    _: Translator
    #: their conversation as it stood when this update began (read with them, in one go)
    dialog: Dialog | None = None

    @property
    def user(self) -> User:
        return self.actor.user

    @property
    def id(self) -> int:
        return self.actor.user.id


def local_today(config: Config) -> date:
    """Today on the deployment's wall clock (campaign dates are local dates)."""
    return datetime.now(config.timezone).date()


def services(context: ContextTypes.DEFAULT_TYPE) -> Services:
    return context.application.bot_data["services"]


def translator(config: Config, lang: str | None) -> Translator:
    return Translator(lang if lang in config.languages else config.default_language,
                      config.timezone)


def _load(session: Session, user_id: int,
          admins: frozenset[int]) -> tuple[Actor, Dialog | None] | None:
    found = with_dialogs(session, {user_id}).get(user_id)
    if found is None:
        return None
    user, dialog = found
    if user.unreachable_at is not None:  # they write again: they unblocked the bot
        mark_reachable(session, user_id)
        user.unreachable_at = None
    return actor_for(session, user, admins), dialog


def _known(user_id: int, admins: frozenset[int]) -> tuple[Actor, Dialog | None] | None:
    """Who they are from their rows read with their update (bot/inbox.py), when that is all
    it takes: no scope area to read, no return from being unreachable to record."""
    handling = current_handling()
    known = handling.known if handling is not None and handling.person == user_id else {}
    user = known.get(User)
    if user is None or Dialog not in known or user.unreachable_at is not None:
        return None
    role = effective_role(user, admins)
    return None if role in SCOPED_ROLES else (Actor(user, role, None), known[Dialog])


def guessed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> Translator:
    """A translator for someone Loa does not know yet: their Telegram client's language."""
    config = services(context).config
    return translator(config, guess_language(update.effective_user.language_code,
                                             config.languages))


async def me(update: Update, context: ContextTypes.DEFAULT_TYPE, must_exist: bool = True,
             consented: bool = True) -> Me | None:
    """The sender; None (after telling them why) when they have not started yet, or, where
    `consented`, have not agreed to the privacy notice: nothing personal before consent."""
    svc = services(context)
    sender = update.effective_user
    loaded = (_known(sender.id, svc.config.admins)
              or await svc.db.run(_load, sender.id, svc.config.admins))
    if loaded is None:
        if must_exist:
            _ = guessed(update, context)
            await reply(update, _("Please send /start first, so Loa knows your language "
                                  "and your area."))
        return None
    actor, dialog = loaded
    person = Me(actor, translator(svc.config, actor.user.language), dialog)
    if consented and must_exist and actor.user.consent_at is None:
        _ = person._ if actor.user.language else guessed(update, context)
        await reply(update, _("Please send /start and agree to the privacy notice first."),
                    edit=False)
        return None
    return person


async def officer(update: Update, context: ContextTypes.DEFAULT_TYPE,
                  refusal: str) -> Me | None:
    """The sender when an officer (or admin); anyone else hears `refusal` (marked with N_)."""
    person = await me(update, context)
    if person is not None and not person.actor.at_least(Role.OFFICER):
        await reply(update, person._(refusal))
        return None
    return person


async def presser(update: Update, context: ContextTypes.DEFAULT_TYPE) -> Me | None:
    """Who pressed a button; for someone Loa does not know, the press is answered and None
    returned (the caller then does nothing)."""
    person = await me(update, context)
    if person is None:
        await update.callback_query.answer()
    return person


#: Words to put before the next message this task sends (the notice after a crash:
#: handlers/resume.py); that message is then a new one, never an edit.
PREFACE: ContextVar[str | None] = ContextVar("preface", default=None)
TEXT_LIMIT = 4096  # the longest message Telegram takes


async def reply(update: Update, text: str,
                markup: InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove
                | None = None, edit: bool = True) -> None:
    """Answer in place: a pressed button edits its message (inline keyboards only can be kept
    on an edited message); anything else sends a new message."""
    if preface := PREFACE.get():
        PREFACE.set(None)
        edit = False
        if len(preface) + len(text) + 2 <= TEXT_LIMIT:
            text = f"{preface}\n\n{text}"
        else:
            await update.effective_chat.send_message(preface, parse_mode=ParseMode.HTML)
    query = update.callback_query
    if query is not None and edit and (markup is None or isinstance(markup, InlineKeyboardMarkup)):
        try:
            await query.edit_message_text(text, parse_mode=ParseMode.HTML, reply_markup=markup)
        except BadRequest as error:  # a stale button pressed twice: it already says so
            if "not modified" not in error.message.lower():
                raise
        return
    await update.effective_chat.send_message(text, parse_mode=ParseMode.HTML, reply_markup=markup)
