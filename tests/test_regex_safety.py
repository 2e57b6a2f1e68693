"""regex_problem: data-file patterns that would freeze the bot are refused, sane ones pass."""

from __future__ import annotations

import re

import pytest

from knowledge import regex_safety
from knowledge.answers import MAX_QUESTION_CHARS
from knowledge.loader import load_knowledge
from knowledge.regex_safety import PROBE_CHARS, regex_problem

SANE = [
    r"\bretake\b",
    r"\b(first|1st) (fail|failure|failed attempt)\b",
    r"\bfail\w*( (it|an exam|the exam|for|a|the|my))* (second|third) time\b",
    r"^\s*(hi|hello)\b",
    r"\b\d{3}\b",
    r"[a-z]+-\d+",
    r"(?: \w+)*$",  # each repetition starts with a space the \w+ cannot match
    r"(?:\d+,)*x",  # or ends with a comma
    r"(?i)(?:a[b-z]+)*!",  # in any case
    r"(?:\s+\w+)*+$",  # a possessive outer repeat never gives back what it matched
    r"(\w++\s?)+x",  # nor does a possessive inner one
    r"(?>a+)+$",
    r"\b(\w+) \1\b",
    r"(?=.*exam)(?=.*retake)",
]

# Shapes that backtrack catastrophically, refused without ever being run.
NESTED = [
    r"(a+)+$",
    r"(\w+\s?)+x",
    r"(a*)*b",
    r"^(\d+|\d)+$",
    r"([a-z]+)*$",
    r"(.*a){12}",  # a bounded repeat of an unbounded one: a 12th power of the length
    r"(\w+ ?){1,30}x",
    r"(?=(a+)+b)",
    r"(?:(?:a+)+)*+",  # possessive outside, nested inside
    r"(?i)(?:A[a-z]+)*!",  # the A is an a when case is ignored
    r"(?: [\w ]+)*!",  # the space starts a repetition, and the repeat matches it too
]

# Slow without nested unbounded repeats: found by the timed probes.
SLOW = [
    r"(a|aa)+$",
    r"(?:x|xx)+y",
    r"(a{1,2})+$",
    r"\w*\w*\w*\w*\w*x",
]


def test_probes_should_be_as_long_as_the_longest_question() -> None:
    assert PROBE_CHARS == MAX_QUESTION_CHARS


@pytest.mark.parametrize("pattern", SANE)
def test_should_accept_a_sane_pattern(pattern: str) -> None:
    assert regex_problem(pattern) is None


def test_should_accept_every_shipped_signal() -> None:
    signals = [s for e in load_knowledge().entries.values() for s in e.signals]

    assert signals
    assert [s for s in signals if regex_problem(s) is not None] == []


def test_should_name_a_pattern_that_does_not_compile() -> None:
    problem = regex_problem("(unclosed")

    assert problem is not None
    assert problem.startswith("is not a valid regular expression: missing )")


@pytest.mark.parametrize("pattern", NESTED)
def test_should_refuse_nested_repeats_without_running_them(
    pattern: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def never(*_: object) -> None:
        raise AssertionError("a nested pattern must be refused before it is timed")

    monkeypatch.setattr(regex_safety, "_slow_pump", never)
    regex_safety._cached_problem.cache_clear()
    monkeypatch.setattr(regex_safety, "_VERDICTS", {})  # no remembered verdicts either

    problem = regex_problem(pattern)

    assert problem is not None
    assert problem.startswith("repeats a group that contains an unbounded repeat")


@pytest.mark.parametrize("pattern", SLOW)
def test_should_refuse_a_pattern_that_is_slow_on_a_long_question(pattern: str) -> None:
    problem = regex_problem(pattern)

    assert problem is not None
    assert re.match(r"takes over 50 ms on a \d+-character question", problem), problem


@pytest.mark.parametrize("pattern", SANE + NESTED + SLOW)
def test_probe_texts_should_never_be_longer_than_a_question(pattern: str) -> None:
    tree = regex_safety._plain(regex_safety._parser.parse(pattern))

    for prefix, body, _most in regex_safety._pumps(tree):
        assert len(prefix) <= PROBE_CHARS
        assert body


def test_should_stop_at_the_first_slow_search(monkeypatch: pytest.MonkeyPatch) -> None:
    """A pathological pattern is run only until one search goes over the budget (twice,
    to rule out a pause of the machine), never all the way to 500 characters."""
    searched: list[int] = []

    class Spy:
        def __init__(self, compiled: re.Pattern[str]) -> None:
            self.compiled = compiled

        def search(self, text: str) -> re.Match[str] | None:
            searched.append(len(text))
            return self.compiled.search(text)

    real_slow_pump = regex_safety._slow_pump

    def spying(compiled: re.Pattern[str], pumped: tuple[str, str, int], degree: int) -> str | None:
        return real_slow_pump(Spy(compiled), pumped, degree)  # type: ignore[arg-type]

    monkeypatch.setattr(regex_safety, "_slow_pump", spying)
    regex_safety._cached_problem.cache_clear()
    monkeypatch.setattr(regex_safety, "_VERDICTS", {})  # no remembered verdicts either

    problem = regex_problem(r"(a|aa)+$")

    assert problem is not None
    assert max(searched) < PROBE_CHARS
    assert searched == sorted(searched)  # short texts first
