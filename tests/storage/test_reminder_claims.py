"""A claimed reminder is a lease: written back, and sent, only while it is still that
claim; a claim whose lease ended is anyone's again; sent_at waits for the DM."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import aiosqlite
import pytest

from bot.storage import Database
from bot.storage._migrate import load_migrations, migrate
from bot.storage.reminders import ClaimState
from tests.conftest import Store
from tests.storage.conftest import T0

H = dt.timedelta(hours=1)
LEASE = dt.timedelta(minutes=5)


async def claimed(db: Database, user_id: int = 1) -> tuple[str, list[int]]:
    """A fail of AI-102 and its reminder, claimed at T0 + 1 h: (claim token, attempt ids)."""
    attempt = await db.attempts.add(user_id, "AI-102", T0 - 24 * H, "fail", None, True)
    await db.reminders.set(user_id, "AI-102", T0)
    [reminder] = await db.reminders.claim_due(T0 + H, lease=LEASE)
    assert reminder.claimed_by is not None and reminder.sent_at is None
    return reminder.claimed_by, [attempt.id]


async def test_check_claim_should_hold_while_nothing_changed(db: Database) -> None:
    claim, ids = await claimed(db)

    assert await db.reminders.check_claim(1, "AI-102", claim, ids) is ClaimState.HELD
    assert await db.reminders.check_claim(1, "ai102", claim, ids) is ClaimState.HELD


async def test_check_claim_should_be_lost_when_forgotten_disabled_or_set_anew(
    db: Database,
) -> None:
    claim, ids = await claimed(db, user_id=1)
    assert await db.reminders.check_claim(1, "AI-102", claim + "x", ids) is ClaimState.LOST
    assert await db.reminders.check_claim(1, "not a code", claim, ids) is ClaimState.LOST
    await db.forget_user(1)
    assert await db.reminders.check_claim(1, "AI-102", claim, ids) is ClaimState.LOST

    claim, ids = await claimed(db, user_id=2)
    await db.reminders.disable(2, "AI-102")
    assert await db.reminders.check_claim(2, "AI-102", claim, ids) is ClaimState.LOST

    claim, ids = await claimed(db, user_id=3)
    await db.reminders.set(3, "AI-102", T0 + 48 * H)  # /remind again: a new, unsent one
    assert await db.reminders.check_claim(3, "AI-102", claim, ids) is ClaimState.LOST


async def test_check_claim_should_be_stale_when_the_attempts_changed(db: Database) -> None:
    claim, ids = await claimed(db)
    other = await db.attempts.add(1, "AI-102", T0 - 48 * H, "fail", None, True)
    assert await db.reminders.check_claim(1, "AI-102", claim, ids) is ClaimState.STALE
    assert await db.attempts.delete(1, other.id)
    assert await db.reminders.check_claim(1, "AI-102", claim, ids) is ClaimState.HELD
    assert await db.attempts.delete(1, ids[0])
    assert await db.reminders.check_claim(1, "AI-102", claim, ids) is ClaimState.STALE
    await db.attempts.add(1, "AZ-104", T0, "fail", None, True)  # another exam: no matter
    assert await db.reminders.check_claim(1, "AI-102", claim, []) is ClaimState.HELD


async def test_rearm_should_touch_only_the_same_enabled_claim(db: Database) -> None:
    claim, _ = await claimed(db, user_id=1)
    assert not await db.reminders.rearm(1, "AI-102", T0 + 9 * H, claim=claim + "x")
    assert await db.reminders.rearm(1, "AI-102", T0 + 9 * H, claim=claim)
    rearmed = await db.reminders.get(1, "AI-102")
    assert rearmed is not None and rearmed.due_at == T0 + 9 * H and rearmed.sent_at is None
    assert rearmed.claimed_by is None and rearmed.claimable_at == T0 + 9 * H

    claim, _ = await claimed(db, user_id=2)
    await db.forget_user(2)
    assert not await db.reminders.rearm(2, "AI-102", T0 + 9 * H, claim=claim)
    assert await db.reminders.get(2, "AI-102") is None  # never re-created

    claim, _ = await claimed(db, user_id=3)
    await db.reminders.disable(3, "AI-102")
    assert not await db.reminders.rearm(3, "AI-102", T0 + 9 * H, claim=claim)
    off = await db.reminders.get(3, "AI-102")
    assert off is not None and not off.enabled  # never turned back on


async def test_release_with_a_claim_should_touch_only_that_claim(db: Database) -> None:
    claim, _ = await claimed(db, user_id=1)
    assert not await db.reminders.release(1, "AI-102", T0 + 5 * H, claim=claim + "x")
    assert await db.reminders.release(1, "AI-102", T0 + 5 * H, claim=claim)
    assert not await db.reminders.release(1, "AI-102", T0 + 5 * H, claim=claim)
    assert [r.user_id for r in await db.reminders.claim_due(T0 + 5 * H)] == [1]

    claim, _ = await claimed(db, user_id=2)
    await db.forget_user(2)
    assert not await db.reminders.release(2, "AI-102", claim=claim)
    assert await db.reminders.list_for_user(2) == []


# --------------------------------------------------------------------------- leases


async def test_a_live_lease_should_keep_others_off_and_an_ended_one_let_them_in(
    db: Database,
) -> None:
    """The claimer "dies" after claiming: nobody else gets the reminder while its lease
    runs; once it ends, the next claim takes it, and the dead claim is lost for good."""
    claim, ids = await claimed(db)  # leased until T0 + 1 h + LEASE

    assert await db.reminders.claim_due(T0 + H + LEASE - dt.timedelta(microseconds=1)) == []
    assert await db.reminders.next_due_at() == T0 + H + LEASE
    [taken] = await db.reminders.claim_due(T0 + H + LEASE, lease=LEASE)

    assert taken.claimed_by not in (None, claim)
    assert taken.due_at == T0  # still the same reminder, for the same wait
    assert await db.reminders.check_claim(1, "AI-102", claim, ids) is ClaimState.LOST
    assert not await db.reminders.mark_sent(1, "AI-102", T0 + 2 * H, claim=claim)
    assert await db.reminders.check_claim(1, "AI-102", str(taken.claimed_by), ids) is (
        ClaimState.HELD
    )


async def test_check_claim_should_renew_the_lease(db: Database) -> None:
    claim, ids = await claimed(db)
    renewed = T0 + 3 * H
    state = await db.reminders.check_claim(1, "AI-102", claim, ids, renew_until=renewed)
    assert state is ClaimState.HELD

    assert await db.reminders.claim_due(renewed - dt.timedelta(microseconds=1)) == []
    stored = await db.reminders.get(1, "AI-102")
    assert stored is not None and stored.claimable_at == renewed and stored.claimed_by == claim


async def test_mark_sent_should_finish_only_that_claim_and_never_hand_it_out_again(
    db: Database,
) -> None:
    claim, _ = await claimed(db)
    assert not await db.reminders.mark_sent(1, "AI-102", T0 + H, claim=claim + "x")
    assert await db.reminders.mark_sent(1, "AI-102", T0 + H, claim=claim)
    assert not await db.reminders.mark_sent(1, "AI-102", T0 + H, claim=claim)

    stored = await db.reminders.get(1, "AI-102")
    assert stored is not None and stored.sent_at == T0 + H and stored.claimed_by is None
    assert await db.reminders.claim_due(T0 + 1000 * H) == []
    assert await db.reminders.next_due_at() is None

    claim, _ = await claimed(db, user_id=2)
    await db.forget_user(2)
    assert not await db.reminders.mark_sent(2, "AI-102", T0 + H, claim=claim)
    assert await db.reminders.list_for_user(2) == []  # never re-created


async def test_give_up_should_count_the_failure_and_stop_the_reminder(db: Database) -> None:
    claim, _ = await claimed(db)
    assert await db.reminders.release(1, "AI-102", T0 + 2 * H, claim=claim, failed=True)
    [again] = await db.reminders.claim_due(T0 + 2 * H)
    assert again.failures == 1
    assert await db.reminders.give_up(1, "AI-102", T0 + 2 * H, claim=str(again.claimed_by))

    stored = await db.reminders.get(1, "AI-102")
    assert stored is not None and stored.failures == 2 and stored.sent_at == T0 + 2 * H
    assert await db.reminders.claim_due(T0 + 1000 * H) == []


async def test_the_nonce_should_follow_the_reminder_and_its_due_time(db: Database) -> None:
    first = await db.reminders.set(1, "AI-102", T0)
    assert len(first.nonce) <= 25  # Discord's limit
    [claim] = await db.reminders.claim_due(T0 + H)
    assert claim.nonce == first.nonce
    assert (await db.reminders.set(2, "AI-102", T0)).nonce != first.nonce
    assert (await db.reminders.set(1, "AZ-104", T0)).nonce != first.nonce
    assert await db.reminders.rearm(1, "AI-102", T0 + 9 * H, claim=str(claim.claimed_by))
    rearmed = await db.reminders.get(1, "AI-102")
    assert rearmed is not None and rearmed.nonce != first.nonce  # a new wait: a new DM
    assert (await db.reminders.set(1, "AI-102", T0)).nonce == first.nonce


async def test_a_lease_must_be_positive(db: Database) -> None:
    await db.reminders.set(1, "AI-102", T0)
    with pytest.raises(ValueError, match="positive"):
        await db.reminders.claim_due(T0, lease=dt.timedelta(0))


@pytest.mark.postgres_only
async def test_claimers_on_separate_connections_should_split_the_rows_between_them(
    store: Store,
) -> None:
    """Four pools (as four processes would have), claiming in small batches at once:
    every reminder is claimed exactly once, and SKIP LOCKED means nobody waits for
    another's rows."""
    databases = [await store.open() for _ in range(4)]
    for user in range(400):
        await databases[0].reminders.set(user, "AI-102", T0)

    async def drain(database: Database) -> list[tuple[int, str]]:
        got: list[tuple[int, str]] = []
        while batch := await database.reminders.claim_due(T0 + H, limit=9, lease=LEASE):
            got.extend((r.user_id, r.exam_code) for r in batch)
        return got

    results = await asyncio.gather(*(drain(d) for d in databases for _ in range(2)))
    keys = [key for result in results for key in result]
    assert len(keys) == 400 and len(set(keys)) == 400


@pytest.mark.sqlite_only
async def test_migration_3_should_keep_pending_reminders_due_and_sent_ones_sent(
    db_path: Path,
) -> None:
    """A database from before leases: a pending reminder becomes claimable at its due
    time; one claimed (= sent, then) stays sent."""
    db_path.parent.mkdir(parents=True)
    async with aiosqlite.connect(db_path) as conn:
        await migrate(conn, load_migrations()[:2])
        stamp = "2026-11-01T09:00:00.000000+00:00"
        await conn.execute(
            "INSERT INTO reminders (user_id, exam_code, due_at, enabled, sent_at, created_at)"
            " VALUES (1, 'AI-102', ?, 1, NULL, ?), (2, 'AI-102', ?, 1, ?, ?)",
            (stamp, stamp, stamp, stamp, stamp),
        )
        await conn.commit()
    async with await Database.open(db_path) as db:
        assert await db.reminders.next_due_at() == T0
        [pending] = await db.reminders.claim_due(T0 + H)
        assert pending.user_id == 1 and pending.failures == 0
        sent = await db.reminders.get(2, "AI-102")
        assert sent is not None and sent.sent_at == T0 and sent.claimed_by is None
