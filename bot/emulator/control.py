"""The JSON mirror of the driver API under /_emu/, for a driver in another process.

Why: the sandbox and the crash benchmarks run the bot in a separate process and play users
through HTTP.
"""

from __future__ import annotations

import base64
import contextlib
import json
from typing import Any

from aiohttp import web

from .wire import json_response, jsonable


class ControlMixin:
    """POST /_emu/{action}, GET /_emu/outbox, /_emu/messages, /_emu/stats."""

    _CONTROL_ACTIONS = (
        "users",
        "groups",
        "send_text",
        "press",
        "press_button",
        "send_contact",
        "send_document",
        "send_photo",
        "send_voice",
        "send_audio",
        "send_video",
        "send_video_note",
        "send_sticker",
        "send_location",
        "send_album",
        "add_bot",
        "remove_bot",
        "set_member",
        "bot_status",
        "post_to_channel",
        "migrate_group",
        "rename_group",
        "tap",
        "block",
        "unblock",
        "delete_user",
        "inject_update",
        "limits",
        "force_429",
        "lift_bans",
        "force_bad_gateway",
        "webhook_info",
        "webhook_timing",
    )

    async def _handle_control(self, request: web.Request) -> web.Response:
        """``POST /_emu/{action}``: JSON kwargs in, the Python API's result out."""
        action = request.match_info["action"]
        if action not in self._CONTROL_ACTIONS:
            return json_response({"ok": False, "description": f"unknown action {action}"}, 404)
        try:
            body = json.loads(await request.read() or b"{}")
            if not isinstance(body, dict):
                raise TypeError("the body must be a JSON object")
            if action == "inject_update":
                result: Any = self.inject_update(body)
            else:
                if "content_b64" in body:  # send_document, send_photo, send_voice... over JSON
                    body["content"] = base64.b64decode(body.pop("content_b64"))
                if "photos_b64" in body:  # send_album
                    body["photos"] = [base64.b64decode(p) for p in body.pop("photos_b64")]
                if action == "press_button" and "label" in body:
                    body["label_or_index"] = body.pop("label")
                name = {
                    "users": "add_user",
                    "groups": "add_group",
                    "limits": "set_limits",
                    "webhook_timing": "set_webhook_timing",
                }
                result = getattr(self, name.get(action, action))(**body)
        except LookupError as exc:
            return json_response({"ok": False, "description": str(exc)}, 404)
        except (TypeError, ValueError) as exc:
            return json_response({"ok": False, "description": str(exc)}, 400)
        return json_response({"ok": True, "result": jsonable(result)})

    async def _handle_outbox(self, request: web.Request) -> web.Response:
        """``GET /_emu/outbox?since=N[&timeout=S]``: records from seq N, optionally waiting."""
        try:
            since = int(request.query.get("since", 0))
            timeout = min(float(request.query.get("timeout", 0)), 60.0)
        except ValueError:
            return json_response({"ok": False, "description": "bad since/timeout"}, 400)
        if timeout > 0:
            with contextlib.suppress(TimeoutError):
                await self.wait_until(lambda: len(self.outbox) > since, timeout)
        records = [rec.to_dict() for rec in self.outbox[since:]]
        return json_response({"ok": True, "result": records, "next": len(self.outbox)})

    async def _handle_messages(self, request: web.Request) -> web.Response:
        """``GET /_emu/messages?chat_id=N``: current state of the bot's messages in a chat."""
        try:
            chat_id = int(request.query["chat_id"])
        except (KeyError, ValueError):
            return json_response({"ok": False, "description": "chat_id required"}, 400)
        records = [rec.to_dict() for rec in self.messages(chat_id)]
        return json_response({"ok": True, "result": records})

    async def _handle_stats(self, request: web.Request) -> web.Response:
        result = {**self.stats.to_dict(), "limits": self.limits(), "outbox": len(self.outbox)}
        return json_response({"ok": True, "result": result})
