"""Answer placeholders: numbers from the policy, facts from the catalog, wording from ``now``."""

from __future__ import annotations

import datetime as dt

import pytest

from knowledge.loader import load_knowledge
from knowledge.templating import UnknownPlaceholderError, placeholders, render

KB = load_knowledge()
RETIRES = KB.exams["AI-102"].retires_at
assert RETIRES is not None


def test_should_print_policy_numbers() -> None:
    text = render(
        "wait {policy.first_failure_wait_hours} h, then {policy.later_failure_wait_days} d",
        KB,
        RETIRES,
    )
    assert text == "wait 24 h, then 14 d"


def test_should_say_retires_before_and_retired_from_the_instant() -> None:
    template = "AI-102 {exam.AI-102.retirement}"
    before = render(template, KB, RETIRES - dt.timedelta(seconds=1))
    at = render(template, KB, RETIRES)

    assert before == "AI-102 retires on 30 June 2026 (11:59 PM US Central)"
    assert at == "AI-102 retired on 30 June 2026 (11:59 PM US Central)"


def test_should_accept_exam_codes_in_any_case() -> None:
    assert render("{exam.ai102.successor}", KB, RETIRES) == "AI-103"


def test_should_list_retirements_soonest_first() -> None:
    listing = render("{catalog.retirements}", KB, RETIRES).splitlines()

    codes = [line.split("**")[1] for line in listing]
    assert codes.index("MS-900") < codes.index("AI-102") < codes.index("MS-102")
    assert any("**AI-102** → AI-103: retired on 30 June 2026" in line for line in listing)


@pytest.mark.parametrize(
    "template",
    [
        "{policy.nope}",
        "{policy.sources}",
        "{exam.ZZ-999.title}",
        "{exam.AI-102.price}",
        "{exam.AI-103.retires_on}",  # AI-103 has no retirement date: nothing to print
        "{catalog.everything}",
    ],
)
def test_should_refuse_what_it_cannot_fill(template: str) -> None:
    with pytest.raises(UnknownPlaceholderError):
        render(template, KB, RETIRES)


def test_should_list_the_placeholders_of_a_text() -> None:
    assert placeholders("{policy.passing_score} and {exam.AI-102.title}") == [
        "policy.passing_score",
        "exam.AI-102.title",
    ]
