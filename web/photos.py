"""Thumbnails of finished houses' photos, for the public page.

Why here: the photos are Telegram file ids in the support ledger, reachable only with the bot's
token. The page names a photo by a hash of its file id (the id and the token never leave the
server); the first reader's request fetches it once (getFile, then the file's download URL),
shrinks it to a small JPEG and keeps it on disk under a size cap, oldest out first.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import logging
import re
import tempfile
import time
from pathlib import Path

import aiohttp
from PIL import Image
from sqlalchemy.engine import make_url

from bot.config import Config

log = logging.getLogger(__name__)

SIZE = 320  # px, the longer side of a thumbnail
KEY = re.compile(r"^[0-9a-f]{24}$")
TIMEOUT = aiohttp.ClientTimeout(total=30)
RETRY_AFTER = 600  # seconds before a photo Telegram would not give is asked for again


def photo_key(file_id: str) -> str:
    """The public name of a photo: says nothing of the file id it stands for."""
    return hashlib.sha256(b"loa-photo:" + file_id.encode()).hexdigest()[:24]


def photos_folder(config: Config) -> Path:
    """web.photos_dir, else beside the SQLite database, else the system's temporary folder."""
    if config.web_photos_dir is not None:
        return config.web_photos_dir
    url = make_url(config.database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return Path(url.database).parent / "web-photos"
    return Path(tempfile.gettempdir()) / "loa-web-photos"


def thumbnail(data: bytes) -> bytes:
    """A JPEG at most SIZE px on its longer side."""
    with Image.open(io.BytesIO(data)) as image:
        image = image.convert("RGB")
        image.thumbnail((SIZE, SIZE))
        out = io.BytesIO()
        image.save(out, "JPEG", quality=75, optimize=True)
        return out.getvalue()


class PhotoStore:
    """Fetches, shrinks and keeps thumbnails; None from `get` when Telegram cannot give one."""

    def __init__(self, token: str, api_url: str, folder: Path, max_bytes: int):
        self._token, self.api_url, self.folder, self.max_bytes = token, api_url, folder, max_bytes
        self.locks: dict[str, asyncio.Lock] = {}
        self.failed: dict[str, float] = {}  # key → when Telegram last failed to give it
        self.fetches = 0

    @classmethod
    def of(cls, config: Config) -> PhotoStore | None:
        """None without a token (`loa web` with only a database): no photos are shown."""
        if not config.token:
            return None
        return cls(config.token, config.api_url, photos_folder(config), config.web_photos_max)

    def __repr__(self) -> str:  # never the token
        return f"PhotoStore({str(self.folder)!r})"

    async def get(self, key: str, file_id: str) -> bytes | None:
        path = self.folder / f"{key}.jpg"
        if path.is_file():
            return path.read_bytes()
        if time.monotonic() - self.failed.get(key, -RETRY_AFTER) < RETRY_AFTER:
            return None  # readers of a broken photo do not each knock at Telegram's door
        lock = self.locks.setdefault(key, asyncio.Lock())
        async with lock:  # readers arriving together wait for one download
            if path.is_file():
                return path.read_bytes()
            try:
                data = await asyncio.to_thread(thumbnail, await self._download(file_id))
            except Exception as exc:  # its message may hold the URL, so the token: not logged
                log.warning("photo %s could not be fetched: %s", key, type(exc).__name__)
                self.failed[key] = time.monotonic()
                return None
            finally:
                self.locks.pop(key, None)
            await asyncio.to_thread(self._keep, path, data)
            return data

    async def _download(self, file_id: str) -> bytes:
        self.fetches += 1
        async with aiohttp.ClientSession(timeout=TIMEOUT) as http:
            async with http.post(f"{self.api_url}/bot{self._token}/getFile",
                                 json={"file_id": file_id}) as answer:
                found = await answer.json()
            if not found.get("ok"):
                raise LookupError("getFile refused")
            file_path = found["result"]["file_path"]
            async with http.get(f"{self.api_url}/file/bot{self._token}/{file_path}") as answer:
                answer.raise_for_status()
                return await answer.read()

    def _keep(self, path: Path, data: bytes) -> None:
        """Write the thumbnail, then drop the oldest ones while the folder is over its cap."""
        self.folder.mkdir(parents=True, exist_ok=True)
        part = path.with_suffix(".part")
        part.write_bytes(data)
        part.replace(path)
        kept = sorted(self.folder.glob("*.jpg"), key=lambda p: p.stat().st_mtime)
        total = sum(p.stat().st_size for p in kept)
        for old in kept:
            if total <= self.max_bytes or old == path:
                break
            total -= old.stat().st_size
            old.unlink(missing_ok=True)
