"""A member's own exam log, and what the rules engine says about it: the use cases.

Shared by the slash commands, the buttons, the DM/@mention conversation and the
console. No Discord here and no formatting: functions return data (instants as aware
datetimes, the engine's verdicts, issues as parts) and each surface renders it
(:mod:`bot.surfaces`).

The rules engine (:mod:`knowledge.rules`) is the single source of eligibility: nothing
here computes a wait. Reminders store the engine's ``earliest`` and are recomputed by
:func:`sync_reminder` whenever the member's attempts change.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from zoneinfo import ZoneInfo

from bot.storage import Database, DuplicateAttemptError, Reminder, StoredAttempt
from knowledge.attempt_input import (
    ASSUMED_TIME,
    AttemptInputError,
    CheckedAttempt,
    PlacedAttempt,
    exam_code,
    local_instant,
    parse_result,
    place_attempt,
    validate_attempt_input,
)
from knowledge.models import Exam, KnowledgeBase, Policy
from knowledge.rules import (
    Attempt,
    AttemptNotAllowedError,
    AttemptResult,
    Eligibility,
    IssueKind,
    LogIssue,
    Status,
    evaluate,
    validate_log,
    what_if,
    window_numbers,
)
from knowledge.zones import InvalidTimezoneError, load_zone, resolve_timezone

# Statuses with a future moment worth a reminder ("you can take it again").
REMINDABLE = frozenset({Status.WAITING, Status.LIMIT_REACHED})
# How far ahead a "what if I fail on …" may look: beyond it the policy may well change.
WHAT_IF_HORIZON = dt.timedelta(days=731)

PersonalInputError = AttemptInputError
"""Bad input from the member; ``message`` is written for them and nothing was stored."""


class InvalidAttemptError(AttemptInputError):
    """An attempt that can't be stored: a duplicate, or an edit that collides."""


@dataclass
class ExamStatus:
    """One exam of the member: their attempts, the engine's verdict, their reminder."""

    exam: Exam
    attempts: list[StoredAttempt]
    eligibility: Eligibility
    reminder: Reminder | None
    # The policy the verdict was computed with (for "2 of 5 attempts"); optional so the
    # dataclass can be built by hand in tests.
    policy: Policy | None = None


@dataclass
class LoggedAttempt:
    """What :func:`log_attempt` or :func:`edit_attempt` stored, and what it means now.

    ``warnings`` are policy breaches the log now shows for this attempt (stored anyway:
    the member knows what happened). ``same_day`` lists other failures of the same exam
    on the same local day, which are usually the same sitting logged twice.
    """

    attempt: StoredAttempt
    exam: Exam
    eligibility: Eligibility
    warnings: list[LogIssue]
    placed: PlacedAttempt
    timezone: str
    reminder: Reminder | None = None
    policy: Policy | None = None
    notes: list[str] = field(default_factory=list)
    same_day: list[StoredAttempt] = field(default_factory=list)
    ordinal: tuple[int, int] = (1, 1)  # (window, number in it), as the member counts
    edited: bool = False

    @property
    def time_assumed(self) -> bool:
        return self.placed.time_assumed

    @property
    def status(self) -> ExamStatus:
        return ExamStatus(self.exam, [self.attempt], self.eligibility, self.reminder, self.policy)


@dataclass
class ReminderOutcome:
    """The result of asking for a reminder: ``reminder`` is ``None`` when there is
    nothing to wait for, and ``reason`` says why (a :class:`Status`, or ``no-attempts``
    / ``eligible``)."""

    status: ExamStatus
    reminder: Reminder | None
    reason: str


@dataclass(frozen=True)
class WhatIf:
    """ "If I fail on …": the engine's verdict on the member's log plus that failure."""

    exam: Exam
    fail_at: dt.datetime
    eligibility: Eligibility | None  # None when the attempt would not be allowed then
    refused: Eligibility | None = None  # why not, when it would not be allowed
    attempts: int = 0


# --------------------------------------------------------------------------- reading


def engine_attempts(attempts: Sequence[StoredAttempt]) -> list[Attempt]:
    return [Attempt(a.taken_at, AttemptResult(a.result)) for a in attempts]


def attempt_ordinals(
    attempts: Sequence[StoredAttempt], policy: Policy
) -> dict[int, tuple[int, int]]:
    """Attempt id → (window, number in it) for one exam's attempts."""
    numbers = window_numbers([a.taken_at for a in attempts], policy)
    return {a.id: number for a, number in zip(attempts, numbers, strict=True)}


def numbered_attempts(
    attempts: Sequence[StoredAttempt], policy: Policy
) -> dict[int, tuple[int, int]]:
    """Attempt id → (window, number) for a log of several exams, each counted apart."""
    by_exam: dict[str, list[StoredAttempt]] = {}
    for attempt in attempts:
        by_exam.setdefault(attempt.exam_code, []).append(attempt)
    numbers: dict[int, tuple[int, int]] = {}
    for exam_attempts in by_exam.values():
        numbers.update(attempt_ordinals(exam_attempts, policy))
    return numbers


def canonical_code(code: str) -> str:
    """``AB-123`` for any spelling of a code; :class:`PersonalInputError` if malformed.
    Pure, so commands check it before deferring."""
    return exam_code(code)


async def member_zone(db: Database, user_id: int, timezone: str | None = None) -> str:
    """The member's zone name: ``timezone`` if given, else their setting, else UTC."""
    if timezone is not None:
        return timezone
    return await db.settings.get_timezone(user_id)


async def exam_status(
    db: Database, kb: KnowledgeBase, user_id: int, code: str, now: dt.datetime
) -> ExamStatus:
    """The member's standing on one exam (eligible with no attempts when none logged)."""
    exam = kb.exam(canonical_code(code))
    attempts = await db.attempts.list_for_user(user_id, exam.code)
    eligibility = evaluate(engine_attempts(attempts), exam, now, kb.policy)
    reminder = await db.reminders.get(user_id, exam.code)
    return ExamStatus(exam, attempts, eligibility, reminder, kb.policy)


async def member_status(
    db: Database, kb: KnowledgeBase, user_id: int, code: str | None, now: dt.datetime
) -> list[ExamStatus]:
    """Every exam the member logged (sorted by code), or only the one named.

    A malformed ``code`` raises :class:`PersonalInputError`. A named exam without
    attempts is returned anyway (eligible, no attempts); with ``None`` and an empty log
    the list is empty.
    """
    if code is not None:
        return [await exam_status(db, kb, user_id, code, now)]
    # Two queries whatever the number of exams: every attempt and every reminder, grouped.
    by_code: dict[str, list[StoredAttempt]] = {}
    for attempt in await db.attempts.list_for_user(user_id):
        by_code.setdefault(attempt.exam_code, []).append(attempt)
    if not by_code:
        return []
    reminders = {r.exam_code: r for r in await db.reminders.list_for_user(user_id)}
    statuses = []
    for exam_code_ in sorted(by_code):
        exam = kb.exam(exam_code_)
        attempts = by_code[exam_code_]
        eligibility = evaluate(engine_attempts(attempts), exam, now, kb.policy)
        statuses.append(
            ExamStatus(exam, attempts, eligibility, reminders.get(exam_code_), kb.policy)
        )
    return statuses


def reminder_due(eligibility: Eligibility, now: dt.datetime) -> dt.datetime | None:
    """When a reminder for this verdict should fire, or ``None`` if there's nothing to await."""
    earliest = eligibility.earliest
    if eligibility.status in REMINDABLE and earliest is not None and earliest > now:
        return earliest
    return None


# --------------------------------------------------------------------------- checks


def _optimistic(attempt: StoredAttempt, zone: ZoneInfo) -> dt.datetime:
    """The earliest moment an attempt may have been: its local day's start when the
    time was assumed (the member gave only a day), else the moment itself."""
    if attempt.time_given:
        return attempt.taken_at
    day = attempt.taken_at.astimezone(zone).date()
    return dt.datetime.combine(day, dt.time(0, 0), tzinfo=zone).astimezone(dt.UTC)


# A warning about timing only stands when the attempt breaks the policy at every time
# the assumed attempts may have been taken; these kinds depend on the times.
_TIMING_KINDS = frozenset({IssueKind.TOO_SOON, IssueKind.OVER_LIMIT})


def attempt_warnings(
    attempts: Sequence[StoredAttempt],
    target: StoredAttempt,
    exam: Exam,
    now: dt.datetime,
    policy: Policy,
    zone: ZoneInfo,
) -> list[LogIssue]:
    """The policy breaches ``target`` shows in the log ``attempts`` (which holds it).

    Stored times are the latest a dateless attempt can have been; a "too soon" found
    with them may vanish if the earlier attempts were taken earlier that day. So a
    timing warning is kept only if it also holds with every other assumed-time attempt
    at the start of its day and ``target`` at its stored (latest) time."""
    log = engine_attempts(attempts)
    index = next(i for i, a in enumerate(attempts) if a.id == target.id)
    mine = log[index]
    found = [issue for issue in validate_log(log, exam, now, policy) if issue.attempt == mine]
    if not any(issue.kind in _TIMING_KINDS for issue in found):
        return found
    hopeful = [
        a if i == index else Attempt(_optimistic(attempts[i], zone), a.result)
        for i, a in enumerate(log)
    ]
    still = {
        issue.kind
        for issue in validate_log(hopeful, exam, now, policy)
        if issue.attempt == hopeful[index]
    }
    return [issue for issue in found if issue.kind not in _TIMING_KINDS or issue.kind in still]


def _same_day_failures(
    attempts: Sequence[StoredAttempt], target: StoredAttempt, zone: ZoneInfo
) -> list[StoredAttempt]:
    if target.result != AttemptResult.FAIL:
        return []
    day = target.taken_at.astimezone(zone).date()
    return [
        a
        for a in attempts
        if a.id != target.id
        and a.result == AttemptResult.FAIL
        and a.taken_at.astimezone(zone).date() == day
    ]


# --------------------------------------------------------------------------- writing


def _zone_or_error(tz_name: str) -> ZoneInfo:
    try:
        return ZoneInfo(resolve_timezone(tz_name))
    except InvalidTimezoneError as exc:
        raise AttemptInputError(exc.message) from None


async def _outcome(
    db: Database,
    kb: KnowledgeBase,
    user_id: int,
    stored: StoredAttempt,
    placed: PlacedAttempt,
    *,
    tz_name: str,
    now: dt.datetime,
    edited: bool = False,
) -> LoggedAttempt:
    """Everything a reply needs after ``stored`` was written."""
    exam = kb.exam(stored.exam_code)
    zone = _zone_or_error(tz_name)
    attempts = await db.attempts.list_for_user(user_id, exam.code)
    eligibility = evaluate(engine_attempts(attempts), exam, now, kb.policy)
    warnings = attempt_warnings(attempts, stored, exam, now, kb.policy, zone)
    reminder = await sync_reminder(db, kb, user_id, exam.code, now, eligibility=eligibility)
    notes = []
    if not exam.catalogued:
        notes.append(
            f"{exam.code} isn't in my catalog: the general retake policy applies, but I don't "
            "know its retirement date or successor."
        )
    return LoggedAttempt(
        attempt=stored,
        exam=exam,
        eligibility=eligibility,
        warnings=warnings,
        placed=placed,
        timezone=tz_name,
        reminder=reminder,
        policy=kb.policy,
        notes=notes,
        same_day=_same_day_failures(attempts, stored, zone),
        ordinal=attempt_ordinals(attempts, kb.policy)[stored.id],
        edited=edited,
    )


async def log_attempt(
    db: Database,
    kb: KnowledgeBase,
    user_id: int,
    *,
    exam: str,
    date: str,
    result: str,
    time: str | None,
    score: int | None,
    now: dt.datetime,
    timezone: str | None = None,
) -> LoggedAttempt:
    """Validate everything, then store one attempt in the member's time zone.

    ``date`` is ``YYYY-MM-DD`` and ``time`` ``HH:MM`` (24 h) in the member's zone
    (``timezone``, else their setting, else UTC). Without a time the latest moment of
    that day is assumed (:mod:`knowledge.attempt_input`). Raises
    :class:`PersonalInputError` (nothing written) for any bad input or a duplicate.
    Policy breaches are stored but returned as ``warnings``; the reminder is recomputed.
    """
    checked = validate_attempt_input(
        kb, exam=exam, date=date, result=result, time=time, score=score
    )
    return await log_checked(db, kb, user_id, checked, now=now, timezone=timezone)


async def log_checked(
    db: Database,
    kb: KnowledgeBase,
    user_id: int,
    checked: CheckedAttempt,
    *,
    now: dt.datetime,
    timezone: str | None = None,
) -> LoggedAttempt:
    """Store an attempt already validated by :func:`validate_attempt_input`."""
    tz_name = await member_zone(db, user_id, timezone)
    placed = place_attempt(checked.date, checked.time, _zone_or_error(tz_name), now)
    try:
        stored = await db.attempts.add(
            user_id,
            checked.exam.code,
            placed.taken_at,
            checked.result.value,
            checked.score,
            time_given=not placed.time_assumed,
        )
    except DuplicateAttemptError as exc:
        raise InvalidAttemptError(
            f"You already logged {checked.exam.code} at that moment: nothing was added."
        ) from exc
    return await _outcome(db, kb, user_id, stored, placed, tz_name=tz_name, now=now)


async def edit_attempt(
    db: Database,
    kb: KnowledgeBase,
    user_id: int,
    attempt_id: int,
    *,
    date: str | None = None,
    time: str | None = None,
    result: str | None = None,
    score: int | None = None,
    now: dt.datetime,
    timezone: str | None = None,
) -> LoggedAttempt:
    """Change one of the member's attempts in place, validated exactly like a new one.

    Fields left ``None`` keep their value; a new ``date`` without a ``time`` keeps the
    old time of day only if it was given (else the latest moment is assumed again). A
    collision with another attempt, an unknown id or any bad input raises
    :class:`PersonalInputError` and changes nothing."""
    current = await db.attempts.get(user_id, attempt_id)
    if current is None:
        raise InvalidAttemptError(f"Attempt #{attempt_id} isn't one of your attempts.")
    tz_name = await member_zone(db, user_id, timezone)
    zone = _zone_or_error(tz_name)
    local = current.taken_at.astimezone(zone)
    new_result = parse_result(result) if result is not None else AttemptResult(current.result)
    if time is not None and time.strip():
        new_time: str | None = time
    elif current.time_given:
        new_time = f"{local:%H:%M}"  # a new day keeps the time of day the member gave
    else:
        new_time = None
    # The old score stays unless a new one is given: a new result that contradicts it
    # ("pass" with 600) is refused like on a new attempt, rather than dropping the score.
    new_score = score if score is not None else current.score
    checked = validate_attempt_input(
        kb,
        exam=current.exam_code,
        date=date if date is not None else local.date().isoformat(),
        result=new_result.value,
        time=new_time,
        score=new_score,
    )
    placed = place_attempt(checked.date, checked.time, zone, now)
    siblings = await db.attempts.list_for_user(user_id, current.exam_code)
    if any(a.id != current.id and a.taken_at == placed.taken_at for a in siblings):
        raise InvalidAttemptError(
            f"Another {current.exam_code} attempt is logged at that moment."
        )
    _refuse_new_breaches(
        siblings,
        current,
        replace(
            current,
            taken_at=placed.taken_at,
            result=checked.result.value,
            time_given=not placed.time_assumed,
        ),
        kb,
        now,
        zone,
    )
    try:
        stored = await db.attempts.update(
            user_id,
            attempt_id,
            taken_at=placed.taken_at,
            result=checked.result.value,
            score=checked.score,
            time_given=not placed.time_assumed,
        )
    except DuplicateAttemptError as exc:
        raise InvalidAttemptError(
            f"Another {current.exam_code} attempt is logged at that moment."
        ) from exc
    if stored is None:
        raise InvalidAttemptError(f"Attempt #{attempt_id} isn't one of your attempts.")
    return await _outcome(
        db, kb, user_id, stored, placed, tz_name=tz_name, now=now, edited=True
    )


def _refuse_new_breaches(
    attempts: list[StoredAttempt],
    before: StoredAttempt,
    after: StoredAttempt,
    kb: KnowledgeBase,
    now: dt.datetime,
    zone: ZoneInfo,
) -> None:
    """An edit corrects the log; it must not make it break the policy in a new way
    (moving an attempt too close to another, past the limit, after a pass…). A breach
    the attempt already had (it *was* too soon) does not block correcting its time."""
    exam = kb.exam(before.exam_code)
    had = {w.kind for w in attempt_warnings(attempts, before, exam, now, kb.policy, zone)}
    edited = [after if a.id == before.id else a for a in attempts]
    edited.sort(key=lambda a: (a.taken_at, a.id))
    new = [
        w
        for w in attempt_warnings(edited, after, exam, now, kb.policy, zone)
        if w.kind not in had and w.kind is not IssueKind.IN_FUTURE
    ]
    if new:
        raise InvalidAttemptError(
            f"That change would break the retake policy: {new[0].message} If the log is "
            "wrong elsewhere, correct that attempt first."
        )


async def delete_attempt(
    db: Database, kb: KnowledgeBase, user_id: int, attempt_id: int, now: dt.datetime
) -> StoredAttempt | None:
    """Delete the member's own attempt (``None`` if it isn't theirs or doesn't exist),
    then recompute their reminder for that exam."""
    attempt = await db.attempts.get(user_id, attempt_id)
    if attempt is None or not await db.attempts.delete(user_id, attempt_id):
        return None
    await sync_reminder(db, kb, user_id, attempt.exam_code, now)
    return attempt


async def merge_attempts(
    db: Database,
    kb: KnowledgeBase,
    user_id: int,
    keep_id: int,
    drop_id: int,
    now: dt.datetime,
    timezone: str | None = None,
) -> StoredAttempt:
    """Two failures of one exam logged on the same day are one sitting: keep ``keep_id``
    (usually the one with a time) and delete ``drop_id``. Refused, changing nothing,
    unless both are the member's, of the same exam, and on the same local day."""
    keep = await db.attempts.get(user_id, keep_id)
    drop = await db.attempts.get(user_id, drop_id)
    if keep is None or drop is None or keep_id == drop_id:
        raise InvalidAttemptError("Those attempts aren't two of yours any more.")
    zone = _zone_or_error(await member_zone(db, user_id, timezone))
    same_day = keep.taken_at.astimezone(zone).date() == drop.taken_at.astimezone(zone).date()
    if keep.exam_code != drop.exam_code or not same_day:
        raise InvalidAttemptError("Only attempts at the same exam on the same day can be merged.")
    await delete_attempt(db, kb, user_id, drop_id, now)
    return keep


async def log_many(
    db: Database,
    kb: KnowledgeBase,
    user_id: int,
    checked: Sequence[CheckedAttempt],
    *,
    now: dt.datetime,
    timezone: str | None = None,
) -> list[LoggedAttempt]:
    """Log several attempts from one message ("failed on 3 Nov and again on 20 Nov")
    after checking them all: if any is invalid or already logged, nothing is stored."""
    tz_name = await member_zone(db, user_id, timezone)
    zone = _zone_or_error(tz_name)
    placed = [place_attempt(c.date, c.time, zone, now) for c in checked]
    rows = [
        (c.exam.code, p.taken_at, c.result.value, c.score, not p.time_assumed)
        for c, p in zip(checked, placed, strict=True)
    ]
    try:
        stored = await db.attempts.add_many(user_id, rows)
    except DuplicateAttemptError as exc:
        raise InvalidAttemptError(
            f"{exc.exam_code} is already logged at one of those moments: nothing was added."
        ) from exc
    return [
        await _outcome(db, kb, user_id, s, p, tz_name=tz_name, now=now)
        for s, p in zip(stored, placed, strict=True)
    ]


# --------------------------------------------------------------------------- what-if


async def what_if_failure(
    db: Database,
    kb: KnowledgeBase,
    user_id: int,
    code: str,
    day: dt.date,
    moment: dt.time | None,
    *,
    now: dt.datetime,
    timezone: str | None = None,
) -> WhatIf:
    """ "What if I fail ``code`` on ``day``?" on the member's own log; nothing stored.

    Without a time the hypothetical failure is placed at the end of that day (a later
    failure can only push the next chance later, so that reading never flatters). A day
    in the past or more than two years ahead raises :class:`PersonalInputError`."""
    exam = kb.exam(canonical_code(code))
    zone = _zone_or_error(await member_zone(db, user_id, timezone))
    today = now.astimezone(zone).date()
    if day < today:
        raise AttemptInputError(
            f"{day.isoformat()} is in the past: a what-if is about an attempt still to come "
            "(to record one you took, log it)."
        )
    if day > (now + WHAT_IF_HORIZON).astimezone(zone).date():
        raise AttemptInputError(
            f"{day.isoformat()} is more than two years away: the policy may well have "
            "changed by then, so I won't guess."
        )
    fail_at, _ = local_instant(day, moment or ASSUMED_TIME, zone)
    fail_at = max(fail_at, now)
    attempts = await db.attempts.list_for_user(user_id, exam.code)
    log = engine_attempts(attempts)
    if attempts and fail_at <= attempts[-1].taken_at:
        fail_at = attempts[-1].taken_at + dt.timedelta(minutes=1)
    try:
        verdict = what_if(log, exam, now, kb.policy, fail_at)
    except AttemptNotAllowedError as exc:
        return WhatIf(exam, fail_at, None, exc.eligibility, len(attempts))
    return WhatIf(exam, fail_at, verdict, None, len(attempts))


# --------------------------------------------------------------------------- reminders


async def sync_reminder(
    db: Database,
    kb: KnowledgeBase,
    user_id: int,
    code: str,
    now: dt.datetime,
    *,
    eligibility: Eligibility | None = None,
) -> Reminder | None:
    """Move the member's enabled reminder to the engine's current ``earliest``.

    * a new wait (e.g. a new failed attempt) re-arms it, even if the last one was sent;
    * nothing left to wait for (passed, eligible now, retired) turns an unsent one off;
    * an unchanged due time leaves it alone (a sent reminder is never sent again).
    """
    reminder = await db.reminders.get(user_id, code)
    if reminder is None or not reminder.enabled:
        return reminder
    if eligibility is None:
        eligibility = (await exam_status(db, kb, user_id, code, now)).eligibility
    due = reminder_due(eligibility, now)
    if due is None:
        if reminder.sent_at is None:
            await db.reminders.disable(user_id, code)
            return await db.reminders.get(user_id, code)
        return reminder
    if due != reminder.due_at:
        return await db.reminders.set(user_id, code, due)
    return reminder


async def enable_reminder(
    db: Database, kb: KnowledgeBase, user_id: int, code: str, now: dt.datetime
) -> ReminderOutcome:
    """Remind the member when their wait on ``code`` ends; refused (no reminder,
    ``reason`` says why) when they can already take it, passed it, or it retired."""
    status = await exam_status(db, kb, user_id, code, now)
    due = reminder_due(status.eligibility, now)
    if due is None:
        reason = str(status.eligibility.status)
        if status.eligibility.status is Status.ELIGIBLE and not status.attempts:
            reason = "no-attempts"
        return ReminderOutcome(status, None, reason)
    reminder = await db.reminders.set(user_id, status.exam.code, due)
    status.reminder = reminder
    return ReminderOutcome(status, reminder, "set")


async def disable_reminder(db: Database, user_id: int, code: str) -> bool:
    """Turn the member's reminder off; ``True`` if one was on."""
    return await db.reminders.disable(user_id, canonical_code(code))


__all__ = [
    "REMINDABLE",
    "ExamStatus",
    "InvalidAttemptError",
    "LoggedAttempt",
    "PersonalInputError",
    "ReminderOutcome",
    "WhatIf",
    "attempt_ordinals",
    "attempt_warnings",
    "canonical_code",
    "delete_attempt",
    "disable_reminder",
    "edit_attempt",
    "enable_reminder",
    "engine_attempts",
    "exam_status",
    "load_zone",
    "log_attempt",
    "log_checked",
    "log_many",
    "member_status",
    "member_zone",
    "merge_attempts",
    "numbered_attempts",
    "reminder_due",
    "sync_reminder",
    "what_if_failure",
]
