"""Questions the bot could not answer, counted so maintainers know what FAQ to write next.

Privacy: no user id is stored, on purpose. Only the question text, how often it was
asked, and when it was first and last seen.
"""

from __future__ import annotations

import re
import unicodedata

from bot.storage._gate import Gate
from bot.storage._time import to_db

MAX_QUESTION_CHARS = 500

UPSERT_QUESTION = """
INSERT INTO unanswered (normalized, question, count, first_seen, last_seen)
VALUES (?, ?, 1, ?, ?)
ON CONFLICT (normalized) DO UPDATE SET count = count + 1, last_seen = excluded.last_seen
"""
SELECT_TOP = """
SELECT question, count FROM unanswered ORDER BY count DESC, last_seen DESC LIMIT ?
"""

_NON_WORD = re.compile(r"[^\w]+")


def normalize_question(text: str) -> str:
    """Case, accents' composed forms, punctuation and spacing folded away:
    ``"How long to wait?? "`` and ``"how LONG to wait"`` count as one question."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(_NON_WORD.sub(" ", folded).split())[:MAX_QUESTION_CHARS]


class UnansweredRepository:
    def __init__(self, gate: Gate) -> None:
        self._gate = gate

    async def record(self, question: str) -> None:
        """Count one more asking of ``question``; blank or punctuation-only text is ignored.

        The stored display text is the first phrasing seen of each normalised question.
        """
        normalized = normalize_question(question)
        if not normalized:
            return
        raw = " ".join(question.split())[:MAX_QUESTION_CHARS]
        now = to_db(self._gate.clock())
        async with self._gate.transaction() as conn:
            await conn.execute(UPSERT_QUESTION, (normalized, raw, now, now))

    async def top(self, limit: int = 10) -> list[tuple[str, int]]:
        """``(question, count)`` most frequent first; ties go to the most recently asked."""
        async with self._gate.read() as conn:
            cursor = await conn.execute(SELECT_TOP, (max(0, limit),))
            rows = await cursor.fetchall()
            await cursor.close()
        return [(str(row[0]), int(row[1])) for row in rows]
