from __future__ import annotations

import asyncio
import datetime as dt

from bot.storage import Database, DuplicateAttemptError
from tests.storage.conftest import T0, scalar


async def test_200_simultaneous_adds_from_50_members_should_all_be_stored_once(
    db: Database,
) -> None:
    calls = [(member, T0 + dt.timedelta(minutes=n)) for member in range(50) for n in range(4)]
    results = await asyncio.gather(
        *(db.attempts.add(m, "AI-102", t, "fail", 500, True) for m, t in calls)
    )
    assert len(results) == 200
    assert len({r.id for r in results}) == 200
    for member in range(50):
        stored = await db.attempts.list_for_user(member)
        assert [a.taken_at for a in stored] == [T0 + dt.timedelta(minutes=n) for n in range(4)]
    assert await scalar(db, "SELECT COUNT(*) FROM attempts") == 200


async def test_simultaneous_duplicates_should_store_exactly_one(db: Database) -> None:
    results = await asyncio.gather(
        *(db.attempts.add(1, "AI-102", T0, "fail", 500, True) for _ in range(20)),
        return_exceptions=True,
    )
    stored = [r for r in results if not isinstance(r, BaseException)]
    assert len(stored) == 1
    assert all(isinstance(r, DuplicateAttemptError) for r in results if r not in stored)
    assert await db.attempts.list_for_user(1) == stored


async def test_interleaved_writers_should_not_share_a_transaction(db: Database) -> None:
    """A transaction that fails must not roll back another coroutine's write."""

    class BoomError(Exception):
        pass

    async def failing() -> None:
        try:
            async with db.transaction() as conn:
                await conn.execute(
                    "INSERT INTO unanswered (normalized, question, count, first_seen,"
                    " last_seen) VALUES ('x', 'x', 1, 'a', 'a')"
                )
                await asyncio.sleep(0.01)  # others try to write meanwhile
                raise BoomError
        except BoomError:
            pass

    await asyncio.gather(
        failing(), *(db.attempts.add(u, "AI-102", T0, "pass", None, True) for u in range(10))
    )
    assert await db.unanswered.top() == []
    for user in range(10):
        assert len(await db.attempts.list_for_user(user)) == 1


async def test_a_cancelled_transaction_should_roll_back_and_leave_the_db_usable(
    db: Database,
) -> None:
    started = asyncio.Event()

    async def slow() -> None:
        async with db.transaction() as conn:
            await conn.execute(
                "INSERT INTO user_settings (user_id, timezone, updated_at) VALUES (9, 'UTC', 'a')"
            )
            started.set()
            await asyncio.sleep(10)

    task = asyncio.create_task(slow())
    await started.wait()
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    await db.settings.set_timezone(1, "Europe/Paris")
    export = await db.export_user(9)
    assert export["settings"] is None
    assert await db.settings.get_timezone(1) == "Europe/Paris"
