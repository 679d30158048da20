"""One export, from the choice to the file: the tables of what was asked (models/exports.py),
written as .xlsx or CSV (bot/sheets.py) to a file on disk. Shared by /export in chat and
`loa export` on the office computer, so both give the same file."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import date
from pathlib import Path

from bot.db import Database
from bot.i18n import Translator
from bot.sheets import Progress, write_csv, write_xlsx
from models.exports import (
    broadcast_table,
    pledges_table,
    reports_table,
    totals_tables,
    upward_table,
)
from models.tables import Table
from models.users import Actor

WHAT = ("pledges", "totals", "reports", "broadcast", "upward")
FORMATS = ("xlsx", "csv")
#: A CSV file holds one table: for the totals, the one row per area (a pivot table's input);
#: the summary sheet is in the workbook only.
CSV_TABLE = {"totals": 1}


def tables(db: Database, actor: Actor, what: str, item_id: int, today: date,
           area_code: str | None = None) -> list[Table]:
    """The tables of an export, once the actor's right to it is checked (AccessDenied,
    LookupError, NotInside otherwise)."""
    makers: dict[str, Callable[[], list[Table]]] = {
        "pledges": lambda: [pledges_table(db.session, actor, item_id, area_code)],
        "totals": lambda: totals_tables(db.session, actor, item_id, area_code),
        "reports": lambda: [reports_table(db.session, actor, item_id)],
        "broadcast": lambda: [broadcast_table(db.session, actor, item_id)],
        "upward": lambda: [upward_table(db.session, actor, item_id, today)],
    }
    return makers[what]()


def expected_rows(found: list[Table]) -> int:
    return sum(t.total or 0 for t in found)


def write(path: Path, found: list[Table], what: str, fmt: str, _: Translator,
          progress: Progress | None = None) -> int:
    """Write the file whole or not at all: into a neighbour first, renamed when complete."""
    if fmt not in FORMATS:
        raise ValueError(fmt)
    part = path.with_name(path.name + ".part")
    try:
        if fmt == "xlsx":
            rows = write_xlsx(part, found, _, progress)
        else:
            with part.open("w", encoding="utf-8-sig", newline="") as fh:
                rows = write_csv(fh, found[CSV_TABLE.get(what, 0)], _, progress)
        os.replace(part, path)
    finally:
        part.unlink(missing_ok=True)
    return rows


def filename(name: str, what: str, fmt: str, today: date) -> str:
    """loa-TT26-pledges-2026-12-03.xlsx: what it is and when, sortable in a folder."""
    safe = "".join(ch for ch in name if ch.isascii() and (ch.isalnum() or ch in "-_"))
    return f"loa-{safe or 'export'}-{what}-{today.isoformat()}.{fmt}"
