"""Read-check-write races, on SQLite (the default) and PostgreSQL: two threads, with a pause
between one's check and its write, must never both win.

The pause is put inside the domain function that runs second in time, after its check: the
other thread runs its whole transaction meanwhile. Without a write lock taken before the check,
both "succeed" and the later write overwrites the earlier one (a receipt vanishing under a
cancel).
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, date, datetime

import pytest

import models.pledges as pledges_module
from models.areas import by_code
from models.campaigns import CampaignDraft, create_campaign
from models.pledges import (
    Pledge,
    PledgeDraft,
    PledgeStatus,
    change_own_pledge,
    mark_received,
    register_pledge,
)
from models.users import AccessDenied, Role, actor_for, ensure_user, get_user, grant, update_user

NOW = datetime(2023, 10, 20, 3, 0, tzinfo=UTC)
TODAY = date(2023, 10, 20)
OFFICER, PLEDGER = 10, 20


def _seed(s) -> int:
    grant(s, OFFICER, Role.OFFICER, "804")
    user = ensure_user(s, PLEDGER, "Lan")[0]
    update_user(s, user, area_id=by_code(s, "28042-A1").id)
    campaign = create_campaign(s, actor_for(s, get_user(s, OFFICER), frozenset()), CampaignDraft(
        name="Tháng cao điểm", description="", starts_on=date(2023, 10, 17),
        ends_on=date(2023, 11, 18), area_id=by_code(s, "804").id, money_target=0))
    return register_pledge(s, user, PledgeDraft(campaign.id, "individual", "Lan", "money",
                                                500_000, True), "tok", NOW, TODAY)[0].id


def _race(db, monkeypatch, slow, fast) -> list[str]:
    """Run `slow` (paused after its check) and `fast` (started during the pause); what each
    did: "ok" or "refused"."""
    checked = threading.Event()
    real = pledges_module._snapshot

    def paused_snapshot(pledge):
        if threading.current_thread().name == "slow":
            checked.set()
            time.sleep(0.5)
        return real(pledge)

    monkeypatch.setattr(pledges_module, "_snapshot", paused_snapshot)
    results: dict[str, str] = {}

    def run(name, fn):
        try:
            db.call(fn)
            results[name] = "ok"
        except AccessDenied:
            results[name] = "refused"

    slow_thread = threading.Thread(target=run, args=("slow", slow), name="slow")
    slow_thread.start()
    # The slow one may be blocked before its check (the fast one holds the lock): then it never
    # signals, and the fast one is started after a while anyway.
    checked.wait(timeout=2)
    fast_thread = threading.Thread(target=run, args=("fast", fast), name="fast")
    fast_thread.start()
    slow_thread.join(10)
    fast_thread.join(10)
    return [results["slow"], results["fast"]]


@pytest.mark.parametrize("slow_is", ["cancel", "receive"])
def test_a_receipt_and_a_cancel_never_both_win(areas_db, monkeypatch, slow_is):
    pledge_id = areas_db.call(_seed)

    def cancel(s):
        change_own_pledge(s, PLEDGER, pledge_id, NOW, status=PledgeStatus.CANCELLED)

    def receive(s):
        officer = actor_for(s, get_user(s, OFFICER), frozenset())
        mark_received(s, officer, pledge_id, 500_000, TODAY, NOW)

    slow, fast = (cancel, receive) if slow_is == "cancel" else (receive, cancel)
    outcome = _race(areas_db, monkeypatch, slow, fast)
    assert sorted(outcome) == ["ok", "refused"]
    winner = (slow_is if outcome[0] == "ok" else
              {"cancel": "receive", "receive": "cancel"}[slow_is])
    final = areas_db.call(lambda s: s.get(Pledge, pledge_id))
    if winner == "receive":
        assert (final.status, final.received_amount) == (PledgeStatus.RECEIVED, 500_000)
    else:
        assert (final.status, final.received_amount) == (PledgeStatus.CANCELLED, None)
