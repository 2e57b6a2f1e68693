"""One aiosqlite connection shared by every repository, and the lock that keeps it sane."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiosqlite

from bot.storage._time import Clock


class Gate:
    """Serialises use of one connection.

    All coroutines share one connection, and a SQLite transaction belongs to the
    connection, not to the coroutine: without the lock, coroutine B's statements would land
    inside coroutine A's open transaction (and be rolled back with it), and B's reads would
    see A's uncommitted rows. So writes *and* reads take the lock.
    """

    def __init__(self, conn: aiosqlite.Connection, clock: Clock) -> None:
        self.conn = conn
        self.clock = clock
        self.lock = asyncio.Lock()

    @asynccontextmanager
    async def transaction(self, *, immediate: bool = True) -> AsyncIterator[aiosqlite.Connection]:
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
                yield self.conn
                await self.conn.commit()
            except BaseException:
                # Unconditional: aiosqlite runs statements in order on its thread, so this
                # ROLLBACK lands after a still-pending BEGIN (and is a no-op without a
                # transaction). Also covers a failed COMMIT.
                await self.conn.rollback()
                raise

    @asynccontextmanager
    async def read(self) -> AsyncIterator[aiosqlite.Connection]:
        """The connection for a single read statement (autocommit, under the lock)."""
        async with self.lock:
            yield self.conn
