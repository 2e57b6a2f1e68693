"""The evaluation tooling: its figures are only as honest as these pieces."""

from __future__ import annotations

import math
import random

from eval.run import FOLDS, fold_knowledge, logistic_regression
from knowledge.loader import load_knowledge


def test_logistic_regression_recovers_the_weights_that_generated_the_labels():
    rng = random.Random(11)
    true = (-1.0, 2.5, -1.5)
    data = []
    for _ in range(4000):
        x = [1.0, rng.uniform(-2, 2), rng.uniform(-2, 2)]
        p = 1 / (1 + math.exp(-sum(w * v for w, v in zip(true, x, strict=True))))
        data.append((x, 1.0 if rng.random() < p else 0.0))

    weights = logistic_regression(data, l2=0.0)

    for got, want in zip(weights, true, strict=True):
        assert abs(got - want) < 0.25, (weights, true)


def test_each_fold_never_holds_what_it_is_asked():
    # The fold matchers are built from these knowledge bases (eval.run._folds).
    kb = load_knowledge()
    folds = fold_knowledge(kb, FOLDS)
    seen_held = 0
    for fold_kb, held in folds:
        data = fold_kb.matcher
        assert data is not None
        for expected, kind, text in held:
            if kind == "unanswered question":
                assert text not in data.unanswered.texts
                continue
            entry = fold_kb.entries[expected]
            pool = entry.phrasings if kind == "phrasing" else entry.examples
            assert text not in pool
        seen_held += len(held)
    assert kb.matcher is not None
    total = sum(len(e.phrasings) + len(e.examples) for e in kb.entries.values())
    # Every phrasing, member question and unanswered question is held out once.
    assert seen_held == total + len(kb.matcher.unanswered.texts)
