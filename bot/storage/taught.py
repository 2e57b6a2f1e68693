"""Questions a server's moderators taught: ``/kb teach``, ``/kb unteach``, ``/kb taught``.

Each row pins one question (and its close rephrasings, :mod:`bot.taught`) to an FAQ
entry, or to ``off-topic``, for one server. The moderator's id and the time are stored
(the issue asks who taught what); ``/mydata forget`` clears the moderator's id but keeps
the row, which is the server's knowledge.

The repository keeps each server's :class:`~bot.taught.TaughtIndex` in memory, so a
question asked in a server costs no query: a teach or unteach in this process drops the
server's index at once (the next question reads it afresh), and an index older than
:data:`REFRESH_SECONDS` is read again, so what another process sharing the database
taught is seen within two seconds.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from bot.storage._gate import Connection, DuplicateKeyError, Gate
from bot.storage._time import from_db, to_db
from bot.storage.unanswered import normalize_question
from bot.taught import TaughtIndex, TaughtQuestion, close_rephrasing, question_key, question_tokens

# An index is read again once older than this (seconds): what another process taught
# shows within about this long (the issue asks for two seconds).
REFRESH_SECONDS = 1.0
# Servers whose index is kept (least recently used dropped first).
CACHED_GUILDS = 1024

SELECT_FOR_GUILD = """
SELECT guild_id, question_key, question, entry_id, taught_by, taught_at
FROM taught WHERE guild_id = ? ORDER BY taught_at, question_key
"""
SELECT_ALL = """
SELECT guild_id, question_key, question, entry_id, taught_by, taught_at
FROM taught ORDER BY entry_id, guild_id, taught_at, question_key
"""
SELECT_ONE = """
SELECT guild_id, question_key, question, entry_id, taught_by, taught_at
FROM taught WHERE guild_id = ? AND question_key = ?
"""
SELECT_BY_MODERATOR = """
SELECT guild_id, question_key, question, entry_id, taught_by, taught_at
FROM taught WHERE taught_by = ? ORDER BY taught_at, question_key
"""
INSERT_TAUGHT = """
INSERT INTO taught (guild_id, question_key, question, entry_id, taught_by, taught_at)
VALUES (?, ?, ?, ?, ?, ?)
"""
MOVE_TAUGHT = """
UPDATE taught SET entry_id = ?, question = ?, taught_by = ?, taught_at = ?
WHERE guild_id = ? AND question_key = ?
"""
DELETE_TAUGHT = "DELETE FROM taught WHERE guild_id = ? AND question_key = ?"
FORGET_MODERATOR = "UPDATE taught SET taught_by = NULL WHERE taught_by = ?"
SELECT_UNANSWERED = "SELECT normalized, question FROM unanswered WHERE guild_id = ?"
DELETE_UNANSWERED = "DELETE FROM unanswered WHERE guild_id = ? AND normalized = ?"


class TeachOutcome(StrEnum):
    TAUGHT = "taught"  # stored
    MOVED = "moved"  # it was taught to another entry; now to this one
    UNCHANGED = "unchanged"  # it was already taught to this very entry
    CONFLICT = "conflict"  # taught to another entry; nothing stored (offer to move it)


@dataclass(frozen=True, slots=True)
class TeachResult:
    outcome: TeachOutcome
    row: TaughtQuestion  # the row as stored now (for CONFLICT: the existing one)
    unanswered_removed: int = 0


def taught_from_row(row: Any) -> TaughtQuestion:
    return TaughtQuestion(
        guild_id=int(row[0]),
        key=str(row[1]),
        question=str(row[2]),
        entry_id=str(row[3]),
        taught_by=None if row[4] is None else int(row[4]),
        taught_at=from_db(str(row[5])),
    )


class TaughtRepository:
    def __init__(self, gate: Gate, *, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._gate = gate
        self._monotonic = monotonic
        self._indexes: OrderedDict[int, tuple[float, TaughtIndex]] = OrderedDict()

    async def index(self, guild_id: int) -> TaughtIndex:
        """The server's taught questions, from memory when read less than
        :data:`REFRESH_SECONDS` ago."""
        now = self._monotonic()
        cached = self._indexes.get(guild_id)
        if cached is not None and now - cached[0] < REFRESH_SECONDS:
            self._indexes.move_to_end(guild_id)
            return cached[1]
        index = TaughtIndex(await self.list_for_guild(guild_id))
        self._remember(guild_id, index, now)
        return index

    def _remember(self, guild_id: int, index: TaughtIndex, now: float) -> None:
        self._indexes[guild_id] = (now, index)
        self._indexes.move_to_end(guild_id)
        while len(self._indexes) > CACHED_GUILDS:
            self._indexes.popitem(last=False)

    async def list_for_guild(self, guild_id: int) -> list[TaughtQuestion]:
        """What the server taught, oldest first."""
        async with self._gate.read() as conn:
            rows = await conn.fetch(SELECT_FOR_GUILD, (guild_id,))
        return [taught_from_row(r) for r in rows]

    async def list_all(self) -> list[TaughtQuestion]:
        """Everything every server taught, by entry (``kb learned --export``)."""
        async with self._gate.read() as conn:
            rows = await conn.fetch(SELECT_ALL)
        return [taught_from_row(r) for r in rows]

    async def list_by_moderator(self, user_id: int) -> list[TaughtQuestion]:
        async with self._gate.read() as conn:
            rows = await conn.fetch(SELECT_BY_MODERATOR, (user_id,))
        return [taught_from_row(r) for r in rows]

    async def teach(
        self, guild_id: int, question: str, entry_id: str, taught_by: int, *, move: bool = False
    ) -> TeachResult:
        """Pin ``question`` (already cleaned, :func:`bot.taught.clean_taught_question`) to
        ``entry_id`` in ``guild_id``, and drop the server's unanswered questions it now
        answers, in one transaction.

        A question already taught to another entry is a :attr:`TeachOutcome.CONFLICT`
        (nothing changes) unless ``move`` is set.
        """
        key = question_key(question)
        if not key:
            raise ValueError("a taught question needs at least one content word")
        now = self._gate.clock()
        async with self._gate.transaction() as conn:
            existing = await conn.fetchone(SELECT_ONE, (guild_id, key))
            if existing is not None:
                old = taught_from_row(existing)
                if old.entry_id == entry_id:
                    return TeachResult(TeachOutcome.UNCHANGED, old)
                if not move:
                    return TeachResult(TeachOutcome.CONFLICT, old)
                await conn.execute(
                    MOVE_TAUGHT, (entry_id, question, taught_by, to_db(now), guild_id, key)
                )
                outcome = TeachOutcome.MOVED
            else:
                try:
                    await conn.execute(
                        INSERT_TAUGHT, (guild_id, key, question, entry_id, taught_by, to_db(now))
                    )
                except DuplicateKeyError:
                    # Another process taught the same question a moment ago.
                    raced = await conn.fetchone(SELECT_ONE, (guild_id, key))
                    if raced is None:
                        raise
                    return TeachResult(TeachOutcome.CONFLICT, taught_from_row(raced))
                outcome = TeachOutcome.TAUGHT
            removed = await self._drop_answered(conn, guild_id, question)
        self._indexes.pop(guild_id, None)  # read afresh, committed, on the next question
        row = TaughtQuestion(guild_id, key, question, entry_id, taught_by, from_db(to_db(now)))
        return TeachResult(outcome, row, removed)

    @staticmethod
    async def _drop_answered(conn: Connection, guild_id: int, question: str) -> int:
        """Delete the server's unanswered questions that ``question`` now answers: itself,
        and its close rephrasings."""
        exact = normalize_question(question)
        taught = question_tokens(question)
        doomed = [
            str(normalized)
            for normalized, text in await conn.fetch(SELECT_UNANSWERED, (guild_id,))
            if normalized == exact or close_rephrasing(taught, question_tokens(str(text)))
        ]
        await conn.executemany(DELETE_UNANSWERED, [(guild_id, n) for n in doomed])
        return len(doomed)

    async def unteach(self, guild_id: int, question: str) -> TaughtQuestion | None:
        """Take back the taught question ``question`` (its wording, or any wording with
        the same words); the row removed, or None when nothing was taught so."""
        key = question_key(question)
        if not key:
            return None
        async with self._gate.transaction() as conn:
            found = await conn.fetchone(SELECT_ONE, (guild_id, key))
            if found is None:
                return None
            await conn.execute(DELETE_TAUGHT, (guild_id, key))
        self._indexes.pop(guild_id, None)
        return taught_from_row(found)
