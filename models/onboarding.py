"""Onboarding as a small state machine: language → consent → area → phone → done.

Consent comes before Loa asks for anything personal (Law 91/2025/QH15: explicit consent for a
stated purpose): before it, Loa keeps only the Telegram id, the language chosen and the step,
and even that goes after a day without consent. The Telegram name is stored at consent.
Someone who consented before skips it when they run /start again. Each step is saved in the
database, so a person who comes back after a restart continues where they were; so is the
campaign they came to pledge to (a pledge link from a group), taken up when they are done.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from models.areas import get_area
from models.base import utcnow
from models.dialogs import end_dialog, get_dialog, save_dialog
from models.privacy import erase_person
from models.users import AccessDenied, User, ensure_user, update_user

UNCONSENTED_KEPT = timedelta(hours=24)
FLOW = "onboarding"
CHANGE_AREA = "area"  # the flow of /area: the picker alone
LANGUAGE, CONSENT, AREA, PHONE = "language", "consent", "area", "phone"


def begin(session: Session, user_id: int, name: str, pledge: int | None = None) -> User:
    """(Re)start onboarding; the name is kept only from someone who has consented. `pledge`:
    the campaign to pledge to once onboarded."""
    user, _new = ensure_user(session, user_id)
    if user.consent_at is not None and name and user.name != name:
        update_user(session, user, name=name[:200])
    save_dialog(session, user_id, FLOW, LANGUAGE, pledge=pledge)
    return user


def step(session: Session, user_id: int) -> str | None:
    dialog = get_dialog(session, user_id, FLOW)
    return dialog.step if dialog else None


def choose_language(session: Session, user_id: int, lang: str) -> str | None:
    """Set the language; the next onboarding step, or None outside onboarding."""
    user = session.get(User, user_id)
    update_user(session, user, language=lang)
    if step(session, user_id) != LANGUAGE:
        return None
    nxt = AREA if user.consent_at else CONSENT
    save_dialog(session, user_id, FLOW, nxt)
    return nxt


def give_consent(session: Session, user_id: int, name: str,
                 now: datetime | None = None) -> str | None:
    if step(session, user_id) != CONSENT:
        return None
    update_user(session, session.get(User, user_id), consent_at=now or utcnow(),
                name=name[:200])
    save_dialog(session, user_id, FLOW, AREA)
    return AREA


def decline(session: Session, user_id: int) -> bool:
    """No consent, nothing kept: the person's row goes (as with /forget). Only at the consent
    step: an old "No, thanks" button must not erase someone who agreed long ago."""
    if step(session, user_id) != CONSENT:
        return False
    return erase_person(session, user_id)


def choose_area(session: Session, user_id: int, area_id: int) -> str | None:
    """Set the home area; PHONE next when onboarding, None when it was a plain change."""
    user = session.get(User, user_id)
    if user.consent_at is None:
        raise AccessDenied("no consent yet: nothing personal is stored before it")
    if get_area(session, area_id) is None:
        raise LookupError(area_id)
    update_user(session, user, area_id=area_id)
    if step(session, user_id) == AREA:
        save_dialog(session, user_id, FLOW, PHONE)
        return PHONE
    if get_dialog(session, user_id, CHANGE_AREA):
        end_dialog(session, user_id)
    return None


def change_area(session: Session, user_id: int) -> None:
    save_dialog(session, user_id, CHANGE_AREA, AREA)


def finish(session: Session, user_id: int, phone: str | None) -> int | None:
    """Onboarded: the campaign they came to pledge to, if any."""
    user = session.get(User, user_id)
    if phone:
        update_user(session, user, phone=phone[:32])
    dialog = get_dialog(session, user_id, FLOW)
    wanted = dialog.data.get("pledge") if dialog else None
    end_dialog(session, user_id)
    return wanted


def erase_unconsented(session: Session, now: datetime) -> int:
    """People who started but never agreed, a day on: nothing of theirs is kept."""
    ids = session.exec(select(User.id).where(
        col(User.consent_at).is_(None),
        col(User.created_at) < now - UNCONSENTED_KEPT)).all()
    return sum(erase_person(session, user_id) for user_id in ids)
