"""Groups and channels Loa is in: recorded from Telegram's membership updates, linked by an
officer to an area, and reached by that area's broadcasts (never by anything personal).

Telegram tells a bot it was added, promoted, removed or made to leave only through
`my_chat_member`; the row here follows it. A group that removed Loa keeps its row (marked
`removed_at`) so later broadcasts skip it, as they skip a person who blocked Loa. Telegram
allows about 20 messages a minute to one group: `next_send_at` is the group's next free slot,
claimed with one conditional UPDATE, so several worker processes share the pace.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from sqlalchemy import BigInteger, Column, exists, update
from sqlalchemy.orm import aliased
from sqlmodel import Field, Session, SQLModel, col, func, or_, select

from models.areas import Area, get_area
from models.base import telegram_id_column, utcnow
from models.outbox import Delivery, DeliveryStatus
from models.users import AccessDenied, Actor, Role

IN = ("member", "administrator", "creator")  # the bot's statuses that keep it in a chat
UNSENT = (DeliveryStatus.PENDING, DeliveryStatus.SENDING)


class Chat(SQLModel, table=True):
    """A group, supergroup or channel; `id` is Telegram's (negative) chat id."""

    id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    type: str = Field(max_length=16)  # group | supergroup | channel
    title: str = Field(default="", max_length=255)
    status: str = Field(default="member", max_length=16)  # the bot's: member, administrator...
    area_id: int | None = Field(default=None, foreign_key="area.id", index=True,
                                ondelete="SET NULL")
    language: str | None = Field(default=None, max_length=16)
    linked_by: int | None = Field(default=None, sa_column=telegram_id_column(
        foreign_key="user.id", ondelete="SET NULL"))
    linked_at: datetime | None = None
    added_at: datetime = Field(default_factory=utcnow)
    removed_at: datetime | None = None  # Loa was removed or left, or Telegram said so
    migrated_to: int | None = Field(default=None, sa_column=telegram_id_column())
    next_send_at: datetime | None = None  # the group's next free slot (Telegram's pace)

    @property
    def can_post(self) -> bool:
        """In the chat, and allowed to write there (a channel takes only its administrators)."""
        return self.removed_at is None and self.migrated_to is None and (
            self.type != "channel" or self.status == "administrator")


class ChatGone(Exception):
    """Loa is no longer in that chat (removed, or the group became a supergroup)."""


# ---- what Telegram tells -------------------------------------------------------------------

def record_membership(session: Session, chat_id: int, type_: str, title: str, status: str,
                      now: datetime) -> Chat:
    """The bot's status in a group or channel changed (my_chat_member): keep it."""
    chat = session.get(Chat, chat_id) or Chat(id=chat_id, type=type_, added_at=now)
    chat.type, chat.title, chat.status = type_, title[:255], status
    if status in IN:
        chat.removed_at = None
    elif chat.removed_at is None:
        chat.removed_at = now
    session.add(chat)
    session.flush()
    return chat


def retitle(session: Session, chat_id: int, title: str) -> None:
    """The group was renamed (a new_chat_title service message)."""
    session.execute(update(Chat).where(col(Chat.id) == chat_id).values(title=title[:255]))


def mark_removed(session: Session, chat_ids: list[int], now: datetime) -> None:
    """Telegram said 403 (kicked, not a member) or "chat not found": skip it from now on."""
    if chat_ids:
        session.execute(update(Chat).where(col(Chat.id).in_(chat_ids),
                                           col(Chat.removed_at).is_(None))
                        .values(removed_at=now))


def migrate(session: Session, old_id: int, new_id: int) -> Chat | None:
    """A group became a supergroup with a new id: the link, language and pending messages
    follow it; the old row stays, pointing at the new one."""
    old = session.get(Chat, old_id, with_for_update=True)  # told twice at once: one by one
    if old is None:
        return None
    new = session.get(Chat, new_id) or Chat(id=new_id, type="supergroup", added_at=old.added_at)
    new.title, new.status = new.title or old.title, old.status if old.status in IN else "member"
    new.area_id = new.area_id or old.area_id
    new.language, new.linked_by = new.language or old.language, new.linked_by or old.linked_by
    new.linked_at, new.removed_at = new.linked_at or old.linked_at, None
    old.migrated_to = new_id
    session.add_all([old, new])
    session.flush()
    _cancel_doubles(session, old_id, new_id)
    there = aliased(Delivery)  # a broadcast starting meanwhile may have given it one too
    session.execute(update(Delivery).where(
        col(Delivery.chat_id) == old_id, col(Delivery.status).in_(UNSENT),
        ~exists().where(there.chat_id == new_id, there.broadcast_id == Delivery.broadcast_id))
        .values(chat_id=new_id))
    return new


def _cancel_doubles(session: Session, old_id: int, new_id: int) -> None:
    """An unsent delivery to the old id whose broadcast has one to the new id already (the
    supergroup linked too, or queued before the upgrade was told) is cancelled, not moved:
    the group gets the broadcast once, and the officer's count of recipients loses it."""
    from models.broadcasts import Broadcast  # broadcasts refers to chats

    there = select(Delivery.broadcast_id).where(col(Delivery.chat_id) == new_id,
                                                col(Delivery.broadcast_id).is_not(None))
    doubles = session.exec(select(Delivery.broadcast_id).where(
        col(Delivery.chat_id) == old_id, col(Delivery.status).in_(UNSENT),
        col(Delivery.broadcast_id).in_(there))).all()
    for broadcast_id in doubles:  # one by one: a migration told twice at once counts once
        if session.execute(update(Delivery).where(
                col(Delivery.chat_id) == old_id, Delivery.broadcast_id == broadcast_id,
                col(Delivery.status).in_(UNSENT))
                .values(status=DeliveryStatus.CANCELLED,
                        error=f"the group became {new_id}, which has its own")).rowcount:
            session.execute(update(Broadcast).where(col(Broadcast.id) == broadcast_id)
                            .values(recipients=Broadcast.recipients - 1))


def follow_migration(session: Session, delivery_id: int, claim: str | None, old_id: int,
                     new_id: int) -> bool:
    """A claimed delivery met migrate_to_chat_id: the chat migrates (see `migrate`). True
    when the delivery is still this claim's to send under the new id; False when it was
    cancelled as a double (now, or when the upgrade was told meanwhile)."""
    migrate(session, old_id, new_id)
    held = select(Delivery.id).where(col(Delivery.id) == delivery_id,
                                     Delivery.status == DeliveryStatus.SENDING)
    if claim is not None:
        held = held.where(Delivery.claim == claim)
    return session.exec(held).first() is not None


# ---- officers linking ----------------------------------------------------------------------

def _may_manage(actor: Actor, area: Area | None) -> bool:
    """An officer may link an unlinked chat, or one of an area inside their scope."""
    if not actor.at_least(Role.OFFICER):
        return False
    return area is None or actor.covers(area)


def managed(session: Session, actor: Actor, chat_id: int) -> Chat:
    """The chat, if the actor may link, move or unlink it (checked on every press)."""
    chat = session.get(Chat, chat_id)
    if chat is None or not _may_manage(actor, get_area(session, chat.area_id)):
        raise AccessDenied("that chat is outside the officer's scope")
    if not chat.can_post:
        raise ChatGone(chat_id)
    return chat


def link(session: Session, actor: Actor, chat_id: int, area_id: int, language: str,
         now: datetime) -> Chat:
    """Link the chat to an area inside the officer's scope (or move it there); `language`
    is its language unless it has one already."""
    chat = managed(session, actor, chat_id)
    area = get_area(session, area_id)
    if area is None or not actor.covers(area):
        raise AccessDenied("groups are linked to an area inside the officer's scope")
    chat.area_id, chat.linked_by, chat.linked_at = area.id, actor.id, now
    chat.language = chat.language or language
    session.add(chat)
    session.flush()
    return chat


def set_language(session: Session, actor: Actor, chat_id: int, language: str) -> Chat:
    chat = managed(session, actor, chat_id)
    chat.language = language
    session.add(chat)
    session.flush()
    return chat


def unlink(session: Session, actor: Actor, chat_id: int) -> Chat:
    """Undo a link: the chat stays known, and no broadcast reaches it any more."""
    chat = managed(session, actor, chat_id)
    chat.area_id, chat.linked_by, chat.linked_at = None, None, None
    session.add(chat)
    session.flush()
    return chat


def visible(session: Session, actor: Actor, offset: int, limit: int) -> tuple[list[Chat], int]:
    """A page of the chats Loa is in that the officer may manage: unlinked ones and those of
    areas in their scope (an admin: all), by title."""
    query = select(Chat).outerjoin(Area, col(Area.id) == Chat.area_id).where(
        col(Chat.removed_at).is_(None), col(Chat.migrated_to).is_(None), _postable())
    if not actor.at_least(Role.OFFICER):
        return [], 0
    if actor.role is not Role.ADMIN:
        if actor.scope is None:
            return [], 0
        query = query.where(or_(col(Chat.area_id).is_(None),
                                col(Area.path).startswith(actor.scope.path, autoescape=True)))
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(query.order_by(Chat.title, Chat.id).offset(offset).limit(limit))
    return list(rows), total


def _postable():
    """A channel takes posts from its administrators only (Chat.can_post, in SQL)."""
    return or_(Chat.type != "channel", Chat.status == "administrator")


# ---- broadcasts ----------------------------------------------------------------------------

def area_chats(area: Area, language: str | None):
    """The ids of the groups and channels linked inside the area's subtree that Loa can
    write to (a language chosen: those of that language)."""
    query = (select(Chat.id).join(Area, col(Area.id) == Chat.area_id)
             .where(col(Area.path).startswith(area.path, autoescape=True),
                    col(Chat.removed_at).is_(None), col(Chat.migrated_to).is_(None),
                    _postable()))
    if language:
        query = query.where(Chat.language == language)
    return query


def count_area_chats(session: Session, area_id: int, language: str | None = None) -> int:
    area = get_area(session, area_id)
    return session.exec(select(func.count()).select_from(
        area_chats(area, language).subquery())).one() if area else 0


def readers(session: Session, chat_ids: set[int]) -> dict[int, tuple[str | None, bool]]:
    """For the dispatcher: each group's language and whether it is gone."""
    if not chat_ids:
        return {}
    return {c.id: (c.language, not c.can_post) for c in session.exec(
        select(Chat).where(col(Chat.id).in_(chat_ids)))}


# ---- the pace ------------------------------------------------------------------------------

def reserve(session: Session, chat_id: int, now: datetime, interval: float,
            count: int = 1) -> datetime | None:
    """Take the group's next slot for `count` messages: None when they may go now, else
    when the group is free again. One conditional UPDATE: workers never share a slot."""
    taken = session.execute(update(Chat).where(
        col(Chat.id) == chat_id,
        or_(col(Chat.next_send_at).is_(None), col(Chat.next_send_at) <= now))
        .values(next_send_at=now + timedelta(seconds=interval * count))).rowcount
    if taken:
        return None
    return session.exec(select(Chat.next_send_at).where(col(Chat.id) == chat_id)).first()


def paced(session: Session, deliveries: list[Delivery], now: datetime, interval: float,
          sizes: Mapping[int, int] | None = None) -> list[Delivery]:
    """Of claimed deliveries, those that may go now; each other one to a group goes back to
    the queue for its group's next free slots, in order. `sizes`: how many messages a
    broadcast's delivery sends (an album of N: N slots), by broadcast id; else one."""
    ready, later = [], {}
    for d in deliveries:
        if d.chat_id >= 0:
            ready.append(d)
            continue
        count = (sizes or {}).get(d.broadcast_id, 1)
        slots = timedelta(seconds=interval * count)
        if d.chat_id not in later:
            free = reserve(session, d.chat_id, now, interval, count)
            if free is None:
                ready.append(d)
                later[d.chat_id] = now + slots
                continue
            later[d.chat_id] = free
        session.execute(update(Delivery).where(col(Delivery.id) == d.id,
                                               Delivery.claim == d.claim)
                        .values(status=DeliveryStatus.PENDING, claim=None, lease_id=None,
                                not_before=later[d.chat_id]))
        later[d.chat_id] += slots
    return ready
