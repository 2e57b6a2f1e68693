from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import pytest

from bot.storage import Database, Reminder
from bot.storage.reminders import DEFAULT_LEASE
from tests.storage.conftest import T0

H = dt.timedelta(hours=1)


async def claim_and_send(db: Database, now: dt.datetime, limit: int = 100) -> list[Reminder]:
    """What a delivering scheduler does: claim, then mark each claimed reminder sent."""
    claimed = await db.reminders.claim_due(now, limit)
    for r in claimed:
        assert r.claimed_by is not None
        assert await db.reminders.mark_sent(r.user_id, r.exam_code, now, claim=r.claimed_by)
    return claimed


async def test_set_should_upsert_an_enabled_unsent_reminder(db: Database) -> None:
    first = await db.reminders.set(1, "ai102", T0)
    assert first == Reminder(1, "AI-102", T0, enabled=True, sent_at=None, claimable_at=T0)
    assert await db.reminders.get(1, "AI-102") == first
    moved = await db.reminders.set(1, "AI-102", T0 + H)
    assert await db.reminders.list_for_user(1) == [moved]
    assert moved.due_at == T0 + H


async def test_set_should_refuse_a_naive_due_time(db: Database) -> None:
    with pytest.raises(ValueError, match="naive"):
        await db.reminders.set(1, "AI-102", dt.datetime(2026, 12, 1))
    assert await db.reminders.list_for_user(1) == []


async def test_disable_should_stop_a_reminder_from_being_due(db: Database) -> None:
    await db.reminders.set(1, "AI-102", T0)
    assert await db.reminders.disable(1, "AI-102") is True
    assert await db.reminders.disable(1, "AI-102") is False
    assert await db.reminders.disable(1, "AZ-104") is False
    assert await db.reminders.disable(1, "garbage") is False
    stored = await db.reminders.get(1, "AI-102")
    assert stored is not None and stored.enabled is False
    assert await db.reminders.next_due_at() is None
    assert await db.reminders.claim_due(T0 + H) == []
    # Setting it again re-enables it.
    await db.reminders.set(1, "AI-102", T0)
    assert await db.reminders.next_due_at() == T0


async def test_next_due_at_should_be_the_earliest_enabled_unsent(db: Database) -> None:
    assert await db.reminders.next_due_at() is None
    await db.reminders.set(1, "AI-102", T0 + 3 * H)
    await db.reminders.set(2, "AI-102", T0 + H)
    await db.reminders.set(3, "AI-102", T0)
    await db.reminders.disable(3, "AI-102")
    assert await db.reminders.next_due_at() == T0 + H
    [claimed] = await db.reminders.claim_due(T0 + H)
    # Claimed, not yet sent: it may be claimed again when its lease ends.
    assert await db.reminders.next_due_at() == T0 + H + DEFAULT_LEASE
    assert claimed.claimed_by is not None
    await db.reminders.mark_sent(2, "AI-102", T0 + H, claim=claimed.claimed_by)
    assert await db.reminders.next_due_at() == T0 + 3 * H


async def test_claim_due_should_return_due_reminders_once_soonest_first(db: Database) -> None:
    await db.reminders.set(1, "AI-102", T0 + H)
    await db.reminders.set(2, "AZ-104", T0)
    await db.reminders.set(3, "AI-102", T0 + 5 * H)  # not yet due
    claimed = await db.reminders.claim_due(T0 + 2 * H)
    assert [(r.user_id, r.exam_code) for r in claimed] == [(2, "AZ-104"), (1, "AI-102")]
    assert all(r.sent_at is None and r.claimable_at == T0 + 2 * H + DEFAULT_LEASE for r in claimed)
    assert len({r.claimed_by for r in claimed}) == 1 and claimed[0].claimed_by
    assert await db.reminders.claim_due(T0 + 2 * H) == []
    stored = await db.reminders.get(1, "AI-102")
    assert stored is not None and stored.claimed_by == claimed[0].claimed_by
    assert stored.sent_at is None  # sent_at waits for the DM
    for r in claimed:
        await db.reminders.mark_sent(r.user_id, r.exam_code, T0 + 2 * H, claim=str(r.claimed_by))
    later = await db.reminders.claim_due(T0 + 10 * H)
    assert [(r.user_id, r.exam_code) for r in later] == [(3, "AI-102")]


async def test_claim_due_should_include_a_reminder_due_exactly_now(db: Database) -> None:
    await db.reminders.set(1, "AI-102", T0)
    assert len(await db.reminders.claim_due(T0)) == 1


async def test_claim_due_should_respect_the_limit(db: Database) -> None:
    for user in range(10):
        await db.reminders.set(user, "AI-102", T0 + dt.timedelta(minutes=user))
    first = await db.reminders.claim_due(T0 + H, limit=4)
    rest = await db.reminders.claim_due(T0 + H, limit=100)
    assert [r.user_id for r in first] == [0, 1, 2, 3]
    assert [r.user_id for r in rest] == [4, 5, 6, 7, 8, 9]


async def test_concurrent_claims_should_never_return_the_same_reminder_twice(
    db: Database, db_path: Path
) -> None:
    for user in range(300):
        await db.reminders.set(user, "AI-102", T0)
    # Two coroutines on this connection and two on a second connection (as a second
    # process would be), all claiming in small batches at once.
    other = await Database.open(db_path)
    try:

        async def drain(database: Database) -> list[Reminder]:
            got: list[Reminder] = []
            while batch := await database.reminders.claim_due(T0 + H, limit=7):
                got.extend(batch)
                await asyncio.sleep(0)
            return got

        results = await asyncio.gather(drain(db), drain(db), drain(other), drain(other))
    finally:
        await other.close()
    keys = [(r.user_id, r.exam_code) for batch in results for r in batch]
    assert len(keys) == 300
    assert len(set(keys)) == 300


async def test_claims_should_survive_a_restart(db_path: Path) -> None:
    async with await Database.open(db_path) as db:
        await db.reminders.set(1, "AI-102", T0)
        await db.reminders.set(2, "AI-102", T0 + 2 * H)
        assert [r.user_id for r in await claim_and_send(db, T0 + H)] == [1]
        await db.reminders.set(3, "AI-102", T0)
        assert [r.user_id for r in await db.reminders.claim_due(T0 + H)] == [3]  # then "dies"
    async with await Database.open(db_path) as db:  # "restart"
        # 1 was sent; 3's claimer died before sending, and its lease is over.
        assert [r.user_id for r in await claim_and_send(db, T0 + 3 * H)] == [3, 2]
    async with await Database.open(db_path) as db:
        assert await db.reminders.claim_due(T0 + 100 * H) == []
        assert await db.reminders.next_due_at() is None


async def test_release_should_make_a_claimed_reminder_due_again(db: Database) -> None:
    await db.reminders.set(1, "AI-102", T0)
    await db.reminders.set(2, "AI-102", T0)
    one, two = await db.reminders.claim_due(T0 + H)
    assert await db.reminders.release(1, "AI-102", claim=str(one.claimed_by))
    assert await db.reminders.release(
        2, "AI-102", retry_at=T0 + 5 * H, claim=str(two.claimed_by), failed=True
    )
    assert [r.user_id for r in await claim_and_send(db, T0 + H)] == [1]
    assert await db.reminders.claim_due(T0 + 5 * H - dt.timedelta(microseconds=1)) == []
    [again] = await db.reminders.claim_due(T0 + 5 * H)
    # The back-off moved when it may be claimed, not when it was due: same nonce.
    assert (again.user_id, again.due_at, again.failures) == (2, T0, 1)
    assert again.nonce == two.nonce


async def test_release_should_not_touch_an_unclaimed_reminder(db: Database) -> None:
    await db.reminders.set(1, "AI-102", T0)
    assert not await db.reminders.release(1, "AI-102", retry_at=T0 + 5 * H, claim="nobody")
    assert not await db.reminders.release(1, "nope", claim="nobody")
    assert await db.reminders.get(1, "AI-102") == Reminder(
        1, "AI-102", T0, True, None, claimable_at=T0
    )


async def test_set_after_sending_should_schedule_a_fresh_reminder(db: Database) -> None:
    await db.reminders.set(1, "AI-102", T0)
    await claim_and_send(db, T0)
    await db.reminders.set(1, "AI-102", T0 + 24 * H)
    assert await db.reminders.next_due_at() == T0 + 24 * H
    assert len(await db.reminders.claim_due(T0 + 24 * H)) == 1
