"""Cancelling a task mid-transaction must never leave the shared connection unusable."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

from bot.storage import Database


async def test_should_stay_usable_when_a_writer_is_cancelled_at_any_point(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "bot.db")
    try:
        taken = dt.datetime(2026, 11, 1, 9, 0, tzinfo=dt.UTC)
        # Cancel writers after 0, 1, 2, … loop iterations, so that cancellation lands on
        # every await of the transaction: waiting for the lock, BEGIN, the INSERT, COMMIT.
        for delay_steps in range(12):
            task = asyncio.create_task(
                db.attempts.add(
                    1, "AI-103", taken + dt.timedelta(days=delay_steps), "fail", None, True
                )
            )
            for _ in range(delay_steps):
                await asyncio.sleep(0)
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            # Whatever happened to the cancelled writer, the next write must work.
            stored = await db.attempts.add(
                2, "AI-103", taken + dt.timedelta(days=delay_steps), "fail", None, True
            )
            assert stored.user_id == 2
        assert len(await db.attempts.list_for_user(2)) == 12
    finally:
        await db.close()
