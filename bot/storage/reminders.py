"""Per-member, per-exam reminders ("you may retake AI-102 from …") and their delivery state.

Delivery is claim-based: :meth:`ReminderRepository.claim_due` marks due rows as sent in
the same transaction that selects them, so a reminder is handed out at most once, across
restarts and across concurrent callers (even other processes: ``BEGIN IMMEDIATE`` on
SQLite, row locks with ``SKIP LOCKED`` on PostgreSQL).
The price is at-most-once delivery: if the process dies between the claim and the DM,
that reminder is not retried. For a courtesy reminder that is the right trade (a
duplicate DM is worse than a missed one); :meth:`release` exists for failures the
caller *does* see.

A claim is identified by its ``sent_at`` stamp. Between the claim and the DM the member
may forget everything (``/mydata forget``), delete the attempt or turn the reminder off;
so the scheduler writes back only through :meth:`ReminderRepository.rearm` and
:meth:`ReminderRepository.release` with ``claimed_at`` (which touch a row only while it is
still that claim: they never re-create a forgotten member's reminder or re-enable a
disabled one), and asks :meth:`ReminderRepository.check_claim` right before sending.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from bot.storage._gate import Gate
from bot.storage._time import from_db, from_db_optional, to_db
from knowledge.codes import normalize_exam_code, try_normalize_exam_code

UPSERT_REMINDER = """
INSERT INTO reminders (user_id, exam_code, due_at, enabled, sent_at, created_at)
VALUES (?, ?, ?, 1, NULL, ?)
ON CONFLICT (user_id, exam_code) DO UPDATE
SET due_at = excluded.due_at, enabled = 1, sent_at = NULL
"""
DISABLE_REMINDER = """
UPDATE reminders SET enabled = 0 WHERE user_id = ? AND exam_code = ? AND enabled = 1
"""
SELECT_ONE = """
SELECT user_id, exam_code, due_at, enabled, sent_at FROM reminders
WHERE user_id = ? AND exam_code = ?
"""
SELECT_FOR_USER = """
SELECT user_id, exam_code, due_at, enabled, sent_at FROM reminders
WHERE user_id = ? ORDER BY due_at, exam_code
"""
# The WHERE clauses below repeat the partial index's condition word for word.
SELECT_NEXT_DUE = """
SELECT MIN(due_at) FROM reminders WHERE enabled = 1 AND sent_at IS NULL
"""
SELECT_DUE = """
SELECT user_id, exam_code, due_at, enabled, sent_at FROM reminders
WHERE enabled = 1 AND sent_at IS NULL AND due_at <= ?
ORDER BY due_at, user_id, exam_code
LIMIT ?
"""
# PostgreSQL runs transactions side by side (SQLite's BEGIN IMMEDIATE serialises them):
# without the row locks two processes could select, and both send, the same reminder.
# SKIP LOCKED lets each take rows the other has not.
SELECT_DUE_LOCKING = SELECT_DUE.rstrip() + " FOR UPDATE SKIP LOCKED\n"
MARK_SENT = """
UPDATE reminders SET sent_at = ? WHERE user_id = ? AND exam_code = ? AND sent_at IS NULL
"""
RELEASE = """
UPDATE reminders SET sent_at = NULL, due_at = COALESCE(?, due_at)
WHERE user_id = ? AND exam_code = ? AND sent_at IS NOT NULL
"""
RELEASE_CLAIM = """
UPDATE reminders SET sent_at = NULL, due_at = COALESCE(?, due_at)
WHERE user_id = ? AND exam_code = ? AND sent_at = ?
"""
REARM_CLAIM = """
UPDATE reminders SET sent_at = NULL, due_at = ?
WHERE user_id = ? AND exam_code = ? AND enabled = 1 AND sent_at = ?
"""
SELECT_CLAIM = """
SELECT 1 FROM reminders WHERE user_id = ? AND exam_code = ? AND enabled = 1 AND sent_at = ?
"""
# The attempts a verdict was computed from (the attempts table's own query lives in
# bot.storage.attempts; this one only needs the ids).
SELECT_ATTEMPT_IDS = """
SELECT id FROM attempts WHERE user_id = ? AND exam_code = ?
"""


class ClaimState(enum.Enum):
    """What :meth:`ReminderRepository.check_claim` found, right before a reminder's DM."""

    HELD = "held"  # still this claim, enabled, and the attempts are unchanged: send
    LOST = "lost"  # forgotten, disabled, set anew or claimed again elsewhere: drop it
    STALE = "stale"  # still this claim, but the member's attempts changed: look again


@dataclass(frozen=True, slots=True)
class Reminder:
    user_id: int
    exam_code: str
    due_at: dt.datetime
    enabled: bool
    sent_at: dt.datetime | None

    @classmethod
    def from_row(cls, row: Any) -> Reminder:
        return cls(
            user_id=int(row[0]),
            exam_code=str(row[1]),
            due_at=from_db(row[2]),
            enabled=bool(row[3]),
            sent_at=from_db_optional(row[4]),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "exam_code": self.exam_code,
            "due_at": self.due_at.isoformat(),
            "enabled": self.enabled,
            "sent_at": None if self.sent_at is None else self.sent_at.isoformat(),
        }


class ReminderRepository:
    def __init__(self, gate: Gate) -> None:
        self._gate = gate

    async def set(self, user_id: int, exam_code: str, due_at: dt.datetime) -> Reminder:
        """Create or replace the member's reminder for this exam: enabled, not yet sent.

        The scheduler should be woken afterwards if ``due_at`` is earlier than what it
        sleeps towards (this layer has no callback; see ``next_due_at``).
        """
        code = normalize_exam_code(exam_code)
        due = to_db(due_at)
        async with self._gate.transaction() as conn:
            await conn.execute(UPSERT_REMINDER, (user_id, code, due, to_db(self._gate.clock())))
        return Reminder(user_id, code, from_db(due), enabled=True, sent_at=None)

    async def disable(self, user_id: int, exam_code: str) -> bool:
        """Turn the reminder off; ``True`` if there was an enabled one to turn off."""
        code = try_normalize_exam_code(exam_code)
        if code is None:
            return False
        async with self._gate.transaction() as conn:
            return await conn.execute(DISABLE_REMINDER, (user_id, code)) > 0

    async def get(self, user_id: int, exam_code: str) -> Reminder | None:
        code = try_normalize_exam_code(exam_code)
        if code is None:
            return None
        async with self._gate.read() as conn:
            row = await conn.fetchone(SELECT_ONE, (user_id, code))
        return None if row is None else Reminder.from_row(row)

    async def list_for_user(self, user_id: int) -> list[Reminder]:
        """All the member's reminders (disabled and sent ones too), soonest first."""
        async with self._gate.read() as conn:
            rows = await conn.fetch(SELECT_FOR_USER, (user_id,))
        return [Reminder.from_row(row) for row in rows]

    async def next_due_at(self) -> dt.datetime | None:
        """When the earliest enabled, unsent reminder is due (possibly in the past)."""
        async with self._gate.read() as conn:
            row = await conn.fetchone(SELECT_NEXT_DUE)
        return None if row is None else from_db_optional(row[0])

    async def claim_due(self, now: dt.datetime, limit: int = 100) -> list[Reminder]:
        """Mark up to ``limit`` enabled, unsent reminders due at or before ``now`` as sent
        (``sent_at = now``) and return them, soonest first, all in one transaction.

        A claimed reminder is never returned again unless it is :meth:`release`d or
        :meth:`set` anew. Send the returned reminders after this returns.
        """
        stamp = to_db(now)
        async with self._gate.transaction() as conn:
            select_due = SELECT_DUE_LOCKING if conn.dialect == "postgres" else SELECT_DUE
            rows = await conn.fetch(select_due, (stamp, max(0, limit)))
            claimed = [Reminder.from_row(row) for row in rows]
            await conn.executemany(MARK_SENT, [(stamp, r.user_id, r.exam_code) for r in claimed])
        sent_at = from_db(stamp)
        return [Reminder(r.user_id, r.exam_code, r.due_at, r.enabled, sent_at) for r in claimed]

    async def release(
        self,
        user_id: int,
        exam_code: str,
        retry_at: dt.datetime | None = None,
        *,
        claimed_at: dt.datetime | None = None,
    ) -> bool:
        """Un-claim a reminder whose DM failed, so a later :meth:`claim_due` returns it again.

        Use it for transient failures (network, Discord 5xx). Don't for permanent ones
        (the member closed their DMs: ``Forbidden``) or the reminder comes back forever.
        ``retry_at`` moves ``due_at`` later, as a back-off; without it the reminder is due
        again at once. Releasing a reminder that is not claimed does nothing.
        ``claimed_at`` (the claimed reminder's ``sent_at``) releases it only while it is
        still that claim. ``True`` when a reminder was released.
        """
        code = try_normalize_exam_code(exam_code)
        if code is None:
            return False
        retry = None if retry_at is None else to_db(retry_at)
        async with self._gate.transaction() as conn:
            if claimed_at is None:
                changed = await conn.execute(RELEASE, (retry, user_id, code))
            else:
                params = (retry, user_id, code, to_db(claimed_at))
                changed = await conn.execute(RELEASE_CLAIM, params)
            return changed > 0

    async def rearm(
        self, user_id: int, exam_code: str, due_at: dt.datetime, *, claimed_at: dt.datetime
    ) -> bool:
        """Move a claimed reminder to ``due_at``, unsent, while it is still the claim made
        at ``claimed_at`` and enabled; ``False`` (nothing written) otherwise.

        Unlike :meth:`set` it never creates a row: a member who forgot their data, or
        turned the reminder off, since the claim stays forgotten, or off.
        """
        code = try_normalize_exam_code(exam_code)
        if code is None:
            return False
        params = (to_db(due_at), user_id, code, to_db(claimed_at))
        async with self._gate.transaction() as conn:
            return await conn.execute(REARM_CLAIM, params) > 0

    async def check_claim(
        self,
        user_id: int,
        exam_code: str,
        claimed_at: dt.datetime,
        attempt_ids: Collection[int],
    ) -> ClaimState:
        """Right before a reminder's DM: is it still deliverable?

        :attr:`ClaimState.HELD` when the reminder still exists, is enabled and is still
        the claim made at ``claimed_at``, and the member's attempts for the exam are
        exactly ``attempt_ids`` (those the verdict was computed from). Read in one
        snapshot, after every write committed before it (``/mydata forget``,
        ``/attempt delete``, ``/remind enabled:False``).
        """
        code = try_normalize_exam_code(exam_code)
        if code is None:
            return ClaimState.LOST
        async with self._gate.transaction(immediate=False) as conn:
            held = await conn.fetch(SELECT_CLAIM, (user_id, code, to_db(claimed_at)))
            if not held:
                return ClaimState.LOST
            rows = await conn.fetch(SELECT_ATTEMPT_IDS, (user_id, code))
        if {int(row[0]) for row in rows} != set(attempt_ids):
            return ClaimState.STALE
        return ClaimState.HELD
