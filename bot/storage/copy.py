"""Moving a community's data between stores (SQLite -> PostgreSQL, typically).

Row by row through the neutral interface, so the copy needs no dump format and checks
itself: both stores are migrated to the same schema version first, the target must be
empty, everything is written in one target transaction, and the row counts are compared
before it commits. Ids are kept (members see them in ``/attempt list``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.storage.database import Database

BATCH = 1000


@dataclass(frozen=True, slots=True)
class Table:
    name: str
    columns: tuple[str, ...]
    key: str  # the ORDER BY that makes a copy (and its check) deterministic
    identity: str | None = None  # the column PostgreSQL numbers itself


# Every table the bot stores data in (tests/storage/test_copy.py fails when one is added
# and this list forgets it).
TABLES: tuple[Table, ...] = (
    Table(
        "attempts",
        ("id", "user_id", "exam_code", "taken_at", "result", "score", "time_given", "created_at"),
        "id",
        identity="id",
    ),
    Table("user_settings", ("user_id", "timezone", "updated_at"), "user_id"),
    Table(
        "reminders",
        (
            "user_id",
            "exam_code",
            "due_at",
            "enabled",
            "sent_at",
            "created_at",
            "claimed_by",
            "claimable_at",
            "failures",
        ),
        "user_id, exam_code",
    ),
    Table(
        "unanswered",
        ("guild_id", "normalized", "question", "count", "first_seen", "last_seen"),
        "guild_id, normalized",
    ),
    Table(
        "feedback",
        ("id", "user_id", "entry_id", "question", "helpful", "created_at", "guild_id"),
        "id",
        identity="id",
    ),
    Table(
        "taught",
        ("guild_id", "question_key", "question", "entry_id", "taught_by", "taught_at"),
        "guild_id, question_key",
    ),
)

# Tables the copy leaves alone: how running processes coordinate (identify slots, the
# knowledge generation; migration 0004), not a community's data. The target's own
# migration creates them as a fresh store needs them.
NOT_COPIED: frozenset[str] = frozenset({"identify_gate", "knowledge_generation"})


class CopyError(RuntimeError):
    """The copy was refused or failed its check; the target was left as it was."""


def select_all(table: Table) -> str:
    return f"SELECT {', '.join(table.columns)} FROM {table.name} ORDER BY {table.key}"  # noqa: S608


async def read_table(db: Database, table: Table) -> list[Sequence[object]]:
    """Every row of ``table`` in key order (for copying, and for tests comparing stores)."""
    async with db.transaction() as conn:
        return await conn.fetch(select_all(table))


async def copy_database(source: Database, target: Database) -> dict[str, int]:
    """Copy every table of ``source`` into the empty ``target``; rows copied per table.

    Raises :class:`CopyError` (nothing written) when the schema versions differ, the
    target holds any row, or a count does not match after writing.
    """
    found, wanted = await source.schema_version(), await target.schema_version()
    if found != wanted:
        raise CopyError(f"the source is at schema version {found}, the target at {wanted}")
    # One snapshot of the source: a bot still writing to it can't make the copy torn.
    async with source.snapshot() as conn:
        rows = {t.name: await conn.fetch(select_all(t)) for t in TABLES}
    copied: dict[str, int] = {}
    async with target.transaction() as conn:
        if conn.dialect == "postgres":
            # Nobody writes to the target while it is checked and filled.
            names = ", ".join(t.name for t in TABLES)
            await conn.execute(f"LOCK TABLE {names} IN EXCLUSIVE MODE")
        for table in TABLES:
            row = await conn.fetchone(f"SELECT COUNT(*) FROM {table.name}")  # noqa: S608
            if row is not None and int(row[0]):
                raise CopyError(
                    f"the target is not empty ({table.name} has {int(row[0])} rows); "
                    "copy only into a new, empty database"
                )
        for table in TABLES:
            marks = ", ".join("?" for _ in table.columns)
            insert = f"INSERT INTO {table.name} ({', '.join(table.columns)}) VALUES ({marks})"  # noqa: S608
            data = rows[table.name]
            for start in range(0, len(data), BATCH):
                await conn.executemany(insert, data[start : start + BATCH])
            if table.identity is not None and conn.dialect == "postgres":
                # Explicit ids don't advance the identity: the next id must follow them.
                await conn.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', '{table.identity}'),"  # noqa: S608
                    f" COALESCE(MAX({table.identity}), 0) + 1, false) FROM {table.name}"
                )
            row = await conn.fetchone(f"SELECT COUNT(*) FROM {table.name}")  # noqa: S608
            count = 0 if row is None else int(row[0])
            if count != len(data):
                raise CopyError(f"{table.name}: {len(data)} rows read but {count} written")
            copied[table.name] = count
    return copied


__all__ = ["NOT_COPIED", "TABLES", "CopyError", "Table", "copy_database", "read_table"]
