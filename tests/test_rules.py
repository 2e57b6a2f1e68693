"""Table tests for the retake rules engine (knowledge/rules.py).

Every wait and limit comes from the policy file, never a literal, so these tests keep
passing if Microsoft changes a number and ``policy.toml`` follows.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass

import pytest

from knowledge.loader import DATA_DIR
from knowledge.models import Exam, Policy
from knowledge.rules import (
    Attempt,
    AttemptNotAllowedError,
    AttemptResult,
    Eligibility,
    IssueKind,
    Status,
    add_months,
    evaluate,
    validate_log,
    what_if,
)

UTC = dt.UTC
POLICY = Policy.model_validate(tomllib.loads((DATA_DIR / "policy.toml").read_text("utf-8")))
FIRST_WAIT = POLICY.first_failure_wait
LATER_WAIT = POLICY.later_failure_wait
LIMIT = POLICY.max_attempts_per_window
MONTHS = POLICY.attempt_window_months
SECOND = dt.timedelta(seconds=1)

T0 = dt.datetime(2025, 3, 10, 9, 30, tzinfo=UTC)
EXAM = Exam.uncatalogued("AB-123")


def fail(moment: dt.datetime) -> Attempt:
    return Attempt(moment, AttemptResult.FAIL)


def passed(moment: dt.datetime) -> Attempt:
    return Attempt(moment, AttemptResult.PASS)


def chain(count: int, start: dt.datetime = T0) -> list[dt.datetime]:
    """``count`` attempt instants, each exactly when the previous wait ended."""
    times = [start]
    while len(times) < count:
        wait = FIRST_WAIT if len(times) == 1 else LATER_WAIT
        times.append(times[-1] + wait)
    return times


def fails(times: list[dt.datetime]) -> list[Attempt]:
    return [fail(t) for t in times]


FULL = chain(LIMIT)  # a whole window used up, each attempt as early as allowed
WINDOW_END = add_months(T0, MONTHS)


@dataclass(frozen=True)
class Case:
    attempts: list[Attempt]
    now: dt.datetime
    status: Status
    earliest: dt.datetime | None
    in_window: int
    rule: str
    window_start: dt.datetime | None = None
    exam: Exam = EXAM


RETIRES = dt.datetime(2026, 7, 1, 4, 59, tzinfo=UTC)
RETIRING = Exam(code="ZZ-102", retires_at=RETIRES, successor="ZZ-103")

CASES = {
    "no-attempts": Case([], T0, Status.ELIGIBLE, None, 0, "no-attempts"),
    "first-wait-exactly-over": Case(
        [fail(T0)], T0 + FIRST_WAIT, Status.ELIGIBLE, T0 + FIRST_WAIT, 1, "first-failure-wait", T0
    ),
    "first-wait-one-second-before": Case(
        [fail(T0)],
        T0 + FIRST_WAIT - SECOND,
        Status.WAITING,
        T0 + FIRST_WAIT,
        1,
        "first-failure-wait",
        T0,
    ),
    "first-wait-right-after-attempt": Case(
        [fail(T0)], T0, Status.WAITING, T0 + FIRST_WAIT, 1, "first-failure-wait", T0
    ),
    "later-wait-exactly-over": Case(
        fails(chain(2)),
        chain(2)[1] + LATER_WAIT,
        Status.ELIGIBLE,
        chain(2)[1] + LATER_WAIT,
        2,
        "later-failure-wait",
        T0,
    ),
    "later-wait-one-second-before": Case(
        fails(chain(2)),
        chain(2)[1] + LATER_WAIT - SECOND,
        Status.WAITING,
        chain(2)[1] + LATER_WAIT,
        2,
        "later-failure-wait",
        T0,
    ),
    "later-wait-after-4th": Case(
        fails(chain(LIMIT - 1)),
        chain(LIMIT - 1)[-1] + SECOND,
        Status.WAITING,
        chain(LIMIT - 1)[-1] + LATER_WAIT,
        LIMIT - 1,
        "later-failure-wait",
        T0,
    ),
    "limit-reached-right-after-5th": Case(
        fails(FULL), FULL[-1], Status.LIMIT_REACHED, WINDOW_END, LIMIT, "attempt-limit", T0
    ),
    "limit-reached-after-later-wait": Case(
        fails(FULL),
        FULL[-1] + LATER_WAIT,
        Status.LIMIT_REACHED,
        WINDOW_END,
        LIMIT,
        "attempt-limit",
        T0,
    ),
    "limit-reached-one-second-before-window-end": Case(
        fails(FULL),
        WINDOW_END - SECOND,
        Status.LIMIT_REACHED,
        WINDOW_END,
        LIMIT,
        "attempt-limit",
        T0,
    ),
    "limit-over-exactly-at-window-end": Case(
        fails(FULL), WINDOW_END, Status.ELIGIBLE, WINDOW_END, 0, "attempt-limit", None
    ),
    "limit-window-end-same-wall-clock-time": Case(
        fails(FULL),
        dt.datetime(2026, 3, 10, 9, 29, 59, tzinfo=UTC),
        Status.LIMIT_REACHED,
        dt.datetime(2026, 3, 10, 9, 30, tzinfo=UTC),
        LIMIT,
        "attempt-limit",
        T0,
    ),
    "leap-day-first-attempt": Case(
        fails(chain(LIMIT, dt.datetime(2024, 2, 29, 10, tzinfo=UTC))),
        dt.datetime(2024, 12, 1, tzinfo=UTC),
        Status.LIMIT_REACHED,
        dt.datetime(2025, 2, 28, 10, tzinfo=UTC),
        LIMIT,
        "attempt-limit",
        dt.datetime(2024, 2, 29, 10, tzinfo=UTC),
    ),
    "unsorted-input": Case(
        fails([FULL[2], FULL[4], FULL[0], FULL[3], FULL[1]]),
        FULL[-1] + SECOND,
        Status.LIMIT_REACHED,
        WINDOW_END,
        LIMIT,
        "attempt-limit",
        T0,
    ),
    "duplicate-timestamps-count-once": Case(
        [fail(T0), fail(T0)],
        T0 + SECOND,
        Status.WAITING,
        T0 + FIRST_WAIT,
        1,
        "first-failure-wait",
        T0,
    ),
    "duplicate-in-other-offset-counts-once": Case(
        [fail(T0), fail(T0.astimezone(dt.timezone(dt.timedelta(hours=5, minutes=30))))],
        T0 + SECOND,
        Status.WAITING,
        T0 + FIRST_WAIT,
        1,
        "first-failure-wait",
        T0,
    ),
    "window-over-with-fewer-attempts": Case(
        fails(chain(2)),
        WINDOW_END,
        Status.ELIGIBLE,
        chain(2)[1] + LATER_WAIT,
        0,
        "later-failure-wait",
        None,
    ),
    "new-window-numbering-restarts": Case(
        [*fails(chain(2)), fail(WINDOW_END)],
        WINDOW_END + SECOND,
        Status.WAITING,
        WINDOW_END + FIRST_WAIT,
        1,
        "first-failure-wait",
        WINDOW_END,
    ),
    "new-window-one-second-early-still-old-window": Case(
        [*fails(chain(2)), fail(WINDOW_END - SECOND)],
        WINDOW_END - SECOND,
        Status.WAITING,
        WINDOW_END - SECOND + LATER_WAIT,
        3,
        "later-failure-wait",
        T0,
    ),
    "new-window-after-limit": Case(
        [*fails(FULL), *fails(chain(2, WINDOW_END))],
        WINDOW_END + FIRST_WAIT + SECOND,
        Status.WAITING,
        WINDOW_END + FIRST_WAIT + LATER_WAIT,
        2,
        "later-failure-wait",
        WINDOW_END,
    ),
    "wait-from-old-window-still-applies": Case(
        # 4th attempt shortly before the window ends: its wait runs past the end.
        [*fails(chain(LIMIT - 2)), fail(WINDOW_END - LATER_WAIT / 2)],
        WINDOW_END,
        Status.WAITING,
        WINDOW_END + LATER_WAIT / 2,
        0,
        "later-failure-wait",
        None,
    ),
    "5th-attempt-close-to-window-end": Case(
        # The policy: after the 5th, eligible again 12 months after the first attempt,
        # even when that is sooner than a later-failure wait would be.
        [*fails(chain(LIMIT - 1)), fail(WINDOW_END - SECOND)],
        WINDOW_END - SECOND,
        Status.LIMIT_REACHED,
        WINDOW_END,
        LIMIT,
        "attempt-limit",
        T0,
    ),
    "5th-attempt-close-to-window-end-at-window-end": Case(
        [*fails(chain(LIMIT - 1)), fail(WINDOW_END - SECOND)],
        WINDOW_END,
        Status.ELIGIBLE,
        WINDOW_END,
        0,
        "attempt-limit",
        None,
    ),
    "passed": Case(
        [fail(T0), passed(T0 + FIRST_WAIT)], T0 + FIRST_WAIT, Status.PASSED, None, 2, "passed", T0
    ),
    "passed-first-time": Case([passed(T0)], T0, Status.PASSED, None, 1, "passed", T0),
    "passed-wins-over-retired": Case(
        [passed(RETIRES - FIRST_WAIT)],
        RETIRES,
        Status.PASSED,
        None,
        1,
        "passed",
        RETIRES - FIRST_WAIT,
        RETIRING,
    ),
    "retired-exactly-at-instant": Case(
        [], RETIRES, Status.RETIRED, None, 0, "retired", None, RETIRING
    ),
    "retired-with-attempts": Case(
        [fail(RETIRES - LATER_WAIT)],
        RETIRES + SECOND,
        Status.RETIRED,
        None,
        1,
        "retired",
        RETIRES - LATER_WAIT,
        RETIRING,
    ),
    "not-retired-one-second-before": Case(
        [], RETIRES - SECOND, Status.ELIGIBLE, None, 0, "no-attempts", None, RETIRING
    ),
    "wait-ends-exactly-at-retirement": Case(
        [fail(RETIRES - FIRST_WAIT)],
        RETIRES - FIRST_WAIT,
        Status.RETIRES_FIRST,
        RETIRES,
        1,
        "retires-first",
        RETIRES - FIRST_WAIT,
        RETIRING,
    ),
    "wait-ends-after-retirement": Case(
        fails(chain(2, RETIRES - LATER_WAIT - FIRST_WAIT + SECOND)),
        RETIRES - LATER_WAIT + SECOND,
        Status.RETIRES_FIRST,
        RETIRES + SECOND,
        2,
        "retires-first",
        RETIRES - LATER_WAIT - FIRST_WAIT + SECOND,
        RETIRING,
    ),
    "wait-ends-one-second-before-retirement": Case(
        [fail(RETIRES - FIRST_WAIT - SECOND)],
        RETIRES - FIRST_WAIT,
        Status.WAITING,
        RETIRES - SECOND,
        1,
        "first-failure-wait",
        RETIRES - FIRST_WAIT - SECOND,
        RETIRING,
    ),
    "limit-window-ends-after-retirement": Case(
        fails(chain(LIMIT, RETIRES - dt.timedelta(days=100))),
        RETIRES - SECOND,
        Status.RETIRES_FIRST,
        add_months(RETIRES - dt.timedelta(days=100), MONTHS),
        LIMIT,
        "retires-first",
        RETIRES - dt.timedelta(days=100),
        RETIRING,
    ),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_evaluate(case: Case) -> None:
    result = evaluate(case.attempts, case.exam, case.now, POLICY)
    assert result.status is case.status
    assert result.earliest == case.earliest
    assert result.attempts_in_window == case.in_window
    assert result.rule == case.rule
    assert result.window_start == case.window_start
    if case.window_start is None:
        assert result.window_ends is None
    else:
        assert result.window_ends == add_months(case.window_start, MONTHS)
    assert result.retires_at == case.exam.retires_at
    assert result.explanation
    for moment in (result.earliest, result.window_start, result.window_ends):
        assert moment is None or moment.utcoffset() == dt.timedelta(0)


OFFSETS = {
    "utc": UTC,
    "+05:30": dt.timezone(dt.timedelta(hours=5, minutes=30)),
    "-08:00": dt.timezone(dt.timedelta(hours=-8)),
    "+14:00": dt.timezone(dt.timedelta(hours=14)),
    "-00:30": dt.timezone(dt.timedelta(minutes=-30)),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
@pytest.mark.parametrize("offset", OFFSETS.values(), ids=OFFSETS.keys())
def test_offsets_do_not_change_the_result(case: Case, offset: dt.tzinfo) -> None:
    shifted = [Attempt(a.taken_at.astimezone(offset), a.result) for a in case.attempts]
    reference = evaluate(case.attempts, case.exam, case.now, POLICY)
    assert evaluate(shifted, case.exam, case.now.astimezone(offset), POLICY) == reference


def test_leap_day_explanation_says_the_day_was_clamped() -> None:
    first = dt.datetime(2024, 2, 29, 10, tzinfo=UTC)
    result = evaluate(fails(chain(LIMIT, first)), EXAM, first + dt.timedelta(days=200), POLICY)
    assert "2025-02-28T10:00:00Z" in result.explanation
    assert "last day of the month" in result.explanation


@pytest.mark.parametrize(
    ("attempts", "now", "phrase"),
    [
        pytest.param(fails(chain(2)), WINDOW_END, "new window", id="window-over"),
        pytest.param(
            [*fails(chain(2)), fail(WINDOW_END)], WINDOW_END, "opened a new one", id="new-window"
        ),
        pytest.param([passed(T0)], T0, "expired", id="passed-mentions-expiry"),
        pytest.param([fail(T0)], T0, f"{POLICY.first_failure_wait_hours} hours", id="first"),
        pytest.param(
            fails(chain(2)), T0, f"{POLICY.later_failure_wait_days} days", id="later-wait"
        ),
        pytest.param(fails(FULL), T0, f"{LIMIT} attempts", id="limit"),
        pytest.param([], T0, "you can take it now", id="none"),
    ],
)
def test_explanations(attempts: list[Attempt], now: dt.datetime, phrase: str) -> None:
    assert phrase in evaluate(attempts, EXAM, now, POLICY).explanation


def test_retired_explanation_names_successor() -> None:
    result = evaluate([], RETIRING, RETIRES, POLICY)
    assert "ZZ-103" in result.explanation
    assert "2026-07-01T04:59:00Z" in result.explanation


def test_catalogued_retirement_comes_from_the_catalog() -> None:
    from knowledge.loader import load_knowledge

    kb = load_knowledge()
    exam = kb.exam("ai102")
    assert exam.retires_at is not None
    assert evaluate([], exam, exam.retires_at, kb.policy).status is Status.RETIRED
    before = evaluate([], exam, exam.retires_at - SECOND, kb.policy)
    assert before.status is Status.ELIGIBLE
    assert before.retires_at == exam.retires_at


def test_uncatalogued_code_gets_the_general_policy() -> None:
    from knowledge.loader import load_knowledge

    kb = load_knowledge()
    exam = kb.exam("zq999")
    assert exam.code == "ZQ-999"
    assert not exam.catalogued
    result = evaluate([fail(T0)], exam, T0, kb.policy)
    assert result.status is Status.WAITING
    assert result.earliest == T0 + FIRST_WAIT
    assert result.retires_at is None


@pytest.mark.parametrize(
    ("attempts", "now"),
    [
        pytest.param([fail(dt.datetime(2025, 1, 1))], T0, id="naive-attempt"),
        pytest.param([fail(T0)], dt.datetime(2025, 1, 1), id="naive-now"),
        pytest.param([fail(T0), fail(dt.datetime(2025, 1, 1))], T0, id="mixed"),
        pytest.param([fail(dt.datetime(2025, 1, 1)), fail(dt.datetime(2025, 2, 1))], T0, id="all"),
    ],
)
def test_naive_datetimes_are_rejected(attempts: list[Attempt], now: dt.datetime) -> None:
    with pytest.raises(ValueError, match="aware"):
        evaluate(attempts, EXAM, now, POLICY)


def test_accepts_any_iterable_and_does_not_consume_twice() -> None:
    result = evaluate(iter(fails(FULL)), EXAM, FULL[-1], POLICY)
    assert result.status is Status.LIMIT_REACHED
    assert result.attempts_in_window == LIMIT


def test_exact_to_the_microsecond() -> None:
    start = T0 + dt.timedelta(microseconds=500_000)
    assert evaluate([fail(start)], EXAM, T0 + FIRST_WAIT, POLICY).status is Status.WAITING


def test_policy_numbers_drive_the_engine() -> None:
    policy = POLICY.model_copy(
        update={
            "first_failure_wait_hours": 37,
            "later_failure_wait_days": 9,
            "max_attempts_per_window": 3,
            "attempt_window_months": 7,
        }
    )
    first = evaluate([fail(T0)], EXAM, T0, policy)
    assert first.earliest == T0 + dt.timedelta(hours=37)
    assert first.window_ends == add_months(T0, 7)
    times = [T0, T0 + dt.timedelta(hours=37), T0 + dt.timedelta(hours=37, days=9)]
    second = evaluate(fails(times[:2]), EXAM, T0, policy)
    assert second.earliest == times[1] + dt.timedelta(days=9)
    third = evaluate(fails(times), EXAM, times[2], policy)
    assert third.status is Status.LIMIT_REACHED
    assert third.earliest == add_months(T0, 7)
    assert "37 hours" in first.explanation
    assert "9 days" in second.explanation
    assert "3 attempts" in third.explanation


# ------------------------------------------------------------------ add_months

ADD_MONTHS = {
    "31-jan-plus-1-common-year": ((2025, 1, 31), 1, (2025, 2, 28)),
    "31-jan-plus-1-leap-year": ((2024, 1, 31), 1, (2024, 2, 29)),
    "31-mar-plus-1": ((2025, 3, 31), 1, (2025, 4, 30)),
    "30-apr-plus-1": ((2025, 4, 30), 1, (2025, 5, 30)),
    "31-aug-plus-1": ((2025, 8, 31), 1, (2025, 9, 30)),
    "31-dec-plus-2": ((2025, 12, 31), 2, (2026, 2, 28)),
    "leap-day-plus-12": ((2024, 2, 29), 12, (2025, 2, 28)),
    "leap-day-plus-48": ((2024, 2, 29), 48, (2028, 2, 29)),
    "15-nov-plus-3-crosses-year": ((2025, 11, 15), 3, (2026, 2, 15)),
    "plus-0": ((2025, 5, 31), 0, (2025, 5, 31)),
    "31-mar-minus-1": ((2024, 3, 31), -1, (2024, 2, 29)),
    "15-jan-minus-1": ((2025, 1, 15), -1, (2024, 12, 15)),
    "28-feb-plus-12": ((2025, 2, 28), 12, (2026, 2, 28)),
}


@pytest.mark.parametrize(
    ("start", "months", "expected"), ADD_MONTHS.values(), ids=ADD_MONTHS.keys()
)
def test_add_months(
    start: tuple[int, int, int], months: int, expected: tuple[int, int, int]
) -> None:
    offset = dt.timezone(dt.timedelta(hours=-8))
    moment = dt.datetime(*start, 23, 59, 58, 123, tzinfo=offset)
    result = add_months(moment, months)
    assert (result.year, result.month, result.day) == expected
    assert (result.hour, result.minute, result.second, result.microsecond) == (23, 59, 58, 123)
    assert result.tzinfo is offset


def test_add_months_out_of_range() -> None:
    with pytest.raises(OverflowError):
        add_months(dt.datetime(9999, 6, 1, tzinfo=UTC), 12)


# ------------------------------------------------------------------ what_if


def test_what_if_first_failure() -> None:
    fail_at = T0 + dt.timedelta(days=3)
    result = what_if([], EXAM, T0, POLICY, fail_at)
    assert result.status is Status.WAITING
    assert result.earliest == fail_at + FIRST_WAIT
    assert result.attempts_in_window == 1
    assert result.explanation.startswith("If you fail on ")


def test_what_if_later_failure_does_not_touch_the_log() -> None:
    log = [fail(T0)]
    fail_at = T0 + FIRST_WAIT
    result = what_if(log, EXAM, T0, POLICY, fail_at)
    assert result.status is Status.WAITING
    assert result.earliest == fail_at + LATER_WAIT
    assert result.rule == "later-failure-wait"
    assert log == [fail(T0)]


def test_what_if_fifth_failure_hits_the_limit() -> None:
    result = what_if(fails(FULL[:-1]), EXAM, FULL[-2], POLICY, FULL[-1])
    assert result.status is Status.LIMIT_REACHED
    assert result.earliest == WINDOW_END


def test_what_if_in_the_past_is_evaluated_now() -> None:
    now = T0 + dt.timedelta(days=30)
    result = what_if([], EXAM, now, POLICY, T0)
    assert result.status is Status.ELIGIBLE
    assert result.earliest == T0 + FIRST_WAIT


def test_what_if_offset() -> None:
    fail_at = (T0 + dt.timedelta(days=3)).astimezone(OFFSETS["-08:00"])
    result = what_if([], EXAM, T0, POLICY, fail_at)
    assert result.earliest == T0 + dt.timedelta(days=3) + FIRST_WAIT
    assert result.earliest.utcoffset() == dt.timedelta(0)


@pytest.mark.parametrize(
    ("attempts", "exam", "fail_at", "status"),
    [
        pytest.param([fail(T0)], EXAM, T0 + FIRST_WAIT - SECOND, Status.WAITING, id="too-soon"),
        pytest.param([passed(T0)], EXAM, T0 + LATER_WAIT, Status.PASSED, id="after-pass"),
        pytest.param(fails(FULL), EXAM, WINDOW_END - SECOND, Status.LIMIT_REACHED, id="limit"),
        pytest.param([], RETIRING, RETIRES, Status.RETIRED, id="at-retirement"),
    ],
)
def test_what_if_not_allowed(
    attempts: list[Attempt], exam: Exam, fail_at: dt.datetime, status: Status
) -> None:
    with pytest.raises(AttemptNotAllowedError) as info:
        what_if(attempts, exam, T0, POLICY, fail_at)
    assert isinstance(info.value, ValueError)
    assert info.value.eligibility.status is status


@pytest.mark.parametrize(
    "fail_at",
    [pytest.param(T0, id="same-instant"), pytest.param(T0 - SECOND, id="before-last")],
)
def test_what_if_must_follow_the_log(fail_at: dt.datetime) -> None:
    with pytest.raises(ValueError, match="after your last logged attempt"):
        what_if([fail(T0)], EXAM, T0, POLICY, fail_at)


def test_what_if_rejects_naive() -> None:
    with pytest.raises(ValueError, match="aware"):
        what_if([], EXAM, T0, POLICY, dt.datetime(2026, 1, 1))


# ------------------------------------------------------------------ validate_log


def kinds(attempts: list[Attempt], exam: Exam = EXAM, now: dt.datetime = T0) -> list[str]:
    return [str(issue.kind) for issue in validate_log(attempts, exam, now, POLICY)]


LATE = T0 + dt.timedelta(days=800)

LOGS = {
    "empty": ([], EXAM, LATE, []),
    "valid-full-window": (fails(FULL), EXAM, LATE, []),
    "valid-next-window": ([*fails(FULL), fail(WINDOW_END)], EXAM, LATE, []),
    "valid-then-pass": ([fail(T0), passed(T0 + FIRST_WAIT)], EXAM, LATE, []),
    "too-soon-after-first": ([fail(T0), fail(T0 + FIRST_WAIT - SECOND)], EXAM, LATE, ["too_soon"]),
    "too-soon-after-second": (
        [*fails(chain(2)), fail(chain(3)[-1] - SECOND)],
        EXAM,
        LATE,
        ["too_soon"],
    ),
    "too-soon-across-window-end": (
        [*fails(chain(3)), fail(WINDOW_END - SECOND), fail(WINDOW_END)],
        EXAM,
        LATE,
        ["too_soon"],
    ),
    "duplicate": ([fail(T0), fail(T0)], EXAM, LATE, ["too_soon"]),
    "over-limit": ([*fails(FULL), fail(WINDOW_END - SECOND)], EXAM, LATE, ["over_limit"]),
    "after-retirement": ([fail(RETIRES)], RETIRING, LATE, ["after_retirement"]),
    "before-retirement": ([fail(RETIRES - SECOND)], RETIRING, LATE, []),
    "in-future": ([fail(T0 + SECOND)], EXAM, T0, ["in_future"]),
    "at-now": ([fail(T0)], EXAM, T0, []),
    "after-pass": ([passed(T0), fail(T0 + LATER_WAIT)], EXAM, LATE, ["after_pass"]),
    "several-kinds": (
        [passed(RETIRES - SECOND), fail(RETIRES + SECOND)],
        RETIRING,
        RETIRES,
        ["in_future", "after_retirement", "after_pass"],
    ),
}


@pytest.mark.parametrize(("attempts", "exam", "now", "expected"), LOGS.values(), ids=LOGS.keys())
def test_validate_log(
    attempts: list[Attempt], exam: Exam, now: dt.datetime, expected: list[str]
) -> None:
    assert kinds(attempts, exam, now) == expected
    assert kinds(list(reversed(attempts)), exam, now) == expected


def test_validate_log_issue_names_the_attempt() -> None:
    bad = fail(T0 + SECOND)
    issues = validate_log([fail(T0), bad], EXAM, LATE, POLICY)
    assert [(issue.attempt, issue.kind) for issue in issues] == [(bad, IssueKind.TOO_SOON)]
    assert "too soon" in issues[0].message


def test_every_issue_kind_is_covered() -> None:
    covered = {kind for *_, expected in LOGS.values() for kind in expected}
    assert covered == {str(kind) for kind in IssueKind}


def test_eligibility_is_frozen() -> None:
    result: Eligibility = evaluate([], EXAM, T0, POLICY)
    with pytest.raises(AttributeError):
        result.status = Status.PASSED  # type: ignore[misc]


def test_add_months_twelve_should_match_the_calendar_rule_every_day_for_thirty_years():
    """The 12-month fast path (365/366 days) against same-date-next-year, clamped."""
    start = dt.datetime(1999, 1, 1, 13, 45, 7, 123, tzinfo=dt.UTC)
    for offset in range(366 * 30):
        moment = start + dt.timedelta(days=offset)
        day = 28 if (moment.month, moment.day) == (2, 29) else moment.day
        assert add_months(moment, 12) == moment.replace(year=moment.year + 1, day=day), moment


@pytest.mark.parametrize("first_year", [1899, 1999, 2023, 2099])
def test_the_window_evaluate_computes_should_end_on_the_calendar_date_every_day(first_year):
    """evaluate() steps windows with its own inlined year arithmetic: it must agree with
    add_months every day across leap years and the non-leap centuries 1900 and 2100,
    at both ends of the day."""
    for clock in (dt.time(0, 0), dt.time(23, 59, 59, 999_999)):
        start = dt.datetime.combine(dt.date(first_year, 1, 1), clock, tzinfo=UTC)
        for offset in range(3 * 366):
            moment = start + dt.timedelta(days=offset)
            result = evaluate([fail(moment)], EXAM, moment + dt.timedelta(hours=1), POLICY)
            assert result.window_ends == add_months(moment, 12), moment
            # The window's end also decides where the next window opens.
            second = moment + dt.timedelta(days=400)
            log = [fail(moment), fail(second)]
            later = evaluate(log, EXAM, second + dt.timedelta(hours=1), POLICY)
            assert later.window_start == second, moment


def test_an_explanation_should_be_written_once_and_compare_as_text():
    log = fails(chain(2))
    first = evaluate(log, EXAM, T0 + dt.timedelta(days=3), POLICY)
    again = evaluate(list(reversed(log)), EXAM, T0 + dt.timedelta(days=3), POLICY)
    assert first.explanation is first.explanation  # kept, not rewritten
    assert first == again and hash(first) == hash(again)
    assert first.explanation in repr(first)
    other_exam = evaluate(log, Exam.uncatalogued("XY-999"), T0 + dt.timedelta(days=3), POLICY)
    assert other_exam != first  # same dates, different text


def test_a_fifth_attempt_taken_too_soon_should_not_undercut_the_pending_wait():
    """A 4th failure two days before the window ends starts a wait that runs past it; a
    5th attempt logged during that wait must not pull the date back to the window's end
    (logging one more failure never makes the answer earlier)."""
    fourth = WINDOW_END - dt.timedelta(days=2)
    log = fails([*chain(LIMIT - 2), fourth, WINDOW_END - dt.timedelta(hours=1)])

    result = evaluate(log, EXAM, WINDOW_END - dt.timedelta(minutes=30), POLICY)

    assert result.status is Status.LIMIT_REACHED
    assert result.earliest == fourth + LATER_WAIT
    assert "that wait still applies" in result.explanation
    kinds = [issue.kind for issue in validate_log(log, EXAM, result.earliest, POLICY)]
    assert kinds == [IssueKind.TOO_SOON]


def test_the_explanation_is_structured_so_each_surface_writes_its_own_dates():
    """Parts hold instants, not text: a surface renders them without parsing prose."""
    from knowledge.loader import load_knowledge
    from knowledge.rules import render_parts

    kb = load_knowledge()
    taken = dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.UTC)
    verdict = evaluate([Attempt(taken, AttemptResult.FAIL)], kb.exam("AI-103"),
                       taken + dt.timedelta(hours=1), kb.policy)  # fmt: skip
    instants = [p for p in verdict.text.parts if isinstance(p, dt.datetime)]
    assert taken in instants and verdict.earliest in instants
    assert verdict.explanation == render_parts(verdict.text.parts)  # default: ISO UTC
    assert "2026-11-26T10:00:00Z" in verdict.explanation
    local = verdict.explain(lambda moment: f"<{moment:%d %b %H:%M}>")
    assert "<26 Nov 10:00>" in local and "2026-11-26T10:00:00Z" not in local
