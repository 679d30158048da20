"""Logging with levels, and never the token nor a phone number: both are cut out of every
line, whoever logs it (python-telegram-bot logs whole updates, shared contacts included, at
DEBUG). Database errors carry no parameter values either (the engines hide them)."""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# +84 909 123 456, 84909123456, 0909.123.456; and whatever a "phone" field holds
PHONE = re.compile(r"(?:\+|\b)84[ .]?[1-9](?:[ .]?\d){8}\b|(?<![\d.])0[1-9](?:[ .]?\d){8}\b"
                   r"|(['\"]phone(?:_number)?['\"]:\s*['\"])[^'\"]*")


class RedactingFormatter(logging.Formatter):
    """A line of text, or with `json_lines` one JSON object a line (time, level, logger,
    message, exception) for a log collector; redacted either way."""

    def __init__(self, secrets: list[str], json_lines: bool = False):
        super().__init__(FORMAT)
        self.secrets = [s for s in secrets if s]
        self.json_lines = json_lines

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "<token>")
        return PHONE.sub(lambda m: (m.group(1) or "") + "<phone>", text)

    def format(self, record: logging.LogRecord) -> str:
        if not self.json_lines:
            return self.redact(super().format(record))
        line = {"time": datetime.fromtimestamp(record.created, UTC).isoformat(),
                "level": record.levelname, "logger": record.name,
                "message": self.redact(record.getMessage())}
        if record.exc_info:
            line["exception"] = self.redact(self.formatException(record.exc_info))
        return json.dumps(line, ensure_ascii=False)


def setup_logging(level: str, token: str | None, stream=None,
                  json_lines: bool = False) -> logging.Handler:
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(RedactingFormatter([token] if token else [], json_lines))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # httpx logs every request URL, which holds the token: keep it to warnings (still redacted).
    logging.getLogger("httpx").setLevel(max(logging.WARNING, logging.getLevelName(level)))
    for quiet in ("apscheduler", "alembic"):
        logging.getLogger(quiet).setLevel(max(logging.WARNING, logging.getLevelName(level)))
    return handler
