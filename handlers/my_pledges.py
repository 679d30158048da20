"""One's own pledges (/mypledges): each with its status and what was received, and while it is
still registered, ✏ change one thing (amount, name shown, honour roll), ✖ cancel, 🧾 the payment
code again. Every press is checked against the pledge's owner and status. Also the switch under
a pledge reminder that turns those reminders off."""

from __future__ import annotations

from sqlmodel import Session
from telegram import InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler, ContextTypes

from bot import pages
from bot.context import Me, escape, me, presser, reply, services
from handlers.inputs import read_amount
from handlers.pledges import (
    EDIT_FIELDS,
    EXPIRED_HERE,
    buttons,
    describe,
    expired,
    honour_text,
    read_name,
    send_qr,
)
from handlers.router import nav_row, step_press
from models.base import utcnow
from models.dialogs import end_dialog, get_dialog, save_dialog
from models.numbers import whole
from models.pledges import (
    STATUS_NAMES,
    Pledge,
    PledgeKind,
    PledgeRules,
    PledgeStatus,
    change_own_pledge,
    count_my_pledges,
    day_salary,
    my_pledges,
    own_pledge,
)
from models.users import AccessDenied, User, update_user

MINE = "mypledge"
MINE_PAGE = 10


async def mypledges_command(update: Update, context: ContextTypes.DEFAULT_TYPE,
                            page: int = 0) -> None:
    """One's pledges, newest first, MINE_PAGE a page with ◀ n/N ▶."""
    person = await me(update, context)
    if person is None:
        return
    _ = person._
    svc = services(context)

    def load(session: Session, page: int):
        total = count_my_pledges(session, person.id)
        page = pages.clamp(page, pages.page_count(total, MINE_PAGE))
        return total, page, my_pledges(session, person.id, MINE_PAGE, page * MINE_PAGE)
    total, page, rows = await svc.db.run(load, page)
    if not rows:
        await reply(update, _("You have not pledged yet. /pledge to make a pledge."))
        return
    working_days = svc.config.working_days
    lines, keys = [], []
    for pledge, campaign in rows:
        status = _(STATUS_NAMES[PledgeStatus(pledge.status)])
        line = f"• <b>{pledge.reference}</b> · {escape(campaign)} · " \
               f"{describe(_, pledge, working_days)} · {status}"
        if pledge.status == PledgeStatus.RECEIVED and pledge.received_amount is not None:
            line += " " + _("({amount} on {date})", amount=_.money(pledge.received_amount),
                            date=_.date(pledge.received_on))
        lines.append(line)
        row = []
        if pledge.status == PledgeStatus.REGISTERED:
            row = [(_("✏ {reference}", reference=pledge.reference), f"mp:e:{pledge.id}"),
                   (_("✖ {reference}", reference=pledge.reference), f"mp:x:{pledge.id}")]
            if svc.config.fund and pledge.kind != PledgeKind.IN_KIND:
                row.append((_("🧾 {reference}", reference=pledge.reference),
                            f"mp:q:{pledge.id}"))
        keys.append(row)
    await pages.show(update, pages.fixed_page(lines, _("<b>Your pledges</b>"), MINE_PAGE),
                     pages.markup(buttons(keys).inline_keyboard, pages.nav_row(
                         page, pages.page_count(total, MINE_PAGE), lambda n: f"mp:p:{n}")))


async def mine_page_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.callback_query.answer()
    await mypledges_command(update, context, whole(update.callback_query.data[5:]) or 0)


async def mine_menu(update: Update, context: ContextTypes.DEFAULT_TYPE, person: Me,
                    pledge: Pledge, edit: bool = True) -> None:
    """✏ in /mypledges: change one thing, each shown with its current value."""
    _ = person._
    await services(context).db.run(save_dialog, person.id, MINE, "menu", pledge_id=pledge.id,
                                   new=None, field=None)
    amount = describe(_, pledge, services(context).config.working_days)
    rows = [[(pages.button_text(_("Amount: {value}", value=amount)), "mp:f:amount")],
            [(pages.button_text(_("Name shown: {value}", value=pledge.display_name)),
              "mp:f:name")],
            [(_("Honour roll: {value}", value=honour_text(_, pledge.public)), "mp:f:public")]]
    await reply(update, _("Pledge {reference}: what do you want to change?",
                          reference=pledge.reference),
                InlineKeyboardMarkup([*buttons(rows).inline_keyboard, nav_row(_, back=False)]),
                edit=edit)


async def mine_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """mp:e:<id> opens the change menu, mp:x:<id> asks to cancel, mp:xx:<id> cancels,
    mp:q:<id> sends the payment code again. Every press is checked against the pledge's owner
    and status."""
    query = update.callback_query
    person = await presser(update, context)
    if person is None:
        return
    _ = person._
    svc = services(context)
    action, _sep, raw = query.data.removeprefix("mp:").partition(":")
    try:
        pledge = await svc.db.run(own_pledge, person.id, int(raw))
    except (AccessDenied, ValueError):
        await query.answer(_("This pledge can no longer be changed."), show_alert=True)
        return
    await query.answer()
    if action == "e":
        await mine_menu(update, context, person, pledge, edit=False)
    elif action == "q":
        if not await send_qr(update, context, person, pledge):
            await reply(update, _("There is no payment code for this pledge."), edit=False)
    elif action == "x":
        await reply(update, _("Cancel pledge {reference}?", reference=pledge.reference),
                    buttons([[(_("Yes, cancel it"), f"mp:xx:{pledge.id}"),
                              (_("No"), "mp:keep:0")]]), edit=False)
    elif action == "xx":
        await svc.db.run(change_own_pledge, person.id, pledge.id, utcnow(),
                         status=PledgeStatus.CANCELLED)
        await reply(update, _("Pledge {reference} is cancelled.", reference=pledge.reference))


async def keep_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.callback_query.answer()
    person = await me(update, context)
    if person:
        await services(context).db.run(_end_mine, person.id)
        await reply(update, person._("Nothing was changed."))


def _end_mine(session: Session, user_id: int) -> None:
    dialog = get_dialog(session, user_id)
    if dialog is not None and dialog.flow == MINE:
        end_dialog(session, user_id)


def _mine_pledge(session: Session, user_id: int) -> tuple[dict, Pledge] | None:
    dialog = get_dialog(session, user_id, MINE)
    if dialog is None:
        return None
    try:
        return dict(dialog.data), own_pledge(session, user_id, dialog.data["pledge_id"])
    except (AccessDenied, KeyError):
        return None


async def mine_field_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """mp:f:<field> in the change menu: ask for the new value (the honour roll: the other
    choice), then confirm."""
    step = await step_press(update, context, MINE, ("menu",), EXPIRED_HERE)
    if step is None or step.value not in EDIT_FIELDS:
        return
    person, _ = step.person, step.person._
    found = await services(context).db.run(_mine_pledge, person.id)
    if found is None:
        await reply(update, _("This pledge can no longer be changed."))
        return
    _data, pledge = found
    nav = nav_row(_)
    if step.value == "amount":
        await services(context).db.run(save_dialog, person.id, MINE, "amount", field="amount")
        ask = _("Type the new monthly salary.") if pledge.kind == PledgeKind.SALARY else \
            _("Type the new amount.")
        await reply(update, ask, InlineKeyboardMarkup([nav]), edit=False)
    elif step.value == "name":
        await services(context).db.run(save_dialog, person.id, MINE, "name", field="name")
        await reply(update, _("Type the name to show."), InlineKeyboardMarkup([nav]),
                    edit=False)
    else:
        await ask_change(update, context, person, pledge, "public", not pledge.public)


async def ask_change(update, context, person: Me, pledge: Pledge, field: str, new) -> None:
    """"Change … from A to B?" with Yes and No; the new value waits in the dialog."""
    _ = person._
    await services(context).db.run(save_dialog, person.id, MINE, "sure", field=field, new=new)
    config = services(context).config
    if field == "amount":
        after = Pledge(**{**pledge.model_dump(), **new})
        old, now = describe(_, pledge, config.working_days), describe(_, after,
                                                                      config.working_days)
        label = _("the amount")
    elif field == "name":
        old, now, label = escape(pledge.display_name), escape(new), _("the name shown")
    else:
        old, now, label = honour_text(_, pledge.public), honour_text(_, new), _("the honour roll")
    await reply(update, _("Change {what} of {reference} from {old} to {new}?", what=label,
                          reference=pledge.reference, old=old, new=now),
                InlineKeyboardMarkup([*buttons([[(_("✅ Yes, change it"), "mp:ok:1"),
                                                 (_("No"), "mp:keep:0")]]).inline_keyboard,
                                      nav_row(_)]), edit=False)


async def new_amount_typed(update, context, person: Me, text: str) -> None:
    amount = await read_amount(update, person, text, services(context).config.max_amount,
                               context)
    if amount is not None:
        await new_amount_settled(update, context, person, amount, {})


async def new_amount_settled(update, context, person: Me, amount: int, data: dict) -> None:
    svc = services(context)
    found = await svc.db.run(_mine_pledge, person.id)
    if found is None:
        await reply(update, person._("This pledge can no longer be changed."))
        return
    pledge = found[1]
    changes = {"amount": amount}
    if pledge.kind == PledgeKind.SALARY:
        changes = {"monthly_salary": amount,
                   "amount": day_salary(amount, svc.config.working_days)}
        if changes["amount"] <= 0:
            await reply(update, person._("That salary is too small to give one day of it."))
            return
    await ask_change(update, context, person, pledge, "amount", changes)


async def new_name_typed(update, context, person: Me, text: str) -> None:
    name = await read_name(update, person, text)
    if name is None:
        return
    found = await services(context).db.run(_mine_pledge, person.id)
    if found is None:
        await reply(update, person._("This pledge can no longer be changed."))
        return
    await ask_change(update, context, person, found[1], "name", name)


def _apply(session: Session, user_id: int, rules: PledgeRules) -> tuple[Pledge, str] | None:
    dialog = get_dialog(session, user_id, MINE)
    if dialog is None or dialog.step != "sure" or "new" not in dialog.data:
        return None
    field, new = dialog.data["field"], dialog.data["new"]
    changes = new if field == "amount" else {"display_name" if field == "name" else field: new}
    end_dialog(session, user_id)
    return change_own_pledge(session, user_id, dialog.data["pledge_id"], utcnow(), rules,
                             **changes), field


async def change_confirmed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """mp:ok:1: make the change waiting in the dialog; a new payment code after an amount."""
    step = await step_press(update, context, MINE, ("sure",), EXPIRED_HERE)
    if step is None:
        return
    person, _ = step.person, step.person._
    svc = services(context)
    try:
        done = await svc.db.run(_apply, person.id, svc.config.pledge_rules)
    except AccessDenied:
        await svc.db.run(_end_mine, person.id)
        await reply(update, _("This pledge can no longer be changed."))
        return
    if done is None:
        await expired(update, person)
        return
    pledge, field = done
    await reply(update, _("Pledge {reference} now stands at {what}; name shown: {name}; "
                          "honour roll: {public}.", reference=pledge.reference,
                          what=describe(_, pledge, svc.config.working_days),
                          name=escape(pledge.display_name), public=honour_text(_, pledge.public)))
    if field == "amount":
        await send_qr(update, context, person, pledge)


async def _mine_back(update: Update, context: ContextTypes.DEFAULT_TYPE, person: Me) -> None:
    found = await services(context).db.run(_mine_pledge, person.id)
    if found is None:
        await services(context).db.run(_end_mine, person.id)
        await reply(update, person._("This pledge can no longer be changed."))
        return
    await mine_menu(update, context, person, found[1], edit=False)


async def reminders_off(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    person = await presser(update, context)
    if person is None:
        return
    await query.answer()
    await services(context).db.run(lambda s: update_user(s, s.get(User, person.id),
                                                         pledge_reminders=False))
    await reply(update, person._("Done: no more pledge reminders."), edit=False)


BACK = {(MINE, step): _mine_back for step in ("amount", "name", "sure")}
TEXT_STEPS = {(MINE, "amount"): new_amount_typed, (MINE, "name"): new_name_typed}
AMOUNT_STEPS = {(MINE, "amount"): new_amount_settled}


def handlers() -> list:
    return [
        CommandHandler("mypledges", mypledges_command),
        CallbackQueryHandler(keep_pressed, pattern=r"^mp:keep:"),
        CallbackQueryHandler(mine_pressed, pattern=r"^mp:(e|x|xx|q):"),
        CallbackQueryHandler(mine_field_pressed, pattern=r"^mp:f:"),
        CallbackQueryHandler(change_confirmed, pattern=r"^mp:ok:"),
        CallbackQueryHandler(mine_page_pressed, pattern=r"^mp:p:\d+$"),
        CallbackQueryHandler(reminders_off, pattern=r"^rm:off$"),
    ]
