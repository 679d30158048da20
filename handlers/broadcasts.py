"""/broadcast: an officer reaches an area in one step; /broadcasts shows how it went.

Compose (text with its formatting, or a photo or document with a caption) → area (inside the
officer's scope) → roles → language → an optional Pledge or link button → a preview exactly as
recipients will see it, with the number of recipients → send now, schedule, or cancel.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlmodel import Session
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler, ContextTypes

from bot import pages
from bot.context import Me, escape, local_today, officer, presser, reply, services
from bot.delivery import progress_text
from bot.i18n import LANGUAGE_NAMES, N_
from bot.tables import csv_file
from handlers.area_picker import Picker
from handlers.inputs import example_moment, read_moment
from handlers.menu import ROLE_NAMES
from handlers.router import StepPress, step_press
from models.areas import Area, get_area, label
from models.broadcasts import (
    AUDIENCE_ROLES,
    Broadcast,
    BroadcastDraft,
    BroadcastStatus,
    cancel,
    count_audience,
    create_broadcast,
    figures,
    problems,
    recent,
    schedule,
    sendable,
)
from models.campaigns import relayable
from models.dialogs import end_dialog, get_dialog, save_dialog
from models.numbers import whole
from models.users import AccessDenied, Actor, Role

FLOW = "broadcast"
EXPIRED_HERE = N_("This button has expired. Send /broadcast to start again.")
TEXT_MAX, CAPTION_MAX = 4096, 1024
STATUS_NAMES = {BroadcastStatus.DRAFT: N_("draft"), BroadcastStatus.SCHEDULED: N_("scheduled"),
                BroadcastStatus.RUNNING: N_("sending"), BroadcastStatus.DONE: N_("done"),
                BroadcastStatus.CANCELLED: N_("cancelled")}
LINK = re.compile(r"^(?:(.{1,60}?)\s+)?(https?://\S{3,400})$")


def keys(rows: list[list[tuple[str, str]]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(t, callback_data=d) for t, d in row]
                                 for row in rows])


async def broadcast_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    person = await officer(update, context, N_("Only officers can send broadcasts."))
    if person is None:
        return
    await services(context).db.run(save_dialog, person.id, FLOW, "content")
    await reply(update, person._("Send the message to broadcast: a text (its formatting is "
                                 "kept), or a photo or a document with a caption. You can "
                                 "also forward one here."))


async def content_sent(update, context, person: Me, _text: str) -> None:
    message = update.effective_message
    media_kind = media_id = None
    if message.photo:
        media_kind, media_id = "photo", message.photo[-1].file_id
    elif message.document:
        media_kind, media_id = "document", message.document.file_id
    html = (message.caption_html if media_kind else message.text_html) or ""
    limit = CAPTION_MAX if media_kind else TEXT_MAX
    if pages.units(message.caption or message.text or "") > limit or not (html or media_kind):
        await reply(update, person._("A broadcast text holds up to {n} characters ({m} under a "
                                     "photo or document). Send a shorter one.", n=TEXT_MAX,
                                     m=CAPTION_MAX))
        return
    await services(context).db.run(save_dialog, person.id, FLOW, "area", text=html,
                                   media_kind=media_kind, media_file_id=media_id)
    await PICKER.show(update, context, person)


async def area_chosen(update, context, person: Me, area: Area) -> None:
    await services(context).db.run(save_dialog, person.id, FLOW, "roles", area_id=area.id,
                                   roles=[Role.CITIZEN.value])
    await ask_roles(update, person, [Role.CITIZEN.value])


async def ask_roles(update: Update, person: Me, chosen: list[str]) -> None:
    _ = person._
    rows = [[((("☑ " if r.value in chosen else "☐ ") + _(ROLE_NAMES[r])), f"bc:r:{r.value}")
             for r in AUDIENCE_ROLES], [(_("Next ➡"), "bc:r:ok")]]
    await reply(update, _("Whom should it reach? Tap to choose, then Next."), keys(rows))


async def press_at(update: Update, context: ContextTypes.DEFAULT_TYPE,
                   step: str) -> StepPress | None:
    return await step_press(update, context, FLOW, (step,), EXPIRED_HERE,
                            lambda actor: actor.at_least(Role.OFFICER))


async def role_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    found = await press_at(update, context, "roles")
    if found is None:
        return
    person, data, value = found
    db = services(context).db
    chosen = list(data.get("roles", []))
    if value == "ok":
        if not chosen:
            await ask_roles(update, person, chosen)
            return
        await db.run(save_dialog, person.id, FLOW, "language")
        _ = person._
        languages = services(context).config.languages
        rows = [[(_("All languages"), "bc:l:all")],
                [(LANGUAGE_NAMES.get(lang, lang), f"bc:l:{lang}") for lang in languages]]
        await reply(update, _("Only people who read one language?"), keys(rows))
        return
    if value not in {r.value for r in AUDIENCE_ROLES}:
        return
    chosen = [r for r in chosen if r != value] if value in chosen else [*chosen, value]
    await db.run(save_dialog, person.id, FLOW, "roles", roles=chosen)
    await ask_roles(update, person, chosen)


async def language_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    found = await press_at(update, context, "language")
    if found is None:
        return
    person, _data, value = found
    svc = services(context)
    if value != "all" and value not in svc.config.languages:
        return
    await svc.db.run(save_dialog, person.id, FLOW, "button",
                     language=None if value == "all" else value)
    await button_menu(update, context, person, 0)


async def button_menu(update: Update, context: ContextTypes.DEFAULT_TYPE, person: Me,
                      page: int) -> None:
    """A Pledge button into one of the campaigns (paged when many), a link, or none."""
    _ = person._
    svc = services(context)
    campaigns = await svc.db.run(relayable, person.actor, local_today(svc.config))
    rows = [(_("🤝 Pledge button: {name}", name=c.name), f"bc:b:c{c.id}") for c in campaigns]
    extra = keys([[(_("🔗 A link button"), "bc:b:link")], [(_("No button"), "bc:b:none")]])
    await pages.show(update, _("A button under the message?"), pages.choices(
        rows, page, lambda n: f"bc:bp:{n}", extra=extra.inline_keyboard))


async def button_page_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    found = await press_at(update, context, "button")
    if found is not None:
        await button_menu(update, context, found.person, whole(found.value) or 0)


async def button_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    found = await press_at(update, context, "button")
    if found is None:
        return
    person, _data, value = found
    svc = services(context)
    if value == "link":
        await svc.db.run(save_dialog, person.id, FLOW, "link")
        await reply(update, person._("Type the button's label and the link, for example "
                                     "“Thư ngỏ https://mttq.example.vn/thu-ngo”."))
        return
    campaign_id = None
    if value.startswith("c") and whole(value[1:]) is not None:
        campaign_id = whole(value[1:])
        allowed = await svc.db.run(relayable, person.actor, local_today(svc.config))
        if campaign_id not in {c.id for c in allowed}:
            await reply(update, person._("That campaign is outside your area."))
            return
    await preview(update, context, person, campaign_id=campaign_id)


async def link_typed(update, context, person: Me, text: str) -> None:
    match = LINK.match(text.strip())
    if not match:
        await reply(update, person._("That is not a link I can use. Type a label and a link "
                                     "starting with https://, for example “Thư ngỏ "
                                     "https://mttq.example.vn/thu-ngo”."))
        return
    await preview(update, context, person, link_url=match.group(2),
                  link_label=(match.group(1) or person._("Open the link"))[:60])


def _draft(session: Session, actor: Actor, paid: bool, **extra) -> tuple[Broadcast, int, str]:
    data = {**get_dialog(session, actor.id, FLOW).data, **extra}
    draft = BroadcastDraft(**{k: data.get(k) for k in BroadcastDraft.__dataclass_fields__})
    broadcast = create_broadcast(session, actor, draft, paid=paid)
    save_dialog(session, actor.id, FLOW, "decide", broadcast_id=broadcast.id)
    return broadcast, count_audience(session, draft), label(session, get_area(
        session, broadcast.area_id))


async def preview(update: Update, context: ContextTypes.DEFAULT_TYPE, person: Me,
                  **extra) -> None:
    """Exactly what recipients will see (sent by the same function), then the decision."""
    _ = person._
    svc = services(context)
    try:
        broadcast, count, where = await svc.db.run(_draft, person.actor,
                                                   svc.config.paid_broadcasts, **extra)
    except AccessDenied:
        await reply(update, _("You may only broadcast to your own area."))
        return
    await reply(update, _("Preview, exactly as recipients will see it:"), edit=False)
    await svc.dispatcher.preview(person.id, broadcast, _)
    roles = ", ".join(_(ROLE_NAMES[Role(r)]) for r in broadcast.roles.split(","))
    text = _.ngettext("This will reach {n} person: {roles} in {area}.",
                      "This will reach {n} people: {roles} in {area}.", count,
                      roles=roles, area=escape(where))
    if broadcast.language:
        text += " " + _("Only those who read {language}.",
                        language=LANGUAGE_NAMES.get(broadcast.language, broadcast.language))
    await reply(update, text, keys([[(_("📤 Send now"), f"bc:go:{broadcast.id}"),
                                     (_("🕒 Schedule"), f"bc:at:{broadcast.id}"),
                                     (_("✖ Cancel"), f"bc:x:{broadcast.id}")]]), edit=False)


def _send(session: Session, actor: Actor, broadcast_id: int, when: datetime,
          progress: tuple[int, int]) -> Broadcast:
    broadcast = schedule(session, actor, broadcast_id, when, progress)
    end_dialog(session, actor.id)
    return broadcast


async def go_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """bc:go:<id> sends now; bc:at:<id> asks when; bc:x:<id> cancels; bc:csv:<id> sends the
    list of recipients not reached. Each checks the officer's scope again."""
    query = update.callback_query
    person = await presser(update, context)
    if person is None:
        return
    _ = person._
    svc = services(context)
    action, _sep, raw = query.data.removeprefix("bc:").partition(":")
    broadcast_id = whole(raw)
    if broadcast_id is None:
        await query.answer(_("This button is not valid."), show_alert=True)
        return
    try:
        if action == "x":
            await svc.db.run(cancel, person.actor, broadcast_id, datetime.now(UTC))
            await svc.db.run(end_dialog, person.id)
            await query.answer()
            await reply(update, _("Broadcast #{id} is cancelled: nothing more will be sent.",
                                  id=broadcast_id))
        elif action == "csv":
            rows = await svc.db.run(problems, person.actor, broadcast_id)
            await query.answer()
            await context.bot.send_document(person.id, failed_csv(rows),
                                            filename=f"broadcast-{broadcast_id}-not-reached.csv")
        elif action == "at":
            await svc.db.run(sendable, person.actor, broadcast_id)
            await svc.db.run(save_dialog, person.id, FLOW, "when", broadcast_id=broadcast_id)
            await query.answer()
            await reply(update, _("When? Type the local date and time, for example "
                                  "“{example}”.", example=example_moment(svc.config, 1)),
                        edit=False)
        else:
            await svc.db.run(sendable, person.actor, broadcast_id)
            await query.answer()
            await start(update, context, person, broadcast_id, datetime.now(UTC))
    except AccessDenied:
        await query.answer(_("That broadcast is outside your area or already sent."),
                           show_alert=True)


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE, person: Me,
                broadcast_id: int, when: datetime) -> None:
    """The progress message comes first; the dispatcher keeps it current from then on."""
    _ = person._
    svc = services(context)
    now = datetime.now(UTC)
    text = _("📣 Broadcast #{id} is going out…", id=broadcast_id) if when <= now else \
        _("🕒 Broadcast #{id} is scheduled for {when}.", id=broadcast_id,
          when=_.datetime(when))
    progress = await update.effective_chat.send_message(text)
    await svc.db.run(_send, person.actor, broadcast_id, when,
                     (progress.chat_id, progress.message_id))
    svc.dispatcher.wake()


async def when_typed(update, context, person: Me, text: str) -> None:
    svc = services(context)
    dialog = await svc.db.run(get_dialog, person.id, FLOW)
    when = await read_moment(update, person, text, svc.config)
    if when is None:
        return
    try:
        await start(update, context, person, dialog.data["broadcast_id"], when)
    except AccessDenied:
        await reply(update, person._("That broadcast is outside your area or already sent."))


def failed_csv(rows: list[tuple[int, str, str, str]]) -> bytes:
    return csv_file(["telegram_id", "name", "status", "error"], rows)


LIST_PAGE = 10


def _recent(session: Session, actor: Actor,
            page: int) -> tuple[int, int, list[tuple[Broadcast, dict[str, int], str]]]:
    """How many broadcasts the officer may see, the page shown, and its broadcasts."""
    found = recent(session, actor, None)
    page = pages.clamp(page, pages.page_count(len(found), LIST_PAGE))
    return len(found), page, [
        (b, figures(session, b.id), label(session, get_area(session, b.area_id)))
        for b in found[page * LIST_PAGE:(page + 1) * LIST_PAGE]]


async def broadcasts_command(update: Update, context: ContextTypes.DEFAULT_TYPE,
                             page: int = 0) -> None:
    """The broadcasts of the officer's area, newest first, LIST_PAGE a page (◀ n/N ▶)."""
    person = await officer(update, context, N_("Only officers can send broadcasts."))
    if person is None:
        return
    _ = person._
    total, page, rows = await services(context).db.run(_recent, person.actor, page)
    if not rows:
        await reply(update, _("No broadcasts yet. /broadcast to send one."))
        return
    lines, buttons = [], []
    for broadcast, counts, where in rows:
        status = _(STATUS_NAMES[BroadcastStatus(broadcast.status)])
        lines.append(f"#{broadcast.id} · {_.datetime(broadcast.send_at or broadcast.created_at)}"
                     f" · {escape(where)} · {status}")
        if broadcast.recipients:
            lines.append("   " + progress_text(_, broadcast, counts, 0, False).split("\n")[1])
        if broadcast.status in (BroadcastStatus.SCHEDULED, BroadcastStatus.RUNNING):
            buttons.append([(_("✖ Cancel #{id}", id=broadcast.id), f"bc:x:{broadcast.id}")])
        if any(counts.get(k) for k in ("failed", "blocked", "left")):
            buttons.append([(_("📄 Not reached by #{id} (CSV)", id=broadcast.id),
                             f"bc:csv:{broadcast.id}")])
    nav = pages.nav_row(page, pages.page_count(total, LIST_PAGE), lambda n: f"bc:p:{n}")
    await pages.show(update, pages.fixed_page(lines, _("<b>Recent broadcasts</b>"),
                                              2 * LIST_PAGE),
                     pages.markup(keys(buttons).inline_keyboard, nav))


async def list_page_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.callback_query.answer()
    await broadcasts_command(update, context, whole(update.callback_query.data[5:]) or 0)


PICKER = Picker("bc", N_("Which area should it reach?"), area_chosen, scoped=True,
                allowed=lambda actor: actor.at_least(Role.OFFICER), steps=((FLOW, "area"),))

TEXT_STEPS = {
    (FLOW, "content"): content_sent,
    (FLOW, "area"): PICKER.search,
    (FLOW, "link"): link_typed,
    (FLOW, "when"): when_typed,
}


def handlers() -> list:
    return [
        CommandHandler("broadcast", broadcast_command),
        CommandHandler("broadcasts", broadcasts_command),
        CallbackQueryHandler(role_pressed, pattern=r"^bc:r:"),
        CallbackQueryHandler(language_pressed, pattern=r"^bc:l:"),
        CallbackQueryHandler(button_pressed, pattern=r"^bc:b:"),
        CallbackQueryHandler(go_pressed, pattern=r"^bc:(go|at|x|csv):"),
        CallbackQueryHandler(list_page_pressed, pattern=r"^bc:p:\d+$"),
        CallbackQueryHandler(button_page_pressed, pattern=r"^bc:bp:\d+$"),
        PICKER.handler(),
    ]
