"""Broadcasts: an officer's message to everyone of chosen roles in an area, in one step.

The recipient list is fixed when the broadcast starts: one delivery row per recipient, written
in the same transaction that marks the broadcast running, unique per (broadcast, chat). Someone
who joins later is not added; someone who leaves is skipped when their turn comes.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Column, Text, insert, literal, update
from sqlmodel import Field, Session, SQLModel, col, func, or_, select

from models.areas import Area, get_area
from models.base import telegram_id_column, utcnow
from models.chats import Chat, area_chats
from models.outbox import Delivery, DeliveryStatus
from models.users import AccessDenied, Actor, Role, User

AUDIENCE_ROLES = (Role.CITIZEN, Role.VILLAGE_HEAD, Role.OFFICER)
HEADER_END = "\n\n"  # between the sender's line and the message
# What an officer may send to broadcast, and the Bot API method that re-sends each by file id.
SEND = {"photo": "sendPhoto", "video": "sendVideo", "animation": "sendAnimation",
        "document": "sendDocument", "audio": "sendAudio", "voice": "sendVoice",
        "video_note": "sendVideoNote"}
CAPTIONLESS = frozenset({"video_note"})  # Telegram takes no caption on these
ALBUM_MAX = 10


class NobodyToReach(Exception):
    """Nobody of those roles (and language) in that area has started Loa: nothing to send."""


def sender_area(session: Session, actor: Actor, area_id: int) -> Area:
    """The unit that speaks: the officer's own area (an admin speaks for the area reached)."""
    return actor.scope if actor.scope is not None else get_area(session, area_id)


def sender_line(wording: str, area: Area) -> str:
    """"📢 Ủy ban MTTQ huyện Thủ Thừa" from the deployment's wording and the area (plain)."""
    return " ".join(wording.format(level=area.level, area=area.name).split())


def with_sender(sender_html: str, body_html: str) -> str:
    """The broadcast as recipients get it: the sender's line in bold, then the message."""
    head = f"<b>{sender_html}</b>"
    return head + HEADER_END + body_html if body_html else head


def album_takes(media: list[dict[str, str]], kind: str) -> bool:
    """Whether an album can take one more item of this kind, as Telegram's do: up to ten,
    photos and videos mixed, documents only with documents, audio only with audio."""
    kinds = {m["kind"] for m in media} | {kind}
    return len(media) < ALBUM_MAX and (kinds <= {"photo", "video"} or (
        len(kinds) == 1 and kind in ("document", "audio")))


def sender_of(text_html: str) -> str:
    """The sender's line of a broadcast as sent (the line a message after an album repeats)."""
    return text_html.split(HEADER_END, 1)[0]


def first_words(text_html: str, words: int = 8) -> str:
    """The start of the message itself (the sender's line left out), as plain text."""
    plain = html.unescape(re.sub(r"<[^>]*>", "", text_html))
    if HEADER_END in plain:
        plain = plain.split(HEADER_END, 1)[1]
    found = plain.split()
    return " ".join(found[:words]) + ("…" if len(found) > words else "")


class BroadcastStatus(StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    RUNNING = "running"
    DONE = "done"
    CANCELLED = "cancelled"


class Broadcast(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    created_by: int | None = Field(default=None, sa_column=telegram_id_column(
        foreign_key="user.id", ondelete="SET NULL"))
    area_id: int = Field(foreign_key="area.id", index=True, ondelete="RESTRICT")
    roles: str = Field(max_length=64)  # comma-separated Role values
    language: str | None = Field(default=None, max_length=16)
    text: str = Field(default="", sa_column=Column(Text, nullable=False))  # HTML, escaped
    # [{"kind": "voice", "file_id": "..."}, ...]: one item, or an album (bot/messages.py)
    media: list[dict[str, str]] | None = Field(default=None, sa_column=Column(JSON))
    campaign_id: int | None = Field(default=None, foreign_key="campaign.id",
                                    ondelete="SET NULL")
    link_url: str | None = Field(default=None, max_length=500)
    link_label: str | None = Field(default=None, max_length=64)
    paid: bool = False
    chats: bool = False  # also the groups and channels linked inside the area
    status: str = Field(default=BroadcastStatus.DRAFT, max_length=16, index=True)
    send_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    recipients: int = 0
    progress_chat_id: int | None = Field(default=None, sa_column=telegram_id_column())
    progress_message_id: int | None = None
    created_at: datetime = Field(default_factory=utcnow)


@dataclass
class BroadcastDraft:
    area_id: int
    roles: list[str]
    text: str
    language: str | None = None
    media: list[dict[str, str]] | None = None
    campaign_id: int | None = None
    link_url: str | None = None
    link_label: str | None = None
    chats: bool = False


def _audience(area: Area, roles: list[str], language: str | None):
    """Everyone reachable of those roles whose home area or role's area is in the subtree."""
    home = Area.__table__.alias("home")
    scope = Area.__table__.alias("scope")
    query = (select(User.id).select_from(User)
             .outerjoin(home, home.c.id == User.area_id)
             .outerjoin(scope, scope.c.id == User.scope_area_id)
             .where(col(User.role).in_(roles), col(User.consent_at).is_not(None),
                    col(User.unreachable_at).is_(None),
                    or_(home.c.path.startswith(area.path, autoescape=True),
                        scope.c.path.startswith(area.path, autoescape=True))))
    if language:
        query = query.where(User.language == language)
    return query


def _recipients(area: Area, roles: list[str], language: str | None, chats: bool):
    """The chat ids a broadcast reaches: people, and the area's groups and channels."""
    people = _audience(area, roles, language)
    return people.union_all(area_chats(area, language)) if chats else people


def count_audience(session: Session, draft: BroadcastDraft) -> int:
    area = get_area(session, draft.area_id)
    return session.exec(select(func.count()).select_from(
        _recipients(area, draft.roles, draft.language, draft.chats).subquery())).one()


def audience_size(session: Session, broadcast: Broadcast) -> int:
    """How many it would reach if it started now."""
    return session.exec(select(func.count()).select_from(_recipients(
        get_area(session, broadcast.area_id), _roles(broadcast), broadcast.language,
        broadcast.chats).subquery())).one()


def _roles(broadcast: Broadcast) -> list[str]:
    return [r for r in broadcast.roles.split(",") if r]


def create_broadcast(session: Session, actor: Actor, draft: BroadcastDraft,
                     paid: bool = False) -> Broadcast:
    area = get_area(session, draft.area_id)
    if not actor.at_least(Role.OFFICER) or not actor.covers(area):
        raise AccessDenied("broadcasts go to an area inside the officer's scope")
    roles = [Role(r).value for r in draft.roles if Role(r) in AUDIENCE_ROLES]
    if not roles and not draft.chats:
        raise ValueError("no roles to reach")
    broadcast = Broadcast(created_by=actor.id, area_id=area.id, roles=",".join(roles),
                          language=draft.language, text=draft.text, media=draft.media or None,
                          campaign_id=draft.campaign_id,
                          link_url=draft.link_url, link_label=draft.link_label, paid=paid,
                          chats=bool(draft.chats))
    session.add(broadcast)
    session.flush()
    return broadcast


def _own(session: Session, actor: Actor, broadcast_id: int) -> Broadcast:
    broadcast = session.get(Broadcast, broadcast_id)
    if broadcast is None or not actor.at_least(Role.OFFICER) or \
            not actor.covers(get_area(session, broadcast.area_id)):
        raise AccessDenied("broadcast outside the officer's scope")
    return broadcast


def sendable(session: Session, actor: Actor, broadcast_id: int) -> Broadcast:
    """The actor's draft, ready to be sent or scheduled; AccessDenied otherwise."""
    broadcast = _own(session, actor, broadcast_id)
    if broadcast.status != BroadcastStatus.DRAFT:
        raise AccessDenied(f"a {broadcast.status} broadcast cannot be sent again")
    return broadcast


def schedule(session: Session, actor: Actor, broadcast_id: int, when: datetime,
             progress: tuple[int, int] | None = None) -> Broadcast:
    """Send at `when` (now or later); the recipients are fixed when it starts."""
    broadcast = sendable(session, actor, broadcast_id)
    broadcast.status, broadcast.send_at = BroadcastStatus.SCHEDULED, when
    if progress:
        broadcast.progress_chat_id, broadcast.progress_message_id = progress
    session.add(broadcast)
    session.flush()
    return broadcast


def start_due(session: Session, now: datetime) -> list[int]:
    """Start every scheduled broadcast whose time has come: fix its recipients, once.

    The conditional UPDATE makes one process (of several) the one that starts it; the
    deliveries are written in the same transaction.
    """
    started = []
    due = session.exec(select(Broadcast).where(Broadcast.status == BroadcastStatus.SCHEDULED,
                                               col(Broadcast.send_at) <= now))
    for broadcast in list(due):
        won = session.execute(update(Broadcast).where(
            col(Broadcast.id) == broadcast.id, Broadcast.status == BroadcastStatus.SCHEDULED)
            .values(status=BroadcastStatus.RUNNING, started_at=now)).rowcount
        if won != 1:
            continue
        audience = _recipients(get_area(session, broadcast.area_id), _roles(broadcast),
                               broadcast.language, broadcast.chats).subquery()
        rows = select(literal(broadcast.id), audience.c[0], literal(""), literal(0),
                      literal(DeliveryStatus.PENDING.value), literal(0), literal(now),
                      literal(now))
        session.execute(insert(Delivery).from_select(
            ["broadcast_id", "chat_id", "text", "priority", "status", "attempts", "not_before",
             "created_at"], rows))
        count = session.exec(select(func.count()).select_from(Delivery).where(
            Delivery.broadcast_id == broadcast.id)).one()
        session.execute(update(Broadcast).where(col(Broadcast.id) == broadcast.id)
                        .values(recipients=count))
        started.append(broadcast.id)
    return started


def cancel(session: Session, actor: Actor, broadcast_id: int, now: datetime) -> Broadcast:
    """Stop a scheduled or running broadcast: what is not sent yet will not be."""
    broadcast = _own(session, actor, broadcast_id)
    if broadcast.status not in (BroadcastStatus.DRAFT, BroadcastStatus.SCHEDULED,
                                BroadcastStatus.RUNNING):
        raise AccessDenied(f"a {broadcast.status} broadcast cannot be cancelled")
    broadcast.status, broadcast.finished_at = BroadcastStatus.CANCELLED, now
    session.add(broadcast)
    session.execute(update(Delivery).where(Delivery.broadcast_id == broadcast_id,
                                           Delivery.status == DeliveryStatus.PENDING)
                    .values(status=DeliveryStatus.CANCELLED))
    session.flush()
    return broadcast


def discard_draft(session: Session, user_id: int, broadcast_id: int, now: datetime) -> bool:
    """The officer left the flow before sending: their draft is cancelled, never anything
    already scheduled or going out."""
    return session.execute(update(Broadcast).where(
        col(Broadcast.id) == broadcast_id, col(Broadcast.created_by) == user_id,
        Broadcast.status == BroadcastStatus.DRAFT)
        .values(status=BroadcastStatus.CANCELLED, finished_at=now)).rowcount == 1


def figures(session: Session, broadcast_id: int) -> dict[str, int]:
    rows = session.exec(select(Delivery.status, func.count()).where(
        Delivery.broadcast_id == broadcast_id).group_by(Delivery.status))
    return {status: count for status, count in rows}


def finish_done(session: Session, now: datetime) -> list[int]:
    """Running broadcasts with nothing left to send become done (once)."""
    finished = []
    for broadcast in session.exec(select(Broadcast).where(
            Broadcast.status == BroadcastStatus.RUNNING)).all():
        open_ = session.exec(select(func.count()).select_from(Delivery).where(
            Delivery.broadcast_id == broadcast.id,
            col(Delivery.status).in_((DeliveryStatus.PENDING, DeliveryStatus.SENDING)))).one()
        if open_ == 0 and session.execute(update(Broadcast).where(
                col(Broadcast.id) == broadcast.id, Broadcast.status == BroadcastStatus.RUNNING)
                .values(status=BroadcastStatus.DONE, finished_at=now)).rowcount == 1:
            finished.append(broadcast.id)
    return finished


def running(session: Session) -> list[Broadcast]:
    return list(session.exec(select(Broadcast).where(
        Broadcast.status == BroadcastStatus.RUNNING)))


def recent(session: Session, actor: Actor, limit: int | None = 10) -> list[Broadcast]:
    query = select(Broadcast).join(Area, col(Area.id) == Broadcast.area_id)
    if actor.role is not Role.ADMIN:
        if actor.scope is None or not actor.at_least(Role.OFFICER):
            return []
        query = query.where(col(Area.path).startswith(actor.scope.path, autoescape=True))
    return list(session.exec(query.order_by(col(Broadcast.id).desc()).limit(limit)))


def problems(session: Session, actor: Actor, broadcast_id: int) -> list[tuple[int, str, str,
                                                                              str]]:
    """Recipients it did not reach: (chat id, name or group title, status, error), for the
    officer's CSV."""
    _own(session, actor, broadcast_id)
    rows = session.exec(select(Delivery.chat_id, func.coalesce(User.name, Chat.title),
                               Delivery.status, Delivery.error)
                        .outerjoin(User, col(User.id) == Delivery.chat_id)
                        .outerjoin(Chat, col(Chat.id) == Delivery.chat_id)  # a group's title
                        .where(Delivery.broadcast_id == broadcast_id,
                               col(Delivery.status).in_((DeliveryStatus.FAILED,
                                                         DeliveryStatus.BLOCKED,
                                                         DeliveryStatus.LEFT)))
                        .order_by(Delivery.chat_id))
    return [(chat, name or "", status, error or "") for chat, name, status, error in rows]


def mark_unreachable(session: Session, user_ids: list[int], now: datetime) -> None:
    """Telegram said 403, or that they blocked Loa: never try them again, and leave them
    out of later audiences."""
    if user_ids:
        session.execute(update(User).where(col(User.id).in_(user_ids))
                        .values(unreachable_at=now))


def mark_reachable(session: Session, user_id: int) -> None:
    """They wrote to the bot again, or Telegram said they unblocked it: they can be
    reached."""
    session.execute(update(User).where(col(User.id) == user_id,
                                       col(User.unreachable_at).is_not(None))
                    .values(unreachable_at=None))


def managed_broadcast(session: Session, actor: Actor, broadcast_id: int) -> Broadcast:
    """A broadcast of an area inside the officer's scope; AccessDenied otherwise."""
    return _own(session, actor, broadcast_id)
