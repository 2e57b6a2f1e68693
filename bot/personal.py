"""A member's own exam log, and what the rules engine says about it.

Shared by the slash commands, the "Log it" and "Remind me" buttons, the DM/@mention
conversation and the console: each caller only chooses how times are shown (``fmt``).
No discord types cross these functions' signatures except in :func:`discord_time`.

The rules engine (:mod:`knowledge.rules`) is the single source of eligibility: nothing
here computes a wait. Reminders store the engine's ``earliest`` and are recomputed by
:func:`sync_reminder` whenever the member's attempts change.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass, field

import discord

from bot.storage import Database, DuplicateAttemptError, Reminder, StoredAttempt
from knowledge.codes import InvalidExamCodeError, normalize_exam_code
from knowledge.models import Exam, KnowledgeBase, Policy
from knowledge.rules import Attempt, AttemptResult, Eligibility, Status, evaluate, validate_log

TimeFormatter = Callable[[dt.datetime], str]

SCORE_MIN = 1
SCORE_MAX = 1000
# Without a time of day we assume the last minute of the day in the member's zone: a wait
# computed from it can only end late, never early (an early "you can retake" costs a fee).
ASSUMED_TIME = dt.time(23, 59)

_DATE_RE = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})\s*$")
_TIME_RE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*$")
_ISO_UTC_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?Z")

# Statuses with a future moment worth a reminder ("you can take it again").
_REMINDABLE = frozenset({Status.WAITING, Status.LIMIT_REACHED})

STATUS_LABELS: dict[Status, str] = {
    Status.ELIGIBLE: "✅ You can take it now",
    Status.WAITING: "⏳ Waiting",
    Status.LIMIT_REACHED: "⛔ Attempt limit reached",
    Status.PASSED: "🎉 Passed",
    Status.RETIRED: "🪦 Retired",
    Status.RETIRES_FIRST: "⚠️ Retires before your wait ends",
}
RULE_LABELS: dict[str, str] = {
    "passed": "a passed exam can't be retaken",
    "retired": "a retired exam can't be taken",
    "retires-first": "the exam retires before your wait ends",
    "attempt-limit": "attempt limit per window",
    "first-failure-wait": "wait after a failed first attempt",
    "later-failure-wait": "wait after each later failed attempt",
    "no-attempts": "no attempts logged",
}


class PersonalInputError(ValueError):
    """Bad input from the member; ``message`` is written for them and nothing was stored."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidAttemptError(PersonalInputError):
    """An attempt that can't be logged: malformed, in the future, contradictory or a duplicate."""


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
    """What :func:`log_attempt` stored and what it means now."""

    attempt: StoredAttempt
    exam: Exam
    eligibility: Eligibility
    warnings: list[str]
    time_assumed: bool
    timezone: str
    reminder: Reminder | None = None
    policy: Policy | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def status(self) -> ExamStatus:
        return ExamStatus(self.exam, [self.attempt], self.eligibility, self.reminder, self.policy)


@dataclass
class ReminderOutcome:
    """The result of asking for a reminder: ``reminder`` is ``None`` when there is
    nothing to wait for, and ``message`` says why."""

    status: ExamStatus
    reminder: Reminder | None
    message: str


# --------------------------------------------------------------------------- formatting


def discord_time(moment: dt.datetime) -> str:
    """``<t:UNIX:F> (<t:UNIX:R>)``: Discord shows it in each reader's own time zone."""
    return f"{discord.utils.format_dt(moment, 'F')} ({discord.utils.format_dt(moment, 'R')})"


def _zone(tz_name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(tz_name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise PersonalInputError(
            f"Unknown time zone `{tz_name[:64]}`: set an IANA name like Europe/Paris with "
            "`/settings timezone`."
        ) from exc


def local_time(tz_name: str) -> TimeFormatter:
    """Plain text in the member's zone, for the console: ``Thu 26 Nov 2026, 13:00 CET``."""
    zone = _zone(tz_name)

    def fmt(moment: dt.datetime) -> str:
        local = moment.astimezone(zone)
        return f"{local:%a} {local.day} {local:%b %Y, %H:%M} {local.tzname() or tz_name}"

    return fmt


def _localize_explanation(text: str, fmt: TimeFormatter) -> str:
    """The engine writes instants as ISO UTC (``2026-11-26T09:00:00Z``); show them with
    ``fmt`` instead, so Discord readers see their own zone."""

    def replace(match: re.Match[str]) -> str:
        moment = dt.datetime.fromisoformat(match.group(0).replace("Z", "+00:00"))
        return fmt(moment)

    return _ISO_UTC_RE.sub(replace, text)


def _exam_heading(exam: Exam) -> str:
    return f"**{exam.code}**" + (f" — {exam.title}" if exam.title else "")


def describe_status(status: ExamStatus, fmt: TimeFormatter, now: dt.datetime) -> str:
    """Markdown: status, next chance, the rule, the window, retirement and successor."""
    exam, elig = status.exam, status.eligibility
    lines = [_exam_heading(exam), f"**Status:** {STATUS_LABELS.get(elig.status, elig.status)}"]
    if elig.earliest is not None and elig.status in _REMINDABLE:
        lines.append(f"**Next chance:** {fmt(elig.earliest)}")
    elif elig.status is Status.ELIGIBLE:
        lines.append("**Next chance:** now")
    elif elig.status is Status.RETIRES_FIRST and elig.earliest is not None:
        lines.append(f"**Your wait would end:** {fmt(elig.earliest)} — after retirement")
    lines.append(f"**Rule:** {RULE_LABELS.get(elig.rule, elig.rule)}")
    lines.append(_localize_explanation(elig.explanation, fmt))
    counting = elig.status not in {Status.PASSED, Status.RETIRED}
    if counting and elig.window_start is not None and elig.window_ends is not None:
        limit = f" of {status.policy.max_attempts_per_window}" if status.policy else ""
        lines.append(
            f"**Attempts in this window:** {elig.attempts_in_window}{limit} "
            f"(window resets {fmt(elig.window_ends)})"
        )
    lines += _retirement_lines(exam, elig, fmt, now)
    reminder = status.reminder
    if reminder is not None and reminder.enabled and reminder.sent_at is None:
        lines.append(f"🔔 Reminder set for {fmt(reminder.due_at)}.")
    return "\n".join(lines)


def _retirement_lines(
    exam: Exam, elig: Eligibility, fmt: TimeFormatter, now: dt.datetime
) -> list[str]:
    successor = f" Its successor is **{exam.successor}**." if exam.successor else ""
    if exam.retires_at is None:
        return []
    if exam.is_retired(now):
        if elig.status is Status.RETIRED:
            return []  # the explanation already says it retired, and the successor
        return [f"⚠️ {exam.code} retired on {fmt(exam.retires_at)}.{successor}"]
    return [f"⚠️ {exam.code} retires on {fmt(exam.retires_at)}.{successor}"]


def describe_logged(logged: LoggedAttempt, fmt: TimeFormatter, now: dt.datetime) -> str:
    """The confirmation after logging: what was stored, assumptions, warnings, eligibility."""
    attempt = logged.attempt
    score = f", score {attempt.score}" if attempt.score is not None else ""
    lines = [
        f"📝 Logged **{attempt.exam_code}** — **{attempt.result}**{score}, "
        f"taken {fmt(attempt.taken_at)} (attempt #{attempt.id})."
    ]
    if logged.time_assumed:
        assumed = attempt.taken_at.astimezone(_zone(logged.timezone))
        lines.append(
            f"🕚 No time given, so I assumed **{assumed:%H:%M}** ({logged.timezone}), the latest "
            "it can have been: a wait computed from it is never too short. Log it again "
            "with `time:` for an exact answer."
        )
    lines += [f"🔎 {note}" for note in logged.notes]
    lines += [f"⚠️ {_localize_explanation(w, fmt)}" for w in logged.warnings]
    lines.append("")
    lines.append(describe_status(logged.status, fmt, now))
    return "\n".join(lines)


# --------------------------------------------------------------------------- reading


def _engine_attempts(attempts: list[StoredAttempt]) -> list[Attempt]:
    return [Attempt(a.taken_at, AttemptResult(a.result)) for a in attempts]


def canonical_code(code: str) -> str:
    """``AB-123`` for any spelling of a code; :class:`PersonalInputError` if malformed.
    Pure, so commands check it before deferring."""
    try:
        return normalize_exam_code(code)
    except InvalidExamCodeError as exc:
        raise PersonalInputError(str(exc)) from exc


async def exam_status(
    db: Database, kb: KnowledgeBase, user_id: int, exam_code: str, now: dt.datetime
) -> ExamStatus:
    """The member's standing on one exam (eligible with no attempts when none logged)."""
    exam = kb.exam(canonical_code(exam_code))
    attempts = await db.attempts.list_for_user(user_id, exam.code)
    eligibility = evaluate(_engine_attempts(attempts), exam, now, kb.policy)
    reminder = await db.reminders.get(user_id, exam.code)
    return ExamStatus(exam, attempts, eligibility, reminder, kb.policy)


async def member_status(
    db: Database, kb: KnowledgeBase, user_id: int, exam_code: str | None, now: dt.datetime
) -> list[ExamStatus]:
    """Every exam the member logged (sorted by code), or only the one named.

    A malformed ``exam_code`` raises :class:`PersonalInputError`. A named exam without
    attempts is returned anyway (eligible, no attempts); with ``None`` and an empty log
    the list is empty.
    """
    if exam_code is not None:
        return [await exam_status(db, kb, user_id, exam_code, now)]
    # Two queries whatever the number of exams: every attempt and every reminder, grouped.
    by_code: dict[str, list[StoredAttempt]] = {}
    for attempt in await db.attempts.list_for_user(user_id):
        by_code.setdefault(attempt.exam_code, []).append(attempt)
    if not by_code:
        return []
    reminders = {r.exam_code: r for r in await db.reminders.list_for_user(user_id)}
    statuses = []
    for code in sorted(by_code):
        exam = kb.exam(code)
        attempts = by_code[code]
        eligibility = evaluate(_engine_attempts(attempts), exam, now, kb.policy)
        statuses.append(ExamStatus(exam, attempts, eligibility, reminders.get(code), kb.policy))
    return statuses


def reminder_due(eligibility: Eligibility, now: dt.datetime) -> dt.datetime | None:
    """When a reminder for this verdict should fire, or ``None`` if there's nothing to await."""
    earliest = eligibility.earliest
    if eligibility.status in _REMINDABLE and earliest is not None and earliest > now:
        return earliest
    return None


# --------------------------------------------------------------------------- writing


def parse_date(text: str) -> dt.date:
    match = _DATE_RE.match(text or "")
    if match is None:
        raise InvalidAttemptError(f"`{text[:40]}` is not a date: use YYYY-MM-DD, like 2026-11-20.")
    try:
        return dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError as exc:
        raise InvalidAttemptError(f"`{text[:40]}` is not a real calendar date.") from exc


def parse_time(text: str) -> dt.time:
    match = _TIME_RE.match(text or "")
    if match is None:
        raise InvalidAttemptError(f"`{text[:40]}` is not a time: use 24-hour HH:MM, like 14:30.")
    hour, minute = int(match.group(1)), int(match.group(2))
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise InvalidAttemptError(f"`{text[:40]}` is not a time of day (00:00 to 23:59).")
    return dt.time(hour, minute)


def _local_instant(day: dt.date, moment: dt.time, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    """``day`` at ``moment`` in ``zone``, as aware UTC; a wall time skipped by a DST
    change ("02:30" on a spring-forward night) is refused rather than guessed."""
    local = dt.datetime.combine(day, moment, tzinfo=zone)
    utc = local.astimezone(dt.UTC)
    if utc.astimezone(zone).replace(tzinfo=None) != local.replace(tzinfo=None):
        raise InvalidAttemptError(
            f"{day.isoformat()} {moment:%H:%M} doesn't exist in {zone.key} (the clocks "
            "jumped forward that night): check the time."
        )
    return utc


def _parse_result(result: str) -> AttemptResult:
    value = (result or "").strip().lower()
    aliases = {"pass": "pass", "passed": "pass", "fail": "fail", "failed": "fail"}
    if value not in aliases:
        raise InvalidAttemptError(f"Result must be `pass` or `fail`, not `{result[:20]}`.")
    return AttemptResult(aliases[value])


def _check_score(score: int | None, result: AttemptResult, passing: int) -> None:
    if score is None:
        return
    if not SCORE_MIN <= score <= SCORE_MAX:
        raise InvalidAttemptError(f"A score is between {SCORE_MIN} and {SCORE_MAX}; {score} isn't.")
    if result is AttemptResult.PASS and score < passing:
        raise InvalidAttemptError(
            f"A score of {score} is below the passing score ({passing}): was it a fail?"
        )
    if result is AttemptResult.FAIL and score >= passing:
        raise InvalidAttemptError(
            f"A score of {score} reaches the passing score ({passing}): was it a pass?"
        )


@dataclass(frozen=True)
class CheckedAttempt:
    """The parts of an attempt that can be checked without the database."""

    exam: Exam
    result: AttemptResult
    date: dt.date
    time: dt.time | None
    score: int | None


def validate_attempt_input(
    kb: KnowledgeBase,
    *,
    exam: str,
    date: str,
    result: str,
    time: str | None,
    score: int | None,
) -> CheckedAttempt:
    """Check the exam code, result, score (range and against the passing score), date
    and time formats; :class:`InvalidAttemptError` on the first problem. Pure and cheap,
    so a command can run it before deferring."""
    try:
        code = normalize_exam_code(exam)
    except InvalidExamCodeError as exc:
        raise InvalidAttemptError(str(exc)) from exc
    catalog_exam = kb.exam(code)
    outcome = _parse_result(result)
    passing = catalog_exam.passing_score or kb.policy.passing_score
    _check_score(score, outcome, passing)
    day = parse_date(date)
    moment = parse_time(time) if time is not None and time.strip() else None
    return CheckedAttempt(catalog_exam, outcome, day, moment, score)


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
    (``timezone``, else their ``/settings timezone``, else UTC). Without a time, 23:59
    that day is assumed — or now, for today, since an attempt can't be in the future.
    Raises :class:`InvalidAttemptError` (nothing written) for any bad input or a
    duplicate. Policy breaches (too soon, over the limit, after a pass or retirement)
    are stored but returned as ``warnings``. A reminder for this exam is recomputed.
    """
    checked = validate_attempt_input(
        kb, exam=exam, date=date, result=result, time=time, score=score
    )
    code, catalog_exam, outcome = checked.exam.code, checked.exam, checked.result
    day, moment = checked.date, checked.time
    tz_name = timezone or await db.settings.get_timezone(user_id)
    zone = _zone(tz_name)
    notes: list[str] = []

    if moment is not None:
        taken_at = _local_instant(day, moment, zone)
        if taken_at > now:
            raise InvalidAttemptError(
                f"{day.isoformat()} {moment:%H:%M} ({tz_name}) is in the future: log an "
                "attempt once you've taken it."
            )
    else:
        today = now.astimezone(zone).date()
        if day > today:
            raise InvalidAttemptError(
                f"{day.isoformat()} is in the future in your time zone ({tz_name}): log an "
                "attempt once you've taken it."
            )
        taken_at = _local_instant(day, ASSUMED_TIME, zone)
        if taken_at > now:  # today, before 23:59: the latest it can have been is now
            taken_at = now.astimezone(dt.UTC).replace(second=0, microsecond=0)
    if not catalog_exam.catalogued:
        notes.append(
            f"{code} isn't in my catalog: the general retake policy applies, but I don't "
            "know its retirement date or successor."
        )

    existing = await db.attempts.list_for_user(user_id, code)
    new_attempt = Attempt(taken_at, outcome)
    engine_log = [*_engine_attempts(existing), new_attempt]
    warnings = [
        issue.message
        for issue in validate_log(engine_log, catalog_exam, now, kb.policy)
        if issue.attempt == new_attempt
    ]
    try:
        stored = await db.attempts.add(
            user_id, code, taken_at, outcome.value, score, time_given=moment is not None
        )
    except DuplicateAttemptError as exc:
        raise InvalidAttemptError(
            f"You already logged {code} at that time. See `/attempt list`, or delete the "
            "old entry first with `/attempt delete`."
        ) from exc

    attempts = sorted([*existing, stored], key=lambda a: (a.taken_at, a.id))
    eligibility = evaluate(_engine_attempts(attempts), catalog_exam, now, kb.policy)
    reminder = await sync_reminder(db, kb, user_id, code, now, eligibility=eligibility)
    return LoggedAttempt(
        attempt=stored,
        exam=catalog_exam,
        eligibility=eligibility,
        warnings=warnings,
        time_assumed=moment is None,
        timezone=tz_name,
        reminder=reminder,
        policy=kb.policy,
        notes=notes,
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


# --------------------------------------------------------------------------- reminders


async def sync_reminder(
    db: Database,
    kb: KnowledgeBase,
    user_id: int,
    exam_code: str,
    now: dt.datetime,
    *,
    eligibility: Eligibility | None = None,
) -> Reminder | None:
    """Move the member's enabled reminder to the engine's current ``earliest``.

    * a new wait (e.g. a new failed attempt) re-arms it, even if the last one was sent;
    * nothing left to wait for (passed, eligible now, retired) turns an unsent one off;
    * an unchanged due time leaves it alone (a sent reminder is never sent again).
    """
    reminder = await db.reminders.get(user_id, exam_code)
    if reminder is None or not reminder.enabled:
        return reminder
    if eligibility is None:
        eligibility = (await exam_status(db, kb, user_id, exam_code, now)).eligibility
    due = reminder_due(eligibility, now)
    if due is None:
        if reminder.sent_at is None:
            await db.reminders.disable(user_id, exam_code)
            return await db.reminders.get(user_id, exam_code)
        return reminder
    if due != reminder.due_at:
        return await db.reminders.set(user_id, exam_code, due)
    return reminder


async def enable_reminder(
    db: Database, kb: KnowledgeBase, user_id: int, exam_code: str, now: dt.datetime
) -> ReminderOutcome:
    """Remind the member when their wait on ``exam_code`` ends; refused (no reminder,
    ``message`` says why) when they can already take it, passed it, or it retired."""
    status = await exam_status(db, kb, user_id, exam_code, now)
    due = reminder_due(status.eligibility, now)
    code = status.exam.code
    if due is None:
        reasons = {
            Status.PASSED: f"You passed {code}: there's no retake to remind you about.",
            Status.RETIRED: f"{code} has retired, so there's no next attempt to remind "
            "you about."
            + (f" Its successor is {status.exam.successor}." if status.exam.successor else ""),
            Status.RETIRES_FIRST: f"{code} retires before your wait ends, so there's no "
            "next attempt to remind you about.",
        }
        message = reasons.get(
            status.eligibility.status,
            f"You can already take {code} now: no reminder needed."
            if status.attempts
            else f"You haven't logged any {code} attempt, so there's no wait: you can take "
            "it now. Log a failed attempt with `/attempt log` first.",
        )
        return ReminderOutcome(status, None, message)
    reminder = await db.reminders.set(user_id, code, due)
    status.reminder = reminder
    return ReminderOutcome(status, reminder, f"🔔 I'll DM you when you can take {code} again.")


async def disable_reminder(db: Database, user_id: int, exam_code: str) -> bool:
    """Turn the member's reminder off; ``True`` if one was on."""
    return await db.reminders.disable(user_id, canonical_code(exam_code))
