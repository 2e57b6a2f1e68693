"""Exam attempts members log: the input of the retake rules engine."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from bot.storage._gate import DuplicateKeyError, Gate
from bot.storage._time import from_db, to_db
from knowledge.codes import normalize_exam_code, try_normalize_exam_code

RESULTS = ("pass", "fail")
SCORE_MIN = 1
SCORE_MAX = 1000

INSERT_ATTEMPT = """
INSERT INTO attempts (user_id, exam_code, taken_at, result, score, time_given, created_at)
VALUES (?, ?, ?, ?, ?, ?, ?)
RETURNING id
"""
SELECT_FOR_USER = """
SELECT id, user_id, exam_code, taken_at, result, score, time_given, created_at
FROM attempts WHERE user_id = ? ORDER BY taken_at, id
"""
SELECT_FOR_USER_EXAM = """
SELECT id, user_id, exam_code, taken_at, result, score, time_given, created_at
FROM attempts WHERE user_id = ? AND exam_code = ? ORDER BY taken_at, id
"""
SELECT_ONE = """
SELECT id, user_id, exam_code, taken_at, result, score, time_given, created_at
FROM attempts WHERE user_id = ? AND id = ?
"""
DELETE_ONE = "DELETE FROM attempts WHERE user_id = ? AND id = ?"
UPDATE_ONE = """
UPDATE attempts SET taken_at = ?, result = ?, score = ?, time_given = ?
WHERE user_id = ? AND id = ?
"""
SELECT_EXAM_CODES = "SELECT DISTINCT exam_code FROM attempts WHERE user_id = ? ORDER BY exam_code"


@dataclass(frozen=True, slots=True)
class StoredAttempt:
    id: int
    user_id: int
    exam_code: str
    taken_at: dt.datetime  # aware, UTC
    result: str  # 'pass' | 'fail'
    score: int | None
    time_given: bool  # False: the member gave only a date and we assumed the end of that day
    created_at: dt.datetime

    @classmethod
    def from_row(cls, row: Any) -> StoredAttempt:
        return cls(
            id=int(row[0]),
            user_id=int(row[1]),
            exam_code=str(row[2]),
            taken_at=from_db(row[3]),
            result=str(row[4]),
            score=None if row[5] is None else int(row[5]),
            time_given=bool(row[6]),
            created_at=from_db(row[7]),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "exam_code": self.exam_code,
            "taken_at": self.taken_at.isoformat(),
            "result": self.result,
            "score": self.score,
            "time_given": self.time_given,
            "created_at": self.created_at.isoformat(),
        }


class DuplicateAttemptError(Exception):
    """The member already logged an attempt at this exam at this exact time."""

    def __init__(self, user_id: int, exam_code: str, taken_at: dt.datetime) -> None:
        super().__init__(f"attempt at {exam_code} on {taken_at.isoformat()} is already logged")
        self.user_id = user_id
        self.exam_code = exam_code
        self.taken_at = taken_at


class AttemptRepository:
    def __init__(self, gate: Gate) -> None:
        self._gate = gate

    async def add(
        self,
        user_id: int,
        exam_code: str,
        taken_at: dt.datetime,
        result: str,
        score: int | None,
        time_given: bool,
    ) -> StoredAttempt:
        """Store one attempt.

        The exam code is normalised (``ai102`` -> ``AI-102``) so the uniqueness rule sees
        one code however it was typed. Raises :class:`DuplicateAttemptError` for the same
        (member, exam, time) and ``ValueError`` for a naive time, an unknown result, a
        score outside 1..1000 or a malformed exam code, before anything is written.
        """
        code, taken = self._checked_row(exam_code, taken_at, result, score)
        created = to_db(self._gate.clock())
        params = (user_id, code, taken, result, score, int(bool(time_given)), created)
        try:
            async with self._gate.transaction() as conn:
                row = await conn.fetchone(INSERT_ATTEMPT, params)
        except DuplicateKeyError as exc:
            raise DuplicateAttemptError(user_id, code, taken_at) from exc
        assert row is not None
        attempt_id = int(row[0])
        return StoredAttempt(
            id=attempt_id,
            user_id=user_id,
            exam_code=code,
            taken_at=from_db(taken),
            result=result,
            score=score,
            time_given=bool(time_given),
            created_at=from_db(created),
        )

    @staticmethod
    def _checked_row(
        exam_code: str, taken_at: dt.datetime, result: str, score: int | None
    ) -> tuple[str, str]:
        """The canonical code and stored time, or ``ValueError`` before anything is written."""
        code = normalize_exam_code(exam_code)
        taken = to_db(taken_at)
        if result not in RESULTS:
            raise ValueError(f"result must be 'pass' or 'fail', not {result!r}")
        if score is not None and not SCORE_MIN <= score <= SCORE_MAX:
            raise ValueError(f"score must be between {SCORE_MIN} and {SCORE_MAX}, not {score}")
        return code, taken

    async def add_many(
        self,
        user_id: int,
        rows: list[tuple[str, dt.datetime, str, int | None, bool]],
    ) -> list[StoredAttempt]:
        """Store several attempts (exam, taken_at, result, score, time_given) in ONE
        transaction: all of them, or none when one is invalid or a duplicate."""
        checked = [
            (*self._checked_row(code, taken_at, result, score), result, score, time_given)
            for code, taken_at, result, score, time_given in rows
        ]
        created = to_db(self._gate.clock())
        stored: list[StoredAttempt] = []
        try:
            async with self._gate.transaction() as conn:
                for code, taken, result, score, time_given in checked:
                    params = (user_id, code, taken, result, score, int(bool(time_given)), created)
                    row = await conn.fetchone(INSERT_ATTEMPT, params)
                    assert row is not None
                    stored.append(
                        StoredAttempt(
                            int(row[0]), user_id, code, from_db(taken), result, score,
                            bool(time_given), from_db(created),
                        )
                    )  # fmt: skip
        except DuplicateKeyError as exc:
            # Rows go in order: the one that collided is the first not stored.
            code, taken = checked[len(stored)][:2]
            raise DuplicateAttemptError(user_id, code, from_db(taken)) from exc
        return stored

    async def update(
        self,
        user_id: int,
        attempt_id: int,
        *,
        taken_at: dt.datetime,
        result: str,
        score: int | None,
        time_given: bool,
    ) -> StoredAttempt | None:
        """Change the member's own attempt in place; ``None`` when it isn't theirs.

        Raises :class:`DuplicateAttemptError` (nothing changed) when another attempt of
        theirs at the same exam is logged at the new moment."""
        async with self._gate.read() as conn:
            row = await conn.fetchone(SELECT_ONE, (user_id, attempt_id))
        if row is None:
            return None
        current = StoredAttempt.from_row(row)
        _, taken = self._checked_row(current.exam_code, taken_at, result, score)
        params = (taken, result, score, int(bool(time_given)), user_id, attempt_id)
        try:
            async with self._gate.transaction() as conn:
                changed = await conn.execute(UPDATE_ONE, params) > 0
        except DuplicateKeyError as exc:
            raise DuplicateAttemptError(user_id, current.exam_code, taken_at) from exc
        if not changed:
            return None
        return StoredAttempt(
            id=attempt_id,
            user_id=user_id,
            exam_code=current.exam_code,
            taken_at=from_db(taken),
            result=result,
            score=score,
            time_given=bool(time_given),
            created_at=current.created_at,
        )

    async def list_for_user(
        self, user_id: int, exam_code: str | None = None
    ) -> list[StoredAttempt]:
        """The member's attempts, oldest first; only one exam's when ``exam_code`` is given."""
        async with self._gate.read() as conn:
            if exam_code is None:
                rows = await conn.fetch(SELECT_FOR_USER, (user_id,))
            else:
                code = try_normalize_exam_code(exam_code)
                if code is None:  # a malformed code cannot have been stored
                    return []
                rows = await conn.fetch(SELECT_FOR_USER_EXAM, (user_id, code))
        return [StoredAttempt.from_row(row) for row in rows]

    async def get(self, user_id: int, attempt_id: int) -> StoredAttempt | None:
        """The attempt, or ``None`` when it does not exist or is not this member's."""
        async with self._gate.read() as conn:
            row = await conn.fetchone(SELECT_ONE, (user_id, attempt_id))
        return None if row is None else StoredAttempt.from_row(row)

    async def delete(self, user_id: int, attempt_id: int) -> bool:
        """Delete the member's own attempt; ``False`` (and nothing touched) for anyone else's."""
        async with self._gate.transaction() as conn:
            return await conn.execute(DELETE_ONE, (user_id, attempt_id)) > 0

    async def exam_codes_for_user(self, user_id: int) -> list[str]:
        """Distinct exam codes the member has logged, sorted."""
        async with self._gate.read() as conn:
            rows = await conn.fetch(SELECT_EXAM_CODES, (user_id,))
        return [str(row[0]) for row in rows]
