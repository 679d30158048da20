"""Pledging in chat (/pledge, the Pledge button and pledge links, /start pl<campaign id>);
one's own pledges are in my_pledges.

The conversation lives in the database (flow "pledge"), so someone interrupted by a restart
continues where they were. Finite choices are buttons; amounts are typed as people say them.
"""

from __future__ import annotations

import secrets
import unicodedata
from dataclasses import dataclass
from datetime import date

from sqlmodel import Session
from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    Update,
)
from telegram.ext import CallbackQueryHandler, CommandHandler, ContextTypes

from bot import pages, vietqr
from bot.config import Config
from bot.context import Me, escape, local_today, me, reply, services
from bot.i18n import N_, Translator
from handlers.inputs import read_amount, read_count
from handlers.menu import main_menu
from handlers.router import StepPress, nav_row, step_press, takes_media
from models.areas import get_area
from models.base import utcnow
from models.campaigns import Campaign, is_open, open_campaigns, takes_pledges, targets
from models.dialogs import end_dialog, get_dialog, save_dialog
from models.numbers import whole
from models.pledges import (
    ORGANISATIONS,
    PLEDGER_KINDS,
    CampaignNotOpen,
    Pledge,
    PledgeDraft,
    PledgeKind,
    PledgerKind,
    PledgeRules,
    TooManyOpen,
    by_token,
    day_salary,
    may_give,
    open_pledges,
    register_pledge,
    similar_pledge,
)
from models.users import get_user

FLOW, PHONE = "pledge", "pledge_phone"
NAME_MAX, ITEM_MAX = 80, 120  # a name to show; goods described in words

PLEDGE_KINDS = {
    PledgeKind.MONEY: N_("💵 Money"),
    PledgeKind.IN_KIND: N_("📦 In kind"),
    PledgeKind.SALARY: N_("📅 One day's salary"),
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
    if person is not None:
        await offer(update, context, person)


async def offer(update: Update, context: ContextTypes.DEFAULT_TYPE, person: Me,
                moved: bool = False) -> None:
    """The campaigns of the person's area that take pledges: the one, or a choice. `moved`:
    the campaign the person chose is not open, so the one is named before its question."""
    svc = services(context)
    found = await svc.db.run(_open_for, person.id, local_today(svc.config))
    if not found:
        await reply(update, person._("There is no open campaign to pledge to right now."))
    elif len(found) == 1:
        await begin(update, context, person, found[0].id, moved=moved)
    else:
        await svc.db.run(save_dialog, person.id, FLOW, "campaign")
        await campaign_page(update, person, found, 0, edit=False)


async def campaign_page(update: Update, person: Me, found: list[Campaign], page: int,
                        edit: bool = True) -> None:
    await pages.show(update, person._("Which campaign do you pledge to?"), pages.choices(
        [(c.name, f"pl:c:{c.id}") for c in found], page, lambda n: f"pl:cp:{n}",
        extra=[nav_row(person._, back=False)]), edit=edit)


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
                campaign_id: int, linked: bool = False, moved: bool = False) -> None:
    """That campaign's pledge, whatever the person's area (the Pledge button goes wherever a
    broadcast does). `linked`: come by a pledge link (/start pl<id>) or the Pledge button
    under a broadcast, which may be old: for a campaign closed or unknown, a word saying so
    and what /pledge offers. `moved`: offered instead of the one chosen, so the first
    question names it."""
    svc = services(context)
    today = local_today(svc.config)
    campaign, begun = await svc.db.run(_begin, person.id, campaign_id, today,
                                       svc.config.pledge_rules)
    if not begun and linked and (campaign is None or not is_open(campaign, today)):
        await reply(update, person._("The campaign you chose is not taking pledges now: it has "
                                     "ended, is paused or no longer exists."), edit=False)
        await offer(update, context, person, moved=True)
        return
    if not begun:
        text = person._("This campaign is not taking pledges now.")
        if campaign is not None and takes_pledges(campaign, today):
            text = too_many(person, svc.config)
        elif campaign is not None and is_open(campaign, today):
            text = person._("This campaign takes pledges from {date}. Please come back then.",
                            date=person._.date(campaign.starts_on))
        await reply(update, text, edit=False)
        return
    await ask_who(update, context, person, named=campaign if moved else None)


# ---- the questions ----------------------------------------------------------------------------
# Each asker moves the dialog to its step (answers kept) and asks, with ⬅ and ✖ below; ⬅ from
# a step asks the one before it again (BACK, wired in bot/app.py).

async def ask(update: Update, context: ContextTypes.DEFAULT_TYPE, person: Me, step: str,
              text: str, rows: list[list[tuple[str, str]]] | None = None,
              back: bool = True, **data) -> None:
    await save(context, person, step, **data)
    markup = buttons(rows or [])
    await reply(update, text, InlineKeyboardMarkup(
        [*markup.inline_keyboard, nav_row(person._, back=back)]), edit=False)


async def ask_who(update, context, person: Me, data: dict | None = None,
                  named: Campaign | None = None) -> None:
    """`named`: the campaign, said first (Loa moved on to it from one not open)."""
    _ = person._
    kinds = [(_(name), f"pl:who:{kind}") for kind, name in PLEDGER_KINDS.items()]
    text = _("Who is pledging?")
    if named is not None:
        text = _("You can pledge to another campaign that is taking pledges: <b>{name}</b>",
                 name=escape(named.name)) + "\n" + text
    await ask(update, context, person, "who", text, [kinds[:2], kinds[2:]], back=False)


async def ask_name(update, context, person: Me, data: dict) -> None:
    _ = person._
    kind = data.get("pledger_kind")
    if kind in ORGANISATIONS:
        await ask(update, context, person, "name",
                  _("Type the name of the {kind} as it should appear.",
                    kind=_(PLEDGER_KINDS[PledgerKind(kind)]).lower()))
        return
    own = person.user.name or person._("Anonymous")
    await ask(update, context, person, "name",
              _("What name should we show? Type it, or use your Telegram name."),
              [[(_("Use “{name}”", name=own), "pl:name:own")]])


def kinds_for(pledger_kind: str | None) -> list[str]:
    """What a pledger may give: a day's salary only for people and households."""
    return [k for k in PLEDGE_KINDS if may_give(pledger_kind, k)]


async def ask_what(update, context, person: Me, data: dict) -> None:
    _ = person._
    kinds = [(_(PLEDGE_KINDS[k]), f"pl:what:{k}") for k in kinds_for(data.get("pledger_kind"))]
    await ask(update, context, person, "what", _("What do you pledge?"), [kinds])


async def ask_amount(update, context, person: Me, data: dict) -> None:
    await ask(update, context, person, "amount",
              person._("How much? For example 500.000, 500k or 1tr2."))


async def ask_salary(update, context, person: Me, data: dict) -> None:
    await ask(update, context, person, "salary", person._(
        "What is your monthly salary? Loa works out one day's salary (the salary divided by "
        "{days} working days).", days=services(context).config.working_days))


async def ask_target(update, context, person: Me, data: dict) -> None:
    _ = person._
    goals = await services(context).db.run(targets, data["campaign_id"])
    if not goals:
        await ask_item(update, context, person, data)
        return
    rows = [[(pages.button_text(t.name), f"pl:tgt:{t.id}")] for t in goals[:90]] + \
        [[(_("Other goods"), "pl:tgt:0")]]
    await ask(update, context, person, "target",
              _("Toward one of the campaign's targets, or other goods?"), rows)


async def ask_item(update, context, person: Me, data: dict) -> None:
    await ask(update, context, person, "item", person._(
        "What do you give, and how much? For example “10 bao gạo 25 kg”."))


async def ask_quantity(update, context, person: Me, data: dict) -> None:
    await ask(update, context, person, "quantity", person._(
        "How many “{name}”? For example 1.", name=escape(data.get("item") or "")))


async def ask_value(update, context, person: Me, data: dict) -> None:
    _ = person._
    await ask(update, context, person, "value",
              _("Roughly what is it worth, in đồng? For example 5tr or 5.000.000. If you do "
                "not know, press Skip or type “không rõ”."),
              [[(_("Skip: I do not know"), "pl:val:skip")]])


async def ask_public(update, context, person: Me, data: dict | None = None) -> None:
    _ = person._
    await ask(update, context, person, "public",
              _("May your name appear on the campaign's public honour roll?"),
              [[(_("Yes, show my name"), "pl:pub:1"), (_("No, stay anonymous"), "pl:pub:0")]])


ASK_AMOUNT = {PledgeKind.MONEY: ask_amount, PledgeKind.SALARY: ask_salary,
              PledgeKind.IN_KIND: ask_value}


async def _answers(context, person: Me) -> dict:
    dialog = await services(context).db.run(get_dialog, person.id, FLOW)
    return dict(dialog.data) if dialog else {}


def _again(asker):
    """Ask this question again, the answers given so far kept."""
    async def again(update: Update, context: ContextTypes.DEFAULT_TYPE, person: Me) -> None:
        await asker(update, context, person, await _answers(context, person))
    return again


def _back(asker):
    """⬅ to this question; while changing one answer, back to the check instead."""
    async def back(update: Update, context: ContextTypes.DEFAULT_TYPE, person: Me) -> None:
        data = await _answers(context, person)
        if data.get("editing") and data.get("token"):
            await back_to_confirm(update, context, person)
        else:
            await asker(update, context, person, data)
    return back


async def _before_item(update, context, person: Me, data: dict) -> None:
    goals = await services(context).db.run(targets, data["campaign_id"])
    await (ask_target if goals else ask_what)(update, context, person, data)


async def _before_value(update, context, person: Me, data: dict) -> None:
    await (ask_quantity if data.get("target_id") else ask_item)(update, context, person, data)


async def _before_public(update, context, person: Me, data: dict) -> None:
    await ASK_AMOUNT.get(data.get("kind"), ask_what)(update, context, person, data)


BACK = {
    (FLOW, "name"): _back(ask_who),
    (FLOW, "what"): _back(ask_name),
    (FLOW, "amount"): _back(ask_what),
    (FLOW, "salary"): _back(ask_what),
    (FLOW, "target"): _back(ask_what),
    (FLOW, "item"): _back(_before_item),
    (FLOW, "quantity"): _back(ask_target),
    (FLOW, "value"): _back(_before_value),
    (FLOW, "public"): _back(_before_public),
}


ASKERS = {"who": ask_who, "name": ask_name, "what": ask_what, "amount": ask_amount,
          "salary": ask_salary, "target": ask_target, "item": ask_item,
          "quantity": ask_quantity, "value": ask_value, "public": ask_public}


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
    """The Pledge button under a campaign: anyone who has started Loa may press it; like a
    link, it may be pressed long after the campaign closed."""
    query = update.callback_query
    await query.answer()
    person = await me(update, context)
    campaign_id = whole(query.data.removeprefix("pl:new:"))
    if person is not None and campaign_id is not None:
        await begin(update, context, person, campaign_id, linked=True)


async def who_chosen(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    step = await at_step(update, context, "who")
    if step is None or step.value not in PLEDGER_KINDS:
        return
    await save(context, step.person, "name", pledger_kind=step.value)
    await ask_name(update, context, step.person, {**step.data, "pledger_kind": step.value})


async def name_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    step = await at_step(update, context, "name")
    if step is not None and step.data.get("pledger_kind") not in ORGANISATIONS:
        await named(update, context, step.person,
                    " ".join((step.person.user.name or "").split())[:NAME_MAX] or "?")


async def read_name(update: Update, person: Me, text: str) -> str | None:
    """A name to show, spaces tidied; None after saying what fits."""
    name = " ".join(text.split())
    if 0 < len(name) <= NAME_MAX:
        return name
    await reply(update, person._("A name of 1 to {n} characters, please, for example "
                                 "“Nguyễn Văn An” or “Công ty TNHH Minh Phát”.", n=NAME_MAX))
    return None


async def name_typed(update, context, person: Me, text: str) -> None:
    name = await read_name(update, person, text)
    if name is not None:
        await named(update, context, person, name)


async def named(update: Update, context: ContextTypes.DEFAULT_TYPE, person: Me,
                name: str) -> None:
    await save(context, person, "what", display_name=name)
    data = await _answers(context, person)
    if data.get("editing"):
        await back_to_confirm(update, context, person)
        return
    await ask_what(update, context, person, data)


async def what_chosen(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    step = await at_step(update, context, "what")
    if step is None or step.value not in kinds_for(step.data.get("pledger_kind")):
        return
    person = step.person
    clear = {"item": None, "quantity": None, "target_id": None, "monthly_salary": None,
             "amount": None, "kind": step.value}
    data = {**step.data, **clear}
    if step.value == PledgeKind.IN_KIND:
        await save(context, person, "target", **clear)
        await ask_target(update, context, person, data)
    else:
        await save(context, person, "amount" if step.value == PledgeKind.MONEY else "salary",
                   **clear)
        await ASK_AMOUNT[step.value](update, context, person, data)


async def target_chosen(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    step = await at_step(update, context, "target")
    if step is None or (target_id := whole(step.value)) is None:
        return
    person = step.person
    goals = {t.id: t for t in await services(context).db.run(targets,
                                                              step.data["campaign_id"])}
    target = goals.get(target_id)
    if target is None:
        await ask_item(update, context, person, step.data)
        return
    await save(context, person, "quantity", target_id=target.id, item=target.name)
    await ask_quantity(update, context, person, {**step.data, "item": target.name})


async def item_typed(update, context, person: Me, text: str) -> None:
    item = " ".join(text.split())
    if not 0 < len(item) <= ITEM_MAX:
        await reply(update, person._("Describe it in 1 to {n} characters, for example "
                                     "“10 bao gạo 25 kg”.", n=ITEM_MAX))
        return
    await save(context, person, "value", item=item, target_id=None, quantity=None)
    await ask_value(update, context, person, {})


async def quantity_typed(update, context, person: Me, text: str) -> None:
    count = await read_count(update, person, text)
    if count is not None:
        await save(context, person, "value", quantity=count)
        await ask_value(update, context, person, {})


#: Typed for the value of goods: "I do not know" (the value is then left out, 0).
UNKNOWN_VALUE = frozenset({"khong ro", "khong biet", "chua biet", "chua ro", "khong",
                           "bo qua", "skip", "unknown", "dont know", "don't know",
                           "i don't know", "i do not know", "not sure", "?"})


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", " ".join(text.split()).casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).replace(
        "đ", "d").rstrip(".!")


async def value_typed(update, context, person: Me, text: str) -> None:
    if fold(text) in UNKNOWN_VALUE:
        await amount_settled(update, context, person, 0, await _answers(context, person))
        return
    await amount_typed(update, context, person, text)


async def value_skipped(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    step = await at_step(update, context, "value")
    if step is not None:
        await amount_settled(update, context, step.person, 0, step.data)


async def amount_typed(update, context, person: Me, text: str) -> None:
    amount = await read_amount(update, person, text, services(context).config.max_amount,
                               context)
    if amount is not None:
        await amount_settled(update, context, person, amount, await _answers(context, person))


async def amount_settled(update, context, person: Me, amount: int, data: dict) -> None:
    await save(context, person, "public", amount=amount)
    if data.get("editing"):
        await back_to_confirm(update, context, person)
    else:
        await ask_public(update, context, person)


async def salary_typed(update, context, person: Me, text: str) -> None:
    monthly = await read_amount(update, person, text, services(context).config.max_amount,
                                context)
    if monthly is not None:
        await salary_settled(update, context, person, monthly, await _answers(context, person))


async def salary_settled(update, context, person: Me, monthly: int, data: dict) -> None:
    day = day_salary(monthly, services(context).config.working_days)
    if day <= 0:
        await reply(update, person._("That salary is too small to give one day of it."))
        return
    await save(context, person, "salary", monthly_salary=monthly)
    await amount_settled(update, context, person, day, data)


async def public_chosen(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    step = await at_step(update, context, "public")
    if step is None or step.value not in ("0", "1"):
        return
    await save(context, step.person, "confirm", public=step.value == "1",
               token=step.data.get("token") or secrets.token_hex(8))
    await confirm_screen(update, context, step.person)


async def back_to_confirm(update, context, person: Me) -> None:
    await save(context, person, "confirm", editing=None)
    await confirm_screen(update, context, person, edit=False)


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
        if not draft.amount:
            return _("{what} (value not given)", what=what)
        return _("{what}, worth about {amount}", what=what, amount=_.money(draft.amount))
    return _.money(draft.amount)


def honour_text(_: Translator, public: bool) -> str:
    return _("your name is shown") if public else _("anonymous")


def _confirmation(session: Session, user_id: int) -> tuple[PledgeDraft, str, str] | None:
    dialog = get_dialog(session, user_id, FLOW)
    if dialog is None or dialog.step != "confirm":
        return None
    draft = PledgeDraft.from_answers(dialog.data)
    return draft, session.get(Campaign, draft.campaign_id).name, dialog.data["token"]


async def confirm_screen(update: Update, context: ContextTypes.DEFAULT_TYPE, person: Me,
                         edit: bool = True) -> None:
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
             _("Honour roll: {value}", value=honour_text(_, draft.public))]
    await reply(update, "\n".join(lines), buttons([[
        (_("✅ Confirm"), f"pl:ok:{token}"), (_("✏ Edit"), "pl:edit:"),
        (_("✖ Cancel"), "pl:cancel:")]]), edit=edit)


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


def fund_line(_: Translator, config: Config) -> str:
    """"Account 1031933430 at Vietcombank (QUY VI NGUOI NGHEO)"."""
    fund = config.fund
    return _("Account {account} at {bank} ({holder})", account=fund.account,
             bank=escape(vietqr.bank_name(fund) or fund.bank_bin),
             holder=escape(fund.account_name or "—"))


async def send_qr(update: Update, context: ContextTypes.DEFAULT_TYPE, person: Me,
                  pledge: Pledge) -> bool:
    """The VietQR code to pay a money or salary pledge; False when there is none to send."""
    _ = person._
    config = services(context).config
    if not config.fund or pledge.kind == PledgeKind.IN_KIND or pledge.amount <= 0:
        return False
    caption = _("Pay {amount} by bank transfer: scan this code in any Vietnamese banking app. "
                "{account}; transfer note: {reference}.", amount=_.money(pledge.amount),
                account=fund_line(_, config), reference=pledge.reference)
    await update.effective_chat.send_photo(
        vietqr.png(config.fund, pledge.amount, pledge.reference), caption=caption)
    return True


async def send_receipt(update: Update, context: ContextTypes.DEFAULT_TYPE, person: Me,
                       pledge: Pledge, campaign: Campaign) -> None:
    _ = person._
    config = services(context).config
    text = _("🙏 Thank you, {name}! Your pledge <b>{reference}</b> to {campaign} is "
             "registered: {what}.", name=escape(pledge.display_name or _("friend")),
             reference=pledge.reference, campaign=escape(campaign.name),
             what=describe(_, pledge, config.working_days))
    if pledge.kind == PledgeKind.IN_KIND:
        text += "\n" + (_("📦 Where to bring it: {place}", place=escape(campaign.handover))
                        if campaign.handover else
                        _("📦 An officer will contact you about when and where to hand it "
                          "over."))
    text += "\n" + _("/mypledges shows your pledges; you can change this one until it is "
                     "received.")
    await reply(update, text)
    await send_qr(update, context, person, pledge)
    if pledge.kind == PledgeKind.IN_KIND and not person.user.phone:
        await services(context).db.run(save_dialog, person.id, PHONE, "offer")
        keyboard = ReplyKeyboardMarkup(
            [[KeyboardButton(_("📱 Share my phone number"), request_contact=True)],
             [KeyboardButton(_("Skip"))]], resize_keyboard=True, one_time_keyboard=True)
        await reply(update, _("Share your phone number so an officer can call you about "
                              "handing over the goods? This is optional."), keyboard,
                    edit=False)


EDIT_FIELDS = ("amount", "name", "public")


async def edit_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """✏ on the confirmation: a menu to change one answer, each showing its current value."""
    step = await at_step(update, context, "confirm", "similar")
    if step is None:
        return
    _ = step.person._
    draft = PledgeDraft.from_answers(step.data)
    await save(context, step.person, "confirm")
    await reply(update, _("What do you want to change?"), buttons([
        [(pages.button_text(_("Amount: {value}", value=describe(
            _, draft, services(context).config.working_days))), "pl:ed:amount")],
        [(pages.button_text(_("Name shown: {value}", value=draft.display_name)), "pl:ed:name")],
        [(_("Honour roll: {value}", value=honour_text(_, draft.public)), "pl:ed:public")],
        [(_("⬅ Back"), "pl:ed:back")]]))


async def edit_field_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    step = await at_step(update, context, "confirm")
    if step is None:
        return
    person, data = step.person, step.data
    if step.value == "name":
        await save(context, person, "name", editing=True)
        await ask_name(update, context, person, data)
    elif step.value == "amount":
        kind = data.get("kind")
        await save(context, person, {PledgeKind.MONEY: "amount", PledgeKind.SALARY: "salary"}
                   .get(kind, "value"), editing=True)
        await ASK_AMOUNT.get(kind, ask_value)(update, context, person, data)
    elif step.value == "public":
        await save(context, person, "confirm", public=not data.get("public"))
        await confirm_screen(update, context, person)
    else:
        await confirm_screen(update, context, person)


async def cancel_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """✖ on the confirmation asks first; pl:cx: drops the pledge, pl:cb: goes back to it."""
    step = await at_step(update, context, "confirm", "similar")
    if step is None:
        return
    _ = step.person._
    action = update.callback_query.data
    if action.startswith("pl:cancel:"):
        await reply(update, _("Cancel this pledge? Nothing will be saved."), buttons([[
            (_("Yes, cancel it"), "pl:cx:"), (_("No, go back"), "pl:cb:")]]))
    elif action.startswith("pl:cx:"):
        await services(context).db.run(end_dialog, step.person.id)
        await reply(update, _("Cancelled: nothing was saved."))
    else:
        await save(context, step.person, "confirm")
        await confirm_screen(update, context, step.person)


async def skipped_phone(update: Update, person: Me, text: str) -> bool:
    """At a step that asks for the phone (here, and in onboarding): whether the person typed
    Skip; anything else (a sticker too) hears how to share the number."""
    if text.strip().casefold() == person._("Skip").casefold():
        return True
    await reply(update, person._("Press “📱 Share my phone number” below to share your number, "
                                 "or “Skip” to go on without it."))
    return False


@takes_media  # as onboarding's phone step: a sticker hears how to share the number
async def phone_offer_typed(update, context, person: Me, text: str) -> None:
    """Text while the phone is offered: Skip ends the offer; anything else says how."""
    if await skipped_phone(update, person, text):
        await services(context).db.run(end_dialog, person.id)
        await reply(update, person._("Alright. /mypledges shows your pledges."),
                    main_menu(person.actor.role, person._))


AGAIN = {**{(FLOW, step): _again(asker) for step, asker in ASKERS.items()},
         (FLOW, "confirm"): back_to_confirm, (FLOW, "similar"): back_to_confirm}

TEXT_STEPS = {
    (PHONE, "offer"): phone_offer_typed,
    (FLOW, "name"): name_typed,
    (FLOW, "amount"): amount_typed,
    (FLOW, "salary"): salary_typed,
    (FLOW, "item"): item_typed,
    (FLOW, "quantity"): quantity_typed,
    (FLOW, "value"): value_typed,
}

#: Where "Did you mean 500.000 ₫?" goes on once answered.
AMOUNT_STEPS = {
    (FLOW, "amount"): amount_settled,
    (FLOW, "value"): amount_settled,
    (FLOW, "salary"): salary_settled,
}


def handlers() -> list:
    return [
        CommandHandler("pledge", pledge_command),
        CallbackQueryHandler(new_pressed, pattern=r"^pl:new:"),
        CallbackQueryHandler(campaign_chosen, pattern=r"^pl:c:"),
        CallbackQueryHandler(campaign_page_pressed, pattern=r"^pl:cp:"),
        CallbackQueryHandler(who_chosen, pattern=r"^pl:who:"),
        CallbackQueryHandler(name_pressed, pattern=r"^pl:name:"),
        CallbackQueryHandler(what_chosen, pattern=r"^pl:what:"),
        CallbackQueryHandler(target_chosen, pattern=r"^pl:tgt:"),
        CallbackQueryHandler(value_skipped, pattern=r"^pl:val:skip$"),
        CallbackQueryHandler(public_chosen, pattern=r"^pl:pub:"),
        CallbackQueryHandler(confirm_pressed, pattern=r"^pl:(ok|again):"),
        CallbackQueryHandler(edit_pressed, pattern=r"^pl:edit:"),
        CallbackQueryHandler(edit_field_pressed, pattern=r"^pl:ed:"),
        CallbackQueryHandler(cancel_pressed, pattern=r"^pl:(cancel|cx|cb):"),
    ]
