"""Entries whose facts hold for their own exams only (AI-103's skills outline) do not
answer the same question about another exam: the member hears "I have that only for
AI-102 and AI-103" and gets the asked exam's study guide, never AI-103's outline as if
it were AZ-104's. Entries with a catalog field (length, languages) give the asked
exam's own value first."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError

from knowledge.answers import answer_question, exam_field_line
from knowledge.help_pages import help_page_for
from knowledge.loader import load_knowledge
from knowledge.matcher import NOT_COVERED, Matcher
from knowledge.models import FaqEntry

KB = load_knowledge()
NOW = dt.datetime(2026, 12, 2, 12, tzinfo=dt.UTC)
STUDY_GUIDE = "https://learn.microsoft.com/en-us/credentials/certifications/resources/study-guides/"


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher(KB)


@pytest.mark.parametrize(
    "question", ["az-104 skills measured?", "what topics does the az-305 exam cover"]
)
def test_another_exams_outline_is_not_covered(matcher, question):
    result = matcher.match(question)
    assert result.entry_id is None and result.reason == NOT_COVERED, result
    assert result.only_for == ("AI-102", "AI-103")
    assert result.top is not None and result.top.entry_id == "skills-measured"


@pytest.mark.parametrize(
    "question", ["ai-103 skills measured?", "what topics does AI-103 cover compared with az-104"]
)
def test_its_own_exams_outline_is_answered(matcher, question):
    assert matcher.match(question).entry_id == "skills-measured"


def test_the_asked_exams_catalog_languages_answer(matcher):
    dp700 = KB.exams["DP-700"]
    assert dp700.languages, "the test needs an exam whose catalog lists languages"
    answer = answer_question(KB, matcher, "what languages is the dp-700 exam offered in", NOW)
    assert answer.entry_id == "exam-languages"
    assert answer.text is not None
    assert answer.text.startswith(f"**DP-700** ({dp700.title}) is offered in {dp700.languages[0]}")


def test_languages_of_an_exam_the_catalog_has_none_for_are_not_covered(matcher):
    assert not KB.exams["AZ-104"].languages
    answer = answer_question(KB, matcher, "what languages is az-104 offered in", NOW)
    assert answer.entry is None and answer.reason == NOT_COVERED
    assert answer.only_for == ("AI-102", "AI-103")
    assert answer.uncovered_topic == "exam-languages"


def test_the_help_page_for_an_uncovered_topic_is_the_asked_exams_study_guide():
    # No help-page word in the question: the topic alone chooses the page.
    question = "is bicep on AZ-104"
    assert help_page_for(KB, question) is None
    pointer = help_page_for(KB, question, "skills-measured")
    assert pointer is not None and pointer.url == STUDY_GUIDE + "az-104"


def test_the_asked_exams_length_comes_first(matcher):
    answer = answer_question(KB, matcher, "how long is the az-900 exam", NOW)
    assert answer.entry_id == "exam-duration"
    assert answer.text is not None
    assert answer.text.startswith("**AZ-900** (Microsoft Azure Fundamentals) lasts **45 minutes**")


def test_a_missing_length_is_said_not_guessed():
    exam = KB.exams["AZ-104"]
    assert exam.duration_minutes is None
    line = exam_field_line(exam, "duration_minutes", NOW)
    assert line is not None and line.startswith("My catalog has no confirmed length for **AZ-104**")
    assert exam_field_line(exam, None, NOW) is None


def test_a_scope_needs_the_entrys_exams():
    entry = KB.entries["passing-score"].model_dump()
    with pytest.raises(ValidationError, match="need the entry's exams"):
        FaqEntry.model_validate({**entry, "only_its_exams": True})
    with pytest.raises(ValidationError, match="exam_field"):
        FaqEntry.model_validate({**entry, "exams": ["AI-103"], "exam_field": "price"})
