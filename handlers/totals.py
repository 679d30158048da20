"""Public figures (công khai): /totals per area and per kind of pledger, /honour the roll of
those who agreed to be named. Anonymous pledges count in the totals and never show a name.
Under /totals, 📊 sends the same figures as charts."""

from __future__ import annotations

import asyncio

from sqlmodel import Session
from telegram import InlineKeyboardButton, Update
from telegram.constants import ParseMode
from telegram.ext import CallbackQueryHandler, CommandHandler, ContextTypes

from bot import charts, pages
from bot.context import Me, escape, me, reply, services
from bot.i18n import Translator
from bot.weblinks import page_button
from handlers.pledges import describe
from models.areas import get_area
from models.campaigns import Campaign, public_campaigns
from models.figures import Sums, honour_roll, totals
from models.numbers import whole
from models.pledges import PLEDGER_KINDS, Pledge, PledgeKind, PledgerKind, PledgeStatus
from models.series import CampaignSeries, campaign_series
from models.users import get_user

REPORTS = {"tot": "totals", "hon": "honour"}


def _campaigns(session: Session, user_id: int) -> list[Campaign]:
    user = get_user(session, user_id)
    return public_campaigns(session, get_area(session, user.area_id), limit=None)


async def choose(update: Update, context: ContextTypes.DEFAULT_TYPE, report: str,
                 page: int = 0) -> None:
    person = await me(update, context)
    if person is None:
        return
    found = await services(context).db.run(_campaigns, person.id)
    if not found:
        await reply(update, person._("There is no campaign yet."))
    elif len(found) == 1:
        await show(update, context, person, report, found[0].id)
    else:
        await pages.show(update, person._("Which campaign?"), pages.choices(
            [(c.name, f"{report}:{c.id}") for c in found], page,
            lambda n: f"{report}:p:{n}"))


async def totals_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await choose(update, context, "tot")


async def honour_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await choose(update, context, "hon")


async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """tot:<campaign>[:<page>] shows (a page of) a report; tot:p:<page> a page of the
    chooser."""
    query = update.callback_query
    await query.answer()
    report, *parts = query.data.split(":")
    if parts[0] == "p":
        await choose(update, context, report, whole(parts[1]) or 0 if len(parts) > 1 else 0)
        return
    person = await me(update, context)
    if person is None:
        return
    campaign_id = whole(parts[0])
    page = whole(parts[1]) if len(parts) > 1 else 0
    if campaign_id is None or page is None:
        await reply(update, person._("This button is not valid."))
        return
    await show(update, context, person, report, campaign_id, page)


def _report(session: Session, report: str, campaign_id: int, honour_registered: bool):
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        return None
    data = totals(session, campaign_id) if report == "tot" else \
        honour_roll(session, campaign_id, honour_registered, limit=None)
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
               campaign_id: int, page: int = 0) -> None:
    """The report, paged: each page within Telegram's limit, ◀ n/N ▶ to walk them."""
    _ = person._
    svc = services(context)
    found = await svc.db.run(_report, report, campaign_id, svc.config.honour_registered)
    if found is None:
        await reply(update, _("This campaign does not exist."))
        return
    campaign, data = found
    head = [f"<b>{escape(campaign.name)}</b>"]
    lines: list[str] = []
    if report == "tot":
        head.append(_("<b>Overall</b>: {sums}", sums=sums_line(person, data.overall)))
        if not data.overall.pledges:  # nothing to break down: no empty sections
            head.append(_("No pledges yet. /pledge to be the first."))
    if report == "tot" and data.overall.pledges:
        lines += ["", _("<b>By area</b>")]
        base = data.by_area[0][0].depth if data.by_area else 0
        lines += ["  " * (area.depth - base) + f"• {escape(area.name)}: {sums_line(person, s)}"
                  for area, s in data.by_area]
        lines += ["", _("<b>By pledger</b>")]
        lines += [f"• {_(PLEDGER_KINDS[PledgerKind(kind)])}: {sums_line(person, s)}"
                  for kind, s in sorted(data.by_kind.items())]
    elif report != "tot":
        head.append(_("<b>Honour roll</b>: thank you to everyone who gave."))
        lines += [f"{i}. {honour_line(_, p, svc.config.working_days)}"
                  for i, p in enumerate(data, 1)]
        if not data:
            lines.append(_("Nobody on the roll yet: pledges appear here once they are "
                           "received."))
    header = "\n".join(head)
    split = pages.paginate(lines, header)
    page = pages.clamp(page, len(split))
    chart = [[InlineKeyboardButton(_("📊 Chart"), callback_data=f"ch:{campaign_id}")]] \
        if report == "tot" and data.overall.pledges else []
    public_page = page_button(_, svc.config, campaign.ref_prefix) if report == "tot" else []
    if public_page:
        chart.append(public_page)
    await pages.show(update, pages.page_text(lines, split[page], header), pages.markup(
        chart, pages.nav_row(page, len(split), lambda n: f"{report}:{campaign_id}:{n}")))


def _bars(_: Translator, series: CampaignSeries) -> list[charts.MoneyBar]:
    """One bar per area below the campaign's; its own area's pledges are "(directly)"."""
    root, alone = series.campaign.area_id, len(series.by_area) == 1
    return [charts.MoneyBar(_("{area} (directly)", area=bar.area.name)
                            if bar.area.id == root and not alone else bar.area.name,
                            bar.sums.pledged, bar.sums.received) for bar in series.by_area]


async def chart_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """ch:<campaign> sends the money received day by day and the first page of areas;
    ch:<campaign>:<page>, ◀ n/N ▶ under the areas' chart, another page of areas. Every campaign
    is public, so anyone may ask; a campaign that does not exist (an old or forged button) is
    said so."""
    query = update.callback_query
    await query.answer()
    person = await me(update, context)
    if person is None:
        return
    _ = person._
    _prefix, raw_id, *paged = query.data.split(":")
    series = await services(context).db.run(campaign_series, int(raw_id))
    if series is None:
        await reply(update, _("This campaign does not exist."), edit=False)
        return
    campaign, chat = series.campaign, update.effective_chat
    bars = _bars(_, series)
    count = charts.page_count(len(bars))
    page = pages.clamp(int(paged[0]) if paged else 0, count)
    overall = charts.MoneyBar("", series.overall.pledged, series.overall.received)
    name = escape(campaign.name)
    if not paged:
        png = await asyncio.to_thread(charts.daily_chart, _, campaign.name, series.by_day,
                                      campaign.money_target)
        await chat.send_photo(png, caption=_("📈 {campaign}: money received day by day, "
                                             "against the target.", campaign=name),
                              parse_mode=ParseMode.HTML)
    png = await asyncio.to_thread(charts.areas_chart, _, campaign.name, bars, overall,
                                  campaign.money_target, page)
    await chat.send_photo(png, caption=_("📊 {campaign}: pledged and received by area.",
                                         campaign=name), parse_mode=ParseMode.HTML,
                          reply_markup=pages.markup([], pages.nav_row(
                              page, count, lambda n: f"ch:{campaign.id}:{n}")))


def handlers() -> list:
    return [
        CommandHandler("totals", totals_command),
        CommandHandler("honour", honour_command),
        CommandHandler("honor", honour_command),
        CallbackQueryHandler(pressed, pattern=r"^(tot|hon):(\d+|p)(:\d+)?$"),
        CallbackQueryHandler(chart_pressed, pattern=r"^ch:\d{1,9}(:\d{1,4})?$"),
    ]
