"""Answers name the exam the member asked about, not just the one the entry was written for."""

from __future__ import annotations

import datetime as dt

from knowledge.answers import exam_notes
from knowledge.loader import load_knowledge

KB = load_knowledge()
NOW = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC)
RETIREMENT = KB.entries["retirement"]  # written about AI-102
POLICY_ENTRY = KB.entries["retake-first-wait"]  # general policy, no exam


def test_should_give_another_exams_own_retirement_on_an_exam_specific_entry() -> None:
    notes = exam_notes(KB, "when does az500 retire", RETIREMENT, "", NOW)

    assert notes.startswith(
        "**AZ-500** (Microsoft Azure Security Technologies) retired on 31 August 2026"
    )
    assert "successor is **SC-500**" in notes


def test_should_say_retires_before_the_date() -> None:
    before = dt.datetime(2026, 8, 1, tzinfo=dt.UTC)

    notes = exam_notes(KB, "when does AZ-500 retire", RETIREMENT, "", before)

    assert "retires on 31 August 2026" in notes
    assert "can no longer be taken" not in notes


def test_should_add_nothing_for_the_exam_the_entry_is_about() -> None:
    assert exam_notes(KB, "when does ai102 retire", RETIREMENT, "", NOW) == ""


def test_should_be_honest_about_an_uncatalogued_exam_on_an_exam_specific_entry() -> None:
    notes = exam_notes(KB, "when does az-220 retire", RETIREMENT, "", NOW)

    assert notes == (
        "**AZ-220** isn't in my catalog, so I can't give its own details; what follows is "
        "about AI-102."
    )


def test_should_flag_a_retired_exam_on_a_general_policy_answer() -> None:
    notes = exam_notes(KB, "how long after failing dp-100 can I resit", POLICY_ENTRY, "", NOW)

    assert "**DP-100**" in notes and "can no longer be taken" in notes


def test_should_stay_quiet_on_general_policy_for_a_current_exam() -> None:
    assert exam_notes(KB, "how long after failing az-104 can I resit", POLICY_ENTRY, "", NOW) == ""
    assert exam_notes(KB, "how long after failing ai-103 can I resit", POLICY_ENTRY, "", NOW) == ""


def test_should_list_each_named_exam_once_in_order() -> None:
    notes = exam_notes(KB, "dp100 and az500 and DP-100 retirement?", RETIREMENT, "", NOW)

    lines = notes.splitlines()
    assert [line.split("**")[1] for line in lines] == ["DP-100", "AZ-500"]
