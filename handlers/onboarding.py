"""/start (with an invite code, a pledge link or nothing), /language and /area: getting to
know a person."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session
from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    Update,
)
from telegram.ext import CallbackQueryHandler, CommandHandler, ContextTypes, MessageHandler, filters

from bot.config import Config
from bot.context import Me, escape, guessed, me, reply, services
from bot.i18n import N_, Translator, language_name
from bot.messages import pledge_start
from handlers import pledges
from handlers.area_picker import Picker
from handlers.menu import main_menu, role_name, sync_menu
from handlers.router import takes_media
from models import onboarding
from models.areas import SHORT, Area, get_area, label
from models.base import utcnow
from models.dialogs import end_dialog, get_dialog
from models.invites import InviteProblem, InviteRefused, Redeemed, redeem_invite
from models.users import AccessDenied, effective_role, ensure_user, get_user, update_user

INVITE_PROBLEMS = {
    InviteProblem.UNKNOWN: N_("This invite code is not valid. Ask the officer who invited you "
                              "for a new link."),
    InviteProblem.USED: N_("This invite has already been used. Ask the officer who invited you "
                           "for a new link."),
    InviteProblem.EXPIRED: N_("This invite has expired. Ask the officer who invited you for a "
                              "new link."),
    InviteProblem.DEMOTION: N_("You already hold a higher role, so this invite was not used."),
    InviteProblem.ISSUER: N_("This invite is no longer valid: the person who made it can no "
                             "longer invite to that area. Ask an officer for a new link."),
    InviteProblem.NOT_A_VILLAGE: N_("This invite names a whole commune or district, but a "
                                    "village head serves one hamlet or village. Ask the officer "
                                    "for a new link to your hamlet or village."),
}


@dataclass(frozen=True)
class Started:
    onboarding: bool
    redeemed: Redeemed | None
    area_label: str
    problem: InviteProblem | None
    pledge: int | None  # the campaign of a pledge link ("/start pl<id>")


def _start(session: Session, user_id: int, name: str, argument: str | None,
           config: Config, now: datetime) -> Started:
    """/start, /start <invite code> or /start pl<campaign id> (a pledge link)."""
    user, _new = ensure_user(session, user_id)
    redeemed = problem = None
    wanted = pledge_start(argument) if argument else None
    if argument and wanted is None:
        try:
            redeemed = redeem_invite(session, user, argument, effective_role(user, config.admins),
                                     config.admins, now, config.head_titles)
        except InviteRefused as refused:
            problem = refused.problem
    # Someone Loa knows is greeted, not asked their language and consent again.
    again = user.consent_at is None or user.area_id is None or onboarding.step(
        session, user_id) is not None
    if again:  # the pledge waits in the onboarding dialog (in the database) until it is done
        onboarding.begin(session, user_id, name, wanted)
    return Started(again, redeemed, label(session, redeemed.area) if redeemed else "", problem,
                   wanted)


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    svc = services(context)
    sender = update.effective_user
    argument = context.args[0][:64] if context.args else None
    result = await svc.db.run(_start, sender.id, sender.full_name, argument, svc.config,
                              utcnow())
    person = await me(update, context, consented=False)
    _ = person._ if person.user.language else guessed(update, context)
    if result.problem:
        await reply(update, _(INVITE_PROBLEMS[result.problem]))
    if result.redeemed:
        await sync_menu(context.bot, person)  # before the reply: the menu is ready when read
        await reply(update, _("Welcome! You are now {role} of {area}.",
                              role=role_name(_, result.redeemed.role, result.redeemed.area,
                                             svc.config.head_titles),
                              area=escape(result.area_label)),
                    None if result.onboarding else main_menu(person.actor.role, _))
    if result.onboarding:
        await ask_language(update, _, svc.config.languages)
    elif result.pledge is not None:
        await pledges.begin(update, context, person, result.pledge, linked=True)
    elif not result.redeemed and not result.problem:
        await sync_menu(context.bot, person)
        await reply(update, _("Hello {name}, Loa is here. Choose what you want to do with the "
                              "buttons below, or send /help to see everything.\n"
                              "To change your language or your area: /language, /area.",
                              name=escape(update.effective_user.first_name or "")),
                    main_menu(person.actor.role, _))


async def ask_language(update: Update, _: Translator, languages: tuple[str, ...]) -> None:
    """Every language the deployment offers, each by its own name, two to a row."""
    buttons = [InlineKeyboardButton(language_name(lang), callback_data=f"lang:{lang}")
               for lang in languages]
    rows = [buttons[i:i + 2] for i in range(0, len(buttons), 2)]
    await reply(update, _("Hello, this is <b>Loa</b>, the loudspeaker of your commune.\n"
                          "Choose your language:"), InlineKeyboardMarkup(rows), edit=False)


async def language_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    person = await me(update, context, consented=False)
    if person:
        await ask_language(update, person._, services(context).config.languages)


async def language_chosen(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    svc = services(context)
    query = update.callback_query
    person = await me(update, context, consented=False)
    lang = query.data.removeprefix("lang:")
    if person is None or lang not in svc.config.languages:
        await query.answer(person._("This button is not valid.") if person else None,
                           show_alert=True)
        return
    await query.answer()
    nxt = await svc.db.run(onboarding.choose_language, person.id, lang)
    person = await me(update, context, consented=False)
    await sync_menu(context.bot, person)
    if nxt == onboarding.CONSENT:
        await ask_consent(update, person._)
    elif nxt == onboarding.AREA:
        await HOME.show(update, context, person)
    else:
        await reply(update, person._("Language set: {language}.",
                                     language=escape(language_name(lang))))


def consent_text(_: Translator) -> str:
    return _(
        "<b>What Loa stores, and why</b>\n"
        "Loa keeps your Telegram id and name, your language, the area you choose and, only if "
        "you share it, your phone number. They are used to bring you the announcements and "
        "campaigns of your area and to record what you pledge or report; your area's officers "
        "can see them, nobody else. Under the Law on Personal Data Protection "
        "(91/2025/QH15) you can read this again with /privacy and have your data erased at "
        "any time with /forget."
    )


async def ask_consent(update: Update, _: Translator) -> None:
    buttons = [[InlineKeyboardButton(_("I agree"), callback_data="consent:yes"),
                InlineKeyboardButton(_("No, thanks"), callback_data="consent:no")]]
    await reply(update, consent_text(_), InlineKeyboardMarkup(buttons))


async def consent_chosen(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    svc = services(context)
    query = update.callback_query
    person = await me(update, context, consented=False)
    await query.answer()
    if person is None:
        return
    if query.data == "consent:yes":
        if await svc.db.run(onboarding.give_consent, person.id,
                            update.effective_user.full_name) is None:
            await reply(update, person._("This button has expired. Send /start to begin again."))
            return
        await HOME.show(update, context, person)
        return
    if not await svc.db.run(onboarding.decline, person.id):
        await reply(update, person._("This button has expired. Send /start to begin again."))
        return
    await reply(update, person._("Understood: Loa has kept nothing about you. "
                                 "Send /start whenever you change your mind."))


async def area_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    person = await me(update, context)
    if person:
        await services(context).db.run(onboarding.change_area, person.id)
        await HOME.show(update, context, person)


async def area_chosen(update: Update, context: ContextTypes.DEFAULT_TYPE, person: Me,
                      area: Area) -> None:
    _ = person._
    try:
        nxt = await services(context).db.run(onboarding.choose_area, person.id, area.id)
    except AccessDenied:
        await reply(update, _("Please send /start and agree to the privacy notice first."))
        return
    where = escape(await services(context).db.run(label, area, SHORT))
    if nxt == onboarding.PHONE:
        await reply(update, _("Your area: <b>{area}</b>.", area=where))
        await ask_phone(update, _)
    else:
        await reply(update, _("Your area is now <b>{area}</b>.", area=where))


HOME = Picker("home", N_("Where do you live? Choose your area."), area_chosen,
              steps=((onboarding.FLOW, onboarding.AREA),
                     (onboarding.CHANGE_AREA, onboarding.AREA)))


async def ask_phone(update: Update, _: Translator) -> None:
    keyboard = ReplyKeyboardMarkup(
        [[KeyboardButton(_("📱 Share my phone number"), request_contact=True)],
         [KeyboardButton(_("Skip"))]],
        resize_keyboard=True, one_time_keyboard=True)
    await reply(update, _("If you wish, share your phone number so your officers can reach "
                          "you about your pledges. This is optional."), keyboard, edit=False)


@takes_media  # a photo or a sticker here: the answer says how to share the number
async def phone_typed(update: Update, context: ContextTypes.DEFAULT_TYPE, person: Me,
                      text: str) -> None:
    if await pledges.skipped_phone(update, person, text):
        await finish(update, context, person, None)


def _took_phone(session: Session, user_id: int, phone: str) -> None:
    update_user(session, get_user(session, user_id), phone=phone)
    dialog = get_dialog(session, user_id)
    if dialog is not None and dialog.flow == pledges.PHONE:
        end_dialog(session, user_id)


async def contact_shared(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    person = await me(update, context)
    if person is None:
        return
    contact = update.effective_message.contact
    if contact.user_id != person.id:
        await reply(update, person._("Please share your own number with the button below."))
        return
    step = await services(context).db.run(onboarding.step, person.id)
    if step != onboarding.PHONE and not person.user.phone:
        # offered after an in-kind pledge, so officers can call about handing goods over
        await services(context).db.run(_took_phone, person.id, contact.phone_number[:32])
        await reply(update, person._("Thank you: your officers can now call you about your "
                                     "pledges. /privacy shows what Loa keeps."),
                    main_menu(person.actor.role, person._))
        return
    if step != onboarding.PHONE:
        await reply(update, person._("Thank you, but Loa is not asking for a phone number "
                                     "right now."), main_menu(person.actor.role, person._))
        return
    await finish(update, context, person, contact.phone_number)


def _summary(session: Session, user_id: int) -> tuple[str, str | None]:
    user = get_user(session, user_id)
    area = get_area(session, user.area_id)
    return (label(session, area) if area else ""), user.phone


async def finish(update: Update, context: ContextTypes.DEFAULT_TYPE, person: Me,
                 phone: str | None) -> None:
    svc = services(context)
    wanted = await svc.db.run(onboarding.finish, person.id, phone)
    area, phone = await svc.db.run(_summary, person.id)
    _ = person._
    lines = [_("All set! Your area: <b>{area}</b>.", area=escape(area))]
    if phone:
        lines.append(_("Phone: {phone}", phone=escape(phone)))
    lines.append(_("The buttons below do the most common things; /help lists everything."))
    await sync_menu(context.bot, person)
    await reply(update, "\n".join(lines), main_menu(person.actor.role, _))
    if wanted is not None:  # came by a pledge link: now to that pledge
        await pledges.begin(update, context, person, wanted, linked=True)


async def _ask_again(update: Update, context: ContextTypes.DEFAULT_TYPE, person: Me) -> None:
    """The onboarding question the person is at, or the area tree (/area)."""
    step, _ = await services(context).db.run(onboarding.step, person.id), person._
    if step == onboarding.LANGUAGE:
        await ask_language(update, _, services(context).config.languages)
    elif step == onboarding.CONSENT:
        await ask_consent(update, _)
    elif step == onboarding.PHONE:
        await ask_phone(update, _)
    else:
        await HOME.show(update, context, person)


AGAIN = {**{(onboarding.FLOW, step): _ask_again for step in (
    onboarding.LANGUAGE, onboarding.CONSENT, onboarding.AREA, onboarding.PHONE)},
    (onboarding.CHANGE_AREA, onboarding.AREA): _ask_again}

TEXT_STEPS = {
    (onboarding.FLOW, onboarding.AREA): HOME.search,
    (onboarding.CHANGE_AREA, onboarding.AREA): HOME.search,
    (onboarding.FLOW, onboarding.PHONE): phone_typed,
}


def handlers() -> list:
    return [
        CommandHandler("start", start),
        CommandHandler("language", language_command),
        CommandHandler("area", area_command),
        CallbackQueryHandler(language_chosen, pattern=r"^lang:"),
        CallbackQueryHandler(consent_chosen, pattern=r"^consent:(yes|no)$"),
        HOME.handler(),
        MessageHandler(filters.CONTACT, contact_shared),
    ]
