import datetime as dt

import pytest

from knowledge.answers import (
    MAX_QUESTION_CHARS,
    Answer,
    InvalidQuestionError,
    answer_question,
    clean_question,
)
from knowledge.loader import load_knowledge
from knowledge.matcher import Matcher

NOW = dt.datetime(2026, 11, 26, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def kb():
    return load_knowledge()


@pytest.fixture(scope="module")
def matcher(kb):
    return Matcher(kb)


def test_clean_question_collapses_whitespace_and_strips_controls():
    assert clean_question("  when\x00 can\t\n I   retake\u200b ") == "when can I retake"


@pytest.mark.parametrize(
    "text", ["", "   ", "\n\t", "🙂🙂🙂", "?!...", "x" * (MAX_QUESTION_CHARS + 1)]
)
def test_clean_question_rejects_bad_input(text):
    with pytest.raises(InvalidQuestionError) as info:
        clean_question(text)
    assert str(info.value)


def test_answer_renders_placeholders(kb, matcher):
    answer = answer_question(kb, matcher, "what's the pass mark", NOW)
    assert answer.entry is not None and answer.entry.id == "passing-score"
    assert answer.text and "{" not in answer.text
    assert str(kb.policy.passing_score) in answer.text


def test_abstention_has_no_text(kb, matcher):
    answer = answer_question(kb, matcher, "what is the AWS retake policy", NOW)
    assert answer.entry is None and answer.text is None
    assert answer.to_json() == {"entry_id": None, "confidence": 0.0, "answer": None,
                                "suggestions": []}


def test_personal_entry_returns_fallback_text(kb, matcher):
    answer = answer_question(kb, matcher, "when can I retake", NOW)
    assert answer.entry is not None and answer.entry.personal
    assert answer.text


def test_retirement_wording_follows_now(kb, matcher):
    june, july = dt.datetime(2026, 6, 1, tzinfo=dt.UTC), dt.datetime(2026, 7, 2, tzinfo=dt.UTC)
    before = answer_question(kb, matcher, "is ai-102 retiring", june)
    after = answer_question(kb, matcher, "is ai-102 retiring", july)
    assert "retires on" in (before.text or "")
    assert "retired on" in (after.text or "")


def test_to_json_shape(kb, matcher):
    data = answer_question(kb, matcher, "how much does a resit cost", NOW).to_json()
    assert set(data) == {"entry_id", "confidence", "answer", "suggestions"}
    assert isinstance(Answer(None, 0.0, None).to_json()["suggestions"], list)


def test_naive_now_rejected(kb, matcher):
    with pytest.raises(ValueError):
        answer_question(kb, matcher, "retake cost", dt.datetime(2026, 1, 1))


def test_should_say_no_retirement_is_announced_as_of_a_date_for_an_active_exam(kb, matcher):
    answer = answer_question(kb, matcher, "When does AZ-104 retire?", NOW)

    assert answer.text is not None
    assert "**AZ-104** (Microsoft Azure Administrator) has no retirement announced as of " in (
        answer.text
    )
    day = kb.exams["AZ-104"].last_verified
    assert f"as of {day.day} {day:%B %Y}" in answer.text
