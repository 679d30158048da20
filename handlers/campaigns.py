"""Campaigns: officers open and run fund drives (/campaign); everyone reads them (/campaigns).

Opening one is a conversation kept in the database: name, open letter, an optional copy of it
(a document, a photo, a voice message or a video, an album: whatever a person can send), the
period, the area (inside the officer's scope), the money target and optional
item targets, then one confirmation.
"""

from __future__ import annotations

from datetime import date
from itertools import pairwise

from sqlmodel import Session
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler, ContextTypes

from bot import pages
from bot.context import Me, escape, local_today, me, officer, presser, reply, services
from bot.i18n import N_, Translator
from bot.messages import media_requests, pledge_button
from bot.weblinks import page_button
from handlers.area_picker import Picker
from handlers.inputs import ALBUM_REFUSED, read_amount, refuse_big, sent_media
from handlers.router import nav_row, takes_media
from models.areas import SHORT, Area, get_area, label
from models.broadcasts import album_takes
from models.campaigns import (
    DESCRIPTION_MAX,
    HANDOVER_MAX,
    NAME_TYPED,
    TARGET_NAME_MAX,
    TARGETS_MAX,
    Campaign,
    CampaignDraft,
    CampaignStatus,
    campaigns_run_by,
    create_campaign,
    managed_campaign,
    open_campaigns,
    parse_targets,
    update_campaign,
)
from models.dates import InputProblem, parse_period
from models.dialogs import end_dialog, get_dialog, save_dialog
from models.figures import Progress, progress
from models.numbers import whole
from models.users import AccessDenied, Actor, Role, get_user

FLOW, EDIT_FLOW = "campaign", "campaign_edit"
LETTER_SHOWN = 600  # of the open letter on a card; the whole one is a button away

STATUS_NAMES = {CampaignStatus.OPEN: N_("open"), CampaignStatus.PAUSED: N_("paused"),
                CampaignStatus.CLOSED: N_("closed")}


# ---- showing a campaign -----------------------------------------------------------------------

def card(_: Translator, campaign: Campaign, where: str, prog: Progress, today: date,
         letter: bool = True) -> str:
    """A campaign as people read it: what, where, when, the open letter and how far it got."""
    lines = [f"📣 <b>{escape(campaign.name)}</b>",
             _("{area} · {start} – {end}", area=escape(where), start=_.date(campaign.starts_on),
               end=_.date(campaign.ends_on))]
    if campaign.status != CampaignStatus.OPEN:
        lines.append(_("Status: {status}", status=_(STATUS_NAMES[CampaignStatus(
            campaign.status)])))
    if letter and campaign.description:
        lines += ["", pages.shorten(escape(campaign.description), LETTER_SHOWN)]
    lines += ["", progress_line(_, campaign, prog, today)]
    return "\n".join(lines)


def progress_line(_: Translator, campaign: Campaign, prog: Progress, today: date) -> str:
    parts = [_("Pledged {pledged}", pledged=_.money(prog.overall.pledged))]
    if campaign.money_target:
        parts[0] = _("Pledged {pledged} of {target} ({percent})",
                     pledged=_.money(prog.overall.pledged),
                     target=_.money(campaign.money_target),
                     percent=_.percent(prog.overall.pledged / campaign.money_target))
    parts.append(_("received {received}", received=_.money(prog.overall.received)))
    parts.append(_.ngettext("{n} pledger", "{n} pledgers", prog.pledgers))
    days = (campaign.ends_on - today).days
    if today < campaign.starts_on:
        parts.append(_("starts {date}", date=_.date(campaign.starts_on)))
    elif days >= 0:
        parts.append(_.ngettext("{n} day left", "{n} days left", days + 1))
    else:
        parts.append(_("ended"))
    lines = ["📊 " + " · ".join(parts)]
    for target, pledged, received in prog.items:
        lines.append(_("🏠 {name}: {pledged} of {quantity} pledged, {received} received",
                       name=escape(target.name), pledged=_.number(pledged),
                       quantity=_.number(target.quantity), received=_.number(received)))
    return "\n".join(lines)


def _cards(session: Session, campaigns: list[Campaign]) -> list[tuple[Campaign, str, Progress]]:
    return [(c, label(session, get_area(session, c.area_id)), progress(session, c.id))
            for c in campaigns]


def _readable(session: Session, user_id: int, today: date) -> list[Campaign]:
    user = get_user(session, user_id)
    return open_campaigns(session, get_area(session, user.area_id), today)


def _for_reader(session: Session, user_id: int, today: date, page: int):
    """How many open campaigns the person may read, the page shown, and its card."""
    found = _readable(session, user_id, today)
    if not found:
        return 0, 0, None
    page = pages.clamp(page, len(found))
    return len(found), page, _cards(session, [found[page]])[0]


def letter_cut(campaign: Campaign) -> bool:
    return pages.visible_units(escape(campaign.description)) > LETTER_SHOWN


async def send_attachment(update: Update, context: ContextTypes.DEFAULT_TYPE,
                          campaign: Campaign) -> None:
    """The open letter itself, as the officer sent it (by Telegram file id: no re-upload)."""
    if campaign.attachment:
        await services(context).dispatcher.answer(media_requests(
            campaign.attachment, "", None, update.effective_chat.id))


async def campaigns_command(update: Update, context: ContextTypes.DEFAULT_TYPE,
                            page: int = 0) -> None:
    """One card a page (◀ n/N ▶ between the open campaigns), the letter shortened on it."""
    person = await me(update, context)
    if person is None:
        return
    _ = person._
    svc = services(context)
    today = local_today(svc.config)
    count, page, shown = await svc.db.run(_for_reader, person.id, today, page)
    if shown is None:
        await reply(update, _("There is no open campaign right now."))
        return
    campaign, where, prog = shown
    if update.callback_query is None:
        await send_attachment(update, context, campaign)
    rows = [[pledge_button(_, campaign.id)]]
    if letter_cut(campaign) or campaign.attachment:
        rows.append([InlineKeyboardButton(_("📖 Read the whole letter"),
                                          callback_data=f"cmp:l:{campaign.id}")])
    public_page = page_button(_, svc.config, campaign.ref_prefix)
    if public_page:
        rows.append(public_page)
    await pages.show(update, pages.page_text([card(_, campaign, where, prog, today)], [0]),
                     pages.markup(rows, pages.nav_row(page, count, lambda n: f"cmp:pg:{n}")))


async def page_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """cmp:pg:<page>: another card of /campaigns (the list is read again for the presser)."""
    await update.callback_query.answer()
    page = whole(update.callback_query.data.rsplit(":", 1)[1])
    await campaigns_command(update, context, page or 0)


async def letter_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """cmp:l:<id>: the whole open letter, and its document or photo, of a campaign the
    presser may read."""
    query = update.callback_query
    person = await presser(update, context)
    if person is None:
        return
    svc = services(context)
    wanted = whole(query.data.rsplit(":", 1)[1])
    found = [c for c in await svc.db.run(_readable, person.id, local_today(svc.config))
             if c.id == wanted]
    if not found:
        await query.answer(person._("This campaign is not open any more."), show_alert=True)
        return
    await query.answer()
    campaign = found[0]
    await send_attachment(update, context, campaign)
    if campaign.description:
        for text in pages.split_text(escape(campaign.description).split("\n"),
                                     f"📣 <b>{escape(campaign.name)}</b>\n"):
            await pages.show(update, text, None, edit=False)


# ---- opening a campaign -----------------------------------------------------------------------

async def campaign_command(update: Update, context: ContextTypes.DEFAULT_TYPE,
                           page: int = 0) -> None:
    person = await officer(update, context, N_("Only officers can open and run campaigns."))
    if person is None:
        return
    _ = person._
    run = await services(context).db.run(campaigns_run_by, person.actor)
    new = [InlineKeyboardButton(_("➕ New campaign"), callback_data="cmp:new")]
    names = [(f"{c.name} ({_(STATUS_NAMES[CampaignStatus(c.status)])})", f"cmp:m:{c.id}")
             for c in run]
    await pages.show(update, _("Your campaigns. Open one to change it, or start a new one."),
                     pages.choices(names, page, lambda n: f"cmp:lp:{n}", top=[new]))


async def list_page_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.callback_query.answer()
    await campaign_command(update, context, whole(update.callback_query.data[7:]) or 0)


PROMPTS = {
    "name": N_("Step 1 of 7. What is the campaign called (up to {n} characters)? For "
               "example: Tháng cao điểm “Vì người nghèo” {year}."),
    "letter": N_("Step 2 of 7. Type the open letter (what people will read with the "
                 "campaign)."),
    "attachment": N_("Step 3 of 7. Send the open letter as a document, a photo or an "
                     "album, a voice message or a video, if you have one, or press Skip."),
    "period": N_("Step 4 of 7. From when to when? Type the two dates, for example "
                 "17/10/{year} - 18/11/{year}."),
    "target": N_("Step 6 of 7. What is the money target? For example 500 triệu or "
                 "500.000.000."),
    "items": N_("Step 7 of 7. Any item targets? Up to {n} targets, one per line (or separated "
                "by “;”) as name: number, a name of up to {m} characters, for example “Nhà Đại "
                "đoàn kết: 7”. Or press Skip."),
}
SKIPPABLE = ("attachment", "items")
PROMPT_NUMBERS = {"name": (NAME_TYPED, 0), "items": (TARGETS_MAX, TARGET_NAME_MAX)}


STEPS = ("name", "letter", "attachment", "period", "area", "target", "items", "confirm")


async def ask(update: Update, person: Me, step: str, year: int | None = None) -> None:
    """One question of the flow, with Skip where it may be skipped, ⬅ and ✖."""
    rows = [[InlineKeyboardButton(person._("Skip"), callback_data="cmp:skip")]] \
        if step in SKIPPABLE else []
    rows.append(nav_row(person._, back=step != STEPS[0]))
    n, m = PROMPT_NUMBERS.get(step, (0, 0))
    await reply(update, person._(PROMPTS[step], n=n, m=m, year=year or date.today().year),
                InlineKeyboardMarkup(rows), edit=False)


def _back_to(step: str):
    """⬅ from the step after `step`: ask `step` again; the answers given are kept."""
    async def again(update: Update, context: ContextTypes.DEFAULT_TYPE, person: Me) -> None:
        await _step(context, person, step)
        if step == "area":
            await PICKER.show(update, context, person)
        else:
            await ask(update, person, step)
    return again


BACK = {(FLOW, later): _back_to(earlier) for earlier, later in pairwise(STEPS)}


async def new_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.callback_query.answer()
    person = await officer(update, context, N_("Only officers can open and run campaigns."))
    if person is None:
        return
    await services(context).db.run(save_dialog, person.id, FLOW, "name")
    await ask(update, person, "name")


async def _step(context: ContextTypes.DEFAULT_TYPE, person: Me, step: str, **data) -> None:
    await services(context).db.run(save_dialog, person.id, FLOW, step, **data)


async def name_typed(update, context, person: Me, text: str) -> None:
    if not text.strip() or len(text.strip()) > NAME_TYPED:
        await reply(update, person._("A name of 1 to {n} characters, please, for example: "
                                     "Tháng cao điểm “Vì người nghèo” {year}.", n=NAME_TYPED,
                                     year=date.today().year))
        return
    await _step(context, person, "letter", name=text.strip())
    await ask(update, person, "letter")


async def letter_typed(update, context, person: Me, text: str) -> None:
    if pages.units(text) > DESCRIPTION_MAX or not text.strip():
        await reply(update, person._("The letter must be 1 to {n} characters; send a longer "
                                     "one as a document in the next step.", n=DESCRIPTION_MAX))
        return
    await _step(context, person, "attachment", description=text.strip())
    await ask(update, person, "attachment")


@takes_media
async def attachment_sent(update, context, person: Me, text: str) -> None:
    message = update.effective_message
    found = sent_media(message)
    if found is None:
        await reply(update, person._("Send a document, a photo, a voice message or a video, "
                                     "or press Skip."))
        return
    if await refuse_big(update, person, found[1], services(context).config):
        return
    await _step(context, person, "period", attachment=[found[0]], album=message.media_group_id)
    await ask(update, person, "period")


def _gather(session: Session, user_id: int, item: dict[str, str]) -> bool:
    """One more item of the letter's album; False when the album cannot take it."""
    dialog = get_dialog(session, user_id, FLOW)
    attachment = list(dialog.data.get("attachment") or [])
    if not album_takes(attachment, item["kind"]):
        return False
    save_dialog(session, user_id, FLOW, dialog.step, attachment=[*attachment, item])
    return True


async def album_item(update, context, person: Me, _caption: str) -> None:
    """A later item of the letter's album, whatever the step: gathered in the draft."""
    found = sent_media(update.effective_message)
    svc = services(context)
    if found is None or await refuse_big(update, person, found[1], svc.config):
        return
    if not await svc.db.run(_gather, person.id, found[0]):
        await reply(update, person._(ALBUM_REFUSED))


async def period_typed(update, context, person: Me, text: str) -> None:
    try:
        start, end = parse_period(text, local_today(services(context).config))
    except InputProblem:
        await reply(update, person._("“{text}” is not a period I can read. Type the start and "
                                     "the end, for example 17/10/{year} - 18/11/{year}.",
                                     text=escape(text[:60]), year=date.today().year))
        return
    await _step(context, person, "area", starts_on=start.isoformat(), ends_on=end.isoformat())
    await PICKER.show(update, context, person)


async def area_chosen(update, context, person: Me, area: Area) -> None:
    await _step(context, person, "target", area_id=area.id)
    where = await services(context).db.run(label, area, SHORT)
    await reply(update, person._("Area: <b>{area}</b>.", area=escape(where)))
    await ask(update, person, "target")


async def target_typed(update, context, person: Me, text: str) -> None:
    amount = await read_amount(update, person, text, services(context).config.max_amount * 100)
    if amount is not None:
        await _step(context, person, "items", money_target=amount)
        await ask(update, person, "items")


async def items_typed(update, context, person: Me, text: str) -> None:
    try:
        items = parse_targets(text)
    except InputProblem as problem:
        await reply(update, person._("“{text}” is not a target I can read. Write up to {n} "
                                     "targets as name: number, a name of up to {m} characters, "
                                     "for example “Nhà Đại đoàn kết: 7”.",
                                     text=escape(str(problem)[:60]), n=TARGETS_MAX,
                                     m=TARGET_NAME_MAX))
        return
    await _step(context, person, "confirm", targets=items)
    await confirm_screen(update, context, person)


async def skip_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.callback_query.answer()
    person = await me(update, context)
    dialog = person and await services(context).db.run(get_dialog, person.id, FLOW)
    if dialog is None or dialog.step not in SKIPPABLE:
        if person:
            await reply(update, person._("This button has expired."))
        return
    if dialog.step == "attachment":
        await _step(context, person, "period")
        await ask(update, person, "period")
    else:
        await _step(context, person, "confirm", targets=[])
        await confirm_screen(update, context, person)


def _draft(data: dict) -> CampaignDraft:
    return CampaignDraft(
        name=data["name"], description=data["description"],
        starts_on=date.fromisoformat(data["starts_on"]),
        ends_on=date.fromisoformat(data["ends_on"]), area_id=data["area_id"],
        money_target=data["money_target"], targets=[tuple(t) for t in data.get("targets", [])],
        attachment=data.get("attachment"))


def _preview(session: Session, user_id: int) -> tuple[CampaignDraft, str] | None:
    dialog = get_dialog(session, user_id, FLOW)
    if dialog is None or dialog.step != "confirm":
        return None
    draft = _draft(dialog.data)
    return draft, label(session, get_area(session, draft.area_id))


async def confirm_screen(update: Update, context: ContextTypes.DEFAULT_TYPE, person: Me) -> None:
    _ = person._
    draft, where = await services(context).db.run(_preview, person.id)
    lines = [_("<b>Check the campaign before opening it</b>"),
             _("Name: {value}", value=escape(draft.name)),
             _("Area: {value}", value=escape(where)),
             _("Period: {start} – {end}", start=_.date(draft.starts_on),
               end=_.date(draft.ends_on)),
             _("Money target: {amount}", amount=_.money(draft.money_target))]
    lines += [f"🏠 {escape(name)}: {_.number(qty)}" for name, qty in draft.targets]
    lines.append(_("Open letter: {value}", value=escape(draft.description[:300])))
    if draft.attachment:
        lines.append(_("With the letter attached."))
    buttons = [[InlineKeyboardButton(_("✅ Open the campaign"), callback_data="cmp:create"),
                InlineKeyboardButton(_("✖ Cancel"), callback_data="cmp:cancel")]]
    await reply(update, "\n".join(lines), InlineKeyboardMarkup(buttons), edit=False)


def _create(session: Session, actor: Actor) -> Campaign | None:
    preview = _preview(session, actor.id)
    if preview is None:
        return None
    campaign = create_campaign(session, actor, preview[0])
    end_dialog(session, actor.id)
    return campaign


async def create_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    await query.answer()
    person = await me(update, context)
    if person is None:
        return
    _ = person._
    db = services(context).db
    if query.data == "cmp:cancel":
        await db.run(end_dialog, person.id)
        await reply(update, _("Cancelled: no campaign was opened."))
        return
    try:
        campaign = await db.run(_create, person.actor)
    except AccessDenied:
        await reply(update, _("You may only open campaigns inside your own area."))
        return
    if campaign is None:
        await reply(update, _("This button has expired."))
        return
    await reply(update, _("The campaign <b>{name}</b> is open. Pledge references will look "
                          "like {example}. /campaigns shows it as people see it.",
                          name=escape(campaign.name), example=f"{campaign.ref_prefix}-0001"))


PICKER = Picker("cmp", N_("Step 5 of 7. Which area does the campaign cover?"), area_chosen,
                scoped=True, allowed=lambda actor: actor.at_least(Role.OFFICER),
                steps=((FLOW, "area"),))


# ---- running a campaign -----------------------------------------------------------------------

def _managed(session: Session, actor: Actor, campaign_id: int):
    campaign = managed_campaign(session, actor, campaign_id)
    return campaign, label(session, get_area(session, campaign.area_id)), \
        progress(session, campaign.id)


EDITS = {"name": N_("Edit name"), "description": N_("Edit letter"),
         "period": N_("Edit dates"), "money_target": N_("Edit target"),
         "handover": N_("📦 Where goods go")}
EDIT_PROMPTS = {
    "name": N_("Type the new name."),
    "description": N_("Type the new open letter."),
    "period": N_("Type the new dates, for example 17/10/{year} - 18/11/{year}."),
    "money_target": N_("Type the new money target, for example 500 triệu."),
    "handover": N_("Where and when can people bring goods, and whom do they ask? For example "
                   "“Nhà văn hóa ấp 1, 7h–17h hằng ngày, gặp chị Lan”. Up to {n} characters; "
                   "type “-” to remove it."),
}


async def manage_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """cmp:m:<id> shows it; cmp:s:<id>:<status> changes its status; cmp:e:<id>:<field> edits."""
    query = update.callback_query
    person = await presser(update, context)
    if person is None:
        return
    _ = person._
    svc = services(context)
    parts = query.data.split(":")
    try:
        campaign_id = int(parts[2])
        if parts[1] == "s":
            await svc.db.run(update_campaign, person.actor, campaign_id, status=parts[3])
        elif parts[1] == "e" and parts[3] in EDITS:
            await svc.db.run(managed_campaign, person.actor, campaign_id)
            await svc.db.run(save_dialog, person.id, EDIT_FLOW, parts[3], campaign_id=campaign_id)
            await query.answer()
            await reply(update, _(EDIT_PROMPTS[parts[3]], year=date.today().year,
                                  n=HANDOVER_MAX), edit=False)
            return
        campaign, where, prog = await svc.db.run(_managed, person.actor, campaign_id)
    except (AccessDenied, LookupError, ValueError, IndexError):
        await query.answer(_("You may only run campaigns inside your own area."),
                           show_alert=True)
        return
    await query.answer()
    await show_managed(update, person, campaign, where, prog, local_today(svc.config))


async def show_managed(update: Update, person: Me, campaign: Campaign, where: str,
                       prog: Progress, today: date) -> None:
    _ = person._
    rows = [[InlineKeyboardButton(_(text), callback_data=f"cmp:e:{campaign.id}:{key}")
             for key, text in list(EDITS.items())[i:i + 2]] for i in range(0, len(EDITS), 2)]
    status = CampaignStatus(campaign.status)
    moves = {CampaignStatus.OPEN: [(N_("⏸ Pause"), "paused"), (N_("⏹ Close"), "closed")],
             CampaignStatus.PAUSED: [(N_("▶ Resume"), "open"), (N_("⏹ Close"), "closed")],
             CampaignStatus.CLOSED: [(N_("▶ Reopen"), "open")]}[status]
    rows.append([InlineKeyboardButton(_(text), callback_data=f"cmp:s:{campaign.id}:{to}")
                 for text, to in moves])
    text = card(_, campaign, where, prog, today, letter=False)
    if campaign.handover:
        text += "\n" + _("📦 Where goods go: {place}", place=escape(campaign.handover))
    await reply(update, pages.shorten(text, pages.TEXT_BUDGET), InlineKeyboardMarkup(rows))


async def edit_typed(update, context, person: Me, text: str) -> None:
    """The new value of the field being edited (the dialog's step names it)."""
    svc = services(context)
    dialog = await svc.db.run(get_dialog, person.id, EDIT_FLOW)
    field, changes = dialog.step, {}
    if field == "name" and 0 < len(text.strip()) <= NAME_TYPED:
        changes = {"name": text.strip()}
    elif field == "description" and len(text.strip()) > 0 and \
            pages.units(text.strip()) <= DESCRIPTION_MAX:
        changes = {"description": text.strip()}
    elif field == "period":
        try:
            start, end = parse_period(text, local_today(services(context).config))
            changes = {"starts_on": start, "ends_on": end}
        except InputProblem:
            pass
    elif field == "handover" and 0 < len(" ".join(text.split())) <= HANDOVER_MAX:
        changes = {"handover": None if text.strip() in ("-", "–") else " ".join(text.split())}
    elif field == "money_target":
        amount = await read_amount(update, person, text, svc.config.max_amount * 100)
        if amount is None:
            return
        changes = {"money_target": amount}
    if not changes:
        await reply(update, person._("That does not fit. ")
                    + person._(EDIT_PROMPTS[field], year=date.today().year, n=HANDOVER_MAX))
        return
    campaign_id = dialog.data["campaign_id"]
    try:
        await svc.db.run(update_campaign, person.actor, campaign_id, **changes)
    except AccessDenied:
        await reply(update, person._("You may only run campaigns inside your own area."))
        return
    await svc.db.run(end_dialog, person.id)
    campaign, where, prog = await svc.db.run(_managed, person.actor, campaign_id)
    await reply(update, person._("Saved."))
    await show_managed(update, person, campaign, where, prog, local_today(svc.config))


AGAIN = {**{(FLOW, step): _back_to(step) for step in STEPS[:-1]},
         (FLOW, "confirm"): confirm_screen}

TEXT_STEPS = {
    (FLOW, "name"): name_typed,
    (FLOW, "letter"): letter_typed,
    (FLOW, "attachment"): attachment_sent,
    (FLOW, "period"): period_typed,
    (FLOW, "area"): PICKER.search,
    (FLOW, "target"): target_typed,
    (FLOW, "items"): items_typed,
    **{(EDIT_FLOW, field): edit_typed for field in EDITS},
}
ALBUMS = {FLOW: album_item}


def handlers() -> list:
    return [
        CommandHandler("campaign", campaign_command),
        CommandHandler("campaigns", campaigns_command),
        CallbackQueryHandler(new_pressed, pattern=r"^cmp:new$"),
        CallbackQueryHandler(skip_pressed, pattern=r"^cmp:skip$"),
        CallbackQueryHandler(create_pressed, pattern=r"^cmp:(create|cancel)$"),
        CallbackQueryHandler(manage_pressed, pattern=r"^cmp:[mse]:"),
        CallbackQueryHandler(page_pressed, pattern=r"^cmp:pg:\d+$"),
        CallbackQueryHandler(list_page_pressed, pattern=r"^cmp:lp:\d+$"),
        CallbackQueryHandler(letter_pressed, pattern=r"^cmp:l:\d+$"),
        PICKER.handler(),
    ]

