"""Personal data leftovers: nothing kept before consent, nothing left after /forget, no phone
number or parameter value in any log line."""

from __future__ import annotations

import io
import json
import logging
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from bot.logs import setup_logging
from models.broadcasts import Broadcast, BroadcastDraft, create_broadcast, schedule
from models.outbox import Delivery, DeliveryStatus, claim, enqueue
from models.privacy import erase_person
from models.users import Role, User, actor_for, get_user, grant


async def test_a_bare_start_keeps_no_name_and_a_day_without_consent_keeps_nothing(loa):
    loa.user(601, "Nguyễn Văn Bí Mật", "vi")
    await loa.send(601, "/start")
    assert loa.db.call(get_user, 601).name == ""
    loa.user(602, "Trần Thị Đồng Ý", "vi")
    await loa.send(602, "/start")
    await loa.tap(602, "Tiếng Việt")
    await loa.tap(602, "Tôi đồng ý")
    assert loa.db.call(get_user, 602).name == "Trần Thị Đồng Ý"

    later = datetime.now(UTC) + timedelta(hours=25)
    await loa.services.reminders.tick(later)
    assert loa.db.call(get_user, 601) is None  # started a day ago, never agreed: gone
    assert loa.db.call(get_user, 602) is not None


def test_forget_clears_progress_chats_and_deliveries_in_flight(areas_db):
    officer, citizen = 610, 611
    areas_db.call(grant, officer, Role.OFFICER, "804")
    now = datetime.now(UTC)

    def setup(s):
        s.add(User(id=citizen, name="Lan"))
        s.flush()
        actor = actor_for(s, get_user(s, officer), frozenset())
        draft = BroadcastDraft(area_id=actor.scope.id, roles=["citizen"], text="Thông báo")
        broadcast = create_broadcast(s, actor, draft)
        schedule(s, actor, broadcast.id, now, progress=(officer, 77))
        enqueue(s, officer, "Đang gửi")
        enqueue(s, citizen, "Chưa gửi")
        claim(s, now, 1)  # the officer's message is being sent right now
        return broadcast.id
    broadcast_id = areas_db.call(setup)
    areas_db.call(erase_person, officer)
    broadcast = areas_db.call(lambda s: s.get(Broadcast, broadcast_id))
    assert (broadcast.created_by, broadcast.progress_chat_id,
            broadcast.progress_message_id) == (None, None, None)
    rows = areas_db.call(lambda s: s.exec(select(Delivery).order_by(Delivery.id)).all())
    assert [(r.chat_id < 0, r.status) for r in rows] == [
        (True, DeliveryStatus.CANCELLED), (False, DeliveryStatus.PENDING)]


@pytest.mark.parametrize("json_lines", [False, True])
def test_no_log_line_carries_a_phone_number_or_the_token(json_lines):
    stream = io.StringIO()
    setup_logging("DEBUG", "123456:SECRET", stream, json_lines=json_lines)
    log = logging.getLogger("telegram.ext.Application")
    log.debug("Processing update {'message': {'contact': {'phone_number': '+84 909 123 456',"
              " 'user_id': 8412345678}, 'text': 'gọi 0909.123.456 hoặc 84909123456'}}")
    log.error("token 123456:SECRET, reference TT26-0042, date 23/11/2026, 10000000000 đồng")
    try:
        raise RuntimeError("failed with 123456:SECRET for +84 909 123 456")
    except RuntimeError:
        log.exception("a handler failed")
    text = stream.getvalue()
    for leak in ("909 123 456", "0909.123.456", "84909123456", "SECRET"):
        assert leak not in text
    for kept in ("8412345678", "TT26-0042", "23/11/2026", "10000000000"):
        assert kept in text
    if json_lines:  # one object a line, as a log collector reads them
        lines = [json.loads(line) for line in text.splitlines()]
        assert [line["level"] for line in lines] == ["DEBUG", "ERROR", "ERROR"]
        assert lines[2]["message"] == "a handler failed"
        assert "RuntimeError" in lines[2]["exception"] and lines[0]["time"].endswith("+00:00")
    logging.getLogger().handlers.clear()


def test_database_errors_are_logged_without_parameter_values(areas_db):
    areas_db.call(lambda s: s.add(User(id=620, name="Lan", phone="+84909123456")))
    with pytest.raises(IntegrityError) as error:
        areas_db.call(lambda s: s.add(User(id=620, name="Lan", phone="+84909123456")))
    assert "+84909123456" not in str(error.value)
