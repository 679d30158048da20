"""Webhooks: instead of being polled, the emulator pushes the update queue to the bot's URL.

Why: Loa's webhook mode must meet Telegram's delivery as it is, not as one imagines it. Read
from telegram-bot-api (Client.cpp, WebhookActor.cpp):

* one POST per update, JSON, with X-Telegram-Bot-Api-Secret-Token when a secret was set; an
  update leaves the queue only on a 2xx answer;
* at most ``max_connections`` requests at once, but only one while no request has succeeded
  for 10 seconds (also right after setWebhook);
* updates share a queue per chat (messages, edits, chat member changes) or per sender and
  kind (a button press of a person is not in the queue of their messages); a queue has one
  request in flight at a time, so one chat is delivered strictly in order whatever
  ``max_connections`` says, while two queues overlap;
* only the first 2 x max_connections pending updates are considered, so a chat that keeps
  failing can hold up the others;
* a failed update is retried at once, then after a doubling delay (Telegram: 2 s up to a
  minute; here ``webhook_retry_min`` up to ``webhook_retry_max``), or after the Retry-After
  the webhook answered;
* setWebhook with a URL is refused with 429 when repeated within a second.

Unlike Telegram's cloud (like a local Bot API server) http:// URLs on any port are accepted.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import math
import re
import time
from dataclasses import dataclass
from typing import Any

import aiohttp
from yarl import URL

from .limits import _UNSET
from .protocol import JSON, ApiError, bad
from .records import Upload
from .waiters import wake

QUIET_SECONDS = 10.0  # no success for this long: Telegram keeps to one connection
_SECRET = re.compile(r"[A-Za-z0-9_-]*")
_CHAT_KINDS = (
    "message",
    "edited_message",
    "channel_post",
    "edited_channel_post",
    "business_message",
    "edited_business_message",
)


@dataclass(slots=True)
class Webhook:
    """The webhook as set; a new setWebhook makes a new one (errors forgotten, as on Telegram)."""

    url: str
    secret: str
    max_connections: int
    has_certificate: bool
    last_success: float = -math.inf  # loop time
    last_error_date: int = 0  # unix time
    last_error_message: str = ""

    def settings(self) -> tuple[str, str, int, bool]:
        return (self.url, self.secret, self.max_connections, self.has_certificate)


def queue_key(update: JSON) -> tuple[str, int]:
    """The webhook queue an update belongs to: its chat for messages, else sender and kind."""
    for kind in _CHAT_KINDS:
        if kind in update:
            return ("chat", update[kind]["chat"]["id"])
    for kind, body in update.items():
        if isinstance(body, dict):
            if isinstance(body.get("chat"), dict):
                return (kind, body["chat"]["id"])
            if isinstance(body.get("from"), dict):
                return (kind, body["from"]["id"])
    return ("update", update["update_id"])


def _flag(value: Any) -> bool:
    """Telegram's to_bool: true, yes or 1."""
    return value is True or str(value).strip().lower() in ("true", "yes", "1")


def _max_connections(value: Any) -> int:
    """Telegram's get_integer_arg: 40 when absent, a non-number is 0, then clamped to 1..100."""
    if value is None or value == "":
        return 40
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = 0
    return min(max(number, 1), 100)


class WebhooksMixin:
    """setWebhook, deleteWebhook, getWebhookInfo and the task that pushes updates."""

    def webhook_info(self) -> JSON:
        """getWebhookInfo's result, with Telegram's fields and their presence rules."""
        hook = self._hook
        info: JSON = {
            "url": hook.url if hook else "",
            "has_custom_certificate": bool(hook and hook.has_certificate),
            "pending_update_count": len(self._updates),
        }
        if hook is None:
            return info
        if hook.last_error_date:
            info["last_error_date"] = hook.last_error_date
            info["last_error_message"] = hook.last_error_message
        info["max_connections"] = hook.max_connections
        if self._allowed_updates is not None:
            info["allowed_updates"] = sorted(self._allowed_updates)
        return info

    def set_webhook_timing(
        self,
        retry_min: float = _UNSET,
        retry_max: float = _UNSET,
        timeout: float = _UNSET,
    ) -> JSON:
        """Change the retry delays and the request timeout live; omitted ones stay."""
        if retry_min is not _UNSET:
            self.webhook_retry_min = float(retry_min)
        if retry_max is not _UNSET:
            self.webhook_retry_max = float(retry_max)
        if timeout is not _UNSET:
            self.webhook_timeout = float(timeout)
        return {
            "retry_min": self.webhook_retry_min,
            "retry_max": self.webhook_retry_max,
            "timeout": self.webhook_timeout,
        }

    def _set_webhook(self, p: JSON, files: dict[str, Upload]) -> bool:
        url = str(p.get("url") or "")
        if not url:
            return self._delete_webhook(p, files)
        now = self.clock()
        if now < self._next_set_webhook:  # Telegram checks this before anything else
            raise ApiError(429, "Too Many Requests: retry after 1", {"retry_after": 1})
        self._next_set_webhook = now + 1
        if "://" not in url:
            url = "https://" + url  # Telegram's default scheme
        try:
            parsed = URL(url)
        except ValueError:
            parsed = URL()
        if parsed.scheme not in ("http", "https") or not parsed.host:
            raise bad("invalid webhook URL specified")
        secret = str(p.get("secret_token") or "")
        if len(secret) > 256:
            raise bad("secret token is too long")
        if not _SECRET.fullmatch(secret):
            raise bad("secret token contains unallowed characters")
        self._take_allowed_updates(p)
        max_connections = _max_connections(p.get("max_connections"))
        hook = Webhook(url, secret, max_connections, has_certificate="certificate" in files)
        drop = _flag(p.get("drop_pending_updates"))
        old = self._hook
        if not drop and not hook.has_certificate and old and old.settings() == hook.settings():
            return True  # "Webhook is already set": errors and pace are kept
        if drop:
            self._updates.clear()
        self._hook = hook
        self._hook_retries.clear()
        wake(self._update_waiters)  # a running long poll ends: terminated by setWebhook
        self._kick_webhook()
        return True

    def _delete_webhook(self, p: JSON, files: dict[str, Upload]) -> bool:
        """Back to polling; what was not delivered stays for getUpdates unless dropped."""
        self._hook = None
        self._hook_retries.clear()
        if _flag(p.get("drop_pending_updates")):
            self._updates.clear()
        self._hook_wake.set()
        return True

    def _kick_webhook(self) -> None:
        """News for the pusher (a new update, a new webhook); started if it is not running."""
        if self._hook_task is None or self._hook_task.done():
            self._hook_task = asyncio.get_running_loop().create_task(self._push_updates())
        self._hook_wake.set()

    async def _push_updates(self) -> None:
        """Start the deliveries that may go, then sleep until news or a retry falls due."""
        while self._hook is not None and not self._closing:
            self._hook_wake.clear()
            delay = self._start_deliveries()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(delay):
                    await self._hook_wake.wait()

    def _start_deliveries(self) -> float | None:
        """Deliver the heads of the queues that are free; seconds until a retry is due."""
        hook = self._hook
        assert hook is not None
        loop = asyncio.get_running_loop()
        now = loop.time()
        limit = hook.max_connections if now - hook.last_success < QUIET_SECONDS else 1
        due: float | None = None
        seen: set[tuple[str, int]] = set()
        unwanted = []
        for update in list(itertools.islice(self._updates, 2 * hook.max_connections)):
            if len(self._hook_busy) >= limit:
                break
            if not self._wanted(update):
                unwanted.append(update)  # Telegram would never have queued it
                continue
            key = queue_key(update)
            if key in seen:
                continue
            seen.add(key)
            if key in self._hook_busy:
                continue
            _, not_before = self._hook_retries.get(update["update_id"], (0, now))
            if not_before > now:
                due = min(due, not_before - now) if due is not None else not_before - now
                continue
            self._hook_busy[key] = update["update_id"]
            task = loop.create_task(self._deliver(hook, key, update))
            self._hook_tasks.add(task)
            task.add_done_callback(self._hook_tasks.discard)
        self.stats.webhook_peak_connections = max(
            self.stats.webhook_peak_connections, len(self._hook_busy)
        )
        for update in unwanted:
            self._updates.remove(update)
        return 0.0 if unwanted else due

    async def _deliver(self, hook: Webhook, key: tuple[str, int], update: JSON) -> None:
        """One POST; a 2xx takes the update off the queue, anything else schedules a retry."""
        if self._hook_session is None:
            self._hook_session = aiohttp.ClientSession()
        headers = {"Content-Type": "application/json"}
        if hook.secret:
            headers["X-Telegram-Bot-Api-Secret-Token"] = hook.secret
        self.stats.webhook_attempts += 1
        error = ""
        retry_after = 0
        try:
            async with self._hook_session.post(
                hook.url,
                data=json.dumps(update, separators=(",", ":")),
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=self.webhook_timeout),
            ) as response:
                await response.read()
                if not 200 <= response.status <= 299:
                    error = f"Wrong response from the webhook: {response.status} {response.reason}"
                    header = response.headers.get("Retry-After", "")
                    retry_after = min(int(header), 3600) if header.isdigit() else 0
        except TimeoutError:
            error = "Read timeout expired"
        except aiohttp.ClientConnectorError as exc:
            refused = isinstance(exc.os_error, ConnectionRefusedError)
            error = "Connection refused" if refused else "Can't connect to the webhook"
        except aiohttp.ClientError:
            error = "Webhook connection closed"
        finally:
            self._hook_busy.pop(key, None)
        if error:
            self._delivery_failed(hook, update["update_id"], error, retry_after)
        else:
            self.stats.webhook_delivered += 1
            hook.last_success = asyncio.get_running_loop().time()
            self._hook_retries.pop(update["update_id"], None)
            with contextlib.suppress(ValueError):  # dropped meanwhile
                self._updates.remove(update)
        self._hook_wake.set()
        wake(self._outbox_waiters)  # wait_until() re-checks webhook_info() and stats

    def _delivery_failed(self, hook: Webhook, update_id: int, error: str, retry_after: int) -> None:
        """Telegram's schedule: at once, then doubling; a Retry-After answer wins."""
        self.stats.webhook_failures += 1
        if hook is not self._hook:
            return  # the webhook changed meanwhile; the new one starts afresh
        hook.last_error_date = int(time.time())
        hook.last_error_message = error
        failures, _ = self._hook_retries.get(update_id, (0, 0.0))
        if retry_after:
            delay = float(retry_after)
        elif failures == 0:
            delay = 0.0
        else:
            delay = min(self.webhook_retry_max, self.webhook_retry_min * 2 ** (failures - 1))
        now = asyncio.get_running_loop().time()
        self._hook_retries[update_id] = (failures + 1, now + delay)

    async def _stop_webhooks(self) -> None:
        """Cancel the pusher and the requests in flight, close the HTTP client."""
        tasks = [*self._hook_tasks, *([self._hook_task] if self._hook_task else [])]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._hook_task = None
        if self._hook_session is not None:
            await self._hook_session.close()
            self._hook_session = None
