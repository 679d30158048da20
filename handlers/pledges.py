"""Pledging in chat (/pledge and the Pledge button) and one's own pledges (/mypledges).

The conversation lives in the database (flow "pledge"), so someone interrupted by a restart
continues where they were. Finite choices are buttons; amounts are typed as people say them.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date

from sqlmodel import Session
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler, ContextTypes

from bot import pages, vietqr
from bot.config import Config
from bot.context import Me, escape, local_today, me, presser, reply, services
from bot.i18n import N_, Translator
from handlers.inputs import read_amount, read_count
from handlers.router import StepPress, step_press
from models.areas import get_area
from models.base import utcnow
from models.campaigns import Campaign, is_open, open_campaigns, takes_pledges, targets
from models.dialogs import end_dialog, get_dialog, save_dialog
from models.numbers import whole
from models.pledges import (
    ORGANISATIONS,
    CampaignNotOpen,
    Pledge,
    PledgeDraft,
    PledgeKind,
    PledgerKind,
    PledgeRules,
    PledgeStatus,
    TooManyOpen,
    by_token,
    change_own_pledge,
    count_my_pledges,
    day_salary,
    my_pledges,
    open_pledges,
    own_pledge,
    register_pledge,
    similar_pledge,
)
from models.users import AccessDenied, get_user

FLOW, MINE = "pledge", "mypledge"
NAME_MAX, ITEM_MAX = 80, 120  # a name to show; goods described in words
MINE_PAGE = 10

PLEDGER_KINDS = {
    PledgerKind.INDIVIDUAL: N_("Individual"),
    PledgerKind.HOUSEHOLD: N_("Household"),
    PledgerKind.BUSINESS: N_("Business"),
    PledgerKind.AGENCY: N_("Agency or unit"),
    PledgerKind.ORGANISATION: N_("Organisation"),
}
PLEDGE_KINDS = {
    PledgeKind.MONEY: N_("💵 Money"),
    PledgeKind.IN_KIND: N_("📦 In kind"),
    PledgeKind.SALARY: N_("📅 One day's salary"),
}
STATUS_NAMES = {
    PledgeStatus.REGISTERED: N_("registered"),
    PledgeStatus.RECEIVED: N_("received"),
    PledgeStatus.CANCELLED: N_("cancelled"),
    PledgeStatus.REJECTED: N_("rejected"),
}


def buttons(rows: list[list[tuple[str, str]]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(text, callback_data=data)
                                  for text, data in row] for row in rows])


EXPIRED_HERE = N_("This button has expired. Send /pledge to start again.")


async def expired(update: Update, person: Me) -> None:
    await reply(update, person._(EXPIRED_HERE))


# ---- starting ---------------------------------------------------------------------------------

def _open_for(session: Session, user_id: int, today: date) -> list[Campaign]:
    user = get_user(session, user_id)
    return [c for c in open_campaigns(session, get_area(session, user.area_id), today)
            if takes_pledges(c, today)]


async def pledge_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    person = await me(update, context)
    if person is None:
        return
    svc = services(context)
    found = await svc.db.run(_open_for, person.id, local_today(svc.config))
    if not found:
        await reply(update, person._("There is no open campaign to pledge to right now."))
    elif len(found) == 1:
        await begin(update, context, person, found[0].id)
    else:
        await svc.db.run(save_dialog, person.id, FLOW, "campaign")
        await campaign_page(update, person, found, 0, edit=False)


async def campaign_page(update: Update, person: Me, found: list[Campaign], page: int,
                        edit: bool = True) -> None:
    await pages.show(update, person._("Which campaign do you pledge to?"), pages.choices(
        [(c.name, f"pl:c:{c.id}") for c in found], page, lambda n: f"pl:cp:{n}"), edit=edit)


async def campaign_page_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    step = await at_step(update, context, "campaign")
    if step is not None:
        svc = services(context)
        found = await svc.db.run(_open_for, step.person.id, local_today(svc.config))
        await campaign_page(update, step.person, found, whole(step.value) or 0)


def _begin(session: Session, user_id: int, campaign_id: int, today: date,
           rules: PledgeRules) -> tuple[Campaign | None, bool]:
    """(the campaign, whether the conversation began): it begins when the campaign takes
    pledges today and the person may still add one to it."""
    campaign = session.get(Campaign, campaign_id)
    if campaign is None or not takes_pledges(campaign, today) or \
            open_pledges(session, user_id, campaign_id) >= rules.open_per_campaign:
        return campaign, False
    save_dialog(session, user_id, FLOW, "who", campaign_id=campaign_id, token=None)
    return campaign, True


def too_many(person: Me, config: Config) -> str:
    return person._("You already have {n} pledges to this campaign that are not received yet. "
                    "Once they are received you can pledge again; /mypledges shows them.",
                    n=person._.number(config.open_pledges))


async def begin(update: Update, context: ContextTypes.DEFAULT_TYPE, person: Me,
                campaign_id: int) -> None:
    svc = services(context)
    today = local_today(svc.config)
    campaign, begun = await svc.db.run(_begin, person.id, campaign_id, today,
                                       svc.config.pledge_rules)
    if not begun:
        text = person._("This campaign is not taking pledges now.")
        if campaign is not None and takes_pledges(campaign, today):
            text = too_many(person, svc.config)
        elif campaign is not None and is_open(campaign, today):
            text = person._("This campaign takes pledges from {date}. Please come back then.",
                            date=person._.date(campaign.starts_on))
        await reply(update, text, edit=False)
        return
    _ = person._
    kinds = [(_(name), f"pl:who:{kind}") for kind, name in PLEDGER_KINDS.items()]
    await reply(update, _("Who is pledging?"), buttons([kinds[:2], kinds[2:]]), edit=False)


# ---- the steps --------------------------------------------------------------------------------

async def at_step(update: Update, context: ContextTypes.DEFAULT_TYPE,
                  *steps: str) -> StepPress | None:
    return await step_press(update, context, FLOW, steps, EXPIRED_HERE)


async def save(context: ContextTypes.DEFAULT_TYPE, person: Me, step: str, **data) -> None:
    await services(context).db.run(save_dialog, person.id, FLOW, step, **data)


async def campaign_chosen(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    step = await at_step(update, context, "campaign")
    if step and (campaign_id := whole(step.value)) is not None:
        await begin(update, context, step.person, campaign_id)


async def new_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The Pledge button under a campaign: anyone who has started Loa may press it."""
    query = update.callback_query
    await query.answer()
    person = await me(update, context)
    campaign_id = whole(query.data.removeprefix("pl:new:"))
    if person is not None and campaign_id is not None:
        await begin(update, context, person, campaign_id)


async def who_chosen(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    step = await at_step(update, context, "who")
    if step is None or step.value not in PLEDGER_KINDS:
        return
    person, _ = step.person, step.person._
    await save(context, person, "name", pledger_kind=step.value)
    if step.value in ORGANISATIONS:
        await reply(update, _("Type the name of the {kind} as it should appear.",
                              kind=_(PLEDGER_KINDS[PledgerKind(step.value)]).lower()))
        return
    own = person.user.name or person._("Anonymous")
    await reply(update, _("What name should we show? Type it, or use your Telegram name."),
                buttons([[(_("Use “{name}”", name=own), "pl:name:own")]]))


async def name_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    step = await at_step(update, context, "name")
    if step is not None and step.data.get("pledger_kind") not in ORGANISATIONS:
        await named(update, context, step.person,
                    " ".join((step.person.user.name or "").split())[:NAME_MAX] or "?")


async def name_typed(update, context, person: Me, text: str) -> None:
    name = " ".join(text.split())
    if not 0 < len(name) <= NAME_MAX:
        await reply(update, person._("A name of 1 to {n} characters, please, for example "
                                     "“Nguyễn Văn An” or “Công ty TNHH Minh Phát”.", n=NAME_MAX))
        return
    await named(update, context, person, name)


async def named(update: Update, context: ContextTypes.DEFAULT_TYPE, person: Me,
                name: str) -> None:
    _ = person._
    await save(context, person, "what", display_name=name)
    kinds = [(_(label), f"pl:what:{kind}") for kind, label in PLEDGE_KINDS.items()]
    await reply(update, _("What do you pledge?"), buttons([kinds]), edit=False)


async def what_chosen(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    step = await at_step(update, context, "what")
    if step is None or step.value not in PLEDGE_KINDS:
        return
    person, _ = step.person, step.person._
    clear = {"item": None, "quantity": None, "target_id": None, "monthly_salary": None}
    if step.value == PledgeKind.MONEY:
        await save(context, person, "amount", kind=step.value, **clear)
        await reply(update, _("How much? For example 500.000, 500k or 1tr2."))
    elif step.value == PledgeKind.SALARY:
        await save(context, person, "salary", kind=step.value, **clear)
        await reply(update, _("What is your monthly salary? Loa works out one day's salary "
                              "(the salary divided by {days} working days).",
                              days=services(context).config.working_days))
    else:
        goals = await services(context).db.run(targets, step.data["campaign_id"])
        if not goals:
            await save(context, person, "item", kind=step.value, **clear)
            await reply(update, _("What do you give, and how much? For example "
                                  "“10 bao gạo 25 kg”."))
            return
        await save(context, person, "target", kind=step.value, **clear)
        rows = [[(pages.button_text(t.name), f"pl:tgt:{t.id}")] for t in goals[:90]] + \
            [[(_("Other goods"), "pl:tgt:0")]]
        await reply(update, _("Toward one of the campaign's targets, or other goods?"),
                    buttons(rows))


async def target_chosen(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    step = await at_step(update, context, "target")
    if step is None or (target_id := whole(step.value)) is None:
        return
    person, _ = step.person, step.person._
    goals = {t.id: t for t in await services(context).db.run(targets,
                                                              step.data["campaign_id"])}
    target = goals.get(target_id)
    if target is None:
        await save(context, person, "item")
        await reply(update, _("What do you give, and how much? For example "
                              "“10 bao gạo 25 kg”."))
        return
    await save(context, person, "quantity", target_id=target.id, item=target.name)
    await reply(update, _("How many “{name}”? For example 1.", name=escape(target.name)))


async def item_typed(update, context, person: Me, text: str) -> None:
    item = " ".join(text.split())
    if not 0 < len(item) <= ITEM_MAX:
        await reply(update, person._("Describe it in 1 to {n} characters, for example "
                                     "“10 bao gạo 25 kg”.", n=ITEM_MAX))
        return
    await save(context, person, "value", item=item)
    await ask_value(update, person)


async def quantity_typed(update, context, person: Me, text: str) -> None:
    count = await read_count(update, person, text)
    if count is not None:
        await save(context, person, "value", quantity=count)
        await ask_value(update, person)


async def ask_value(update: Update, person: Me) -> None:
    await reply(update, person._("Roughly what is it worth, in đồng? For example 5tr or "
                                 "5.000.000."))


async def amount_typed(update, context, person: Me, text: str) -> None:
    amount = await read_amount(update, person, text, services(context).config.max_amount)
    if amount is not None:
        await save(context, person, "public", amount=amount)
        await ask_public(update, person)


async def salary_typed(update, context, person: Me, text: str) -> None:
    config = services(context).config
    monthly = await read_amount(update, person, text, config.max_amount)
    if monthly is None:
        return
    day = day_salary(monthly, config.working_days)
    if day <= 0:
        await reply(update, person._("That salary is too small to give one day of it."))
        return
    await save(context, person, "public", monthly_salary=monthly, amount=day)
    await ask_public(update, person)


async def ask_public(update: Update, person: Me) -> None:
    _ = person._
    await reply(update, _("May your name appear on the campaign's public honour roll?"),
                buttons([[(_("Yes, show my name"), "pl:pub:1"),
                          (_("No, stay anonymous"), "pl:pub:0")]]), edit=False)


async def public_chosen(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    step = await at_step(update, context, "public")
    if step is None or step.value not in ("0", "1"):
        return
    await save(context, step.person, "confirm", public=step.value == "1",
               token=secrets.token_hex(8))
    await confirm_screen(update, context, step.person)


# ---- confirming -------------------------------------------------------------------------------

def describe(_: Translator, draft: PledgeDraft | Pledge, working_days: int,
             public: bool = False) -> str:
    """What is pledged, in words: money, a day's salary, or goods with their worth. In public
    (the honour roll) a salary pledge shows the day's amount, never the monthly salary."""
    if draft.kind == PledgeKind.SALARY and public:
        return _("one day's salary: {amount}", amount=_.money(draft.amount))
    if draft.kind == PledgeKind.SALARY:
        return _("one day's salary: {amount} ({monthly} a month ÷ {days})",
                 amount=_.money(draft.amount), monthly=_.money(draft.monthly_salary or 0),
                 days=working_days)
    if draft.kind == PledgeKind.IN_KIND:
        what = escape(draft.item or "")
        if draft.quantity:
            what = f"{_.number(draft.quantity)} × {what}"
        return _("{what}, worth about {amount}", what=what, amount=_.money(draft.amount))
    return _.money(draft.amount)


def _confirmation(session: Session, user_id: int) -> tuple[PledgeDraft, str, str] | None:
    dialog = get_dialog(session, user_id, FLOW)
    if dialog is None or dialog.step != "confirm":
        return None
    draft = PledgeDraft.from_answers(dialog.data)
    return draft, session.get(Campaign, draft.campaign_id).name, dialog.data["token"]


async def confirm_screen(update: Update, context: ContextTypes.DEFAULT_TYPE, person: Me) -> None:
    _ = person._
    svc = services(context)
    found = await svc.db.run(_confirmation, person.id)
    if found is None:
        await expired(update, person)
        return
    draft, campaign, token = found
    lines = [_("<b>Please check your pledge</b>"),
             _("Campaign: {value}", value=escape(campaign)),
             _("From: {name} ({kind})", name=escape(draft.display_name),
               kind=_(PLEDGER_KINDS[PledgerKind(draft.pledger_kind)]).lower()),
             _("Pledge: {value}", value=describe(_, draft, svc.config.working_days)),
             _("Honour roll: {value}", value=_("your name is shown") if draft.public
               else _("anonymous"))]
    await reply(update, "\n".join(lines), buttons([[
        (_("✅ Confirm"), f"pl:ok:{token}"), (_("✏ Edit"), "pl:edit:"),
        (_("✖ Cancel"), "pl:cancel:")]]))


@dataclass(frozen=True)
class Outcome:
    what: str  # "saved", "already", "similar", "expired", "closed", "too_many"
    pledge: Pledge | None = None
    campaign: Campaign | None = None


def _confirm(session: Session, user_id: int, token: str, force: bool, today: date,
             rules: PledgeRules) -> Outcome:
    """Save once per token; ask first when it looks like a pledge made earlier today."""
    now = utcnow()
    dialog = get_dialog(session, user_id, FLOW)
    if dialog is None or dialog.data.get("token") != token or \
            dialog.step not in ("confirm", "similar"):
        existing = by_token(session, token)
        return Outcome("already", existing, existing and session.get(
            Campaign, existing.campaign_id)) if existing else Outcome("expired")
    draft = PledgeDraft.from_answers(dialog.data)
    if not force:
        similar = similar_pledge(session, user_id, draft, now)
        if similar is not None:
            save_dialog(session, user_id, FLOW, "similar")
            return Outcome("similar", similar)
    try:
        pledge, _new = register_pledge(session, get_user(session, user_id), draft, token, now,
                                       today, rules)
    except CampaignNotOpen:
        end_dialog(session, user_id)
        return Outcome("closed")
    except TooManyOpen:
        end_dialog(session, user_id)
        return Outcome("too_many")
    end_dialog(session, user_id)
    return Outcome("saved", pledge, session.get(Campaign, pledge.campaign_id))


async def confirm_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """pl:ok:<token> confirms; pl:again:<token> confirms although it looks like a repeat."""
    query = update.callback_query
    await query.answer()
    person = await me(update, context)
    if person is None:
        return
    _ = person._
    svc = services(context)
    action, _sep, token = query.data.removeprefix("pl:").partition(":")
    outcome = await svc.db.run(_confirm, person.id, token, action == "again",
                               local_today(svc.config), svc.config.pledge_rules)
    if outcome.what == "expired":
        await expired(update, person)
    elif outcome.what == "closed":
        await reply(update, _("Sorry, this campaign stopped taking pledges; nothing was saved."))
    elif outcome.what == "too_many":
        await reply(update, too_many(person, svc.config))
    elif outcome.what == "similar":
        p = outcome.pledge
        await reply(update, _("You already pledged {amount} to this campaign today ({reference})"
                              ". Add another pledge?", amount=_.money(p.amount),
                              reference=p.reference),
                    buttons([[(_("Yes, add another"), f"pl:again:{token}"),
                              (_("No"), "pl:cancel:")]]))
    else:
        if outcome.what == "already":
            await reply(update, _("This pledge is already saved as {reference}.",
                                  reference=outcome.pledge.reference), edit=False)
            return
        await send_receipt(update, context, person, outcome.pledge, outcome.campaign)


async def send_receipt(update: Update, context: ContextTypes.DEFAULT_TYPE, person: Me,
                       pledge: Pledge, campaign: Campaign) -> None:
    _ = person._
    config = services(context).config
    text = _("🙏 Thank you, {name}! Your pledge <b>{reference}</b> to {campaign} is "
             "registered: {what}.", name=escape(pledge.display_name or _("friend")),
             reference=pledge.reference, campaign=escape(campaign.name),
             what=describe(_, pledge, config.working_days))
    text += "\n" + _("/mypledges shows your pledges; you can change this one until it is "
                     "received.")
    await reply(update, text)
    if config.fund and pledge.kind != PledgeKind.IN_KIND:
        caption = _("Pay {amount} by bank transfer: scan this code in any Vietnamese banking "
                    "app. Account {account} ({holder}); transfer note: {reference}.",
                    amount=_.money(pledge.amount), account=config.fund.account,
                    holder=escape(config.fund.account_name or "—"),
                    reference=pledge.reference)
        await update.effective_chat.send_photo(
            vietqr.png(config.fund, pledge.amount, pledge.reference), caption=caption)


async def edit_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    step = await at_step(update, context, "confirm", "similar")
    if step is not None:
        await begin(update, context, step.person, step.data["campaign_id"])


async def cancel_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    step = await at_step(update, context, "confirm", "similar")
    if step is not None:
        await services(context).db.run(end_dialog, step.person.id)
        await reply(update, step.person._("Cancelled: nothing was saved."))


# ---- one's own pledges ------------------------------------------------------------------------

async def mypledges_command(update: Update, context: ContextTypes.DEFAULT_TYPE,
                            page: int = 0) -> None:
    """One's pledges, newest first, MINE_PAGE a page with ◀ n/N ▶."""
    person = await me(update, context)
    if person is None:
        return
    _ = person._
    def load(session: Session, page: int):
        total = count_my_pledges(session, person.id)
        page = pages.clamp(page, pages.page_count(total, MINE_PAGE))
        return total, page, my_pledges(session, person.id, MINE_PAGE, page * MINE_PAGE)
    total, page, rows = await services(context).db.run(load, page)
    if not rows:
        await reply(update, _("You have not pledged yet. /pledge to make a pledge."))
        return
    working_days = services(context).config.working_days
    lines, keys = [], []
    for pledge, campaign in rows:
        status = _(STATUS_NAMES[PledgeStatus(pledge.status)])
        line = f"• <b>{pledge.reference}</b> · {escape(campaign)} · " \
               f"{describe(_, pledge, working_days)} · {status}"
        if pledge.status == PledgeStatus.RECEIVED and pledge.received_amount is not None:
            line += " " + _("({amount} on {date})", amount=_.money(pledge.received_amount),
                            date=_.date(pledge.received_on))
        lines.append(line)
        keys.append([(_("✏ {reference}", reference=pledge.reference), f"mp:e:{pledge.id}"),
                     (_("✖ {reference}", reference=pledge.reference), f"mp:x:{pledge.id}")]
                    if pledge.status == PledgeStatus.REGISTERED else [])
    await pages.show(update, pages.fixed_page(lines, _("<b>Your pledges</b>"), MINE_PAGE),
                     pages.markup(buttons(keys).inline_keyboard, pages.nav_row(
                         page, pages.page_count(total, MINE_PAGE), lambda n: f"mp:p:{n}")))


async def mine_page_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.callback_query.answer()
    await mypledges_command(update, context, whole(update.callback_query.data[5:]) or 0)


async def mine_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """mp:e:<id> edits the amount, mp:x:<id> asks to cancel, mp:xx:<id> cancels."""
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
        await svc.db.run(save_dialog, person.id, MINE, "amount", pledge_id=pledge.id)
        ask = _("Type the new monthly salary.") if pledge.kind == PledgeKind.SALARY else \
            _("Type the new amount.")
        await reply(update, ask, edit=False)
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
        await reply(update, person._("Nothing was changed."))


async def new_amount_typed(update, context, person: Me, text: str) -> None:
    svc = services(context)
    dialog = await svc.db.run(get_dialog, person.id, MINE)
    amount = await read_amount(update, person, text, svc.config.max_amount)
    if amount is None:
        return
    try:
        pledge = await svc.db.run(own_pledge, person.id, dialog.data["pledge_id"])
        changes = {"amount": amount}
        if pledge.kind == PledgeKind.SALARY:
            changes = {"monthly_salary": amount,
                       "amount": day_salary(amount, svc.config.working_days)}
            if changes["amount"] <= 0:
                await reply(update, person._("That salary is too small to give one day of it."))
                return
        pledge = await svc.db.run(change_own_pledge, person.id, pledge.id, utcnow(),
                                  svc.config.pledge_rules, **changes)
    except AccessDenied:
        await reply(update, person._("This pledge can no longer be changed."))
        return
    finally:
        await svc.db.run(end_dialog, person.id)
    await reply(update, person._("Pledge {reference} now stands at {what}.",
                                 reference=pledge.reference,
                                 what=describe(person._, pledge, svc.config.working_days)))


TEXT_STEPS = {
    (FLOW, "name"): name_typed,
    (FLOW, "amount"): amount_typed,
    (FLOW, "salary"): salary_typed,
    (FLOW, "item"): item_typed,
    (FLOW, "quantity"): quantity_typed,
    (FLOW, "value"): amount_typed,
    (MINE, "amount"): new_amount_typed,
}


def handlers() -> list:
    return [
        CommandHandler("pledge", pledge_command),
        CommandHandler("mypledges", mypledges_command),
        CallbackQueryHandler(new_pressed, pattern=r"^pl:new:"),
        CallbackQueryHandler(campaign_chosen, pattern=r"^pl:c:"),
        CallbackQueryHandler(campaign_page_pressed, pattern=r"^pl:cp:"),
        CallbackQueryHandler(who_chosen, pattern=r"^pl:who:"),
        CallbackQueryHandler(name_pressed, pattern=r"^pl:name:"),
        CallbackQueryHandler(what_chosen, pattern=r"^pl:what:"),
        CallbackQueryHandler(target_chosen, pattern=r"^pl:tgt:"),
        CallbackQueryHandler(public_chosen, pattern=r"^pl:pub:"),
        CallbackQueryHandler(confirm_pressed, pattern=r"^pl:(ok|again):"),
        CallbackQueryHandler(edit_pressed, pattern=r"^pl:edit:"),
        CallbackQueryHandler(cancel_pressed, pattern=r"^pl:cancel:"),
        CallbackQueryHandler(keep_pressed, pattern=r"^mp:keep:"),
        CallbackQueryHandler(mine_pressed, pattern=r"^mp:(e|x|xx):"),
        CallbackQueryHandler(mine_page_pressed, pattern=r"^mp:p:\d+$"),
    ]

