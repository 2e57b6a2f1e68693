"""PostgreSQL behind the storage interface: an asyncpg pool, migrations under an advisory lock.

Chosen with ``DATABASE_URL=postgresql://…`` so that several bot processes can share one
store. The repositories' SQL is shared with SQLite: ``?`` placeholders become ``$1, $2…``
here, and the few statements whose dialects differ are picked by ``conn.dialect``.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import re
import urllib.parse
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, TypeAlias

import asyncpg

from bot.storage._gate import Connection, Dialect, DuplicateKeyError, Gate, Row
from bot.storage._migrate import (
    DatabaseOpenError,
    Migration,
    check_not_too_new,
    load_migrations,
)
from bot.storage._time import Clock

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from asyncpg.pool import PoolConnectionProxy
    from asyncpg.transaction import Transaction

# A plain connection (tools) or one lent by the pool (the bot): the same API. (A string:
# asyncpg's classes are generic only in its stubs.)
PgConnection: TypeAlias = "asyncpg.Connection[Any] | PoolConnectionProxy[Any]"

SCHEMES = ("postgresql", "postgres")
CONNECT_TIMEOUT_S = 10.0
POOL_MAX_SIZE = 10
# pg_advisory_xact_lock(key1, key2): key1 names this application's migrations, key2 the
# schema they are applied to (hashtext(current_schema())), so two bots sharing a
# database but not a schema don't wait for each other.
MIGRATION_LOCK_KEY = 0x6578616D  # "exam"

CREATE_VERSION_TABLE = """
CREATE TABLE IF NOT EXISTS schema_version (
    only_row  BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (only_row),
    version   INTEGER NOT NULL CHECK (version >= 0)
)
"""
VERSION_TABLE_EXISTS = "SELECT to_regclass('schema_version') IS NOT NULL"
SELECT_VERSION = "SELECT COALESCE(MAX(version), 0) FROM schema_version"


def is_postgres_url(url: str) -> bool:
    """Whether ``url`` names PostgreSQL (``postgresql://`` or ``postgres://``)."""
    return urllib.parse.urlsplit(url.strip()).scheme.lower() in SCHEMES


_USERINFO = re.compile(r"^(?P<head>[^:/?#]+://[^:/@?#]*:)(?P<secret>[^@/?#]*)(?P<at>@)")
_QUERY_SECRET = re.compile(r"(?i)([?&]password=)[^&#]*")


def mask_url(url: str) -> str:
    """``url`` with any password replaced by ``***``, even when the URL is malformed:
    this is what logs and error lines show."""
    masked = _USERINFO.sub(r"\g<head>***\g<at>", url.strip(), count=1)
    return _QUERY_SECRET.sub(r"\1***", masked)


def check_url(url: str) -> str:
    """The URL, stripped, or :class:`DatabaseOpenError` saying what is wrong with it."""
    url = url.strip()
    advice = "write it as postgresql://user:password@host:5432/database"
    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port  # ValueError for a port that is not a number in 0..65535
    except ValueError as exc:
        raise DatabaseOpenError(f"it is not a valid URL ({exc})", advice) from exc
    if parts.scheme.lower() not in SCHEMES:
        raise DatabaseOpenError(
            f"it must start with postgresql:// or postgres://, not {parts.scheme or 'nothing'}",
            advice + " (or unset it to use the SQLite file DATABASE_PATH)",
        )
    if not parts.hostname:
        raise DatabaseOpenError("it names no host", advice)
    if not parts.path.strip("/"):
        raise DatabaseOpenError("it names no database", advice)
    del port
    return url


@functools.lru_cache(maxsize=512)
def to_dollar_params(sql: str) -> str:
    """``?`` placeholders -> ``$1, $2, …`` (outside quoted text), as asyncpg expects."""
    out: list[str] = []
    number = 0
    quote: str | None = None
    for char in sql:
        if quote is not None:
            if char == quote:
                quote = None
        elif char in ("'", '"'):
            quote = char
        elif char == "?":
            number += 1
            out.append(f"${number}")
            continue
        out.append(char)
    return "".join(out)


def _rowcount(status: str) -> int:
    """asyncpg's command tag (``UPDATE 3``, ``INSERT 0 1``) -> the number of rows."""
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else 0


class PostgresConnection(Connection):
    """An asyncpg connection behind the neutral interface."""

    dialect: Dialect = "postgres"

    def __init__(self, conn: PgConnection) -> None:
        self.raw = conn

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        try:
            return _rowcount(await self.raw.execute(to_dollar_params(sql), *params))
        except asyncpg.UniqueViolationError as exc:
            raise DuplicateKeyError(str(exc)) from exc

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        try:
            await self.raw.executemany(to_dollar_params(sql), [tuple(r) for r in rows])
        except asyncpg.UniqueViolationError as exc:
            raise DuplicateKeyError(str(exc)) from exc

    async def fetch(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        try:
            records = await self.raw.fetch(to_dollar_params(sql), *params)
        except asyncpg.UniqueViolationError as exc:
            raise DuplicateKeyError(str(exc)) from exc
        return [tuple(record) for record in records]


class PostgresGate(Gate):
    """Connections from a pool: transactions run side by side, as PostgreSQL intends.

    Writes use READ COMMITTED (the default) and rely on constraints and row locks for
    correctness, as the SQLite code relies on ``BEGIN IMMEDIATE``; ``immediate=False``
    gives a REPEATABLE READ, read-only snapshot (export, reminder checks). A connection
    lost mid-transaction raises (the transaction is rolled back by the server) and the
    pool replaces it on the next acquire: that is how the bot reconnects.
    """

    dialect: Dialect = "postgres"

    def __init__(self, pool: asyncpg.Pool[Any], clock: Clock) -> None:
        super().__init__(clock)
        self.pool = pool

    @asynccontextmanager
    async def transaction(self, *, immediate: bool = True) -> AsyncIterator[Connection]:
        conn, tx = await self._begin(immediate)
        try:
            try:
                yield PostgresConnection(conn)
            except BaseException:
                # A dead connection can't roll back, and needn't: the server already has.
                # The original error is what the caller must see.
                with contextlib.suppress(Exception):
                    await tx.rollback()
                raise
            await tx.commit()
        finally:
            # The pool resets the connection (rolling back anything left open, e.g. after
            # a cancelled COMMIT) or, when it is broken, replaces it.
            await self.pool.release(conn)

    async def _begin(self, immediate: bool) -> tuple[PoolConnectionProxy[Any], Transaction]:
        """A pooled connection inside a started transaction.

        A connection the server dropped while it sat in the pool (a restart, an idle
        timeout) fails at BEGIN, before anything ran: that one failure is retried once
        on a fresh connection, so a member doesn't pay for an outage already over.
        """
        for attempt in range(2):
            conn = await self.pool.acquire()
            if immediate:
                tx = conn.transaction()
            else:
                tx = conn.transaction(isolation="repeatable_read", readonly=True)
            try:
                await tx.start()
            except Exception as exc:
                await self.pool.release(conn)
                if attempt or not is_connection_problem(exc):
                    raise
                log.warning("A PostgreSQL connection was lost (%s); reconnecting", exc)
                continue
            return conn, tx
        raise AssertionError("unreachable")

    @asynccontextmanager
    async def read(self) -> AsyncIterator[Connection]:
        async with self.pool.acquire() as conn:
            yield PostgresConnection(conn)

    async def close(self) -> None:
        await self.pool.close()


async def current_version(conn: PgConnection) -> int:
    """The schema version, 0 for a database the bot never migrated (nothing is created)."""
    if not await conn.fetchval(VERSION_TABLE_EXISTS):
        return 0
    return int(await conn.fetchval(SELECT_VERSION))


async def migrate(conn: PgConnection, migrations: list[Migration] | None = None) -> int:
    """Apply every pending migration in ONE transaction, under an advisory lock.

    Two processes starting at once: the second waits at the lock, then finds the version
    already current and applies nothing. A failure rolls everything back, version
    included (PostgreSQL's DDL is transactional): nothing is ever half-migrated.
    """
    migrations = load_migrations("postgres") if migrations is None else migrations
    latest = len(migrations)
    async with conn.transaction():
        await conn.execute(
            "SELECT pg_advisory_xact_lock($1, hashtext(current_schema()))", MIGRATION_LOCK_KEY
        )
        version = await current_version(conn)
        check_not_too_new(version, latest)
        if version == latest:
            return latest
        await conn.execute(CREATE_VERSION_TABLE)
        for migration in migrations[version:]:
            log.info("Applying migration %s: %s", migration.name, migration.reason)
            await conn.execute(migration.sql)  # no arguments: a multi-statement script
        await conn.execute(
            "INSERT INTO schema_version (version) VALUES ($1)"
            " ON CONFLICT (only_row) DO UPDATE SET version = excluded.version",
            latest,
        )
    return latest


async def _keep_session(connection: asyncpg.Connection[Any]) -> None:
    """Release a connection to the pool without asyncpg's default reset query.

    asyncpg always rolls back a transaction left open (a task cancelled mid-commit)
    before calling this. Its default reset also unlocks session advisory locks, closes
    cursors, unlistens and resets settings: two more round trips on every release, half
    of those of an ``/eligibility``. This bot leaves none of that behind — its advisory
    locks are transaction-scoped, and it never LISTENs, DECLAREs or SETs — so there is
    nothing else to undo."""


async def open_pool(url: str, *, max_size: int = POOL_MAX_SIZE) -> asyncpg.Pool[Any]:
    """A connected pool, or :class:`DatabaseOpenError` saying what the operator should fix."""
    url = check_url(url)
    try:
        pool = await asyncpg.create_pool(
            url, min_size=1, max_size=max_size, timeout=CONNECT_TIMEOUT_S,
            reset=_keep_session,
        )
    except BaseException as exc:
        problem = connect_problem(exc)
        if problem is None:
            raise
        raise problem from exc
    return pool


def connect_problem(exc: BaseException) -> DatabaseOpenError | None:
    """The operator's version of a failure to connect, or ``None`` when it is unknown."""
    if isinstance(exc, asyncpg.InvalidPasswordError):
        return DatabaseOpenError(
            "the server refused the user name or password",
            "check the user and password in DATABASE_URL",
        )
    if isinstance(exc, asyncpg.InvalidCatalogNameError):
        return DatabaseOpenError(
            "the database does not exist on that server",
            "create it (createdb NAME, or CREATE DATABASE) or fix its name in DATABASE_URL",
        )
    if isinstance(exc, asyncpg.InvalidAuthorizationSpecificationError):
        return DatabaseOpenError(
            f"the server refused this user ({exc})",
            "check the user in DATABASE_URL and the server's pg_hba.conf",
        )
    if isinstance(exc, asyncpg.TooManyConnectionsError | asyncpg.CannotConnectNowError):
        return DatabaseOpenError(
            f"the server accepts no connection right now ({exc})",
            "wait for it to start, or raise max_connections",
        )
    if isinstance(exc, TimeoutError):
        return DatabaseOpenError(
            f"the server did not answer within {CONNECT_TIMEOUT_S:.0f} s",
            "check the host and port in DATABASE_URL, and that the server is running",
        )
    if isinstance(exc, OSError):
        reason = exc.strerror or str(exc) or type(exc).__name__
        return DatabaseOpenError(
            f"the server can't be reached ({reason})",
            "check the host and port in DATABASE_URL, and that the server is running",
        )
    if isinstance(exc, asyncpg.InsufficientPrivilegeError):
        return DatabaseOpenError(
            f"the user may not create the bot's tables ({exc})",
            "let the user own the database or its schema (ALTER DATABASE … OWNER TO …)",
        )
    if isinstance(exc, ValueError | asyncpg.ClientConfigurationError):
        return DatabaseOpenError(
            f"it is not a valid connection URL ({exc})",
            "write it as postgresql://user:password@host:5432/database",
        )
    return None


async def open_gate(url: str, clock: Clock, *, max_size: int = POOL_MAX_SIZE) -> tuple[Gate, int]:
    """Connect, migrate, and return the gate with the schema version."""
    pool = await open_pool(url, max_size=max_size)
    try:
        async with pool.acquire() as conn:
            version = await migrate(conn)
    except BaseException as exc:
        pool.terminate()
        problem = connect_problem(exc)
        if problem is None:
            raise
        raise problem from exc
    return PostgresGate(pool, clock), version


def is_connection_problem(exc: BaseException) -> bool:
    """Whether ``exc`` is PostgreSQL being unreachable or interrupting us for a moment.

    The transaction was rolled back (or never started); the pool reconnects on the next
    acquire, so the member only needs to try again. The exception's context counts too:
    asyncpg, failing to roll back on a connection that died, raises an InternalClientError
    whose ``__context__`` is the real, lost-connection error.
    """
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, _TRANSIENT) or (
            isinstance(current, asyncpg.InterfaceError) and "closed" in str(current).lower()
        ):
            return True
        current = current.__cause__ or current.__context__
    return False


_TRANSIENT = (
    asyncpg.PostgresConnectionError,  # lost or refused connection (SQLSTATE 08…)
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
    asyncpg.SerializationError,
    asyncpg.DeadlockDetectedError,
    asyncpg.LockNotAvailableError,
    # What asyncpg raises on a connection the server terminated while it was idle.
    asyncpg.InternalClientError,
    ConnectionError,
    TimeoutError,
)


__all__ = [
    "PostgresConnection",
    "PostgresGate",
    "check_url",
    "is_connection_problem",
    "is_postgres_url",
    "mask_url",
    "migrate",
    "open_gate",
    "to_dollar_params",
]
