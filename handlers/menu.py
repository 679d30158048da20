"""The commands each role may use: /help, and Telegram's command menu per language and role."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from contextlib import suppress
from dataclasses import dataclass

from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    BotCommandScopeDefault,
    ReplyKeyboardMarkup,
    Update,
)
from telegram.error import TelegramError
from telegram.ext import ContextTypes, MessageHandler, filters

from bot.config import Config
from bot.context import Me, guessed, me, reply, services, translator
from bot.i18n import FALLBACK, N_, Translator, catalog
from models.areas import HEAD_TITLES, Area, fold
from models.users import Role


@dataclass(frozen=True)
class Command:
    name: str
    role: Role
    description: str
    group: str


CAMPAIGNS = N_("Campaigns and pledges")
VILLAGE = N_("Your area's reports")
DESK = N_("Officer's desk")
SETTINGS = N_("You and Loa")

COMMANDS = (
    Command("campaigns", Role.CITIZEN, N_("The campaigns of your area"), CAMPAIGNS),
    Command("pledge", Role.CITIZEN, N_("Pledge money, goods or a day's salary"), CAMPAIGNS),
    Command("mypledges", Role.CITIZEN, N_("Your pledges and their receipts"), CAMPAIGNS),
    Command("totals", Role.CITIZEN, N_("A campaign's public totals"), CAMPAIGNS),
    Command("honour", Role.CITIZEN, N_("A campaign's honour roll"), CAMPAIGNS),
    Command("report", Role.VILLAGE_HEAD, N_("Send your area's report"), VILLAGE),
    Command("campaign", Role.OFFICER, N_("Open or run a campaign"), DESK),
    Command("pledges", Role.OFFICER, N_("Track the pledges of your area"), DESK),
    Command("reconcile", Role.OFFICER, N_("Check the bank statement against the pledges"),
            DESK),
    Command("broadcast", Role.OFFICER, N_("Send an announcement to your area"), DESK),
    Command("broadcasts", Role.OFFICER, N_("Recent broadcasts and their figures"), DESK),
    Command("groups", Role.OFFICER, N_("Groups and channels that broadcasts reach"), DESK),
    Command("deadline", Role.OFFICER, N_("Set a reporting deadline"), DESK),
    Command("deadlines", Role.OFFICER, N_("Follow reporting deadlines"), DESK),
    Command("support", Role.OFFICER, N_("Record support given; who has had nothing yet"),
            DESK),
    Command("export", Role.OFFICER, N_("Pledges, totals, reports as an Excel or CSV file"),
            DESK),
    Command("invite", Role.OFFICER, N_("Invite a village head or an officer of your area"),
            DESK),
    Command("help", Role.CITIZEN, N_("What Loa can do for you"), SETTINGS),
    Command("cancel", Role.CITIZEN, N_("Stop what you are doing (or type: hủy)"), SETTINGS),
    Command("start", Role.CITIZEN, N_("Greet Loa and show the menu buttons"), SETTINGS),
    Command("language", Role.CITIZEN, N_("Change the language"), SETTINGS),
    Command("area", Role.CITIZEN, N_("Change your area"), SETTINGS),
    Command("privacy", Role.CITIZEN, N_("What Loa stores about you, and why"), SETTINGS),
    Command("forget", Role.CITIZEN, N_("Erase your personal data"), SETTINGS),
)


@dataclass(frozen=True)
class Button:
    """A button of the main menu under the typing field: pressing it runs its command."""

    label: str
    command: str
    roles: tuple[Role, ...]


EVERYONE = tuple(Role)
DESK_ROLES = (Role.OFFICER, Role.ADMIN)

#: The main menu, by role: the role's own tools come first, then what everyone does.
BUTTONS = (
    Button(N_("📣 Announce"), "broadcast", DESK_ROLES),
    Button(N_("🗂 Pledge book"), "pledges", DESK_ROLES),
    Button(N_("⏰ Deadlines"), "deadlines", DESK_ROLES),
    Button(N_("🎁 Support"), "support", DESK_ROLES),
    Button(N_("🧾 Export"), "export", DESK_ROLES),
    Button(N_("📝 Report"), "report", (Role.VILLAGE_HEAD,)),
    Button(N_("🤝 Give"), "pledge", EVERYONE),
    Button(N_("📋 Mine"), "mypledges", EVERYONE),
    Button(N_("📊 Results"), "totals", EVERYONE),
    Button(N_("❓ Help"), "help", EVERYONE),
)


def main_menu(role: Role, _: Translator) -> ReplyKeyboardMarkup:
    """The person's menu in their language: rows of at most three, kept under the typing
    field (is_persistent) until another keyboard replaces it."""
    labels = [_(b.label) for b in BUTTONS if role in b.roles]
    width = 2 if len(labels) <= 4 else 3
    rows = [labels[i:i + width] for i in range(0, len(labels), width)]
    return ReplyKeyboardMarkup(rows, resize_keyboard=True, is_persistent=True,
                               input_field_placeholder=_("Choose below, or type /help"))


def menu_button_handler(languages: tuple[str, ...],
                        commands: Mapping[str, Callable[..., Awaitable[None]]]) -> MessageHandler:
    """A press of a menu button (its label, in any of Loa's languages) runs that command."""
    wanted = {catalog(lang).gettext(b.label): b.command for lang in languages for b in BUTTONS}

    async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await commands[wanted[update.effective_message.text]](update, context)

    return MessageHandler(filters.ChatType.PRIVATE & filters.Text(list(wanted)), pressed)


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
            named = titles[level]  # a language with no title of its own: Vietnamese's
            return named.get(_.lang) or named.get(FALLBACK) or next(iter(named.values()))
        if level in HEAD_TITLES:
            return _(HEAD_TITLES[level])
    return _(ROLE_NAMES[role])


def commands_for(role: Role) -> list[Command]:
    return [c for c in COMMANDS if role.rank >= c.role.rank]


def _bot_commands(role: Role, _: Translator) -> list[BotCommand]:
    first = sorted(commands_for(role), key=lambda c: c.name != "start")  # for newcomers
    return [BotCommand(c.name, _(c.description)) for c in first]


async def set_default_menus(bot: Bot, config: Config) -> None:
    """The menu for people Loa has not yet met: citizen commands in each language. Telegram
    knows a client's language by two letters (ISO 639-1) only: bdq gets the default menu."""
    for lang in config.languages:
        commands = _bot_commands(Role.CITIZEN, translator(config, lang))
        if len(lang) == 2:
            await bot.set_my_commands(commands, scope=BotCommandScopeDefault(), language_code=lang)
        if lang == config.default_language:
            await bot.set_my_commands(commands, scope=BotCommandScopeDefault())


async def sync_menu(bot: Bot, person: Me) -> None:
    """This person's menu: their role's commands in their language (after any change)."""
    with suppress(TelegramError):  # a menu is a convenience: never fail the reply for it
        await bot.set_my_commands(_bot_commands(person.actor.role, person._),
                                  scope=BotCommandScopeChat(person.id))


def help_text(role: Role, _: Translator) -> list[str]:
    """The commands a role may use, grouped, one line each."""
    lines = [_("<b>Loa</b>: news of the campaigns in your area, and a way to answer them.")]
    group = None
    for command in commands_for(role):
        if command.group != group:
            group = command.group
            lines += ["", f"<b>{_(group)}</b>"]
        lines.append(f"/{command.name} — {_(command.description)}")
    return lines


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    person = await me(update, context, must_exist=False, consented=False)
    role = person.actor.role if person else Role.CITIZEN
    _ = person._ if person else guessed(update, context)
    lines = help_text(role, _)
    if person is None or person.user.consent_at is None:
        await reply(update, "\n".join([*lines, "", _("Send /start to begin.")]))
        return
    lines += ["", _("You are: {role}.", role=role_name(
        _, role, person.actor.scope, services(context).config.head_titles)),
        _("The buttons under the typing field do the most common things.")]
    await sync_menu(context.bot, person)
    await reply(update, "\n".join(lines), main_menu(role, _), edit=False)
