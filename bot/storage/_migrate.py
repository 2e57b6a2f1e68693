"""Schema migrations: numbered SQL files per backend, the version kept in the database.

``migrations/sqlite/`` and ``migrations/postgres/`` hold the same versions: version N is
the same logical schema on both (what ``python -m bot db copy`` relies on), written in
each dialect. SQLite keeps the version in ``PRAGMA user_version``; PostgreSQL in a
``schema_version`` table (:mod:`bot.storage.postgres`).
"""

from __future__ import annotations

import logging
import re
import sqlite3
from dataclasses import dataclass
from importlib import resources

import aiosqlite

from bot.storage._gate import Dialect

log = logging.getLogger(__name__)

_FILE_RE = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


class MigrationError(RuntimeError):
    """The migration files or the database's schema version are not what the code expects."""


class DatabaseOpenError(RuntimeError):
    """The database file can't be used, and nothing was written to it.

    Written for the operator, who sees it as one line: ``problem`` says what is wrong with
    the file or its folder, ``advice`` what to do about it. (Defined here rather than in
    :mod:`bot.storage.database` so that :class:`DatabaseTooNewError` can be one.)
    """

    def __init__(self, problem: str, advice: str) -> None:
        super().__init__(f"{problem}; {advice}")
        self.problem = problem
        self.advice = advice


class DatabaseTooNewError(MigrationError, DatabaseOpenError):
    """The database was migrated by a newer version of the bot than the one running.

    Running old code against it could misread or destroy data, so it is left untouched.
    """

    def __init__(self, found: int, latest: int) -> None:
        DatabaseOpenError.__init__(
            self,
            f"its schema is version {found} but this code only knows up to {latest}: "
            "it was written by a newer version of the bot",
            "upgrade the bot (or restore a backup) instead of running old code against it",
        )
        self.found = found
        self.latest = latest


def check_not_too_new(found: int, latest: int) -> None:
    """Raise :class:`DatabaseTooNewError` when ``found`` is beyond the code's ``latest``."""
    if found > latest:
        raise DatabaseTooNewError(found, latest)


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    reason: str
    sql: str


def load_migrations(dialect: Dialect = "sqlite") -> list[Migration]:
    """Every migration shipped for ``dialect``, in order, numbered 1, 2, 3… without gaps."""
    folder = resources.files("bot.storage").joinpath("migrations", dialect)
    found: list[Migration] = []
    for item in folder.iterdir():
        match = _FILE_RE.match(item.name)
        if match is None:
            continue
        sql = item.read_text(encoding="utf-8")
        first_line = sql.splitlines()[0] if sql else ""
        if not first_line.startswith("-- ") or not first_line[3:].strip():
            raise MigrationError(f"{item.name} must start with a one-line '-- reason' header")
        found.append(Migration(int(match.group(1)), item.name, first_line[3:].strip(), sql))
    found.sort(key=lambda m: m.version)
    expected = list(range(1, len(found) + 1))
    if [m.version for m in found] != expected:
        raise MigrationError(f"migrations must be numbered 1..n without gaps: {found!r}")
    return found


def split_statements(sql: str) -> list[str]:
    """Split a script into statements (triggers included), using SQLite's own notion of
    a complete statement. ``executescript`` would be simpler but commits first, which
    would break the one-transaction guarantee."""
    statements: list[str] = []
    buffer = ""
    for line in sql.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            statements.append(buffer.strip())
            buffer = ""
    if buffer.strip() and not all(
        ln.strip().startswith("--") or not ln.strip() for ln in buffer.splitlines()
    ):
        raise MigrationError(f"incomplete SQL statement at end of migration: {buffer[:80]!r}")
    return statements


async def current_version(conn: aiosqlite.Connection) -> int:
    async with conn.execute("PRAGMA user_version") as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row is not None else 0


async def migrate(conn: aiosqlite.Connection, migrations: list[Migration] | None = None) -> int:
    """Apply every pending migration in ONE transaction; return the resulting version.

    The version is re-read after ``BEGIN IMMEDIATE`` so two processes starting at once
    cannot both apply the same migration. A failure rolls back everything, including the
    version bump (``user_version`` lives in the database header, which is transactional).
    """
    migrations = load_migrations() if migrations is None else migrations
    latest = len(migrations)
    await conn.execute("BEGIN IMMEDIATE")
    try:
        version = await current_version(conn)
        check_not_too_new(version, latest)
        for migration in migrations[version:]:
            log.info("Applying migration %s: %s", migration.name, migration.reason)
            for statement in split_statements(migration.sql):
                await conn.execute(statement)
        if latest != version:
            # PRAGMA takes no parameters; ``latest`` is an int we computed, not input.
            await conn.execute(f"PRAGMA user_version = {int(latest)}")
        await conn.commit()
    except BaseException:
        if conn.in_transaction:
            await conn.rollback()
        raise
    return latest
