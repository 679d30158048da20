"""Invite codes: how an officer brings a village head or a fellow officer into their area.

A code is single-use and expires. Redeeming is one conditional UPDATE, so two people pressing
the same link at once cannot both get the role.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import update
from sqlmodel import Field, Session, SQLModel, col, select

from models.areas import Area, get_area
from models.base import telegram_id_column, utcnow
from models.users import SCOPED_ROLES, AccessDenied, Actor, Role, User, set_role

CODE_BYTES = 12  # 16 URL-safe characters: fits a /start payload (64 of A-Z a-z 0-9 _ -)


class Invite(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=64, unique=True)
    role: str = Field(max_length=20)
    area_id: int = Field(foreign_key="area.id", index=True, ondelete="CASCADE")
    created_by: int | None = Field(default=None, sa_column=telegram_id_column(
        foreign_key="user.id", ondelete="SET NULL"))
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    used_by: int | None = Field(default=None, sa_column=telegram_id_column(
        foreign_key="user.id", ondelete="SET NULL"))
    used_at: datetime | None = None


class InviteProblem(StrEnum):
    UNKNOWN = "unknown"
    USED = "used"
    EXPIRED = "expired"
    DEMOTION = "demotion"


class InviteRefused(Exception):
    def __init__(self, problem: InviteProblem):
        super().__init__(problem.value)
        self.problem = problem


@dataclass(frozen=True)
class Redeemed:
    role: Role
    area: Area


def invitable_roles(actor: Actor) -> tuple[Role, ...]:
    """Officers and admins invite village heads and officers; nobody else invites."""
    return SCOPED_ROLES if actor.at_least(Role.OFFICER) else ()


def create_invite(session: Session, actor: Actor, role: Role, area: Area | None,
                  ttl: timedelta, now: datetime | None = None) -> Invite:
    if role not in invitable_roles(actor):
        raise AccessDenied(f"{actor.role} may not invite a {role}")
    if not actor.covers(area):
        raise AccessDenied(f"area {area.code if area else None} is outside the actor's scope")
    now = now or utcnow()
    invite = Invite(code=secrets.token_urlsafe(CODE_BYTES), role=role.value, area_id=area.id,
                    created_by=actor.id, created_at=now, expires_at=now + ttl)
    session.add(invite)
    session.flush()
    return invite


def redeem_invite(session: Session, user: User, code: str, role_now: Role,
                  now: datetime | None = None) -> Redeemed:
    """Claim the code for this user and give them its role; refuses a role lower than theirs."""
    now = now or utcnow()
    invite = session.exec(select(Invite).where(Invite.code == code)).first()
    if invite is None:
        raise InviteRefused(InviteProblem.UNKNOWN)
    if invite.used_at is not None:
        raise InviteRefused(InviteProblem.USED)
    if invite.expires_at <= now:
        raise InviteRefused(InviteProblem.EXPIRED)
    role = Role(invite.role)
    if role_now.rank > role.rank:
        raise InviteRefused(InviteProblem.DEMOTION)
    claimed = session.execute(
        update(Invite)
        .where(col(Invite.id) == invite.id, col(Invite.used_at).is_(None))
        .values(used_at=now, used_by=user.id)
    )
    if claimed.rowcount != 1:
        raise InviteRefused(InviteProblem.USED)
    area = get_area(session, invite.area_id)
    set_role(session, user, role, area)
    return Redeemed(role, area)
