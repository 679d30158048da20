"""Files: uploads by the bot, files sent by played users, getFile and downloads.

Why: the bot downloads what people send (letters, report photos) and reuses file ids; both
must work over real HTTP, with Telegram's 20 MB getFile limit.
"""

from __future__ import annotations

import hashlib
import secrets
import struct
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from .protocol import JSON, bad
from .records import StoredFile, Upload

MAX_DOWNLOAD = 20 * 1024 * 1024  # getFile refuses bigger files, as Telegram does


FILE_FOLDERS = {
    "document": "documents",
    "photo": "photos",
    "audio": "music",
    "video": "videos",
    "voice": "voice",
    "animation": "animations",
    "sticker": "stickers",
    "video_note": "video_notes",
}


def image_size(data: bytes) -> tuple[int, int]:
    """Width/height of a PNG, GIF or JPEG, so returned PhotoSizes look plausible."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        return struct.unpack(">II", data[16:24])
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        return struct.unpack("<HH", data[6:10])
    if data[:2] == b"\xff\xd8":
        i = 2
        while i + 9 < len(data):
            if data[i] != 0xFF:
                i += 1
                continue
            marker = data[i + 1]
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                height, width = struct.unpack(">HH", data[i + 5 : i + 9])
                return width, height
            if marker == 0xFF or marker == 0x01 or 0xD0 <= marker <= 0xD9:
                i += 2 if marker != 0xFF else 1
                continue
            i += 2 + struct.unpack(">H", data[i + 2 : i + 4])[0]
    return 1, 1


class FilesMixin:
    """Storing and resolving files; the Telegram objects (Document, PhotoSize...) for them."""

    def _store_file(
        self,
        kind: str,
        content: bytes,
        file_name: str | None,
        mime_type: str | None,
        duration: int = 0,
    ) -> StoredFile:
        n = next(self._counter)
        file_id = f"{kind[:3].upper()}{n}-{secrets.token_hex(6)}"
        unique = "AQAD" + hashlib.sha1(content).hexdigest()[:16]
        suffix = PurePosixPath(file_name).suffix if file_name else ""
        if kind == "photo":
            suffix = ".jpg"
        path = f"{FILE_FOLDERS.get(kind, 'documents')}/file_{n}{suffix}"
        width, height = image_size(content) if kind == "photo" else (0, 0)
        stored = StoredFile(
            file_id, unique, kind, content, path, file_name, mime_type, width, height, duration
        )
        self._files[file_id] = stored
        self._files_by_path[path] = stored
        return stored

    def _resolve_file(
        self,
        kind: str,
        value: Any,
        files: dict[str, Upload],
        default_part: str | None,
        duration: Any = 0,
    ) -> StoredFile:
        """An upload (field or attach://), a known file_id to reuse, or an HTTP URL."""
        upload = None
        if isinstance(value, str) and value.startswith("attach://"):
            upload = files.get(value[len("attach://") :])
            if upload is None:
                raise bad(f"file {value} not found in the request")
        elif value is None or value == "":
            upload = files.get(default_part) if default_part else None
            if upload is None:
                raise bad(f"there is no {kind} in the request")
        elif isinstance(value, str) and value.startswith(("http://", "https://")):
            name = PurePosixPath(urlsplit(value).path).name or None
            return self._store_file(kind, b"", name, None)
        else:
            stored = self._files.get(str(value))
            if stored is None:
                raise bad("wrong file identifier/HTTP URL specified")
            return stored
        if not upload.data:
            raise bad("file must be non-empty")
        seconds = min(max(duration, 0), 86400) if isinstance(duration, int) else 0
        return self._store_file(kind, upload.data, upload.filename, upload.content_type, seconds)

    @staticmethod
    def _media_object(f: StoredFile) -> Any:
        """The Telegram object for a file, with the fields PTB's de_json requires."""
        base = {"file_id": f.file_id, "file_unique_id": f.file_unique_id, "file_size": f.file_size}
        if f.kind == "photo":
            return [{**base, "width": f.width, "height": f.height}]
        named = {**base, "file_name": f.file_name, "mime_type": f.mime_type}
        named = {k: v for k, v in named.items() if v is not None}
        seconds = f.duration
        extra: dict[str, JSON] = {
            "audio": {"duration": seconds},
            "video": {"duration": seconds, "width": 640, "height": 360},
            "animation": {"duration": seconds, "width": 320, "height": 240},
            "voice": {"duration": seconds, **({"mime_type": f.mime_type} if f.mime_type else {})},
            "video_note": {"duration": seconds, "length": 240},
            "sticker": {
                "width": 512,
                "height": 512,
                "is_animated": False,
                "is_video": False,
                "type": "regular",
            },
        }
        if f.kind in ("voice", "video_note", "sticker"):
            return {**base, **extra[f.kind]}
        return {**named, **extra.get(f.kind, {})}

    def _get_file(self, p: JSON, files: dict[str, Upload]) -> JSON:
        stored = self._files.get(str(p.get("file_id", "")))
        if stored is None:
            raise bad("invalid file_id")
        if stored.file_size > MAX_DOWNLOAD:
            raise bad("file is too big")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.file_size,
            "file_path": stored.file_path,
        }

    def file_bytes(self, file_id: str) -> bytes:
        """Content of a file the bot uploaded or a played user sent."""
        try:
            return self._files[file_id].content
        except KeyError:
            raise LookupError(f"no file with file_id {file_id!r}") from None
