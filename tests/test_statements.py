"""parse_attempt_statement: what counts as a member stating an attempt, and what doesn't."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from knowledge.statements import AttemptStatement, parse_attempt_statement

NOW = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC)  # a Thursday
UTC = ZoneInfo("UTC")
D = dt.date
T = dt.time


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("failed AI-103 yesterday", AttemptStatement("AI-103", "fail", D(2026, 11, 25))),
        ("I passed az-104 on 3 March", AttemptStatement("AZ-104", "pass", D(2026, 3, 3))),
        ("just failed ai102 today", AttemptStatement("AI-102", "fail", D(2026, 11, 26))),
        (
            "failed AI-103 on 2026-11-20 at 14:30",
            AttemptStatement("AI-103", "fail", D(2026, 11, 20), T(14, 30)),
        ),
        ("Passed AI-103 today!! 🎉", AttemptStatement("AI-103", "pass", D(2026, 11, 26))),
        ("I just passed AI 103", AttemptStatement("AI-103", "pass", D(2026, 11, 26))),
        ("I didn't pass AI-103 yesterday", AttemptStatement("AI-103", "fail", D(2026, 11, 25))),
        ("failed az-204 3 days ago", AttemptStatement("AZ-204", "fail", D(2026, 11, 23))),
        ("failed AZ-204 last Friday", AttemptStatement("AZ-204", "fail", D(2026, 11, 20))),
        ("bombed DP-100 on March 5th", AttemptStatement("DP-100", "fail", D(2026, 3, 5))),
        (
            "passed AI-103 on 20 Nov 2025 at 2:15pm",
            AttemptStatement("AI-103", "pass", D(2025, 11, 20), T(14, 15)),
        ),
        # "30 November" hasn't come yet this year: the most recent one is last year's.
        ("failed AI-103 on 30 November", AttemptStatement("AI-103", "fail", D(2025, 11, 30))),
        ("failed AI-103 at 700 yesterday", AttemptStatement("AI-103", "fail", D(2026, 11, 25))),
    ],
)
def test_should_recognise_attempt_statements(text, expected):
    assert parse_attempt_statement(text, NOW, UTC) == expected


@pytest.mark.parametrize(
    "text",
    [
        "what if I fail AI-103?",
        "If I fail AI-103 tomorrow, when can I retake?",
        "when can I retake AI-103 after I failed yesterday",
        "I failed AI-103",  # no day: not enough to offer a one-click log
        "haven't passed AI-103 yet",
        "I never failed AI-103 yesterday",
        "I failed to book AI-103 yesterday",
        "failed yesterday",  # no exam code
        "failed AI-103 and AZ-104 yesterday",  # two exams: ambiguous
        "passed AI-103 yesterday but failed AZ-104",  # two results
        "failed AI-103 on 2026-12-01",  # in the future
        "failed AI-103 today at 15:00",  # later today
        "failed AI-103 on 2026-02-30",  # not a date
        "hello there",
        "",
        "Should I take AI-103 if I failed AI-102 yesterday",
    ],
)
def test_should_return_none_when_text_states_no_attempt(text):
    assert parse_attempt_statement(text, NOW, UTC) is None


def test_should_read_today_and_yesterday_in_members_zone():
    late = dt.datetime(2026, 11, 26, 20, 0, tzinfo=dt.UTC)  # already 27 Nov in Tokyo
    statement = parse_attempt_statement("failed AI-103 yesterday", late, ZoneInfo("Asia/Tokyo"))
    assert statement is not None and statement.date == D(2026, 11, 26)


@given(st.text(max_size=200))
def test_should_never_raise_on_any_text(text):
    result = parse_attempt_statement(text, NOW, UTC)
    if result is not None:
        assert result.date <= NOW.date()
