"""Erasing a person (Law 91/2025/QH15): what they gave stays counted, who they are goes."""

from sqlalchemy import update
from sqlmodel import Session, col

from models.outbox import Delivery, DeliveryStatus
from models.pledges import anonymise_pledges_of
from models.users import forget


def erase_person(session: Session, user_id: int) -> bool:
    anonymise_pledges_of(session, user_id)
    # Messages not yet sent are not sent; past ones keep their count in a broadcast's
    # figures but no longer carry the Telegram id (each gets a distinct negative stand-in).
    session.execute(update(Delivery).where(Delivery.chat_id == user_id,
                                           Delivery.status == DeliveryStatus.PENDING)
                    .values(status=DeliveryStatus.CANCELLED))
    session.execute(update(Delivery).where(Delivery.chat_id == user_id,
                                           Delivery.status != DeliveryStatus.SENDING)
                    .values(chat_id=-col(Delivery.id)))
    return forget(session, user_id)
