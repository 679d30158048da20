"""/support: an officer records what a campaign's fund gave, keeps the household list, and
sees who has had nothing yet ("không trùng, không sót").

Record: campaign (those the officer gives from) → household (a page of those in scope, or typed
part of a name or a code), or an area's cause → kind (a house: started or finished) → value →
date → a photo or document of the handover (or Skip) → a note (or Skip) → check and record.
When the household already got the same kind, the earlier records are shown and Loa asks
"record anyway?". A record's value, date, kind, note, handover file or house stage is
corrected ("Change X from A to B?", the duplicate warning again when the kind changes), the
record withdrawn, or its house marked finished with a photo, each by a new entry that
supersedes it (models/support.py keeps the trail). Households are added or
corrected (name, area, category, members) and erased on request here too. The dialog lives in
the database; every press is checked again on the server (models/support.py and
models/households.py refuse anything outside the scope).
"""

from __future__ import annotations

from datetime import date
from itertools import pairwise
from typing import Any

from sqlmodel import Session
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler, ContextTypes

from bot import pages
from bot.context import Me, escape, local_today, officer, reply, services
from bot.i18n import N_, Translator
from handlers.area_picker import Picker
from handlers.inputs import read_amount, read_count, read_past_date
from handlers.router import EXPIRED, nav_row, step_press, takes_media
from models.areas import Area, get_area, label
from models.campaigns import Campaign
from models.dialogs import get_dialog, save_dialog
from models.households import (
    CATEGORIES,
    NAME_MAX,
    Household,
    add_household,
    correct_household,
    erase_household,
    find_households,
    household_for,
)
from models.numbers import whole
from models.support import (
    CAUSE_MAX,
    KIND_NAMES,
    NOTE_MAX,
    Kind,
    Stage,
    Status,
    Support,
    SupportDraft,
    correct_support,
    doubles_if_corrected,
    given_to,
    never_helped,
    record_support,
    support_campaigns,
    support_for,
    trail,
)
from models.users import AccessDenied, Actor, Role

FLOW = "support"
PER_PAGE = pages.BUTTON_ROWS
STAGE_NAMES = {Stage.STARTED: N_("🏗 Being built"), Stage.FINISHED: N_("🏠 Finished")}
REFUSED = N_("Only officers record support and keep the household list of their area.")
OUTSIDE = N_("This is outside your area.")
STALE = N_("This record was corrected or withdrawn in the meantime. Open it again from "
           "📋 Recorded to see it as it is now.")


def _officers(actor: Actor) -> bool:
    return actor.at_least(Role.OFFICER)


def _step(session: Session, user_id: int, step: str, **data: Any) -> dict[str, Any]:
    return dict(save_dialog(session, user_id, FLOW, step, **data).data)


async def _save(context: ContextTypes.DEFAULT_TYPE, person: Me, step: str,
                **data: Any) -> dict[str, Any]:
    return await services(context).db.run(_step, person.id, step, **data)


def _keyboard(rows: list[list[InlineKeyboardButton]], _: Translator,
              back: bool = True) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([*rows, nav_row(_, back=back)])


def _button(text: str, data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(pages.button_text(text), callback_data=data)


# ---- campaign and menu ------------------------------------------------------------------------

async def support_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    person = await officer(update, context, REFUSED)
    if person is not None:
        await ask_campaign(update, context, person, edit=False)


async def ask_campaign(update: Update, context: ContextTypes.DEFAULT_TYPE, person: Me,
                       edit: bool = True, page: int = 0) -> None:
    _ = person._
    await _save(context, person, "campaign")
    found = await services(context).db.run(support_campaigns, person.actor)
    if not found:
        await reply(update, _("There is no campaign in your area to give from yet."),
                    _keyboard([], _, back=False), edit=edit)
        return
    await pages.show(update, _("<b>Support given</b>\nFrom which campaign's fund?"),
                     pages.choices([(f"{c.ref_prefix} · {c.name}", f"su:c:{c.id}")
                                    for c in found], page, lambda n: f"su:cp:{n}",
                                   extra=[nav_row(_, back=False)]), edit=edit)


async def campaign_page_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """su:cp:<page>: another page of campaigns (every one reachable, however many)."""
    found = await step_press(update, context, FLOW, ("campaign",), allowed=_officers)
    if found is not None:
        await ask_campaign(update, context, found.person, page=whole(found.value) or 0)


async def campaign_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    found = await step_press(update, context, FLOW, ("campaign",), allowed=_officers)
    if found is None:
        return
    person = found.person
    campaigns = await services(context).db.run(support_campaigns, person.actor)
    chosen = next((c for c in campaigns if c.id == whole(found.value)), None)
    if chosen is None:
        await reply(update, person._(OUTSIDE))
        return
    await _save(context, person, "menu", campaign_id=chosen.id, campaign_name=chosen.name)
    await show_menu(update, context, person)


MENU = {"rec": N_("➕ Record support given"), "gap": N_("🔎 Not helped yet"),
        "done": N_("📋 Recorded: correct, withdraw, finish a house"),
        "hh": N_("🏠 Households: add or correct")}


async def show_menu(update: Update, context: ContextTypes.DEFAULT_TYPE, person: Me,
                    edit: bool = True, above: str = "") -> None:
    _ = person._
    data = await _save(context, person, "menu")
    rows = [[InlineKeyboardButton(_(text), callback_data=f"su:m:{key}")]
            for key, text in MENU.items()]
    text = _("Campaign: <b>{name}</b>. What would you like to do?",
             name=escape(data["campaign_name"]))
    await reply(update, f"{above}\n\n{text}" if above else text, _keyboard(rows, _), edit=edit)


async def menu_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    found = await step_press(update, context, FLOW, ("menu",), allowed=_officers)
    if found is None or found.value not in MENU:
        return
    person = found.person
    if found.value == "gap":
        await _save(context, person, "gap_area")
        await GAP_PICKER.show(update, context, person)
        return
    if found.value == "done":
        await show_records(update, context, person)
        return
    await _save(context, person, "household", mode=found.value, query=None)
    await show_households(update, context, person)


# ---- choosing a household -------------------------------------------------------------------

def _within(session: Session, actor: Actor, data: dict[str, Any]) -> Area | None:
    """Recording: households inside the campaign's area (and the officer's scope)."""
    if data.get("mode") != "rec":
        return None
    campaign = session.get(Campaign, data["campaign_id"])
    area = get_area(session, campaign.area_id)
    return area if actor.covers(area) else None


def _household_page(session: Session, actor: Actor, page: int) -> tuple[list[tuple[int, str]],
                                                                           int, dict]:
    data = get_dialog(session, actor.id, FLOW).data
    found, total = find_households(session, actor, data.get("query") or "",
                                   _within(session, actor, data), page * PER_PAGE, PER_PAGE)
    return [(h.id, _household_label(session, h)) for h in found], total, data


def _household_label(session: Session, household: Household) -> str:
    return f"{household.name} · {label(session, get_area(session, household.area_id), 2)}"


async def show_households(update: Update, context: ContextTypes.DEFAULT_TYPE, person: Me,
                          page: int = 0, edit: bool = True) -> None:
    _ = person._
    items, total, data = await services(context).db.run(_household_page, person.actor, page)
    count = pages.page_count(total, PER_PAGE)
    page = pages.clamp(page, count)
    rows = [[_button(text, f"su:h:{hid}")] for hid, text in items]
    if data["mode"] == "rec":
        rows.append([InlineKeyboardButton(_("🏘 For an area's cause instead"),
                                          callback_data="su:h:cause")])
    else:
        rows.append([InlineKeyboardButton(_("➕ Add a household"), callback_data="su:h:new")])
    nav = pages.nav_row(page, count, lambda n: f"su:hp:{n}")
    text = _("Which household? Tap one, or type part of a name or a code.")
    if data.get("query"):
        text += "\n" + _.ngettext("{n} household matches “{text}”.",
                                  "{n} households match “{text}”.", total,
                                  text=escape(data["query"]))
    elif not total:
        text += "\n" + _("No households are listed in your area yet: add one, or import "
                         "the list with loa households import.")
    await reply(update, text, InlineKeyboardMarkup([*rows, *([nav] if nav else []),
                                                    nav_row(_)]), edit=edit)


async def households_typed(update, context, person: Me, text: str) -> None:
    await _save(context, person, "household", query=text.strip()[:NAME_MAX])
    await show_households(update, context, person, edit=False)


async def household_page_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    found = await step_press(update, context, FLOW, ("household",), allowed=_officers)
    if found is not None:
        await show_households(update, context, found.person, whole(found.value) or 0)


def _chosen(session: Session, actor: Actor, household_id: int | None) -> tuple[int, str] | None:
    """The household, if the officer may see it (and, recording, it is in the campaign)."""
    try:
        household = household_for(session, actor, household_id or 0)
    except (LookupError, AccessDenied):
        return None
    data = get_dialog(session, actor.id, FLOW).data
    within = _within(session, actor, data)
    area = get_area(session, household.area_id)
    if household.erased_at is not None or (within and not area.path.startswith(within.path)):
        return None
    return household.id, _household_label(session, household)


async def household_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    found = await step_press(update, context, FLOW, ("household",), allowed=_officers)
    if found is None:
        return
    person, value = found.person, found.value
    if value == "cause":
        await _save(context, person, "cause_area", household_id=None, who=None)
        await CAUSE_PICKER.show(update, context, person)
        return
    if value == "new":
        await _save(context, person, "new_name", edit_id=None, new_name=None, new_area=None)
        await ask_new(update, person, "new_name")
        return
    chosen = await services(context).db.run(_chosen, person.actor, whole(value))
    if chosen is None:
        await reply(update, person._(OUTSIDE))
        return
    if found.data["mode"] == "rec":
        await _save(context, person, "kind", household_id=chosen[0], who=chosen[1],
                    cause=None, area_id=None)
        await ask_kind(update, person)
    else:
        await _save(context, person, "card", edit_id=chosen[0])
        await show_card(update, context, person)


async def cause_area_chosen(update: Update, context: ContextTypes.DEFAULT_TYPE, person: Me,
                            area: Area) -> None:
    await _save(context, person, "cause", area_id=area.id, area_name=area.name)
    await reply(update, person._("For what, in {area}? For example: Sửa cầu khỉ ấp 3.",
                                 area=escape(area.name)), _keyboard([], person._))


async def cause_typed(update, context, person: Me, text: str) -> None:
    cause = " ".join(text.split())
    if not cause or len(cause) > CAUSE_MAX:
        await reply(update, person._("Describe the cause in 1 to {n} characters, for example: "
                                     "Sửa cầu khỉ ấp 3.", n=CAUSE_MAX))
        return
    data = await services(context).db.run(get_dialog, person.id, FLOW)
    await _save(context, person, "kind", cause=cause, who=f"{cause} · {data.data['area_name']}")
    await ask_kind(update, person, edit=False)


# ---- what, how much, when -------------------------------------------------------------------

async def ask_kind(update: Update, person: Me, edit: bool = True, prefix: str = "k") -> None:
    _ = person._
    rows = [[InlineKeyboardButton(_(text), callback_data=f"su:{prefix}:{kind.value}")]
            for kind, text in KIND_NAMES.items()]
    await reply(update, _("What was given?"), _keyboard(rows, _), edit=edit)


async def ask_stage(update: Update, person: Me, prefix: str = "s") -> None:
    _ = person._
    rows = [[InlineKeyboardButton(_(text), callback_data=f"su:{prefix}:{stage.value}")
             for stage, text in STAGE_NAMES.items()]]
    await reply(update, _("How far along is the house?"), _keyboard(rows, _))


async def kind_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    found = await step_press(update, context, FLOW, ("kind",), allowed=_officers)
    if found is None or found.value not in set(Kind):
        return
    person = found.person
    if found.value == Kind.HOUSE:
        await _save(context, person, "stage", kind=found.value)
        await ask_stage(update, person)
        return
    await _save(context, person, "value", kind=found.value, stage=None)
    await ask_value(update, person)


async def stage_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    found = await step_press(update, context, FLOW, ("stage",), allowed=_officers)
    if found is None or found.value not in set(Stage):
        return
    await _save(context, found.person, "value", stage=found.value)
    await ask_value(update, found.person)


async def ask_value(update: Update, person: Me, edit: bool = True) -> None:
    await reply(update, person._("What was it worth, in đồng? For example 2tr, 500k or "
                                 "60.000.000."), _keyboard([], person._), edit=edit)


async def value_typed(update, context, person: Me, text: str) -> None:
    amount = await read_amount(update, person, text, services(context).config.max_amount,
                               context)
    if amount is not None:
        await value_settled(update, context, person, amount, {})


async def value_settled(update, context, person: Me, amount: int, _data: dict) -> None:
    await _save(context, person, "date", value=amount)
    await ask_date(update, context, person)


async def ask_date(update: Update, context: ContextTypes.DEFAULT_TYPE, person: Me) -> None:
    today = local_today(services(context).config)
    rows = [[InlineKeyboardButton(person._("📅 Today, {date}", date=person._.date(today)),
                                  callback_data="su:d:today")]]
    await reply(update, person._("When was it given? For example {example}, or “hôm qua”.",
                                 example=f"{today:%d/%m/%Y}"), _keyboard(rows, person._),
                edit=False)


async def date_typed(update, context, person: Me, text: str) -> None:
    day = await read_past_date(update, person, text, local_today(services(context).config))
    if day is not None:
        await _save(context, person, "file", given_on=day.isoformat())
        await ask_file(update, person, edit=False)


async def today_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    found = await step_press(update, context, FLOW, ("date", "fix_date"), allowed=_officers)
    if found is None:
        return
    today = local_today(services(context).config)
    if (await services(context).db.run(get_dialog, found.person.id, FLOW)).step == "fix_date":
        await ask_fix_confirm(update, context, found.person, {"given_on": today.isoformat()})
    else:
        await _save(context, found.person, "file", given_on=today.isoformat())
        await ask_file(update, found.person)


def _skip(_: Translator) -> list[InlineKeyboardButton]:
    return [InlineKeyboardButton(_("Skip"), callback_data="su:skip:0")]


async def ask_file(update: Update, person: Me, edit: bool = True) -> None:
    await reply(update, person._("Send a photo or a document of the handover (the record "
                                 "signed by the family), or press Skip."),
                _keyboard([_skip(person._)], person._), edit=edit)


def _attached(message) -> tuple[str, str] | None:
    """(file kind, file id) of a photo or document sent."""
    if message.photo:
        return "photo", message.photo[-1].file_id
    if message.document:
        return "document", message.document.file_id
    return None


@takes_media
async def file_sent(update, context, person: Me, _text: str) -> None:
    attached = _attached(update.effective_message)
    if attached is None:
        await reply(update, person._("Send a photo or a document, or press Skip."))
        return
    await _save(context, person, "note", file_kind=attached[0], file_id=attached[1])
    await ask_note(update, person, edit=False)


async def ask_note(update: Update, person: Me, edit: bool = True) -> None:
    await reply(update, person._("A note, if any (who handed it over, what exactly), or "
                                 "press Skip."), _keyboard([_skip(person._)], person._),
                edit=edit)


async def note_typed(update, context, person: Me, text: str) -> None:
    if len(text.strip()) > NOTE_MAX:
        await reply(update, person._("A note of at most {n} characters, please.", n=NOTE_MAX))
        return
    await _save(context, person, "confirm", note=text.strip())
    await show_confirm(update, context, person, edit=False)


async def skip_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    found = await step_press(update, context, FLOW, ("file", "note", "new_members"),
                             allowed=_officers)
    if found is None:
        return
    person = found.person
    step = (await services(context).db.run(get_dialog, person.id, FLOW)).step
    if step == "file":
        await _save(context, person, "note", file_kind=None, file_id=None)
        await ask_note(update, person)
    elif step == "note":
        await _save(context, person, "confirm", note="")
        await show_confirm(update, context, person)
    else:
        await save_household(update, context, person, None)


# ---- check, warn, record --------------------------------------------------------------------

def _draft(data: dict[str, Any]) -> SupportDraft:
    return SupportDraft(
        campaign_id=data["campaign_id"], kind=data["kind"], value=data["value"],
        given_on=date.fromisoformat(data["given_on"]), household_id=data.get("household_id"),
        area_id=data.get("area_id"), cause=data.get("cause"), file_id=data.get("file_id"),
        file_kind=data.get("file_kind"), note=data.get("note", ""), stage=data.get("stage"))


def _what(_: Translator, record: dict[str, Any] | Support) -> str:
    """The kind given, and a house's stage: from the dialog's answers or from a record."""
    data = record if isinstance(record, dict) else {"kind": record.kind, "stage": record.stage}
    kind = _(KIND_NAMES[Kind(data["kind"])])
    return f"{kind} ({_(STAGE_NAMES[Stage(data['stage'])])})" if data.get("stage") else kind


async def show_confirm(update: Update, context: ContextTypes.DEFAULT_TYPE, person: Me,
                       edit: bool = True) -> None:
    _ = person._
    data = await _save(context, person, "confirm")
    lines = [_("<b>Check before recording</b>"),
             _("Campaign: {value}", value=escape(data["campaign_name"])),
             _("To: {value}", value=escape(data["who"])),
             _("What: {value}", value=_what(_, data)),
             _("Worth: {amount}", amount=_.money(data["value"])),
             _("Given on: {date}", date=_.date(date.fromisoformat(data["given_on"])))]
    if data.get("file_id"):
        lines.append(_("With the handover record attached."))
    if data.get("note"):
        lines.append(_("Note: {value}", value=escape(data["note"])))
    rows = [[InlineKeyboardButton(_("✅ Record"), callback_data="su:ok:0")]]
    await reply(update, "\n".join(lines), _keyboard(rows, _), edit=edit)


def _record(session: Session, actor: Actor, today: date, days: int, force: bool):
    dialog = get_dialog(session, actor.id, FLOW)
    if dialog is None or dialog.step not in ("confirm", "duplicate"):
        return None
    result = record_support(session, actor, _draft(dialog.data), today, days, force)
    if result.support is None:
        save_dialog(session, actor.id, FLOW, "duplicate")
        return [(e.given_on, e.value, session.get(Campaign, e.campaign_id).name)
                for e in result.earlier]
    save_dialog(session, actor.id, FLOW, "menu", **{k: None for k in (
        "household_id", "who", "cause", "area_id", "kind", "stage", "value", "given_on",
        "file_id", "file_kind", "note")})
    return result.support.id


async def record_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    force = query.data.startswith("su:force")
    found = await step_press(update, context, FLOW, ("duplicate",) if force else ("confirm",),
                             allowed=_officers)
    if found is None:
        return
    person, _ = found.person, found.person._
    svc = services(context)
    try:
        result = await svc.db.run(_record, person.actor, local_today(svc.config),
                                  svc.config.duplicate_days, force)
    except (AccessDenied, LookupError):
        await reply(update, _(OUTSIDE))
        return
    if isinstance(result, list):
        rows = [[InlineKeyboardButton(_("✅ Record anyway"), callback_data="su:force:0")]]
        await reply(update, _doubles(_, found.data["who"], found.data["kind"], result,
                                     _("Record this one anyway?")), _keyboard(rows, _))
        return
    if result is None:
        await reply(update, _("This button has expired."))
        return
    await show_menu(update, context, person, above=_(
        "✅ Recorded (#{id}): {what} to {who}, {amount}.", id=result,
        what=_what(_, found.data), who=escape(found.data["who"]),
        amount=_.money(found.data["value"])))


def _doubles(_: Translator, who: str, kind: str, earlier: list[tuple[date, int, str]],
             question: str) -> str:
    """"Không trùng": what the household already got of this kind, and whether to go on."""
    lines = [_("⚠ <b>{who}</b> already got {what}:", who=escape(who),
               what=_(KIND_NAMES[Kind(kind)]))]
    lines += [f"• {_.date(day)} · {_.money(value)} · {escape(name)}"
              for day, value, name in earlier[:10]]
    return "\n".join([*lines, question])


# ---- not helped yet -------------------------------------------------------------------------

def _gaps(session: Session, actor: Actor, page: int):
    data = get_dialog(session, actor.id, FLOW).data
    area = get_area(session, data["gap_area_id"])
    found, total = never_helped(session, actor, data["campaign_id"], area.id,
                                page * PER_PAGE, PER_PAGE)
    return [_household_label(session, h) for h in found], total, label(session, area), data


async def gap_area_chosen(update: Update, context: ContextTypes.DEFAULT_TYPE, person: Me,
                          area: Area) -> None:
    await _save(context, person, "gaps", gap_area_id=area.id)
    await show_gaps(update, context, person)


async def show_gaps(update: Update, context: ContextTypes.DEFAULT_TYPE, person: Me,
                    page: int = 0) -> None:
    _ = person._
    try:
        names, total, where, data = await services(context).db.run(_gaps, person.actor, page)
    except AccessDenied:
        await reply(update, _(OUTSIDE))
        return
    header = _.ngettext("<b>Not helped yet</b> by {campaign} in {area}: {n} household.",
                        "<b>Not helped yet</b> by {campaign} in {area}: {n} households.",
                        total, campaign=escape(data["campaign_name"]), area=escape(where))
    blocks = [f"• {escape(name)}" for name in names] or [_("Every household has had "
                                                          "something. Không sót!")]
    count = pages.page_count(total, PER_PAGE)
    nav = pages.nav_row(pages.clamp(page, count), count, lambda n: f"su:np:{n}")
    await pages.show(update, pages.fixed_page(blocks, header),
                     pages.markup([nav_row(_)], nav))


async def gaps_page_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    found = await step_press(update, context, FLOW, ("gaps",), allowed=_officers)
    if found is not None:
        await show_gaps(update, context, found.person, whole(found.value) or 0)


# ---- what was recorded: correcting, withdrawing, finishing a house ------------------------------

def _who(session: Session, support: Support) -> str:
    if support.household_id is None:
        return support.cause or ""
    household = session.get(Household, support.household_id)
    return household.name or household.code


def _records(session: Session, actor: Actor, page: int):
    data = get_dialog(session, actor.id, FLOW).data
    found, total = given_to(session, actor, data["campaign_id"], offset=page * PER_PAGE,
                            limit=PER_PAGE)
    return [(r, _who(session, r)) for r in found], total


async def show_records(update: Update, context: ContextTypes.DEFAULT_TYPE, person: Me,
                       page: int = 0) -> None:
    _ = person._
    await _save(context, person, "records")
    found, total = await services(context).db.run(_records, person.actor, page)
    rows = [[_button(f"{_.date(r.given_on)} · {who} · {_.money(r.value)}", f"su:r:{r.id}")]
            for r, who in found]
    count = pages.page_count(total, PER_PAGE)
    nav = pages.nav_row(pages.clamp(page, count), count, lambda n: f"su:rp:{n}")
    text = _("Which record? The latest come first.") if total else \
        _("Nothing has been recorded from this campaign in your area yet.")
    await reply(update, text, InlineKeyboardMarkup([*rows, *([nav] if nav else []),
                                                    nav_row(_)]))


async def records_page_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    found = await step_press(update, context, FLOW, ("records",), allowed=_officers)
    if found is not None:
        await show_records(update, context, found.person, whole(found.value) or 0)


def _entry(session: Session, actor: Actor, support_id: int | None):
    """The record, if current, of this campaign and in the officer's scope (a superseded one
    is refused like a forged one: its latest entry is the one to open)."""
    data = get_dialog(session, actor.id, FLOW).data
    try:
        support = support_for(session, actor, support_id or 0)
    except (LookupError, AccessDenied):
        return None
    if support.campaign_id != data["campaign_id"] or support.status != Status.CURRENT:
        return None
    save_dialog(session, actor.id, FLOW, "entry", entry_id=support.id)
    return support, _who(session, support), trail(session, actor, support.id)[:-1]


async def entry_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    found = await step_press(update, context, FLOW, ("records",), allowed=_officers)
    if found is not None:
        await show_entry(update, context, found.person, whole(found.value))


async def show_entry(update: Update, context: ContextTypes.DEFAULT_TYPE, person: Me,
                     support_id: int | None = None) -> None:
    _ = person._
    if support_id is None:
        support_id = (await services(context).db.run(get_dialog, person.id, FLOW)).data.get(
            "entry_id")
    found = await services(context).db.run(_entry, person.actor, support_id)
    if found is None:
        await reply(update, _(OUTSIDE))
        return
    support, who, earlier = found
    lines = [f"#{support.id} · {escape(who)}", _("What: {value}", value=_what(_, support)),
             _("Worth: {amount}", amount=_.money(support.value)),
             _("Given on: {date}", date=_.date(support.given_on))]
    if support.note:
        lines.append(_("Note: {value}", value=escape(support.note)))
    if support.file_id:
        lines.append(_("With the handover record attached."))
    if earlier:  # the audit trail: what this entry replaced, and when
        lines.append(_("Replaces:"))
        lines += [f"• #{e.id} · {_what(_, e)} · {_.money(e.value)} · {_.datetime(e.at)}"
                  for e in reversed(earlier[-10:])]
    rows = [[InlineKeyboardButton(_("🏠 Mark the house finished"), callback_data="su:f:finish")]
            ] if support.stage == Stage.STARTED else []
    fields = [key for key in FIX_BUTTONS if key != "stage" or support.stage]
    buttons = [InlineKeyboardButton(_(FIX_BUTTONS[key]), callback_data=f"su:f:{key}")
               for key in fields]
    rows += [buttons[i:i + 2] for i in range(0, len(buttons), 2)]
    rows.append([InlineKeyboardButton(_("↩ Withdraw: recorded by mistake"),
                                      callback_data="su:f:withdraw")])
    await reply(update, "\n".join(lines), _keyboard(rows, _))


#: What an officer may correct on a record, each by a new entry: button, and the field's name
#: in "Change X from A to B?".
FIX_BUTTONS = {"value": N_("✏ Correct the value"), "date": N_("📅 Correct the date"),
               "kind": N_("🏷 Correct what was given"), "note": N_("📝 Correct the note"),
               "file": N_("📎 Replace the handover file"), "stage": N_("🏗 Correct the stage")}
FIX_FIELDS = {"value": N_("the value"), "date": N_("the date given"),
              "kind": N_("what was given"), "note": N_("the note"),
              "file": N_("the handover file"), "stage": N_("how far along the house is")}


def _current_entry(session: Session, actor: Actor) -> tuple[Support, str] | None:
    """The record being corrected, while it is still current, of this campaign and in the
    officer's scope: a stale or forged press finds nothing."""
    data = get_dialog(session, actor.id, FLOW).data
    try:
        support = support_for(session, actor, data.get("entry_id") or 0)
    except (LookupError, AccessDenied):
        return None
    if support.campaign_id != data["campaign_id"] or support.status != Status.CURRENT:
        return None
    return support, _who(session, support)


async def fix_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    found = await step_press(update, context, FLOW, ("entry", "withdraw"), allowed=_officers)
    if found is None:
        return
    person, _ = found.person, found.person._
    entry = await services(context).db.run(_current_entry, person.actor)
    if entry is None:
        await reply(update, _(STALE))
        return
    if found.value in FIX_BUTTONS and (found.value != "stage" or entry[0].stage):
        step = f"fix_{found.value}"
        await _save(context, person, step, fix_field=found.value, fix_step=step)
        await FIX_ASKERS[step](update, context, person)
    elif found.value == "finish" and entry[0].stage == Stage.STARTED:
        await _save(context, person, "finish_photo")
        await reply(update, _("Send a photo of the finished house."), _keyboard([], _))
    elif found.value == "withdraw":
        await _save(context, person, "withdraw")
        rows = [[InlineKeyboardButton(_("↩ Yes, withdraw it"), callback_data="su:f:withdraw!")]]
        await reply(update, _("Withdraw this record? It stays in the history, marked as a "
                              "mistake, and no longer counts."), _keyboard(rows, _))
    elif found.value == "withdraw!":
        await correct(update, context, person, withdraw=True)


# ---- asking for the new value of one field ----

async def ask_fix_kind(update: Update, _context, person: Me) -> None:
    await ask_kind(update, person, prefix="fk")


async def ask_fix_stage(update: Update, _context, person: Me) -> None:
    await ask_stage(update, person, prefix="fs")


async def ask_fix_note(update: Update, _context, person: Me, edit: bool = True) -> None:
    _ = person._
    rows = [[InlineKeyboardButton(_("🧹 No note"), callback_data="su:fn:0")]]
    await reply(update, _("Type the new note (at most {n} characters), or press “No note”.",
                          n=NOTE_MAX), _keyboard(rows, _), edit=edit)


async def ask_fix_file(update: Update, _context, person: Me) -> None:
    await reply(update, person._("Send the new photo or document of the handover."),
                _keyboard([], person._))


async def fix_value_typed(update, context, person: Me, text: str) -> None:
    amount = await read_amount(update, person, text, services(context).config.max_amount,
                               context)
    if amount is not None:
        await ask_fix_confirm(update, context, person, {"value": amount}, edit=False)


async def fix_value_settled(update, context, person: Me, amount: int, _data: dict) -> None:
    await ask_fix_confirm(update, context, person, {"value": amount})


async def fix_date_typed(update, context, person: Me, text: str) -> None:
    day = await read_past_date(update, person, text, local_today(services(context).config))
    if day is not None:
        await ask_fix_confirm(update, context, person, {"given_on": day.isoformat()},
                              edit=False)


async def fix_kind_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    found = await step_press(update, context, FLOW, ("fix_kind",), allowed=_officers)
    if found is None or found.value not in set(Kind):
        return
    if found.value == Kind.HOUSE:  # a house needs its stage too
        await _save(context, found.person, "fix_stage")
        await ask_fix_stage(update, context, found.person)
        return
    await ask_fix_confirm(update, context, found.person, {"kind": found.value})


async def fix_stage_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    found = await step_press(update, context, FLOW, ("fix_stage",), allowed=_officers)
    if found is None or found.value not in set(Stage):
        return
    changes = {"stage": found.value}
    if found.data.get("fix_field") == "kind":
        changes["kind"] = Kind.HOUSE.value
    await ask_fix_confirm(update, context, found.person, changes)


async def fix_note_typed(update, context, person: Me, text: str) -> None:
    if len(text.strip()) > NOTE_MAX:
        await reply(update, person._("A note of at most {n} characters, please.", n=NOTE_MAX))
        return
    await ask_fix_confirm(update, context, person, {"note": text.strip()}, edit=False)


async def no_note_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    found = await step_press(update, context, FLOW, ("fix_note",), allowed=_officers)
    if found is not None:
        await ask_fix_confirm(update, context, found.person, {"note": ""})


@takes_media
async def fix_file_sent(update, context, person: Me, _text: str) -> None:
    attached = _attached(update.effective_message)
    if attached is None:
        await reply(update, person._("Send a photo or a document of the handover."))
        return
    await ask_fix_confirm(update, context, person,
                          {"file_kind": attached[0], "file_id": attached[1]}, edit=False)


# ---- "Change X from A to B?", then a new entry ----

def _shown(_: Translator, field: str, values: dict[str, Any]) -> str:
    """One side of "from A to B": a field's value, from a record or from the changes."""
    if field == "value":
        return _.money(values["value"])
    if field == "date":
        return _.date(date.fromisoformat(str(values["given_on"])))
    if field in ("kind", "stage"):
        return _what(_, values)
    if field == "note":
        return f"“{escape(values['note'])}”" if values["note"] else _("no note")
    return {"photo": _("a photo"), "document": _("a document")}.get(values["file_kind"] or "",
                                                                    _("nothing"))


async def ask_fix_confirm(update: Update, context: ContextTypes.DEFAULT_TYPE, person: Me,
                          changes: dict[str, Any] | None = None, edit: bool = True) -> None:
    _ = person._
    data = await _save(context, person, "fix_confirm",
                       **({} if changes is None else {"fix": changes}))
    entry = await services(context).db.run(_current_entry, person.actor)
    if entry is None:
        await reply(update, _(STALE), edit=edit)
        return
    support, who = entry
    old = {k: getattr(support, k) for k in ("value", "given_on", "kind", "stage", "note",
                                            "file_kind")}
    new = {**old, **data["fix"]}
    if "kind" in data["fix"] and new["kind"] != Kind.HOUSE:
        new["stage"] = None
    field = data["fix_field"]
    rows = [[InlineKeyboardButton(_("✅ Yes, change it"), callback_data="su:fx:ok")]]
    await reply(update, f"#{support.id} · {escape(who)}\n" + _(
        "Change {field} from {old} to {new}?", field=_(FIX_FIELDS[field]),
        old=_shown(_, field, old), new=_shown(_, field, new)), _keyboard(rows, _), edit=edit)


def _changes(data: dict[str, Any]) -> dict[str, Any]:
    changes = dict(data["fix"])
    if "given_on" in changes:
        changes["given_on"] = date.fromisoformat(changes["given_on"])
    return changes


def _fix(session: Session, actor: Actor, days: int, force: bool):
    """The new entry's id; or the earlier records of the new kind (nothing saved); or None
    when the confirmation was already used."""
    dialog = get_dialog(session, actor.id, FLOW)
    if dialog is None or dialog.step != ("fix_duplicate" if force else "fix_confirm"):
        return None
    changes = _changes(dialog.data)
    if "kind" in changes and not force:
        old = support_for(session, actor, dialog.data["entry_id"])
        earlier = doubles_if_corrected(session, actor, old.id, changes["kind"],
                                       changes.get("given_on", old.given_on), days)
        if earlier:
            save_dialog(session, actor.id, FLOW, "fix_duplicate")
            return [(e.given_on, e.value, session.get(Campaign, e.campaign_id).name)
                    for e in earlier], _who(session, old)
    new = correct_support(session, actor, dialog.data["entry_id"], **changes)
    save_dialog(session, actor.id, FLOW, "menu", entry_id=None, fix=None)
    return new.id


async def fix_confirmed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    force = query.data == "su:fx:force"
    found = await step_press(update, context, FLOW,
                             ("fix_duplicate",) if force else ("fix_confirm",),
                             allowed=_officers)
    if found is None:
        return
    person, _ = found.person, found.person._
    svc = services(context)
    try:
        result = await svc.db.run(_fix, person.actor, svc.config.duplicate_days, force)
    except AccessDenied:
        await reply(update, _(OUTSIDE))
        return
    except LookupError:  # corrected or withdrawn by someone else meanwhile
        await reply(update, _(STALE))
        return
    if result is None:
        await reply(update, _(EXPIRED))
    elif isinstance(result, tuple):
        earlier, who = result
        rows = [[InlineKeyboardButton(_("✅ Change anyway"), callback_data="su:fx:force")]]
        await reply(update, _doubles(_, who, found.data["fix"]["kind"], earlier,
                                     _("Change this one anyway?")), _keyboard(rows, _))
    else:
        await show_menu(update, context, person, above=_(
            "✅ Corrected: the new entry is #{id}; the old one stays in the history.",
            id=result))


def _correct(session: Session, actor: Actor, steps: tuple[str, ...], **changes: Any):
    dialog = get_dialog(session, actor.id, FLOW)
    if dialog is None or dialog.step not in steps:
        return None
    new = correct_support(session, actor, dialog.data["entry_id"], **changes)
    save_dialog(session, actor.id, FLOW, "menu", entry_id=None)
    return new.id


async def correct(update: Update, context: ContextTypes.DEFAULT_TYPE, person: Me,
                  **changes: Any) -> None:
    """Withdrawing, and finishing a house with its photo: at once, without "Change … ?"."""
    _ = person._
    try:
        new_id = await services(context).db.run(
            _correct, person.actor, ("withdraw", "finish_photo"), **changes)
    except AccessDenied:
        await reply(update, _(OUTSIDE))
        return
    except LookupError:
        await reply(update, _(STALE))
        return
    if new_id is None:
        await reply(update, _(EXPIRED))
        return
    done = _("↩ Withdrawn.") if changes.get("withdraw") else \
        _("✅ Corrected: the new entry is #{id}; the old one stays in the history.", id=new_id)
    await show_menu(update, context, person, edit=update.callback_query is not None,
                    above=done)


@takes_media
async def finish_photo_sent(update, context, person: Me, _text: str) -> None:
    photo = update.effective_message.photo
    if not photo:
        await reply(update, person._("Send a photo of the finished house."))
        return
    await correct(update, context, person, stage=Stage.FINISHED.value,
                  file_id=photo[-1].file_id, file_kind="photo")


# ---- a household: its card, adding and correcting, erasing ------------------------------------

def _card(session: Session, actor: Actor) -> tuple[Household, str] | None:
    data = get_dialog(session, actor.id, FLOW).data
    try:
        household = household_for(session, actor, data.get("edit_id") or 0)
    except (LookupError, AccessDenied):
        return None
    return household, label(session, get_area(session, household.area_id))


async def show_card(update: Update, context: ContextTypes.DEFAULT_TYPE, person: Me) -> None:
    _ = person._
    found = await services(context).db.run(_card, person.actor)
    if found is None:
        await reply(update, _(OUTSIDE))
        return
    household, where = found
    lines = [f"<b>{escape(household.name)}</b> ({escape(household.code)})",
             _("Area: {value}", value=escape(where)),
             _("Category: {value}", value=_(CATEGORIES[household.category])),
             _("Members: {value}", value=household.members or "–")]
    rows = [[InlineKeyboardButton(_("✏ Correct"), callback_data="su:e:edit"),
             InlineKeyboardButton(_("🗑 Erase personal data"), callback_data="su:e:erase")]]
    await reply(update, "\n".join(lines), _keyboard(rows, _))


async def card_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    found = await step_press(update, context, FLOW, ("card", "erase"), allowed=_officers)
    if found is None:
        return
    person, _ = found.person, found.person._
    if found.value == "edit":
        await _save(context, person, "new_name", new_name=None, new_area=None)
        await ask_new(update, person, "new_name")
    elif found.value == "erase":
        await _save(context, person, "erase")
        rows = [[InlineKeyboardButton(_("🗑 Yes, erase"), callback_data="su:e:erase!")]]
        await reply(update, _("Erase this household's name and details? What it received "
                              "stays counted, without the name, notes or photos. This "
                              "cannot be undone."), _keyboard(rows, _))
    elif found.value == "erase!":
        try:
            await services(context).db.run(erase_household, person.actor, found.data["edit_id"])
        except (LookupError, AccessDenied):
            await reply(update, _(OUTSIDE))
            return
        await show_menu(update, context, person, above=_("The household's personal data "
                                                         "was erased."))


NEW_PROMPTS = {
    "new_name": N_("The household's name (the head of the household), for example: "
                   "Nguyễn Văn An."),
    "new_category": N_("Which list is the household on?"),
    "new_members": N_("How many people live in it? Type a number, or press Skip."),
}


async def ask_new(update: Update, person: Me, step: str, edit: bool = True) -> None:
    _ = person._
    rows = [[InlineKeyboardButton(_(text), callback_data=f"su:cat:{key}")]
            for key, text in CATEGORIES.items()] if step == "new_category" else []
    if step == "new_members":
        rows.append(_skip(_))
    await reply(update, _(NEW_PROMPTS[step]), _keyboard(rows, _), edit=edit)


async def new_name_typed(update, context, person: Me, text: str) -> None:
    name = " ".join(text.split())
    if not name or len(name) > NAME_MAX:
        await reply(update, person._("A name of 1 to {n} characters, please, for example: "
                                     "Nguyễn Văn An.", n=NAME_MAX))
        return
    await _save(context, person, "new_area", new_name=name)
    await NEW_PICKER.show(update, context, person)


async def new_area_chosen(update: Update, context: ContextTypes.DEFAULT_TYPE, person: Me,
                          area: Area) -> None:
    await _save(context, person, "new_category", new_area=area.id)
    await ask_new(update, person, "new_category")


async def category_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    found = await step_press(update, context, FLOW, ("new_category",), allowed=_officers)
    if found is None or found.value not in CATEGORIES:
        return
    await _save(context, found.person, "new_members", new_category=found.value)
    await ask_new(update, found.person, "new_members")


async def members_typed(update, context, person: Me, text: str) -> None:
    members = await read_count(update, person, text, 100)
    if members is not None:
        await save_household(update, context, person, members)


def _save_household(session: Session, actor: Actor, members: int | None) -> str:
    data = get_dialog(session, actor.id, FLOW).data
    fields = {"name": data["new_name"], "area_id": data["new_area"],
              "category": data["new_category"], "members": members}
    if data.get("edit_id"):
        household = correct_household(session, actor, data["edit_id"], **fields)
    else:
        household = add_household(session, actor, **fields)
    save_dialog(session, actor.id, FLOW, "menu", edit_id=None)
    return household.code


async def save_household(update: Update, context: ContextTypes.DEFAULT_TYPE, person: Me,
                         members: int | None) -> None:
    try:
        code = await services(context).db.run(_save_household, person.actor, members)
    except (LookupError, AccessDenied):
        await reply(update, person._(OUTSIDE))
        return
    await show_menu(update, context, person, edit=update.callback_query is not None,
                    above=person._("✅ Saved: household {code}.", code=escape(code)))


# ---- wiring ---------------------------------------------------------------------------------

def _picker(purpose: str, prompt: str, on_pick, step: str) -> Picker:
    return Picker(purpose, prompt, on_pick, scoped=True, allowed=_officers,
                  steps=((FLOW, step),))


CAUSE_PICKER = _picker("suc", N_("For which area's cause?"), cause_area_chosen, "cause_area")
GAP_PICKER = _picker("sug", N_("Which area's households, not helped yet?"), gap_area_chosen,
                     "gap_area")
NEW_PICKER = _picker("sun", N_("Where does the household live?"), new_area_chosen, "new_area")

TEXT_STEPS = {
    (FLOW, "household"): households_typed,
    (FLOW, "cause_area"): CAUSE_PICKER.search,
    (FLOW, "cause"): cause_typed,
    (FLOW, "value"): value_typed,
    (FLOW, "date"): date_typed,
    (FLOW, "file"): file_sent,
    (FLOW, "note"): note_typed,
    (FLOW, "gap_area"): GAP_PICKER.search,
    (FLOW, "new_name"): new_name_typed,
    (FLOW, "new_area"): NEW_PICKER.search,
    (FLOW, "new_members"): members_typed,
    (FLOW, "fix_value"): fix_value_typed,
    (FLOW, "fix_date"): fix_date_typed,
    (FLOW, "fix_note"): fix_note_typed,
    (FLOW, "fix_file"): fix_file_sent,
    (FLOW, "finish_photo"): finish_photo_sent,
}
AMOUNT_STEPS = {(FLOW, "value"): value_settled, (FLOW, "fix_value"): fix_value_settled}


def _asker(ask, *args):
    """A question that needs no context, as ⬅ calls every question: (update, context, person)."""
    async def asked(update: Update, _context: ContextTypes.DEFAULT_TYPE, person: Me) -> None:
        await ask(update, person, *args)
    return asked


#: How each step a ⬅ can lead to is asked.
ASKERS = {
    "campaign": ask_campaign, "menu": show_menu, "household": show_households,
    "cause_area": CAUSE_PICKER.show, "gap_area": GAP_PICKER.show, "new_area": NEW_PICKER.show,
    "card": show_card, "confirm": show_confirm, "date": ask_date, "records": show_records,
    "entry": show_entry, "kind": _asker(ask_kind), "value": _asker(ask_value),
    "file": _asker(ask_file), "note": _asker(ask_note),
    **{step: _asker(ask_new, step) for step in ("new_name", "new_category")},
    "fix_confirm": ask_fix_confirm,
}
#: How each correction's question is asked (⬅ from "Change … ?" asks it again).
FIX_ASKERS = {"fix_value": _asker(ask_value), "fix_date": ask_date, "fix_kind": ask_fix_kind,
              "fix_stage": ask_fix_stage, "fix_note": ask_fix_note, "fix_file": ask_fix_file}
ASKERS.update(FIX_ASKERS)
RECORD = ("campaign", "menu", "household", "kind", "value", "date", "file", "note", "confirm",
          "duplicate")
#: step → the step ⬅ leads back to.
BACK_TO = {
    **{later: earlier for earlier, later in pairwise(RECORD)},
    "stage": "kind", "cause_area": "household", "cause": "cause_area", "gap_area": "menu",
    "gaps": "gap_area", "card": "household", "erase": "card", "new_name": "household",
    "new_area": "new_name", "new_category": "new_area", "new_members": "new_category",
    "records": "menu", "entry": "records",
    **{step: "entry" for step in ("finish_photo", "withdraw", *FIX_ASKERS)},
    "fix_duplicate": "fix_confirm",
}


def _back(step: str):
    """⬅: move the dialog to `step` (answers kept) and ask its question again."""
    async def again(update: Update, context: ContextTypes.DEFAULT_TYPE, person: Me) -> None:
        await _save(context, person, step)
        await ASKERS[step](update, context, person)
    return again


async def _back_within_fix(update: Update, context: ContextTypes.DEFAULT_TYPE,
                           person: Me) -> None:
    """⬅ on "Change … ?" asks the field's question again; on a house's stage asked after the
    kind became a house, the kind's."""
    dialog = await services(context).db.run(get_dialog, person.id, FLOW)
    first = dialog.data["fix_step"]
    await _back(first if dialog.step == "fix_confirm" or first != dialog.step else "entry")(
        update, context, person)


BACK = {(FLOW, later): _back(earlier) for later, earlier in BACK_TO.items()}
BACK[(FLOW, "fix_confirm")] = BACK[(FLOW, "fix_stage")] = _back_within_fix
AGAIN = {(FLOW, step): _back(step) for step in ASKERS}


def handlers() -> list:
    return [
        CommandHandler("support", support_command),
        CallbackQueryHandler(campaign_pressed, pattern=r"^su:c:"),
        CallbackQueryHandler(campaign_page_pressed, pattern=r"^su:cp:\d+$"),
        CallbackQueryHandler(menu_pressed, pattern=r"^su:m:"),
        CallbackQueryHandler(household_page_pressed, pattern=r"^su:hp:"),
        CallbackQueryHandler(household_pressed, pattern=r"^su:h:"),
        CallbackQueryHandler(kind_pressed, pattern=r"^su:k:"),
        CallbackQueryHandler(stage_pressed, pattern=r"^su:s:"),
        CallbackQueryHandler(today_pressed, pattern=r"^su:d:"),
        CallbackQueryHandler(skip_pressed, pattern=r"^su:skip:"),
        CallbackQueryHandler(record_pressed, pattern=r"^su:(ok|force):"),
        CallbackQueryHandler(gaps_page_pressed, pattern=r"^su:np:"),
        CallbackQueryHandler(card_pressed, pattern=r"^su:e:"),
        CallbackQueryHandler(category_pressed, pattern=r"^su:cat:"),
        CallbackQueryHandler(records_page_pressed, pattern=r"^su:rp:"),
        CallbackQueryHandler(entry_pressed, pattern=r"^su:r:"),
        CallbackQueryHandler(fix_pressed, pattern=r"^su:f:"),
        CallbackQueryHandler(fix_kind_pressed, pattern=r"^su:fk:"),
        CallbackQueryHandler(fix_stage_pressed, pattern=r"^su:fs:"),
        CallbackQueryHandler(no_note_pressed, pattern=r"^su:fn:"),
        CallbackQueryHandler(fix_confirmed, pattern=r"^su:fx:"),
        CAUSE_PICKER.handler(), GAP_PICKER.handler(), NEW_PICKER.handler(),
    ]
