"""A reminder re-sent after a crash carries the same nonce, and Discord drops it.

The real ``send_dm`` through discord.py's HTTP client to the loopback fake Discord, which
applies ``enforce_nonce`` as Discord does (a repeat creates no second message)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from bot.client import ExamBot
from bot.dm import send_dm
from bot.scheduler import ReminderScheduler
from tests.e2e.conftest import NOW
from tests.e2e.fake_discord import FakeDiscord

MEMBER = 424242
LEASE = dt.timedelta(minutes=1)


class Died(BaseException):
    """The process was killed right after Discord accepted the DM."""


async def test_a_resend_after_a_crash_should_be_dropped_by_discord(
    running_bot: ExamBot, fake_discord: FakeDiscord, monkeypatch: pytest.MonkeyPatch
) -> None:
    cog: Any = running_bot.get_cog("Reminders")
    await cog.scheduler.stop()
    failed = NOW - dt.timedelta(days=6)
    await running_bot.db.attempts.add(MEMBER, "AI-103", failed, "fail", None, time_given=True)
    await running_bot.db.reminders.set(MEMBER, "AI-103", failed + dt.timedelta(hours=24))

    async def send_then_die(client: Any, user_id: int, content: str, *, nonce: str | None = None):
        assert await send_dm(client, user_id, content, nonce=nonce)
        raise Died

    with pytest.raises(Died):
        await ReminderScheduler(running_bot, send=send_then_die, lease=LEASE).run_once()
    monkeypatch.setattr(running_bot, "clock", lambda: NOW + LEASE)  # the lease is over
    survivor = ReminderScheduler(running_bot, lease=LEASE, claimer="survivor")
    assert await survivor.run_once() == 1  # Discord answered with the first message
    assert await survivor.run_once() == 0

    reminder = await running_bot.db.reminders.get(MEMBER, "AI-103")
    assert reminder is not None and reminder.sent_at == NOW + LEASE
    dms = [s for s in fake_discord.sent if s.route == f"message:{MEMBER + 1}"]
    assert len(dms) == 1 and "AI-103" in dms[0].content
    assert dms[0].payload["nonce"] == reminder.nonce and dms[0].payload["enforce_nonce"]
    assert fake_discord.dropped_repeats == [reminder.nonce]
