"""/export: an officer takes the figures of their area away as a file. What (the pledges or the
totals of a campaign, the reports of a deadline, the recipients of a broadcast) → which one
(only those inside their scope) → Excel or CSV → Loa sends the file.

Every press is checked again on the server: the list offered is the officer's, and the export
itself refuses anything outside their scope, whatever the callback data says. The file is built
in a worker thread into a temporary file, so Loa keeps answering others meanwhile and a large
export never sits in memory.
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from sqlmodel import Session
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler, ContextTypes

from bot import pages
from bot.context import Me, escape, local_today, officer, presser, reply, services
from bot.exporting import FORMATS, filename, tables, write
from bot.i18n import N_
from handlers.router import nav_row, step_press
from models.areas import fold
from models.broadcasts import first_words
from models.dialogs import end_dialog, get_dialog, save_dialog
from models.exports import (
    exportable_broadcasts,
    exportable_campaigns,
    exportable_deadlines,
    reportable_campaigns,
)
from models.numbers import whole
from models.users import AccessDenied, Actor, Role

FLOW = "export"
WHAT = {
    "pledges": N_("🗂 Pledges of a campaign"),
    "totals": N_("📊 Totals of a campaign, by area"),
    "reports": N_("📝 Reports of a deadline"),
    "broadcast": N_("📣 Recipients of a broadcast"),
    "upward": N_("📤 Report to the level above"),
}
WHICH = {
    "pledges": N_("Which campaign's pledges?"),
    "totals": N_("Which campaign's totals?"),
    "reports": N_("The reports of which deadline?"),
    "broadcast": N_("The recipients of which broadcast?"),
    "upward": N_("The result of which campaign, for the level above?"),
}
FORMAT_NAMES = {"xlsx": N_("📗 Excel (.xlsx)"), "csv": N_("📄 CSV (UTF-8)")}
NOT_OFFICER = N_("Only officers can export the figures of their area.")
FILE_WORDS = {"broadcast": "recipients", "upward": "report"}  # loa-TT26-report-2026-12-03.xlsx


def _officers(actor: Actor) -> bool:
    return actor.at_least(Role.OFFICER)


def exportable(session: Session, actor: Actor, what: str) -> list[tuple[int, str, str]]:
    """(id, button label, name in the file's name) of what this officer may export."""
    if what in ("pledges", "totals", "upward"):
        found = reportable_campaigns(session, actor) if what == "upward" else \
            exportable_campaigns(session, actor)
        return [(c.id, f"{c.ref_prefix} · {c.name}", c.ref_prefix) for c in found]
    if what == "reports":
        return [(d.id, f"#{d.id} · {d.title}", f"deadline{d.id}")
                for d in exportable_deadlines(session, actor)]
    return [(b.id, f"#{b.id} · {pages.visible(first_words(b.text))}", f"broadcast{b.id}")
            for b in exportable_broadcasts(session, actor)]


async def export_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    person = await officer(update, context, NOT_OFFICER)
    if person is not None:
        await ask_what(update, context, person, edit=False)


async def ask_what(update: Update, context: ContextTypes.DEFAULT_TYPE, person: Me,
                   edit: bool = True) -> None:
    _ = person._
    await services(context).db.run(save_dialog, person.id, FLOW, "what")
    rows = [[InlineKeyboardButton(_(label), callback_data=f"ex:w:{what}")]
            for what, label in WHAT.items()]
    await reply(update, _("What would you like as a file?"),
                InlineKeyboardMarkup([*rows, nav_row(_, back=False)]), edit=edit)


async def what_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    found = await step_press(update, context, FLOW, ("what",), allowed=_officers)
    if found is None or found.value not in WHAT:
        return
    await services(context).db.run(save_dialog, found.person.id, FLOW, "which",
                                   what=found.value, find=None)
    await show_which(update, context, found.person, found.value)


def matching(items: list[tuple[int, str, str]], find: str) -> list[tuple[int, str, str]]:
    """The item whose code is the one typed ("tt26", "#12"), else those whose label holds
    the words typed ("tet"), diacritics aside."""
    words = fold(find).split()
    exact = [item for item in items
             if fold(item[1].split(" · ")[0]).lstrip("#") == fold(find).lstrip("#")]
    return exact or [item for item in items if all(w in fold(item[1]) for w in words)]


async def show_which(update: Update, context: ContextTypes.DEFAULT_TYPE, person: Me,
                     what: str, page: int = 0, find: str = "") -> None:
    """The officer's items of that kind, a page at a time; only those matching `find` when
    the officer typed part of a name."""
    _ = person._
    items = matching(await services(context).db.run(exportable, person.actor, what), find)
    if not items:
        await reply(update, _("There is nothing of that kind in your area yet."),
                    InlineKeyboardMarkup([nav_row(_)]))
        return
    await pages.show(update, _(WHICH[what]), pages.choices(
        [(label, f"ex:i:{item_id}") for item_id, label, _name in items], page,
        lambda n: f"ex:p:{n}", extra=[nav_row(_)]))


async def ask_which(update: Update, context: ContextTypes.DEFAULT_TYPE, person: Me) -> None:
    """⬅ from the format question."""
    dialog = await services(context).db.run(save_dialog, person.id, FLOW, "which")
    await show_which(update, context, person, dialog.data["what"],
                     find=dialog.data.get("find", ""))


async def page_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    found = await step_press(update, context, FLOW, ("which",), allowed=_officers)
    if found is not None:
        await show_which(update, context, found.person, found.data["what"],
                         whole(found.value) or 0, found.data.get("find", ""))


async def which_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    found = await step_press(update, context, FLOW, ("which",), allowed=_officers)
    if found is None:
        return
    person, what = found.person, found.data["what"]
    item_id = whole(found.value)
    items = await services(context).db.run(exportable, person.actor, what)
    chosen = next((item for item in items if item[0] == item_id), None)
    if chosen is None:  # a forged or stale press: not one of this officer's
        await reply(update, person._("This is outside your area: Loa cannot export it."))
        return
    await choose(update, context, person, chosen)


async def choose(update: Update, context: ContextTypes.DEFAULT_TYPE, person: Me,
                 chosen: tuple[int, str, str]) -> None:
    item_id, label, name = chosen
    await services(context).db.run(save_dialog, person.id, FLOW, "format", item_id=item_id,
                                   label=label, name=name)
    await ask_format(update, person)


async def ask_format(update: Update, person: Me) -> None:
    _ = person._
    rows = [[InlineKeyboardButton(_(label), callback_data=f"ex:f:{fmt}")
             for fmt, label in FORMAT_NAMES.items()]]
    await reply(update, _("Excel or CSV? Excel keeps money and dates as numbers you can add "
                          "up; CSV opens in any program."),
                InlineKeyboardMarkup([*rows, nav_row(_)]))


async def format_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    found = await step_press(update, context, FLOW, ("format",), allowed=_officers)
    if found is None or found.value not in FORMATS:
        return
    person, data, fmt = found.person, found.data, found.value
    await services(context).db.run(end_dialog, person.id)
    await send_file(update, context, person, data["what"], data["item_id"], data["label"],
                    data["name"], fmt, edit=True)


#: Words an officer may type instead of pressing a format (folded: lower case, no diacritics)
TYPED_FORMATS = {"excel": "xlsx", "exel": "xlsx", "xlsx": "xlsx", "xls": "xlsx", "csv": "csv"}


async def format_typed(update: Update, context: ContextTypes.DEFAULT_TYPE, person: Me,
                       text: str) -> None:
    """"excel" or "csv" typed instead of pressed: taken as the press; anything else is
    answered with what to type or press, and the question again."""
    found = {TYPED_FORMATS[w] for w in fold(text).replace(".", " ").replace("(", " ")
             .replace(")", " ").split() if w in TYPED_FORMATS}
    if len(found) != 1 or not _officers(person.actor):
        await reply(update, person._("Loa could not tell which kind of file you want. Type "
                                     "excel or csv, or press a button below."))
        await ask_format(update, person)
        return
    dialog = await services(context).db.run(get_dialog, person.id, FLOW)
    await services(context).db.run(end_dialog, person.id)
    data = dialog.data
    await send_file(update, context, person, data["what"], data["item_id"], data["label"],
                    data["name"], found.pop(), edit=False)


async def what_typed(update: Update, context: ContextTypes.DEFAULT_TYPE, person: Me,
                     text: str) -> None:
    """Typing where Loa waits for a press: say so, and ask again."""
    await reply(update, person._("Please choose by pressing one of the buttons below."))
    await ask_what(update, context, person, edit=False)


async def which_typed(update: Update, context: ContextTypes.DEFAULT_TYPE, person: Me,
                      text: str) -> None:
    """Part of a name typed instead of paging through many ("TT26", "tet"): the one that
    matches is chosen, several are listed; none, the officer hears so and sees them all."""
    db = services(context).db
    dialog = await db.run(get_dialog, person.id, FLOW)
    what = dialog.data["what"]
    found = matching(await db.run(exportable, person.actor, what), text)
    if len(found) == 1:
        await choose(update, context, person, found[0])
        return
    if not found:
        await reply(update, person._("Loa found nothing named “{text}”. Press one of the "
                                     "buttons below, or type a part of a name.",
                                     text=pages.shorten(escape(text), 60)))
    find = text if found else ""
    await db.run(save_dialog, person.id, FLOW, "which", find=find or None)
    await show_which(update, context, person, what, find=find)


async def upward_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """ex:up:<campaign>, under the result Loa sends when a campaign ends: the report to the
    level above at once, as a workbook, if the presser may still have it."""
    person = await presser(update, context)
    if person is None:
        return
    await update.callback_query.answer()
    if not _officers(person.actor):  # an officer then, a citizen now
        await reply(update, person._(NOT_OFFICER), edit=False)
        return
    items = await services(context).db.run(exportable, person.actor, "upward")
    chosen = next((i for i in items if i[0] == whole(update.callback_query.data[6:])), None)
    if chosen is None:
        await reply(update, person._("This is outside your area: Loa cannot export it."),
                    edit=False)
        return
    await send_file(update, context, person, "upward", *chosen, "xlsx", edit=False)


async def send_file(update: Update, context: ContextTypes.DEFAULT_TYPE, person: Me, what: str,
                    item_id: int, label: str, name: str, fmt: str, edit: bool) -> None:
    """Build the export in a worker thread into a temporary file and send it; "Preparing"
    takes the place of the last question (`edit`), or comes under a notice it would erase."""
    _ = person._
    svc = services(context)
    await reply(update, _("Preparing the file…"), edit=edit)
    name = filename(name, FILE_WORDS.get(what, what), fmt, local_today(svc.config))
    with tempfile.TemporaryDirectory(prefix="loa-export-") as folder:
        path = Path(folder) / name
        try:
            rows = await asyncio.to_thread(_build, svc.db, person, what, item_id, fmt, path,
                                           local_today(svc.config))
        except (AccessDenied, LookupError):
            await reply(update, _("This is outside your area: Loa cannot export it."),
                        edit=False)
            return
        caption = _("{what}: {name} · {rows}", what=_(WHAT[what]), name=escape(label),
                    rows=_.ngettext("{n} row", "{n} rows", rows))
        with path.open("rb") as fh:
            await update.effective_chat.send_document(fh, filename=name,
                                                      caption=pages.shorten(caption, 1000))


def _build(db, person: Me, what: str, item_id: int, fmt: str, path: Path, today) -> int:
    """In a worker thread: the export's tables, checked against the scope again, to the file."""
    return write(path, tables(db, person.actor, what, item_id, today), what, fmt, person._)


BACK = {(FLOW, "which"): ask_what, (FLOW, "format"): ask_which}
TEXT_STEPS = {(FLOW, "what"): what_typed, (FLOW, "which"): which_typed,
              (FLOW, "format"): format_typed}


def handlers() -> list:
    return [
        CommandHandler("export", export_command),
        CallbackQueryHandler(what_pressed, pattern=r"^ex:w:"),
        CallbackQueryHandler(page_pressed, pattern=r"^ex:p:"),
        CallbackQueryHandler(which_pressed, pattern=r"^ex:i:"),
        CallbackQueryHandler(format_pressed, pattern=r"^ex:f:"),
        CallbackQueryHandler(upward_pressed, pattern=r"^ex:up:\d+$"),
    ]
