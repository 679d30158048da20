"""Logging with levels, and never the token nor a phone number: both are cut out of every
line, whoever logs it (python-telegram-bot logs whole updates, shared contacts included, at
DEBUG). Database errors carry no parameter values either (the engines hide them)."""

from __future__ import annotations

import logging
import re
import sys

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# +84 909 123 456, 84909123456, 0909.123.456; and whatever a "phone" field holds
PHONE = re.compile(r"(?:\+|\b)84[ .]?[1-9](?:[ .]?\d){8}\b|(?<![\d.])0[1-9](?:[ .]?\d){8}\b"
                   r"|(['\"]phone(?:_number)?['\"]:\s*['\"])[^'\"]*")


class RedactingFormatter(logging.Formatter):
    def __init__(self, secrets: list[str]):
        super().__init__(FORMAT)
        self.secrets = [s for s in secrets if s]

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        for secret in self.secrets:
            text = text.replace(secret, "<token>")
        return PHONE.sub(lambda m: (m.group(1) or "") + "<phone>", text)


def setup_logging(level: str, token: str | None, stream=None) -> logging.Handler:
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(RedactingFormatter([token] if token else []))
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
