"""Public figures (công khai): /totals per area and per kind of pledger, /honour the roll of
those who agreed to be named. Anonymous pledges count in the totals and never show a name."""

from __future__ import annotations

from sqlmodel import Session
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler, ContextTypes

from bot.context import Me, escape, me, reply, services
from bot.i18n import Translator
from handlers.pledges import PLEDGER_KINDS, describe
from models.areas import get_area
from models.campaigns import Campaign, public_campaigns
from models.numbers import whole
from models.pledges import (
    Pledge,
    PledgeKind,
    PledgerKind,
    PledgeStatus,
    Sums,
    honour_roll,
    totals,
)
from models.users import get_user

REPORTS = {"tot": "totals", "hon": "honour"}


def _campaigns(session: Session, user_id: int) -> list[Campaign]:
    user = get_user(session, user_id)
    return public_campaigns(session, get_area(session, user.area_id))


async def choose(update: Update, context: ContextTypes.DEFAULT_TYPE, report: str) -> None:
    person = await me(update, context)
    if person is None:
        return
    found = await services(context).db.run(_campaigns, person.id)
    if not found:
        await reply(update, person._("There is no campaign yet."))
    elif len(found) == 1:
        await show(update, context, person, report, found[0].id)
    else:
        rows = [[InlineKeyboardButton(c.name, callback_data=f"{report}:{c.id}")] for c in found]
        await reply(update, person._("Which campaign?"), InlineKeyboardMarkup(rows))


async def totals_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await choose(update, context, "tot")


async def honour_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await choose(update, context, "hon")


async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    await query.answer()
    person = await me(update, context)
    report, _sep, raw = query.data.partition(":")
    if person is None:
        return
    campaign_id = whole(raw)
    if campaign_id is None:
        await reply(update, person._("This button is not valid."))
        return
    await show(update, context, person, report, campaign_id)


def _report(session: Session, report: str, campaign_id: int, honour_registered: bool):
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        return None
    data = totals(session, campaign_id) if report == "tot" else \
        honour_roll(session, campaign_id, honour_registered)
    return campaign, data


def honour_line(_: Translator, pledge: Pledge, working_days: int) -> str:
    """Who, and what they gave; what was pledged and what was received are never merged."""
    line = f"{escape(pledge.display_name)} — {describe(_, pledge, working_days, public=True)}"
    if pledge.status != PledgeStatus.RECEIVED:
        return line + " · " + _("registered, not yet received")
    if pledge.received_amount != pledge.amount and pledge.kind != PledgeKind.IN_KIND:
        return line + " · " + _("received {amount}", amount=_.money(pledge.received_amount))
    return line


def sums_line(person: Me, sums: Sums) -> str:
    _ = person._
    return _("pledged {pledged}, received {received} ({n})", pledged=_.money(sums.pledged),
             received=_.money(sums.received),
             n=_.ngettext("{n} pledge", "{n} pledges", sums.pledges))


async def show(update: Update, context: ContextTypes.DEFAULT_TYPE, person: Me, report: str,
               campaign_id: int) -> None:
    _ = person._
    svc = services(context)
    found = await svc.db.run(_report, report, campaign_id, svc.config.honour_registered)
    if found is None:
        await reply(update, _("This campaign does not exist."))
        return
    campaign, data = found
    lines = [f"<b>{escape(campaign.name)}</b>"]
    if report == "tot":
        lines += [_("<b>Overall</b>: {sums}", sums=sums_line(person, data.overall)), "",
                  _("<b>By area</b>")]
        base = data.by_area[0][0].depth if data.by_area else 0
        lines += ["  " * (area.depth - base) + f"• {escape(area.name)}: {sums_line(person, s)}"
                  for area, s in data.by_area]
        lines += ["", _("<b>By pledger</b>")]
        lines += [f"• {_(PLEDGER_KINDS[PledgerKind(kind)])}: {sums_line(person, s)}"
                  for kind, s in sorted(data.by_kind.items())]
    else:
        lines.append(_("<b>Honour roll</b>: thank you to everyone who gave."))
        lines += [f"{i}. {honour_line(_, p, svc.config.working_days)}"
                  for i, p in enumerate(data, 1)]
        if not data:
            lines.append(_("Nobody on the roll yet: pledges appear here once they are "
                           "received."))
    await reply(update, "\n".join(lines))


def handlers() -> list:
    return [
        CommandHandler("totals", totals_command),
        CommandHandler("honour", honour_command),
        CommandHandler("honor", honour_command),
        CallbackQueryHandler(pressed, pattern=r"^(tot|hon):\d+$"),
    ]
