"""Public figures (công khai): /totals per area and per kind of pledger, /honour the roll of
those who agreed to be named. Anonymous pledges count in the totals and never show a name."""

from __future__ import annotations

from sqlmodel import Session
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler, ContextTypes

from bot.context import Me, escape, me, reply, services
from handlers.pledges import PLEDGER_KINDS, describe
from models.areas import get_area
from models.campaigns import Campaign, public_campaigns
from models.pledges import PledgerKind, Sums, honour_roll, totals
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
    if person is not None and raw.isdigit():
        await show(update, context, person, report, int(raw))


def _report(session: Session, report: str, campaign_id: int):
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        return None
    data = totals(session, campaign_id) if report == "tot" else honour_roll(session, campaign_id)
    return campaign, data


def sums_line(person: Me, sums: Sums) -> str:
    _ = person._
    return _("pledged {pledged}, received {received} ({n})", pledged=_.money(sums.pledged),
             received=_.money(sums.received),
             n=_.ngettext("{n} pledge", "{n} pledges", sums.pledges))


async def show(update: Update, context: ContextTypes.DEFAULT_TYPE, person: Me, report: str,
               campaign_id: int) -> None:
    _ = person._
    found = await services(context).db.run(_report, report, campaign_id)
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
        working_days = services(context).config.working_days
        lines += [f"{i}. {escape(p.display_name)} — {describe(_, p, working_days)}"
                  for i, p in enumerate(data, 1)]
        if not data:
            lines.append(_("Nobody on the roll yet."))
    await reply(update, "\n".join(lines))


def handlers() -> list:
    return [
        CommandHandler("totals", totals_command),
        CommandHandler("honour", honour_command),
        CommandHandler("honor", honour_command),
        CallbackQueryHandler(pressed, pattern=r"^(tot|hon):\d+$"),
    ]
