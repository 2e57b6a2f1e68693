"""Match a member's question to one FAQ entry, or abstain.

The matcher is pure and synchronous (no discord, no clock). :meth:`Matcher.match` runs
the stages of :mod:`knowledge.matching` in order (``knowledge/MATCHER.md`` says more):

1. off-topic (:mod:`knowledge.offtopic`): explicit out-of-scope questions are refused
   (other vendors' exams, driving tests, game refunds, Azure how-tos, small talk …): a
   Microsoft answer to an AWS question is worse than "I don't know";
2. reading (:mod:`knowledge.matching.reading`): the question normalised, its typos
   spelt onto the knowledge base's words, its content tokens and exam codes;
3. retrieval (:mod:`knowledge.matching.retrieval`): a BM25-like IDF coverage through
   an inverted index shortlists entries; fuzzy similarity, naive Bayes, keyword phrases
   and word pairs are measured for each;
4. re-scoring (:mod:`knowledge.matching.rescoring`): that evidence, the entries'
   signals, exam codes and first-person timing, combined with the named weights;
5. decision (:mod:`knowledge.matching.decision`): the best score, its margin, the
   question's information, how much of it the best entry explains and how much the
   classifier takes it for one no entry answers (``data/matcher/unanswered.toml``)
   become a calibrated confidence; answer, answer with suggestions, or abstain (always, as
   "not covered", for a question in one of the known gaps, ``data/matcher/gaps.toml``).

Building a matcher reads every text of the knowledge base; what that derives is kept
by the on-disk cache (:mod:`knowledge.matcher_cache`).
"""

from __future__ import annotations

import contextlib
import functools
import gc
from collections.abc import Iterator

from knowledge import matcher_cache
from knowledge.loader import default_matcher_data
from knowledge.matcher_data import MatcherData
from knowledge.matching.autocomplete import AUTOCOMPLETE_MAX, Autocomplete
from knowledge.matching.classifier import Classifier
from knowledge.matching.decision import (
    MAX_RUNNERS_UP,
    NOT_COVERED,
    Features,
    MatchResult,
    calibrate,
    clamp,
    decide,
    features,
    refuse,
)
from knowledge.matching.reading import EntryTexts, Reader, TextMemo
from knowledge.matching.rescoring import Candidate, Rescorer, Signals
from knowledge.matching.retrieval import Index
from knowledge.models import KnowledgeBase
from knowledge.offtopic import OffTopicStage

__all__ = [
    "AUTOCOMPLETE_MAX",
    "MAX_RUNNERS_UP",
    "NOT_COVERED",
    "SCORE_CACHE_SIZE",
    "Candidate",
    "MatchResult",
    "Matcher",
    "calibrate",
    "out_of_scope_reason",
]

# Questions whose scores are kept (oldest dropped first).
SCORE_CACHE_SIZE = 2048
# What the on-disk cache stores of a build (see Matcher._derived).
_STATE_KEYS = frozenset({"ids", "items", "reader", "index", "autocomplete", "classifier"})


def out_of_scope_reason(question: str, data: MatcherData | None = None) -> str | None:
    """Why a question is explicitly out of scope (by the packaged families, or those of
    ``data``), or None."""
    if data is None:
        return _default_offtopic().reason(question)
    return OffTopicStage(data.offtopic).reason(question)


@functools.cache
def _default_offtopic() -> OffTopicStage:
    return OffTopicStage(default_matcher_data().offtopic)


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while the tables are built: the build creates
    millions of small containers and no cycles, and each collection would walk them all
    again (a fifth of a 10,000-entry build). Reference counting still frees as usual."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class Matcher:
    """Question → FAQ entry, built once per knowledge base."""

    def __init__(self, kb: KnowledgeBase, *, cache: bool = True) -> None:
        """``cache``: read and write the on-disk cache of the derived tables
        (:mod:`knowledge.matcher_cache`); False always builds them."""
        self._kb = kb
        data = kb.matcher or default_matcher_data()
        self._data = data
        self._w = data.weights.scoring
        self._calibration = data.weights.calibration
        self._offtopic = OffTopicStage(data.offtopic, data.gaps)
        self._ids = list(kb.entries)
        self._score_cache: dict[str, tuple[tuple[Candidate, ...], Signals]] = {}
        # What the reading, retrieval and autocomplete derive from the texts alone: a
        # fresh process reads it from the on-disk cache (knowledge.matcher_cache) instead
        # of normalising every text again. Above MAX_ENTRIES the pickled tables cost more
        # memory to write and read than the build itself needs, so very large bases are
        # always built.
        use_cache = cache and len(kb.entries) <= matcher_cache.MAX_ENTRIES
        key = (matcher_cache.cache_key(kb.entries, data.weights, data.unanswered)
               if use_cache else None)
        state = matcher_cache.load(key) if key is not None else None
        if state is None or not self._restore(state):
            self._build(kb)
            if key is not None:
                matcher_cache.save(key, self._derived())
        self._rescorer = Rescorer(kb.entries.values(), self._items, self._index, self._w,
                                  self._classifier)

    def _build(self, kb: KnowledgeBase) -> None:
        """Read every text of the knowledge base and build the index tables."""
        with _collector_paused():
            unanswered = self._read_entries(kb)
            self._index = Index(self._items, self._w)
            self._classifier = self._train_classifier(unanswered)
        self._reader.use_index(self._index.idf, self._index.vocab)

    def _train_classifier(self, unanswered: list[str]) -> Classifier | None:
        """The discriminative classifier over the entries' read texts, and over the
        questions no entry answers (``unanswered``, read) as one more class after the
        entries; None when the weights leave it out (or the knowledge base is too large
        to train it)."""
        w = self._w
        if not self._classifier_wanted(len(self._items)):
            return None
        texts = [
            (position, list(dict.fromkeys(text.split())))
            for position, item in enumerate(self._items)
            for text in item.texts
        ]
        nothing = len(self._items)
        texts += [(nothing, list(dict.fromkeys(text.split()))) for text in unanswered]
        classes = nothing + 1 if unanswered else nothing
        return Classifier.train(texts, classes, w.classifier_epochs, w.classifier_temperature)

    def _classifier_wanted(self, entries: int) -> bool:
        """Whether the weights train a classifier for a knowledge base of ``entries``."""
        w = self._w
        return bool(w.classifier_weight and w.classifier_epochs
                    and entries <= w.classifier_max_entries)

    def _read_entries(self, kb: KnowledgeBase) -> list[str]:
        """The reading stage over the knowledge base's texts (the memo of normalised
        texts is dropped before the index is built); returns the content strings of the
        questions no entry answers (``unanswered.toml``), read as member questions are."""
        memo = TextMemo()
        entries = list(kb.entries.values())
        self._reader = Reader(entries, memo)
        self._items: list[EntryTexts] = []
        self._autocomplete = Autocomplete()
        for index, entry in enumerate(entries):
            texts, edited = self._reader.read_entry(entry, memo, self._w)
            self._items.append(texts)
            self._autocomplete.add(index, edited, texts.keywords)
        self._autocomplete.finish(entries)
        if not self._classifier_wanted(len(entries)):
            return []  # only the classifier learns them: a large base skips the reading
        read = (memo.content(self._reader.read(q)[0]) for q in self._data.unanswered.texts)
        return [text for text in dict.fromkeys(read) if text]

    def _derived(self) -> dict[str, object]:
        """What :meth:`_build` computed, for the on-disk cache (the entries themselves
        come from the knowledge base: only their ids are stored)."""
        return {
            "ids": self._ids, "items": self._items, "reader": self._reader,
            "index": self._index, "autocomplete": self._autocomplete,
            "classifier": self._classifier,
        }

    def _restore(self, state: dict[str, object]) -> bool:
        """Take the tables of a cached build; False (and nothing taken) when ``state``
        does not fit this knowledge base."""
        if set(state) != _STATE_KEYS or state["ids"] != self._ids:
            return False
        items, reader = state["items"], state["reader"]
        index, autocomplete = state["index"], state["autocomplete"]
        classifier = state["classifier"]
        if not (
            isinstance(items, list) and len(items) == len(self._ids)
            and all(isinstance(item, EntryTexts) for item in items)
            and isinstance(reader, Reader) and isinstance(index, Index)
            and isinstance(autocomplete, Autocomplete)
            and (classifier is None or isinstance(classifier, Classifier))
        ):
            return False
        index.use_scoring(self._w)
        reader.use_index(index.idf, index.vocab)
        reader.clear_question_cache()
        self._items, self._reader, self._index = items, reader, index
        self._autocomplete = autocomplete
        self._classifier = classifier
        return True

    @property
    def knowledge(self) -> KnowledgeBase:
        return self._kb

    def _score(self, question: str) -> tuple[list[Candidate], Signals]:
        """Every plausible entry with its raw (unclamped) score, best first, and the
        question-level signals the calibration uses. Scoring is pure, so recent
        questions are answered from a small cache (members ask the same things)."""
        cached = self._score_cache.get(question)
        if cached is None:
            cached = self._rescorer.score(self._reader.question(question))
            if len(self._score_cache) >= SCORE_CACHE_SIZE:
                del self._score_cache[next(iter(self._score_cache))]  # oldest first
            self._score_cache[question] = cached
        candidates, signals = cached
        return list(candidates), signals

    # --- public API ------------------------------------------------------------
    def features(self, question: str) -> tuple[list[Candidate], Features]:
        """Raw candidates and the (top, margin, information, explained, unanswered)
        features of a question that is not explicitly out of scope; used by
        :meth:`match` and the calibration fit."""
        scored, signals = self._score(question)
        explained = self._rescorer.explained(scored[0].entry_id, signals) if scored else 1.0
        return scored, features(scored, signals, self._w, explained)

    def known_gap(self, question: str) -> str | None:
        """The known gap (``gaps.toml``) an on-topic question falls in, or None."""
        return self._offtopic.gap_of(question)

    def match(self, question: str) -> MatchResult:
        """The entry that answers ``question``, or an abstention: the off-topic stage,
        then reading, retrieval, re-scoring and the decision (``knowledge/MATCHER.md``);
        a question in a known gap abstains as not covered."""
        reason = self._offtopic.reason(question)
        if reason is not None:
            return refuse(reason, self._w)
        scored, found = self.features(question)
        gap = self.known_gap(question)
        only_for = self._covers_only(scored[0].entry_id, question) if scored else ()
        return decide(scored, found, self._w, self._calibration, gap=gap, only_for=only_for)

    def _covers_only(self, entry_id: str, question: str) -> tuple[str, ...]:
        """The entry's exams when its answer holds for them only and the question names
        other exams alone (and the catalog has no ``exam_field`` value for any of them);
        empty when the entry answers."""
        entry = self._kb.entries[entry_id]
        if not entry.only_its_exams:
            return ()
        codes = self._score(question)[1].codes
        if not codes or codes & set(entry.exams):
            return ()
        field = entry.exam_field
        if field is not None and any(
            getattr(self._kb.exams.get(code), field, None) for code in codes
        ):
            return ()
        return entry.exams

    def autocomplete(self, partial: str, limit: int = AUTOCOMPLETE_MAX) -> list[Candidate]:
        """Entries to offer while a member types; the most common ones for an empty box."""
        return self._autocomplete.complete(partial, limit, self._score_partial)

    def _score_partial(self, partial: str) -> list[Candidate] | None:
        if self._offtopic.reason(partial) is not None:
            return None
        return [clamp(c) for c in self._score(partial)[0]]
