from __future__ import annotations

import sqlite3
from pathlib import Path

import aiosqlite
import pytest

from bot.storage import Database, DatabaseTooNewError, MigrationError
from bot.storage._migrate import Migration, load_migrations, migrate

TABLES = {"attempts", "user_settings", "reminders", "unanswered", "feedback"}


def _version(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        return int(conn.execute("PRAGMA user_version").fetchone()[0])


def _tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    return {r[0] for r in rows}


def test_migration_files_should_be_numbered_without_gaps_and_carry_a_reason() -> None:
    migrations = load_migrations()
    assert [m.version for m in migrations] == list(range(1, len(migrations) + 1))
    for m in migrations:
        assert m.name.startswith(f"{m.version:04d}_")
        assert m.sql.splitlines()[0].startswith("-- ")
        assert m.reason


async def test_open_should_create_parent_dirs_apply_migrations_and_record_version(
    db_path: Path,
) -> None:
    assert not db_path.parent.exists()
    db = await Database.open(db_path)
    try:
        assert await db.schema_version() == len(load_migrations())
    finally:
        await db.close()
    assert _version(db_path) == len(load_migrations())
    assert _tables(db_path) >= TABLES


async def test_reopen_should_not_reapply_migrations_and_keep_data(db_path: Path) -> None:
    async with await Database.open(db_path) as db:
        await db.unanswered.record("how long must I wait?")
    version = _version(db_path)
    for _ in range(2):
        async with await Database.open(db_path) as db:
            assert await db.schema_version() == version
            assert await db.unanswered.top() == [("how long must I wait?", 1)]
    assert _version(db_path) == version


async def test_open_should_refuse_a_database_newer_than_the_code(db_path: Path) -> None:
    async with await Database.open(db_path):
        pass
    with sqlite3.connect(db_path) as conn:
        conn.execute("PRAGMA user_version = 999")
    with pytest.raises(DatabaseTooNewError, match="newer"):
        await Database.open(db_path)
    assert _version(db_path) == 999  # untouched


async def test_a_failing_migration_should_roll_back_every_pending_one(tmp_path: Path) -> None:
    path = tmp_path / "m.sqlite3"
    good = Migration(1, "0001_good.sql", "good", "-- good\nCREATE TABLE a (x INTEGER);\n")
    bad = Migration(2, "0002_bad.sql", "bad", "-- bad\nCREATE TABLE b (x INTEGER);\nNOT SQL;\n")
    async with aiosqlite.connect(path, isolation_level=None) as conn:
        with pytest.raises(sqlite3.OperationalError):
            await migrate(conn, [good, bad])
        assert not conn.in_transaction
    assert _version(path) == 0
    assert _tables(path) == set()


async def test_migrate_should_apply_only_pending_migrations(tmp_path: Path) -> None:
    path = tmp_path / "m.sqlite3"
    first = Migration(1, "0001_a.sql", "a", "-- a\nCREATE TABLE a (x INTEGER);\n")
    second = Migration(2, "0002_b.sql", "b", "-- b\nCREATE TABLE b (x INTEGER);\n")
    async with aiosqlite.connect(path, isolation_level=None) as conn:
        assert await migrate(conn, [first]) == 1
        assert await migrate(conn, [first, second]) == 2
        assert await migrate(conn, [first, second]) == 2
    assert _tables(path) == {"a", "b"}


@pytest.mark.sqlite_only
async def test_database_should_use_wal_and_its_pragmas(db: Database, db_path: Path) -> None:
    with sqlite3.connect(db_path) as other:
        assert other.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    async with db.transaction() as conn:
        values = {}
        for pragma in ("foreign_keys", "busy_timeout", "synchronous"):
            row = await conn.fetchone(f"PRAGMA {pragma}")
            assert row is not None
            values[pragma] = row[0]
    assert values == {"foreign_keys": 1, "busy_timeout": 5000, "synchronous": 1}  # 1 = NORMAL


def test_migration_error_should_be_a_runtime_error() -> None:
    assert issubclass(DatabaseTooNewError, MigrationError)


async def test_upgrading_a_version_1_database_should_keep_its_data(db_path: Path) -> None:
    """0002 rebuilds ``unanswered`` per server and keeps one vote per member and answer."""
    db_path.parent.mkdir(parents=True)
    async with aiosqlite.connect(db_path) as conn:
        assert await migrate(conn, load_migrations()[:1]) == 1
        await conn.execute(
            "INSERT INTO unanswered VALUES ('old question', 'Old question?', 3, "
            "'2026-01-01T00:00:00.000000+00:00', '2026-01-02T00:00:00.000000+00:00')"
        )
        for helpful in (1, 1, 0):
            await conn.execute(
                "INSERT INTO feedback (user_id, entry_id, question, helpful, created_at) "
                "VALUES (7, 'refund', 'q', ?, '2026-01-01T00:00:00.000000+00:00')",
                (helpful,),
            )
        await conn.commit()

    async with await Database.open(db_path) as db:
        assert await db.schema_version() == len(load_migrations())  # 0002 and every later one
        # Questions from before servers were told apart are shown to no server.
        assert await db.unanswered.top() == [("Old question?", 3)]
        assert await db.unanswered.top(guild_id=5000) == []
        assert await db.feedback.counts() == {"refund": (0, 1)}
