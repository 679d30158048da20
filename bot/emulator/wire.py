"""The request and response encoding of the Bot API.

Why: PTB sends form fields, multipart uploads or JSON; the emulator must read all of them the
way Telegram does (numbers and objects arrive as strings) and answer compact JSON.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import BodyPartReader, web

from .protocol import JSON, bad
from .records import SentMessage, Upload

_RAW_FIELDS = frozenset(
    {
        "text", "caption", "message_text", "question", "explanation", "title", "description",
        "short_description", "name", "first_name", "last_name", "phone_number", "vcard",
        "address", "url", "emoji", "callback_query_id", "inline_query_id", "parse_mode",
        "caption_parse_mode", "language_code", "file_id", "secret_token", "document", "photo",
        "audio", "video", "voice", "animation", "video_note", "sticker", "thumbnail",
        "business_connection_id", "data", "query", "custom_title", "inline_message_id",
    }
)  # fmt: skip


_INT_FIELDS = frozenset(
    {
        "chat_id", "message_id", "from_chat_id", "offset", "limit", "timeout", "user_id",
        "message_thread_id", "reply_to_message_id", "cache_time", "duration", "width", "height",
    }
)  # fmt: skip


def decode_params(raw: dict[str, Any]) -> JSON:
    """Undo PTB's form encoding: JSON strings for nested objects, strings for numbers/bools."""
    out: JSON = {}
    for key, value in raw.items():
        if isinstance(value, str) and value and key not in _RAW_FIELDS:
            if key in _INT_FIELDS:
                if value.lstrip("-").isdigit():
                    value = int(value)
            elif value[0] in "{[":
                with contextlib.suppress(ValueError):
                    value = json.loads(value)
            elif value in ("true", "false"):
                value = value == "true"
        out[key] = value
    return out


def json_response(payload: Any, status: int = 200) -> web.Response:
    body = json.dumps(payload, separators=(",", ":")).encode()
    return web.Response(body=body, status=status, content_type="application/json")


def jsonable(value: Any) -> Any:
    if isinstance(value, SentMessage):
        return value.to_dict()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, list):
        return [jsonable(v) for v in value]
    return value


async def read_params(request: web.Request) -> tuple[JSON, dict[str, Upload]]:
    """Collect query string + body (form, multipart or JSON) into one decoded dict."""
    raw: dict[str, Any] = dict(request.query) if request.query_string else {}
    files: dict[str, Upload] = {}
    if request.body_exists:
        ctype = request.content_type
        if ctype == "multipart/form-data":
            reader = await request.multipart()
            while (part := await reader.next()) is not None:
                if not isinstance(part, BodyPartReader) or part.name is None:
                    continue
                if part.filename is not None:
                    data = bytes(await part.read(decode=True))
                    files[part.name] = Upload(part.filename, part.headers.get("Content-Type"), data)
                else:
                    raw[part.name] = await part.text()
        elif ctype == "application/json":
            try:
                body = json.loads(await request.read() or b"{}")
            except ValueError as exc:
                raise bad("can't parse JSON object") from exc
            if not isinstance(body, dict):
                raise bad("can't parse JSON object")
            raw.update(body)
        else:
            body_text = (await request.read()).decode("utf-8", "replace")
            raw.update(parse_qsl(body_text, keep_blank_values=True))
    return decode_params(raw), files
