"""A member's attempt as typed — exam, date, time, result, score — checked and placed in time.

Pure: no storage, no Discord. ``/attempt log``, ``/attempt edit``, the "Log it" button,
the conversation and the console all validate through :func:`validate_attempt_input`
and :func:`place_attempt`, so every surface refuses the same input with the same words
before anything is written.

Two rules protect the member's money:

* a day without a time is placed at the **latest** moment it can have been (23:59, or
  now for today): a wait computed from it can only end late, never early;
* a local time that happens twice (the autumn DST change) is read as the **later**
  instant, for the same reason, and the reply says so; a time that never happens (the
  spring gap) is refused.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from knowledge.codes import InvalidExamCodeError, normalize_exam_code
from knowledge.models import Exam, KnowledgeBase, Policy
from knowledge.rules import AttemptResult

# Without a time of day we assume the last minute of the day in the member's zone.
ASSUMED_TIME = dt.time(23, 59)
# Microsoft's certification exams began in the 1990s: an attempt before this day is a
# typo in the year (and far enough from year 1 that no time zone can overflow it).
EARLIEST_ATTEMPT_DAY = dt.date(1990, 1, 1)
_MAX_ECHO = 40

_DATE_RE = re.compile(r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})\s*$", re.ASCII)
_TIME_RE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*$", re.ASCII)
_RESULT_ALIASES = {"pass": "pass", "passed": "pass", "fail": "fail", "failed": "fail"}


class AttemptInputError(ValueError):
    """Input that can't be logged; ``message`` is written for the member, one line."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _echo(text: str) -> str:
    """What the member typed, safe to quote on one line."""
    return " ".join(str(text).split())[:_MAX_ECHO]


def parse_date(text: str) -> dt.date:
    """``YYYY-MM-DD`` as a calendar date."""
    match = _DATE_RE.match(text or "")
    if match is None:
        raise AttemptInputError(
            f"`{_echo(text)}` is not a date: use YYYY-MM-DD, like 2026-11-20."
        )
    try:
        day = dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        raise AttemptInputError(f"`{_echo(text)}` is not a real calendar date.") from None
    if day < EARLIEST_ATTEMPT_DAY:
        raise AttemptInputError(
            f"{day.isoformat()} is before Microsoft certification exams existed: check the year."
        )
    return day


def parse_time(text: str) -> dt.time:
    """``HH:MM`` on a 24-hour clock."""
    match = _TIME_RE.match(text or "")
    if match is None:
        raise AttemptInputError(
            f"`{_echo(text)}` is not a time: use 24-hour HH:MM, like 14:30."
        )
    hour, minute = int(match.group(1)), int(match.group(2))
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise AttemptInputError(f"`{_echo(text)}` is not a time of day (00:00 to 23:59).")
    return dt.time(hour, minute)


def parse_result(text: str) -> AttemptResult:
    value = (text or "").strip().lower()
    if value not in _RESULT_ALIASES:
        raise AttemptInputError(f"Result must be `pass` or `fail`, not `{_echo(text)[:20]}`.")
    return AttemptResult(_RESULT_ALIASES[value])


def check_score(score: int | None, result: AttemptResult, passing: int, policy: Policy) -> None:
    """A score on the policy's scale that agrees with the result."""
    if score is None:
        return
    if not policy.score_min <= score <= policy.score_max:
        raise AttemptInputError(
            f"A score is between {policy.score_min} and {policy.score_max}; {score} isn't."
        )
    if result is AttemptResult.PASS and score < passing:
        raise AttemptInputError(
            f"A score of {score} is below the passing score ({passing}): was it a fail?"
        )
    if result is AttemptResult.FAIL and score >= passing:
        raise AttemptInputError(
            f"A score of {score} reaches the passing score ({passing}): was it a pass?"
        )


def exam_code(text: str) -> str:
    """The canonical code, or :class:`AttemptInputError` (never echoing control chars)."""
    try:
        return normalize_exam_code(text)
    except InvalidExamCodeError as exc:
        raise AttemptInputError(str(exc)) from None


@dataclass(frozen=True, slots=True)
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
    """Check code, result, score, date and time formats; the first problem raises
    :class:`AttemptInputError`. Cheap, so a command runs it before deferring."""
    catalog_exam = kb.exam(exam_code(exam))
    outcome = parse_result(result)
    passing = catalog_exam.passing_score or kb.policy.passing_score
    check_score(score, outcome, passing, kb.policy)
    day = parse_date(date)
    moment = parse_time(time) if time is not None and time.strip() else None
    return CheckedAttempt(catalog_exam, outcome, day, moment, score)


@dataclass(frozen=True, slots=True)
class PlacedAttempt:
    """Where an attempt given as a local day (and maybe time) sits on the timeline.

    ``taken_at`` is aware UTC. ``time_assumed``: no time was given, so the latest moment
    of the day was used. ``ambiguous``: the local time happened twice (DST ended) and the
    later instant was used. ``day_start``/``day_end``: the UTC span of that local day,
    so a check can ask whether something holds at *every* time the attempt may have been.
    """

    taken_at: dt.datetime
    time_assumed: bool
    ambiguous: bool
    day_start: dt.datetime
    day_end: dt.datetime


def _out_of_range(day: dt.date, zone: ZoneInfo) -> AttemptInputError:
    return AttemptInputError(
        f"{day.isoformat()} is too far from today to place in {zone.key}: check the year."
    )


def local_instant(day: dt.date, moment: dt.time, zone: ZoneInfo) -> tuple[dt.datetime, bool]:
    """``day`` at ``moment`` in ``zone`` as aware UTC, and whether it was ambiguous.

    A repeated wall time (fold) is read as the later instant, so a wait never ends early;
    a skipped one (spring forward) is refused rather than guessed."""
    try:
        early = dt.datetime.combine(day, moment, tzinfo=zone)
        late = early.replace(fold=1)
        early_utc, late_utc = early.astimezone(dt.UTC), late.astimezone(dt.UTC)
    except (OverflowError, ValueError):
        raise _out_of_range(day, zone) from None
    wall = early.replace(tzinfo=None)
    if early_utc.astimezone(zone).replace(tzinfo=None) != wall:
        raise AttemptInputError(
            f"{day.isoformat()} {moment:%H:%M} doesn't exist in {zone.key} (the clocks "
            "jumped forward that night): check the time."
        )
    if late_utc != early_utc:
        return max(early_utc, late_utc), True
    return early_utc, False


def _day_span(day: dt.date, zone: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    try:
        start = dt.datetime.combine(day, dt.time(0, 0), tzinfo=zone).astimezone(dt.UTC)
        end = dt.datetime.combine(day, ASSUMED_TIME, tzinfo=zone).replace(fold=1)
        return start, end.astimezone(dt.UTC)
    except (OverflowError, ValueError):
        raise _out_of_range(day, zone) from None


def place_attempt(
    day: dt.date, moment: dt.time | None, zone: ZoneInfo, now: dt.datetime
) -> PlacedAttempt:
    """Put a local day/time on the timeline; an attempt in the future is refused."""
    day_start, day_end = _day_span(day, zone)
    if moment is not None:
        taken_at, ambiguous = local_instant(day, moment, zone)
        if taken_at > now:
            raise AttemptInputError(
                f"{day.isoformat()} {moment:%H:%M} ({zone.key}) is in the future: log an "
                "attempt once you've taken it."
            )
        return PlacedAttempt(taken_at, False, ambiguous, day_start, day_end)
    if day > now.astimezone(zone).date():
        raise AttemptInputError(
            f"{day.isoformat()} is in the future in your time zone ({zone.key}): log an "
            "attempt once you've taken it."
        )
    taken_at = day_end
    if taken_at > now:  # today, before 23:59: the latest it can have been is now
        taken_at = now.astimezone(dt.UTC).replace(second=0, microsecond=0)
    return PlacedAttempt(taken_at, True, False, day_start, day_end)
