"""What an export is before it becomes a file: a titled table of typed columns and its rows.

The domain (models/exports.py) says what each column holds; bot/sheets.py decides how each kind
is written (.xlsx or CSV). Headers and the labels of coded values are gettext message ids, so
a table is translated only when it is written, in the reader's language.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

TEXT, INTEGER, MONEY, DATE, DATETIME = "text", "integer", "money", "date", "datetime"
KINDS = (TEXT, INTEGER, MONEY, DATE, DATETIME)


@dataclass(frozen=True)
class Phrase:
    """Words with values in them ("Reporting unit: {unit}"), translated when written: a
    title line, a header naming an item target, the totals row's label. Dates in the values
    are written the reader's way."""

    message: str  # a message id (N_)
    values: Mapping[str, Any] = field(default_factory=dict)

    def render(self, _: Callable[..., str], day: Callable[[date], str]) -> str:
        return _(self.message, **{k: day(v) if isinstance(v, date) else v
                                  for k, v in self.values.items()})


@dataclass(frozen=True)
class Column:
    header: str | Phrase  # a message id (N_), or the words themselves when `translate` is False
    kind: str = TEXT
    translate: bool = True
    labels: Mapping[str, str] | None = None  # coded value → message id ("received" → …)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown column kind {self.kind!r}")


@dataclass
class Table:
    """A sheet of a workbook, or a CSV file: `above` lines (a title, the unit, a date) over
    the header row, then the rows, read once, as they come (they may be streamed)."""

    title: str
    columns: Sequence[Column]
    rows: Iterable[Sequence[Any]]
    total: int | None = None  # how many rows to expect, for a progress bar
    above: Sequence[str | Phrase] = field(default_factory=tuple)
    totals_last: bool = False  # the last row is the totals ("Tổng cộng"), set in bold; rows
    # then come as a list
