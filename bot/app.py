"""The application factory: every handler of Loa is wired here, in one visible place."""

from __future__ import annotations

import functools
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.exc import DataError
from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    Defaults,
)

from bot import pages
from bot.config import Config
from bot.context import Services, guessed, translator
from bot.db import Database
from bot.delivery import Dispatcher
from bot.i18n import guess_language
from bot.ratelimit import Limiter
from bot.reminders import Reminders
from bot.updates import PerUserUpdateProcessor
from handlers import (
    broadcasts,
    campaigns,
    deadlines,
    exports,
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
    support,
    totals,
)
from handlers.router import text_router, unknown_command_handler
from models.users import get_user
from web.server import PublicSite

log = logging.getLogger(__name__)

ALLOWED_UPDATES = ["message", "callback_query"]


def build_application(config: Config, db: Database) -> Application:
    token = config.require_token()
    limiter = Limiter(rate=config.send_rate, per_chat_interval=1 / config.chat_rate,
                      chat_burst=config.chat_burst)
    updates = PerUserUpdateProcessor(max_pending=config.max_pending)
    app = (
        ApplicationBuilder()
        .token(token)
        .base_url(f"{config.api_url}/bot")
        .base_file_url(f"{config.api_url}/file/bot")
        .defaults(Defaults(parse_mode=ParseMode.HTML, tzinfo=config.timezone))
        .concurrent_updates(updates)
        .rate_limiter(limiter)
        .post_init(_post_init)
        .post_stop(_post_stop)
        .build()
    )
    dispatcher = Dispatcher(app.bot, db, config, limiter)
    app.bot_data["services"] = Services(config, db, dispatcher,
                                        Reminders(db, config, dispatcher))
    updates.on_overflow = functools.partial(_too_many_updates, app)
    if config.web_listen:  # the public page lives and dies with the bot: one process
        app.bot_data["web"] = PublicSite(config, db)

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
    app.add_handlers(leave.handlers({**campaigns.BACK, **pledges.BACK, **my_pledges.BACK,
                                     **pledge_desk.BACK, **broadcasts.BACK, **deadlines.BACK,
                                     **reports.BACK, **reconcile.BACK, **exports.BACK,
                                     **support.BACK}))
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
                                 **support.TEXT_STEPS},
                             (leave.is_leave_word, leave.leave), reconcile.statement_sent))
    app.add_handler(unknown_command_handler())
    app.add_error_handler(_on_error)
    return app


async def _post_init(app: Application) -> None:
    services: Services = app.bot_data["services"]
    services.dispatcher.start()  # first: after a crash, deliveries resume at once
    await menu.set_default_menus(app.bot, services.config)
    services.reminders.start(app.job_queue)
    if "web" in app.bot_data:
        await app.bot_data["web"].start(*services.config.web_listen)
    log.info("Loa is up as @%s", app.bot.username)


async def _post_stop(app: Application) -> None:
    await app.bot_data["services"].dispatcher.stop()
    if "web" in app.bot_data:
        await app.bot_data["web"].stop()


async def _too_many_updates(app: Application, update: Update) -> None:
    """Someone sent far more than Loa can answer at once: say so, once (updates.py)."""
    services: Services = app.bot_data["services"]
    config = services.config
    person = await services.db.run(get_user, update.effective_user.id)
    _ = translator(config, person.language if person and person.language else
                   guess_language(update.effective_user.language_code, config.languages))
    if update.effective_chat is not None and update.effective_chat.type == "private":
        await app.bot.send_message(update.effective_chat.id, _(
            "You sent many messages at once; Loa skipped some of them. Please wait for the "
            "answers, then continue."))


async def _on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the failure; tell the person something went wrong rather than stay silent."""
    forged = isinstance(context.error, OverflowError | DataError)  # an id no row can have
    if not forged:
        log.error("error while handling an update", exc_info=context.error)
    if isinstance(update, Update) and update.effective_chat is not None:
        _ = guessed(update, context)
        try:
            await update.effective_chat.send_message(
                _("This button is not valid.") if forged else
                _("Sorry, something went wrong on Loa's side. Please try again."))
        except Exception:
            log.warning("could not tell the user about the error")


@asynccontextmanager
async def serving(app: Application, poll_timeout: int = 1) -> AsyncIterator[Application]:
    """Run the application inside an event loop that is already running (sandbox, tests)."""
    async with app:
        if app.post_init:  # run_polling calls it; here the loop is ours, so we do
            await app.post_init(app)
        await app.start()
        await app.updater.start_polling(poll_interval=0.0, timeout=poll_timeout,
                                        allowed_updates=ALLOWED_UPDATES)
        try:
            yield app
        finally:
            await app.updater.stop()
            await app.stop()
            if app.post_stop:
                await app.post_stop(app)
