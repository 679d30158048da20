"""Groups and channels as audiences: Loa records where it was added, an officer links each to
an area (/linkgroup in the group, or /groups in private), and broadcasts reach them.

In a group Loa says nothing that could be personal: the area picker and every answer go to the
officer's private chat; the group hears at most one line telling an officer to open Loa
privately first. These handlers run before handlers/private_only.py, which keeps Loa silent in
groups for everything else. Every button checks the officer's right again on the server.
"""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import Forbidden
from telegram.ext import (
    ApplicationHandlerStop,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot import pages
from bot.context import PREFACE, Me, escape, guessed, me, officer, presser, reply, services
from bot.i18n import N_, Translator, language_name
from handlers import private_only
from handlers.area_picker import Picker
from handlers.router import nav_row, step_press
from models import chats
from models.areas import Area, get_area, label
from models.base import utcnow
from models.broadcasts import mark_reachable, mark_unreachable
from models.dialogs import end_dialog, get_dialog, save_dialog
from models.users import AccessDenied, Role

FLOW = "groups"
#: Before private_only's guard, which stops everything else from a group.
GROUP = private_only.GROUP - 1
LIST_PAGE = 8
ONLY_OFFICERS = N_("Only officers can link groups and channels to an area.")
KINDS = {"group": N_("group"), "supergroup": N_("group"), "channel": N_("channel")}


def _is_officer(actor) -> bool:
    return actor.at_least(Role.OFFICER)


# ---- what Telegram tells ------------------------------------------------------------------

async def membership_changed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Loa was added, promoted, removed or left a group or channel: record it. In a private
    chat the person blocked Loa ("kicked": left out of broadcasts and reminders, as a 403
    would have them) or unblocked it ("member": reachable again). Loa says nothing."""
    change = update.my_chat_member
    chat, status, db = change.chat, change.new_chat_member.status, services(context).db
    if chat.type != ChatType.PRIVATE:
        await db.run(chats.record_membership, chat.id, chat.type, chat.title or "", status,
                     utcnow())
    elif status == ChatMemberStatus.BANNED:
        await db.run(mark_unreachable, [chat.id], utcnow())
    elif status == ChatMemberStatus.MEMBER:
        await db.run(mark_reachable, chat.id)
    raise ApplicationHandlerStop


async def service_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A group renamed, or upgraded to a supergroup (a new id): the row follows."""
    message, db = update.effective_message, services(context).db
    if message.new_chat_title:
        await db.run(chats.retitle, message.chat.id, message.new_chat_title)
    elif message.migrate_to_chat_id:
        await db.run(chats.migrate, message.chat.id, message.migrate_to_chat_id)
    elif message.migrate_from_chat_id:
        await db.run(chats.migrate, message.migrate_from_chat_id, message.chat.id)
    raise ApplicationHandlerStop


# ---- /linkgroup in a group ----------------------------------------------------------------

def _known(session, chat_id: int, type_: str, title: str) -> chats.Chat:
    """The chat's row; made now for a group Loa joined before it kept them."""
    return session.get(chats.Chat, chat_id) or chats.record_membership(
        session, chat_id, type_, title, "member", utcnow())


async def linkgroup_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """An officer links this group: the choice of area goes to their private chat."""
    chat, svc = update.effective_chat, services(context)
    if chat.type == ChatType.PRIVATE:
        await groups_command(update, context)
        return
    person = await me(update, context, must_exist=False)
    if person is None:
        await _point_to_private(update, context, guessed(update, context))
        raise ApplicationHandlerStop
    if not _is_officer(person.actor):
        await update.effective_message.reply_text(person._(ONLY_OFFICERS))
        raise ApplicationHandlerStop
    await svc.db.run(_known, chat.id, chat.type, chat.title or "")
    try:
        await start_link(update, context, person, chat.id, to=person.id)
    except Forbidden:  # the officer never opened Loa privately, or blocked it
        await _point_to_private(update, context, person._)
    raise ApplicationHandlerStop


async def _point_to_private(update: Update, context: ContextTypes.DEFAULT_TYPE,
                            _: Translator) -> None:
    await update.effective_message.reply_text(
        _("To link this group, an officer first opens Loa in a private chat ({link}), then "
          "sends /linkgroup here again.", link=f"https://t.me/{context.bot.username}"),
        disable_web_page_preview=True)


# ---- linking, from either way in ----------------------------------------------------------

async def start_link(update: Update, context: ContextTypes.DEFAULT_TYPE, person: Me,
                     chat_id: int, to: int | None = None) -> None:
    """Check the officer may manage the chat, then show the area picker (in private)."""
    _, db = person._, services(context).db
    try:
        chat = await db.run(chats.managed, person.actor, chat_id)
    except (AccessDenied, chats.ChatGone) as refused:
        text = _("Loa is no longer in that group or channel.") \
            if isinstance(refused, chats.ChatGone) else \
            _("That group or channel is linked to an area outside yours: an officer of that "
              "area can change it.")
        if to is None:
            await reply(update, text)
        else:
            await context.bot.send_message(to, text)
        return
    await db.run(save_dialog, person.id, FLOW, "area", chat_id=chat.id)
    intro = _("Linking “{title}” to an area.", title=escape(chat.title))
    if to is None:
        PREFACE.set(intro)  # above the picker, in a new message under the list
    else:
        await context.bot.send_message(to, intro)
    await PICKER.show(update, context, person, to=to)


def _link(session, actor, area: Area, default_language: str) -> tuple[chats.Chat, str]:
    dialog = get_dialog(session, actor.id, FLOW)
    if dialog is None or dialog.data.get("chat_id") is None:
        raise AccessDenied("no chat being linked")
    chat = chats.link(session, actor, dialog.data["chat_id"], area.id, default_language,
                      utcnow())
    save_dialog(session, actor.id, FLOW, "language")
    return chat, label(session, area)


async def area_picked(update: Update, context: ContextTypes.DEFAULT_TYPE, person: Me,
                      area: Area) -> None:
    _, svc = person._, services(context)
    try:
        chat, where = await svc.db.run(_link, person.actor, area, svc.config.default_language)
    except (AccessDenied, chats.ChatGone):
        await svc.db.run(end_dialog, person.id)
        await reply(update, _("That group or channel is no longer yours to link."))
        return
    text = _("“{title}” is linked to {area}: broadcasts to that area can now reach it.",
             title=escape(chat.title), area=escape(where))
    if len(svc.config.languages) < 2:
        await svc.db.run(end_dialog, person.id)
        await reply(update, text)
        return
    rows = [[InlineKeyboardButton(("✅ " if lang == chat.language else "") +
                                  language_name(lang), callback_data=f"gr:lang:{lang}")]
            for lang in svc.config.languages]
    await reply(update, text + "\n" + _("Which language do its members read?"),
                InlineKeyboardMarkup([*rows, nav_row(_)]))


async def language_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    found = await step_press(update, context, FLOW, ("language",), allowed=_is_officer)
    if found is None:
        return
    person, data, lang = found
    _, svc = person._, services(context)
    if lang not in svc.config.languages:
        return
    try:
        chat = await svc.db.run(chats.set_language, person.actor, data["chat_id"], lang)
    except (AccessDenied, chats.ChatGone):
        await reply(update, _("That group or channel is no longer yours to link."))
        return
    await svc.db.run(end_dialog, person.id)
    await reply(update, _("Broadcasts reach “{title}” in {language}. /groups lists the groups "
                          "and channels.", title=escape(chat.title),
                          language=escape(language_name(lang))))


async def back_to_picker(update: Update, context: ContextTypes.DEFAULT_TYPE,
                         person: Me) -> None:
    await services(context).db.run(save_dialog, person.id, FLOW, "area")
    await PICKER.show(update, context, person)


BACK = {(FLOW, "language"): back_to_picker}


# ---- /groups in private -------------------------------------------------------------------

def _page(session, actor, page: int) -> tuple[int, int, list[tuple[chats.Chat, str | None]]]:
    found, total = chats.visible(session, actor, page * LIST_PAGE, LIST_PAGE)
    if not found and page > 0:
        page = pages.clamp(page, pages.page_count(total, LIST_PAGE))
        found, total = chats.visible(session, actor, page * LIST_PAGE, LIST_PAGE)
    return total, page, [(c, label(session, get_area(session, c.area_id)) if c.area_id
                          else None) for c in found]


async def groups_command(update: Update, context: ContextTypes.DEFAULT_TYPE,
                         page: int = 0) -> None:
    """The groups and channels Loa is in that the officer may manage, with their buttons."""
    person = await officer(update, context, ONLY_OFFICERS)
    if person is None:
        return
    _ = person._
    total, page, rows = await services(context).db.run(_page, person.actor, page)
    if not rows:
        await reply(update, _("Loa is in no group or channel you can link yet. Add Loa to a "
                              "group (or make it an administrator of a channel), then send "
                              "/linkgroup there or come back here."))
        return
    lines, buttons = [], []
    for chat, where in rows:
        kind = _(KINDS.get(chat.type, KINDS["group"]))
        state = _("linked to {area}, in {language}", area=escape(where),
                  language=escape(language_name(chat.language or ""))) if where else \
            _("not linked")
        lines.append(f"• <b>{escape(chat.title)}</b> ({kind}): {state}")
        name = pages.button_text(chat.title)
        if where:
            buttons.append([InlineKeyboardButton(_("✏ {name}: change area", name=name),
                                                 callback_data=f"gr:l:{chat.id}"),
                            InlineKeyboardButton(_("✂ Unlink"), callback_data=f"gr:u:{chat.id}")])
        else:
            buttons.append([InlineKeyboardButton(_("🔗 Link {name}", name=name),
                                                 callback_data=f"gr:l:{chat.id}")])
    nav = pages.nav_row(page, pages.page_count(total, LIST_PAGE), lambda n: f"gr:p:{n}")
    await pages.show(update, pages.fixed_page(lines, _("<b>Groups and channels</b>"),
                                              LIST_PAGE), pages.markup(buttons, nav))


async def list_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """gr:p:<page> turns the list; gr:l:<chat> links or moves; gr:u:<chat> unlinks."""
    query = update.callback_query
    person = await presser(update, context)
    if person is None:
        return
    _ = person._
    action, _sep, raw = query.data.removeprefix("gr:").partition(":")
    try:
        value = int(raw)
    except ValueError:
        await query.answer(_("This button is not valid."), show_alert=True)
        return
    if not _is_officer(person.actor):
        await query.answer(_(ONLY_OFFICERS), show_alert=True)
        return
    await query.answer()
    if action == "p":
        await groups_command(update, context, max(0, value))
    elif action == "l":
        await start_link(update, context, person, value)
    else:
        try:
            chat = await services(context).db.run(chats.unlink, person.actor, value)
        except (AccessDenied, chats.ChatGone):
            await reply(update, _("That group or channel is no longer yours to link."))
            return
        await reply(update, _("“{title}” is no longer linked: broadcasts will not reach it.",
                              title=escape(chat.title)),
                    InlineKeyboardMarkup([[InlineKeyboardButton(_("⬅ Back to the list"),
                                                                callback_data="gr:p:0")]]))


PICKER = Picker("gl", N_("Which area should it serve? Broadcasts to that area (or to an area "
                         "above it) will reach it."), area_picked, scoped=True,
                allowed=_is_officer, steps=((FLOW, "area"),))

TEXT_STEPS = {(FLOW, "area"): PICKER.search}


def group_handlers() -> list:
    """Before private_only: what Loa does in groups at all (records, and /linkgroup)."""
    return [
        ChatMemberHandler(membership_changed, ChatMemberHandler.MY_CHAT_MEMBER),
        MessageHandler(filters.StatusUpdate.NEW_CHAT_TITLE | filters.StatusUpdate.MIGRATE,
                       service_message),
        CommandHandler("linkgroup", linkgroup_command, filters.ChatType.GROUPS),
    ]


def handlers() -> list:
    return [
        CommandHandler("groups", groups_command),
        CommandHandler("linkgroup", linkgroup_command),
        CallbackQueryHandler(language_pressed, pattern=r"^gr:lang:"),
        CallbackQueryHandler(list_pressed, pattern=r"^gr:[plu]:-?\d+$"),
        PICKER.handler(),
    ]
