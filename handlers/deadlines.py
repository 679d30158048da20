"""Reporting deadlines in chat: officers set them (/deadline) and follow them (/deadlines).
Village heads' reports are in handlers/reports.py."""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import pairwise

from sqlmodel import Session, col, select
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import CallbackQueryHandler, CommandHandler, ContextTypes

from bot import charts, pages
from bot.context import Me, escape, local_today, officer, presser, reply, services, translator
from bot.i18n import N_, Translator
from bot.reminders import clockwork
from handlers.area_picker import Picker
from handlers.inputs import example_moment, read_moment
from handlers.menu import ROLE_NAMES
from handlers.router import nav_row, step_press
from models.areas import Area, get_area, label, short_labels
from models.campaigns import relayable
from models.dates import InputProblem
from models.deadlines import (
    Deadline,
    DeadlineDraft,
    DeadlineStatus,
    Report,
    change_deadline,
    count_run_by,
    create_deadline,
    deadlines_run_by,
    join_levels,
    managed_deadline,
    overview,
    owing_ids,
    planned,
    reporters,
    split_levels,
    without_reporter,
)
from models.dialogs import end_dialog, get_dialog, save_dialog
from models.numbers import whole
from models.outbox import enqueue
from models.schedule import (
    DEFAULT_OFFSETS,
    OffsetProblem,
    format_offsets,
    parse_offsets,
    reminder_times,
)
from models.series import deadline_series
from models.users import AccessDenied, Actor, Role

FLOW, CHANGE = "deadline", "deadline_edit"

log = logging.getLogger(__name__)
KIND_WORDS = {"number": "number", "số": "number", "so": "number", "money": "money",
              "tiền": "money", "tien": "money", "text": "text", "chữ": "text", "chu": "text"}
KIND_NAMES = {"number": N_("a whole number"), "money": N_("an amount of money"),
              "text": N_("a short text")}
TITLE_MAX = 120
LIST_PAGE = 10


def kind_name(_: Translator, kind: str) -> str:
    return _(KIND_NAMES[kind])


def keys(rows: list[list[tuple[str, str]]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(t, callback_data=d) for t, d in row]
                                 for row in rows])


# ---- setting a deadline -----------------------------------------------------------------------

STEPS = ("title", "due", "area", "level", "role", "fields", "file", "campaign", "offsets",
         "confirm")
TITLE_EXAMPLE = N_("“Kết quả Tháng cao điểm Vì người nghèo”")


async def _at(context: ContextTypes.DEFAULT_TYPE, person: Me, step: str, **data) -> dict:
    """Move the dialog to `step` (answers kept, `data` added); the answers so far."""
    return (await services(context).db.run(save_dialog, person.id, FLOW, step, **data)).data


async def question(update: Update, person: Me, text: str,
                   rows: list[list[tuple[str, str]]] | None = None, back: bool = True,
                   edit: bool = True) -> None:
    """A question of the flow with its own buttons, then ⬅ (unless first) and ✖."""
    markup = keys(rows or [])
    await reply(update, text, InlineKeyboardMarkup(
        [*markup.inline_keyboard, nav_row(person._, back=back)]), edit=edit)


async def deadline_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    person = await officer(update, context, N_("Only officers can set reporting deadlines."))
    if person is None:
        return
    await _at(context, person, "title")
    await ask_title(update, context, person)


async def ask_title(update, context, person: Me) -> None:
    await question(update, person, person._("What must be reported? Give it a title, for "
                                            "example {example}.",
                                            example=person._(TITLE_EXAMPLE)), back=False)


async def title_typed(update, context, person: Me, text: str) -> None:
    title = " ".join(text.split())
    if not 0 < len(title) <= TITLE_MAX:
        await reply(update, person._("A title of 1 to {n} characters, please, for example "
                                     "{example}.", n=TITLE_MAX,
                                     example=person._(TITLE_EXAMPLE)))
        return
    await _at(context, person, "due", title=title)
    await ask_due(update, context, person)


async def ask_due(update, context, person: Me) -> None:
    config = services(context).config
    await question(update, person, person._("When is it due? Type the local date and time, "
                                            "for example “{example}”.",
                                            example=example_moment(config, 7)))


async def due_typed(update, context, person: Me, text: str) -> None:
    when = await read_moment(update, person, text, services(context).config, days_ahead=7)
    if when is None:
        return
    await _at(context, person, "area", due_at=when.isoformat())
    await PICKER.show(update, context, person)


async def ask_area(update, context, person: Me) -> None:
    await PICKER.show(update, context, person)


def _levels(session: Session, area_id: int) -> list[str]:
    root = get_area(session, area_id)
    return sorted(set(session.exec(select(Area.level).where(
        col(Area.path).startswith(root.path, autoescape=True), Area.id != root.id))))


async def area_chosen(update, context, person: Me, area: Area) -> None:
    levels = await services(context).db.run(_levels, area.id)
    if not levels:
        await reply(update, person._("There are no areas below {area} to report. Choose a "
                                     "larger area.", area=escape(area.name)))
        return
    chosen = levels if len(levels) == 1 else []
    await _at(context, person, "level", area_id=area.id, levels=levels, chosen=chosen)
    await ask_level(update, context, person)


async def ask_level(update, context, person: Me) -> None:
    _ = person._
    data = (await services(context).db.run(get_dialog, person.id, FLOW)).data
    chosen = data.get("chosen", [])
    rows = [[(("☑ " if lv in chosen else "☐ ") + lv, f"dl:lv:{i}")]
            for i, lv in enumerate(data["levels"])]
    rows.append([(_("Next ➡"), "dl:lv:ok")])
    await question(update, person, _("One report is owed by each area of which level? Tap "
                                     "every level that reports (a district may need both its "
                                     "ấp and its khu phố), then Next."), rows)


async def level_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    found = await step_press(update, context, FLOW, ("level",))
    if found is None:
        return
    person, data, value = found
    chosen = [lv for lv in data.get("chosen", []) if lv in data["levels"]]
    if value == "ok":
        if not chosen:
            await update.effective_chat.send_message(
                person._("Tap at least one level, then Next."))
            return
        try:
            level = join_levels(chosen)
        except ValueError:
            await reply(update, person._("That is too many levels for one deadline. Choose "
                                         "fewer, or set two deadlines."), edit=False)
            return
        await _at(context, person, "role", level=level)
        await ask_role(update, context, person)
        return
    index = whole(value)
    if index is None or index >= len(data["levels"]):
        return
    level = data["levels"][index]
    chosen = [lv for lv in chosen if lv != level] if level in chosen else [*chosen, level]
    await _at(context, person, "level", chosen=chosen)
    await ask_level(update, context, person)


async def ask_role(update, context, person: Me) -> None:
    _ = person._
    await question(update, person, _("Who reports for each area?"), [[
        (_(ROLE_NAMES[Role.VILLAGE_HEAD]), "dl:ro:village_head"),
        (_(ROLE_NAMES[Role.OFFICER]), "dl:ro:officer")]])


async def role_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    found = await step_press(update, context, FLOW, ("role",))
    if found is None or found[2] not in (Role.VILLAGE_HEAD, Role.OFFICER):
        return
    person = found[0]
    await _at(context, person, "fields", role=found[2])
    await ask_fields(update, context, person)


async def ask_fields(update, context, person: Me) -> None:
    await question(update, person, person._(
        "The report form: one field a line (or separated by “;”), as name: kind, where the "
        "kind is number, money or text. For example:\n"
        "Số hộ được hỗ trợ: number\nSố tiền vận động: money\nGhi chú: text"))


def parse_fields(text: str) -> list[dict[str, str]]:
    fields = []
    for line in re.split(r"[\n;]", text.strip()):  # one a line, or "a: số; b: chữ" on one
        match = re.fullmatch(r"\s*(.{1,60}?)\s*:\s*(\S+)\s*", line)
        kind = KIND_WORDS.get(match.group(2).lower()) if match else None
        if kind is None or match.group(1) in {f["name"] for f in fields}:
            raise InputProblem(line)
        fields.append({"name": match.group(1), "kind": kind})
    if not 0 < len(fields) <= 10:
        raise InputProblem(text)
    return fields


async def fields_typed(update, context, person: Me, text: str) -> None:
    try:
        fields = parse_fields(text)
    except InputProblem as problem:
        await reply(update, person._("“{line}” is not a field I can read. Write name: kind, "
                                     "for example “Số hộ được hỗ trợ: number” (up to 10 "
                                     "fields).", line=escape(str(problem)[:60])))
        return
    await _at(context, person, "file", fields=fields)
    await ask_file(update, context, person, edit=False)


async def ask_file(update, context, person: Me, edit: bool = True) -> None:
    _ = person._
    await question(update, person, _("Should each report come with a file or a photo (the "
                                     "signed paper report, say)?"),
                   [[(_("Yes, ask for one"), "dl:fi:1"), (_("No"), "dl:fi:0")]], edit=edit)


async def file_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    found = await step_press(update, context, FLOW, ("file",))
    if found is None:
        return
    person, _data, value = found
    await _at(context, person, "campaign", wants_file=value == "1")
    await ask_campaign(update, context, person)


async def ask_campaign(update, context, person: Me, page: int = 0) -> None:
    """Which campaign it belongs to; with none to choose from, straight to the offsets."""
    svc = services(context)
    campaigns = await svc.db.run(relayable, person.actor, local_today(svc.config))
    if not campaigns:
        await ask_offsets(update, context, person, None)
        return
    await campaign_menu(update, person, campaigns, page)


async def campaign_menu(update: Update, person: Me, campaigns: list, page: int) -> None:
    _ = person._
    await pages.show(update, _("Does it belong to a campaign?"), pages.choices(
        [(c.name, f"dl:ca:{c.id}") for c in campaigns], page, lambda n: f"dl:cp:{n}",
        extra=[*keys([[(_("No campaign"), "dl:ca:0")]]).inline_keyboard, nav_row(_)]))


async def campaign_page_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    found = await step_press(update, context, FLOW, ("campaign",))
    if found is not None:
        await ask_campaign(update, context, found.person, whole(found.value) or 0)


async def campaign_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    found = await step_press(update, context, FLOW, ("campaign",))
    if found is None or (chosen := whole(found[2])) is None:
        return
    person = found[0]
    svc = services(context)
    allowed = {c.id for c in await svc.db.run(relayable, person.actor,
                                              local_today(svc.config))}
    campaign_id = chosen if chosen in allowed else None
    await ask_offsets(update, context, person, campaign_id)


def offsets_words(_: Translator, offsets: str) -> str:
    """"7d 3d 1d" as people read it: "7 ngày, 3 ngày, 1 ngày trước hạn"."""
    parts = []
    for offset in parse_offsets(offsets):
        minutes = int(offset.total_seconds() // 60)
        if minutes % (24 * 60) == 0:
            parts.append(_.ngettext("{n} day", "{n} days", minutes // (24 * 60)))
        elif minutes % 60 == 0:
            parts.append(_.ngettext("{n} hour", "{n} hours", minutes // 60))
        else:
            parts.append(_.ngettext("{n} minute", "{n} minutes", minutes))
    return _("{offsets} before", offsets=", ".join(parts))


async def ask_offsets(update: Update, context: ContextTypes.DEFAULT_TYPE, person: Me,
                      campaign_id: int | None = None, keep: bool = False) -> None:
    _ = person._
    if keep:
        await _at(context, person, "offsets")
    else:
        await _at(context, person, "offsets", campaign_id=campaign_id)
    await question(update, person, _("When should reminders go out before it is due? Type "
                                     "them such as “7d 3d 1d 2h 30m” (days, hours, minutes), "
                                     "or keep the usual ones (7, 3 and 1 days before, and the "
                                     "morning of the day)."),
                   [[(_("Keep: {offsets}", offsets=offsets_words(_, DEFAULT_OFFSETS)),
                      "dl:of:keep")]])


async def offsets_typed(update, context, person: Me, text: str) -> None:
    try:
        offsets = format_offsets(parse_offsets(text))
    except OffsetProblem:
        await reply(update, person._("“{text}” is not a list of offsets I can read. Type "
                                     "them like “7d 3d 1d 2h 30m” (days, hours, minutes).",
                                     text=escape(text[:60])))
        return
    await confirm_screen(update, context, person, offsets)


async def offsets_kept(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    found = await step_press(update, context, FLOW, ("offsets",))
    if found is not None:
        await confirm_screen(update, context, found[0], DEFAULT_OFFSETS)


def _draft(data: dict) -> DeadlineDraft:
    return DeadlineDraft(title=data["title"], due_at=datetime.fromisoformat(data["due_at"]),
                         area_id=data["area_id"], level=data["level"], role=data["role"],
                         fields=data["fields"], offsets=data["offsets"],
                         campaign_id=data.get("campaign_id"),
                         wants_file=bool(data.get("wants_file")))


def _preview(session: Session, user_id: int, offsets: str) -> tuple[DeadlineDraft, str, int]:
    dialog = save_dialog(session, user_id, FLOW, "confirm", offsets=offsets)
    draft = _draft(dialog.data)
    root = get_area(session, draft.area_id)
    owed = len(list(session.exec(select(Area.id).where(
        col(Area.path).startswith(root.path, autoescape=True),
        col(Area.level).in_(split_levels(draft.level))))))
    return draft, label(session, root), owed


def levels_text(stored: str) -> str:
    return " / ".join(split_levels(stored))


def reminders_line(_: Translator, times: list[datetime]) -> str:
    """Exactly the reminders planned before the deadline, then the overdue cadence."""
    if not times:
        return _("No reminder before it is due (it is too near, or the times fall in the "
                 "quiet hours); then every 2 days while overdue.")
    return _("Reminders: {times}; then every 2 days while overdue.",
             times=" · ".join(_.datetime(t) for t in times))


async def confirm_screen(update: Update, context: ContextTypes.DEFAULT_TYPE, person: Me,
                         offsets: str | None = None) -> None:
    _ = person._
    svc = services(context)
    clock = clockwork(svc.config)
    if offsets is None:  # ⬅ from nowhere later: the offsets given stay
        offsets = (await svc.db.run(get_dialog, person.id, FLOW)).data["offsets"]
    draft, where, owed = await svc.db.run(_preview, person.id, offsets)
    lines = [_("<b>Check the deadline</b>"), f"<b>{escape(draft.title)}</b>",
             _("Due: {when}", when=_.datetime(draft.due_at)),
             _.ngettext("One report from each {level} of {area} ({n} area), by the {role}.",
                        "One report from each {level} of {area} ({n} areas), by the {role}.",
                        owed, level=escape(levels_text(draft.level)), area=escape(where),
                        role=_(ROLE_NAMES[Role(draft.role)])),
             _("Form: {fields}", fields=escape(", ".join(
                 f"{f['name']} ({kind_name(_, f['kind'])})" for f in draft.fields))),
             _("Reminded {offsets}.", offsets=offsets_words(_, offsets)),
             reminders_line(_, reminder_times(draft.due_at, parse_offsets(offsets),
                                              clock.tz, clock.quiet, datetime.now(UTC)))]
    if draft.wants_file:
        lines.append(_("Each report comes with a file or a photo."))
    await question(update, person, "\n".join(lines), [[(_("✅ Set the deadline"), "dl:ok:0")]],
                   edit=False)


async def create_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    found = await step_press(update, context, FLOW, ("confirm",))
    if found is None:
        return
    person, data, _value = found
    svc = services(context)

    def make(session: Session) -> Deadline:
        deadline = create_deadline(session, person.actor, _draft(data),
                                   clockwork(svc.config), datetime.now(UTC))
        end_dialog(session, person.id)
        return deadline
    try:
        deadline = await svc.db.run(make)
    except AccessDenied:
        await reply(update, person._("You may only set deadlines inside your own area."))
        return
    except ValueError:  # the confirmation waited past the due time
        await reply(update, person._("Type a date and time still to come, for example "
                                     "“{example}”.", example=example_moment(svc.config, 7)))
        return
    await reply(update, person._("The deadline “{title}” is set. /deadlines follows it.",
                                 title=escape(deadline.title)))


ASKERS = {"title": ask_title, "due": ask_due, "area": ask_area, "level": ask_level,
          "role": ask_role, "fields": ask_fields, "file": ask_file,
          "campaign": ask_campaign,
          "offsets": lambda update, context, person: ask_offsets(update, context, person,
                                                                 keep=True),
          "confirm": confirm_screen}


def _back_to(step: str):
    """⬅ from the step after `step`: ask `step` again, the answers given kept (the campaign
    question, when there is no campaign to choose, passes back to the one before it)."""
    async def again(update: Update, context: ContextTypes.DEFAULT_TYPE, person: Me) -> None:
        if step == "campaign":
            svc = services(context)
            if not await svc.db.run(relayable, person.actor, local_today(svc.config)):
                await again_file(update, context, person)
                return
        await _at(context, person, step)
        await ASKERS[step](update, context, person)
    return again


again_file = _back_to("file")


PICKER = Picker("dl", N_("Which area must report?"), area_chosen, scoped=True,
                allowed=lambda actor: actor.at_least(Role.OFFICER), steps=((FLOW, "area"),))


# ---- following deadlines ----------------------------------------------------------------------

@dataclass(frozen=True)
class Counts:
    reported: int
    missing: int
    late: int


def _list(session: Session, actor: Actor, page: int):
    """How many open deadlines the officer follows, the page shown, and its deadlines with
    their counts (the areas owing a report read once per area and level)."""
    total = count_run_by(session, actor)
    page = pages.clamp(page, pages.page_count(total, LIST_PAGE))
    owing: dict[tuple[int, str], set[int]] = {}
    shown = []
    for d in deadlines_run_by(session, actor, page * LIST_PAGE, LIST_PAGE):
        if (d.area_id, d.level) not in owing:
            owing[d.area_id, d.level] = owing_ids(session, d)
        areas = owing[d.area_id, d.level]
        reports = [r for r in session.exec(select(Report).where(Report.deadline_id == d.id))
                   if r.area_id in areas]
        shown.append((d, Counts(len(reports), len(areas) - len(reports),
                                sum(1 for r in reports if r.late))))
    return total, page, shown


async def deadlines_command(update: Update, context: ContextTypes.DEFAULT_TYPE,
                            page: int = 0) -> None:
    person = await officer(update, context, N_("Only officers can follow reporting deadlines. "
                                               "/report to send yours."))
    if person is None:
        return
    _ = person._
    total, page, rows = await services(context).db.run(_list, person.actor, page)
    if not rows:
        await reply(update, _("No open deadlines. /deadline to set one."))
        return
    lines, buttons = [], []
    for deadline, view in rows:
        lines.append(_("• {title}, due {when}: {reported} reported, {missing} missing, "
                       "{late} late", title=escape(deadline.title),
                       when=_.datetime(deadline.due_at), reported=_.number(view.reported),
                       missing=_.number(view.missing), late=_.number(view.late)))
        buttons.append([(pages.button_text(deadline.title), f"dl:v:{deadline.id}")])
    nav = pages.nav_row(page, pages.page_count(total, LIST_PAGE), lambda n: f"dl:lp:{n}")
    await pages.show(update, pages.fixed_page(lines, _("<b>Open deadlines</b>"), LIST_PAGE),
                     pages.markup(keys(buttons).inline_keyboard, nav))


async def list_page_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.callback_query.answer()
    await deadlines_command(update, context, whole(update.callback_query.data[6:]) or 0)


async def manage_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """dl:v:<id> opens a deadline; dl:n nudges the missing now; dl:c closes; dl:x cancels;
    dl:t / dl:o change its time or its offsets. Each is checked against the scope."""
    query = update.callback_query
    person = await presser(update, context)
    if person is None:
        return
    _ = person._
    svc = services(context)
    action, _sep, raw = query.data.removeprefix("dl:").partition(":")
    raw, _sep, page = raw.partition(":")
    try:
        deadline = await svc.db.run(managed_deadline, person.actor, int(raw))
        page_no = max(0, int(page or 0))
    except (AccessDenied, ValueError):
        await query.answer(_("That deadline is outside your area."), show_alert=True)
        return
    await query.answer()
    try:
        await act_on(update, context, person, deadline, action, page_no)
    except AccessDenied:  # closed meanwhile, or an old button
        await reply(update, _("This button has expired."), edit=False)


INVITE_SHORTCUTS = 5  # invite buttons under an overview, for the first areas without a head


async def act_on(update: Update, context: ContextTypes.DEFAULT_TYPE, person: Me,
                 deadline: Deadline, action: str, page: int = 0) -> None:
    """v: the overview; c / x ask before closing / cancelling, cc / xx do it; n nudges; t / o
    ask for a new time or offsets; g sends a page of the chart of reported and missing."""
    _ = person._
    svc = services(context)
    now = datetime.now(UTC)
    title = escape(deadline.title)
    if action == "c":
        await reply(update, _("Close “{title}”? No more reminders go out; the reports received "
                              "are kept.", title=title),
                    keys([[(_("⏹ Yes, close it"), f"dl:cc:{deadline.id}")],
                          [(_("⬅ No, back to the deadline"), f"dl:v:{deadline.id}")]]))
    elif action == "x":
        await reply(update, _("Cancel this deadline, “{title}”? Nobody owes it a report any "
                              "more and it leaves /deadlines.", title=title),
                    keys([[(_("🗑 Yes, cancel the deadline"), f"dl:xx:{deadline.id}")],
                          [(_("⬅ No, keep it"), f"dl:v:{deadline.id}")]]))
    elif action in ("cc", "xx"):
        status = DeadlineStatus.CLOSED if action == "cc" else DeadlineStatus.CANCELLED
        await svc.db.run(change_deadline, person.actor, deadline.id, clockwork(svc.config), now,
                         status=status)
        done = _("The deadline “{title}” is closed: no more reminders. The reports received "
                 "are kept.", title=title) if action == "cc" else \
            _("The deadline “{title}” is cancelled: nobody owes it a report any more.",
              title=title)
        await reply(update, done, keys([[(_("⬅ Back to the list"), "dl:lp:0")]]))
    elif action == "n":
        count, nobody = await svc.db.run(_nudge, person.actor, deadline.id, svc.config)
        svc.dispatcher.wake()
        text = _.ngettext("{n} reminder is on its way.", "{n} reminders are on their way.",
                          count)
        if nobody:
            text += "\n" + _("Nobody could be reminded for {areas}: no {role} of these "
                             "areas has started Loa yet. Invite one from the deadline "
                             "(/deadlines).", areas=escape(", ".join(nobody)),
                             role=_(ROLE_NAMES[Role(deadline.role)]))
        elif not count:
            text = _("Nobody to remind: every area has reported.")
        await reply(update, text, edit=False)
    elif action == "g":
        await send_chart(update, context, person, deadline, page)
    elif action in ("t", "o"):
        step = "due" if action == "t" else "offsets"
        await svc.db.run(save_dialog, person.id, CHANGE, step, deadline_id=deadline.id)
        ask = _("Type the new date and time, for example “{example}”.",
                example=example_moment(svc.config, 7)) if action == "t" else \
            _("Now reminded {offsets}. Type the new offsets, for example “7d 3d 1d 2h”.",
              offsets=offsets_words(_, deadline.offsets))
        await reply(update, ask, InlineKeyboardMarkup([nav_row(_)]), edit=False)
    else:
        await show_deadline(update, context, person, deadline, page)


def _nudge(session: Session, actor: Actor, deadline_id: int, config) -> tuple[int, list[str]]:
    """A reminder right now to every reporter of every area still missing; how many went,
    and the missing areas nobody could be reminded for."""
    deadline = managed_deadline(session, actor, deadline_id, open_only=True)
    count = 0
    missing = overview(session, deadline).missing
    nobody = short_labels(session, without_reporter(session, deadline, missing))
    for area in missing:
        for person in reporters(session, deadline, area.id):
            _ = translator(config, person.language)
            key = f"{deadline.id}:{area.id}"
            markup = InlineKeyboardMarkup([[InlineKeyboardButton(
                _("📝 Report now"), callback_data=f"rp:now:{key}")]])
            enqueue(session, person.id, _("⏰ Reminder: the report “{title}” for {area} is "
                                          "due {when}.", title=escape(deadline.title),
                                          area=escape(label(session, area)),
                                          when=_.datetime(deadline.due_at)), markup.to_dict())
            count += 1
    log.info("nudge for deadline %s: %d messages for %d missing areas (%d without a "
             "reporter)", deadline.id, count, len(missing), len(nobody))
    return count, nobody[:30] + (["…"] if len(nobody) > 30 else [])


async def send_chart(update: Update, context: ContextTypes.DEFAULT_TYPE, person: Me,
                     deadline: Deadline, page: int) -> None:
    """Reported and missing per area below the deadline's, as a picture; ◀ n/N ▶ for more."""
    _ = person._
    found = await services(context).db.run(deadline_series, deadline)
    bars = [charts.ReportBar(b.area.name, b.reported, b.missing) for b in found]
    count = charts.page_count(len(bars))
    page = pages.clamp(page, count)
    png = await asyncio.to_thread(charts.reports_chart, _, deadline.title, bars, page)
    await update.effective_chat.send_photo(
        png, caption=_("📊 {title}: reported and missing by area.", title=escape(deadline.title)),
        parse_mode=ParseMode.HTML, reply_markup=pages.markup([], pages.nav_row(
            page, count, lambda n: f"dl:g:{deadline.id}:{n}")))


def missing_blocks(_: Translator, names: list[str]) -> list[str]:
    """"Not reported yet: Ấp 1, Tân Thành, Ấp 2, …." in blocks a page (or a message) holds."""
    return [_("Not reported yet: {areas}.", areas=run)
            for run in pages.runs([escape(n) for n in names])]


async def show_deadline(update: Update, context: ContextTypes.DEFAULT_TYPE, person: Me,
                        deadline: Deadline, page: int = 0) -> None:
    """The deadline's figures, the areas missing (and those with nobody on Loa to report for
    them) and the totals up the tree, paged (◀ n/N ▶) under the same buttons on every page."""
    _ = person._

    def load(s: Session):
        view = overview(s, deadline)
        headless = without_reporter(s, deadline, view.missing)
        return view, planned(s, deadline.id), short_labels(s, view.missing), headless, \
            short_labels(s, headless)
    view, times, missing, headless, headless_names = await services(context).db.run(load)
    head = [f"<b>{escape(deadline.title)}</b>",
            _("Due {when} · {reported} of {total} reported, {late} late",
              when=_.datetime(deadline.due_at), reported=_.number(len(view.reports)),
              total=_.number(len(view.areas)), late=_.number(view.late)),
            _("Reminded {offsets}.", offsets=offsets_words(_, deadline.offsets)),
            reminders_line(_, times)]
    lines = missing_blocks(_, missing)
    role = _(ROLE_NAMES[Role(deadline.role)])
    lines += [_("No {role} on Loa yet (nobody is reminded): {areas}.", role=role, areas=run)
              for run in pages.runs([escape(n) for n in headless_names])]
    if view.totals:
        lines.append(_("<b>Totals</b>"))
        base = view.totals[0][0].depth
        for area, sums in view.totals:
            figures = ", ".join(f"{escape(name)}: {_.number(value)}"
                                for name, value in sums.items())
            lines.append("  " * (area.depth - base) + f"• {escape(area.name)}: {figures}")
    rows = [[(_("📣 Nudge the missing now"), f"dl:n:{deadline.id}"),
             (_("📊 Chart"), f"dl:g:{deadline.id}")]]
    rows += [[(pages.button_text(_("✉ Invite the {role} of {area}", role=role, area=name)),
               f"inv:for:{deadline.role}:{area.id}")]
             for area, name in list(zip(headless, headless_names, strict=True))[
                 :INVITE_SHORTCUTS]]
    rows += [[(_("🕒 Change the time"), f"dl:t:{deadline.id}"),
              (_("⏰ Change reminders"), f"dl:o:{deadline.id}")],
             [(_("⏹ Close (keep the reports)"), f"dl:c:{deadline.id}"),
              (_("🗑 Cancel the deadline"), f"dl:x:{deadline.id}")],
             [(_("⬅ Back to the list"), "dl:lp:0")]]
    header = "\n".join(head)
    split = pages.paginate(lines, header)
    page = pages.clamp(page, len(split))
    await pages.show(update, pages.page_text(lines, split[page], header), pages.markup(
        keys(rows).inline_keyboard,
        pages.nav_row(page, len(split), lambda n: f"dl:v:{deadline.id}:{n}")))


async def change_back(update: Update, context: ContextTypes.DEFAULT_TYPE, person: Me) -> None:
    """⬅ under "type the new time / offsets": the change is dropped, the deadline shown."""
    svc = services(context)
    dialog = await svc.db.run(get_dialog, person.id, CHANGE)
    await svc.db.run(end_dialog, person.id)
    try:
        deadline = await svc.db.run(managed_deadline, person.actor,
                                    dialog.data["deadline_id"], True)
    except AccessDenied:
        await reply(update, person._("That deadline is outside your area."))
        return
    await show_deadline(update, context, person, deadline)


async def change_typed(update, context, person: Me, text: str) -> None:
    svc = services(context)
    dialog = await svc.db.run(get_dialog, person.id, CHANGE)
    if dialog.step == "due":
        when = await read_moment(update, person, text, svc.config, days_ahead=7)
        if when is None:
            return
        changes = {"due_at": when}
    else:
        try:
            changes = {"offsets": format_offsets(parse_offsets(text))}
        except OffsetProblem:
            await reply(update, person._("That does not fit. ") +
                        person._("Type the new offsets, for example “7d 3d 1d 2h”."),
                        InlineKeyboardMarkup([nav_row(person._)]))
            return
    await svc.db.run(end_dialog, person.id)
    try:
        deadline = await svc.db.run(change_deadline, person.actor, dialog.data["deadline_id"],
                                    clockwork(svc.config), datetime.now(UTC), **changes)
    except AccessDenied:
        await reply(update, person._("That deadline is outside your area."))
        return
    await reply(update, person._("Saved. Reminders not yet sent follow the change."))
    await show_deadline(update, context, person, deadline)


BACK = {**{(FLOW, later): _back_to(earlier) for earlier, later in pairwise(STEPS)},
        (CHANGE, "due"): change_back, (CHANGE, "offsets"): change_back}
AGAIN = {(FLOW, step): _back_to(step) for step in STEPS}

TEXT_STEPS = {
    (FLOW, "title"): title_typed,
    (FLOW, "due"): due_typed,
    (FLOW, "area"): PICKER.search,
    (FLOW, "fields"): fields_typed,
    (FLOW, "offsets"): offsets_typed,
    (CHANGE, "due"): change_typed,
    (CHANGE, "offsets"): change_typed,
}


def handlers() -> list:
    return [
        CommandHandler("deadline", deadline_command),
        CommandHandler("deadlines", deadlines_command),
        CallbackQueryHandler(level_pressed, pattern=r"^dl:lv:"),
        CallbackQueryHandler(role_pressed, pattern=r"^dl:ro:"),
        CallbackQueryHandler(offsets_kept, pattern=r"^dl:of:"),
        CallbackQueryHandler(file_pressed, pattern=r"^dl:fi:"),
        CallbackQueryHandler(campaign_pressed, pattern=r"^dl:ca:"),
        CallbackQueryHandler(campaign_page_pressed, pattern=r"^dl:cp:"),
        CallbackQueryHandler(list_page_pressed, pattern=r"^dl:lp:\d+$"),
        CallbackQueryHandler(create_pressed, pattern=r"^dl:(ok|no):"),
        CallbackQueryHandler(manage_pressed, pattern=r"^dl:(v|n|c|x|cc|xx|t|o|g):"),
        PICKER.handler(),
    ]

