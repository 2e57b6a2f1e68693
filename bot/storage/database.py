"""The database handle: one aiosqlite connection, migrated on open, and the repositories."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from types import TracebackType
from typing import Any

import aiosqlite

from bot.storage._gate import Gate
from bot.storage._migrate import migrate
from bot.storage._time import Clock, utc_now
from bot.storage.attempts import (
    SELECT_FOR_USER as SELECT_ATTEMPTS_FOR_USER,
)
from bot.storage.attempts import (
    AttemptRepository,
    StoredAttempt,
)
from bot.storage.feedback import SELECT_FOR_USER as SELECT_FEEDBACK_FOR_USER
from bot.storage.feedback import Feedback, FeedbackRepository
from bot.storage.reminders import SELECT_FOR_USER as SELECT_REMINDERS_FOR_USER
from bot.storage.reminders import Reminder, ReminderRepository
from bot.storage.settings import SELECT_TIMEZONE, SettingsRepository
from bot.storage.unanswered import UnansweredRepository

log = logging.getLogger(__name__)

# How long a write waits for another *process* holding the write lock (ms). Coroutines of
# this process never wait on SQLite: they queue on the asyncio lock first.
BUSY_TIMEOUT_MS = 5000

# Every table holding a member's data, with the statement that forgets them.
# (unanswered has no user column by design: nothing of a member is in it.)
FORGET_STATEMENTS: tuple[tuple[str, str], ...] = (
    ("attempts", "DELETE FROM attempts WHERE user_id = ?"),
    ("user_settings", "DELETE FROM user_settings WHERE user_id = ?"),
    ("reminders", "DELETE FROM reminders WHERE user_id = ?"),
    ("feedback", "DELETE FROM feedback WHERE user_id = ?"),
)


class Database:
    """Open with ``db = await Database.open(path)`` and close with ``await db.close()``,
    or ``async with await Database.open(path) as db:``.

    Repositories: ``db.attempts``, ``db.settings``, ``db.reminders``, ``db.unanswered``,
    ``db.feedback``. They share one connection; :meth:`transaction` serialises its use.
    """

    def __init__(self, conn: aiosqlite.Connection, path: str, clock: Clock = utc_now) -> None:
        self.path = path
        self._conn = conn
        self._gate = Gate(conn, clock)
        self._closed = False
        self.attempts = AttemptRepository(self._gate)
        self.settings = SettingsRepository(self._gate)
        self.reminders = ReminderRepository(self._gate)
        self.unanswered = UnansweredRepository(self._gate)
        self.feedback = FeedbackRepository(self._gate)

    @classmethod
    async def open(cls, path: str | Path, *, clock: Clock = utc_now) -> Database:
        """Connect, configure and migrate.

        Raises :class:`~bot.storage.DatabaseTooNewError` when the file was migrated by a
        newer version of the code. ``clock`` stamps ``created_at`` and friends (tests).
        """
        location = str(path)
        if location != ":memory:" and not location.startswith("file:"):
            Path(location).parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: the sqlite3 module must not open transactions behind our
        # back; Gate.transaction issues BEGIN IMMEDIATE itself.
        conn = await aiosqlite.connect(location, isolation_level=None)
        try:
            await conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_MS)}")
            # WAL: readers don't block the writer and a crash mid-write loses only the
            # uncommitted transaction. NORMAL is durable against application crashes in WAL
            # mode (an OS crash/power cut may lose the last commits, never corrupt).
            async with conn.execute("PRAGMA journal_mode = WAL") as cursor:
                row = await cursor.fetchone()
            mode = str(row[0]) if row else "?"
            if mode.lower() != "wal" and location != ":memory:":
                log.warning("SQLite refused WAL mode for %s (journal_mode=%s)", location, mode)
            await conn.execute("PRAGMA synchronous = NORMAL")
            await conn.execute("PRAGMA foreign_keys = ON")
            version = await migrate(conn)
        except BaseException:
            await conn.close()
            raise
        log.info("Opened database %s at schema version %d", location, version)
        return cls(conn, location, clock)

    async def close(self) -> None:
        """Wait for the running transaction, if any, then close. Safe to call twice."""
        if self._closed:
            return
        async with self._gate.lock:
            if not self._closed:
                self._closed = True
                await self._conn.close()

    async def __aenter__(self) -> Database:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """``BEGIN IMMEDIATE`` … ``COMMIT`` (``ROLLBACK`` on error), one at a time.

        Don't call repository methods inside it: they take the same lock (deadlock).
        """
        async with self._gate.transaction() as conn:
            yield conn

    async def schema_version(self) -> int:
        async with self._gate.read() as conn, conn.execute("PRAGMA user_version") as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def export_user(self, user_id: int) -> dict[str, Any]:
        """Everything stored about the member, JSON-serialisable, read in one snapshot.

        Unanswered questions are not included: they are stored without any user id.
        """
        async with self._gate.transaction(immediate=False) as conn:
            attempts = [
                StoredAttempt.from_row(r)
                for r in await conn.execute_fetchall(SELECT_ATTEMPTS_FOR_USER, (user_id,))
            ]
            tz_rows = list(await conn.execute_fetchall(SELECT_TIMEZONE, (user_id,)))
            reminders = [
                Reminder.from_row(r)
                for r in await conn.execute_fetchall(SELECT_REMINDERS_FOR_USER, (user_id,))
            ]
            feedback = [
                Feedback.from_row(r)
                for r in await conn.execute_fetchall(SELECT_FEEDBACK_FOR_USER, (user_id,))
            ]
        return {
            "user_id": user_id,
            "attempts": [a.to_json() for a in attempts],
            "settings": {"timezone": str(tz_rows[0][0])} if tz_rows else None,
            "reminders": [r.to_json() for r in reminders],
            "feedback": [f.to_json() for f in feedback],
        }

    async def forget_user(self, user_id: int) -> dict[str, int]:
        """Delete everything of the member in one transaction; rows deleted per table."""
        counts: dict[str, int] = {}
        async with self._gate.transaction() as conn:
            for table, statement in FORGET_STATEMENTS:
                cursor = await conn.execute(statement, (user_id,))
                counts[table] = cursor.rowcount
        return counts


__all__ = ["BUSY_TIMEOUT_MS", "Database"]
