"""The emulator itself: its state, and the concerns (mixins) that act on it.

Why one class made of mixins: the Bot API side and the driver side share one state (chats,
outbox, update queue, limits) on one asyncio loop; each mixin module holds one concern's methods,
and this class owns every attribute they use, set up in one place.
"""

from __future__ import annotations

import asyncio
import itertools
import math
import time
from collections import deque
from collections.abc import Callable

import aiohttp
from aiohttp import web

from .callbacks import CallbacksMixin
from .chats import ChatsMixin
from .commands import CommandsMixin
from .control import ControlMixin
from .editing import EditingMixin
from .files import FilesMixin
from .groups import GroupsMixin
from .inspection import InspectionMixin
from .limits import LimitsMixin
from .outages import OutagesMixin
from .protocol import JSON
from .records import CallbackAnswer, Chat, SentMessage, Stats, StoredFile
from .sending import SendingMixin
from .server import ServerMixin
from .updates import UpdatesMixin
from .users import UsersMixin
from .waiters import WaitersMixin
from .webhooks import Webhook, WebhooksMixin


class Emulator(
    ServerMixin,
    OutagesMixin,
    LimitsMixin,
    UpdatesMixin,
    WebhooksMixin,
    SendingMixin,
    EditingMixin,
    FilesMixin,
    ChatsMixin,
    GroupsMixin,
    CommandsMixin,
    UsersMixin,
    CallbacksMixin,
    InspectionMixin,
    WaitersMixin,
    ControlMixin,
):
    """A fake Telegram: the Bot API over HTTP for the bot, a Python API for the test."""

    def __init__(
        self,
        token: str = "123456:TEST",
        bot_username: str = "loa_test_bot",
        rate_limit: float | None = None,
        per_chat_rate: float | None = None,
        group_rate_per_minute: float | None = None,
        *,
        bot_first_name: str = "Loa",
        strict_html: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Limits are off when None; they are plain attributes, so tests may change them live.

        ``clock`` drives flood limits and ``at`` stamps; inject a fake one to test retry_after
        handling without sleeping.
        """
        self.token = token
        prefix = token.split(":", 1)[0]
        self.bot_user: JSON = {
            "id": int(prefix) if prefix.isdigit() else 1,
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
        }
        self.rate_limit = rate_limit
        self.per_chat_rate = per_chat_rate
        self.group_rate_per_minute = group_rate_per_minute
        self.group_window = 60.0  # Telegram's minute for the group limit; tests may shrink it
        self.strict_html = strict_html
        self.group_privacy = True  # privacy mode: in groups, a member bot sees commands only
        self.clock = clock

        self.stats = Stats()
        self.outbox: list[SentMessage] = []
        self.callback_answers: list[CallbackAnswer] = []
        self.deleted: list[tuple[int, int]] = []  # (chat_id, message_id) the bot deleted
        self.internal_errors: list[str] = []  # emulator bugs, answered as HTTP 500
        self.webhook_retry_min = 0.05  # seconds before the second retry, doubling from there
        self.webhook_retry_max = 1.0
        self.webhook_timeout = 10.0  # per webhook request (Telegram waits about a minute)

        self.host = "127.0.0.1"
        self.port: int | None = None
        self._runner: web.AppRunner | None = None
        self._closing = False

        self._users: dict[int, JSON] = {}
        self._chats: dict[int, Chat] = {}
        self._live: dict[tuple[int, int], SentMessage] = {}  # latest version per message
        self._chat_live: dict[int, dict[int, SentMessage]] = {}  # chat -> message_id -> latest
        self._chat_events: dict[int, list[SentMessage]] = {}  # chat -> records in seq order
        self._cursors: dict[int, int] = {}  # chat -> next seq for next_message()
        self._user_msgs: dict[tuple[int, int], JSON] = {}  # messages the played users sent
        self._files: dict[str, StoredFile] = {}
        self._files_by_path: dict[str, StoredFile] = {}
        self._commands: dict[tuple[str, str], list[JSON]] = {}
        self._open_queries: set[str] = set()

        self._updates: deque[JSON] = deque()
        self._next_update_id = 1
        self._allowed_updates: frozenset[str] | None = None
        self._poll_generation = 0
        self._update_waiters: set[asyncio.Future[None]] = set()
        self._outbox_waiters: set[asyncio.Future[None]] = set()

        self._hook: Webhook | None = None
        self._next_set_webhook = -math.inf  # setWebhook with a URL: once a second
        self._hook_busy: dict[tuple[str, int], int] = {}  # queue -> update_id in flight
        self._hook_retries: dict[int, tuple[int, float]] = {}  # update_id -> (failures, due)
        self._hook_wake = asyncio.Event()
        self._hook_task: asyncio.Task[None] | None = None
        self._hook_tasks: set[asyncio.Task[None]] = set()
        self._hook_session: aiohttp.ClientSession | None = None

        self._ban_until = 0.0  # global flood ban (rate_limit, force_429)
        self._chat_bans: dict[int, float] = {}
        self._forced_left = 0
        self._forced_retry = 1
        self._bad_gateways_left = 0
        self._bad_gateway_methods: set[str] | None = None
        self._global_window: deque[float] = deque()
        self._chat_windows: dict[int, deque[float]] = {}

        self._counter = itertools.count(1)  # file ids, callback query ids
        self._methods = self._method_table()
