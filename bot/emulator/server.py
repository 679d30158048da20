"""The HTTP server and the Bot API router.

Why: the unchanged bot talks HTTP to the emulator, so form encoding, uploads and error mapping
are exercised as in production.
"""

from __future__ import annotations

import functools
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .protocol import ApiError
from .waiters import wake
from .wire import json_response, read_params

if TYPE_CHECKING:
    from .core import Emulator


@dataclass(slots=True)
class Method:
    name: str  # canonical spelling, used in stats
    fn: Callable[..., Any]
    sends: bool = False  # a flood-limited send: fn(params, files, chat)


MEDIA_METHODS = {
    "senddocument": "document",
    "sendphoto": "photo",
    "sendaudio": "audio",
    "sendvideo": "video",
    "sendvoice": "voice",
    "sendanimation": "animation",
    "sendsticker": "sticker",
    "sendvideonote": "video_note",
}


class ServerMixin:
    """Listening, routing /bot{token}/{method} and file downloads."""

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> Emulator:
        """Listen on host:port (0 picks a free port, stored in ``self.port``)."""
        self._closing = False
        app = web.Application(client_max_size=64 * 1024 * 1024)
        router = app.router
        router.add_route("*", "/bot{token}/{method}", self._handle_api)
        router.add_get("/file/bot{token}/{file_path:.*}", self._handle_file)
        router.add_get("/_emu/outbox", self._handle_outbox)
        router.add_get("/_emu/messages", self._handle_messages)
        router.add_get("/_emu/stats", self._handle_stats)
        router.add_post("/_emu/{action}", self._handle_control)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        self.host = "127.0.0.1" if host in ("", "0.0.0.0") else host
        self.port = self._runner.addresses[0][1]
        return self

    async def stop(self) -> None:
        """Release long polls and waiters first so shutdown does not hang on them."""
        self._closing = True
        wake(self._update_waiters)
        wake(self._outbox_waiters)
        await self._stop_webhooks()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Emulator:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def api_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.api_url}/bot"

    @property
    def base_file_url(self) -> str:
        return f"{self.api_url}/file/bot"

    async def _handle_api(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return json_response(ApiError(401, "Unauthorized").payload(), 401)
        name = request.match_info["method"]
        key = name.lower()
        outage = self._take_bad_gateway(key)
        if outage is not None:
            return outage
        method = self._methods.get(key)
        if method is None and key.startswith("send") and key != "sendchataction":
            method = Method(name, functools.partial(self._send_other, name), sends=True)
        self.stats.calls[method.name if method else name] += 1
        try:
            params, files = await read_params(request)
        except ConnectionError:  # the client went away mid-body (a bot shutting down)
            return web.Response(status=400)
        except ApiError as error:
            return json_response(error.payload(), error.code)
        try:
            if method is None:
                result: Any = True
            elif key == "getupdates":
                result = await self._get_updates(params)
            elif method.sends:
                result = self._send(method, params, files)
            else:
                result = method.fn(params, files)
        except ApiError as error:
            if error.code == 403:
                self.stats.forbidden += 1
            elif error.code == 429:
                self.stats.too_many_requests += 1
            elif error.code == 400:
                self.stats.bad_requests += 1
            return json_response(error.payload(), error.code)
        except Exception as exc:  # an emulator bug: make it loud, not a silent hang
            self.internal_errors.append(traceback.format_exc())
            error = ApiError(500, f"Internal Server Error: emulator failed: {exc!r}")
            return json_response(error.payload(), 500)
        finally:
            if self._outbox_waiters:
                wake(self._outbox_waiters)
        return json_response({"ok": True, "result": result})

    async def _handle_file(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return json_response(ApiError(401, "Unauthorized").payload(), 401)
        stored = self._files_by_path.get(request.match_info["file_path"])
        if stored is None:
            return json_response(ApiError(404, "Not Found").payload(), 404)
        return web.Response(
            body=stored.content, content_type=stored.mime_type or "application/octet-stream"
        )

    def _method_table(self) -> dict[str, Method]:
        sends = {
            "sendMessage": self._send_message,
            "sendMediaGroup": self._send_media_group,
            "copyMessage": self._copy_message,
            "copyMessages": self._copy_messages,
            "forwardMessage": self._forward_message,
            "editMessageText": self._edit_message_text,
            "editMessageCaption": self._edit_message_caption,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
        }
        plain = {
            "getMe": lambda p, f: {
                **self.bot_user,
                "can_join_groups": True,
                "can_read_all_group_messages": not self.group_privacy,
                "supports_inline_queries": False,
                "can_connect_to_business": False,
                "has_main_web_app": False,
            },
            "getUpdates": None,  # async, special-cased in _handle_api
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": lambda p, f: self.webhook_info(),
            "deleteMessage": self._delete_message,
            "deleteMessages": self._delete_messages,
            "answerCallbackQuery": self._answer_callback_query,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": lambda p, f: list(self._commands.get(self._commands_key(p), [])),
            "deleteMyCommands": self._delete_my_commands,
            "getFile": self._get_file,
            "getChat": self._get_chat,
            "getChatMember": self._get_chat_member,
            "leaveChat": self._leave_chat,
        }
        table = {name.lower(): Method(name, fn, sends=True) for name, fn in sends.items()}
        table.update({name.lower(): Method(name, fn) for name, fn in plain.items()})
        for key, kind in MEDIA_METHODS.items():
            name = "send" + kind.title().replace("_", "")
            table[key] = Method(name, self._media_sender(name, kind), sends=True)
        return table
