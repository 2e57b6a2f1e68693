"""Property tests for the retake rules engine, and FAQ text ↔ engine agreement."""

from __future__ import annotations

import datetime as dt
import functools
import re
import tomllib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from knowledge.loader import DATA_DIR
from knowledge.models import Exam, KnowledgeBase, Policy
from knowledge.rules import (
    Attempt,
    AttemptResult,
    Status,
    add_months,
    evaluate,
    validate_log,
    what_if,
)

UTC = dt.UTC
POLICY = Policy.model_validate(tomllib.loads((DATA_DIR / "policy.toml").read_text("utf-8")))
BASE = dt.datetime(2024, 1, 1, tzinfo=UTC)
SPAN_SECONDS = 4 * 366 * 24 * 3600
RETIRING = Exam(code="ZZ-102", retires_at=BASE + dt.timedelta(days=800))
EXAMS = st.sampled_from([Exam.uncatalogued("AB-123"), RETIRING])

offsets = st.integers(min_value=-14 * 60, max_value=14 * 60).map(
    lambda minutes: dt.timezone(dt.timedelta(minutes=minutes))
)
instants = st.integers(min_value=0, max_value=SPAN_SECONDS).map(
    lambda seconds: BASE + dt.timedelta(seconds=seconds)
)
# Attempts cluster (retakes come days apart), so mix small and large gaps.
gaps = st.one_of(
    st.integers(min_value=0, max_value=3 * 24 * 3600),
    st.integers(min_value=0, max_value=40 * 24 * 3600),
    st.integers(min_value=0, max_value=400 * 24 * 3600),
)


@st.composite
def failed_logs(draw: st.DrawFn, max_size: int = 12) -> list[Attempt]:
    start = draw(instants)
    steps = draw(st.lists(gaps, max_size=max_size - 1))
    times = [start]
    for step in steps:
        times.append(times[-1] + dt.timedelta(seconds=step))
    return [Attempt(t, AttemptResult.FAIL) for t in times]


@st.composite
def mixed_logs(draw: st.DrawFn) -> list[Attempt]:
    log = draw(st.one_of(st.just([]), failed_logs()))
    results = draw(
        st.lists(
            st.sampled_from([AttemptResult.FAIL] * 5 + [AttemptResult.PASS]),
            min_size=len(log),
            max_size=len(log),
        )
    )
    return [Attempt(a.taken_at, r) for a, r in zip(log, results, strict=True)]


nows = st.integers(min_value=0, max_value=SPAN_SECONDS + 400 * 24 * 3600).map(
    lambda seconds: BASE + dt.timedelta(seconds=seconds)
)
FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(log=failed_logs(), now=nows, exam=EXAMS)
def test_earliest_is_never_before_the_last_attempt(
    log: list[Attempt], now: dt.datetime, exam: Exam
) -> None:
    result = evaluate(log, exam, now, POLICY)
    if result.earliest is not None:
        assert result.earliest > max(a.taken_at for a in log)


@FAST
@given(log=failed_logs(), now=nows, gap=st.integers(min_value=1, max_value=400 * 24 * 3600))
def test_a_later_failure_in_the_same_window_never_moves_earliest_earlier(
    log: list[Attempt], now: dt.datetime, gap: int
) -> None:
    exam = Exam.uncatalogued("AB-123")
    before = evaluate(log, exam, now, POLICY)
    assert before.earliest is not None
    last = max(a.taken_at for a in log)
    added = last + dt.timedelta(seconds=gap)
    # Look at the window as it stood when the last attempt was taken.
    window = evaluate(log, exam, last, POLICY)
    if window.window_ends is not None and added >= window.window_ends:
        added = window.window_ends - dt.timedelta(seconds=1)
    if added <= last:
        return
    after = evaluate([*log, Attempt(added, AttemptResult.FAIL)], exam, now, POLICY)
    assert after.earliest is not None
    assert after.earliest >= before.earliest


@FAST
@given(log=failed_logs(), now=nows, exam=EXAMS, extra=st.integers(0, 30 * 24 * 3600))
def test_an_allowed_later_failure_never_moves_earliest_earlier(
    log: list[Attempt], now: dt.datetime, exam: Exam, extra: int
) -> None:
    before = evaluate(log, exam, now, POLICY)
    if before.status is Status.RETIRED:
        return
    assert before.earliest is not None
    fail_at = before.earliest + dt.timedelta(seconds=extra)
    if exam.retires_at is not None and fail_at >= exam.retires_at:
        return
    after = what_if(log, exam, now, POLICY, fail_at)
    assert after.earliest is not None
    assert after.earliest > before.earliest
    # what_if is exactly "evaluate with one more failed attempt".
    added = evaluate([*log, Attempt(fail_at, AttemptResult.FAIL)], exam, max(now, fail_at), POLICY)
    assert (after.status, after.earliest, after.attempts_in_window) == (
        added.status,
        added.earliest,
        added.attempts_in_window,
    )


@FAST
@given(data=st.data(), log=mixed_logs(), now=nows, exam=EXAMS)
def test_input_order_does_not_matter(
    data: st.DataObject, log: list[Attempt], now: dt.datetime, exam: Exam
) -> None:
    shuffled = data.draw(st.permutations(log))
    assert evaluate(shuffled, exam, now, POLICY) == evaluate(log, exam, now, POLICY)
    assert {(i.attempt, i.kind) for i in validate_log(shuffled, exam, now, POLICY)} == {
        (i.attempt, i.kind) for i in validate_log(log, exam, now, POLICY)
    }


@FAST
@given(data=st.data(), log=mixed_logs(), now=nows, exam=EXAMS, now_offset=offsets)
def test_offsets_do_not_change_the_result(
    data: st.DataObject, log: list[Attempt], now: dt.datetime, exam: Exam, now_offset: dt.tzinfo
) -> None:
    shifted = [Attempt(a.taken_at.astimezone(data.draw(offsets)), a.result) for a in log]
    expected = evaluate(log, exam, now, POLICY)
    assert evaluate(shifted, exam, now.astimezone(now_offset), POLICY) == expected
    assert [i.kind for i in validate_log(shifted, exam, now, POLICY)] == [
        i.kind for i in validate_log(log, exam, now, POLICY)
    ]


@FAST
@given(log=mixed_logs(), now=nows, exam=EXAMS)
def test_status_invariants(log: list[Attempt], now: dt.datetime, exam: Exam) -> None:
    result = evaluate(log, exam, now, POLICY)
    if any(a.result is AttemptResult.PASS for a in log):
        assert result.status is Status.PASSED
    if result.status in (Status.PASSED, Status.RETIRED) or not log:
        assert result.earliest is None
    if result.status in (Status.WAITING, Status.LIMIT_REACHED, Status.RETIRES_FIRST):
        assert result.earliest is not None and now < result.earliest
    if result.status is Status.ELIGIBLE and result.earliest is not None:
        assert now >= result.earliest
    assert 0 <= result.attempts_in_window <= len(log)
    assert (result.window_start is None) == (result.window_ends is None)
    if result.window_start is not None:
        assert result.window_ends == add_months(result.window_start, POLICY.attempt_window_months)
        assert result.window_start <= now < result.window_ends or now < result.window_start


@FAST
@given(log=failed_logs(max_size=8), exam=EXAMS)
def test_a_log_the_engine_allows_step_by_step_is_valid(log: list[Attempt], exam: Exam) -> None:
    """Replaying a log built only from allowed instants gives no issues."""
    replay: list[Attempt] = []
    for attempt in log:
        state = evaluate(replay, exam, attempt.taken_at, POLICY)
        taken = (
            attempt.taken_at if state.earliest is None else max(attempt.taken_at, state.earliest)
        )
        if exam.retires_at is not None and taken >= exam.retires_at:
            break
        replay.append(Attempt(taken, AttemptResult.FAIL))
    assert validate_log(replay, exam, BASE + dt.timedelta(days=4000), POLICY) == []


# ------------------------------------------------------------- FAQ text ↔ engine

FAQ_PARAMETERS = {
    "retake-first-wait": {"first_failure_wait_hours": "hour"},
    "retake-later-waits": {"later_failure_wait_days": "day"},
    "attempt-limit": {"max_attempts_per_window": "", "attempt_window_months": "month"},
}


@functools.cache
def _kb() -> KnowledgeBase:
    from knowledge.loader import load_knowledge

    return load_knowledge()


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return _kb()


def _render(kb: KnowledgeBase, entry_id: str, policy: Policy) -> str:
    from knowledge.templating import render

    if entry_id not in kb.entries:
        pytest.skip(f"FAQ entry {entry_id} not written yet")
    return render(kb.entries[entry_id].answer, kb.model_copy(update={"policy": policy}), BASE)


def _mentions(text: str, number: int) -> bool:
    return re.search(rf"(?<![\d.]){number}(?![\d.])", text) is not None


def _engine_numbers(policy: Policy) -> dict[str, int]:
    """The numbers the engine actually applies, measured, not read from the policy.

    Needs ``max_attempts_per_window >= 3`` so that a later-failure wait is observable."""
    exam = Exam.uncatalogued("AB-123")
    second = dt.timedelta(seconds=1)

    def fails(count: int) -> list[Attempt]:
        return [Attempt(BASE + i * second, AttemptResult.FAIL) for i in range(count)]

    first = evaluate(fails(1), exam, BASE, policy)
    assert first.earliest is not None and first.window_ends is not None
    later = evaluate(fails(2), exam, BASE, policy)
    assert later.earliest is not None
    count = 1
    while evaluate(fails(count), exam, BASE, policy).status is not Status.LIMIT_REACHED:
        count += 1
        assert count <= 100
    end = first.window_ends
    return {
        "first_failure_wait_hours": int((first.earliest - BASE) / dt.timedelta(hours=1)),
        "later_failure_wait_days": int((later.earliest - BASE - second) / dt.timedelta(days=1)),
        "max_attempts_per_window": count,
        "attempt_window_months": (end.year - BASE.year) * 12 + end.month - BASE.month,
    }


def test_the_engine_applies_the_policy_file(kb: KnowledgeBase) -> None:
    measured = _engine_numbers(kb.policy)
    assert measured == {name: getattr(kb.policy, name) for name in measured}


@pytest.mark.parametrize("entry_id", FAQ_PARAMETERS)
def test_faq_answer_shows_the_numbers_the_engine_uses(kb: KnowledgeBase, entry_id: str) -> None:
    text = _render(kb, entry_id, kb.policy)
    measured = _engine_numbers(kb.policy)
    for name in FAQ_PARAMETERS[entry_id]:
        assert _mentions(text, measured[name]), f"{entry_id} does not say {measured[name]}"


@settings(max_examples=60, deadline=None)
@given(
    hours=st.integers(1, 200),
    days=st.integers(1, 60),
    attempts=st.integers(3, 9),
    months=st.integers(1, 36),
)
def test_faq_and_engine_follow_a_changed_policy(
    hours: int, days: int, attempts: int, months: int
) -> None:
    kb = _kb()
    policy = kb.policy.model_copy(
        update={
            "first_failure_wait_hours": hours,
            "later_failure_wait_days": days,
            "max_attempts_per_window": attempts,
            "attempt_window_months": months,
        }
    )
    measured = _engine_numbers(policy)
    assert measured == {
        "first_failure_wait_hours": hours,
        "later_failure_wait_days": days,
        "max_attempts_per_window": attempts,
        "attempt_window_months": months,
    }
    original = kb.policy
    for entry_id, parameters in FAQ_PARAMETERS.items():
        text = _render(kb, entry_id, policy)
        for name, unit in parameters.items():
            assert _mentions(text, measured[name]), f"{entry_id} does not follow {name}"
            old = getattr(original, name)
            if unit and old != measured[name]:
                # A typed-in number would survive the change: "24 hours" after hours=37.
                assert not re.search(rf"(?<!\d){old}[ -]{unit}", text), (
                    f"{entry_id} still says '{old} {unit}' after {name} changed"
                )
