"""/pledges: the officers' desk. Every pledge of their area, filtered and paged; a pledge is
marked received (the amount that came in, which may differ, and the date) or rejected with a
reason, and the pledger is told through the outbox, in their own language."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session
from telegram import InlineKeyboardButton, Update
from telegram.ext import CallbackQueryHandler, CommandHandler, ContextTypes

from bot import pages
from bot.config import Config
from bot.context import Me, escape, local_today, officer, presser, reply, services, translator
from bot.i18n import N_
from handlers.inputs import read_amount, read_past_date
from handlers.pledges import PLEDGE_KINDS, STATUS_NAMES, describe
from models.base import utcnow
from models.campaigns import Campaign, campaigns_run_by
from models.dialogs import end_dialog, get_dialog, save_dialog
from models.outbox import enqueue
from models.pledges import (
    Pledge,
    PledgeChange,
    PledgeFilter,
    PledgeKind,
    PledgeStatus,
    approve_pledge,
    history,
    mark_received,
    officer_pledge,
    officer_pledges,
    reject_pledge,
)
from models.users import AccessDenied, Actor, Role, get_user

FLOW = "desk"
PAGE = 8
STATUSES = {"a": None, "r": PledgeStatus.REGISTERED, "v": PledgeStatus.RECEIVED,
            "x": PledgeStatus.REJECTED, "c": PledgeStatus.CANCELLED}
KINDS = {"a": None, "m": PledgeKind.MONEY, "i": PledgeKind.IN_KIND, "s": PledgeKind.SALARY}
ACTIONS = {"created": N_("registered"), "edited": N_("edited"), "cancelled": N_("cancelled"),
           "received": N_("marked received"), "rejected": N_("rejected"),
           "approved": N_("approved for public figures")}


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
    for i, p in enumerate(rows, 1):
        lines.append(f"{i}. <b>{p.reference}</b> · {escape(p.display_name or _('anonymous'))}"
                     f" · {describe(_, p, svc.config.working_days)}"
                     f" · {_(STATUS_NAMES[PledgeStatus(p.status)])}"
                     + (" · ⏳" if p.held else ""))
    if not rows:
        lines.append(_("No pledge matches."))
    keys = [[InlineKeyboardButton(str(i), callback_data=f"pd:o:{p.id}")
             for i, p in enumerate(rows, 1)]]

    def chip(text: str, data: str, on: bool) -> InlineKeyboardButton:
        return InlineKeyboardButton(("• " if on else "") + text, callback_data=data)

    status_names = {"a": N_("All"), **{k: STATUS_NAMES[v] for k, v in STATUSES.items() if v}}
    keys.append([chip(_(name), _data(campaign_id, code, kind, 0), code == status)
                 for code, name in status_names.items()])
    kind_names = {"a": N_("All"), **{k: PLEDGE_KINDS[v] for k, v in KINDS.items() if v}}
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


def _detail(session: Session, actor: Actor, pledge_id: int):
    pledge, campaign = officer_pledge(session, actor, pledge_id)
    user = get_user(session, pledge.user_id) if pledge.user_id else None
    return pledge, campaign, history(session, pledge_id), user.phone if user else None


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
    raw, _sep, page = raw.partition(":")
    try:
        pledge, campaign, changes, phone = await svc.db.run(_detail, person.actor, int(raw))
        page_no = max(0, int(page or 0))
    except (AccessDenied, LookupError, ValueError):
        await query.answer(_("This pledge is outside your area."), show_alert=True)
        return
    await query.answer()
    if action == "o":
        await show_pledge(update, context, person, pledge, campaign, changes, phone, page_no)
    elif action == "a":
        await receive(update, context, person, pledge.id, pledge.amount,
                      local_today(svc.config))
    elif action == "r":
        await svc.db.run(save_dialog, person.id, FLOW, "received", pledge_id=pledge.id)
        await reply(update, _("Type the amount received and the date, for example "
                              "“{amount} {date}”.", amount=_.number(pledge.amount),
                              date=local_today(svc.config).strftime("%d/%m/%Y")), edit=False)
    elif action == "v":
        try:
            pledge = await svc.db.run(approve_pledge, person.actor, pledge.id, utcnow())
        except AccessDenied:
            await reply(update, _("This pledge is no longer waiting for approval."))
            return
        await show_pledge(update, context, person, pledge, campaign,
                          await svc.db.run(history, pledge.id), phone)
    elif action == "j":
        await svc.db.run(save_dialog, person.id, FLOW, "reject", pledge_id=pledge.id)
        await reply(update, _("Why is pledge {reference} rejected? The pledger will read "
                              "this.", reference=pledge.reference), edit=False)


async def show_pledge(update: Update, context: ContextTypes.DEFAULT_TYPE, person: Me,
                      pledge: Pledge, campaign: Campaign, changes: list[PledgeChange],
                      phone: str | None, page: int = 0) -> None:
    """A pledge and its history (paged when long: ◀ n/N ▶ keeps the buttons)."""
    _ = person._
    working_days = services(context).config.working_days
    lines = [f"<b>{pledge.reference}</b> · {escape(campaign.name)}",
             _("From: {name}", name=escape(pledge.display_name or _("anonymous"))),
             _("Pledge: {value}", value=describe(_, pledge, working_days)),
             _("Status: {status}", status=_(STATUS_NAMES[PledgeStatus(pledge.status)]))]
    if phone:
        lines.append(_("Phone: {phone}", phone=escape(phone)))
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
    await pages.show(update, pages.page_text(story, split[page], header), pages.markup(
        keys, pages.nav_row(page, len(split), lambda n: f"pd:o:{pledge.id}:{n}")))


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
    svc = services(context)
    dialog = await svc.db.run(get_dialog, person.id, FLOW)
    words = text.split()
    on = local_today(svc.config)
    if len(words) > 1 and "/" in words[-1]:
        on = await read_past_date(update, person, words[-1], on)
        if on is None:
            return
        words = words[:-1]
    amount = await read_amount(update, person, " ".join(words), svc.config.max_amount)
    if amount is not None:
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


def handlers() -> list:
    return [
        CommandHandler("pledges", pledges_command),
        CallbackQueryHandler(list_pressed, pattern=r"^pd:l:"),
        CallbackQueryHandler(open_pressed, pattern=r"^pd:[oarjv]:"),
    ]
