"""/invite: an officer brings a village head or an officer of an area in their scope."""

from __future__ import annotations

from sqlmodel import Session
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler, ContextTypes

from bot.config import Config
from bot.context import Me, escape, me, presser, reply, services
from bot.i18n import N_
from handlers.area_picker import Picker
from handlers.menu import ROLE_NAMES, role_name
from models.areas import Area, get_area, label
from models.dialogs import end_dialog, get_dialog, save_dialog
from models.invites import MAX_OPEN, Invite, TooManyInvites, create_invite, invitable_roles
from models.numbers import whole
from models.users import AccessDenied, Actor, NotAVillage, Role

FLOW = "invite"


async def invite_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    person = await me(update, context)
    if person is None:
        return
    _ = person._
    roles = invitable_roles(person.actor)
    if not roles:
        await reply(update, _("Only officers can invite village heads and officers."))
        return
    buttons = [[InlineKeyboardButton(_(ROLE_NAMES[role]), callback_data=f"inv:{role}")
                for role in roles]]
    await reply(update, _("Whom do you want to invite?"), InlineKeyboardMarkup(buttons))


async def role_chosen(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    person = await presser(update, context)
    if person is None:
        return
    role = query.data.removeprefix("inv:")
    if role not in invitable_roles(person.actor):
        await query.answer(person._("Only officers can invite village heads and officers."),
                           show_alert=True)
        return
    await query.answer()
    await services(context).db.run(save_dialog, person.id, FLOW, "area", role=role)
    await PICKER.show(update, context, person)


def _create(session: Session, actor: Actor, area: Area, config: Config
            ) -> tuple[Invite, str] | None:
    dialog = get_dialog(session, actor.id, FLOW)
    if dialog is None:
        return None
    invite = create_invite(session, actor, Role(dialog.data["role"]), area, config.invite_ttl,
                           extra_levels=config.head_titles)
    end_dialog(session, actor.id)
    return invite, label(session, area)


async def preset_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """inv:for:<role>:<area>: the invite flow preset to that role and area (the shortcut under
    a deadline's areas that have no village head on Loa). Checked like the flow itself."""
    query = update.callback_query
    person = await presser(update, context)
    if person is None:
        return
    _p, _f, role, raw = [*query.data.split(":"), "", ""][:4]
    area_id = whole(raw)
    if role not in invitable_roles(person.actor) or area_id is None:
        await query.answer(person._("Only officers can invite village heads and officers."),
                           show_alert=True)
        return
    area = await services(context).db.run(get_area, area_id)
    if area is None:
        await query.answer(person._("This button is not valid."), show_alert=True)
        return
    await query.answer()
    await services(context).db.run(save_dialog, person.id, FLOW, "area", role=role)
    await area_chosen(update, context, person, area, edit=False)


async def area_chosen(update: Update, context: ContextTypes.DEFAULT_TYPE, person: Me,
                      area: Area, edit: bool = True) -> None:
    svc = services(context)
    _ = person._
    try:
        made = await svc.db.run(_create, person.actor, area, svc.config)
    except AccessDenied:
        await reply(update, _("You may only invite people into your own area."), edit=edit)
        return
    except NotAVillage:
        await reply(update, _("A village head serves one hamlet or village (ấp, thôn, bản, tổ "
                              "dân phố…), not all of {area}. Choose one inside it:",
                              area=escape(area.name)))
        await PICKER.show(update, context, person, area.id)
        return
    except TooManyInvites:
        await reply(update, _("You have {n} invites nobody has used yet. Wait until some are "
                              "used or expire, then invite again.", n=_.number(MAX_OPEN)),
                    edit=edit)
        return
    if made is None:
        await reply(update, _("This button has expired. Send /invite to start again."))
        return
    invite, where = made
    link = f"https://t.me/{context.bot.username}?start={invite.code}"
    await reply(update, _(
        "Invite to serve as <b>{role}</b> of <b>{area}</b>:\n{link}\n\nSend this link to that "
        "person only. It works once and expires at {expires}.",
        role=role_name(_, Role(invite.role), area, svc.config.head_titles), area=escape(where),
        link=link,
        expires=_.datetime(invite.expires_at)), edit=edit)


PICKER = Picker("inv", N_("Which area will they serve?"), area_chosen, scoped=True,
                allowed=lambda actor: bool(invitable_roles(actor)), steps=((FLOW, "area"),))

TEXT_STEPS = {(FLOW, "area"): PICKER.search}


def handlers() -> list:
    return [
        CommandHandler("invite", invite_command),
        CallbackQueryHandler(preset_pressed, pattern=r"^inv:for:"),
        CallbackQueryHandler(role_chosen, pattern=r"^inv:(?!for:)"),
        PICKER.handler(),
    ]
