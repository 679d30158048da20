"""Erasing a person (Law 91/2025/QH15): what they gave stays counted, who they are goes."""

from sqlmodel import Session

from models.pledges import anonymise_pledges_of
from models.users import forget


def erase_person(session: Session, user_id: int) -> bool:
    anonymise_pledges_of(session, user_id)
    return forget(session, user_id)
