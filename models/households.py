"""Households the commune helps: the poor and near-poor list it already reviews in public.

A household's name is personal data: only officers whose scope covers its area see it or change
it, and it can be erased on an officer's request (Law 91/2025/QH15) while the support it got
stays counted. Everything public about households is counts and sums per area (models/support).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Field, Session, SQLModel, col, func, select

import models.base  # noqa: F401  (constraint naming convention before any table)
from models.areas import Area, by_code, fold, get_area
from models.base import utcnow
from models.csvrows import RowsRefused, read_rows
from models.users import AccessDenied, Actor, Role
from models.wording import N_

NAME_MAX = 200
MEMBERS_MAX = 100
COLUMNS = ("code", "name", "area_code", "category")  # and an optional "members"
CHUNK = 500  # codes looked up at once: a province's list must not exceed a query's parameters

#: The categories a household is listed under; the CSV may write any of the words beside each
#: (folded: case and diacritics do not matter).
CATEGORIES = {
    "poor": N_("poor (nghèo)"),
    "near_poor": N_("near-poor (cận nghèo)"),
    "hardship": N_("in hardship (khó khăn)"),
    "policy": N_("policy family (gia đình chính sách)"),
    "other": N_("other"),
}
CATEGORY_WORDS = {
    "poor": ("ngheo", "ho ngheo", "poor"),
    "near_poor": ("can ngheo", "ho can ngheo", "near poor", "near-poor"),
    "hardship": ("kho khan", "hoan canh kho khan", "ho kho khan", "hardship"),
    "policy": ("chinh sach", "gia dinh chinh sach", "policy"),
    "other": ("khac", "other"),
}


class Household(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True)
    name: str = Field(default="", max_length=NAME_MAX)
    search_name: str = Field(default="", max_length=NAME_MAX, index=True)
    area_id: int = Field(foreign_key="area.id", index=True, ondelete="RESTRICT")
    category: str = Field(max_length=16)
    members: int | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    erased_at: datetime | None = None  # name and members blanked; support stays counted


def category_of(text: str) -> str | None:
    """The category key a word stands for: "Cận nghèo" → "near_poor"; None when unknown."""
    folded = fold(text).replace("_", " ")
    return next((key for key, words in CATEGORY_WORDS.items()
                 if folded == key.replace("_", " ") or folded in words), None)


def initials(name: str) -> str:
    """What a commune notice board prints for a name: "Nguyễn Văn An" → "N.V.A." (diacritics
    kept, so "Đỗ Thị Ánh" → "Đ.T.Á."); never the name itself."""
    return "".join(f"{word[0].upper()}." for word in name.split() if word[0].isalpha())


# ---- who may see and change ------------------------------------------------------------------

def may_manage(actor: Actor, area: Area | None) -> bool:
    """Officers (and admins) whose scope covers the area: they keep its list."""
    return actor.at_least(Role.OFFICER) and actor.covers(area)


def household_for(session: Session, actor: Actor, household_id: int) -> Household:
    """The household, names and all, for an officer of its area; AccessDenied otherwise."""
    household = session.get(Household, household_id)
    if household is None:
        raise LookupError(household_id)
    if not may_manage(actor, get_area(session, household.area_id)):
        raise AccessDenied("households are seen by the officers of their area")
    return household


def _in_scope(query, actor: Actor, within: Area | None):
    query = query.join(Area, col(Area.id) == Household.area_id).where(
        col(Household.erased_at).is_(None))
    for area in (actor.scope if actor.role is not Role.ADMIN else None, within):
        if area is not None:
            query = query.where(col(Area.path).startswith(area.path, autoescape=True))
    return query


def find_households(session: Session, actor: Actor, text: str = "", within: Area | None = None,
                    offset: int = 0, limit: int = 10) -> tuple[list[Household], int]:
    """Households in the actor's scope (and `within`) whose name or code holds the text."""
    if not actor.at_least(Role.OFFICER) or (actor.role is not Role.ADMIN and actor.scope is None):
        raise AccessDenied("households are seen by the officers of their area")
    if within is not None and not actor.covers(within):
        raise AccessDenied("that area is outside the officer's scope")
    needle = fold(text)
    query = _in_scope(select(Household), actor, within)
    if needle:
        query = query.where(col(Household.search_name).contains(needle, autoescape=True)
                            | (func.lower(Household.code) == needle))
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    found = session.exec(query.order_by(Household.search_name, Household.id)
                         .offset(offset).limit(limit))
    return list(found), total


# ---- adding and correcting in chat ----------------------------------------------------------

def _next_code(session: Session, area: Area) -> str:
    """A code for a household added in chat: the area's code and a number ("28042-A1.7")."""
    taken = set(session.exec(select(Household.code).where(
        col(Household.code).startswith(f"{area.code}.", autoescape=True))))
    n = len(taken) + 1
    while f"{area.code}.{n}" in taken:
        n += 1
    return f"{area.code}.{n}"[-32:]


def _check(name: str, category: str, members: int | None) -> None:
    if not name.strip() or len(name) > NAME_MAX:
        raise ValueError(f"name must be 1-{NAME_MAX} characters")
    if category not in CATEGORIES:
        raise ValueError(f"unknown category {category!r}")
    if members is not None and not 0 < members <= MEMBERS_MAX:
        raise ValueError(f"members must be 1-{MEMBERS_MAX}")


def add_household(session: Session, actor: Actor, name: str, area_id: int, category: str,
                  members: int | None = None, code: str | None = None) -> Household:
    area = get_area(session, area_id)
    if not may_manage(actor, area):
        raise AccessDenied("households are added by the officers of their area")
    _check(name, category, members)
    household = Household(code=code or _next_code(session, area), name=name.strip(),
                          search_name=fold(name), area_id=area.id, category=category,
                          members=members)
    session.add(household)
    session.flush()
    return household


EDITABLE = ("name", "area_id", "category", "members")


def correct_household(session: Session, actor: Actor, household_id: int,
                      **changes: object) -> Household:
    """Change what an officer of its area (old and new) may change; an erased one stays so."""
    household = household_for(session, actor, household_id)
    if household.erased_at is not None:
        raise LookupError(household_id)
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValueError(f"not editable: {unknown}")
    if "area_id" in changes and not may_manage(actor, get_area(session, changes["area_id"])):
        raise AccessDenied("the new area is outside the officer's scope")
    merged = {key: changes.get(key, getattr(household, key)) for key in EDITABLE}
    _check(merged["name"], merged["category"], merged["members"])
    for key, value in merged.items():
        setattr(household, key, value)
    household.name = household.name.strip()
    household.search_name = fold(household.name)
    household.updated_at = utcnow()
    session.add(household)
    session.flush()
    return household


def erase_household(session: Session, actor: Actor, household_id: int) -> Household:
    """Blank who they are; the support they got keeps its counts and sums, without the notes
    and handover files that may name or show them."""
    from models.support import forget_household_details  # support refers to households

    household = household_for(session, actor, household_id)
    household.name = household.search_name = ""
    household.members = None
    household.erased_at = household.updated_at = utcnow()
    session.add(household)
    forget_household_details(session, household.id)
    session.flush()
    return household


# ---- importing ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Row:
    line: int
    code: str
    name: str
    area_code: str
    category: str
    members: int | None


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    unchanged: int
    erased: int  # rows of households erased on request: left erased


class HouseholdImportError(RowsRefused):
    """The households file was refused as a whole."""


def parse_households_csv(text: str) -> list[Row]:
    """Read code,name,area_code,category[,members] rows; every problem with its line."""
    return [Row(line, v["code"], v["name"], v["area_code"], category_of(v["category"]),
                int(v["members"]) if v["members"] else None)
            for line, v in read_rows(text, COLUMNS, _row_problem, HouseholdImportError,
                                     optional=("members",))]


def _row_problem(values: dict[str, str]) -> str | None:
    members = values["members"]
    if not values["name"] or len(values["name"]) > NAME_MAX:
        return f"name must be 1-{NAME_MAX} characters"
    if not values["area_code"]:
        return "area_code is empty"
    if category_of(values["category"]) is None:
        return (f"unknown category {values['category']!r}: use nghèo, cận nghèo, khó khăn, "
                f"chính sách or khác")
    if members and not (members.isascii() and members.isdigit()
                        and 0 < int(members) <= MEMBERS_MAX):
        return f"members {members!r} must be a whole number from 1 to {MEMBERS_MAX}"
    return None


def import_households(session: Session, rows: Iterable[Row]) -> ImportResult:
    """Create or update households by code, all or nothing; the caller commits. Importing the
    same file twice changes nothing; an erased household stays erased."""
    rows = list(rows)
    areas = {code: by_code(session, code) for code in {r.area_code for r in rows}}
    errors = [(r.line, f"unknown area code {r.area_code!r}") for r in rows
              if areas[r.area_code] is None]
    if errors:
        raise HouseholdImportError(errors)
    codes = [r.code for r in rows]
    existing = {h.code: h for start in range(0, len(codes), CHUNK)
                for h in session.exec(select(Household).where(
                    col(Household.code).in_(codes[start:start + CHUNK])))}
    created = updated = unchanged = erased = 0
    for row in rows:
        wanted = {"name": row.name, "area_id": areas[row.area_code].id,
                  "category": row.category, "members": row.members}
        household = existing.get(row.code)
        if household is None:
            session.add(Household(code=row.code, search_name=fold(row.name), **wanted))
            created += 1
        elif household.erased_at is not None:
            erased += 1
        elif any(getattr(household, k) != v for k, v in wanted.items()):
            for key, value in wanted.items():
                setattr(household, key, value)
            household.search_name, household.updated_at = fold(row.name), utcnow()
            session.add(household)
            updated += 1
        else:
            unchanged += 1
    session.flush()
    return ImportResult(created, updated, unchanged, erased)
