"""A database that can't be used at start-up is refused with the operator's reason, and
nothing is written: not to a foreign file, not to a newer schema, not as half-made folders.
A lock that outlasts the busy timeout later on is recognisable as "busy", not a bug."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.storage import Database, DatabaseTooNewError
from bot.storage.database import DatabaseOpenError, is_busy_error

NOT_SQLITE = b"# my notes, not a database\n" * 200


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` with its bytes: "nothing written" means this is equal."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def journal_mode(path: Path) -> str:
    with sqlite3.connect(path) as conn:
        return str(conn.execute("PRAGMA journal_mode").fetchone()[0])


def make_too_new(path: Path, *, wal: bool) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute(f"PRAGMA journal_mode = {'WAL' if wal else 'DELETE'}")
        conn.execute("CREATE TABLE from_the_future (x INTEGER)")
        conn.execute("PRAGMA user_version = 999")
    finally:
        conn.close()


async def test_should_refuse_a_file_that_is_not_sqlite_and_leave_it_untouched(tmp_path: Path):
    path = tmp_path / "bot.db"
    path.write_bytes(NOT_SQLITE)
    before = snapshot(tmp_path)

    with pytest.raises(DatabaseOpenError) as caught:
        await Database.open(path)

    assert "not a SQLite database" in caught.value.problem
    assert "move that file away" in caught.value.advice
    assert snapshot(tmp_path) == before  # same bytes, no -wal/-shm/-journal next to it


@pytest.mark.parametrize("wal", [True, False], ids=["wal", "rollback-journal"])
async def test_should_refuse_a_newer_schema_without_touching_it(tmp_path: Path, wal: bool):
    path = tmp_path / "bot.db"
    make_too_new(path, wal=wal)
    before = snapshot(tmp_path)

    with pytest.raises(DatabaseTooNewError) as caught:
        await Database.open(path)

    assert isinstance(caught.value, DatabaseOpenError)
    assert (caught.value.found, caught.value.latest) == (999, caught.value.latest)
    assert "newer version of the bot" in caught.value.problem
    assert "upgrade the bot" in caught.value.advice
    assert snapshot(tmp_path) == before
    # Not even switched to WAL: the check runs before anything writes the header.
    assert journal_mode(path) == ("wal" if wal else "delete")


async def test_should_refuse_a_folder_under_a_regular_file_and_create_nothing(tmp_path: Path):
    (tmp_path / "data").write_text("a file where the folder should be")
    before = snapshot(tmp_path)

    with pytest.raises(DatabaseOpenError) as caught:
        await Database.open(tmp_path / "data" / "deeper" / "bot.db")

    assert "folder can't be created" in caught.value.problem
    assert "write to" in caught.value.advice
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize(
    ("path", "problem"),
    [
        # Root ignores file modes, so "not writable" is a place no one can write: /proc.
        ("/proc/exam-bot-test-folder/bot.db", "folder can't be created"),
        ("/proc/exam-bot-test.db", "can't be opened or created"),
    ],
)
async def test_should_refuse_a_place_that_cannot_be_written(path: str, problem: str):
    if not Path("/proc/self").exists():
        pytest.skip("needs /proc")

    with pytest.raises(DatabaseOpenError) as caught:
        await Database.open(path)

    assert problem in caught.value.problem
    assert not Path(path).exists()
    assert Path(path).parent == Path("/proc") or not Path(path).parent.exists()


async def test_should_remove_folders_it_made_when_the_database_then_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    import aiosqlite

    async def refuse(*_: object, **__: object) -> None:
        error = sqlite3.OperationalError("unable to open database file")
        error.sqlite_errorcode = sqlite3.SQLITE_CANTOPEN  # type: ignore[attr-defined]
        raise error

    monkeypatch.setattr(aiosqlite, "connect", refuse)

    with pytest.raises(DatabaseOpenError, match="can't be opened"):
        await Database.open(tmp_path / "new" / "nested" / "bot.db")

    assert list(tmp_path.iterdir()) == []


async def test_should_refuse_a_database_another_process_holds_locked(tmp_path: Path):
    path = tmp_path / "bot.db"
    async with await Database.open(path):
        pass  # a current, WAL database, as a running bot leaves it
    with sqlite3.connect(path) as check:
        tables_before = check.execute("SELECT name FROM sqlite_master").fetchall()

    lock = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sqlite3, sys\n"
            "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
            "c.execute('BEGIN IMMEDIATE')\n"
            "c.execute('CREATE TABLE uncommitted (x)')\n"
            "print('locked', flush=True)\n"
            "sys.stdin.read()\n",
            str(path),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert lock.stdout is not None and lock.stdout.readline().strip() == "locked"
        started = time.monotonic()
        with pytest.raises(DatabaseOpenError) as caught:
            await Database.open(path, busy_timeout_ms=50)
        elapsed = time.monotonic() - started
    finally:
        assert lock.stdin is not None
        lock.stdin.close()
        lock.wait(timeout=10)

    assert "another process holds its write lock" in caught.value.problem
    assert "stop that process" in caught.value.advice
    assert elapsed < 3
    with sqlite3.connect(path) as check:  # the holder's transaction was never committed
        assert check.execute("SELECT name FROM sqlite_master").fetchall() == tables_before
    async with await Database.open(path, busy_timeout_ms=50) as db:  # free again: opens
        assert await db.schema_version() >= 1


async def test_a_write_blocked_past_the_busy_timeout_should_be_a_busy_error(tmp_path: Path):
    path = tmp_path / "bot.db"
    async with await Database.open(path, busy_timeout_ms=50) as db:
        other = sqlite3.connect(path, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            with pytest.raises(sqlite3.OperationalError) as caught:
                await db.unanswered.record("how long must I wait?")
        finally:
            other.rollback()
            other.close()
        assert is_busy_error(caught.value)
        await db.unanswered.record("how long must I wait?")  # and works once free
        assert await db.unanswered.top() == [("how long must I wait?", 1)]


@pytest.mark.parametrize(
    ("error", "busy"),
    [
        (sqlite3.OperationalError("database is locked"), True),
        (sqlite3.OperationalError("database is busy"), True),
        (sqlite3.OperationalError("no such table: attempts"), False),
        (sqlite3.IntegrityError("UNIQUE constraint failed"), False),
        (RuntimeError("database is locked"), False),
    ],
)
def test_is_busy_error_should_know_a_lock_from_other_failures(error: Exception, busy: bool):
    assert is_busy_error(error) is busy
