"""Outages: answers that are not the Bot API's at all, like a proxy's bare 502.

Why: in production a request can meet a gateway error with an empty or HTML body instead of
Telegram's JSON envelope; the delivery engine's workers must survive that, and tests need a way
to make it happen on demand.
"""

from __future__ import annotations

from aiohttp import web


class OutagesMixin:
    """The next N Bot API requests answered 502 Bad Gateway with an empty body."""

    def force_bad_gateway(self, times: int = 1, methods: list[str] | None = None) -> None:
        """Answer the next ``times`` Bot API requests with a bare HTTP 502 and an empty body.

        ``methods`` (e.g. ``["sendMessage"]``, any case) limits it to those methods, so a
        polling bot's getUpdates does not use up the failures meant for its sends.
        """
        self._bad_gateways_left = max(0, times)
        self._bad_gateway_methods = {m.lower() for m in methods} if methods else None

    def _take_bad_gateway(self, method: str) -> web.Response | None:
        """A bare 502 when one is due for this method; counted in ``stats.bad_gateways``."""
        if self._bad_gateways_left <= 0:
            return None
        if (
            self._bad_gateway_methods is not None
            and method.lower() not in self._bad_gateway_methods
        ):
            return None
        self._bad_gateways_left -= 1
        self.stats.bad_gateways += 1
        return web.Response(status=502, body=b"")
