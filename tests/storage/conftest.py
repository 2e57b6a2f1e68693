from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.storage import Database
from tests.conftest import Store

UTC = dt.UTC
T0 = dt.datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "bot.sqlite3"


@pytest.fixture
def store_path(db_path: Path) -> Path:
    return db_path


@pytest.fixture
async def db(store: Store, db_path: Path) -> AsyncIterator[Database]:
    """The contract's database, once per backend (see tests/conftest.py)."""
    assert store.path == db_path  # SQLite-only tests read this file directly
    yield await store.open()


async def table_columns(db: Database) -> dict[str, set[str]]:
    """Every table of the store and its columns, read from the backend's own catalogue."""
    if db.dialect == "sqlite":
        sql = (
            "SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p"
            " WHERE m.type = 'table'"
        )
    else:
        sql = (
            "SELECT table_name, column_name FROM information_schema.columns"
            " WHERE table_schema = current_schema()"
        )
    async with db.transaction() as conn:
        rows = await conn.fetch(sql)
    tables: dict[str, set[str]] = {}
    for table, column in rows:
        tables.setdefault(str(table), set()).add(str(column))
    return tables


async def scalar(db: Database, sql: str, params: tuple[object, ...] = ()) -> object:
    """The one value a query returns, read around the repositories."""
    async with db.transaction() as conn:
        row = await conn.fetchone(sql, params)
    assert row is not None
    return row[0]
