"""Helpful / not helpful votes on FAQ answers."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from bot.storage._gate import Gate
from bot.storage._time import from_db, to_db

MAX_QUESTION_CHARS = 500

INSERT_FEEDBACK = """
INSERT INTO feedback (user_id, entry_id, question, helpful, created_at, guild_id)
VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (user_id, entry_id) DO UPDATE
SET question = excluded.question, helpful = excluded.helpful, created_at = excluded.created_at,
    guild_id = excluded.guild_id
"""
# /kb feedback: the answers this server's members marked unhelpful, most often first.
SELECT_UNHELPFUL = """
SELECT entry_id, COUNT(*) FROM feedback WHERE guild_id = ? AND helpful = 0
GROUP BY entry_id ORDER BY COUNT(*) DESC, MAX(created_at) DESC, entry_id LIMIT ?
"""
# Direct messages, and votes recorded before servers were told apart.
NO_SERVER = 0
SELECT_COUNTS = """
SELECT entry_id, SUM(helpful), SUM(1 - helpful) FROM feedback GROUP BY entry_id ORDER BY entry_id
"""
SELECT_FOR_USER = """
SELECT id, user_id, entry_id, question, helpful, created_at
FROM feedback WHERE user_id = ? ORDER BY created_at, id
"""


@dataclass(frozen=True, slots=True)
class Feedback:
    id: int
    user_id: int
    entry_id: str
    question: str
    helpful: bool
    created_at: dt.datetime

    @classmethod
    def from_row(cls, row: Any) -> Feedback:
        return cls(
            id=int(row[0]),
            user_id=int(row[1]),
            entry_id=str(row[2]),
            question=str(row[3]),
            helpful=bool(row[4]),
            created_at=from_db(row[5]),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "entry_id": self.entry_id,
            "question": self.question,
            "helpful": self.helpful,
            "created_at": self.created_at.isoformat(),
        }


class FeedbackRepository:
    def __init__(self, gate: Gate) -> None:
        self._gate = gate

    async def record(
        self, user_id: int, entry_id: str, question: str, helpful: bool,
        guild_id: int | None = None,
    ) -> None:
        """Store a member's vote on an answer given in ``guild_id`` (``None``: a DM);
        voting again replaces their earlier vote, so repeated clicks cannot skew the
        counts."""
        params = (
            user_id,
            entry_id,
            question[:MAX_QUESTION_CHARS],
            int(bool(helpful)),
            to_db(self._gate.clock()),
            guild_id or NO_SERVER,
        )
        async with self._gate.transaction() as conn:
            await conn.execute(INSERT_FEEDBACK, params)

    async def counts(self) -> dict[str, tuple[int, int]]:
        """``entry_id -> (helpful, unhelpful)``."""
        async with self._gate.read() as conn:
            rows = await conn.fetch(SELECT_COUNTS)
        return {str(row[0]): (int(row[1]), int(row[2])) for row in rows}

    async def unhelpful(self, guild_id: int, limit: int = 15) -> list[tuple[str, int]]:
        """``(entry_id, 👎 votes)`` of the answers members of ``guild_id`` marked
        unhelpful, most votes first (ties: the most recent vote first)."""
        async with self._gate.read() as conn:
            rows = await conn.fetch(SELECT_UNHELPFUL, (guild_id, max(0, limit)))
        return [(str(row[0]), int(row[1])) for row in rows]

    async def list_for_user(self, user_id: int) -> list[Feedback]:
        async with self._gate.read() as conn:
            rows = await conn.fetch(SELECT_FOR_USER, (user_id,))
        return [Feedback.from_row(row) for row in rows]
