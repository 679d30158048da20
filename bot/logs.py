"""Logging with levels, and never the token: it is cut out of every line, whoever logs it."""

from __future__ import annotations

import logging
import sys

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class RedactingFormatter(logging.Formatter):
    def __init__(self, secrets: list[str]):
        super().__init__(FORMAT)
        self.secrets = [s for s in secrets if s]

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        for secret in self.secrets:
            text = text.replace(secret, "<token>")
        return text


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
