"""Part of stage 3 of the matcher: a discriminative word classifier over the entries.

The IDF coverage, fuzzy similarity and naive Bayes of :mod:`.retrieval` each ask how
much a question looks like an entry's texts. Neighbouring entries (AI-102's retirement
and what it means for AI-102 holders, the first retake wait and the later ones) share
most of their words, so those measures score them alike. An averaged perceptron trained
on every entry's texts (question, phrasings, member questions, keywords) learns instead
which words and word pairs tell one entry from its neighbours: "holder" moves a question
towards ``ai-102-holders`` and away from ``retirement``, though both entries use it.
Its softmax over the entries joins the re-scoring with ``classifier_weight``.

Training is deterministic (a fixed shuffle, features in sorted order) and takes about a
second on the shipped knowledge, most of a build; the trained weights are part of the
on-disk cache. It is skipped for a knowledge base with more than
``classifier_max_entries`` entries, whose build would take many seconds (the weight is
then simply not added).
"""

from __future__ import annotations

import itertools
import math
import random
from array import array
from collections.abc import Iterable, Sequence

# The shuffle of the training texts is seeded: the same knowledge trains the same model.
SHUFFLE_SEED = 0
# A text's right entry must beat the best wrong one by this much, or the weights move.
MARGIN = 1.0
# Beyond this (either sign) exp() under- or overflows to nothing useful.
EXP_LIMIT = 700.0
# A feature's weights are the slice start..start+count of the flat arrays, stored as
# start << SPAN_BITS | count: a feature speaks for at most SPAN_MASK entries, and entry
# positions fit the arrays' unsigned 16 bits (Classifier.train refuses more entries;
# Scoring.classifier_max_entries cannot exceed it).
SPAN_BITS = 16
SPAN_MASK = (1 << SPAN_BITS) - 1
MAX_ENTRIES = SPAN_MASK


def features(tokens: Sequence[str]) -> list[str]:
    """A text's features: its content tokens and each pair of neighbouring tokens,
    sorted (so sums run in one order whatever the hash seed)."""
    found = set(tokens)
    found.update(f"{a} {b}" for a, b in itertools.pairwise(tokens))
    return sorted(found)


class Classifier:
    """Per feature, the entries (by position) it speaks for or against, and how much."""

    def __init__(self, weights: dict[str, tuple[tuple[int, float], ...]], entries: int,
                 temperature: float) -> None:
        """``weights``: per feature, (entry position, weight) pairs. They are kept flat,
        in two arrays and one offset per feature, so the on-disk cache stores and reads
        them as a few blocks of bytes rather than tens of thousands of small tuples."""
        self._spans: dict[str, int] = {}
        self._owners = array("H")  # entry positions
        self._weights = array("d")
        for feature, pairs in weights.items():
            self._spans[feature] = len(self._owners) << SPAN_BITS | len(pairs)
            for entry, weight in pairs:
                self._owners.append(entry)
                self._weights.append(weight)
        self._entries = entries
        self._temperature = temperature

    @property
    def classes(self) -> int:
        """How many classes it tells apart (the entries, and "nothing answers this"
        when the matcher trained one)."""
        return self._entries

    @classmethod
    def train(cls, texts: Iterable[tuple[int, Sequence[str]]], entries: int, epochs: int,
              temperature: float) -> Classifier:
        """An averaged perceptron over ``texts`` (entry position, content tokens):
        each text whose entry does not win by :data:`MARGIN` moves its features'
        weights towards that entry and away from the best wrong one; the average of
        the weights over every step is kept (steadier than the last ones)."""
        if entries > MAX_ENTRIES:
            raise ValueError(f"at most {MAX_ENTRIES} entries, not {entries}")
        # Per feature, its weights (``current``) and the sum over steps of each update
        # times its step number (``timed``): the averaged weight is current - timed /
        # steps. Each text holds its features' two rows themselves, so the loop below
        # never looks a feature up by name (most of a build's time is this loop).
        current: dict[str, dict[int, float]] = {}
        timed: dict[str, dict[int, float]] = {}
        examples: list[tuple[int, list[tuple[dict[int, float], dict[int, float]]]]] = []
        for entry, tokens in texts:
            rows = []
            for feature in features(tokens):
                if feature not in current:
                    current[feature], timed[feature] = {}, {}
                rows.append((current[feature], timed[feature]))
            examples.append((entry, rows))
        step = 1
        shuffle = random.Random(SHUFFLE_SEED)  # noqa: S311 - an order, not a secret
        for _ in range(epochs):
            shuffle.shuffle(examples)
            for entry, rows in examples:
                scores: dict[int, float] = {}
                get = scores.get
                for row, _times in rows:
                    for other, weight in row.items():
                        scores[other] = get(other, 0.0) + weight
                right = get(entry, 0.0)
                # The best wrong entry; of equal scores, the first in the knowledge base.
                wrong: int | None = None
                best = 0.0
                for other, score in scores.items():
                    if other != entry and (
                        wrong is None or score > best or (score == best and other < wrong)
                    ):
                        wrong, best = other, score
                if wrong is None or best + MARGIN > right:
                    for row, times in rows:
                        row[entry] = row.get(entry, 0.0) + 1.0
                        times[entry] = times.get(entry, 0.0) + step
                        if wrong is not None:
                            row[wrong] = row.get(wrong, 0.0) - 1.0
                            times[wrong] = times.get(wrong, 0.0) - step
                step += 1
        averaged: dict[str, tuple[tuple[int, float], ...]] = {}
        for feature in sorted(current):
            row, times = current[feature], timed[feature]
            kept = tuple(
                (entry, value - times[entry] / step)
                for entry, value in sorted(row.items())
                if value - times[entry] / step != 0.0
            )
            if kept:
                averaged[feature] = kept
        return cls(averaged, entries, temperature)

    def posterior(self, tokens: Sequence[str], shortlist: Iterable[int]) -> dict[int, float]:
        """The softmax share of each shortlisted entry among all entries, for a
        question's content tokens (0 for every entry when no feature is known)."""
        scores: dict[int, float] = {}
        get = scores.get
        owners, weights, spans = self._owners, self._weights, self._spans
        for feature in features(tokens):
            span = spans.get(feature)
            if span is None:
                continue
            start = span >> SPAN_BITS
            end = start + (span & SPAN_MASK)
            for entry, weight in zip(owners[start:end], weights[start:end], strict=True):
                scores[entry] = get(entry, 0.0) + weight
        wanted = list(shortlist)
        if not scores:
            return dict.fromkeys(wanted, 0.0)
        top = max(0.0, *scores.values())
        t = self._temperature
        exp = math.exp
        # exp() inline rather than through a helper: this runs for every class of every
        # question (the helper's calls were a tenth of a question's scoring).
        shares = {entry: exp(max((value - top) / t, -EXP_LIMIT))
                  for entry, value in scores.items()}
        # Entries no feature speaks about score 0.
        unspoken = exp(max((0.0 - top) / t, -EXP_LIMIT))
        total = sum(shares.values()) + (self._entries - len(scores)) * unspoken
        return {entry: shares.get(entry, unspoken) / total for entry in wanted}
