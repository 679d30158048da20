"""/privacy shows what Loa stores about the person; /forget erases it after a confirmation."""

from __future__ import annotations

from sqlmodel import Session
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler, ContextTypes

from bot.context import escape, me, reply, services
from bot.i18n import language_name
from handlers.menu import role_name
from handlers.onboarding import consent_text
from models.areas import get_area, label
from models.privacy import erase_person
from models.users import get_user


def _held(session: Session, user_id: int) -> dict[str, str]:
    user = get_user(session, user_id)
    area = get_area(session, user.area_id)
    scope = get_area(session, user.scope_area_id)
    return {"name": user.name, "language": user.language or "",
            "area": label(session, area) if area else "", "phone": user.phone or "",
            "scope": label(session, scope) if scope else ""}


async def privacy_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    person = await me(update, context, consented=False)
    if person is None:
        return
    _ = person._
    held = await services(context).db.run(_held, person.id)
    dash = "—"
    lines = [consent_text(_), "", _("<b>What Loa holds about you now</b>"),
             _("Name: {value}", value=escape(held["name"]) or dash),
             _("Language: {value}", value=escape(language_name(held["language"]))
               if held["language"] else dash),
             _("Area: {value}", value=escape(held["area"]) or dash),
             _("Phone: {value}", value=escape(held["phone"]) or dash),
             _("Role: {value}", value=role_name(_, person.actor.role, person.actor.scope,
                                                services(context).config.head_titles)
               + (f" ({escape(held['scope'])})" if held["scope"] else ""))]
    await reply(update, "\n".join(lines))


async def forget_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    person = await me(update, context, consented=False)
    if person is None:
        return
    _ = person._
    buttons = [[InlineKeyboardButton(_("Yes, erase my data"), callback_data="forget:yes"),
                InlineKeyboardButton(_("No, keep it"), callback_data="forget:no")]]
    await reply(update, _("Erase everything Loa holds about you (name, language, area, phone, "
                          "role)? This cannot be undone."), InlineKeyboardMarkup(buttons))


async def forget_chosen(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    await query.answer()
    person = await me(update, context, consented=False)
    if person is None:
        return
    _ = person._
    if query.data != "forget:yes":
        await reply(update, _("Nothing was erased."))
        return
    await services(context).db.run(erase_person, person.id)
    await reply(update, _("Done: your data has been erased. Send /start if you want to use "
                          "Loa again."))


def handlers() -> list:
    return [
        CommandHandler("privacy", privacy_command),
        CommandHandler("forget", forget_command),
        CallbackQueryHandler(forget_chosen, pattern=r"^forget:(yes|no)$"),
    ]
