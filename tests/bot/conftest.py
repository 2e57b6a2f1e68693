"""A real bot (real SQLite, real knowledge files, a fixed clock) with every cog loaded,
never connected to Discord: tests call the cogs' real callbacks with interaction doubles."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import pytest

from bot.client import ExamBot
from bot.config import Settings
from bot.knowledge_state import KnowledgeState
from bot.storage import Database
from tests.conftest import Store

# "Today" for the bot tests: after AI-102's retirement (30 June 2026).
NOW = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC)


class MutableClock:
    """A clock tests can move: ``clock.now = …``."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture(scope="session")
def knowledge_state() -> KnowledgeState:
    return KnowledgeState.load()


@pytest.fixture
def clock() -> MutableClock:
    return MutableClock(NOW)


@pytest.fixture
async def db(store: Store) -> AsyncIterator[Database]:
    """SQLite and PostgreSQL in turn (tests/conftest.py)."""
    yield await store.open()


@pytest.fixture
async def bot(
    store: Store, db: Database, knowledge_state: KnowledgeState, clock: MutableClock
) -> AsyncIterator[ExamBot]:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        discord_token=None,
        database_path=store.path,
        database_url=store.url,
        free_text_cooldown_seconds=0,
    )
    instance = ExamBot(settings=settings, db=db, knowledge=knowledge_state, clock=clock)
    for name in instance.extension_names:
        await instance.load_extension(name)
    try:
        yield instance
    finally:
        for name in list(instance.extensions):
            await instance.unload_extension(name)
