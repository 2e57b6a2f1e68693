"""Small talk is small talk: a greeting back, never a policy answer (issue 9, item 4)."""

from __future__ import annotations

import pytest

from knowledge.answers import SMALL_TALK
from knowledge.loader import load_knowledge
from knowledge.matcher import Matcher


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher(load_knowledge())


@pytest.mark.parametrize(
    "text",
    ["thanks bro 🙏", "cheers mate", "ty", "ty so much bro", "thank u very much",
     "appreciate it", "ok thanks", "thx a lot", "nice one, cheers", "tysm!!"],
)  # fmt: skip
def test_thanks_and_cheers_are_small_talk(matcher, text):
    result = matcher.match(text)
    assert result.entry_id is None and result.reason == SMALL_TALK, (text, result)


@pytest.mark.parametrize("text", ["i passed!!! 🎉🎉", "I just passed AZ-104!", "finally passed"])
def test_news_of_a_pass_is_small_talk_not_the_passing_score(matcher, text):
    result = matcher.match(text)
    assert result.entry_id is None and result.reason == SMALL_TALK, (text, result)


@pytest.mark.parametrize(
    ("text", "entry"),
    [("cheers, when can I retake AZ-104?", "my-eligibility"),
     ("i passed az-104, can i retake it for a better score", "retake-after-pass"),
     ("thanks, whats the passing score", "passing-score")],
)  # fmt: skip
def test_a_question_after_thanks_is_still_answered(matcher, text, entry):
    assert matcher.match(text).entry_id == entry
