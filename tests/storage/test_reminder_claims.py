"""A claimed reminder is written back, and sent, only while it is still that claim."""

from __future__ import annotations

import datetime as dt

from bot.storage import Database
from bot.storage.reminders import ClaimState
from tests.storage.conftest import T0

H = dt.timedelta(hours=1)


async def claimed(db: Database, user_id: int = 1) -> tuple[dt.datetime, list[int]]:
    """A fail of AI-102 and its reminder, claimed at T0 + 1 h: (claim stamp, attempt ids)."""
    attempt = await db.attempts.add(user_id, "AI-102", T0 - 24 * H, "fail", None, True)
    await db.reminders.set(user_id, "AI-102", T0)
    [reminder] = await db.reminders.claim_due(T0 + H)
    assert reminder.sent_at == T0 + H
    return reminder.sent_at, [attempt.id]


async def test_check_claim_should_hold_while_nothing_changed(db: Database) -> None:
    stamp, ids = await claimed(db)

    assert await db.reminders.check_claim(1, "AI-102", stamp, ids) is ClaimState.HELD
    assert await db.reminders.check_claim(1, "ai102", stamp, ids) is ClaimState.HELD


async def test_check_claim_should_be_lost_when_forgotten_disabled_or_set_anew(
    db: Database,
) -> None:
    stamp, ids = await claimed(db, user_id=1)
    assert await db.reminders.check_claim(1, "AI-102", stamp + H, ids) is ClaimState.LOST
    assert await db.reminders.check_claim(1, "not a code", stamp, ids) is ClaimState.LOST
    await db.forget_user(1)
    assert await db.reminders.check_claim(1, "AI-102", stamp, ids) is ClaimState.LOST

    stamp, ids = await claimed(db, user_id=2)
    await db.reminders.disable(2, "AI-102")
    assert await db.reminders.check_claim(2, "AI-102", stamp, ids) is ClaimState.LOST

    stamp, ids = await claimed(db, user_id=3)
    await db.reminders.set(3, "AI-102", T0 + 48 * H)  # /remind again: a new, unsent one
    assert await db.reminders.check_claim(3, "AI-102", stamp, ids) is ClaimState.LOST


async def test_check_claim_should_be_stale_when_the_attempts_changed(db: Database) -> None:
    stamp, ids = await claimed(db)
    other = await db.attempts.add(1, "AI-102", T0 - 48 * H, "fail", None, True)
    assert await db.reminders.check_claim(1, "AI-102", stamp, ids) is ClaimState.STALE
    assert await db.attempts.delete(1, other.id)
    assert await db.reminders.check_claim(1, "AI-102", stamp, ids) is ClaimState.HELD
    assert await db.attempts.delete(1, ids[0])
    assert await db.reminders.check_claim(1, "AI-102", stamp, ids) is ClaimState.STALE
    await db.attempts.add(1, "AZ-104", T0, "fail", None, True)  # another exam: no matter
    assert await db.reminders.check_claim(1, "AI-102", stamp, []) is ClaimState.HELD


async def test_rearm_should_touch_only_the_same_enabled_claim(db: Database) -> None:
    stamp, _ = await claimed(db, user_id=1)
    assert not await db.reminders.rearm(1, "AI-102", T0 + 9 * H, claimed_at=stamp + H)
    assert await db.reminders.rearm(1, "AI-102", T0 + 9 * H, claimed_at=stamp)
    rearmed = await db.reminders.get(1, "AI-102")
    assert rearmed is not None and rearmed.due_at == T0 + 9 * H and rearmed.sent_at is None

    stamp, _ = await claimed(db, user_id=2)
    await db.forget_user(2)
    assert not await db.reminders.rearm(2, "AI-102", T0 + 9 * H, claimed_at=stamp)
    assert await db.reminders.get(2, "AI-102") is None  # never re-created

    stamp, _ = await claimed(db, user_id=3)
    await db.reminders.disable(3, "AI-102")
    assert not await db.reminders.rearm(3, "AI-102", T0 + 9 * H, claimed_at=stamp)
    off = await db.reminders.get(3, "AI-102")
    assert off is not None and not off.enabled  # never turned back on


async def test_release_with_a_claim_should_touch_only_that_claim(db: Database) -> None:
    stamp, _ = await claimed(db, user_id=1)
    assert not await db.reminders.release(1, "AI-102", T0 + 5 * H, claimed_at=stamp + H)
    assert await db.reminders.release(1, "AI-102", T0 + 5 * H, claimed_at=stamp)
    assert not await db.reminders.release(1, "AI-102", T0 + 5 * H, claimed_at=stamp)
    assert [r.user_id for r in await db.reminders.claim_due(T0 + 5 * H)] == [1]

    stamp, _ = await claimed(db, user_id=2)
    await db.forget_user(2)
    assert not await db.reminders.release(2, "AI-102", claimed_at=stamp)
    assert await db.reminders.list_for_user(2) == []
