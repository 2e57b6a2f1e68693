"""Content checks on the real knowledge base and the evaluation set.

The loader already validates shapes; these tests hold the *content* to its promises:
every required question has an entry, every policy number reaches an answer through a
placeholder (so ``policy.toml`` and the rules engine can never disagree with the text),
answers fit Discord at any date, and the evaluation set is well formed and honest
(no question is a copy of a phrasing the matcher was given).
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections import Counter
from pathlib import Path

import pytest

from knowledge.loader import load_knowledge
from knowledge.models import MAX_ANSWER_CHARS, KnowledgeBase
from knowledge.templating import render

EVAL_FILE = Path(__file__).resolve().parents[1] / "eval" / "questions.tsv"

REQUIRED_IDS = (
    "passing-score",
    "scaled-scoring",
    "question-types",
    "partial-credit",
    "no-negative-marking",
    "unscored-questions",
    "score-report",
    "retake-first-wait",
    "retake-later-waits",
    "attempt-limit",
    "retake-after-pass",
    "retake-cost",
    "waiver",
    "refund",
    "retake-strategy",
    "exam-format",
    "skills-measured",
    "practice-assessment",
    "retirement",
    "successor-exam",
    "renewal",
    "reschedule",
    "my-eligibility",
    "help",
)

HELP_COMMANDS = (
    "/ask",
    "/attempt log",
    "/attempt list",
    "/attempt delete",
    "/eligibility",
    "/remind",
    "/exam",
    "/settings timezone",
    "/mydata export",
    "/mydata forget",
    "/help",
)

# Which placeholders an entry must use, so its rendered answer prints the policy value.
REQUIRED_PLACEHOLDERS = {
    "passing-score": ("policy.passing_score", "policy.score_min", "policy.score_max"),
    "scaled-scoring": ("policy.passing_score", "policy.score_max"),
    "retake-first-wait": ("policy.first_failure_wait_hours",),
    "retake-later-waits": ("policy.later_failure_wait_days", "policy.max_attempts_per_window"),
    "attempt-limit": ("policy.max_attempts_per_window", "policy.attempt_window_months"),
    "my-eligibility": (
        "policy.first_failure_wait_hours",
        "policy.later_failure_wait_days",
        "policy.max_attempts_per_window",
        "policy.attempt_window_months",
    ),
    "reschedule": ("policy.reschedule_cutoff_hours",),
    "renewal": ("policy.renewal_window_months", "policy.certification_validity_years"),
    "certification-validity": ("policy.certification_validity_years",),
    "retirement": ("exam.AI-102.retirement", "exam.AI-102.successor"),
    "successor-exam": ("exam.AI-102.successor", "exam.AI-103.title"),
}

NUMBER_WORDS = {
    1: "one",
    2: "two",
    3: "three",
    4: "four",
    5: "five",
    6: "six",
    7: "seven",
    8: "eight",
    9: "nine",
    10: "ten",
    11: "eleven",
    12: "twelve",
    14: "fourteen",
    24: "twenty-four",
}

TODAY = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC)
BEFORE_AI_102 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
MIN_EVAL_IN_SCOPE = 300
MIN_EVAL_OUT_OF_SCOPE = 80
MIN_EVAL_PER_REQUIRED_ENTRY = 6
MIN_REPORT_IN_SCOPE = 250
MIN_REPORT_OUT_OF_SCOPE = 60


def _normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip().lower())


def _spelled(value: int) -> str:
    """The digits, or the digits or the English word, as a regex alternative."""
    word = NUMBER_WORDS.get(value)
    return f"(?:{value}|{word})" if word else str(value)


def _with_unit(value: int, unit: str) -> str:
    """``24 hours``, ``14-day``, ``five attempts``: a number followed by its unit."""
    return rf"\b{_spelled(value)}\s*-?\s*{unit}\b"


def _literal_policy_patterns(kb: KnowledgeBase) -> dict[str, re.Pattern[str]]:
    """Patterns that would mean a policy number was typed into an answer.

    Numbers are only flagged together with their unit ("24 hours", "14-day", "five
    attempts", "12 months", "700"), so unrelated numbers such as "30 minutes" or "15
    calendar days" stay allowed.
    """
    p = kb.policy
    hours, days, months, years = r"(?:h|hrs?|hours?)", "days?", "months?", "years?"
    tries = r"(?:attempts|times|tries|retakes)"
    score = r"(?<![\d,.]){}(?![\d,])"
    patterns = {
        "first_failure_wait_hours": _with_unit(p.first_failure_wait_hours, hours),
        "later_failure_wait_days": _with_unit(p.later_failure_wait_days, days),
        "max_attempts_per_window": _with_unit(p.max_attempts_per_window, tries),
        "attempt_window_months": _with_unit(p.attempt_window_months, months),
        "reschedule_cutoff_hours": _with_unit(p.reschedule_cutoff_hours, hours),
        "certification_validity_years": _with_unit(p.certification_validity_years, years),
        "renewal_window_months": _with_unit(p.renewal_window_months, months),
        "passing_score": score.format(p.passing_score),
        "score_max": score.format(f"(?:{p.score_max}|{p.score_max:,})"),
    }
    return {name: re.compile(pattern, re.IGNORECASE) for name, pattern in patterns.items()}


def _instants_around_every_retirement(kb: KnowledgeBase) -> list[dt.datetime]:
    instants = {TODAY, BEFORE_AI_102}
    for exam in kb.exams.values():
        if exam.retires_at is not None:
            instants.add(exam.retires_at - dt.timedelta(minutes=1))
            instants.add(exam.retires_at)
    return sorted(instants)


def _read_eval() -> list[dict[str, str]]:
    with EVAL_FILE.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_knowledge()


@pytest.fixture(scope="module")
def eval_rows() -> list[dict[str, str]]:
    return _read_eval()


# --- the knowledge base ---------------------------------------------------------------


@pytest.mark.parametrize("entry_id", REQUIRED_IDS)
def test_should_have_an_entry_for_every_required_question(kb, entry_id):
    assert entry_id in kb.entries


def test_should_give_every_entry_at_least_eight_distinct_phrasings(kb):
    for entry in kb.entries.values():
        distinct = {_normalise(p) for p in entry.phrasings}
        assert len(distinct) >= 8, f"{entry.id} has {len(distinct)} distinct phrasings"


def test_should_not_share_a_phrasing_between_two_entries(kb):
    owners: dict[str, str] = {}
    for entry in kb.entries.values():
        for phrasing in (*entry.phrasings, *entry.examples):
            key = _normalise(phrasing)
            assert owners.setdefault(key, entry.id) == entry.id, (
                f"'{phrasing}' is in both {owners[key]} and {entry.id}"
            )


def test_should_resolve_every_related_id_to_another_entry(kb):
    for entry in kb.entries.values():
        for related in entry.related:
            assert related in kb.entries, f"{entry.id} relates to unknown '{related}'"
            assert related != entry.id, f"{entry.id} relates to itself"


def test_should_never_type_a_policy_number_into_an_answer(kb):
    patterns = _literal_policy_patterns(kb)
    for entry in kb.entries.values():
        for field, pattern in patterns.items():
            match = pattern.search(entry.answer)
            assert match is None, (
                f"{entry.id} types '{match.group(0)}': use {{policy.{field}}} instead"
            )


@pytest.mark.parametrize(
    "typed",
    [
        "wait 24 hours",
        "a 14-day wait",
        "five attempts",
        "within 12 months",
        "valid for 1 year",
        "opens 6 months before",
        "a score of 700",
        "out of 1,000",
    ],
)
def test_should_detect_a_typed_policy_number_when_checking_answers(kb, typed):
    patterns = _literal_policy_patterns(kb).values()
    assert any(pattern.search(typed) for pattern in patterns)


@pytest.mark.parametrize("allowed", ["30 minutes", "15 calendar days", "USD 165", "100 minutes"])
def test_should_allow_numbers_that_are_not_policy_values(kb, allowed):
    patterns = _literal_policy_patterns(kb).values()
    assert not any(pattern.search(allowed) for pattern in patterns)


@pytest.mark.parametrize("entry_id", sorted(REQUIRED_PLACEHOLDERS))
def test_should_print_policy_values_through_placeholders_when_rendered(kb, entry_id):
    entry = kb.entries[entry_id]
    rendered = render(entry.answer, kb, TODAY)
    for placeholder in REQUIRED_PLACEHOLDERS[entry_id]:
        assert f"{{{placeholder}}}" in entry.answer, f"{entry_id} lacks {{{placeholder}}}"
        namespace, _, path = placeholder.partition(".")
        if namespace == "policy":
            assert str(getattr(kb.policy, path)) in rendered


def test_should_render_every_answer_within_discord_limits_at_every_retirement_edge(kb):
    for now in _instants_around_every_retirement(kb):
        for entry in kb.entries.values():
            text = render(entry.answer, kb, now)
            assert len(text) <= MAX_ANSWER_CHARS, f"{entry.id} at {now}: {len(text)} chars"
            assert "{" not in text and "}" not in text, f"{entry.id} at {now}: stray brace"


def test_should_say_ai_102_retired_after_the_date(kb):
    text = render(kb.entries["retirement"].answer, kb, TODAY)
    assert "AI-102 retired on 30 June 2026" in text
    assert "retires on" not in text


def test_should_say_ai_102_retires_before_the_date(kb):
    text = render(kb.entries["retirement"].answer, kb, BEFORE_AI_102)
    assert "AI-102 retires on 30 June 2026" in text
    assert "retired on" not in text


def test_should_mark_only_my_eligibility_as_personal(kb):
    personal = {entry.id for entry in kb.entries.values() if entry.personal}
    assert personal == {"my-eligibility"}


def test_should_explain_how_to_get_a_personal_answer_when_no_attempts_are_logged(kb):
    text = render(kb.entries["my-eligibility"].answer, kb, TODAY)
    assert "/attempt log" in text
    assert "/eligibility" in text


def test_should_list_every_slash_command_and_dm_support_in_help(kb):
    text = render(kb.entries["help"].answer, kb, TODAY)
    for command in HELP_COMMANDS:
        assert f"`{command}" in text, f"help does not list {command}"
    assert "DM" in text
    assert "mention" in text.lower()


def test_should_mark_secondary_sources_as_unofficial(kb):
    # Pearson VUE delivers Microsoft's exams and publishes the ID and check-in rules it
    # enforces, so its own pages count as official too.
    official_hosts = (
        "learn.microsoft.com/",
        "techcommunity.microsoft.com/",
        "docs.microsoft.com/",
        "://home.pearsonvue.com/",
        "://testcenterguides.pearsonvue.com/",
    )
    for entry in kb.entries.values():
        for source in entry.sources:
            if source.official:
                assert any(host in source.url for host in official_hosts), (
                    f"{entry.id}: {source.url} is marked official"
                )


# --- the evaluation set ---------------------------------------------------------------


def test_should_have_the_documented_header():
    header = EVAL_FILE.read_text(encoding="utf-8").splitlines()[0]
    assert header == "split\texpected\tquestion"


def test_should_have_three_non_empty_fields_on_every_eval_line():
    lines = EVAL_FILE.read_text(encoding="utf-8").splitlines()[1:]
    for number, line in enumerate(lines, start=2):
        fields = line.split("\t")
        assert len(fields) == 3, f"line {number} has {len(fields)} fields"
        assert all(field.strip() for field in fields), f"line {number} has an empty field"


def test_should_use_known_splits_and_expected_ids(kb, eval_rows):
    for row in eval_rows:
        assert row["split"] in {"tune", "report"}, row
        assert row["expected"] in {"none", "uncovered"} or row["expected"] in kb.entries, row


def test_should_have_enough_eval_questions_in_and_out_of_scope(eval_rows):
    in_scope = [r for r in eval_rows if r["expected"] not in {"none", "uncovered"}]
    out_of_scope = [r for r in eval_rows if r["expected"] == "none"]
    assert len(in_scope) >= MIN_EVAL_IN_SCOPE
    assert len(out_of_scope) >= MIN_EVAL_OUT_OF_SCOPE


MIN_REPORT_UNCOVERED = 80


def test_should_report_on_a_blind_part_large_enough_in_both_scopes(eval_rows):
    # The report part is the newest blind batch; measured batches move their in-scope
    # questions to member_questions.toml (the matcher learns from them) and keep their
    # out-of-scope ones as the tune part.
    report = [r for r in eval_rows if r["split"] == "report"]
    assert sum(r["expected"] not in {"none", "uncovered"} for r in report) >= MIN_REPORT_IN_SCOPE
    assert sum(r["expected"] == "none" for r in report) >= MIN_REPORT_OUT_OF_SCOPE
    # On-topic questions no entry answers: the bot must say it doesn't know (issue 9).
    assert sum(r["expected"] == "uncovered" for r in report) >= MIN_REPORT_UNCOVERED


def test_should_cover_every_entry_in_the_report_part(kb, eval_rows):
    counts = Counter(r["expected"] for r in eval_rows if r["split"] == "report")
    missing = [entry_id for entry_id in kb.entries if not counts[entry_id]]
    assert not missing, f"no report question for {missing}"


def test_should_have_each_required_entry_asked_six_times_by_members(kb, eval_rows):
    counts = Counter(r["expected"] for r in eval_rows)
    for entry_id in REQUIRED_IDS:
        asked = counts[entry_id] + len(kb.entries[entry_id].examples)
        assert asked >= MIN_EVAL_PER_REQUIRED_ENTRY, f"{entry_id}: {asked} member questions"


def test_should_not_repeat_an_eval_question(eval_rows):
    counts = Counter(_normalise(r["question"]) for r in eval_rows)
    repeated = [q for q, n in counts.items() if n > 1]
    assert not repeated


def test_should_never_copy_a_phrasing_into_the_eval_set(kb, eval_rows):
    phrasings = {
        _normalise(p) for e in kb.entries.values() for p in (*e.phrasings, *e.examples)
    }
    copied = [r["question"] for r in eval_rows if _normalise(r["question"]) in phrasings]
    assert not copied, f"eval questions equal to phrasings: {copied}"
