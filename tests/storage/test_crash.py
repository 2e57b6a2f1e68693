from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from bot.storage import Database

ROOT = Path(__file__).resolve().parents[2]

# Commits 50 attempts one by one, then opens a transaction, writes 50 more and a settings
# row, says so, and waits to be killed.
WRITER = textwrap.dedent(
    """
    import asyncio, datetime as dt, sys
    from bot.storage import Database

    async def main(path):
        db = await Database.open(path)
        t0 = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
        for n in range(50):
            await db.attempts.add(1, "AI-102", t0 + dt.timedelta(hours=n), "fail", 500, True)
        print("committed", flush=True)
        async with db.transaction() as conn:
            for n in range(50, 100):
                await conn.execute(
                    "INSERT INTO attempts (user_id, exam_code, taken_at, result, score,"
                    " time_given, created_at) VALUES (1, 'AI-102', ?, 'fail', 500, 1, ?)",
                    ((t0 + dt.timedelta(hours=n)).isoformat(), t0.isoformat()),
                )
            await conn.execute(
                "INSERT INTO user_settings (user_id, timezone, updated_at)"
                " VALUES (1, 'Asia/Tokyo', 'x')"
            )
            # ~6 MB, more than the page cache holds: SQLite spills uncommitted pages into
            # the WAL file, so the kill below leaves half a transaction on disk.
            await conn.executemany(
                "INSERT INTO unanswered (normalized, question, count, first_seen, last_seen)"
                " VALUES (?, ?, 1, 'x', 'x')",
                ((f"q{n}", "x" * 2000) for n in range(3000)),
            )
            print("in transaction", flush=True)
            await asyncio.sleep(60)

    asyncio.run(main(sys.argv[1]))
    """
)


async def test_a_writer_killed_mid_transaction_should_lose_nothing_committed(
    tmp_path: Path,
) -> None:
    path = tmp_path / "crash.sqlite3"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline().strip() for _ in range(2)]
        if lines != ["committed", "in transaction"]:
            proc.kill()
            _, err = proc.communicate(timeout=10)
            pytest.fail(f"writer did not reach the open transaction: {lines} {err}")
        wal = path.with_name(path.name + "-wal")
        assert wal.stat().st_size > 1_000_000  # uncommitted frames reached the disk
        # SIGKILL: no chance for SQLite (or Python) to roll back or clean up.
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL

    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    async with await Database.open(path) as db:
        attempts = await db.attempts.list_for_user(1)
        assert len(attempts) == 50
        assert await db.settings.get_timezone(1) == "UTC"
        assert await db.unanswered.top() == []
        # And it is writable again: no stale lock from the dead process.
        await db.settings.set_timezone(1, "Europe/Paris")
        assert await db.settings.get_timezone(1) == "Europe/Paris"
