"""/reconcile: an officer sends the bank statement; Loa shows what it would change, then
applies it in one go (models/reconcile.py)."""

from __future__ import annotations

from sqlmodel import Session

from bot.config import Config
from handlers.pledge_desk import tell_pledger
from models.campaigns import Campaign
from models.pledges import Pledge
from models.reconcile import Thank


def thanks(config: Config) -> Thank:
    """The pledger is thanked as when an officer marks the pledge received at the desk."""
    def thank(session: Session, pledge: Pledge, campaign: Campaign) -> None:
        tell_pledger(session, config, pledge, campaign.name, True)
    return thank
