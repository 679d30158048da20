"""Erasing a person (Law 91/2025/QH15): what they gave stays counted, who they are goes."""

from sqlalchemy import update
from sqlmodel import Session, col

from models.base import utcnow
from models.broadcasts import Broadcast
from models.invites import end_open_invites
from models.outbox import Delivery, DeliveryStatus
from models.pledges import anonymise_pledges_of
from models.users import forget


def erase_person(session: Session, user_id: int) -> bool:
    anonymise_pledges_of(session, user_id)
    end_open_invites(session, user_id, utcnow())
    # Messages not yet sent, or being sent right now, are not sent (or not recorded as sent);
    # past ones keep their count in a broadcast's figures but no longer carry the Telegram id
    # (each gets a distinct negative stand-in).
    session.execute(update(Delivery).where(
        Delivery.chat_id == user_id,
        col(Delivery.status).in_((DeliveryStatus.PENDING, DeliveryStatus.SENDING)))
        .values(status=DeliveryStatus.CANCELLED, claim=None))
    session.execute(update(Delivery).where(Delivery.chat_id == user_id)
                    .values(chat_id=-col(Delivery.id)))
    # The broadcasts they started keep going, with nobody's chat to show progress in.
    session.execute(update(Broadcast).where(Broadcast.progress_chat_id == user_id)
                    .values(progress_chat_id=None, progress_message_id=None))
    return forget(session, user_id)
