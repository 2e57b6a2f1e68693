"""bot/taught.py: which questions a taught question captures, and which it leaves alone."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.taught import (
    OFF_TOPIC,
    TaughtIndex,
    TaughtQuestion,
    TaughtQuestionError,
    clean_taught_question,
    question_key,
)

AT = dt.datetime(2026, 11, 26, tzinfo=dt.UTC)


def _row(question: str, entry_id: str) -> TaughtQuestion:
    return TaughtQuestion(5000, question_key(question), question, entry_id, 1, AT)


def _index(*pairs: tuple[str, str]) -> TaughtIndex:
    return TaughtIndex(_row(q, e) for q, e in pairs)


@pytest.mark.parametrize(
    "asked",
    [
        "pearson thingy fee?",
        "what is the pearson thingy fee",  # words added (the example)
        "Pearson THINGY fee",
        "how much is the pearson thingy fee please",
        "pearson thingy",  # a word dropped
    ],
)
def test_a_taught_question_should_capture_close_rephrasings(asked: str) -> None:
    index = _index(("pearson thingy fee?", "exam-price"))

    found = index.match(asked)

    assert found is not None and found.entry_id == "exam-price"


@pytest.mark.parametrize(
    "asked",
    [
        "when can I retake AI-102?",
        "what is the passing score",
        "pearson",  # too little of it left
        "is the pearson thingy fee refundable if my exam was cancelled by the centre",
    ],
)
def test_a_taught_question_should_leave_unrelated_questions_alone(asked: str) -> None:
    assert _index(("pearson thingy fee?", "exam-price")).match(asked) is None


def test_a_one_word_taught_question_should_not_capture_every_question_using_it() -> None:
    index = _index(("voucher?", "vouchers"))

    assert index.match("voucher") is not None
    assert index.match("voucher expired") is not None  # one word added
    assert index.match("my voucher expired yesterday") is None


def test_exam_codes_should_stay_apart() -> None:
    index = _index(("ai102 lab fee", "exam-price"))

    assert index.match("AI-102 lab fee") is not None
    assert index.match("AZ-104 lab fee") is None


def test_the_same_words_should_win_over_a_close_rephrasing() -> None:
    index = _index(("pearson fee", "exam-price"), ("pearson fee refund", "refund"))

    assert index.match("the pearson fee refund?").entry_id == "refund"  # type: ignore[union-attr]
    assert index.match("pearson fee").entry_id == "exam-price"  # type: ignore[union-attr]


def test_a_taught_entry_that_no_longer_exists_should_be_skipped() -> None:
    index = _index(("pearson thingy fee", "gone-entry"), ("is it raining", OFF_TOPIC))

    assert index.match("pearson thingy fee", known={"exam-price"}) is None
    assert index.match("is it raining", known={"exam-price"}) is not None


def test_wordings_with_the_same_words_should_share_one_key() -> None:
    assert question_key("Pearson fee?") == question_key("the pearson fee")
    assert question_key("pearson fee") != question_key("pearson refund")


@pytest.mark.parametrize(
    ("text", "says"),
    [("", "type a question"), ("   ", "type a question"), ("x" * 5000, "5,000 characters"),
     ("?!?", "in words"), ("what is it", "no words I could recognise")],
)  # fmt: skip
def test_unusable_questions_should_be_refused_with_a_reason(text: str, says: str) -> None:
    with pytest.raises(TaughtQuestionError, match=says):
        clean_taught_question(text)
