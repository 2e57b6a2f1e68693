"""Per-member, per-exam reminders ("you may retake AI-102 from …"): an outbox of DMs.

Delivery is lease-based, so that any number of processes may send and each reminder
goes out once. :meth:`ReminderRepository.claim_due` takes due rows in one statement
(``UPDATE … WHERE … IN (SELECT … LIMIT n) RETURNING …``; on PostgreSQL the inner SELECT
adds ``FOR UPDATE SKIP LOCKED``, so concurrent claimers take different rows instead of
waiting for each other), stamping each with a claim token (``claimed_by``) and a lease
end (``claimable_at``). The claimer sends, then :meth:`~ReminderRepository.mark_sent`
sets ``sent_at``. A claimer that dies before that loses the reminder when its lease
ends: ``claimable_at`` passes and any process claims it again. The DM carries a nonce
derived from the reminder (:attr:`Reminder.nonce`), so a second send after a crash
*between* Discord accepting the DM and ``mark_sent`` is dropped by Discord — within
Discord's nonce window (a few minutes); a lease longer than that window can let such a
crash end in a duplicate DM (see the README, "Scaling out").

``claimable_at`` is the one column the scheduler waits on: a pending reminder's due
time, the end of a claim's lease, or the end of a failed DM's back-off (``claimed_by``
NULL). ``due_at`` stays the moment the wait ends (what members see, and what the nonce
is made of): a back-off never changes it, so a retried DM keeps its nonce.

Between the claim and the DM the member may forget everything (``/mydata forget``),
delete the attempt or turn the reminder off; so every write back (:meth:`rearm`,
:meth:`release`, :meth:`mark_sent`, :meth:`give_up`) touches a row only while it is
still that claim — never re-creating a forgotten member's reminder or re-enabling a
disabled one — and :meth:`check_claim`, right before sending, says whether to send (and
renews the lease, so the send itself runs inside it).
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import os
import secrets
import socket
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from bot.storage._gate import Gate
from bot.storage._time import from_db, from_db_optional, to_db
from knowledge.codes import normalize_exam_code, try_normalize_exam_code

# How long a claim is held before another process may take the reminder over. Covers
# evaluating and sending one batch; check_claim renews it right before each DM.
DEFAULT_LEASE = dt.timedelta(minutes=2)

COLUMNS = "user_id, exam_code, due_at, enabled, sent_at, claimed_by, claimable_at, failures"

UPSERT_REMINDER = """
INSERT INTO reminders (user_id, exam_code, due_at, enabled, sent_at, created_at, claimable_at)
VALUES (?, ?, ?, 1, NULL, ?, ?)
ON CONFLICT (user_id, exam_code) DO UPDATE
SET due_at = excluded.due_at, enabled = 1, sent_at = NULL, claimed_by = NULL,
    claimable_at = excluded.claimable_at, failures = 0
"""
DISABLE_REMINDER = """
UPDATE reminders SET enabled = 0 WHERE user_id = ? AND exam_code = ? AND enabled = 1
"""
SELECT_ONE = f"""
SELECT {COLUMNS} FROM reminders
WHERE user_id = ? AND exam_code = ?
"""  # noqa: S608
SELECT_FOR_USER = f"""
SELECT {COLUMNS} FROM reminders
WHERE user_id = ? ORDER BY due_at, exam_code
"""  # noqa: S608
# The WHERE clauses below repeat the partial index's condition word for word.
SELECT_NEXT_DUE = """
SELECT MIN(claimable_at) FROM reminders WHERE enabled = 1 AND sent_at IS NULL
"""
SELECT_DUE = """
SELECT user_id, exam_code FROM reminders
WHERE enabled = 1 AND sent_at IS NULL AND claimable_at <= ?
ORDER BY claimable_at, user_id, exam_code
LIMIT ?
"""
# One statement on both backends. PostgreSQL runs claimers side by side (SQLite's write
# lock serialises them): SKIP LOCKED lets each take rows another has not, and a row
# whose lease another transaction is renewing is skipped, not waited for.
_CLAIM = """
UPDATE reminders SET claimed_by = ?, claimable_at = ?
WHERE (user_id, exam_code) IN ({select})
RETURNING {columns}
"""
CLAIM_DUE = _CLAIM.format(select=SELECT_DUE.strip(), columns=COLUMNS)
CLAIM_DUE_LOCKING = _CLAIM.format(
    select=SELECT_DUE.strip() + " FOR UPDATE SKIP LOCKED", columns=COLUMNS
)
# Renews the lease while the claim is held (``claimable_at`` unchanged when NULL).
HOLD_CLAIM = """
UPDATE reminders SET claimable_at = COALESCE(?, claimable_at)
WHERE user_id = ? AND exam_code = ? AND enabled = 1 AND sent_at IS NULL AND claimed_by = ?
"""
# Delivered (or given up on): sent_at set, and never claimed again.
FINISH_CLAIM = """
UPDATE reminders SET sent_at = ?, claimed_by = NULL, failures = failures + ?
WHERE user_id = ? AND exam_code = ? AND sent_at IS NULL AND claimed_by = ?
"""
RELEASE_CLAIM = """
UPDATE reminders SET claimed_by = NULL, claimable_at = COALESCE(?, due_at),
    failures = failures + ?
WHERE user_id = ? AND exam_code = ? AND sent_at IS NULL AND claimed_by = ?
"""
REARM_CLAIM = """
UPDATE reminders SET due_at = ?, claimable_at = ?, claimed_by = NULL, failures = 0
WHERE user_id = ? AND exam_code = ? AND enabled = 1 AND sent_at IS NULL AND claimed_by = ?
"""
# The attempts a verdict was computed from (the attempts table's own query lives in
# bot.storage.attempts; this one only needs the ids).
SELECT_ATTEMPT_IDS = """
SELECT id FROM attempts WHERE user_id = ? AND exam_code = ?
"""


def default_claimer() -> str:
    """Who claims, as stored in ``claimed_by`` (with a random part per claim): host and
    process id, for an operator reading the table."""
    return f"{socket.gethostname()[:64]}:{os.getpid()}"


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
    # The claim holding it (a token unique to one claim_due call) and when that claim's
    # lease ends; None/due_at for a reminder nobody holds.
    claimed_by: str | None = None
    claimable_at: dt.datetime | None = None
    failures: int = 0

    @classmethod
    def from_row(cls, row: Any) -> Reminder:
        return cls(
            user_id=int(row[0]),
            exam_code=str(row[1]),
            due_at=from_db(row[2]),
            enabled=bool(row[3]),
            sent_at=from_db_optional(row[4]),
            claimed_by=None if row[5] is None else str(row[5]),
            claimable_at=from_db_optional(row[6]),
            failures=int(row[7]),
        )

    @property
    def nonce(self) -> str:
        """The DM's nonce (Discord allows 25 characters): the same for every send of this
        reminder for this wait — retries and re-sends after a crash included — and a new
        one when the reminder is set or re-armed for another due time."""
        key = f"{self.user_id}:{self.exam_code}:{to_db(self.due_at)}"
        return "r" + hashlib.sha256(key.encode()).hexdigest()[:24]

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
        """Create or replace the member's reminder for this exam: enabled, not yet sent,
        held by nobody (an older claim on it is lost).

        The scheduler should be woken afterwards if ``due_at`` is earlier than what it
        sleeps towards (this layer has no callback; see ``next_due_at``).
        """
        code = normalize_exam_code(exam_code)
        due = to_db(due_at)
        params = (user_id, code, due, to_db(self._gate.clock()), due)
        async with self._gate.transaction() as conn:
            await conn.execute(UPSERT_REMINDER, params)
        return Reminder(
            user_id, code, from_db(due), enabled=True, sent_at=None, claimable_at=from_db(due)
        )

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
        """When the earliest enabled, unsent reminder may be claimed (possibly in the
        past): its due time, or the end of the lease or back-off holding it."""
        async with self._gate.read() as conn:
            row = await conn.fetchone(SELECT_NEXT_DUE)
        return None if row is None else from_db_optional(row[0])

    async def claim_due(
        self,
        now: dt.datetime,
        limit: int = 100,
        *,
        lease: dt.timedelta = DEFAULT_LEASE,
        claimer: str | None = None,
    ) -> list[Reminder]:
        """Claim up to ``limit`` enabled, unsent reminders claimable at ``now`` (due, and
        not held by a live lease or backing off), soonest first, in one statement.

        Each comes back with ``claimed_by`` (a token new to this call: ``claimer`` or
        :func:`default_claimer`, then a random part) and ``claimable_at`` = ``now +
        lease``. Until then no other call returns it; after, any call may (the claimer
        is presumed dead). Deliver it, then :meth:`mark_sent` — or :meth:`release`,
        :meth:`rearm`, :meth:`give_up` — with that token.
        """
        if lease <= dt.timedelta(0):
            raise ValueError(f"a lease must be positive, not {lease}")
        token = f"{(claimer or default_claimer())[:160]}/{secrets.token_hex(8)}"
        params = (token, to_db(now + lease), to_db(now), max(0, limit))
        async with self._gate.transaction() as conn:
            claim = CLAIM_DUE_LOCKING if conn.dialect == "postgres" else CLAIM_DUE
            rows = await conn.fetch(claim, params)
        claimed = [Reminder.from_row(row) for row in rows]
        # RETURNING promises no order.
        claimed.sort(key=lambda r: (r.due_at, r.user_id, r.exam_code))
        return claimed

    async def mark_sent(
        self, user_id: int, exam_code: str, now: dt.datetime, *, claim: str
    ) -> bool:
        """The claimed reminder's DM went out: ``sent_at = now``, never claimed again.
        Only while it is still that claim (``False``, nothing written, otherwise)."""
        return await self._finish(user_id, exam_code, now, claim, failed=False)

    async def give_up(self, user_id: int, exam_code: str, now: dt.datetime, *, claim: str) -> bool:
        """Stop retrying a reminder whose DMs keep failing: like :meth:`mark_sent`
        (``sent_at`` set: it is not pending any more), one more failure counted."""
        return await self._finish(user_id, exam_code, now, claim, failed=True)

    async def _finish(
        self, user_id: int, exam_code: str, now: dt.datetime, claim: str, *, failed: bool
    ) -> bool:
        code = try_normalize_exam_code(exam_code)
        if code is None:
            return False
        params = (to_db(now), int(failed), user_id, code, claim)
        async with self._gate.transaction() as conn:
            return await conn.execute(FINISH_CLAIM, params) > 0

    async def release(
        self,
        user_id: int,
        exam_code: str,
        retry_at: dt.datetime | None = None,
        *,
        claim: str,
        failed: bool = False,
    ) -> bool:
        """Give a claimed reminder back, unsent, while it is still that claim.

        ``retry_at`` is a back-off: nobody may claim it before then (``due_at``, and so
        the nonce, stay as they are); without it, it is claimable again at once.
        ``failed`` counts a failed DM (``failures``), which the scheduler's give-up
        reads. ``True`` when a reminder was released.
        """
        code = try_normalize_exam_code(exam_code)
        if code is None:
            return False
        retry = None if retry_at is None else to_db(retry_at)
        params = (retry, int(failed), user_id, code, claim)
        async with self._gate.transaction() as conn:
            return await conn.execute(RELEASE_CLAIM, params) > 0

    async def rearm(self, user_id: int, exam_code: str, due_at: dt.datetime, *, claim: str) -> bool:
        """Move a claimed reminder to ``due_at``, unsent and unclaimed, while it is still
        that claim and enabled; ``False`` (nothing written) otherwise.

        Unlike :meth:`set` it never creates a row: a member who forgot their data, or
        turned the reminder off, since the claim stays forgotten, or off.
        """
        code = try_normalize_exam_code(exam_code)
        if code is None:
            return False
        due = to_db(due_at)
        async with self._gate.transaction() as conn:
            return await conn.execute(REARM_CLAIM, (due, due, user_id, code, claim)) > 0

    async def check_claim(
        self,
        user_id: int,
        exam_code: str,
        claim: str,
        attempt_ids: Collection[int],
        *,
        renew_until: dt.datetime | None = None,
    ) -> ClaimState:
        """Right before a reminder's DM: is it still deliverable?

        :attr:`ClaimState.HELD` when the reminder still exists, is enabled, unsent and
        still held by ``claim``, and the member's attempts for the exam are exactly
        ``attempt_ids`` (those the verdict was computed from). Read after every write
        committed before it (``/mydata forget``, ``/attempt delete``, ``/remind
        enabled:False``). ``renew_until`` moves the lease's end there, in the same
        transaction, so the DM that follows is sent inside the lease.
        """
        code = try_normalize_exam_code(exam_code)
        if code is None:
            return ClaimState.LOST
        renew = None if renew_until is None else to_db(renew_until)
        async with self._gate.transaction() as conn:
            held = await conn.execute(HOLD_CLAIM, (renew, user_id, code, claim))
            if not held:
                return ClaimState.LOST
            rows = await conn.fetch(SELECT_ATTEMPT_IDS, (user_id, code))
        if {int(row[0]) for row in rows} != set(attempt_ids):
            return ClaimState.STALE
        return ClaimState.HELD
