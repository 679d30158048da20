"""/broadcast: an officer reaches an area in one step; /broadcasts shows how it went.

Compose (text with its formatting, or anything a person can send a bot, with its caption: a
photo, video, voice message, audio, document, video note, or an album gathered item by item as
Telegram delivers it) → area (inside the officer's scope) → roles → language → an optional
Pledge or link button → a preview exactly as recipients will see it, with the number of
recipients → send now, schedule, or cancel.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlmodel import Session
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler, ContextTypes

from bot import pages
from bot.config import Config
from bot.context import Me, escape, local_today, officer, presser, reply, services
from bot.delivery import progress_text
from bot.i18n import N_, Translator, language_name
from bot.sheets import csv_file
from handlers.area_picker import Picker
from handlers.inputs import ALBUM_REFUSED, example_moment, read_moment, refuse_big, sent_media
from handlers.menu import ROLE_NAMES
from handlers.router import StepPress, nav_row, step_press, takes_media
from models.areas import Area, get_area, label
from models.base import utcnow
from models.broadcasts import (
    AUDIENCE_ROLES,
    CAPTIONLESS,
    HEADER_END,
    Broadcast,
    BroadcastDraft,
    BroadcastStatus,
    NobodyToReach,
    album_takes,
    audience_size,
    cancel,
    count_audience,
    create_broadcast,
    discard_draft,
    figures,
    first_words,
    managed_broadcast,
    problems,
    recent,
    schedule,
    sendable,
    sender_area,
    sender_line,
    with_sender,
)
from models.campaigns import relayable
from models.chats import count_area_chats
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
    await ask_content(update, context, person)


async def ask_content(update: Update, context: ContextTypes.DEFAULT_TYPE, person: Me) -> None:
    sender = await services(context).db.run(_own_sender, person.actor,
                                            services(context).config)
    text = person._("Send the message to broadcast: a text (its formatting is kept), or a "
                    "photo, a video, a voice message, an audio file, a document or an album, "
                    "with a caption if you like. You can also forward one here.")
    if sender:
        text += "\n" + person._("It will go out under the line “{sender}”.",
                                 sender=escape(sender))
    await reply(update, text, InlineKeyboardMarkup([nav_row(person._, back=False)]))


def _own_sender(session: Session, actor: Actor, config: Config) -> str | None:
    """The officer's sender line (an admin's depends on the area reached: None)."""
    return sender_line(config.broadcast_sender, actor.scope) if actor.scope else None


def room(sender: str | None, media: bool) -> int:
    """How many units the message may have under the sender's line (`media`: as a caption)."""
    limit = CAPTION_MAX if media else TEXT_MAX
    return limit - (pages.units(sender) + len(HEADER_END) if sender else 0)


def captioned(media: list[dict[str, str]] | None) -> bool:
    """Whether the text goes as a caption (a video note's goes as a message before it)."""
    return bool(media) and not (len(media) == 1 and media[0]["kind"] in CAPTIONLESS)


@takes_media
async def content_sent(update, context, person: Me, _text: str) -> None:
    message = update.effective_message
    svc = services(context)
    found = sent_media(message)
    if found and await refuse_big(update, person, found[1], svc.config):
        return
    media = [found[0]] if found else None
    html = (message.caption_html if found else message.text_html) or ""
    sender = await svc.db.run(_own_sender, person.actor, svc.config)
    cancel = InlineKeyboardMarkup([nav_row(person._, back=False)])
    if not (html or media):  # a sticker, a location: nothing Loa can send on
        await reply(update, person._("Loa cannot read this message. Send a text, a photo, a "
                                     "video, a voice message, an audio file, a document or "
                                     "an album."), cancel)
        return
    if pages.units((message.caption or message.text or "").strip()) > room(
            sender, captioned(media)):
        await reply(update, person._("This message is too long. A broadcast text holds up to "
                                     "{n} characters, or {m} as the caption of a photo, a "
                                     "video, a voice message, an audio file, a document or an "
                                     "album, not counting the sender's line. Send a shorter "
                                     "one.", n=person._.number(room(sender, False)),
                                     m=person._.number(room(sender, True))),
                    cancel)
        return
    await svc.db.run(save_dialog, person.id, FLOW, "area", text=html, media=media,
                     album=message.media_group_id)
    await PICKER.show(update, context, person)


def _gather(session: Session, user_id: int, item: dict[str, str], caption: str) -> str | None:
    """One more item of the album the draft gathers (its caption, if the first had none):
    the step the officer is at, or None when the album cannot take it."""
    dialog = get_dialog(session, user_id, FLOW)
    media = list(dialog.data.get("media") or [])
    if not album_takes(media, item["kind"]):
        return None
    text = dialog.data.get("text") or caption
    save_dialog(session, user_id, FLOW, dialog.step, media=[*media, item], text=text)
    return dialog.step


async def album_item(update, context, person: Me, _caption: str) -> None:
    """A later item of the album being composed, whatever the step: gathered in the draft
    (the items may reach different processes); a preview already shown is shown again."""
    message = update.effective_message
    svc = services(context)
    found = sent_media(message)
    if found is None or await refuse_big(update, person, found[1], svc.config):
        return
    step = await svc.db.run(_gather, person.id, found[0], message.caption_html or "")
    if step is None:
        await reply(update, person._(ALBUM_REFUSED))
    elif step in ("decide", "when"):
        await preview(update, context, person)


async def area_chosen(update, context, person: Me, area: Area) -> None:
    dialog = await services(context).db.run(save_dialog, person.id, FLOW, "roles",
                                            area_id=area.id)
    chosen = dialog.data.get("roles") or [Role.CITIZEN.value]
    data = await services(context).db.run(_with_chats, person.id, area.id, roles=chosen)
    await ask_roles(update, person, chosen, data)


def _with_chats(session: Session, user_id: int, area_id: int, **answers) -> dict:
    """The area's linked groups and channels, counted for the audience toggle (kept off
    when it has none)."""
    count = count_area_chats(session, area_id)
    chats = answers.pop("chats", get_dialog(session, user_id, FLOW).data.get("chats"))
    return save_dialog(session, user_id, FLOW, "roles", chats_n=count,
                       chats=bool(count and chats), **answers).data


def chats_row(_: Translator, data: dict) -> list[tuple[str, str]]:
    """"👥 its N groups and channels", a toggle beside the roles, when the area has any."""
    count = data.get("chats_n") or 0
    if not count:
        return []
    return [(("☑ " if data.get("chats") else "☐ ") + _.ngettext(
        "👥 its {n} group or channel", "👥 its {n} groups and channels", count), "bc:g:t")]


async def chats_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """bc:g:t: reach the area's groups and channels too, or not."""
    found = await press_at(update, context, "roles")
    if found is None:
        return
    person, data, _value = found
    data = await services(context).db.run(_with_chats, person.id, data["area_id"],
                                          chats=not data.get("chats"))
    await ask_roles(update, person, data.get("roles", []), data)


async def ask_roles(update: Update, person: Me, chosen: list[str], data: dict) -> None:
    _ = person._
    rows = [[((("☑ " if r.value in chosen else "☐ ") + _(ROLE_NAMES[r])), f"bc:r:{r.value}")
             for r in AUDIENCE_ROLES], chats_row(_, data), [(_("Next ➡"), "bc:r:ok")]]
    await reply(update, _("Whom should it reach? Tap to choose, then Next."),
                InlineKeyboardMarkup([*keys(rows).inline_keyboard, nav_row(_)]))


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
        if not chosen and not data.get("chats"):
            await ask_roles(update, person, chosen, data)
            return
        await db.run(save_dialog, person.id, FLOW, "language")
        await ask_language(update, context, person)
        return
    if value not in {r.value for r in AUDIENCE_ROLES}:
        return
    chosen = [r for r in chosen if r != value] if value in chosen else [*chosen, value]
    data = (await db.run(save_dialog, person.id, FLOW, "roles", roles=chosen)).data
    await ask_roles(update, person, chosen, data)


async def ask_language(update: Update, context: ContextTypes.DEFAULT_TYPE, person: Me) -> None:
    _ = person._
    languages = services(context).config.languages
    choices = [(language_name(lang), f"bc:l:{lang}") for lang in languages]
    rows = [[(_("All languages"), "bc:l:all")],
            *(choices[i:i + 2] for i in range(0, len(choices), 2))]
    await reply(update, _("Only people who read one language?"),
                InlineKeyboardMarkup([*keys(rows).inline_keyboard, nav_row(_)]))


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
                      page: int = 0) -> None:
    """A Pledge button into one of the campaigns (paged when many), a link, or none."""
    _ = person._
    svc = services(context)
    campaigns = await svc.db.run(relayable, person.actor, local_today(svc.config))
    rows = [(_("🤝 Pledge button: {name}", name=c.name), f"bc:b:c{c.id}") for c in campaigns]
    extra = keys([[(_("🔗 A link button"), "bc:b:link")], [(_("No button"), "bc:b:none")]])
    await pages.show(update, _("A button under the message?"), pages.choices(
        rows, page, lambda n: f"bc:bp:{n}", extra=[*extra.inline_keyboard, nav_row(_)]))


async def button_page_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    found = await press_at(update, context, "button")
    if found is not None:
        await button_menu(update, context, found.person, whole(found.value) or 0)


async def ask_link(update: Update, context: ContextTypes.DEFAULT_TYPE, person: Me) -> None:
    await reply(update, person._("Type the button's label and the link, for example "
                                 "“Thư ngỏ https://mttq.example.vn/thu-ngo”."),
                InlineKeyboardMarkup([nav_row(person._)]))


async def button_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    found = await press_at(update, context, "button")
    if found is None:
        return
    person, _data, value = found
    svc = services(context)
    if value == "link":
        await svc.db.run(save_dialog, person.id, FLOW, "link")
        await ask_link(update, context, person)
        return
    campaign_id = None
    if value.startswith("c") and whole(value[1:]) is not None:
        campaign_id = whole(value[1:])
        allowed = await svc.db.run(relayable, person.actor, local_today(svc.config))
        if campaign_id not in {c.id for c in allowed}:
            await reply(update, person._("That campaign is outside your area."))
            return
    await preview(update, context, person, campaign_id=campaign_id, link_url=None,
                  link_label=None)


async def link_typed(update, context, person: Me, text: str) -> None:
    match = LINK.match(text.strip())
    if not match:
        await reply(update, person._("That is not a link I can use. Type a label and a link "
                                     "starting with https://, for example “Thư ngỏ "
                                     "https://mttq.example.vn/thu-ngo”."),
                    InlineKeyboardMarkup([nav_row(person._)]))
        return
    await preview(update, context, person, campaign_id=None, link_url=match.group(2),
                  link_label=(match.group(1) or person._("Open the link"))[:60])


@dataclass
class Draft:
    """The broadcast made for the preview (None when it would reach nobody or is too long),
    how many it reaches, where, and who speaks."""

    broadcast: Broadcast | None
    count: int
    where: str
    roles: list[str]
    language: str | None
    too_long: int = 0  # the room left when the sender's line made it too long


def _draft(session: Session, actor: Actor, config: Config, **extra) -> Draft:
    dialog = get_dialog(session, actor.id, FLOW)
    if dialog.data.get("broadcast_id"):  # back and forth: the earlier draft goes
        discard_draft(session, actor.id, dialog.data["broadcast_id"], utcnow())
    data = {**dialog.data, **extra, "broadcast_id": None}
    draft = BroadcastDraft(**{k: data.get(k) for k in BroadcastDraft.__dataclass_fields__})
    area = get_area(session, draft.area_id)
    if area is None or not actor.covers(area):
        raise AccessDenied("broadcasts go to an area inside the officer's scope")
    sender = sender_line(config.broadcast_sender, sender_area(session, actor, area.id))
    body = pages.visible(draft.text).strip()
    if body and pages.units(body) > room(sender, captioned(draft.media)):
        save_dialog(session, actor.id, FLOW, "decide", **data)
        return Draft(None, 0, "", [], None, room(sender, captioned(draft.media)))
    draft.text = with_sender(escape(sender), draft.text)
    count = count_audience(session, draft)
    where = label(session, area)
    if count == 0:
        save_dialog(session, actor.id, FLOW, "decide", **data)
        return Draft(None, 0, where, draft.roles, draft.language)
    broadcast = create_broadcast(session, actor, draft, paid=config.paid_broadcasts)
    save_dialog(session, actor.id, FLOW, "decide", **{**data, "broadcast_id": broadcast.id})
    return Draft(broadcast, count, where, draft.roles, draft.language)


def audience_text(_: Translator, roles: list[str], language: str | None) -> str:
    text = ", ".join(_(ROLE_NAMES[r]) for r in AUDIENCE_ROLES if r.value in roles)
    if language:
        text += " " + _("who read {language}", language=escape(language_name(language)))
    return text


async def preview(update: Update, context: ContextTypes.DEFAULT_TYPE, person: Me,
                  **extra) -> None:
    """Exactly what recipients will see (sent by the same function), then the decision."""
    _ = person._
    svc = services(context)
    try:
        made = await svc.db.run(_draft, person.actor, svc.config, **extra)
    except AccessDenied:
        await reply(update, _("You may only broadcast to your own area."))
        return
    if made.too_long:
        await reply(update, _("With the sender's line, the message is too long: up to {n} "
                              "characters fit. Press ✖ and send a shorter one.",
                              n=made.too_long), InlineKeyboardMarkup([nav_row(_)]), edit=False)
        return
    if made.broadcast is None:
        await reply(update, _("Nobody would receive this: no {who} in {area} has started Loa "
                              "yet. Change whom it reaches, or cancel.",
                              who=audience_text(_, made.roles, made.language),
                              area=escape(made.where)),
                    InlineKeyboardMarkup([[InlineKeyboardButton(
                        _("⬅ Change whom it reaches"), callback_data="bc:aud:0")],
                        nav_row(_, back=False)]), edit=False)
        return
    await reply(update, _("Preview, exactly as recipients will see it:"), edit=False)
    await svc.dispatcher.preview(person.id, made.broadcast, _)
    await decision(update, person, made)


async def decision(update: Update, person: Me, made: Draft) -> None:
    _ = person._
    broadcast = made.broadcast
    roles = ", ".join([*(_(ROLE_NAMES[Role(r)]) for r in made.roles if r),
                       *([_("groups and channels")] if broadcast.chats else [])])
    text = _.ngettext("This will reach {n} person: {roles} in {area}.",
                      "This will reach {n} people: {roles} in {area}.", made.count,
                      roles=roles, area=escape(made.where))
    if broadcast.language:
        text += " " + _("Only those who read {language}.",
                        language=escape(language_name(broadcast.language)))
    await reply(update, text, InlineKeyboardMarkup([
        *keys([[(_("📤 Send now"), f"bc:go:{broadcast.id}"),
                (_("🕒 Schedule"), f"bc:at:{broadcast.id}")]]).inline_keyboard,
        nav_row(_)]), edit=False)


def _decided(session: Session, actor: Actor) -> Draft:
    """The draft waiting for a decision, again (⬅ from "when?")."""
    dialog = save_dialog(session, actor.id, FLOW, "decide")
    broadcast = sendable(session, actor, dialog.data["broadcast_id"])
    return Draft(broadcast, audience_size(session, broadcast),
                 label(session, get_area(session, broadcast.area_id)),
                 broadcast.roles.split(","), broadcast.language)


async def audience_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """bc:aud: back from "nobody would receive it" to whom it reaches."""
    found = await press_at(update, context, "decide")
    if found is not None:
        await back_to_roles(update, context, found.person)


def _undraft(session: Session, actor: Actor, step: str) -> dict:
    """Back before the preview: the draft made for it is cancelled, the answers kept."""
    dialog = get_dialog(session, actor.id, FLOW)
    if dialog.data.get("broadcast_id"):
        discard_draft(session, actor.id, dialog.data["broadcast_id"], utcnow())
    return save_dialog(session, actor.id, FLOW, step, broadcast_id=None).data


async def back_to_roles(update: Update, context: ContextTypes.DEFAULT_TYPE,
                        person: Me) -> None:
    data = await services(context).db.run(_undraft, person.actor, "roles")
    await ask_roles(update, person, data.get("roles", []), data)


def _back(step: str, ask):
    async def again(update: Update, context: ContextTypes.DEFAULT_TYPE, person: Me) -> None:
        await services(context).db.run(_undraft, person.actor, step)
        await ask(update, context, person)
    return again


async def back_to_decision(update: Update, context: ContextTypes.DEFAULT_TYPE,
                           person: Me) -> None:
    try:
        made = await services(context).db.run(_decided, person.actor)
    except AccessDenied:
        await reply(update, person._("That broadcast is outside your area or already sent."))
        return
    await decision(update, person, made)


BACK = {
    (FLOW, "area"): _back("content", ask_content),
    (FLOW, "roles"): _back("area", lambda u, c, p: PICKER.show(u, c, p)),
    (FLOW, "language"): back_to_roles,
    (FLOW, "button"): _back("language", ask_language),
    (FLOW, "link"): _back("button", button_menu),
    (FLOW, "decide"): _back("button", button_menu),
    (FLOW, "when"): back_to_decision,
}


def _ready(session: Session, actor: Actor, broadcast_id: int) -> Broadcast:
    """The officer's draft, with someone to reach; AccessDenied or NobodyToReach otherwise."""
    broadcast = sendable(session, actor, broadcast_id)
    if audience_size(session, broadcast) == 0:
        raise NobodyToReach(broadcast_id)
    return broadcast


def _send(session: Session, actor: Actor, broadcast_id: int, when: datetime,
          progress: tuple[int, int]) -> Broadcast:
    broadcast = schedule(session, actor, broadcast_id, when, progress)
    end_dialog(session, actor.id)
    return broadcast


def _cancel(session: Session, actor: Actor, broadcast_id: int) -> str:
    broadcast = cancel(session, actor, broadcast_id, utcnow())
    dialog = get_dialog(session, actor.id, FLOW)
    if dialog is not None and dialog.data.get("broadcast_id") == broadcast_id:
        end_dialog(session, actor.id)
    return first_words(broadcast.text)


def _asked_cancel(session: Session, actor: Actor, broadcast_id: int) -> Broadcast:
    broadcast = managed_broadcast(session, actor, broadcast_id)
    if broadcast.status not in (BroadcastStatus.SCHEDULED, BroadcastStatus.RUNNING):
        raise AccessDenied("only a scheduled or running broadcast is cancelled from the list")
    return broadcast


async def go_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """bc:go:<id> sends now; bc:at:<id> asks when; bc:x:<id> asks before cancelling and
    bc:xx:<id> cancels; bc:csv:<id> sends the list of recipients not reached. Each checks the
    officer's scope again."""
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
            broadcast = await svc.db.run(_asked_cancel, person.actor, broadcast_id)
            await query.answer()
            await reply(update, _("Cancel broadcast #{id} (“{words}”)? What has not gone out "
                                  "yet will not be sent.", id=broadcast_id,
                                  words=escape(first_words(broadcast.text))),
                        keys([[(_("✖ Yes, cancel #{id}", id=broadcast_id),
                                f"bc:xx:{broadcast_id}")],
                              [(_("⬅ No, back to the list"), "bc:p:0")]]))
        elif action == "xx":
            await svc.db.run(_cancel, person.actor, broadcast_id)
            await query.answer()
            await reply(update, _("Broadcast #{id} is cancelled: nothing more will be sent.",
                                  id=broadcast_id),
                        keys([[(_("⬅ Back to the list"), "bc:p:0")]]))
        elif action == "csv":
            rows = await svc.db.run(problems, person.actor, broadcast_id)
            await query.answer()
            await context.bot.send_document(person.id, failed_csv(rows),
                                            filename=f"broadcast-{broadcast_id}-not-reached.csv")
        elif action == "at":
            await svc.db.run(sendable, person.actor, broadcast_id)
            await svc.db.run(save_dialog, person.id, FLOW, "when", broadcast_id=broadcast_id)
            await query.answer()
            await query.edit_message_reply_markup(None)
            await reply(update, _("When? Type the local date and time, for example "
                                  "“{example}”.", example=example_moment(svc.config, 1)),
                        InlineKeyboardMarkup([nav_row(_)]), edit=False)
        else:
            await svc.db.run(_ready, person.actor, broadcast_id)
            await query.answer()
            await query.edit_message_reply_markup(None)  # one stray tap cannot cancel it
            await start(update, context, person, broadcast_id, datetime.now(UTC))
    except AccessDenied:
        await query.answer(_("That broadcast is outside your area or already sent."),
                           show_alert=True)
    except NobodyToReach:
        await query.answer(_("Nobody would receive it any more: change whom it reaches."),
                           show_alert=True)


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE, person: Me,
                broadcast_id: int, when: datetime) -> None:
    """The progress message comes first; the dispatcher keeps it current from then on."""
    _ = person._
    svc = services(context)
    now = datetime.now(UTC)
    await svc.db.run(_ready, person.actor, broadcast_id)
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
    except NobodyToReach:
        await reply(update, person._("Nobody would receive it any more: change whom it "
                                     "reaches."), InlineKeyboardMarkup([nav_row(person._)]))


def failed_csv(rows: list[tuple[int, str, str, str]]) -> bytes:
    return csv_file(["telegram_id", "name", "status", "error"], rows)


LIST_PAGE = 10
MEDIA_MARKS = {"photo": "🖼", "video": "🎬", "animation": "🎞", "document": "📄", "audio": "🎵",
               "voice": "🎤", "video_note": "⏺"}


def media_mark(media: list[dict[str, str]] | None) -> str:
    """What a broadcast carried besides its text, in the list: "🎤 ", "🖼×3 "."""
    if not media:
        return ""
    count = f"×{len(media)}" if len(media) > 1 else ""
    return MEDIA_MARKS.get(media[0]["kind"], "📎") + count + " "


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
        block = [f"#{broadcast.id} · {_.datetime(broadcast.send_at or broadcast.created_at)}"
                 f" · {escape(where)} · {status}"]
        if broadcast.recipients:
            block.append("   " + progress_text(_, broadcast, counts, 0, False).split("\n")[1])
        block.append(f"   {media_mark(broadcast.media)}“{escape(first_words(broadcast.text))}”")
        lines.append("\n".join(block))
        if broadcast.status in (BroadcastStatus.SCHEDULED, BroadcastStatus.RUNNING):
            buttons.append([(_("✖ Cancel #{id}", id=broadcast.id), f"bc:x:{broadcast.id}")])
        if any(counts.get(k) for k in ("failed", "blocked", "left")):
            buttons.append([(_("📄 Not reached by #{id} (CSV)", id=broadcast.id),
                             f"bc:csv:{broadcast.id}")])
    nav = pages.nav_row(page, pages.page_count(total, LIST_PAGE), lambda n: f"bc:p:{n}")
    await pages.show(update, pages.fixed_page(lines, _("<b>Recent broadcasts</b>"),
                                              LIST_PAGE),
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
ALBUMS = {FLOW: album_item}


def handlers() -> list:
    return [
        CommandHandler("broadcast", broadcast_command),
        CommandHandler("broadcasts", broadcasts_command),
        CallbackQueryHandler(role_pressed, pattern=r"^bc:r:"),
        CallbackQueryHandler(chats_pressed, pattern=r"^bc:g:t$"),
        CallbackQueryHandler(language_pressed, pattern=r"^bc:l:"),
        CallbackQueryHandler(button_pressed, pattern=r"^bc:b:"),
        CallbackQueryHandler(go_pressed, pattern=r"^bc:(go|at|x|xx|csv):"),
        CallbackQueryHandler(audience_pressed, pattern=r"^bc:aud:0$"),
        CallbackQueryHandler(list_page_pressed, pattern=r"^bc:p:\d+$"),
        CallbackQueryHandler(button_page_pressed, pattern=r"^bc:bp:\d+$"),
        PICKER.handler(),
    ]
