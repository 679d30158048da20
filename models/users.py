"""People who talk to Loa, their roles, and the one rule over roles: scope.

A village head or an officer is bound to an area and acts only inside that area's subtree;
admins come from the deployment's configuration and act everywhere. Every permission question
in Loa is answered here, on the server, whatever button or command asked it.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, Session, SQLModel, col, select

from models.areas import Area, by_code, get_area, is_village_level, is_within
from models.base import telegram_id_column, utcnow


class Role(StrEnum):
    CITIZEN = "citizen"
    VILLAGE_HEAD = "village_head"
    OFFICER = "officer"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return list(Role).index(self)


#: Roles that are bound to an area (their scope).
SCOPED_ROLES = (Role.VILLAGE_HEAD, Role.OFFICER)


class User(SQLModel, table=True):
    id: int = Field(sa_column=telegram_id_column(primary_key=True))
    name: str = Field(default="", max_length=200)
    language: str | None = Field(default=None, max_length=16)
    role: str = Field(default=Role.CITIZEN, max_length=20)
    scope_area_id: int | None = Field(default=None, foreign_key="area.id", index=True,
                                      ondelete="RESTRICT")
    area_id: int | None = Field(default=None, foreign_key="area.id", index=True,
                                ondelete="RESTRICT")
    phone: str | None = Field(default=None, max_length=32)
    consent_at: datetime | None = None
    unreachable_at: datetime | None = None  # Telegram said 403: blocked or deleted
    pledge_reminders: bool = True  # one reminder before a campaign ends, unless turned off
    created_at: datetime = Field(default_factory=utcnow)


class AccessDenied(Exception):
    """The actor may not do this; the message is for logs, handlers reply with their own text."""


class NotAVillage(ValueError):
    """A village head serves a village-level area (ấp, thôn, tổ dân phố...), not a commune."""


@dataclass(frozen=True)
class Actor:
    """A user as the permission rules see them: their effective role and scope area."""

    user: User
    role: Role
    scope: Area | None

    @property
    def id(self) -> int:
        return self.user.id

    def at_least(self, role: Role) -> bool:
        return self.role.rank >= role.rank

    def covers(self, area: Area | None) -> bool:
        """Whether this actor may act on the area: admins anywhere, others inside their scope."""
        if area is None:
            return False
        if self.role is Role.ADMIN:
            return True
        return (self.role in SCOPED_ROLES and self.scope is not None
                and is_within(area, self.scope))


def effective_role(user: User, admins: Collection[int]) -> Role:
    return Role.ADMIN if user.id in admins else Role(user.role)


def actor_for(session: Session, user: User, admins: Collection[int]) -> Actor:
    role = effective_role(user, admins)
    scope = get_area(session, user.scope_area_id) if role in SCOPED_ROLES else None
    return Actor(user, role, scope)


def get_user(session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)


def ensure_user(session: Session, user_id: int, name: str = "") -> tuple[User, bool]:
    """The user, created as a citizen on first contact; True when new."""
    user = session.get(User, user_id)
    if user is not None:
        return user, False
    user = User(id=user_id, name=name[:200])
    session.add(user)
    session.flush()
    return user, True


def update_user(session: Session, user: User, **changes: object) -> User:
    for key, value in changes.items():
        setattr(user, key, value)
    session.add(user)
    session.flush()
    return user


def check_scope(role: Role, scope: Area | None, extra_levels: Collection[str] = ()) -> None:
    """A scoped role needs an area, and a village head's is a village-level one."""
    if role in SCOPED_ROLES and scope is None:
        raise AccessDenied(f"the {role} role needs an area")
    if role is Role.VILLAGE_HEAD and not is_village_level(scope, extra_levels):
        raise NotAVillage(f"a village head serves a village-level area (ấp, thôn, tổ dân phố...), "
                          f"not the {scope.level} {scope.name}")


def set_role(session: Session, user: User, role: Role, scope: Area | None,
             extra_levels: Collection[str] = ()) -> User:
    """Bind a role to an area; citizens have no scope."""
    if role is Role.ADMIN:
        raise AccessDenied("the admin role comes from the configuration (LOA_ADMINS)")
    check_scope(role, scope, extra_levels)
    return update_user(session, user, role=role.value,
                       scope_area_id=scope.id if role in SCOPED_ROLES else None)


def grant(session: Session, user_id: int, role: Role, area_code: str | None,
          extra_levels: Collection[str] = ()) -> User:
    """Operator's grant from the command line; the user may not have written to the bot yet."""
    area = by_code(session, area_code) if area_code else None
    if area_code and area is None:
        raise LookupError(f"no area with code {area_code!r}")
    check_scope(role, area, extra_levels)
    user, _ = ensure_user(session, user_id)
    return set_role(session, user, role, area, extra_levels)


def revoke(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise LookupError(f"no user {user_id}")
    return set_role(session, user, Role.CITIZEN, None)


def list_users(session: Session, role: Role | None = None) -> list[User]:
    query = select(User).order_by(col(User.role).desc(), User.id)
    if role is not None:
        query = query.where(User.role == role.value)
    return list(session.exec(query))


def forget(session: Session, user_id: int) -> bool:
    """Erase a person's data (Law 91/2025/QH15): their row and everything that hangs off it.

    Foreign keys to users either cascade (their own drafts) or are set to NULL (records others
    need, such as the invites they issued), so nothing that names them is left.
    """
    user = session.get(User, user_id)
    if user is None:
        return False
    session.delete(user)
    session.flush()
    return True
