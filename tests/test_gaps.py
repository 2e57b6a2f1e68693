"""Known gaps (matcher/gaps.toml): on-topic questions no entry answers get an honest
"not covered", never a neighbouring entry's answer, and a gap may never hide an answer
the knowledge base has."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.cli import main
from knowledge.loader import DATA_DIR, KnowledgeError, load_knowledge
from knowledge.matcher import NOT_COVERED, Matcher
from knowledge.refusals import gap_hidden_entry_texts


@pytest.fixture(scope="module")
def kb():
    return load_knowledge()


@pytest.fixture(scope="module")
def matcher(kb):
    return Matcher(kb)


@pytest.fixture()
def data_dir(tmp_path: Path) -> Path:
    target = tmp_path / "knowledge"
    shutil.copytree(DATA_DIR, target)
    return target


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text("utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), "utf-8")


def test_every_gaps_examples_are_not_covered_and_still_get_suggestions(kb, matcher):
    assert kb.matcher.gaps.gap, "the packaged knowledge declares gaps"
    for gap in kb.matcher.gaps.gap:
        for example in gap.examples:
            result = matcher.match(example)
            assert result.entry_id is None, (gap.name, example, result)
            assert result.reason == NOT_COVERED and not result.out_of_scope, (gap.name, example)


@pytest.mark.parametrize(
    ("question", "neighbour"),
    [
        # Each of these used to get the neighbour's answer as if it answered.
        ("does the pearson test centre have parking", "test-centre-items"),
        ("how do i become a microsoft certified trainer", None),
        ("what's the pass rate for az-104", "passing-score"),
    ],
)
def test_a_question_in_a_gap_is_not_answered_by_its_neighbour(matcher, question, neighbour):
    result = matcher.match(question)
    assert result.entry_id is None and result.reason == NOT_COVERED
    if neighbour is not None:
        assert neighbour in result.suggestions, "the neighbour is offered as a maybe"


@pytest.mark.parametrize(
    ("question", "entries"),
    [
        ("do I need a webcam for the online exam", {"online-proctoring"}),
        ("what if my id has a different surname", {"id-requirements"}),
        ("what is the passing score", {"passing-score"}),
        ("can i bring water into the test centre", {"test-centre-items"}),
        # an appointment's hour is not a gap (an "at 3am" phrase once was); both entries
        # give the online check-in window
        ("my onvue exam is at 3 am, how early can i check in", {"no-show", "online-proctoring"}),
        # a gap until the entry was written: the gap was narrowed (kb check insisted)
        ("i got married, how do i change my surname on my certification profile",
         {"name-change"}),
    ],
)
def test_questions_an_entry_answers_stay_answered_beside_a_gap(matcher, question, entries):
    assert matcher.match(question).entry_id in entries


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        # an example that does not fall in its gap
        ('"is there parking at pearson test centres"', '"is there a pool at pearson"',
         "matcher/gaps.toml [test-centre-logistics] examples[1]"),
        # an example the off-topic families refuse first
        ('"is there parking at pearson test centres"', '"what is the aws parking policy"',
         "refused as off topic by other-vendors"),
        # a phrase that backtracks catastrophically
        ("    'parking',\n", "    '(a+)+$',\n",
         "matcher/gaps.toml [test-centre-logistics] phrases"),
        # an unknown field
        ("name = 'programmes'\n", "name = 'programmes'\npage = 'mct'\n",
         "matcher/gaps.toml [programmes] page"),
    ],
)
def test_kb_check_names_the_gap_and_what_is_wrong(data_dir, old, new, expected):
    _edit(data_dir / "matcher/gaps.toml", old, new)
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge(data_dir)
    assert expected in str(caught.value)


def test_kb_check_names_a_gap_that_would_swallow_what_an_entry_answers(data_dir, capsys):
    # Every text of every entry goes through the gaps: kb check's job (knowledge.refusals),
    # too slow for each load.
    _edit(data_dir / "matcher/gaps.toml", "    'parking',\n",
          "    'parking',\n    'pass(?:ing)? (?:mark|score)',\n")
    assert gap_hidden_entry_texts(load_knowledge(data_dir))
    assert main(["kb", "check", "--data-dir", str(data_dir)]) == 1
    err = capsys.readouterr().err
    assert "matcher/gaps.toml [test-centre-logistics]: catches [passing-score]'s" in err
    assert "narrow the gap" in err


def test_the_packaged_gaps_hide_no_entry_text(kb):
    assert [str(p) for p in gap_hidden_entry_texts(kb)] == []


def test_a_directory_without_a_gaps_file_uses_the_packaged_one(data_dir, kb):
    (data_dir / "matcher/gaps.toml").unlink()
    assert load_knowledge(data_dir).matcher.gaps == kb.matcher.gaps


def test_an_empty_gaps_file_answers_as_before(data_dir):
    (data_dir / "matcher/gaps.toml").write_text("# no known gaps\n", "utf-8")
    kb = load_knowledge(data_dir)
    assert kb.matcher.gaps.gap == ()
    assert Matcher(kb, cache=False).match("does the pearson test centre have parking").reason != (
        NOT_COVERED
    )
