"""The application factory: every handler of Loa is wired here, in one visible place."""

from __future__ import annotations

import asyncio
import functools
import logging
import signal
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from urllib.parse import urlsplit

from sqlalchemy.exc import DataError
from telegram import Update
from telegram.constants import ParseMode
from telegram.error import NetworkError, RetryAfter
from telegram.ext import (
    Application,
    ApplicationBuilder,
    ApplicationHandlerStop,
    CallbackContext,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    Defaults,
)

from bot import pages
from bot.config import Config
from bot.context import Services, guessed, translator
from bot.db import HANDLING, AlreadyHandled, Database
from bot.delivery import Dispatcher
from bot.http import HttpServer
from bot.i18n import N_, guess_language
from bot.inbox import Inbox
from bot.polling import Poller
from bot.ratelimit import Limiter, retry_seconds
from bot.reminders import Reminders
from bot.request import AiohttpRequest
from handlers import (
    broadcasts,
    campaigns,
    deadlines,
    exports,
    groups,
    inputs,
    invites,
    leave,
    menu,
    my_pledges,
    onboarding,
    pledge_desk,
    pledges,
    privacy,
    private_only,
    reconcile,
    reports,
    resume,
    support,
    totals,
)
from handlers.router import text_router, unknown_command_handler
from models.users import get_user
from web.server import PublicSite

log = logging.getLogger(__name__)

# my_chat_member: Loa added to or removed from a group or channel (handlers/groups.py);
# channel_post: a channel renamed.
ALLOWED_UPDATES = ["message", "callback_query", "my_chat_member", "channel_post"]


def build_application(config: Config, db: Database) -> Application:
    token = config.require_token()
    limiter = Limiter(rate=config.send_rate, per_chat_interval=1 / config.chat_rate,
                      chat_burst=config.chat_burst, group_interval=config.group_interval)
    app = (
        ApplicationBuilder()
        .token(token)
        .base_url(f"{config.api_url}/bot")
        .base_file_url(f"{config.api_url}/file/bot")
        .defaults(Defaults(parse_mode=ParseMode.HTML, tzinfo=config.timezone))
        .rate_limiter(limiter)
        .request(AiohttpRequest())
        .updater(None)  # updates come through the inbox (bot/inbox.py), never PTB's queue
        .build()
    )
    dispatcher = Dispatcher(app.bot, db, config, limiter)
    app.bot_data["services"] = Services(config, db, dispatcher,
                                        Reminders(db, config, dispatcher))
    back = {**campaigns.BACK, **pledges.BACK, **my_pledges.BACK, **pledge_desk.BACK,
            **broadcasts.BACK, **deadlines.BACK, **reports.BACK, **reconcile.BACK,
            **exports.BACK, **support.BACK, **groups.BACK}
    again = {**onboarding.AGAIN, **campaigns.AGAIN, **pledges.AGAIN, **deadlines.AGAIN,
             **support.AGAIN}
    app.bot_data["inbox"] = Inbox(app, db, config.max_pending, config.keep_updates,
                                  notify=functools.partial(_notice, app,
                                                           resume.resumer(again, back)))

    app.add_handlers(groups.group_handlers(), group=groups.GROUP)
    app.add_handler(private_only.handler(), group=private_only.GROUP)
    app.add_handlers(onboarding.handlers())
    app.add_handlers(privacy.handlers())
    app.add_handlers(invites.handlers())
    app.add_handlers(campaigns.handlers())
    app.add_handlers(pledges.handlers())
    app.add_handlers(my_pledges.handlers())
    app.add_handlers(pledge_desk.handlers())
    app.add_handlers(totals.handlers())
    app.add_handlers(broadcasts.handlers())
    app.add_handlers(deadlines.handlers())
    app.add_handlers(reports.handlers())
    app.add_handlers(reconcile.handlers())
    app.add_handlers(exports.handlers())
    app.add_handlers(support.handlers())
    app.add_handlers(groups.handlers())
    app.add_handlers(leave.handlers(back))
    app.add_handler(inputs.amount_handler({**pledges.AMOUNT_STEPS, **my_pledges.AMOUNT_STEPS,
                                            **pledge_desk.AMOUNT_STEPS, **support.AMOUNT_STEPS}))
    app.add_handler(CallbackQueryHandler(pages.noop_pressed, pattern=f"^{pages.NOOP}$"))
    app.add_handler(CommandHandler("help", menu.help_command))
    app.add_handler(menu.menu_button_handler(config.languages, {
        name: handler.callback for handler in app.handlers[0]
        if isinstance(handler, CommandHandler) for name in handler.commands}))
    app.add_handler(text_router({**onboarding.TEXT_STEPS, **invites.TEXT_STEPS,
                                 **campaigns.TEXT_STEPS, **pledges.TEXT_STEPS,
                                 **my_pledges.TEXT_STEPS, **pledge_desk.TEXT_STEPS,
                                 **broadcasts.TEXT_STEPS, **deadlines.TEXT_STEPS,
                                 **reports.TEXT_STEPS,
                                 **reconcile.TEXT_STEPS, **exports.TEXT_STEPS,
                                 **support.TEXT_STEPS, **groups.TEXT_STEPS},
                             (leave.is_leave_word, leave.leave), reconcile.statement_sent,
                             {**broadcasts.ALBUMS, **campaigns.ALBUMS}))
    app.add_handler(unknown_command_handler())
    app.add_error_handler(_on_error)
    return app


NOTICES = {
    # someone sent far more than Loa can answer at once (told once: models/inbox.py)
    "flood": N_("You sent many messages at once; Loa skipped some of them. Please wait for "
                "the answers, then continue."),
}


async def _notice(app: Application, resume: Callable[[Update, CallbackContext], Awaitable[None]],
                  update: Update, why: str) -> None:
    """A word from the inbox to the person, in their language, in their private chat: the
    flood notice, or after a crash where they are (handlers/resume.py)."""
    services: Services = app.bot_data["services"]
    config = services.config
    if update.effective_user is None or update.effective_chat is None or \
            update.effective_chat.type != "private":
        return
    if why == "interrupted":
        await resume(update, CallbackContext.from_update(update, app))
        return
    person = await services.db.run(get_user, update.effective_user.id)
    _ = translator(config, person.language if person and person.language else
                   guess_language(update.effective_user.language_code, config.languages))
    await app.bot.send_message(update.effective_chat.id, _(NOTICES[why]))


async def _on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the failure; tell the person something went wrong rather than stay silent (once:
    when the inbox will not try the update again)."""
    handling = HANDLING.get()
    if isinstance(context.error, AlreadyHandled):
        if handling is not None:
            handling.error = context.error  # counted as a duplicate, settled
        raise ApplicationHandlerStop  # handled before a crash: its effect stands
    forged = isinstance(context.error, OverflowError | DataError)  # an id no row can have
    if not forged:
        log.error("error while handling an update", exc_info=context.error)
        if handling is not None:
            handling.error = context.error
            if not (handling.last_try or handling.stamped):
                raise ApplicationHandlerStop  # tried again in a moment
    if isinstance(update, Update) and update.effective_chat is not None:
        _ = guessed(update, context)
        try:
            await update.effective_chat.send_message(
                _("This button is not valid.") if forged else
                _("Sorry, something went wrong on Loa's side. Please try again."))
        except Exception:
            log.warning("could not tell the user about the error")
    raise ApplicationHandlerStop  # a failed update is not half-handled by later groups


@asynccontextmanager
async def serving(app: Application, webhook: bool = False,
                  poll_timeout: int = 1) -> AsyncIterator[Application]:
    """Run Loa inside a running event loop: the delivery engine, the reminder clock, the
    inbox, the HTTP server when there is one, and the way in (a webhook or long polling)."""
    services: Services = app.bot_data["services"]
    config, inbox = services.config, app.bot_data["inbox"]
    http, poller = _http_server(app, webhook), None
    async with app:
        await app.start()
        services.dispatcher.start()  # first: after a crash, deliveries resume at once
        await menu.set_default_menus(app.bot, config)
        services.reminders.start(app.job_queue)
        inbox.start()
        try:
            if http is not None:
                app.bot_data["http"] = http
                await http.start([config.webhook_listen] * webhook +
                                 [config.web_listen] * bool(config.web_listen))
            if webhook:
                await _set_webhook(app, config)
            else:
                poller = Poller(config.api_url, config.require_token(), inbox, ALLOWED_UPDATES,
                                timeout=poll_timeout)
                await poller.start()
                app.bot_data["poller"] = poller
            log.info("Loa is up as @%s (%s)", app.bot.username,
                     "webhook" if webhook else "long polling")
            yield app
        finally:
            if poller is not None:
                await poller.stop()
            if http is not None:  # a webhook update not answered is sent again by Telegram
                await http.stop()
            await inbox.stop()
            await services.reminders.stop()
            await services.dispatcher.stop()
            await app.stop()


async def _set_webhook(app: Application, config: Config) -> None:
    """Point Telegram at this address. Telegram takes one setWebhook a second: when several
    workers start together the others wait their turn (same settings, so no harm)."""
    for _ in range(5):
        try:
            await app.bot.set_webhook(
                config.webhook_url, secret_token=config.webhook_secret,
                allowed_updates=ALLOWED_UPDATES, drop_pending_updates=False,
                max_connections=config.webhook_max_connections)
            return
        except RetryAfter as exc:
            await asyncio.sleep(retry_seconds(exc))
    raise NetworkError("setWebhook: Telegram kept answering 429")


def _http_server(app: Application, webhook: bool) -> HttpServer | None:
    services: Services = app.bot_data["services"]
    config = services.config
    if not webhook and not config.web_listen:
        return None
    return HttpServer(services.db, app.bot_data["inbox"],
                      webhook_path=urlsplit(config.webhook_url or "").path or "/" if webhook
                      else None,
                      secret=config.webhook_secret if webhook else None,
                      site=PublicSite(config, services.db) if config.web_listen else None)


async def run(app: Application, webhook: bool) -> None:
    """`loa run`: serve until SIGTERM or Ctrl-C."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with serving(app, webhook=webhook, poll_timeout=50):
        await stop.wait()
