"""/pledges: the officers' desk. Every pledge of their area, filtered and paged; a pledge is
marked received (the amount that came in, which may differ, and the date) or rejected with a
reason, and the pledger is told through the outbox, in their own language."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from sqlmodel import Session
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler, ContextTypes

from bot import pages
from bot.config import Config
from bot.context import Me, escape, local_today, officer, presser, reply, services, translator
from bot.i18n import N_, Translator
from handlers.inputs import read_amount
from handlers.pledges import PLEDGE_KINDS, describe
from handlers.router import EXPIRED, nav_row
from models.amounts import amount_then_other
from models.areas import SHORT, get_area, label
from models.base import utcnow
from models.campaigns import Campaign, campaigns_run_by
from models.dates import Lean, split_trailing_day
from models.dialogs import end_dialog, get_dialog, save_dialog
from models.outbox import enqueue
from models.pledges import (
    PLEDGER_KINDS,
    STATUS_NAMES,
    Pledge,
    PledgeChange,
    PledgeFilter,
    PledgeKind,
    PledgerKind,
    PledgeStatus,
    approve_pledge,
    history,
    mark_received,
    officer_pledge,
    officer_pledges,
    reject_pledge,
)
from models.reconcile import is_bank_gift
from models.users import AccessDenied, Actor, Role, get_user

FLOW = "desk"
PAGE = 8
STATUSES = {"a": None, "r": PledgeStatus.REGISTERED, "v": PledgeStatus.RECEIVED,
            "x": PledgeStatus.REJECTED, "c": PledgeStatus.CANCELLED}
KINDS = {"a": None, "m": PledgeKind.MONEY, "i": PledgeKind.IN_KIND, "s": PledgeKind.SALARY}
ACTIONS = {"created": N_("registered"), "edited": N_("edited"), "cancelled": N_("cancelled"),
           "received": N_("marked received"), "rejected": N_("rejected"),
           "approved": N_("approved for public figures")}
LIST_STATE = re.compile(r"\d+:[a-z]:[a-z]:\d+")  # where ⬅ on a pledge goes: the list it was in
DEFAULT_LIST = "0:a:a:0"


def _page(session: Session, actor: Actor, flt: PledgeFilter, page: int):
    rows, total = officer_pledges(session, actor, flt, page * PAGE, PAGE)
    campaigns = campaigns_run_by(session, actor)
    return rows, total, campaigns


def _data(campaign: int, status: str, kind: str, page: int) -> str:
    return f"pd:l:{campaign}:{status}:{kind}:{page}"


async def pledges_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    person = await officer(update, context, N_("Only officers can see the pledges of an area."))
    if person is None:
        return
    await show_list(update, context, person, 0, "a", "a", 0)


async def show_list(update: Update, context: ContextTypes.DEFAULT_TYPE, person: Me,
                    campaign_id: int, status: str, kind: str, page: int) -> None:
    _ = person._
    svc = services(context)
    flt = PledgeFilter(campaign_id or None, STATUSES[status], KINDS[kind])
    rows, total, campaigns = await svc.db.run(_page, person.actor, flt, page)
    if not rows and page > 0:  # a page beyond the end (fewer pledges now): the last one
        page = pages.page_count(total, PAGE) - 1
        rows, total, campaigns = await svc.db.run(_page, person.actor, flt, page)
    names = {c.id: c.name for c in campaigns}
    lines = [_("<b>Pledges</b> ({n} found)", n=_.number(total))]
    if campaign_id:
        lines.append(_("Campaign: {value}", value=escape(names.get(campaign_id, "?"))))
    here = f"{campaign_id}:{status}:{kind}:{page}"
    for i, p in enumerate(rows, 1):
        lines.append(f"{i}. <b>{p.reference}</b> · {escape(pledger_name(_, p))}"
                     f" · {describe(_, p, svc.config.working_days)}"
                     f" · {_(STATUS_NAMES[PledgeStatus(p.status)])}"
                     + received_note(_, p) + (" · ⏳" if p.held else ""))
    if not rows:
        lines.append(_("No pledge matches."))
    keys = [[InlineKeyboardButton(pages.button_text(
        f"{p.reference} · {pledger_name(_, p)} · {_.money(p.amount)}"),
        callback_data=f"pd:o:{p.id}:0:{here}")] for p in rows]

    def chip(text: str, data: str, on: bool) -> InlineKeyboardButton:
        return InlineKeyboardButton(("• " if on else "") + text, callback_data=data)

    status_names = {"a": N_("All statuses"),
                    **{k: STATUS_NAMES[v] for k, v in STATUSES.items() if v}}
    keys.append([chip(_(name), _data(campaign_id, code, kind, 0), code == status)
                 for code, name in status_names.items()])
    kind_names = {"a": N_("All kinds"), **{k: PLEDGE_KINDS[v] for k, v in KINDS.items() if v}}
    keys.append([chip(_(name), _data(campaign_id, status, code, 0), code == kind)
                 for code, name in kind_names.items()])
    if len(campaigns) > 1:
        ids = [0, *names]
        following = ids[(ids.index(campaign_id) + 1) % len(ids)] if campaign_id in ids else 0
        keys.append([InlineKeyboardButton(_("Next campaign ⟳"),
                                          callback_data=_data(following, status, kind, 0))])
    nav = pages.nav_row(page, pages.page_count(total, PAGE),
                        lambda n: _data(campaign_id, status, kind, n))
    await pages.show(update, pages.fixed_page(lines[1:], lines[0], PAGE + 1),
                     pages.markup(keys, nav))


async def list_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    person = await presser(update, context)
    if person is None:
        return
    try:
        _l, campaign, status, kind, page = query.data.removeprefix("pd:").split(":")
        campaign_id, page_no = int(campaign), max(0, int(page))
        if status not in STATUSES or kind not in KINDS:
            raise ValueError(query.data)
    except ValueError:
        await query.answer(person._("This button is not valid."), show_alert=True)
        return
    if not person.actor.at_least(Role.OFFICER):
        await query.answer(person._("Only officers can see the pledges of an area."),
                           show_alert=True)
        return
    await query.answer()
    await show_list(update, context, person, campaign_id, status, kind, page_no)


def pledger_name(_: Translator, pledge: Pledge) -> str:
    """The name the officer sees: money with no code in the bank statement came from "a
    benefactor through the bank" (a gift recorded by /reconcile), in the reader's language."""
    if is_bank_gift(pledge):
        return _("a benefactor through the bank")
    return pledge.display_name or _("anonymous")


def received_note(_: Translator, pledge: Pledge) -> str:
    """" · received 1.800.000 ₫" where what came in differs from what was pledged."""
    if pledge.received_amount is None or pledge.received_amount == pledge.amount:
        return ""
    return " · " + _("received {amount}", amount=_.money(pledge.received_amount))


@dataclass(frozen=True)
class Pledger:
    """Who stands behind a pledge, for the officer: phone, Telegram name, area."""

    phone: str | None = None
    telegram_name: str | None = None
    area: str | None = None


def _detail(session: Session, actor: Actor, pledge_id: int):
    pledge, campaign = officer_pledge(session, actor, pledge_id)
    user = get_user(session, pledge.user_id) if pledge.user_id else None
    area = get_area(session, pledge.area_id) if pledge.area_id else None
    who = Pledger(user.phone if user else None, user.name if user else None,
                  label(session, area, SHORT) if area else None)
    return pledge, campaign, history(session, pledge_id), who


async def open_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """pd:o:<id> shows a pledge; pd:r / pd:a / pd:j / pd:v start receiving, receive as
    pledged today, reject it, or approve a held one. Every press is checked against the
    officer's scope."""
    query = update.callback_query
    person = await presser(update, context)
    if person is None:
        return
    _ = person._
    svc = services(context)
    action, _sep, raw = query.data.removeprefix("pd:").partition(":")
    raw, _sep, rest = raw.partition(":")
    page, _sep, back = rest.partition(":")
    try:
        pledge, campaign, changes, phone = await svc.db.run(_detail, person.actor, int(raw))
        page_no = max(0, int(page or 0))
        if back and not LIST_STATE.fullmatch(back):
            raise ValueError(back)
    except (AccessDenied, LookupError, ValueError):
        await query.answer(_("This pledge is outside your area."), show_alert=True)
        return
    await query.answer()
    if action == "o":
        await show_pledge(update, context, person, pledge, campaign, changes, phone, page_no,
                          back or DEFAULT_LIST)
    elif action == "a":
        await receive(update, context, person, pledge.id, pledge.amount,
                      local_today(svc.config))
    elif action == "r":
        await ask_received(update, context, person, pledge)
    elif action == "v":
        try:
            pledge = await svc.db.run(approve_pledge, person.actor, pledge.id, utcnow())
        except AccessDenied:
            await reply(update, _("This pledge is no longer waiting for approval."))
            return
        await show_pledge(update, context, person, pledge, campaign,
                          await svc.db.run(history, pledge.id), phone, 0, back)
    elif action == "j":
        await svc.db.run(save_dialog, person.id, FLOW, "reject", pledge_id=pledge.id)
        await reply(update, _("Why is pledge {reference} rejected? The pledger will read "
                              "this.", reference=pledge.reference),
                    InlineKeyboardMarkup([nav_row(_)]), edit=False)


async def ask_received(update: Update, context: ContextTypes.DEFAULT_TYPE, person: Me,
                       pledge: Pledge) -> None:
    _ = person._
    svc = services(context)
    await svc.db.run(save_dialog, person.id, FLOW, "received", pledge_id=pledge.id)
    await reply(update, _("Type the amount received and the date, for example "
                          "“{amount} {date}” or “{short} hôm qua”.",
                          amount=_.number(pledge.amount),
                          date=local_today(svc.config).strftime("%d/%m/%Y"),
                          short=short_amount(pledge.amount)),
                InlineKeyboardMarkup([nav_row(_)]), edit=False)


def short_amount(amount: int) -> str:
    """How people write an amount in a hurry: 1800000 → "1tr8", 500000 → "500k"."""
    if amount >= 1_000_000 and amount % 100_000 == 0:
        millions, rest = divmod(amount // 100_000, 10)
        return f"{millions}tr{rest or ''}"
    if amount % 1000 == 0:
        return f"{amount // 1000}k"
    return str(amount)


async def show_pledge(update: Update, context: ContextTypes.DEFAULT_TYPE, person: Me,
                      pledge: Pledge, campaign: Campaign, changes: list[PledgeChange],
                      who: Pledger, page: int = 0, back: str = "") -> None:
    """A pledge and its history (paged when long: ◀ n/N ▶ keeps the buttons)."""
    _ = person._
    back = back or DEFAULT_LIST
    working_days = services(context).config.working_days
    lines = [f"<b>{pledge.reference}</b> · {escape(campaign.name)}",
             _("From: {name} ({kind})", name=escape(pledger_name(_, pledge)),
               kind=_(PLEDGER_KINDS[PledgerKind(pledge.pledger_kind)]).lower()),
             _("Pledge: {value}", value=describe(_, pledge, working_days)),
             _("Status: {status}", status=_(STATUS_NAMES[PledgeStatus(pledge.status)]))]
    if who.area:
        lines.append(_("Area: {area}", area=escape(who.area)))
    if who.telegram_name:
        lines.append(_("Telegram name: {name}", name=escape(who.telegram_name)))
    if who.phone:
        lines.append(_("Phone: {phone}", phone=escape(who.phone)))
    if pledge.received_amount is not None:
        lines.append(_("Received: {amount} on {date}", amount=_.money(pledge.received_amount),
                       date=_.date(pledge.received_on)))
    if pledge.reject_reason:
        lines.append(_("Reason: {reason}", reason=escape(pledge.reject_reason)))
    if pledge.held:
        lines.append(_("⏳ Above {amount}: kept out of the public figures until an officer "
                       "approves it or it is received.",
                       amount=_.money(services(context).config.review_above)))
    lines.append(_("<b>History</b>"))
    header = "\n".join(lines)
    story = [f"{_.datetime(c.at)} · {_(ACTIONS.get(c.action, c.action))}" for c in changes]
    split = pages.paginate(story, header)
    page = pages.clamp(page, len(split))
    keys = []
    if pledge.status in (PledgeStatus.REGISTERED, PledgeStatus.RECEIVED):
        keys.append([InlineKeyboardButton(_("✅ Received as pledged, today"),
                                          callback_data=f"pd:a:{pledge.id}"),
                     InlineKeyboardButton(_("✏ Received: other amount or date"),
                                          callback_data=f"pd:r:{pledge.id}")])
    if pledge.status == PledgeStatus.REGISTERED and pledge.held:
        keys.append([InlineKeyboardButton(_("👁 Approve for public figures"),
                                          callback_data=f"pd:v:{pledge.id}")])
    if pledge.status == PledgeStatus.REGISTERED:
        keys.append([InlineKeyboardButton(_("✖ Reject"), callback_data=f"pd:j:{pledge.id}")])
    keys.append([InlineKeyboardButton(_("⬅ Back to the list"), callback_data=f"pd:l:{back}")])
    await pages.show(update, pages.page_text(story, split[page], header), pages.markup(
        keys, pages.nav_row(page, len(split), lambda n: f"pd:o:{pledge.id}:{n}:{back}")))


def tell_pledger(session: Session, config: Config, pledge: Pledge, campaign: str,
                 received: bool) -> None:
    """The pledger hears of it, thanked, in their own language, through the outbox: in the
    same transaction as the change, so either both happen or neither."""
    user = get_user(session, pledge.user_id) if pledge.user_id else None
    if user is None:
        return
    _ = translator(config, user.language)
    if received:
        text = _("🙏 {campaign}: your pledge {reference} has been received ({amount} on {date})"
                 ". Thank you for your kindness!", campaign=escape(campaign),
                 reference=pledge.reference, amount=_.money(pledge.received_amount),
                 date=_.date(pledge.received_on))
    else:
        text = _("{campaign}: your pledge {reference} could not be accepted. Reason: {reason}. "
                 "Thank you all the same for your goodwill.", campaign=escape(campaign),
                 reference=pledge.reference, reason=escape(pledge.reject_reason or ""))
    enqueue(session, user.id, text)


def _receive(session: Session, actor: Actor, pledge_id: int, amount: int, on: date,
             config: Config) -> tuple[Pledge, bool]:
    pledge, changed = mark_received(session, actor, pledge_id, amount, on, utcnow())
    if changed:
        tell_pledger(session, config, pledge, session.get(Campaign, pledge.campaign_id).name,
                     True)
    end_dialog(session, actor.id)
    return pledge, changed


async def receive(update: Update, context: ContextTypes.DEFAULT_TYPE, person: Me,
                  pledge_id: int, amount: int, on: date) -> None:
    _ = person._
    svc = services(context)
    try:
        pledge, changed = await svc.db.run(_receive, person.actor, pledge_id, amount, on,
                                           svc.config)
    except AccessDenied:
        await reply(update, _("This pledge can no longer be marked received."))
        return
    if not changed:
        await reply(update, _("{reference} was already marked received: {amount} on {date}.",
                              reference=pledge.reference, amount=_.money(amount),
                              date=_.date(on)), edit=False)
        return
    svc.dispatcher.wake()
    await reply(update, _("{reference} is marked received: {amount} on {date}. The pledger "
                          "has been thanked.", reference=pledge.reference,
                          amount=_.money(amount), date=_.date(on)), edit=False)


async def received_typed(update, context, person: Me, text: str) -> None:
    """"1tr8 hôm qua", "1.800.000 20/11", "1tr8": the amount, and the day (today when none).
    When one part cannot be read, the answer says which."""
    _ = person._
    svc = services(context)
    today = local_today(svc.config)
    rest, on = split_trailing_day(text, today, Lean.PAST)
    if on is None and (found := amount_then_other(text, svc.config.max_amount)):
        amount, other = found  # the amount is fine, what follows it is not a day
        await reply(update, _("I read the amount {amount}, but not the date “{text}”. "
                              "Type it like {full} or {short}, or “hôm qua”.",
                              amount=_.money(amount), text=escape(other[:50]),
                              full=f"{today:%d/%m/%Y}", short=f"{today:%d/%m}"))
        return
    if on is not None and on > today:
        await reply(update, _("{date} is still to come. Type a date up to today, like {today}.",
                              date=_.date(on), today=_.date(today)))
        return
    on = on or today
    amount = await read_amount(update, person, rest, svc.config.max_amount, context,
                               on=on.isoformat())
    if amount is not None:
        await received_settled(update, context, person, amount, {"on": on.isoformat()})


async def received_settled(update, context, person: Me, amount: int, data: dict) -> None:
    svc = services(context)
    dialog = await svc.db.run(get_dialog, person.id, FLOW)
    if dialog is None or "pledge_id" not in dialog.data:
        await reply(update, person._(EXPIRED))
        return
    on = date.fromisoformat(data.get("on") or local_today(svc.config).isoformat())
    await receive(update, context, person, dialog.data["pledge_id"], amount, on)


def _reject(session: Session, actor: Actor, pledge_id: int, reason: str,
            config: Config) -> Pledge:
    pledge = reject_pledge(session, actor, pledge_id, reason, utcnow())
    tell_pledger(session, config, pledge, session.get(Campaign, pledge.campaign_id).name, False)
    end_dialog(session, actor.id)
    return pledge


async def reason_typed(update, context, person: Me, text: str) -> None:
    svc = services(context)
    dialog = await svc.db.run(get_dialog, person.id, FLOW)
    reason = " ".join(text.split())[:500]
    if not reason:
        await reply(update, person._("Please type a reason."))
        return
    try:
        pledge = await svc.db.run(_reject, person.actor, dialog.data["pledge_id"], reason,
                                  svc.config)
    except AccessDenied:
        await reply(update, person._("This pledge can no longer be rejected."))
        return
    svc.dispatcher.wake()
    await reply(update, person._("{reference} is rejected; the pledger has been told.",
                                 reference=pledge.reference))


TEXT_STEPS = {(FLOW, "received"): received_typed, (FLOW, "reject"): reason_typed}
AMOUNT_STEPS = {(FLOW, "received"): received_settled}


async def _back_to_pledge(update: Update, context: ContextTypes.DEFAULT_TYPE,
                          person: Me) -> None:
    """⬅ under "amount received?" or "why rejected?": the pledge again, nothing changed."""
    svc = services(context)
    dialog = await svc.db.run(get_dialog, person.id, FLOW)
    await svc.db.run(end_dialog, person.id)
    try:
        pledge, campaign, changes, who = await svc.db.run(_detail, person.actor,
                                                          dialog.data["pledge_id"])
    except (AccessDenied, LookupError, KeyError):
        await reply(update, person._("This pledge is outside your area."))
        return
    await show_pledge(update, context, person, pledge, campaign, changes, who)


BACK = {(FLOW, "received"): _back_to_pledge, (FLOW, "reject"): _back_to_pledge}


def handlers() -> list:
    return [
        CommandHandler("pledges", pledges_command),
        CallbackQueryHandler(list_pressed, pattern=r"^pd:l:"),
        CallbackQueryHandler(open_pressed, pattern=r"^pd:[oarjv]:"),
    ]
