"""State the bot's processes share through the database (migration 0004).

- :class:`IdentifyGateRepository`: Discord allows one IDENTIFY per 5 s per
  ``max_concurrency`` bucket, across every process of the bot. Each process *reserves*
  the next free slot of its bucket in one transaction and then waits for it outside the
  transaction, so nobody holds a lock while sleeping and processes starting together
  queue up in the order they asked.
- :class:`KnowledgeGenerationRepository`: a counter that ``/kb reload`` raises; every
  process polls it and reloads its knowledge files when it moved.

Neither holds a member's data, so ``db copy`` leaves both alone (:mod:`bot.storage.copy`).
"""

from __future__ import annotations

import datetime as dt

from bot.storage._gate import Gate
from bot.storage._time import from_db, to_db

IDENTIFY_INTERVAL = dt.timedelta(seconds=5)

# The first reservation of a bucket finds this row and takes "now".
_SEED_GATE = (
    "INSERT INTO identify_gate (bucket, next_at) VALUES (?, ?) ON CONFLICT (bucket) DO NOTHING"
)
_LOCK_GATE = {
    "sqlite": "SELECT next_at FROM identify_gate WHERE bucket = ?",  # BEGIN IMMEDIATE locks
    "postgres": "SELECT next_at FROM identify_gate WHERE bucket = ? FOR UPDATE",
}
_MOVE_GATE = "UPDATE identify_gate SET next_at = ? WHERE bucket = ?"

SELECT_GENERATION = "SELECT generation FROM knowledge_generation"
BUMP_GENERATION = "UPDATE knowledge_generation SET generation = generation + 1 RETURNING generation"


class IdentifyGateRepository:
    def __init__(self, gate: Gate) -> None:
        self._gate = gate

    async def reserve(
        self, bucket: int, now: dt.datetime, interval: dt.timedelta = IDENTIFY_INTERVAL
    ) -> dt.datetime:
        """The instant this process may identify in ``bucket``: ``now`` when the bucket is
        free, else when the previous reservation's interval ends. The bucket is then
        taken until that instant + ``interval``."""
        async with self._gate.transaction() as conn:
            await conn.execute(_SEED_GATE, (bucket, to_db(now)))
            row = await conn.fetchone(_LOCK_GATE[conn.dialect], (bucket,))
            booked = from_db(str(row[0])) if row is not None else now
            slot = max(now, booked)
            await conn.execute(_MOVE_GATE, (to_db(slot + interval), bucket))
        return slot


class KnowledgeGenerationRepository:
    def __init__(self, gate: Gate) -> None:
        self._gate = gate

    async def current(self) -> int:
        """The generation of the knowledge files the bot's processes should be using."""
        async with self._gate.read() as conn:
            row = await conn.fetchone(SELECT_GENERATION)
        return int(row[0]) if row is not None else 0

    async def bump(self) -> int:
        """Raise the generation by one (after a successful ``/kb reload``); the new value."""
        async with self._gate.transaction() as conn:
            row = await conn.fetchone(BUMP_GENERATION)
        if row is None:  # pragma: no cover - migration 0004 inserts the row
            raise RuntimeError("the knowledge_generation row is missing")
        return int(row[0])


__all__ = ["IDENTIFY_INTERVAL", "IdentifyGateRepository", "KnowledgeGenerationRepository"]
