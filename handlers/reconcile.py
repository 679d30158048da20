"""/reconcile: an officer sends the bank statement; Loa shows what it would change, then
applies it in one go (models/reconcile.py).

What Loa holds between steps is in the dialog (the campaign, the file's Telegram id, the
answers about columns): the plan is made again from the file on every press, so a restart
loses nothing and the database stays the only truth.
"""

from __future__ import annotations

import re

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler, ContextTypes

from bot import pages
from bot.config import Config
from bot.context import Me, escape, officer, presser, reply, services
from bot.i18n import N_, Translator
from handlers.pledge_desk import tell_pledger
from handlers.router import EXPIRED, TextStep, ask_for_words, nav_row, takes_media
from models.areas import fold
from models.base import utcnow
from models.campaigns import Campaign, campaigns_run_by
from models.dialogs import end_dialog, get_dialog, save_dialog
from models.pledges import Pledge
from models.reconcile import (
    PLANNED,
    Applied,
    Line,
    NotAssignable,
    Outcome,
    Plan,
    Thank,
    apply_plan,
    assign,
    code_pattern,
    make_plan,
)
from models.statements import (
    MAX_BYTES,
    Question,
    Statement,
    StatementProblem,
    known_layout,
    read_statement,
    remember_layout,
)
from models.users import AccessDenied, Actor, Role

FLOW = "rec"
REFUSED = N_("Only officers can reconcile a bank statement. If you are one, ask for the "
             "officer role.")
OUTCOMES = {
    Outcome.MATCHED: N_("✅ Code and amount match (to be marked received)"),
    Outcome.OTHER_AMOUNT: N_("≠ Code matches, another amount"),
    Outcome.FOREIGN: N_("↪ Code of another campaign, unknown, of a cancelled pledge, or "
                        "several codes"),
    Outcome.NO_CODE: N_("❔ No pledge code"),
    Outcome.ALREADY: N_("☑ Already recorded"),
}
NOTES = {"unknown": N_("no such pledge"), "other": N_("another campaign"),
         "cancelled": N_("cancelled"), "rejected": N_("rejected"),
         "received": N_("already received"), "twice": N_("paid a second time"),
         "recorded": N_("recorded from another file of this account"),
         "several": N_("several codes in one transfer: mark each pledge at the desk")}
#: What an officer types at the summary to mean the ✅ Apply button (folded).
APPLY_WORDS = {"ghi nhan", "ap dung", "dong y", "co", "ok", "xac nhan", "apply", "yes",
               "confirm"}
ROLES = {"date": N_("the date"), "credit": N_("the money received (credit)"),
         "description": N_("the transfer note (description)")}
PROBLEMS = {
    "too_large": N_("Loa cannot read files over 20 MB. Export a shorter period, for example "
                    "one month."),
    "password": N_("This file is locked with a password. Open it in Excel, remove the "
                   "password (or save a copy without it) and send it again."),
    "unreadable": N_("Loa could not open this file as a table (a PDF, a picture or a Word "
                     "file cannot be read). In internet banking, export the statement as "
                     "Excel (.xlsx or .xls) or .csv and send that file."),
    "encoding": N_("Loa could not read the letters in this file. Export it again as .xlsx, "
                   "or as .csv in UTF-8."),
    "not_statement": N_("Loa did not find a statement in this file: no row with the date, "
                        "the credit and the note (for example “Ngày giao dịch”, “Số tiền ghi "
                        "có”, “Nội dung”)."),
    "merged_header": N_("The heading row of this file has merged cells. Unmerge them in "
                        "Excel (one heading per column) and send it again."),
    "currency": N_("This statement is not in đồng (VND). Loa only reconciles the fund's VND "
                   "account."),
    "empty": N_("This statement has no money received (no credit lines)."),
}


def thanks(config: Config) -> Thank:
    """The pledger is thanked as when an officer marks the pledge received at the desk."""
    def thank(session: Session, pledge: Pledge, campaign: Campaign) -> None:
        tell_pledger(session, config, pledge, campaign.name, True)
    return thank


def problem_text(_: Translator, problem: StatementProblem) -> str:
    return _(PROBLEMS[problem.code])


def line_text(_: Translator, line: Line) -> str:
    c = line.credit
    parts = [_.date(c.on), _.money(c.amount)]
    if line.code:
        parts.append(f"<b>{line.code}</b>")
    if line.outcome is Outcome.OTHER_AMOUNT:
        parts.append(_("pledged {amount}", amount=_.money(line.pledge_amount)))
    if line.note:
        parts.append(_(NOTES[line.note]))
    return f"{c.line}. " + " · ".join(parts) + "\n   " + escape(c.description[:120])


def summary_text(_: Translator, plan: Plan) -> str:
    lines = [_("<b>Bank statement · {campaign}</b>", campaign=escape(plan.campaign.name)),
             _("Nothing changes until you press Apply.")]
    for outcome in PLANNED:
        lines.append(f"{_(OUTCOMES[outcome])}: <b>{_.number(plan.count(outcome))}</b> · "
                     f"{_.money(plan.total(outcome))}")
    if plan.debits:
        lines.append(_.ngettext("{count} line of money paid out is left aside.",
                                "{count} lines of money paid out are left aside.", plan.debits,
                                count=_.number(plan.debits)))
    return "\n".join(lines)


def applied_text(_: Translator, applied: Applied) -> str:
    if not applied.received and not applied.gifts:
        return _("Nothing left to apply: this statement is already recorded.")
    return _("Done: {received}, {gifts}, {amount} in all. The pledgers are being thanked.",
             received=_.ngettext("{n} pledge marked received", "{n} pledges marked received",
                                 applied.received),
             gifts=_.ngettext("{n} gift from a benefactor through the bank recorded",
                              "{n} gifts from benefactors through the bank recorded",
                              applied.gifts),
             amount=_.money(applied.amount))


# ---- the chat ----------------------------------------------------------------------------

async def reconcile_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    person = await officer(update, context, REFUSED)
    if person is not None:
        await choose_campaign(update, context, person, {})


async def statement_sent(update: Update, context: ContextTypes.DEFAULT_TYPE, person: Me) -> None:
    """A document sent outside any flow: a statement, when an officer sends it. Anyone else
    most likely meant a report for a deadline: the file is left alone and /report named."""
    if not person.actor.at_least(Role.OFFICER):
        await reply(update, person._(REFUSED) + "\n" + person._(
            "Nothing was kept from this file. To send a report for a deadline, start with "
            "/report."))
        return
    dialog = await services(context).db.run(get_dialog, person.id, FLOW)
    await file_step(update, context, person, dialog.data if dialog else {})


@takes_media
async def file_sent(update: Update, context: ContextTypes.DEFAULT_TYPE, person: Me,
                    _text: str) -> None:
    dialog = await services(context).db.run(get_dialog, person.id, FLOW)
    await file_step(update, context, person, dialog.data if dialog else {})


async def file_step(update: Update, context: ContextTypes.DEFAULT_TYPE, person: Me,
                    data: dict) -> None:
    document = update.effective_message.document
    if document is None:
        await reply(update, person._("Send the statement as a file (.xlsx, .xls or .csv)."))
        return
    if (document.file_size or 0) > MAX_BYTES:
        await reply(update, person._(PROBLEMS["too_large"]))
        return
    data = {"campaign_id": data.get("campaign_id"), "file_id": document.file_id,
            "name": document.file_name or "statement",
            "upload": (document.file_unique_id or "")[:24]}
    if data["campaign_id"] is None:
        await choose_campaign(update, context, person, data)
    else:
        await read_and_plan(update, context, person, data)


CAMPAIGNS_PAGE = 8


async def choose_campaign(update: Update, context: ContextTypes.DEFAULT_TYPE, person: Me,
                          data: dict, page: int | None = None) -> None:
    """The campaign the statement is for: the officer's only one, or chosen from all of them,
    newest first, a page at a time (a province's officer sees every commune's); `page` is set
    when an arrow was pressed."""
    _ = person._
    svc = services(context)
    runs = await svc.db.run(campaigns_run_by, person.actor)
    if not runs:
        await reply(update, _("You run no campaign yet: open one with /campaign first."))
        return
    if len(runs) == 1:
        data = {**data, "campaign_id": runs[0].id}
    if data.get("campaign_id") and data.get("file_id"):
        await read_and_plan(update, context, person, data)
        return
    if data.get("campaign_id"):
        await svc.db.run(save_dialog, person.id, FLOW, "file", **data)
        await reply(update, _("Send the bank statement of the fund's account as a file, as "
                              "exported from internet banking (.xlsx, .xls or .csv). Loa "
                              "finds the pledge codes in the transfer notes and shows what it "
                              "would change before anything changes."),
                    InlineKeyboardMarkup([nav_row(_, back=False)]), edit=False)
        return
    await svc.db.run(save_dialog, person.id, FLOW, "campaign", **data)
    count = -(-len(runs) // CAMPAIGNS_PAGE)
    shown = pages.clamp(page or 0, count)
    keys = [[InlineKeyboardButton(pages.button_text(f"{c.ref_prefix} · {c.name}"),
                                  callback_data=f"rc:c:{c.id}")]
            for c in runs[shown * CAMPAIGNS_PAGE:(shown + 1) * CAMPAIGNS_PAGE]]
    await reply(update, _("Which campaign is this statement for? Press it, or type its code "
                          "(for example {prefix}).", prefix=escape(runs[0].ref_prefix)),
                pages.markup([*keys, nav_row(_, back=False)], pages.nav_row(
                    shown, count, lambda n: f"rc:p:{n}")), edit=page is not None)


async def campaign_typed(update: Update, context: ContextTypes.DEFAULT_TYPE, person: Me,
                         text: str) -> None:
    """The campaign's code prefix typed ("tt26")."""
    runs = await services(context).db.run(campaigns_run_by, person.actor)
    typed = fold(text).strip(" .").upper()
    chosen = next((c for c in runs if c.ref_prefix == typed), None)
    dialog = await services(context).db.run(get_dialog, person.id, FLOW)
    if chosen is None:
        await reply(update, person._("Loa did not find a campaign with the code “{code}”.",
                                     code=escape(text[:20])))
    await choose_campaign(update, context, person,
                          {**dialog.data, **({"campaign_id": chosen.id} if chosen else {})})


def _read(session: Session, data: dict, content: bytes) -> Statement | Question:
    answers = data.get("columns") or {}
    found = read_statement(data["name"], content, lambda sig: known_layout(session, sig),
                           answers)
    if isinstance(found, Statement) and answers:
        remember_layout(session, found.signature,
                        {**(known_layout(session, found.signature) or {}), **answers})
    return found


async def _statement(update: Update, context: ContextTypes.DEFAULT_TYPE, person: Me,
                     data: dict) -> Statement | None:
    """The statement behind the dialog, read again from Telegram; None after saying why not
    (a problem with the file, or a column question asked)."""
    svc = services(context)
    try:
        file = await context.bot.get_file(data["file_id"])
        content = bytes(await file.download_as_bytearray())
        found = await svc.db.run(_read, data, content)
    except StatementProblem as problem:  # nothing changed; the next file is for the same campaign
        await svc.db.run(save_dialog, person.id, FLOW, "file", file_id=None, name=None,
                         columns=None, campaign_id=data.get("campaign_id"))
        await reply(update, problem_text(person._, problem), edit=False)
        return None
    if isinstance(found, Question):
        await ask_column(update, context, person, data, found)
        return None
    return found


async def ask_column(update: Update, context: ContextTypes.DEFAULT_TYPE, person: Me,
                     data: dict, question: Question) -> None:
    _ = person._
    await services(context).db.run(save_dialog, person.id, FLOW, "column", **data,
                                   role=question.role,
                                   choices=[i for i, _h in question.choices],
                                   headings=[h for _i, h in question.choices])
    keys = [[InlineKeyboardButton(pages.button_text(header), callback_data=f"rc:k:{i}")]
            for i, header in question.choices[:20]]
    await reply(update, _("Loa cannot tell which column holds {what}. Which one is it? Loa "
                          "will remember it for the next statements laid out like this one.",
                          what=_(ROLES.get(question.role, question.role))),
                pages.markup([*keys, nav_row(_, back=False)]), edit=False)


async def read_and_plan(update: Update, context: ContextTypes.DEFAULT_TYPE, person: Me,
                        data: dict, note: str = "") -> None:
    svc = services(context)
    statement = await _statement(update, context, person, data)
    if statement is None:
        return
    try:
        plan = await svc.db.run(make_plan, person.actor, data["campaign_id"], statement)
    except (AccessDenied, LookupError):
        await svc.db.run(end_dialog, person.id)
        await reply(update, person._("This campaign is outside your area."))
        return
    await svc.db.run(save_dialog, person.id, FLOW, "plan", **data)
    await show_summary(update, person, plan, data, note)


async def show_summary(update: Update, person: Me, plan: Plan, data: dict,
                       note: str = "") -> None:
    """The counts, their lists, and what can be applied. The apply buttons carry the file
    they were shown for: pressed under an older statement's summary, they have expired."""
    _ = person._
    upload = data.get("upload", "")
    keys = [[InlineKeyboardButton(pages.button_text(
        f"📄 {_(OUTCOMES[o])} ({plan.count(o)})"), callback_data=f"rc:l:{o.value}:0")]
        for o in PLANNED if plan.count(o)]
    if plan.count(Outcome.MATCHED):
        keys.append([InlineKeyboardButton(_("✅ Apply"), callback_data=f"rc:a:{upload}")])
    if plan.count(Outcome.OTHER_AMOUNT):
        keys.append([InlineKeyboardButton(_("✅ Apply, accepting the statement's amounts"),
                                          callback_data=f"rc:m:{upload}")])
    if plan.count(Outcome.NO_CODE):
        keys.append([InlineKeyboardButton(_("🎁 No code: gifts from a benefactor via the bank"),
                                          callback_data=f"rc:g:{upload}")])
        keys.append([InlineKeyboardButton(_("✍ Assign one to a pledge"),
                                          callback_data="rc:h")])
    keys.append(nav_row(_, back=False))
    text = summary_text(_, plan)
    await reply(update, f"{note}\n\n{text}" if note else text, InlineKeyboardMarkup(keys))


def _apply(session: Session, actor: Actor, data: dict, statement: Statement, config: Config,
           how: str) -> tuple[Plan, Applied]:
    return apply_plan(session, actor, data["campaign_id"], statement, utcnow(),
                      thanks(config), accept_amounts=how == "m", gifts=how == "g")


async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """rc:c:<campaign> chooses, rc:k:<column> answers, rc:l:<list>:<page> shows a list,
    rc:s the summary, rc:a / rc:m / rc:g apply, rc:h assigns by hand. Checked again for
    every press: the officer's role, the dialog's step, the campaign's scope."""
    query = update.callback_query
    person = await presser(update, context)
    if person is None:
        return
    _ = person._
    svc = services(context)
    dialog = await svc.db.run(get_dialog, person.id, FLOW)
    if dialog is None or not person.actor.at_least(Role.OFFICER):
        await query.answer(_(EXPIRED), show_alert=True)
        return
    action, _sep, value = query.data.removeprefix("rc:").partition(":")
    data = dict(dialog.data)
    try:
        if action == "p" and dialog.step == "campaign":
            await query.answer()
            await choose_campaign(update, context, person, data, int(value))
            return
        if action == "c":
            runs = await svc.db.run(campaigns_run_by, person.actor)
            if dialog.step != "campaign" or int(value) not in {c.id for c in runs}:
                raise ValueError(value)
            await query.answer()
            await choose_campaign(update, context, person, {**data, "campaign_id": int(value)})
            return
        if action == "k":
            if dialog.step != "column" or int(value) not in data.get("choices", []):
                raise ValueError(value)
            await query.answer()
            await column_chosen(update, context, person, data, int(value))
            return
        if dialog.step not in ("plan", "assign") or action not in "lsamgh":
            raise ValueError(action)
        if action in "amg" and value != data.get("upload", ""):
            await query.answer(_(EXPIRED), show_alert=True)
            return
    except ValueError:
        await query.answer(_("This button is not valid."), show_alert=True)
        return
    await query.answer()
    await act(update, context, person, data, action, value)


async def act(update: Update, context: ContextTypes.DEFAULT_TYPE, person: Me, data: dict,
              action: str, value: str = "") -> None:
    """A step at the summary, pressed or typed: l list, s summary, a/m/g apply, h assign."""
    _ = person._
    svc = services(context)
    statement = await _statement(update, context, person, data)
    if statement is None:
        return
    try:
        if action in "amg":
            plan, applied = await svc.db.run(_apply, person.actor, data, statement,
                                             svc.config, action)
            svc.dispatcher.wake()
            await show_summary(update, person, await svc.db.run(
                make_plan, person.actor, data["campaign_id"], statement), data,
                applied_text(_, applied))
            return
        plan = await svc.db.run(make_plan, person.actor, data["campaign_id"], statement)
    except (AccessDenied, LookupError):
        await reply(update, _("This campaign is outside your area."))
        return
    except IntegrityError:  # two presses at once from two devices: the other one applied
        await reply(update, _("Nothing left to apply: this statement is already recorded."))
        return
    if action == "l":
        await show_list(update, person, plan, value)
    elif action == "h":
        await svc.db.run(save_dialog, person.id, FLOW, "assign", **data)
        await reply(update, _("Type the line number from the statement and the pledge code, "
                              "for example “{example}”.", example=_example(plan)),
                    InlineKeyboardMarkup([nav_row(_)]), edit=False)
    else:
        await show_summary(update, person, plan, data)


async def column_chosen(update: Update, context: ContextTypes.DEFAULT_TYPE, person: Me,
                        data: dict, column: int | None) -> None:
    """The answer to "which column holds …"; None asks again."""
    columns = data.get("columns") or {}
    if column is not None:
        columns = {**columns, data["role"]: column}
    data = {k: v for k, v in data.items() if k not in ("role", "choices", "headings")}
    await read_and_plan(update, context, person, {**data, "columns": columns})


async def column_typed(update: Update, context: ContextTypes.DEFAULT_TYPE, person: Me,
                       text: str) -> None:
    """The heading typed instead of pressed ("phat sinh", "Phát sinh"): the one column whose
    heading holds those words; otherwise the question again, with its buttons."""
    dialog = await services(context).db.run(get_dialog, person.id, FLOW)
    data, typed = dict(dialog.data), fold(text).strip(" .")
    hits = [i for i, h in zip(data.get("choices", []), data.get("headings", []), strict=False)
            if typed and typed in fold(h)]
    if len(hits) != 1:
        await reply(update, person._("Press the button of the column, or type its heading "
                                     "as in the file."))
    await column_chosen(update, context, person, data, hits[0] if len(hits) == 1 else None)


def _example(plan: Plan) -> str:
    lines = plan.lines[Outcome.NO_CODE]
    return f"{lines[0].credit.line if lines else 12} {plan.campaign.ref_prefix}-0042"


async def show_list(update: Update, person: Me, plan: Plan, value: str) -> None:
    _ = person._
    name, _sep, page = value.partition(":")
    outcome = Outcome(name) if name in {o.value for o in PLANNED} else None
    if outcome is None or not page.isdigit():
        await reply(update, _("This button is not valid."))
        return
    blocks = [line_text(_, line) for line in plan.lines[outcome]] or [_("None.")]
    header = f"<b>{_(OUTCOMES[outcome])}</b>"
    split = pages.paginate(blocks, header)
    shown = pages.clamp(int(page), len(split))
    back = [[InlineKeyboardButton(_("⬅ Back to the summary"), callback_data="rc:s")]]
    await pages.show(update, pages.page_text(blocks, split[shown], header), pages.markup(
        back, pages.nav_row(shown, len(split), lambda n: f"rc:l:{outcome.value}:{n}")))


def typed_assignment(text: str, prefix: str) -> tuple[str, str]:
    """(line number, code) from what an officer types: "12 TT26-0042", "tt26 42 dòng 12",
    "12  tt260042"; either may be "" when missing."""
    folded = fold(text).upper()
    found = code_pattern([prefix]).search(folded)
    code = f"{found[1]}-{int(found[2] or found[3]):04d}" if found else ""
    rest = folded[:found.start()] + " " + folded[found.end():] if found else folded
    number = re.search(r"(?<![A-Z0-9])\d{1,7}(?![A-Z0-9])", rest)
    return (number[0] if number else ""), code


async def plan_typed(update: Update, context: ContextTypes.DEFAULT_TYPE, person: Me,
                     text: str) -> None:
    """Typed at the summary instead of a press: "áp dụng" / "đồng ý" / "có" mean ✅ Apply, a
    pledge code assigns a credit with no code; anything else shows the summary again with
    what can be typed."""
    dialog = await services(context).db.run(get_dialog, person.id, FLOW)
    if fold(text).strip(" .!") in APPLY_WORDS:
        await act(update, context, person, dialog.data, "a")
    elif re.search(r"\d", text):
        await assign_typed(update, context, person, text)
    else:
        await read_and_plan(update, context, person, dialog.data, person._(
            "Press a button below, or type “apply”."))


async def assign_typed(update: Update, context: ContextTypes.DEFAULT_TYPE, person: Me,
                       text: str) -> None:
    """"12 TT26-0042": the credit on line 12 is pledge TT26-0042's money. With one credit
    with no code, the code alone is enough."""
    _ = person._
    svc = services(context)
    dialog = await svc.db.run(get_dialog, person.id, FLOW)
    statement = await _statement(update, context, person, dialog.data)
    if statement is None:
        return
    plan = await svc.db.run(make_plan, person.actor, dialog.data["campaign_id"], statement)
    number, code = typed_assignment(text, plan.campaign.ref_prefix)
    lines = plan.lines[Outcome.NO_CODE]
    credit = next((line.credit for line in lines if str(line.credit.line) == number), None)
    if credit is None and not number and len(lines) == 1:
        credit = lines[0].credit
    code = code or text.strip()
    if credit is None:
        await reply(update, _("Loa did not find line “{number}” among the credits with no "
                              "code. Type the line number and the code, for example "
                              "“{example}”.", number=escape((number or text)[:20]),
                              example=_example(plan)))
        return
    try:
        pledge = await svc.db.run(assign, person.actor, dialog.data["campaign_id"], credit,
                                  code, utcnow(), thanks(svc.config))
    except NotAssignable:
        await reply(update, _("Loa did not find a registered pledge “{code}” in this campaign. "
                              "Type the line number and the code, for example “{example}”.",
                              code=escape(code[:30]), example=_example(plan)))
        return
    svc.dispatcher.wake()
    await svc.db.run(save_dialog, person.id, FLOW, "plan", **dialog.data)
    plan = await svc.db.run(make_plan, person.actor, dialog.data["campaign_id"], statement)
    await show_summary(update, person, plan, dialog.data, _(
        "{reference} is marked received: {amount} on {date}. The pledger has been thanked.",
        reference=pledge.reference, amount=_.money(credit.amount), date=_.date(credit.on)))


async def _back_to_summary(update: Update, context: ContextTypes.DEFAULT_TYPE,
                           person: Me) -> None:
    dialog = await services(context).db.run(get_dialog, person.id, FLOW)
    if dialog is None:
        await reply(update, person._(EXPIRED))
        return
    await read_and_plan(update, context, person, dialog.data)


def _or_file(step: TextStep) -> TextStep:
    """A step that takes typed words; a file sent there is the next statement."""
    @takes_media
    async def typed(update: Update, context: ContextTypes.DEFAULT_TYPE, person: Me,
                    text: str) -> None:
        if update.effective_message.document is not None:
            await file_sent(update, context, person, text)
        elif not text:
            await ask_for_words(update, person)
        else:
            await step(update, context, person, text)
    return typed


TEXT_STEPS = {(FLOW, "file"): file_sent, (FLOW, "assign"): _or_file(assign_typed),
              (FLOW, "campaign"): _or_file(campaign_typed), (FLOW, "plan"): _or_file(plan_typed),
              (FLOW, "column"): _or_file(column_typed)}
BACK = {(FLOW, "assign"): _back_to_summary}


def handlers() -> list:
    return [CommandHandler("reconcile", reconcile_command),
            CallbackQueryHandler(pressed, pattern=r"^rc:")]
