"""The unmodified bot as an AutoShardedBot against the fake Discord: it asks GET
/gateway/bot, and its shards identify one at a time through the database's gate."""

from __future__ import annotations

import asyncio
import contextlib

from bot.client import ExamBot
from bot.config import Settings
from bot.knowledge_state import KnowledgeState
from bot.storage.database import open_database
from tests.conftest import Store
from tests.e2e.conftest import GUILD_READY_TIMEOUT, NOW
from tests.e2e.fake_discord import FakeDiscord

POLL_SECONDS = 3600.0


class RecordingSleep:
    """Identify waits return at once (recorded); the knowledge poll's wait never ends."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        if delay == POLL_SECONDS:
            await asyncio.Event().wait()
        self.delays.append(delay)


async def _run_until_ready(bot: ExamBot) -> None:
    task = asyncio.create_task(bot.start("fake-token-never-shown"))
    ready = asyncio.create_task(bot.wait_until_ready())
    try:
        await asyncio.wait({task, ready}, timeout=20, return_when=asyncio.FIRST_COMPLETED)
        if task.done():
            raise RuntimeError("the bot stopped during start-up") from task.exception()
        assert ready.done(), "the bot did not become ready"
    finally:
        ready.cancel()
        await bot.close()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await asyncio.wait_for(task, 5)


async def test_two_shards_should_identify_5_seconds_apart_through_the_gate(
    fake_discord: FakeDiscord, store: Store, knowledge: KnowledgeState
) -> None:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        discord_token="fake-token-never-shown",  # type: ignore[arg-type]
        database_path=store.path,
        database_url=store.url,
        discord_shard_count=2,
        discord_shard_ids=(0, 1),
        knowledge_poll_seconds=POLL_SECONDS,
    )
    db = await open_database(settings)
    sleep = RecordingSleep()
    bot = ExamBot(
        settings=settings,
        db=db,
        knowledge=knowledge,
        clock=lambda: NOW,
        guild_ready_timeout=GUILD_READY_TIMEOUT,
        sleep=sleep,
    )
    try:
        await _run_until_ready(bot)
        # max_concurrency 1 (asked from /gateway/bot): both shards share bucket 0.
        assert fake_discord.identifies == 2
        assert bot.max_concurrency == 1
        assert sleep.delays == [5.0]  # the second shard waited for the first one's slot
        async with db.transaction() as conn:
            rows = await conn.fetch("SELECT bucket FROM identify_gate")
        assert [tuple(r) for r in rows] == [(0,)]
    finally:
        await db.close()


async def test_automatic_sharding_should_ask_discord_for_the_shard_count(
    running_bot: ExamBot, fake_discord: FakeDiscord
) -> None:
    assert running_bot.shard_count == 1  # GET /gateway/bot answered one shard
    assert running_bot.shard_ids is None
    assert fake_discord.identifies == 1
