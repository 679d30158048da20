"""The commands each role may use: /help, and Telegram's command menu per language and role."""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass

from telegram import Bot, BotCommand, BotCommandScopeChat, BotCommandScopeDefault, Update
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.config import Config
from bot.context import Me, guessed, me, reply, services, translator
from bot.i18n import N_, Translator
from models.areas import HEAD_TITLES, Area, fold
from models.users import Role


@dataclass(frozen=True)
class Command:
    name: str
    role: Role
    description: str


COMMANDS = (
    Command("start", Role.CITIZEN, N_("Start, or set up your language and area again")),
    Command("campaigns", Role.CITIZEN, N_("The campaigns of your area")),
    Command("pledge", Role.CITIZEN, N_("Pledge money, goods or a day's salary")),
    Command("mypledges", Role.CITIZEN, N_("Your pledges and their receipts")),
    Command("totals", Role.CITIZEN, N_("A campaign's public totals")),
    Command("honour", Role.CITIZEN, N_("A campaign's honour roll")),
    Command("report", Role.VILLAGE_HEAD, N_("Send your area's report")),
    Command("help", Role.CITIZEN, N_("What Loa can do for you")),
    Command("language", Role.CITIZEN, N_("Change the language")),
    Command("area", Role.CITIZEN, N_("Change your area")),
    Command("privacy", Role.CITIZEN, N_("What Loa stores about you, and why")),
    Command("forget", Role.CITIZEN, N_("Erase your personal data")),
    Command("campaign", Role.OFFICER, N_("Open or run a campaign")),
    Command("pledges", Role.OFFICER, N_("Track the pledges of your area")),
    Command("broadcast", Role.OFFICER, N_("Send an announcement to your area")),
    Command("broadcasts", Role.OFFICER, N_("Recent broadcasts and their figures")),
    Command("deadline", Role.OFFICER, N_("Set a reporting deadline")),
    Command("deadlines", Role.OFFICER, N_("Follow reporting deadlines")),
    Command("invite", Role.OFFICER, N_("Invite a village head or an officer of your area")),
)

ROLE_NAMES = {
    Role.CITIZEN: N_("citizen"),
    Role.VILLAGE_HEAD: N_("village head"),
    Role.OFFICER: N_("officer"),
    Role.ADMIN: N_("admin"),
}


def role_name(_: Translator, role: Role, area: Area | None = None,
              titles: Mapping[str, Mapping[str, str]] | None = None) -> str:
    """What a person is called: a village head after their area's level (trưởng ấp of an ấp,
    tổ trưởng of a tổ dân phố; titles from config first), others by their role."""
    if role is Role.VILLAGE_HEAD and area is not None:
        level = fold(area.level)
        if titles and level in titles:
            return titles[level].get(_.lang) or next(iter(titles[level].values()))
        if level in HEAD_TITLES:
            return _(HEAD_TITLES[level])
    return _(ROLE_NAMES[role])


def commands_for(role: Role) -> list[Command]:
    return [c for c in COMMANDS if role.rank >= c.role.rank]


def _bot_commands(role: Role, _: Translator) -> list[BotCommand]:
    return [BotCommand(c.name, _(c.description)) for c in commands_for(role)]


async def set_default_menus(bot: Bot, config: Config) -> None:
    """The menu for people Loa has not yet met: citizen commands in each language."""
    for lang in config.languages:
        commands = _bot_commands(Role.CITIZEN, translator(config, lang))
        await bot.set_my_commands(commands, scope=BotCommandScopeDefault(), language_code=lang)
        if lang == config.default_language:
            await bot.set_my_commands(commands, scope=BotCommandScopeDefault())


async def sync_menu(bot: Bot, person: Me) -> None:
    """This person's menu: their role's commands in their language (after any change)."""
    with suppress(TelegramError):  # a menu is a convenience: never fail the reply for it
        await bot.set_my_commands(_bot_commands(person.actor.role, person._),
                                  scope=BotCommandScopeChat(person.id))


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    person = await me(update, context, must_exist=False, consented=False)
    role = person.actor.role if person else Role.CITIZEN
    _ = person._ if person else guessed(update, context)
    lines = [_("<b>Loa</b>: news of the campaigns in your area, and a way to answer them."), ""]
    lines += [f"/{c.name} — {_(c.description)}" for c in commands_for(role)]
    if person is None:
        lines += ["", _("Send /start to begin.")]
    else:
        lines += ["", _("You are: {role}.", role=role_name(
            _, role, person.actor.scope, services(context).config.head_titles))]
        await sync_menu(context.bot, person)
    await reply(update, "\n".join(lines))
