"""Command menus: setMyCommands/getMyCommands/deleteMyCommands per scope and language.

Why: Loa sets a menu per language and per person's role; tests read what was set.
"""

from __future__ import annotations

import json
import re
from typing import Any

from .protocol import JSON, bad
from .records import Upload

_BOT_COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")
_LANGUAGE_RE = re.compile(r"^[a-z]{2}$")


class CommandsMixin:
    """Command lists keyed by (canonical scope, language)."""

    @staticmethod
    def _scope_key(scope: Any) -> str:
        """Canonical JSON of a BotCommandScope, so equal scopes share one command list."""
        if not isinstance(scope, dict) or not scope:
            scope = {"type": "default"}
        scope = dict(scope)
        for key in ("chat_id", "user_id"):
            value = scope.get(key)
            if isinstance(value, str) and value.lstrip("-").isdigit():
                scope[key] = int(value)
        return json.dumps(scope, sort_keys=True, separators=(",", ":"))

    def _commands_key(self, p: JSON) -> tuple[str, str]:
        language = str(p.get("language_code") or "")
        if language and not _LANGUAGE_RE.match(language):  # ISO 639-1 only, as Telegram
            raise bad("invalid language code specified")
        return self._scope_key(p.get("scope")), language

    def _set_my_commands(self, p: JSON, files: dict[str, Upload]) -> bool:
        commands = p.get("commands")
        if not isinstance(commands, list):
            raise bad("can't parse commands JSON object")
        for command in commands:
            if not isinstance(command, dict) or not _BOT_COMMAND_RE.match(
                str(command.get("command", ""))
            ):
                raise bad("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise bad("BOT_COMMAND_DESCRIPTION_INVALID")
        self._commands[self._commands_key(p)] = commands
        return True

    def _delete_my_commands(self, p: JSON, files: dict[str, Upload]) -> bool:
        self._commands.pop(self._commands_key(p), None)
        return True

    def commands(self, scope: JSON | None = None, language_code: str = "") -> list[JSON]:
        """What setMyCommands stored for that scope (None = default) and language."""
        return list(self._commands.get((self._scope_key(scope), language_code), []))
