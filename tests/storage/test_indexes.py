from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.storage import Database, attempts, reminders

QUERIES = [
    (attempts.SELECT_FOR_USER, (1,), "attempts_user_taken"),
    (attempts.SELECT_FOR_USER_EXAM, (1, "AI-102"), "sqlite_autoindex_attempts_1"),
    (attempts.SELECT_EXAM_CODES, (1,), "sqlite_autoindex_attempts_1"),
    (reminders.SELECT_DUE, ("2026-11-26", 100), "reminders_claimable"),
    (reminders.CLAIM_DUE, ("me/1", "2026-11-27", "2026-11-26", 100), "reminders_claimable"),
    (reminders.SELECT_NEXT_DUE, (), "reminders_claimable"),
    (reminders.SELECT_FOR_USER, (1,), "sqlite_autoindex_reminders_1"),
]


@pytest.mark.sqlite_only  # SQLite's EXPLAIN QUERY PLAN
@pytest.mark.parametrize(("sql", "params", "index"), QUERIES)
async def test_hot_queries_should_use_an_index(
    db: Database, db_path: Path, sql: str, params: tuple[object, ...], index: str
) -> None:
    with sqlite3.connect(db_path) as conn:
        plan = " ".join(row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}", params))
    assert f"INDEX {index}" in plan
    assert "SCAN" not in plan
