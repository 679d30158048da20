"""The event loop Loa's processes run on: uvloop where it is installed (Linux and macOS; it
is one of Loa's dependencies there), asyncio's own elsewhere. The same asyncio underneath
everything; a worker spends about a seventh less CPU per update on it (bench/RESULTS.md)."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def run(main: Coroutine[Any, Any, T]) -> T:
    try:
        import uvloop
    except ImportError:  # Windows
        return asyncio.run(main)
    return uvloop.run(main)
