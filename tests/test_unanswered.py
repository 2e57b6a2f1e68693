"""Questions no entry answers (matcher/unanswered.toml): the classifier learns them as
"nothing answers this", so a question like them abstains instead of getting the answer
of the entry whose words it shares; the loader refuses a list that contradicts an
entry."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from knowledge.loader import DATA_DIR, KnowledgeError, load_knowledge
from knowledge.matcher import Matcher
from knowledge.matcher_data import Unanswered
from knowledge.models import KnowledgeBase

# A question measured in a blind batch that no entry answers: the reschedule entry
# shares its words ("how many", "reschedule") but says nothing of a limit per booking.
ASKED = "how many reschedules am i allowed for one appointment"


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_knowledge()


def _without_unanswered(kb: KnowledgeBase) -> KnowledgeBase:
    assert kb.matcher is not None
    return kb.model_copy(
        update={"matcher": kb.matcher.model_copy(update={"unanswered": Unanswered()})}
    )


@pytest.fixture(scope="module")
def matcher(kb: KnowledgeBase) -> Matcher:
    return Matcher(kb)


@pytest.fixture(scope="module")
def unlearnt(kb: KnowledgeBase) -> Matcher:
    return Matcher(_without_unanswered(kb))


@pytest.fixture()
def data_dir(tmp_path: Path) -> Path:
    target = tmp_path / "knowledge"
    shutil.copytree(DATA_DIR, target)
    return target


def test_the_shipped_list_has_both_kinds_and_is_calibrated(kb):
    data = kb.matcher
    assert data is not None
    assert len(data.unanswered.on_topic) >= 500
    assert len(data.unanswered.off_topic) >= 500
    # The fit gives "nothing answers this" a negative weight: it lowers the confidence.
    assert data.weights.calibration.unanswered < 0


def test_a_listed_question_abstains_where_its_neighbour_answered_it(kb, matcher, unlearnt):
    assert kb.matcher is not None and ASKED in kb.matcher.unanswered.on_topic
    before = unlearnt.match(ASKED)
    assert before.entry_id == "reschedule"
    after = matcher.match(ASKED)
    assert after.entry_id is None
    assert not after.out_of_scope  # on topic: the neighbours stay as suggestions
    assert "reschedule" in after.suggestions
    assert matcher.features(ASKED)[1][4] > unlearnt.features(ASKED)[1][4]


def test_without_the_list_the_feature_is_zero(unlearnt):
    _, found = unlearnt.features(ASKED)
    assert found[4] == 0.0


def test_every_entrys_own_question_is_still_answered_by_it(kb, matcher):
    wrong = {
        entry.id: matcher.match(entry.question).entry_id
        for entry in kb.entries.values()
        if matcher.match(entry.question).entry_id != entry.id
    }
    assert not wrong


def test_a_changed_list_is_a_different_cached_build(kb, matcher, unlearnt):
    # The cache key covers the list: the two matchers above must not share tables.
    assert matcher.features(ASKED) != unlearnt.features(ASKED)


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text("utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), "utf-8")


def test_kb_check_refuses_an_entrys_own_member_question(data_dir, kb):
    # Listed as unanswered, it would teach the classifier that its entry does not
    # answer it.
    asked = kb.entries["name-change"].examples[0]
    _edit(data_dir / "matcher/unanswered.toml", '"on-topic" = [\n',
          f'"on-topic" = [\n    "{asked.upper()}",\n')
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge(data_dir)
    assert "matcher/unanswered.toml [name-change] questions.on-topic[0]" in str(caught.value)


@pytest.mark.parametrize(
    ("new", "expected"),
    [
        # listed twice
        (f'"on-topic" = [\n    "{ASKED}",\n', "is listed twice"),
        # a list the file does not have
        ('"maybe" = ["is there parking"]\n"on-topic" = [\n',
         "matcher/unanswered.toml questions.maybe: unknown list 'maybe'"),
    ],
)
def test_kb_check_names_what_is_wrong(data_dir, new, expected):
    _edit(data_dir / "matcher/unanswered.toml", '"on-topic" = [\n', new)
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge(data_dir)
    assert expected in str(caught.value)


def test_a_list_of_something_else_is_refused(data_dir):
    path = data_dir / "matcher/unanswered.toml"
    path.write_text('[questions]\n"on-topic" = "is there parking"\n', "utf-8")
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge(data_dir)
    assert "questions.on-topic: must be a list of non-empty strings" in str(caught.value)


def test_a_directory_without_the_file_uses_the_packaged_one(data_dir, kb):
    (data_dir / "matcher/unanswered.toml").unlink()
    loaded = load_knowledge(data_dir)
    assert loaded.matcher is not None and kb.matcher is not None
    assert loaded.matcher.unanswered == kb.matcher.unanswered


def test_a_base_too_large_for_the_classifier_never_reads_them(kb, monkeypatch):
    # Only the classifier learns the unanswered questions; a base above
    # classifier_max_entries (10,000 entries) builds without reading them.
    from knowledge.matching.reading import Reader

    assert kb.matcher is not None
    data = kb.matcher
    scoring = data.weights.scoring.model_copy(update={"classifier_max_entries": 1})
    weights = data.weights.model_copy(update={"scoring": scoring})
    few = data.unanswered.model_copy(update={"on_topic": data.unanswered.on_topic[:5],
                                             "off_topic": data.unanswered.off_topic[:5]})
    small = kb.model_copy(update={
        "entries": dict(list(kb.entries.items())[:4]),
        "matcher": data.model_copy(update={"weights": weights, "unanswered": few}),
    })
    read: list[str] = []
    original = Reader.read

    def recording(self: Reader, question: str) -> tuple[str, int]:
        read.append(question)
        return original(self, question)

    monkeypatch.setattr(Reader, "read", recording)
    Matcher(small, cache=False)
    assert not set(few.texts) & set(read)
    read.clear()
    with_classifier = small.model_copy(update={
        "matcher": small.matcher.model_copy(update={"weights": data.weights})})
    Matcher(with_classifier, cache=False)
    assert set(few.texts) <= set(read)
