"""State the bot's processes share (migration 0004): identify slots and the knowledge
generation, each seen through two handles on one store, as two processes would."""

from __future__ import annotations

import asyncio
import datetime as dt

from bot.storage import Database
from tests.conftest import Store
from tests.storage.conftest import T0

FIVE = dt.timedelta(seconds=5)


async def test_a_free_bucket_should_identify_now_and_be_taken_for_5_seconds(
    store: Store, db: Database
) -> None:
    other = await store.open()  # a second process

    assert await db.identify_gate.reserve(0, T0) == T0
    assert await other.identify_gate.reserve(0, T0) == T0 + FIVE
    assert await other.identify_gate.reserve(0, T0 + dt.timedelta(seconds=1)) == T0 + 2 * FIVE


async def test_buckets_should_not_wait_for_each_other(store: Store, db: Database) -> None:
    other = await store.open()
    await db.identify_gate.reserve(0, T0)

    assert await other.identify_gate.reserve(1, T0) == T0


async def test_a_bucket_free_again_should_identify_at_once(db: Database) -> None:
    await db.identify_gate.reserve(3, T0)

    later = T0 + dt.timedelta(minutes=1)
    assert await db.identify_gate.reserve(3, later) == later


async def test_processes_starting_together_should_get_slots_5_seconds_apart(
    store: Store, db: Database
) -> None:
    handles = [db, await store.open(), await store.open()]

    slots = await asyncio.gather(*(h.identify_gate.reserve(0, T0) for h in handles * 2))

    assert sorted(slots) == [T0 + k * FIVE for k in range(6)]


async def test_the_knowledge_generation_should_start_at_0_and_be_seen_by_every_process(
    store: Store, db: Database
) -> None:
    other = await store.open()
    assert await db.knowledge.current() == 0

    assert await db.knowledge.bump() == 1
    assert await other.knowledge.bump() == 2

    assert await db.knowledge.current() == 2
    assert await other.knowledge.current() == 2
