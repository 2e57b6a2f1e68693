"""PostgreSQL-only behaviour: migrations under the advisory lock, refusing a newer schema,
nothing half-migrated, reconnecting after a lost connection, and the URL helpers."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot.storage import Database, DatabaseTooNewError
from bot.storage._migrate import Migration, load_migrations
from bot.storage.database import is_busy_error
from bot.storage.postgres import mask_url, migrate, to_dollar_params
from tests.conftest import Store
from tests.storage.conftest import T0


async def _tables(store: Store) -> set[str]:
    import asyncpg

    assert store.url is not None
    conn = await asyncpg.connect(store.url)
    try:
        rows = await conn.fetch(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
        )
    finally:
        await conn.close()
    return {str(r[0]) for r in rows}


@pytest.mark.postgres_only
async def test_two_processes_starting_at_once_should_migrate_exactly_once(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.storage.postgres")
    first, second = await asyncio.gather(store.open(), store.open())
    applied = [r for r in caplog.records if r.getMessage().startswith("Applying migration")]
    assert len(applied) == len(load_migrations("postgres"))  # once each, not twice
    assert await first.schema_version() == await second.schema_version() == len(applied)
    await first.attempts.add(1, "AI-102", T0, "fail", 500, True)
    assert len(await second.attempts.list_for_user(1)) == 1


@pytest.mark.postgres_only
async def test_should_refuse_a_database_newer_than_the_code_and_touch_nothing(
    store: Store,
) -> None:
    db = await store.open()
    async with db.transaction() as conn:
        await conn.execute("UPDATE schema_version SET version = 99")
    with pytest.raises(DatabaseTooNewError) as caught:
        await store.open()
    assert "version 99" in caught.value.problem
    assert await db.schema_version() == 99


@pytest.mark.postgres_only
async def test_a_failing_migration_should_leave_nothing_half_migrated(store: Store) -> None:
    import asyncpg

    broken = [*load_migrations("postgres"), Migration(3, "0003_bad.sql", "bad", "SELECT nope;")]
    assert store.url is not None
    conn = await asyncpg.connect(store.url)
    try:
        with pytest.raises(asyncpg.UndefinedColumnError):
            await migrate(conn, broken)
    finally:
        await conn.close()
    assert await _tables(store) == set()  # not even schema_version


@pytest.mark.postgres_only
async def test_a_lost_connection_should_be_busy_then_reconnect_losing_nothing(
    store: Store,
) -> None:
    import asyncpg

    db = await store.open()
    await db.attempts.add(1, "AI-102", T0, "fail", 500, True)  # committed
    assert store.url is not None
    admin = await asyncpg.connect(store.url)
    try:  # the server drops every connection of the bot (a restart, a network cut)
        await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            " AND usename = current_user"
        )
    finally:
        await admin.close()
    # The first use after the drop either fails as "busy, try again" (the transaction was
    # rolled back) or, when the pool noticed the dead connection first, just works.
    expected = [9, 11]
    try:
        await db.attempts.add(1, "AI-102", T0.replace(hour=10), "fail", 500, True)
        expected = [9, 10, 11]
    except Exception as exc:  # any driver error: judged by is_busy_error
        assert is_busy_error(exc), repr(exc)
    again = await db.attempts.add(1, "AI-102", T0.replace(hour=11), "pass", 800, True)
    stored = await db.attempts.list_for_user(1)
    assert [a.taken_at.hour for a in stored] == expected  # nothing committed was lost
    assert stored[-1] == again


@pytest.mark.postgres_only
async def test_should_report_postgres_in_its_location_with_the_password_masked(
    store: Store,
) -> None:
    db: Database = await store.open()
    assert db.dialect == "postgres"
    assert store.url is not None and "***" in db.path
    password = store.url.split("://", 1)[1].split("@", 1)[0].partition(":")[2]
    assert not password or password not in db.path


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SELECT ? , ?", "SELECT $1 , $2"),
        ("SELECT '?' || ? FROM t WHERE a = ?", "SELECT '?' || $1 FROM t WHERE a = $2"),
        ('SELECT "we?ird" FROM t', 'SELECT "we?ird" FROM t'),
    ],
)
def test_placeholders_should_be_numbered_outside_quotes(sql: str, expected: str) -> None:
    assert to_dollar_params(sql) == expected


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        ("postgresql://bot:s3cret@db:5432/x", "postgresql://bot:***@db:5432/x"),
        ("postgres://bot:p@ss@db/x", "postgres://bot:***@ss@db/x"),
        ("postgresql://bot@db/x", "postgresql://bot@db/x"),
        ("postgresql://db/x?password=s3cret&a=1", "postgresql://db/x?password=***&a=1"),
        ("postgresql://bot:s3cret@db:notaport/x", "postgresql://bot:***@db:notaport/x"),
    ],
)
def test_mask_url_should_hide_every_password(url: str, masked: str) -> None:
    assert mask_url(url) == masked


@pytest.mark.postgres_only
async def test_a_connection_released_mid_transaction_comes_back_clean(store: Store) -> None:
    # The pool skips asyncpg's reset query (bot.storage.postgres._keep_session); an open
    # transaction, and the transaction-scoped lock it holds, must still be undone.
    from bot.storage.postgres import open_pool

    assert store.url is not None
    pool = await open_pool(store.url, max_size=2)
    try:
        loop = asyncio.get_running_loop()
        loop.set_exception_handler(lambda *_: None)  # asyncpg reports the open transaction
        held = await pool.acquire()
        await held.execute("BEGIN")
        await held.execute("SELECT pg_advisory_xact_lock(4242)")
        await pool.release(held)
        loop.set_exception_handler(None)
        async with pool.acquire() as first, pool.acquire() as second:
            for conn in (first, second):
                assert not conn.is_in_transaction()
                async with conn.transaction():
                    assert await conn.fetchval("SELECT pg_try_advisory_xact_lock(4242)")
    finally:
        await pool.close()
