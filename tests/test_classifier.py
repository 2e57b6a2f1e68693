"""The discriminative classifier of the re-scoring stage (knowledge.matching.classifier)."""

from __future__ import annotations

import pytest

from knowledge.loader import default_matcher_data, load_knowledge
from knowledge.matcher import Matcher
from knowledge.matching.classifier import Classifier, features

# Two neighbours sharing most words; "holder" tells them apart.
TEXTS = [
    (0, ["ai", "retirement", "exam"]),
    (0, ["exam", "retirement", "still", "book"]),
    (0, ["when", "ai", "exam", "retirement"]),
    (1, ["ai", "retirement", "holder"]),
    (1, ["already", "holder", "exam", "retirement"]),
    (1, ["holder", "ai", "certification", "retirement"]),
    (2, ["passing", "score"]),
]


def test_features_are_the_tokens_and_neighbouring_pairs_in_sorted_order():
    assert features(["retake", "wait", "first"]) == [
        "first", "retake", "retake wait", "wait", "wait first",
    ]


def test_the_telling_word_decides_between_neighbours():
    model = Classifier.train(TEXTS, entries=3, epochs=5, temperature=1.0)
    holder = model.posterior(["ai", "retirement", "holder"], [0, 1, 2])
    booking = model.posterior(["ai", "exam", "retirement"], [0, 1, 2])
    assert holder[1] > holder[0] > 0
    assert booking[0] > booking[1] > 0
    assert sum(holder.values()) == pytest.approx(1.0)


def test_unknown_words_give_no_opinion_and_training_is_deterministic():
    first = Classifier.train(TEXTS, entries=3, epochs=5, temperature=1.0)
    second = Classifier.train(list(TEXTS), entries=3, epochs=5, temperature=1.0)
    assert first.posterior(["nothing", "known"], [0, 1]) == {0: 0.0, 1: 0.0}
    question = ["ai", "retirement", "already"]
    assert first.posterior(question, [0, 1, 2]) == second.posterior(question, [0, 1, 2])


def _with_scoring(**changes: object) -> Matcher:
    kb = load_knowledge()
    data = kb.matcher or default_matcher_data()
    scoring = data.weights.scoring.model_copy(update=changes)
    weights = data.weights.model_copy(update={"scoring": scoring})
    return Matcher(kb.model_copy(update={"matcher": data.model_copy(update={"weights": weights})}),
                   cache=False)


def test_a_knowledge_base_above_the_size_limit_is_scored_without_the_classifier():
    question = "i already hold ai-102, what happens to my cert now"
    too_big = _with_scoring(classifier_max_entries=1)
    weightless = _with_scoring(classifier_weight=0.0)
    shipped = Matcher(load_knowledge())  # the shipped build, from the on-disk cache
    assert too_big.features(question) == weightless.features(question)
    assert shipped.features(question) != weightless.features(question)
