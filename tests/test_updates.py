"""One person's updates are handled in order; different people's at the same time."""

import asyncio

from telegram import Message as TgMessage
from telegram import Update, User

from bot.updates import PerUserUpdateProcessor


def update(update_id: int, user_id: int) -> Update:
    user = User(user_id, "U", is_bot=False)
    return Update(update_id, message=TgMessage(update_id, None, chat=None, from_user=user))


async def test_same_person_in_order_others_concurrently():
    processor = PerUserUpdateProcessor(8)
    log: list[str] = []
    running = {"now": 0, "peak": 0}

    async def handle(name: str, delay: float) -> None:
        running["now"] += 1
        running["peak"] = max(running["peak"], running["now"])
        log.append(f"start {name}")
        await asyncio.sleep(delay)
        log.append(f"end {name}")
        running["now"] -= 1

    await asyncio.gather(
        processor.process_update(update(1, 7), handle("a1", 0.05)),
        processor.process_update(update(2, 7), handle("a2", 0.0)),
        processor.process_update(update(3, 8), handle("b1", 0.01)),
    )
    assert log.index("end a1") < log.index("start a2")      # Lan's steps never overlap
    assert log.index("start b1") < log.index("end a1")      # Hùng did not wait for Lan
    assert running["peak"] == 2
    assert processor._people == {}                            # idle people are forgotten
