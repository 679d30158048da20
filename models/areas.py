"""Administrative areas: a tree of any depth that each deployment loads from CSV.

Before the 2025 reform: province → district → commune/town → village; since then province →
commune/ward → village. Nothing here assumes a number of levels. Each area keeps a materialised
path of ids ("/1/5/23/") so "is this area inside that officer's scope" is one string test.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from sqlmodel import Field, Session, SQLModel, col, func, select

import models.base  # noqa: F401  (constraint naming convention before any table)
from models.csvrows import RowsRefused, read_rows
from models.wording import N_

COLUMNS = ("code", "name", "level", "parent_code")


class Area(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True)
    name: str = Field(max_length=200)
    level: str = Field(max_length=50)
    parent_id: int | None = Field(default=None, foreign_key="area.id", index=True,
                                  ondelete="RESTRICT")
    path: str = Field(default="", max_length=1000, index=True)
    search_name: str = Field(default="", max_length=200, index=True)

    @property
    def depth(self) -> int:
        return self.path.count("/") - 2


def fold(text: str) -> str:
    """Lower-case, strip Vietnamese diacritics and extra spaces: "Thủ  Thừa" → "thu thua"."""
    text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return " ".join(text.lower().split())


#: A village-level area has a head, called after its level (trưởng ấp, trưởng thôn, tổ trưởng
#: tổ dân phố...). Keys are folded level names; a deployment adds its own in config.toml
#: ([areas.head_titles]). A village head may serve only an area of one of these levels.
HEAD_TITLES = {
    "ap": N_("hamlet head (ấp)"),
    "thon": N_("village head (thôn)"),
    "ban": N_("village head (bản)"),
    "lang": N_("village head (làng)"),
    "buon": N_("village head (buôn)"),
    "soc": N_("village head (sóc)"),
    "xom": N_("hamlet head (xóm)"),
    "khom": N_("hamlet head (khóm)"),
    "khu pho": N_("neighbourhood head (khu phố)"),
    "to dan pho": N_("residential group leader (tổ dân phố)"),
}


def is_village_level(area: Area, extra_levels: Iterable[str] = ()) -> bool:
    """Whether the area is a village, hamlet or urban group: where a village head serves."""
    level = fold(area.level)
    return level in HEAD_TITLES or level in extra_levels


# ---- reading the tree -------------------------------------------------------------------------

def get_area(session: Session, area_id: int | None) -> Area | None:
    return session.get(Area, area_id) if area_id is not None else None


def by_code(session: Session, code: str) -> Area | None:
    return session.exec(select(Area).where(Area.code == code)).first()


def child_page(session: Session, parent_id: int | None, offset: int,
               limit: int) -> tuple[list[tuple[Area, bool]], int]:
    """One page of an area's children (roots for None), each with whether it has children."""
    cond = (Area.parent_id == parent_id if parent_id is not None
            else col(Area.parent_id).is_(None))
    total = session.exec(select(func.count()).select_from(Area).where(cond)).one()
    page = list(session.exec(select(Area).where(cond).order_by(Area.search_name, Area.id)
                             .offset(offset).limit(limit)))
    parents = having_children(session, page)
    return [(a, a.id in parents) for a in page], total


def having_children(session: Session, areas: Iterable[Area]) -> set[int]:
    """The ids of those areas that have areas below them."""
    ids = [a.id for a in areas]
    return set(session.exec(select(Area.parent_id).where(col(Area.parent_id).in_(ids))
                            .distinct()))


def is_within(area: Area, scope: Area) -> bool:
    """True when area is scope itself or lies in scope's subtree."""
    return area.path.startswith(scope.path)


def ancestors(session: Session, area: Area) -> list[Area]:
    """The area's chain from the root down to the area itself."""
    ids = [int(part) for part in area.path.strip("/").split("/") if part]
    found = {a.id: a for a in session.exec(select(Area).where(col(Area.id).in_(ids)))}
    return [found[i] for i in ids if i in found]


def formal_name(area: Area) -> str:
    """The name with its level, as a report heads it: "Xã Tân Thành", "Huyện Thủ Thừa";
    "Ấp 1" stays as it is."""
    if fold(area.name).startswith(fold(area.level)):
        return area.name
    level = area.level.strip()
    return f"{level[:1].upper()}{level[1:]} {area.name}" if level else area.name


SHORT = 2  # "Ấp 1, Tân Thành": enough to tell an area apart in a confirmation


def label(session: Session, area: Area, depth: int = 3) -> str:
    """A name that tells areas apart: "Ấp 1, Mỹ An, Thủ Thừa" (nearest first)."""
    chain = ancestors(session, area)
    return ", ".join(a.name for a in reversed(chain[-depth:]))


def short_labels(session: Session, areas: list[Area]) -> list[str]:
    """Names that tell these areas apart, shortest first: an area's own name where it is
    unique in the list, else with its parents' names added until it is ("Ấp 1, Tân Thành")."""
    ids = {int(p) for a in areas for p in a.path.strip("/").split("/") if p}
    found = {a.id: a for a in session.exec(select(Area).where(col(Area.id).in_(ids)))} \
        if ids else {}
    chains = {a.id: [found.get(int(p), a) for p in reversed(a.path.strip("/").split("/"))
                     if p] or [a] for a in areas}
    depth = {a.id: 1 for a in areas}
    for _round in range(max((len(c) for c in chains.values()), default=1)):
        names = {a.id: ", ".join(x.name for x in chains[a.id][:depth[a.id]]) for a in areas}
        seen: dict[str, int] = {}
        for name in names.values():
            seen[name] = seen.get(name, 0) + 1
        clashes = [a for a in areas if seen[names[a.id]] > 1 and
                   depth[a.id] < len(chains[a.id])]
        if not clashes:
            return [names[a.id] for a in areas]
        for a in clashes:
            depth[a.id] += 1
    return [", ".join(x.name for x in chains[a.id][:depth[a.id]]) for a in areas]


def search(session: Session, text: str, within: Area | None = None,
           limit: int = 8) -> list[Area]:
    """Areas whose name contains the text, ignoring case and diacritics; shallow ones first."""
    needle = fold(text)
    if not needle:
        return []
    query = select(Area).where(col(Area.search_name).contains(needle, autoescape=True))
    if within is not None:
        query = query.where(col(Area.path).startswith(within.path, autoescape=True))
    found = list(session.exec(query.order_by(func.length(Area.path), Area.search_name)
                              .limit(limit * 4)))
    found.sort(key=lambda a: (a.search_name != needle, a.depth, a.name))
    return found[:limit]


# ---- importing --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Row:
    line: int
    code: str
    name: str
    level: str
    parent_code: str


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    unchanged: int


class AreaImportError(RowsRefused):
    """The areas file was refused as a whole."""


def parse_csv(text: str) -> list[Row]:
    """Read code,name,level,parent_code rows; every problem is collected with its line."""
    return [Row(line, v["code"], v["name"], v["level"], v["parent_code"])
            for line, v in read_rows(text, COLUMNS, _row_problem, AreaImportError)]


def _row_problem(values: dict[str, str]) -> str | None:
    code = values["code"]
    if not values["name"] or len(values["name"]) > 200:
        return "name must be 1-200 characters"
    if not values["level"] or len(values["level"]) > 50:
        return "level must be 1-50 characters"
    if values["parent_code"] == code:
        return f"area {code!r} cannot be its own parent"
    return None


def import_areas(session: Session, rows: Iterable[Row]) -> ImportResult:
    """Create or update areas by code, all or nothing; the caller commits.

    Importing the same file twice changes nothing; a renamed area keeps its id, so users,
    roles and pledges bound to it follow.
    """
    rows = list(rows)
    existing = {a.code: a for a in session.exec(select(Area))}
    by_id = {a.id: a for a in existing.values()}
    parent_of = {code: (by_id[a.parent_id].code if a.parent_id else "")
                 for code, a in existing.items()}
    parent_of.update({r.code: r.parent_code for r in rows})
    errors = [(r.line, f"parent_code {r.parent_code!r} is neither in this file nor imported")
              for r in rows if r.parent_code and r.parent_code not in parent_of]
    errors += _cycles(rows, parent_of)
    if errors:
        raise AreaImportError(sorted(errors))

    created = updated = unchanged = 0
    for row in _parents_first(rows, parent_of):
        area = existing.get(row.code)
        parent_id = existing[row.parent_code].id if row.parent_code else None
        if area is None:
            area = Area(code=row.code, name=row.name, level=row.level, parent_id=parent_id,
                        search_name=fold(row.name))
            session.add(area)
            session.flush()
            existing[row.code] = area
            created += 1
        elif (area.name, area.level, area.parent_id) != (row.name, row.level, parent_id):
            area.name, area.level, area.parent_id = row.name, row.level, parent_id
            area.search_name = fold(row.name)
            session.add(area)
            updated += 1
        else:
            unchanged += 1
    _refresh_paths(session, existing)
    return ImportResult(created, updated, unchanged)


def _cycles(rows: list[Row], parent_of: dict[str, str]) -> list[tuple[int, str]]:
    errors = []
    for row in rows:
        seen, code = {row.code}, row.parent_code
        while code:
            if code in seen:
                errors.append((row.line, f"area {row.code!r} would be inside itself "
                                         f"(parent chain loops through {code!r})"))
                break
            seen.add(code)
            code = parent_of.get(code, "")
    return errors


def _parents_first(rows: list[Row], parent_of: dict[str, str]) -> list[Row]:
    def depth(code: str) -> int:
        n = 0
        while parent_of.get(code):
            code, n = parent_of[code], n + 1
        return n
    return sorted(rows, key=lambda r: (depth(r.code), r.line))


def _refresh_paths(session: Session, areas: dict[str, Area]) -> None:
    by_id = {a.id: a for a in areas.values()}
    paths: dict[int, str] = {}

    def path(area: Area) -> str:
        if area.id not in paths:
            prefix = path(by_id[area.parent_id]) if area.parent_id else "/"
            paths[area.id] = f"{prefix}{area.id}/"
        return paths[area.id]

    for area in by_id.values():
        if area.path != path(area):
            area.path = path(area)
            session.add(area)
    session.flush()
