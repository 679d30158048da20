"""Rows to import from a CSV file (areas, households): the header checked, each row's problems
collected with its line, nothing returned unless every row is good (all or nothing)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Sequence

CODE_PATTERN = re.compile(r"^[A-Za-z0-9._-]{1,32}$")


class RowsRefused(Exception):
    """The file was refused as a whole; errors are (line number, what is wrong)."""

    def __init__(self, errors: list[tuple[int, str]]):
        super().__init__("; ".join(f"line {line}: {msg}" for line, msg in errors))
        self.errors = errors


def read_rows(text: str, columns: Sequence[str], check: Callable[[dict[str, str]], str | None],
              refuse: type[RowsRefused], optional: Sequence[str] = ()
              ) -> list[tuple[int, dict[str, str]]]:
    """(line, values) of every non-empty row, whose first column is a code used once and
    passes `check`; `refuse` raised with every problem otherwise."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in columns if c not in header]
    if missing:
        extra = f"[,{','.join(optional)}]" if optional else ""
        raise refuse([(1, f"missing column(s) {', '.join(missing)}; "
                          f"the header must be {','.join(columns)}{extra}")])
    reader.fieldnames = header
    rows, errors, seen = [], [], {}
    for record in reader:
        line = reader.line_num
        if None in record:
            errors.append((line, "too many fields"))
            continue
        values = {c: (record.get(c) or "").strip() for c in (*columns, *optional)}
        if not any(values.values()):
            continue
        code = values[columns[0]]
        problem = (f"code {code!r} must be 1-32 letters, digits, '.', '_' or '-'"
                   if not CODE_PATTERN.match(code) else
                   f"code {code!r} already used on line {seen[code]}" if code in seen
                   else check(values))
        if problem:
            errors.append((line, problem))
            continue
        seen[code] = line
        rows.append((line, values))
    if errors:
        raise refuse(errors)
    return rows
