"""Village heads report (/report, or the "Report now" button of a reminder) field by field,
with a file when the deadline asks for one, and may correct the report until the deadline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import Session
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler, ContextTypes

from bot import pages
from bot.context import Me, escape, me, presser, reply, services
from bot.i18n import N_
from bot.reminders import clockwork
from handlers.deadlines import keys
from handlers.inputs import read_amount, read_count
from handlers.router import nav_row, step_press, takes_media
from models.areas import get_area
from models.deadlines import (
    Deadline,
    TooLateToSnooze,
    due_to_report,
    may_report,
    snooze,
    submit,
)
from models.dialogs import end_dialog, get_dialog, save_dialog
from models.numbers import whole
from models.schedule import SNOOZES
from models.users import AccessDenied, Actor

REPORT = "report"
TEXT_MAX = 300  # a text answer in a report


async def report_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    person = await me(update, context)
    if person is None:
        return
    owed = await services(context).db.run(due_to_report, person.actor)
    if not owed:
        await reply(update, person._("You have no report to send right now."))
        return
    if len(owed) == 1:
        await begin_report(update, context, person, owed[0][0].id, owed[0][1].id)
        return
    await report_menu(update, person, owed, 0)


async def report_menu(update: Update, person: Me, owed: list, page: int) -> None:
    await pages.show(update, person._("Which report?"), pages.choices(
        [(d.title, f"rp:now:{d.id}:{a.id}") for d, a in owed], page, lambda n: f"rp:pg:{n}"))


async def report_page_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.callback_query.answer()
    person = await me(update, context)
    if person is not None:
        owed = await services(context).db.run(due_to_report, person.actor)
        await report_menu(update, person, owed, whole(update.callback_query.data[6:]) or 0)


def _begin(session: Session, actor: Actor, deadline_id: int, area_id: int) -> Deadline:
    deadline = session.get(Deadline, deadline_id)
    may_report(session, actor, deadline, get_area(session, area_id))
    save_dialog(session, actor.id, REPORT, "field", deadline_id=deadline_id, area_id=area_id,
                index=0, values={}, file_id=None)
    return deadline


async def begin_report(update: Update, context: ContextTypes.DEFAULT_TYPE, person: Me,
                       deadline_id: int, area_id: int) -> None:
    try:
        deadline = await services(context).db.run(_begin, person.actor, deadline_id, area_id)
    except AccessDenied:
        await reply(update, person._("You cannot report for this area, or the deadline is "
                                     "closed."), edit=False)
        return
    await ask_field(update, person, deadline, 0)


HINTS = {"number": N_("type a number, for example 12"),
         "money": N_("type an amount, for example 5tr or 5.000.000"),
         "text": N_("a few words, for example “Đã trao 2 nhà”")}


async def ask_field(update: Update, person: Me, deadline: Deadline, index: int,
                    edit: bool = False) -> None:
    _ = person._
    field = deadline.fields[index]
    await reply(update, _("{title} · field {i} of {n}: <b>{name}</b> ({hint})",
                          title=escape(deadline.title), i=index + 1, n=len(deadline.fields),
                          name=escape(field["name"]), hint=_(HINTS[field["kind"]])),
                InlineKeyboardMarkup([nav_row(_, back=index > 0)]), edit=edit)


async def ask_report_file(update: Update, person: Me, edit: bool = False) -> None:
    await reply(update, person._("Last, send the file or the photo for this report."),
                InlineKeyboardMarkup([[InlineKeyboardButton(person._("Skip"),
                                                            callback_data="rp:skip:0:0")],
                                      nav_row(person._)]), edit=edit)


async def report_back(update: Update, context: ContextTypes.DEFAULT_TYPE, person: Me) -> None:
    """⬅ in a report: the field before (its answer kept until typed again), or from the
    summary, the file question or the last field."""
    svc = services(context)
    dialog = await svc.db.run(get_dialog, person.id, REPORT)
    deadline = await svc.db.run(lambda s: s.get(Deadline, dialog.data["deadline_id"]))
    last = len(deadline.fields) - 1
    if dialog.step == "confirm" and deadline.wants_file:
        await svc.db.run(save_dialog, person.id, REPORT, "file")
        await ask_report_file(update, person, edit=True)
        return
    index = last if dialog.step in ("file", "confirm") else max(0, dialog.data["index"] - 1)
    await svc.db.run(save_dialog, person.id, REPORT, "field", index=index)
    await ask_field(update, person, deadline, index, edit=True)


async def report_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """rp:now:<deadline>:<area> starts the report; rp:snz:<deadline>:<area>:<minutes>
    snoozes (for as long as the reminder offered)."""
    query = update.callback_query
    person = await presser(update, context)
    if person is None:
        return
    svc = services(context)
    _p, action, *parts = query.data.split(":")
    numbers = [whole(p) for p in parts] + ([24 * 60] if len(parts) == 2 else [])  # older ones
    if len(numbers) != 3 or None in numbers or timedelta(minutes=numbers[2]) not in SNOOZES:
        await query.answer(person._("This button is not valid."), show_alert=True)
        return
    deadline_id, area_id, span = numbers[0], numbers[1], timedelta(minutes=numbers[2])
    if action == "snz":
        try:
            when = await svc.db.run(snooze, person.actor, deadline_id, area_id,
                                    datetime.now(UTC), clockwork(svc.config), span)
        except AccessDenied:
            await query.answer(person._("You cannot report for this area, or the deadline is "
                                        "closed."), show_alert=True)
            return
        except TooLateToSnooze:
            await query.answer(person._("The deadline is too near to be reminded later. "
                                        "Please report now."), show_alert=True)
            return
        await query.answer(person._("I will remind you at {when}.",
                                    when=person._.datetime(when)), show_alert=True)
        return
    await query.answer()
    await begin_report(update, context, person, deadline_id, area_id)


async def field_typed(update, context, person: Me, text: str) -> None:
    svc = services(context)
    dialog = await svc.db.run(get_dialog, person.id, REPORT)
    deadline = await svc.db.run(lambda s: s.get(Deadline, dialog.data["deadline_id"]))
    index = dialog.data["index"]
    field = deadline.fields[index]
    if field["kind"] == "number":
        value = 0 if text.strip() == "0" else await read_count(update, person, text)
    elif field["kind"] == "money":
        value = await read_amount(update, person, text, svc.config.max_amount * 100)
    else:
        value = " ".join(text.split()) or None
        if value is None:
            await reply(update, person._("Please type something, or “-” for nothing."))
        elif len(value) > TEXT_MAX:
            await reply(update, person._("Up to {n} characters here, please: say it briefly, "
                                         "for example “Đã trao 5 sổ tiết kiệm”, and attach "
                                         "the details as a file.", n=TEXT_MAX))
            return
    if value is None:
        return
    values = {**dialog.data["values"], field["name"]: value}
    if index + 1 < len(deadline.fields):
        await svc.db.run(save_dialog, person.id, REPORT, "field", index=index + 1,
                         values=values)
        await ask_field(update, person, deadline, index + 1)
        return
    if deadline.wants_file:
        await svc.db.run(save_dialog, person.id, REPORT, "file", values=values)
        await ask_report_file(update, person)
        return
    await report_summary(update, context, person, deadline, values)


@takes_media
async def file_sent(update, context, person: Me, _text: str) -> None:
    message = update.effective_message
    file_id = message.document.file_id if message.document else \
        message.photo[-1].file_id if message.photo else None
    if file_id is None:
        await reply(update, person._("Send a document or a photo, or press Skip."))
        return
    await attach(update, context, person, file_id)


async def skip_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    found = await step_press(update, context, REPORT, ("file",))
    if found is not None:
        await attach(update, context, found[0], None)


async def attach(update: Update, context: ContextTypes.DEFAULT_TYPE, person: Me,
                 file_id: str | None) -> None:
    svc = services(context)
    dialog = await svc.db.run(save_dialog, person.id, REPORT, "file", file_id=file_id)
    deadline = await svc.db.run(lambda s: s.get(Deadline, dialog.data["deadline_id"]))
    await report_summary(update, context, person, deadline, dialog.data["values"])


async def report_summary(update: Update, context: ContextTypes.DEFAULT_TYPE, person: Me,
                         deadline: Deadline, values: dict) -> None:
    svc = services(context)
    dialog = await svc.db.run(save_dialog, person.id, REPORT, "confirm", values=values)
    _ = person._
    lines = [_("<b>Check your report</b>"), escape(deadline.title)]
    for f in deadline.fields:
        shown = values[f["name"]]
        shown = _.money(shown) if f["kind"] == "money" else \
            _.number(shown) if f["kind"] == "number" else escape(str(shown))
        lines.append(f"• {escape(f['name'])}: {shown}")
    if dialog.data.get("file_id"):
        lines.append(_("With a file attached."))
    await pages.show(update, pages.page_text(lines, range(len(lines))),
                     InlineKeyboardMarkup([
                         *keys([[(_("✅ Send the report"), "rp:ok:0:0"),
                                 (_("✏ Start again"), "rp:redo:0:0")]]).inline_keyboard,
                         nav_row(_)]))


async def confirm_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    found = await step_press(update, context, REPORT, ("confirm",))
    if found is None:
        return
    person, data, _value = found
    svc = services(context)
    if update.callback_query.data.startswith("rp:redo"):
        await begin_report(update, context, person, data["deadline_id"], data["area_id"])
        return

    def save(session: Session):
        report = submit(session, person.actor, data["deadline_id"], data["area_id"],
                        data["values"], data.get("file_id"), datetime.now(UTC))
        end_dialog(session, person.id)
        return report
    try:
        report = await svc.db.run(save)
    except AccessDenied:
        await reply(update, person._("This report can no longer be changed: the deadline has "
                                     "passed or is closed."))
        return
    await reply(update, person._("Thank you! Your report is in (late).") if report.late else
                person._("Thank you! Your report is in. You can correct it until the "
                         "deadline with /report."))


BACK = {(REPORT, "field"): report_back, (REPORT, "file"): report_back,
        (REPORT, "confirm"): report_back}
TEXT_STEPS = {(REPORT, "field"): field_typed, (REPORT, "file"): file_sent}


def handlers() -> list:
    return [
        CommandHandler("report", report_command),
        CallbackQueryHandler(report_page_pressed, pattern=r"^rp:pg:\d+$"),
        CallbackQueryHandler(skip_pressed, pattern=r"^rp:skip:"),
        CallbackQueryHandler(report_pressed, pattern=r"^rp:(now|snz):"),
        CallbackQueryHandler(confirm_pressed, pattern=r"^rp:(ok|redo):"),
    ]
