"""The matcher's knowledge as data: off-topic families, normaliser rules, weights."""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

import pytest

from knowledge.loader import DATA_DIR, KnowledgeError, load_knowledge
from knowledge.matcher import Matcher, out_of_scope_reason
from knowledge.offtopic import OffTopicStage


@pytest.fixture(scope="module")
def kb():
    return load_knowledge()


def test_every_family_refuses_its_own_examples(kb):
    stage = OffTopicStage(kb.matcher.offtopic)
    for family in kb.matcher.offtopic.family:
        for example in family.examples:
            assert stage.family_of(example) == family.name, (family.name, example)


def test_the_matchers_python_holds_no_topic_word_lists():
    knowledge = Path(__file__).parents[1] / "knowledge"
    modules = [knowledge / "matcher.py", knowledge / "offtopic.py", knowledge / "normalize.py",
               *sorted((knowledge / "matching").glob("*.py"))]
    for path in modules:
        source = path.read_text("utf-8").lower()
        for word in ("comptia", "valorant", "salary", "passport", "windows", "kubernetes"):
            assert word not in source, (path.name, word)


# Issue 11: clear exam context (an exam code, a retake, a waiting period) wins over a
# product or a job named in passing.
@pytest.mark.parametrize(
    "question",
    [
        "can I still book AZ-800, the windows server one?",
        "is AZ-800 windows server hybrid still bookable",
        "I have a job offer that needs AZ-104, can I get the waiting period waived?",
        "can i skip the waiting period, i have a job offer",
        "my job offer depends on AZ-104, can i retake sooner",
    ],
)
def test_exam_context_is_not_refused_for_naming_a_product_or_a_job(question):
    assert out_of_scope_reason(question) is None


@pytest.mark.parametrize(
    ("question", "reason"),
    [
        ("how do i install windows server 2022", "a technical how-to"),
        ("i forgot my windows 11 password", "product support, not exam policy"),
        ("should i accept this job offer", "a career question"),
        ("how long is the ranked ban cooldown in valorant", "games and leisure, not exam policy"),
    ],
)
def test_products_and_jobs_without_exam_context_are_still_refused(question, reason):
    assert out_of_scope_reason(question) == reason


@pytest.fixture()
def data_dir(tmp_path: Path) -> Path:
    target = tmp_path / "knowledge"
    shutil.copytree(DATA_DIR, target)
    return target


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text("utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), "utf-8")


@pytest.mark.parametrize(
    ("file", "old", "new", "expected"),
    [
        # a family regex that does not compile
        ("matcher/offtopic.toml", "    'aws',\n", "    'aws(',\n",
         "matcher/offtopic.toml [other-vendors] phrases"),
        # one that backtracks catastrophically
        ("matcher/offtopic.toml", "    'aws',\n", "    '(a+)+$',\n",
         "matcher/offtopic.toml [other-vendors] phrases"),
        # an example its family does not refuse
        ("matcher/offtopic.toml", "what is the AWS retake policy", "what is the retake policy",
         "matcher/offtopic.toml [other-vendors] examples[0]"),
        # a weight out of range
        ("matcher/weights.toml", "fuzzy_weight = 0.5", "fuzzy_weight = 5",
         "matcher/weights.toml [scoring] fuzzy_weight"),
        ("matcher/weights.toml", "bias = -", "bias = 'low' # -",
         "matcher/weights.toml [calibration] bias"),
        # an unknown condition
        ("matcher/offtopic.toml", 'unless = ["exam-context", "exam-cue"]',
         'unless = ["exam-contxt"]', "matcher/offtopic.toml [career] unless"),
        # a rule that is not a regular expression, in a directory's own copy
        ("matcher/normalize.toml", "to = 'can not'", "to = 'can  not'",
         "matcher/normalize.toml: differs from the packaged rules"),
        # a popular rank used twice
        ("faq/retakes.toml", "popular = 2", "popular = 1", "popular: rank 1 is also"),
    ],
)
def test_a_broken_matcher_file_names_file_item_and_field(data_dir, file, old, new, expected):
    _edit(data_dir / file, old, new)
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge(data_dir)
    assert expected in str(caught.value)


def test_a_directory_without_matcher_files_uses_the_packaged_ones(data_dir):
    shutil.rmtree(data_dir / "matcher")
    kb = load_knowledge(data_dir)
    assert kb.matcher == load_knowledge().matcher


def test_the_weights_come_from_the_file(data_dir, kb):
    _edit(data_dir / "matcher/weights.toml", "abstain_below = 0.5", "abstain_below = 0.69")
    strict = Matcher(load_knowledge(data_dir))
    assert strict.match("whats the pass mark").low_confidence is False
    assert strict._w.abstain_below == 0.69
    assert Matcher(kb)._w.abstain_below == 0.5


def test_fit_write_rewrites_only_the_calibration_values(tmp_path):
    from eval.run import CALIBRATION_KEYS, write_calibration

    path = tmp_path / "weights.toml"
    shutil.copy(DATA_DIR / "matcher/weights.toml", path)
    before = path.read_text("utf-8")
    fitted = tomllib.loads(before)["calibration"]
    # Values unlike every fitted one, so each of the lines must change.
    values = tuple(round(fitted[key] + 11.25, 2) for key in CALIBRATION_KEYS)
    write_calibration(values, path)
    after = path.read_text("utf-8")
    for key, value in zip(CALIBRATION_KEYS, values, strict=True):
        assert f"{key} = {value}\n" in after
    changed = [
        (a, b) for a, b in zip(before.splitlines(), after.splitlines(), strict=True) if a != b
    ]
    assert len(changed) == len(CALIBRATION_KEYS)
    assert all(a.split("=")[0] == b.split("=")[0] for a, b in changed)
