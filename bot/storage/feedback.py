"""Helpful / not helpful votes on FAQ answers."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from bot.storage._gate import Gate
from bot.storage._time import from_db, to_db

MAX_QUESTION_CHARS = 500

INSERT_FEEDBACK = """
INSERT INTO feedback (user_id, entry_id, question, helpful, created_at) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (user_id, entry_id) DO UPDATE
SET question = excluded.question, helpful = excluded.helpful, created_at = excluded.created_at
"""
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

    async def record(self, user_id: int, entry_id: str, question: str, helpful: bool) -> None:
        """Store a member's vote on an answer; voting again replaces their earlier vote,
        so repeated clicks cannot skew the counts."""
        params = (
            user_id,
            entry_id,
            question[:MAX_QUESTION_CHARS],
            int(bool(helpful)),
            to_db(self._gate.clock()),
        )
        async with self._gate.transaction() as conn:
            await conn.execute(INSERT_FEEDBACK, params)

    async def counts(self) -> dict[str, tuple[int, int]]:
        """``entry_id -> (helpful, unhelpful)``."""
        async with self._gate.read() as conn:
            rows = await conn.fetch(SELECT_COUNTS)
        return {str(row[0]): (int(row[1]), int(row[2])) for row in rows}

    async def list_for_user(self, user_id: int) -> list[Feedback]:
        async with self._gate.read() as conn:
            rows = await conn.fetch(SELECT_FOR_USER, (user_id,))
        return [Feedback.from_row(row) for row in rows]
