"""The storage interface every repository uses, and its SQLite implementation.

Repositories hold plain SQL written once, with ``?`` placeholders and portable syntax;
they talk to a :class:`Gate` (transactions and single reads) that hands out a
:class:`Connection` (execute / fetch). The SQLite gate serialises one aiosqlite
connection; the PostgreSQL gate (:mod:`bot.storage.postgres`) lends connections from an
asyncpg pool and translates ``?`` to ``$n``. Where the dialects really differ, a
repository picks its SQL by :attr:`Gate.dialect`.
"""

from __future__ import annotations

import abc
import asyncio
import sqlite3
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, Literal

import aiosqlite

from bot.storage._time import Clock

Dialect = Literal["sqlite", "postgres"]
Row = Sequence[Any]


class DuplicateKeyError(Exception):
    """A UNIQUE or PRIMARY KEY constraint refused a row, whatever the backend.

    Repositories turn it into their own domain error (``DuplicateAttemptError``); it
    exists so they need not know each driver's exception classes.
    """


class Connection(abc.ABC):
    """One connection inside a transaction (or a single autocommit read)."""

    dialect: Dialect

    @abc.abstractmethod
    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one statement; the number of rows it changed."""

    @abc.abstractmethod
    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """Run one statement once per parameter row."""

    @abc.abstractmethod
    async def fetch(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """Every row of a query, as tuples indexed like the SELECT list."""

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        """The first row of a query, or ``None``."""
        rows = await self.fetch(sql, params)
        return rows[0] if rows else None


class Gate(abc.ABC):
    """What the repositories share: the clock, and the way to reach the database."""

    dialect: Dialect

    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    @abc.abstractmethod
    def transaction(self, *, immediate: bool = True) -> AbstractAsyncContextManager[Connection]:
        """A transaction: committed when the block ends, rolled back on any exception.

        ``immediate=False`` asks for a consistent read-only snapshot instead of a write.
        """

    @abc.abstractmethod
    def read(self) -> AbstractAsyncContextManager[Connection]:
        """A connection for a single read statement (autocommit)."""

    @abc.abstractmethod
    async def close(self) -> None:
        """Wait for running work, then release the connection(s). Safe to call twice."""


class SqliteConnection(Connection):
    """aiosqlite behind the neutral interface; ``raw`` stays reachable for SQLite-only code."""

    dialect: Dialect = "sqlite"

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.raw = conn

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        try:
            cursor = await self.raw.execute(sql, params)
        except sqlite3.IntegrityError as exc:
            if "UNIQUE" in str(exc):
                raise DuplicateKeyError(str(exc)) from exc
            raise
        count = cursor.rowcount
        await cursor.close()
        return count

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        try:
            await self.raw.executemany(sql, rows)
        except sqlite3.IntegrityError as exc:
            if "UNIQUE" in str(exc):
                raise DuplicateKeyError(str(exc)) from exc
            raise

    async def fetch(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        try:
            return list(await self.raw.execute_fetchall(sql, params))
        except sqlite3.IntegrityError as exc:  # INSERT … RETURNING is a fetch
            if "UNIQUE" in str(exc):
                raise DuplicateKeyError(str(exc)) from exc
            raise


class SqliteGate(Gate):
    """Serialises use of one connection.

    All coroutines share one connection, and a SQLite transaction belongs to the
    connection, not to the coroutine: without the lock, coroutine B's statements would land
    inside coroutine A's open transaction (and be rolled back with it), and B's reads would
    see A's uncommitted rows. So writes *and* reads take the lock.
    """

    dialect: Dialect = "sqlite"

    def __init__(self, conn: aiosqlite.Connection, clock: Clock) -> None:
        super().__init__(clock)
        self.conn = conn
        self.wrapped = SqliteConnection(conn)
        self.lock = asyncio.Lock()
        self._closed = False

    @asynccontextmanager
    async def transaction(self, *, immediate: bool = True) -> AsyncIterator[Connection]:
        """``BEGIN IMMEDIATE`` … ``COMMIT``, or ``ROLLBACK`` on any exception (cancellation too).

        IMMEDIATE takes the write lock up front, so a transaction never fails half-way with
        SQLITE_BUSY on its first write when another process holds the database; instead it
        waits up to ``busy_timeout`` at BEGIN. ``immediate=False`` gives a read snapshot.
        """
        async with self.lock:
            try:
                # BEGIN is inside the try: a task cancelled while awaiting it has still
                # queued it on aiosqlite's thread, and must not leave the shared
                # connection inside a transaction.
                await self.conn.execute("BEGIN IMMEDIATE" if immediate else "BEGIN DEFERRED")
                yield self.wrapped
                await self.conn.commit()
            except BaseException:
                # Unconditional: aiosqlite runs statements in order on its thread, so this
                # ROLLBACK lands after a still-pending BEGIN (and is a no-op without a
                # transaction). Also covers a failed COMMIT.
                await self.conn.rollback()
                raise

    @asynccontextmanager
    async def read(self) -> AsyncIterator[Connection]:
        """The connection for a single read statement (autocommit, under the lock)."""
        async with self.lock:
            yield self.wrapped

    async def close(self) -> None:
        if self._closed:
            return
        async with self.lock:
            if not self._closed:
                self._closed = True
                await self.conn.close()
