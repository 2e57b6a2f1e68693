"""The retake rules engine: when may a member sit an exam again?

Pure, synchronous and deterministic: no clock reads (``now`` is an argument), no I/O,
no discord. Every number comes from :class:`~knowledge.models.Policy`, so the engine
and the FAQ answers (which print the same fields) cannot disagree.

The policy, as computed here (numbers are the ``Policy`` fields):

* after a failed 1st attempt, wait ``first_failure_wait_hours``;
* after each later failed attempt, wait ``later_failure_wait_days``;
* at most ``max_attempts_per_window`` attempts in an ``attempt_window_months`` window
  that starts at the first attempt; after the last allowed attempt, eligible again when
  the window ends (same calendar date and time, clamped to the month's last day);
* a passed exam cannot be retaken (unless the certification expired: mentioned, not
  computed);
* nothing is possible at or after the exam's retirement instant.

Readings of what the policy leaves open (stated in the explanations when they apply):

* the first attempt at or after a window's end opens a new window, numbered from 1;
* a 2nd–4th attempt's later-failure wait still applies when it runs past the window's
  end (the next attempt then opens a new window).

After the last allowed attempt of a window the policy is explicit: eligible again when
the window ends, 12 months after the first attempt, even if that attempt was taken less
than a later-failure wait before then.

All computation is in UTC; inputs may carry any offset but must be aware.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from functools import partial
from typing import NamedTuple

from knowledge.models import Exam, Policy

__all__ = [
    "Attempt",
    "AttemptNotAllowedError",
    "AttemptResult",
    "Eligibility",
    "Explanation",
    "IssueKind",
    "LogIssue",
    "Part",
    "Status",
    "add_months",
    "evaluate",
    "format_utc",
    "render_parts",
    "validate_log",
    "what_if",
    "window_numbers",
]

_UTC = dt.UTC


class AttemptResult(StrEnum):
    PASS = "pass"  # noqa: S105
    FAIL = "fail"


class Attempt(NamedTuple):
    """One sitting of an exam. ``taken_at`` must be aware (any offset).

    A named tuple, not a dataclass: ``zip(*attempts)`` then splits a log into instants
    and results in one C-level pass, where reading two attributes per attempt cost a
    third of :func:`evaluate` on a long log."""

    taken_at: dt.datetime
    result: AttemptResult


class Status(StrEnum):
    PASSED = "passed"
    RETIRED = "retired"
    RETIRES_FIRST = "retires_first"
    LIMIT_REACHED = "limit_reached"
    WAITING = "waiting"
    ELIGIBLE = "eligible"


Part = str | dt.datetime
"""A piece of an explanation: words, or an instant that each surface shows its own way."""

TimeFormat = Callable[[dt.datetime], str]


def render_parts(parts: Iterable[Part], fmt: TimeFormat | None = None) -> str:
    """The parts as text, instants through ``fmt`` (default: ISO-8601 UTC, ``…Z``).

    The engine never formats a date for a surface: Discord shows ``<t:…>`` timestamps,
    the console the member's local time, the CLI UTC, all from the same parts."""
    write = fmt or format_utc
    return "".join(part if isinstance(part, str) else write(part) for part in parts)


class Explanation:
    """An explanation written the first time it is read, then kept, as parts.

    Compares, hashes and prints as its default (UTC) text, so an :class:`Eligibility`
    still behaves as a plain value."""

    __slots__ = ("_parts", "_text", "_write")

    def __init__(self, write: Callable[[], tuple[Part, ...]] | tuple[Part, ...]) -> None:
        if isinstance(write, tuple):
            self._parts: tuple[Part, ...] | None = write
            self._write: Callable[[], tuple[Part, ...]] | None = None
        else:
            self._parts = None
            self._write = write
        self._text: str | None = None

    @property
    def parts(self) -> tuple[Part, ...]:
        if self._parts is None:
            assert self._write is not None
            self._parts = self._write()
            self._write = None  # drop what the writer held on to
        return self._parts

    @property
    def value(self) -> str:
        if self._text is None:
            self._text = render_parts(self.parts)
        return self._text

    def render(self, fmt: TimeFormat | None = None) -> str:
        return self.value if fmt is None else render_parts(self.parts, fmt)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Explanation) and self.value == other.value

    def __hash__(self) -> int:
        return hash(self.value)

    def __repr__(self) -> str:
        return repr(self.value)


class Eligibility(NamedTuple):
    """The answer to "when can I take it (again)?".

    ``earliest`` is ``None`` for ``passed``, ``retired`` and when there are no attempts;
    for ``retires_first`` it is when the wait would have ended (after ``retires_at``).
    ``attempts_in_window``/``window_start``/``window_ends`` describe the current window;
    once a window has ended, the next attempt opens a fresh one, so they read 0/None/None.

    ``explanation`` is written the first time it is read: the decision is what callers
    wait on (reminder sweeps and log checks never read the text), and writing a
    paragraph of dates costs as much as deciding. A named tuple rather than a frozen
    dataclass: as immutable, and built in a third of the time.
    """

    status: Status
    earliest: dt.datetime | None
    attempts_in_window: int
    window_start: dt.datetime | None
    window_ends: dt.datetime | None
    retires_at: dt.datetime | None
    rule: str
    text: Explanation

    @property
    def explanation(self) -> str:
        """Plain language: the rule applied, the dates, and any reading of the policy."""
        return self.text.value

    def explain(self, fmt: TimeFormat | None = None) -> str:
        """The explanation with every instant written by ``fmt`` (a surface's own)."""
        return self.text.render(fmt)

    def with_explanation(self, explanation: str | tuple[Part, ...]) -> Eligibility:
        parts = (explanation,) if isinstance(explanation, str) else explanation
        return self._replace(text=Explanation(parts))


class IssueKind(StrEnum):
    TOO_SOON = "too_soon"
    OVER_LIMIT = "over_limit"
    AFTER_RETIREMENT = "after_retirement"
    IN_FUTURE = "in_future"
    AFTER_PASS = "after_pass"  # noqa: S105


@dataclass(frozen=True, slots=True)
class LogIssue:
    """An attempt the policy would not have allowed; ``parts`` hold its dates as instants."""

    attempt: Attempt
    kind: IssueKind
    parts: tuple[Part, ...]

    @property
    def message(self) -> str:
        return render_parts(self.parts)

    def render(self, fmt: TimeFormat | None = None) -> str:
        return render_parts(self.parts, fmt)


class AttemptNotAllowedError(ValueError):
    """:func:`what_if` was asked about an attempt the policy would not allow then.

    ``eligibility`` is the member's situation at that instant (why it isn't allowed,
    and the earliest instant that would be)."""

    def __init__(self, message: str, eligibility: Eligibility) -> None:
        super().__init__(message)
        self.eligibility = eligibility


# Rule ids (stable: the bot maps them to FAQ entries).
RULE_PASSED = "passed"
RULE_RETIRED = "retired"
RULE_RETIRES_FIRST = "retires-first"
RULE_ATTEMPT_LIMIT = "attempt-limit"
RULE_FIRST_WAIT = "first-failure-wait"
RULE_LATER_WAIT = "later-failure-wait"
RULE_NO_ATTEMPTS = "no-attempts"


# --------------------------------------------------------------------------- helpers

_MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_365_DAYS = dt.timedelta(days=365)
_366_DAYS = dt.timedelta(days=366)
_ONE_DAY = dt.timedelta(days=1)


def add_months(moment: dt.datetime, months: int) -> dt.datetime:
    """``moment`` plus calendar ``months`` (may be negative), same wall-clock time and
    tzinfo, the day clamped to the target month's last day (31 Jan + 1 → 28/29 Feb)."""
    if months == 12 and moment.tzinfo is _UTC and not (moment.month == 2 and moment.day == 29):
        # The policy's window, once per window walked: one year later is 365 days, or 366
        # when a 29 February falls in between. Adding a timedelta is several times
        # cheaper than building a datetime, and exact in UTC (no DST, no fold).
        leap_year = moment.year if moment.month <= 2 else moment.year + 1
        if leap_year % 4 == 0 and (leap_year % 100 != 0 or leap_year % 400 == 0):
            return moment + _366_DAYS
        return moment + _365_DAYS
    month0 = moment.month - 1 + months
    year = moment.year + month0 // 12
    month = month0 % 12 + 1
    if not dt.MINYEAR <= year <= dt.MAXYEAR:
        raise OverflowError(f"{months} months from {moment.isoformat()} is out of range")
    day = moment.day
    if day > 28:
        # A table beats calendar.monthrange here: this runs once per window walked.
        last = _MONTH_DAYS[month - 1]
        if month == 2 and year % 4 == 0 and (year % 100 != 0 or year % 400 == 0):
            last = 29
        day = last if day > last else day
    # The constructor is markedly faster than ``replace`` (this runs once per window).
    return dt.datetime(
        year,
        month,
        day,
        moment.hour,
        moment.minute,
        moment.second,
        moment.microsecond,
        moment.tzinfo,
        fold=moment.fold,
    )


def format_utc(moment: dt.datetime) -> str:
    """ISO-8601 in UTC with a ``Z`` suffix: ``2026-11-26T09:00:00Z``."""
    if moment.tzinfo is not _UTC:
        moment = moment.astimezone(_UTC)
    return moment.isoformat()[:-6] + "Z"  # "+00:00" -> "Z"


def _require_aware(moment: dt.datetime, what: str) -> dt.datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware (got naive {moment.isoformat()})")
    return moment.astimezone(_UTC)


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _plural(n: int, unit: str) -> str:
    return f"{n} {unit}" if n == 1 else f"{n} {unit}s"


def _span(n: int, unit: str) -> str:
    """Adjectival form: ``12-month``."""
    return f"{n}-{unit}"


_PASS = AttemptResult.PASS
_SEQUENCES = (list, tuple)
# Statuses as module constants: reading an enum member off its class costs a few times
# more, and the decision runs on every evaluation.
_PASSED, _RETIRED, _RETIRES_FIRST = Status.PASSED, Status.RETIRED, Status.RETIRES_FIRST
_LIMIT_REACHED, _WAITING, _ELIGIBLE = Status.LIMIT_REACHED, Status.WAITING, Status.ELIGIBLE
_NAIVE_ATTEMPT = "every attempt's taken_at must be a timezone-aware datetime"


def _prepare(attempts: Iterable[Attempt]) -> tuple[list[dt.datetime], dt.datetime | None]:
    """The attempt instants, sorted, and the first pass (in UTC), if any.

    Input order and offsets never matter; naive datetimes raise ``ValueError``. The
    instants keep their offsets: aware datetimes compare as instants, and converting a
    hundred of them would cost more than the rest of the evaluation. :func:`_walk`
    converts the few it computes with."""
    items = attempts if isinstance(attempts, _SEQUENCES) else list(attempts)
    if not items:
        return [], None
    instants, results = zip(*items, strict=False)  # two attempt fields: never ragged
    times = list(instants)
    if not times[0].tzinfo is times[-1].tzinfo is times[len(times) // 2].tzinfo:
        # Mixed offsets: every comparison in the sort would call utcoffset() twice; one
        # conversion each is an order of magnitude cheaper. (Storage returns UTC, so
        # this is the rare path; a mix the probe misses is sorted correctly, slower.)
        times = [_require_aware(moment, "attempt taken_at") for moment in times]
    try:
        times.sort()
    except TypeError:  # a naive and an aware datetime were compared
        raise ValueError(_NAIVE_ATTEMPT) from None
    if times[0].utcoffset() is None:  # all naive: a mix cannot sort
        raise ValueError(_NAIVE_ATTEMPT)
    passed_at = None
    if _PASS in results:
        passed_at = min(taken for taken, result in items if result == _PASS).astimezone(_UTC)
    return times, passed_at


def _in_utc(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo is _UTC else moment.astimezone(_UTC)


class _Walk(NamedTuple):
    """Where a sorted log leaves the member: the last window and the last attempt."""

    window_start: dt.datetime | None = None
    window_ends: dt.datetime | None = None
    number: int = 0  # number of the last attempt in its window (same instant counts once)
    reopened: bool = False  # the last window is not the first (the log spans several)
    last: dt.datetime | None = None
    passed_at: dt.datetime | None = None
    earliest: dt.datetime | None = None  # when the wait after the last attempt ends
    rule: str = RULE_NO_ATTEMPTS
    # Set when an attempt taken too soon leaves an earlier wait running past the window.
    carried_from: dt.datetime | None = None


def _next_allowed(
    taken: dt.datetime, number: int, window_ends: dt.datetime, policy: Policy
) -> tuple[dt.datetime, str]:
    """When the wait after a failed attempt (``number`` in its window) ends, and why."""
    if number >= policy.max_attempts_per_window:
        return window_ends, RULE_ATTEMPT_LIMIT
    if number == 1:
        return taken + policy.first_failure_wait, RULE_FIRST_WAIT
    return taken + policy.later_failure_wait, RULE_LATER_WAIT


def _walk(times: list[dt.datetime], passed_at: dt.datetime | None, policy: Policy) -> _Walk:
    """Follow a sorted log window by window. ``times`` may carry any offsets; every
    instant this returns is in UTC."""
    count = len(times)
    if not count:
        return _Walk(passed_at=passed_at)
    # This loop runs once per window, which is what a long log costs, so it stays lean.
    months = policy.attempt_window_months
    first = 0  # index of the attempt that opened the current window
    start = _in_utc(times[0])
    while True:
        if months == 12:
            # add_months(start, 12), inlined: 365 days land on the same day of the month
            # unless a 29 February fell in between (then one day more), or the start is
            # a 29 February (then 28 February is the clamped date). Exact in UTC.
            ends = start + _365_DAYS
            day = start.day
            if ends.day != day and (day != 29 or start.month != 2):
                ends += _ONE_DAY
        else:
            ends = add_months(start, months)
        # New-window reading: the first attempt at or after a window's end opens one.
        following = bisect_left(times, ends, first + 1)
        if following >= count:
            break
        first = following
        start = times[first]
        if start.tzinfo is not _UTC:
            start = start.astimezone(_UTC)

    last = _in_utc(times[-1])
    # The same instant logged twice is one sitting (aware datetimes hash by instant).
    number = count - first if count - first < 2 else len(set(times[first:]))
    carried_from = None
    earliest, rule = _next_allowed(last, number, ends, policy)
    if rule == RULE_ATTEMPT_LIMIT:
        # A log can hold an attempt taken before its wait was over (validate_log flags
        # it). The window's end must then not undercut the wait the previous attempt
        # started, or logging one more failure could move the date earlier. In a log
        # the policy allowed, that wait always ends before the window does.
        previous = _in_utc(times[bisect_left(times, last) - 1])
        pending = previous + policy.later_failure_wait
        if pending > earliest:
            earliest, carried_from = pending, previous
    return _Walk(start, ends, number, first > 0, last, passed_at, earliest, rule, carried_from)


# --------------------------------------------------------------------------- evaluate


def evaluate(
    attempts: Iterable[Attempt], exam: Exam, now: dt.datetime, policy: Policy
) -> Eligibility:
    """Where a member stands on ``exam`` at ``now``, given their logged attempts."""
    if now.tzinfo is not _UTC:
        now = _require_aware(now, "now")
    times, passed_at = _prepare(attempts)
    return _decide(_walk(times, passed_at, policy), exam, now, policy)


def _decide(state: _Walk, exam: Exam, now: dt.datetime, policy: Policy) -> Eligibility:
    """The status, first match wins; the explanation is written only when read."""
    retires_at = exam.retires_at
    earliest = state.earliest
    # The current window: none before the first attempt, none once it has ended
    # (the next attempt opens a fresh one).
    window_over = state.window_ends is not None and now >= state.window_ends
    if state.window_start is None or window_over:
        in_window, w_start, w_ends = 0, None, None
    else:
        in_window, w_start, w_ends = state.number, state.window_start, state.window_ends

    if state.passed_at is not None:
        status, earliest, rule = _PASSED, None, RULE_PASSED
    elif retires_at is not None and now >= retires_at:
        status, earliest, rule = _RETIRED, None, RULE_RETIRED
    elif earliest is None:
        status, rule = _ELIGIBLE, RULE_NO_ATTEMPTS
    elif retires_at is not None and earliest >= retires_at and now < earliest:
        status, rule = _RETIRES_FIRST, RULE_RETIRES_FIRST
    elif now < earliest:
        rule = state.rule
        status = _LIMIT_REACHED if rule == RULE_ATTEMPT_LIMIT else _WAITING
    else:
        status, rule = _ELIGIBLE, state.rule
    text = Explanation(partial(_explain, status, state, exam, policy, window_over))
    return Eligibility(status, earliest, in_window, w_start, w_ends, retires_at, rule, text)


def _explain(
    status: Status, state: _Walk, exam: Exam, policy: Policy, window_over: bool
) -> tuple[Part, ...]:
    retires_at = exam.retires_at
    code = exam.code
    limit = policy.max_attempts_per_window
    window_months = policy.attempt_window_months

    if status is Status.PASSED:
        assert state.passed_at is not None
        return (
            f"You passed {code} on ", state.passed_at, ". A passed exam cannot be "
            "retaken, unless your certification has expired (then you earn it again by "
            "passing the exam); this tool does not track certification expiry.",
        )  # fmt: skip

    successor = f" Its successor is {exam.successor}." if exam.successor else ""
    if status is Status.RETIRED:
        assert retires_at is not None
        return (f"{code} retired on ", retires_at, ": it can no longer be taken." + successor)

    retire_note: tuple[Part, ...] = (
        (f" Note: {code} retires on ", retires_at, ".") if retires_at is not None else ()
    )
    earliest = state.earliest
    if earliest is None:
        policy_summary = (
            f"If you don't pass, you wait {_plural(policy.first_failure_wait_hours, 'hour')} "
            f"after a failed first attempt and "
            f"{_plural(policy.later_failure_wait_days, 'day')} after each later one, with at "
            f"most {limit} attempts in the {_plural(window_months, 'month')} from your first "
            "attempt."
        )
        return (
            f"No attempts logged for {code}: you can take it now. {policy_summary}",
            *retire_note,
        )

    assert state.window_start is not None and state.window_ends is not None
    why = _wait_reason(state, policy)
    if status is Status.RETIRES_FIRST:
        assert retires_at is not None
        return (
            *why, " That would be ", earliest, f", but {code} retires on ", retires_at,
            f", so you cannot take it again.{successor}",
        )  # fmt: skip

    # Only one of these two can apply: a window that is still open, or one that is over.
    new_window_note: tuple[Part, ...] = ()
    next_window_note: tuple[Part, ...] = ()
    if window_over:
        next_window_note = (
            f" Your {_span(window_months, 'month')} window (from your first attempt on ",
            state.window_start, ") ended on ", state.window_ends, ", so your next attempt "
            f"opens a new window and counts as attempt 1 of {limit} (the policy doesn't say "
            "how the next window is anchored; this is our reading).",
        )  # fmt: skip
    elif state.reopened:
        new_window_note = (
            " Your attempt on ", state.window_start, " came at or after the end of your "
            f"previous {_span(window_months, 'month')} window, so it opened a new one and "
            "numbering restarted at 1 (the policy doesn't say how the next window is "
            "anchored; this is our reading).",
        )  # fmt: skip

    if status is not Status.ELIGIBLE:  # waiting or limit reached
        return (
            *why, f" You can take {code} again from ", earliest, ".",
            *new_window_note, *next_window_note, *retire_note,
        )  # fmt: skip

    if window_over:
        count_note = next_window_note
    else:
        count_note = (
            f" It would be attempt {state.number + 1} of {limit} in your window that started "
            "on ", state.window_start, " and ends on ", state.window_ends, ".",
            *new_window_note,
        )  # fmt: skip
    return (
        *why, " That wait ended on ", earliest, f": you can take {code} now.",
        *count_note, *retire_note,
    )  # fmt: skip


def _wait_reason(state: _Walk, policy: Policy) -> tuple[Part, ...]:
    assert state.last is not None and state.window_start is not None
    assert state.window_ends is not None and state.earliest is not None
    last = state.last
    number = state.number
    limit = policy.max_attempts_per_window
    if state.rule == RULE_FIRST_WAIT:
        return (
            "Your 1st attempt (on ", last, ") failed: after a failed first attempt you "
            f"wait {_plural(policy.first_failure_wait_hours, 'hour')}.",
        )  # fmt: skip
    if state.rule == RULE_LATER_WAIT:
        return (
            f"Your {_ordinal(number)} attempt in this window (on ", last, ") failed: after "
            "each failed attempt after the first you wait "
            f"{_plural(policy.later_failure_wait_days, 'day')}.",
        )  # fmt: skip
    parts: list[Part] = [
        f"You have used the {limit} attempts allowed in the "
        f"{_span(policy.attempt_window_months, 'month')} window that started with your "
        "first attempt on ", state.window_start, ": you are eligible again "
        f"{_plural(policy.attempt_window_months, 'month')} after that first attempt",
    ]  # fmt: skip
    if state.window_ends.day != state.window_start.day:
        parts.append(" (that date doesn't exist that year, so the last day of the month)")
    if state.carried_from is not None:
        parts += [
            f"; but your last attempt came before the "
            f"{_plural(policy.later_failure_wait_days, 'day')} wait after your attempt on ",
            state.carried_from, " was over, so that wait still applies",
        ]  # fmt: skip
    parts.append(".")
    return tuple(parts)


# --------------------------------------------------------------------------- what_if


def what_if(
    attempts: Iterable[Attempt],
    exam: Exam,
    now: dt.datetime,
    policy: Policy,
    fail_at: dt.datetime,
) -> Eligibility:
    """ "If I fail on ``fail_at``, when is my next chance?"

    Adds a hypothetical failed attempt at ``fail_at`` and evaluates at the later of
    ``now`` and ``fail_at``. Raises :class:`AttemptNotAllowedError` (a ``ValueError``,
    carrying the member's situation at ``fail_at``) when the policy would not allow an
    attempt then, or when ``fail_at`` is not after every logged attempt."""
    now = _require_aware(now, "now")
    fail_utc = _require_aware(fail_at, "fail_at")
    times, passed_at = _prepare(attempts)
    if times and fail_utc <= times[-1]:
        raise ValueError(
            f"fail_at ({format_utc(fail_utc)}) must be after your last logged attempt "
            f"({format_utc(times[-1])})"
        )
    before = _decide(_walk(times, passed_at, policy), exam, fail_utc, policy)
    if before.status is not Status.ELIGIBLE:
        raise AttemptNotAllowedError(
            f"You could not sit {exam.code} on {format_utc(fail_utc)}: {before.explanation}",
            before,
        )
    times.append(fail_utc)
    after = _decide(_walk(times, passed_at, policy), exam, max(now, fail_utc), policy)
    return after.with_explanation(("If you fail on ", fail_utc, ": ", *after.text.parts))


# --------------------------------------------------------------------------- validate_log


def validate_log(
    attempts: Iterable[Attempt], exam: Exam, now: dt.datetime, policy: Policy
) -> list[LogIssue]:
    """Logged attempts the policy would not have allowed, oldest first.

    An attempt can have several issues (e.g. in the future and after retirement). An
    attempt logged twice (two attempts at the same instant) counts once, as in
    :func:`evaluate`, and the copy is reported as ``too_soon`` so it can be removed."""
    now = _require_aware(now, "now")
    raw: list[tuple[dt.datetime, bool, Attempt]] = []
    for attempt in attempts:
        taken = _require_aware(attempt.taken_at, "attempt taken_at")
        raw.append((taken, attempt.result == AttemptResult.PASS, attempt))
    raw.sort(key=lambda row: (row[0], row[1]))

    issues: list[LogIssue] = []
    retires_at = exam.retires_at
    code = exam.code
    limit = policy.max_attempts_per_window
    months = policy.attempt_window_months
    window_start: dt.datetime | None = None
    window_ends: dt.datetime | None = None
    number = 0
    earliest: dt.datetime | None = None
    passed_at: dt.datetime | None = None
    previous: dt.datetime | None = None

    for taken, passed, attempt in raw:
        if previous == taken:
            issues.append(
                LogIssue(
                    attempt,
                    IssueKind.TOO_SOON,
                    ("Two attempts are logged at ", taken, "; they count as one sitting."),
                )
            )
            if passed and passed_at is None:
                passed_at = taken
            continue
        previous = taken

        if taken > now:
            issues.append(
                LogIssue(
                    attempt, IssueKind.IN_FUTURE, ("The attempt on ", taken, " is in the future.")
                )
            )
        if retires_at is not None and taken >= retires_at:
            issues.append(
                LogIssue(
                    attempt,
                    IssueKind.AFTER_RETIREMENT,
                    ("The attempt on ", taken, f" is after {code} retired (", retires_at, ")."),
                )
            )
        if passed_at is not None:
            issues.append(
                LogIssue(
                    attempt,
                    IssueKind.AFTER_PASS,
                    (
                        "The attempt on ", taken, " comes after you passed on ", passed_at,
                        "; a passed exam cannot be retaken unless the certification has expired.",
                    ),
                )
            )

        if window_ends is None or taken >= window_ends:
            window_start, window_ends, number = taken, add_months(taken, months), 1
        else:
            number += 1

        if number > limit:
            assert window_start is not None
            issues.append(
                LogIssue(
                    attempt,
                    IssueKind.OVER_LIMIT,
                    (
                        "The attempt on ", taken, f" is attempt {number} in the "
                        f"{_span(months, 'month')} window that started on ", window_start,
                        f"; at most {limit} are allowed, the next one from ", window_ends, ".",
                    ),
                )
            )
        elif earliest is not None and taken < earliest and passed_at is None:
            issues.append(
                LogIssue(
                    attempt,
                    IssueKind.TOO_SOON,
                    (
                        "The attempt on ", taken, " is too soon: after the previous failed "
                        "attempt the earliest allowed was ", earliest, ".",
                    ),
                )
            )

        if passed:
            if passed_at is None:
                passed_at = taken
        else:
            earliest = _next_allowed(taken, number, window_ends, policy)[0]
    return issues


# --------------------------------------------------------------------------- numbering


def window_numbers(taken: Iterable[dt.datetime], policy: Policy) -> list[tuple[int, int]]:
    """For each instant of a log, in the order given: (window, attempt number in it).

    Windows are counted from 1 and follow :func:`evaluate`'s reading (the first attempt
    at or after a window's end opens the next). This is how a member counts ("my 2nd
    attempt at AZ-104"), unlike a database id; the same instant twice is one sitting."""
    moments = [_require_aware(moment, "attempt taken_at") for moment in taken]
    order = sorted(range(len(moments)), key=moments.__getitem__)
    numbers: list[tuple[int, int]] = [(0, 0)] * len(moments)
    window, number = 0, 0
    window_ends: dt.datetime | None = None
    previous: dt.datetime | None = None
    for index in order:
        moment = moments[index]
        if window_ends is None or moment >= window_ends:
            window, number = window + 1, 1
            window_ends = add_months(moment, policy.attempt_window_months)
        elif moment != previous:
            number += 1
        previous = moment
        numbers[index] = (window, number)
    return numbers
