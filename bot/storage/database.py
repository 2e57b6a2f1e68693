"""The database handle: a backend (SQLite file or PostgreSQL pool), migrated on open, and
the repositories, which reach either backend through the same :class:`~bot.storage._gate.Gate`.

:func:`open_database` picks the backend from the settings: ``DATABASE_URL`` (PostgreSQL)
wins over ``DATABASE_PATH`` (SQLite, the embedded default).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import aiosqlite

from bot.storage._gate import Connection, Dialect, Gate, SqliteGate
from bot.storage._migrate import (
    DatabaseOpenError,
    check_not_too_new,
    current_version,
    load_migrations,
    migrate,
)
from bot.storage._time import Clock, utc_now
from bot.storage.attempts import (
    SELECT_FOR_USER as SELECT_ATTEMPTS_FOR_USER,
)
from bot.storage.attempts import (
    AttemptRepository,
    StoredAttempt,
)
from bot.storage.coordination import IdentifyGateRepository, KnowledgeGenerationRepository
from bot.storage.feedback import SELECT_FOR_USER as SELECT_FEEDBACK_FOR_USER
from bot.storage.feedback import Feedback, FeedbackRepository
from bot.storage.reminders import SELECT_FOR_USER as SELECT_REMINDERS_FOR_USER
from bot.storage.reminders import Reminder, ReminderRepository
from bot.storage.settings import SELECT_TIMEZONE, SettingsRepository
from bot.storage.taught import (
    FORGET_MODERATOR,
    SELECT_BY_MODERATOR,
    TaughtRepository,
    taught_from_row,
)
from bot.storage.unanswered import UnansweredRepository

if TYPE_CHECKING:
    from bot.config import Settings

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
    # A moderator's taught questions are the server's: kept, without who taught them.
    ("taught", FORGET_MODERATOR),
)


class Database:
    """Open with ``db = await Database.open(path)`` and close with ``await db.close()``,
    or ``async with await Database.open(path) as db:``.

    Repositories: ``db.attempts``, ``db.settings``, ``db.reminders``, ``db.unanswered``,
    ``db.feedback``. They share one gate: on SQLite one connection whose use
    :meth:`transaction` serialises, on PostgreSQL a pool (:func:`open_database`).
    """

    def __init__(self, gate: Gate, location: str) -> None:
        self.path = location  # the file, or the URL with its password masked
        self.dialect: Dialect = gate.dialect
        self._gate = gate
        self.attempts = AttemptRepository(self._gate)
        self.settings = SettingsRepository(self._gate)
        self.reminders = ReminderRepository(self._gate)
        self.unanswered = UnansweredRepository(self._gate)
        self.feedback = FeedbackRepository(self._gate)
        self.taught = TaughtRepository(self._gate)
        # Shared by the bot's processes (sharding): identify slots, the knowledge generation.
        self.identify_gate = IdentifyGateRepository(self._gate)
        self.knowledge = KnowledgeGenerationRepository(self._gate)

    @classmethod
    async def open(
        cls, path: str | Path, *, clock: Clock = utc_now, busy_timeout_ms: int | None = None
    ) -> Database:
        """Connect, configure and migrate.

        Raises :class:`DatabaseOpenError` (:class:`~bot.storage.DatabaseTooNewError` is
        one) when the file can't be used: not SQLite, damaged, written by a newer version
        of the code, locked by another process, or in a folder that can't be created or
        written. Nothing is written in those cases: the schema version is read, and
        checked, before WAL mode or a migration touches the file, and the folders and
        empty file created for a database that then fails to open are removed again.

        ``clock`` stamps ``created_at`` and friends (tests). ``busy_timeout_ms`` is how
        long a write waits for another process's write lock, at start-up and later;
        ``None`` means :data:`BUSY_TIMEOUT_MS`, read at call time so tests can shorten it.
        """
        location = str(path)
        timeout = BUSY_TIMEOUT_MS if busy_timeout_ms is None else busy_timeout_ms
        on_disk = location != ":memory:" and not location.startswith("file:")
        created: list[Path] = []
        if on_disk and not Path(location).exists():
            created.append(Path(location))
        try:
            if on_disk:
                created[:0] = _make_parents(Path(location))
                # Opened once with the standard module first, so that a file that can't
                # be opened fails here: aiosqlite failing inside connect() leaves its
                # worker thread posting to a loop that may be closed (a traceback at exit).
                await asyncio.to_thread(_probe, location)
            # isolation_level=None: the sqlite3 module must not open transactions behind
            # our back; Gate.transaction issues BEGIN IMMEDIATE itself.
            conn = await aiosqlite.connect(location, isolation_level=None)
            try:
                version = await _configure_and_migrate(conn, location, int(timeout))
            except BaseException:
                await conn.close()
                raise
        except (OSError, sqlite3.Error) as exc:
            _remove_created(created)
            problem = _open_problem(exc)
            if problem is None:
                raise
            raise problem from exc
        except BaseException:
            _remove_created(created)
            raise
        log.info("Opened SQLite database %s at schema version %d", location, version)
        return cls(SqliteGate(conn, clock), location)

    @classmethod
    async def open_postgres(
        cls, url: str, *, clock: Clock = utc_now, pool_size: int | None = None
    ) -> Database:
        """Connect a pool to ``url`` and migrate (under an advisory lock).

        Raises :class:`DatabaseOpenError` for a malformed URL, an unreachable server,
        wrong credentials or a missing database, or a schema newer than the code; the
        database is left as it was (migrations run in one transaction).
        """
        from bot.storage import postgres

        size = postgres.POOL_MAX_SIZE if pool_size is None else pool_size
        gate, version = await postgres.open_gate(url, clock, max_size=size)
        location = postgres.mask_url(url)
        log.info("Opened PostgreSQL database %s at schema version %d", location, version)
        return cls(gate, location)

    async def close(self) -> None:
        """Wait for the running transaction, if any, then close. Safe to call twice."""
        await self._gate.close()

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
    async def transaction(self) -> AsyncIterator[Connection]:
        """``BEGIN IMMEDIATE`` … ``COMMIT`` (``ROLLBACK`` on error), one at a time on SQLite;
        a pooled READ COMMITTED transaction on PostgreSQL. SQL uses ``?`` placeholders.

        Don't call repository methods inside it: on SQLite they take the same lock
        (deadlock).
        """
        async with self._gate.transaction() as conn:
            yield conn

    def snapshot(self) -> AbstractAsyncContextManager[Connection]:
        """A consistent, read-only view of everything (exports and copies: never torn by
        a write landing half-way through)."""
        return self._gate.transaction(immediate=False)

    async def schema_version(self) -> int:
        query = "PRAGMA user_version"
        if self.dialect == "postgres":
            query = "SELECT version FROM schema_version"
        async with self._gate.read() as conn:
            row = await conn.fetchone(query)
        return int(row[0]) if row else 0

    async def export_user(self, user_id: int) -> dict[str, Any]:
        """Everything stored about the member, JSON-serialisable, read in one snapshot.

        Unanswered questions are not included: they are stored without any user id. A
        moderator's export also has ``taught``: the questions they taught (/kb teach).
        """
        async with self._gate.transaction(immediate=False) as conn:
            attempts = [
                StoredAttempt.from_row(r)
                for r in await conn.fetch(SELECT_ATTEMPTS_FOR_USER, (user_id,))
            ]
            tz_rows = await conn.fetch(SELECT_TIMEZONE, (user_id,))
            reminders = [
                Reminder.from_row(r)
                for r in await conn.fetch(SELECT_REMINDERS_FOR_USER, (user_id,))
            ]
            feedback = [
                Feedback.from_row(r) for r in await conn.fetch(SELECT_FEEDBACK_FOR_USER, (user_id,))
            ]
            taught = [
                taught_from_row(r) for r in await conn.fetch(SELECT_BY_MODERATOR, (user_id,))
            ]
        data: dict[str, Any] = {
            "user_id": user_id,
            "attempts": [a.to_json() for a in attempts],
            "settings": {"timezone": str(tz_rows[0][0])} if tz_rows else None,
            "reminders": [r.to_json() for r in reminders],
            "feedback": [f.to_json() for f in feedback],
        }
        if taught:
            # Only for moderators: the questions they taught (/kb teach).
            data["taught"] = [
                {
                    "guild_id": t.guild_id,
                    "question": t.question,
                    "entry_id": t.entry_id,
                    "taught_at": t.taught_at.isoformat(),
                }
                for t in taught
            ]
        return data

    async def forget_user(self, user_id: int) -> dict[str, int]:
        """Delete everything of the member in one transaction; rows deleted per table."""
        counts: dict[str, int] = {}
        async with self._gate.transaction() as conn:
            for table, statement in FORGET_STATEMENTS:
                counts[table] = await conn.execute(statement, (user_id,))
        return counts


async def _configure_and_migrate(conn: aiosqlite.Connection, location: str, timeout: int) -> int:
    """Pragmas and migrations, in an order that writes nothing to a file we must refuse."""
    await conn.execute(f"PRAGMA busy_timeout = {timeout}")
    # The first read: fails on a file that is not SQLite, and finds a schema from a newer
    # version of the code before WAL mode (which rewrites the header) touches it.
    check_not_too_new(await current_version(conn), len(load_migrations()))
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
    return await migrate(conn)


def _make_parents(path: Path) -> list[Path]:
    """Create the database's missing folders; return those created, deepest last."""
    missing = [p for p in reversed(path.parents) if not p.exists()]
    path.parent.mkdir(parents=True, exist_ok=True)
    return missing


def _probe(location: str) -> None:
    sqlite3.connect(location).close()


def _remove_created(paths: list[Path]) -> None:
    """Undo a failed open: the folders it made and the file it created, while still
    empty (so nothing anyone wrote is lost), deepest first: no half-made layout is left."""
    for path in reversed(paths):
        with contextlib.suppress(OSError):
            if path.is_dir():
                path.rmdir()  # only succeeds while empty
            elif path.stat().st_size == 0:
                path.unlink()


_WRITABLE = "choose a path in a folder this user can create and write to"
_SQLITE_PROBLEMS: dict[int, tuple[str, str]] = {
    sqlite3.SQLITE_NOTADB: (
        "the file is not a SQLite database",
        "choose another path, or move that file away so a new database is created there",
    ),
    sqlite3.SQLITE_CORRUPT: (
        "the database file is damaged",
        "restore it from a backup, or move it away to start with an empty database",
    ),
    sqlite3.SQLITE_BUSY: (
        "another process holds its write lock (is another copy of the bot running on it?)",
        "stop that process, or give this bot its own database path",
    ),
    sqlite3.SQLITE_LOCKED: (
        "another connection holds a lock on it",
        "stop whatever else is using the file, or give this bot its own database path",
    ),
    sqlite3.SQLITE_CANTOPEN: ("the file can't be opened or created", _WRITABLE),
    sqlite3.SQLITE_READONLY: ("the file or its folder is read-only", _WRITABLE),
    sqlite3.SQLITE_PERM: ("access to the file was denied", _WRITABLE),
    sqlite3.SQLITE_IOERR: (
        "the disk reported an I/O error",
        "check the disk and free space, or choose another path",
    ),
    sqlite3.SQLITE_FULL: ("the disk is full", "free some space, or choose another path"),
}


def _open_problem(exc: OSError | sqlite3.Error) -> DatabaseOpenError | None:
    """The operator's version of ``exc``, or ``None`` when it is no known file problem."""
    if isinstance(exc, OSError):
        reason = exc.strerror or type(exc).__name__
        where = f" ({exc.filename})" if exc.filename else ""
        return DatabaseOpenError(f"its folder can't be created: {reason}{where}", _WRITABLE)
    code = getattr(exc, "sqlite_errorcode", None)
    if isinstance(code, int) and (code & 0xFF) in _SQLITE_PROBLEMS:
        return DatabaseOpenError(*_SQLITE_PROBLEMS[code & 0xFF])
    return None


def is_busy_error(exc: BaseException) -> bool:
    """Whether ``exc`` is SQLite giving up on another process's lock after the busy timeout,
    or PostgreSQL unreachable for a moment (a lost connection, a restart, a deadlock).

    Not a bug: the operation was rolled back and simply needs repeating a moment later
    (on PostgreSQL the pool reconnects on the next use).
    """
    if type(exc).__module__.startswith("asyncpg") or isinstance(
        exc, ConnectionError | TimeoutError
    ):
        from bot.storage.postgres import is_connection_problem

        return is_connection_problem(exc)
    if not isinstance(exc, sqlite3.OperationalError):
        return False
    code = getattr(exc, "sqlite_errorcode", None)
    if isinstance(code, int):
        return (code & 0xFF) in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
    text = str(exc).lower()
    return "database is locked" in text or "database is busy" in text


def store_setting(settings: Settings) -> str:
    """The setting that chose the store, as the operator wrote it, password masked:
    ``DATABASE_URL=postgresql://bot:***@host:5432/db`` or ``DATABASE_PATH=data/bot.db``."""
    url = database_url(settings)
    if url is not None:
        from bot.storage.postgres import mask_url

        return f"DATABASE_URL={mask_url(url)}"
    return f"DATABASE_PATH={settings.database_path}"


def database_url(settings: Settings) -> str | None:
    """``DATABASE_URL`` when set and not blank."""
    if settings.database_url is None:
        return None
    return settings.database_url.get_secret_value().strip() or None


async def open_database(settings: Settings, *, clock: Clock = utc_now) -> Database:
    """The store the settings choose: PostgreSQL when ``DATABASE_URL`` is set (it wins),
    else the SQLite file ``DATABASE_PATH``. Logs which one (never the password).

    Raises :class:`DatabaseOpenError` as :meth:`Database.open` and
    :meth:`Database.open_postgres` do.
    """
    url = database_url(settings)
    if url is not None:
        db = await Database.open_postgres(url, clock=clock)
        log.info("Using the PostgreSQL store (%s)", store_setting(settings))
        return db
    db = await Database.open(settings.database_path, clock=clock)
    log.info("Using the SQLite store (%s)", store_setting(settings))
    return db


__all__ = [
    "BUSY_TIMEOUT_MS",
    "Database",
    "DatabaseOpenError",
    "database_url",
    "is_busy_error",
    "open_database",
    "store_setting",
]
