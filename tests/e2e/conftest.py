"""Run the unmodified bot against the loopback fake of Discord."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import AsyncIterator

import discord
import pytest
import yarl

from bot.client import ExamBot
from bot.config import Settings
from bot.knowledge_state import KnowledgeState
from bot.storage.database import open_database
from tests.conftest import Store
from tests.e2e.fake_discord import FakeDiscord

NOW = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC)
GUILD_READY_TIMEOUT = 0.01


@pytest.fixture
async def fake_discord(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeDiscord]:
    fake = FakeDiscord()
    await fake.start()
    monkeypatch.setattr(discord.http.Route, "BASE", f"{fake.base_url}/api/v10")
    monkeypatch.setattr(
        discord.gateway.DiscordWebSocket,
        "DEFAULT_GATEWAY",
        yarl.URL(f"ws://{fake.base_url.removeprefix('http://')}/gateway"),
    )
    try:
        yield fake
    finally:
        await fake.stop()


@pytest.fixture(scope="session")
def knowledge() -> KnowledgeState:
    """Loaded once: the tests only read it (as in tests/bot)."""
    return KnowledgeState.load()


@pytest.fixture
async def running_bot(
    fake_discord: FakeDiscord, store: Store, knowledge: KnowledgeState
) -> AsyncIterator[ExamBot]:
    """The bot as ``python -m bot run`` builds it, on SQLite and on PostgreSQL in turn
    (``open_database`` picks the store from the settings, as in production)."""
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        discord_token="fake-token-never-shown",  # type: ignore[arg-type]
        database_path=store.path,
        database_url=store.url,
        free_text_cooldown_seconds=0,
    )
    db = await open_database(settings)
    bot = ExamBot(
        settings=settings,
        db=db,
        knowledge=knowledge,
        clock=lambda: NOW,
        # The fake Discord sends READY with no guilds: nothing to wait for (the default,
        # 2 s per test, was most of this suite's time).
        guild_ready_timeout=GUILD_READY_TIMEOUT,
    )
    task = asyncio.create_task(bot.start("fake-token-never-shown"))
    ready = asyncio.create_task(bot.wait_until_ready())
    try:
        await asyncio.wait({task, ready}, timeout=20, return_when=asyncio.FIRST_COMPLETED)
        if task.done():
            raise RuntimeError("the bot stopped during start-up") from task.exception()
        assert ready.done(), "the bot did not become ready"
        yield bot
    finally:
        ready.cancel()
        await bot.close()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await asyncio.wait_for(task, 5)
        await db.close()
