"""Questions the bot could not answer, counted so maintainers know what FAQ to write next.

Privacy: no user id is stored, on purpose. Only the question text, the server it was
asked in (0 for direct messages), how often, and when it was first and last seen; each
server's moderators see only their own server's questions.
"""

from __future__ import annotations

import re
import unicodedata

from bot.storage._gate import Gate
from bot.storage._time import to_db

MAX_QUESTION_CHARS = 500

UPSERT_QUESTION = """
INSERT INTO unanswered (guild_id, normalized, question, count, first_seen, last_seen)
VALUES (?, ?, ?, 1, ?, ?)
ON CONFLICT (guild_id, normalized) DO UPDATE
SET count = unanswered.count + 1, last_seen = excluded.last_seen
"""
SELECT_TOP = """
SELECT question, count FROM unanswered WHERE guild_id = ?
ORDER BY count DESC, last_seen DESC LIMIT ?
"""
# Direct messages, and questions recorded before servers were told apart.
NO_SERVER = 0

_NON_WORD = re.compile(r"[^\w]+")


def normalize_question(text: str) -> str:
    """Case, accents' composed forms, punctuation and spacing folded away:
    ``"How long to wait?? "`` and ``"how LONG to wait"`` count as one question."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(_NON_WORD.sub(" ", folded).split())[:MAX_QUESTION_CHARS]


class UnansweredRepository:
    def __init__(self, gate: Gate) -> None:
        self._gate = gate

    async def record(self, question: str, guild_id: int | None = None) -> None:
        """Count one more asking of ``question`` in ``guild_id`` (``None``: a DM); blank or
        punctuation-only text is ignored.

        The stored display text is the first phrasing seen of each normalised question.
        """
        normalized = normalize_question(question)
        if not normalized:
            return
        raw = " ".join(question.split())[:MAX_QUESTION_CHARS]
        now = to_db(self._gate.clock())
        async with self._gate.transaction() as conn:
            await conn.execute(UPSERT_QUESTION, (guild_id or NO_SERVER, normalized, raw, now, now))

    async def top(self, limit: int = 10, guild_id: int | None = None) -> list[tuple[str, int]]:
        """``(question, count)`` asked in ``guild_id`` (``None``: DMs), most frequent first;
        ties go to the most recently asked."""
        async with self._gate.read() as conn:
            rows = await conn.fetch(SELECT_TOP, (guild_id or NO_SERVER, max(0, limit)))
        return [(str(row[0]), int(row[1])) for row in rows]
