from __future__ import annotations

import datetime as dt
import sqlite3

import pytest

from bot.storage import Database, DuplicateAttemptError, StoredAttempt
from tests.storage.conftest import T0, UTC


async def test_add_should_store_and_return_a_typed_attempt(db: Database) -> None:
    paris = dt.timezone(dt.timedelta(hours=1))
    stored = await db.attempts.add(1, "ai102", T0.astimezone(paris), "fail", 612, True)
    assert isinstance(stored, StoredAttempt)
    assert stored.exam_code == "AI-102"
    assert stored.taken_at == T0 and stored.taken_at.tzinfo == UTC
    assert stored.created_at.tzinfo == UTC
    assert await db.attempts.get(1, stored.id) == stored
    assert await db.attempts.list_for_user(1) == [stored]


async def test_list_for_user_should_order_by_taken_at_and_filter_by_exam(db: Database) -> None:
    later = await db.attempts.add(1, "AI-102", T0 + dt.timedelta(days=3), "pass", 800, True)
    other = await db.attempts.add(1, "AZ-104", T0 + dt.timedelta(days=1), "fail", None, False)
    first = await db.attempts.add(1, "AI-102", T0, "fail", 500, True)
    await db.attempts.add(2, "AI-102", T0, "fail", 500, True)
    assert await db.attempts.list_for_user(1) == [first, other, later]
    assert await db.attempts.list_for_user(1, "ai 102") == [first, later]
    assert await db.attempts.list_for_user(1, "not a code") == []
    assert await db.attempts.exam_codes_for_user(1) == ["AI-102", "AZ-104"]
    assert await db.attempts.exam_codes_for_user(3) == []


async def test_add_should_reject_a_duplicate_and_write_nothing(db: Database) -> None:
    first = await db.attempts.add(1, "AI-102", T0, "fail", 500, True)
    with pytest.raises(DuplicateAttemptError):
        # Same instant in another zone and another spelling of the code is the same attempt.
        await db.attempts.add(
            1, "ai-102", T0.astimezone(dt.timezone(dt.timedelta(hours=-5))), "pass", 900, False
        )
    assert await db.attempts.list_for_user(1) == [first]
    # The connection is usable afterwards: the failed transaction was rolled back.
    await db.attempts.add(1, "AI-102", T0 + dt.timedelta(seconds=1), "pass", 900, True)
    assert len(await db.attempts.list_for_user(1)) == 2
    # Another member may log the very same exam at the very same time.
    await db.attempts.add(2, "AI-102", T0, "fail", 500, True)


@pytest.mark.parametrize(
    ("taken_at", "result", "score", "code"),
    [
        (dt.datetime(2026, 11, 1, 9, 0), "fail", 500, "AI-102"),  # naive
        (T0, "passed", 500, "AI-102"),
        (T0, "fail", 0, "AI-102"),
        (T0, "fail", 1001, "AI-102"),
        (T0, "fail", 500, "AI102X"),
    ],
)
async def test_add_should_raise_value_error_on_bad_input_and_write_nothing(
    db: Database, taken_at: dt.datetime, result: str, score: int, code: str
) -> None:
    with pytest.raises(ValueError):
        await db.attempts.add(1, code, taken_at, result, score, True)
    assert await db.attempts.list_for_user(1) == []


async def test_score_bounds_should_be_inclusive(db: Database) -> None:
    low = await db.attempts.add(1, "AI-102", T0, "fail", 1, True)
    high = await db.attempts.add(1, "AI-102", T0 + dt.timedelta(hours=1), "pass", 1000, True)
    none = await db.attempts.add(1, "AI-102", T0 + dt.timedelta(hours=2), "pass", None, False)
    assert [a.score for a in (low, high, none)] == [1, 1000, None]
    assert none.time_given is False


@pytest.mark.sqlite_only  # SQLite's typeof() CHECKs; PostgreSQL's column types do it
@pytest.mark.parametrize(
    ("column", "value"),
    [("result", "maybe"), ("score", 0), ("score", 1001), ("time_given", 2), ("user_id", "x")],
)
async def test_check_constraints_should_reject_bad_rows_written_around_the_repository(
    db: Database, column: str, value: object
) -> None:
    row = {
        "user_id": 1,
        "exam_code": "AI-102",
        "taken_at": "2026-11-01T09:00:00.000000+00:00",
        "result": "fail",
        "score": 500,
        "time_given": 1,
        "created_at": "2026-11-01T09:00:00.000000+00:00",
    }
    row[column] = value
    with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
        async with db.transaction() as conn:
            await conn.execute(
                "INSERT INTO attempts (user_id, exam_code, taken_at, result, score, time_given,"
                " created_at) VALUES (:user_id, :exam_code, :taken_at, :result, :score,"
                " :time_given, :created_at)",
                row,
            )
    assert await db.attempts.list_for_user(1) == []


async def test_get_and_delete_should_only_reach_the_members_own_attempt(db: Database) -> None:
    mine = await db.attempts.add(1, "AI-102", T0, "fail", 500, True)
    theirs = await db.attempts.add(2, "AI-102", T0, "fail", 500, True)
    assert await db.attempts.get(1, theirs.id) is None
    assert await db.attempts.delete(1, theirs.id) is False
    assert await db.attempts.get(2, theirs.id) == theirs
    assert await db.attempts.delete(1, 10_000) is False
    assert await db.attempts.delete(1, mine.id) is True
    assert await db.attempts.delete(1, mine.id) is False
    assert await db.attempts.list_for_user(1) == []
    assert await db.attempts.list_for_user(2) == [theirs]
