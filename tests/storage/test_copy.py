"""``python -m bot db copy``: every table of a populated SQLite database, row for row."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from bot.cli.db import _copy
from bot.storage import Database
from bot.storage.copy import NOT_COPIED, TABLES, read_table
from tests.conftest import Store
from tests.storage.conftest import T0, table_columns


async def _populate(path: Path) -> Database:
    db = await Database.open(path)
    for user in (1, 2, 3):
        await db.attempts.add(user, "AI-102", T0, "fail", 500, True)
        await db.attempts.add(user, "AZ-104", T0.replace(hour=12), "pass", None, False)
        await db.settings.set_timezone(user, "Europe/Paris")
        await db.reminders.set(user, "AI-102", T0)
        await db.feedback.record(user, "retake-wait", f"how long, {user}?", user % 2 == 0)
    await db.attempts.delete(1, 1)  # a gap in the ids: they must be kept as they are
    await db.reminders.claim_due(T0)
    await db.unanswered.record("can I bring notes?", 111)
    await db.unanswered.record("can I bring notes?")
    await db.taught.teach(111, "pearson thingy fee?", "exam-price", 1)
    await db.taught.teach(111, "is it raining", "off-topic", 2)
    return db


async def test_copy_should_reproduce_every_row_of_every_table(
    store: Store, tmp_path: Path
) -> None:
    source = await _populate(tmp_path / "old" / "bot.db")
    try:
        assert set(await table_columns(source)) - {"sqlite_sequence", *NOT_COPIED} == {
            t.name for t in TABLES
        }  # a new table must be added to the copy
        for table in TABLES:
            assert await read_table(source, table), table.name  # every table has rows
        target_url = store.url or f"sqlite:///{store.path}"
        assert await _copy(f"sqlite:///{source.path}", target_url) == 0
        target = await store.open()
        for table in TABLES:
            assert await read_table(target, table) == await read_table(source, table)
        # New rows continue after the copied ids instead of colliding with them.
        fresh = await target.attempts.add(9, "AI-102", T0, "fail", None, True)
        copied_ids = [row[0] for row in await read_table(source, TABLES[0])]
        assert fresh.id > max(copied_ids)  # type: ignore[operator]
    finally:
        await source.close()


async def test_copy_should_refuse_a_non_empty_target_and_change_nothing(
    store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = await _populate(tmp_path / "old" / "bot.db")
    await source.close()
    target = await store.open()
    await target.settings.set_timezone(42, "Asia/Tokyo")
    target_url = store.url or f"sqlite:///{store.path}"

    assert await _copy(f"sqlite:///{source.path}", target_url) == 1

    err = capsys.readouterr().err
    assert "not empty" in err and "Nothing was copied" in err
    assert len(err.strip().splitlines()) == 1
    assert await target.export_user(1) == {
        "user_id": 1, "attempts": [], "settings": None, "reminders": [], "feedback": [],
    }  # fmt: skip
    assert await target.settings.get_timezone(42) == "Asia/Tokyo"


def test_copy_should_refuse_a_missing_source_in_one_line(tmp_path: Path, capsys) -> None:
    status = main(["db", "copy", "--from", f"sqlite:///{tmp_path}/nope.db",
                   "--to", "postgresql://bot:s3cret@127.0.0.1:1/x"])  # fmt: skip
    err = capsys.readouterr().err
    assert status == 1
    assert "no such SQLite file" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "nope.db").exists()
