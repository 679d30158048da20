"""Invite codes: how an officer brings a village head or a fellow officer into their area.

A code is single-use and expires. Redeeming is one conditional UPDATE, so two people pressing
the same link at once cannot both get the role. An invite carries its issuer's authority, no
more: it is good only while the issuer may still invite to that area (a revoked officer's
links die with the role), and revoking or erasing the issuer ends their open invites.
"""

from __future__ import annotations

import secrets
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import update
from sqlmodel import Field, Session, SQLModel, col, func, select

from models.areas import Area, get_area
from models.base import telegram_id_column, utcnow
from models.users import (
    SCOPED_ROLES,
    AccessDenied,
    Actor,
    NotAVillage,
    Role,
    User,
    actor_for,
    check_scope,
    get_user,
    revoke,
    set_role,
)

CODE_BYTES = 12  # 16 URL-safe characters: fits a /start payload (64 of A-Z a-z 0-9 _ -)
MAX_OPEN = 50  # open invites per issuer: enough for every village of a commune at once


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
    ISSUER = "issuer"  # the issuer may no longer invite to that area
    NOT_A_VILLAGE = "not_a_village"  # made before village heads were bound to villages


class TooManyInvites(Exception):
    """The issuer has MAX_OPEN invites nobody has used yet."""


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


def _may_invite(actor: Actor, role: Role, area: Area | None) -> None:
    if role not in invitable_roles(actor):
        raise AccessDenied(f"{actor.role} may not invite a {role}")
    if not actor.covers(area):
        raise AccessDenied(f"area {area.code if area else None} is outside the actor's scope")


def _open_invites(user_id: int, now: datetime):
    return (col(Invite.created_by) == user_id) & col(Invite.used_at).is_(None) & \
        (col(Invite.expires_at) > now)


def create_invite(session: Session, actor: Actor, role: Role, area: Area | None,
                  ttl: timedelta, now: datetime | None = None,
                  extra_levels: Collection[str] = ()) -> Invite:
    _may_invite(actor, role, area)
    check_scope(role, area, extra_levels)
    now = now or utcnow()
    if session.exec(select(func.count()).select_from(Invite).where(
            _open_invites(actor.id, now))).one() >= MAX_OPEN:
        raise TooManyInvites(actor.id)
    invite = Invite(code=secrets.token_urlsafe(CODE_BYTES), role=role.value, area_id=area.id,
                    created_by=actor.id, created_at=now, expires_at=now + ttl)
    session.add(invite)
    session.flush()
    return invite


def end_open_invites(session: Session, user_id: int, now: datetime) -> int:
    """The issuer's unused invites expire now (their role was revoked, or they left)."""
    return session.execute(update(Invite).where(_open_invites(user_id, now))
                           .values(expires_at=now)).rowcount


def redeem_invite(session: Session, user: User, code: str, role_now: Role,
                  admins: frozenset[int], now: datetime | None = None,
                  extra_levels: Collection[str] = ()) -> Redeemed:
    """Claim the code for this user and give them its role; refuses a role lower than theirs,
    and any invite whose issuer may no longer invite to its area."""
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
    issuer = get_user(session, invite.created_by) if invite.created_by is not None else None
    area = get_area(session, invite.area_id)
    if issuer is None:
        raise InviteRefused(InviteProblem.ISSUER)
    try:
        _may_invite(actor_for(session, issuer, admins), role, area)
    except AccessDenied:
        raise InviteRefused(InviteProblem.ISSUER) from None
    try:
        check_scope(role, area, extra_levels)
    except NotAVillage:
        raise InviteRefused(InviteProblem.NOT_A_VILLAGE) from None
    claimed = session.execute(
        update(Invite)
        .where(col(Invite.id) == invite.id, col(Invite.used_at).is_(None))
        .values(used_at=now, used_by=user.id)
    )
    if claimed.rowcount != 1:
        raise InviteRefused(InviteProblem.USED)
    set_role(session, user, role, area, extra_levels)
    return Redeemed(role, area)


def revoke_role(session: Session, user_id: int, now: datetime | None = None) -> User:
    """A citizen again (the operator's `loa revoke`), with their open invites ended."""
    user = revoke(session, user_id)
    end_open_invites(session, user_id, now or utcnow())
    return user
