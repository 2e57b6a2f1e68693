"""Match a member's question to one FAQ entry, or abstain.

The matcher is pure and synchronous (no discord, no clock). For each question it:

1. normalises the text (:mod:`knowledge.normalize`) and spells typos back onto the
   knowledge base's vocabulary;
2. refuses explicit out-of-scope questions (other vendors' exams, driving tests, game
   refunds, Azure how-tos, small talk …): a Microsoft answer to an AWS question is
   worse than "I don't know";
3. scores entries with a BM25-like lexical relevance of the question's words (IDF
   from the knowledge base, each word weighted by the share of the entry's phrasings
   that use it; through an inverted index, so 10,000 entries stay fast), then re-scores
   the best few with rapidfuzz over every pre-normalised phrasing, title and keyword,
   and by the exam codes asked about (an entry most of whose phrasings name AI-102 is
   about AI-102, not AZ-500);
4. turns the best score, its margin over the runner-up, the question's information and
   how much of the question the best entry explains (the share of its words found in
   the entry's texts or its answer: an on-topic question no entry answers leaves its
   telling words unexplained) into a calibrated confidence (a logistic fit, see
   ``python -m eval.run --fit``) and abstains below ``abstain_below``.
"""

from __future__ import annotations

import functools
import heapq
import math
import re
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from itertools import chain, pairwise

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from knowledge import matcher_cache
from knowledge.loader import default_matcher_data
from knowledge.matcher_data import Calibration, MatcherData, Scoring
from knowledge.models import FaqEntry, KnowledgeBase
from knowledge.normalize import (
    CODE_PLACEHOLDER,
    content_tokens,
    exam_codes,
    function_words,
    grammar_words,
    normalize,
    stem,
    synonym_sources,
)
from knowledge.offtopic import OffTopicStage
from knowledge.templating import PLACEHOLDER_RE

MAX_RUNNERS_UP = 3
# The reason of an abstention on a question in one of the known gaps (matcher/gaps.toml):
# on topic, but no entry answers it.
NOT_COVERED = "not covered"
AUTOCOMPLETE_MAX_TEXTS = 5000
# Questions whose scores are kept (oldest dropped first), and entries of the spelling
# caches.
SCORE_CACHE_SIZE = 2048
SPELL_CACHE_SIZE = 20_000
# Token-level spelling: a token is mapped onto a vocabulary stem at least this similar
# (rapidfuzz ratio, 0-100), and only tokens this long.
SPELL_MIN_RATIO = 84
SPELL_MIN_CHARS = 5
# Word-level spelling (_fix_word): shortest word corrected; up to LONG_WORD_CHARS letters
# one edit is allowed, two beyond; candidates looked at; stems of words this long are
# targets, and stems this long; grammar words this long are last-resort targets.
FIX_MIN_CHARS = 4
LONG_WORD_CHARS = 11
FIX_CANDIDATES = 8
STEM_SOURCE_CHARS = 6
STEM_TARGET_CHARS = 4
GRAMMAR_TARGET_CHARS = 5
# Words found in more than max(COMMON_MIN_POSTINGS, entries / COMMON_SHARE_DIVISOR)
# entries skip the inverted-index pass and are added back for the shortlist.
COMMON_MIN_POSTINGS = 200
COMMON_SHARE_DIVISOR = 8
# Fuzzy pass (rapidfuzz scores are 0-100): token_set_ratio scores below this are noise;
# a text's score is discounted to SET_DISCOUNT_BASE + (1 - SET_DISCOUNT_BASE) × the share
# of its words the question covers; the final fuzzy score averages the two scorers.
FUZZY_FLOOR = 40.0
SET_DISCOUNT_BASE = 0.5
SORT_SHARE = 0.5
# Beyond this (either sign) the logistic function is 0 or 1 to double precision.
SIGMOID_LIMIT = 30
# Autocomplete: partial_ratio cut-off, candidates per result, the weight of the typed
# words found as prefixes, and the length from which the question is also scored.
AUTOCOMPLETE_CUTOFF = 60
AUTOCOMPLETE_POOL = 8
AUTOCOMPLETE_PREFIX_WEIGHT = 0.4
AUTOCOMPLETE_SCORE_FROM = 8
AUTOCOMPLETE_MAX = 25
AUTOCOMPLETE_FUZZY_WEIGHT = 0.6
AUTOCOMPLETE_BLEND = 0.5
SCORE_DIGITS = 4
# rapidfuzz scores run from 0 to this.
RAPIDFUZZ_MAX = 100
# IDF = log((entries + 1) / (postings + IDF_SMOOTHING)).
IDF_SMOOTHING = 0.5
# A question asked back ("exam" alone) or too weak to answer gets at most
# abstain_below / UNSURE_DIVISOR confidence.
UNSURE_DIVISOR = 2


def _default_scoring() -> Scoring:
    return default_matcher_data().weights.scoring


@dataclass(frozen=True)
class Candidate:
    """An entry and its score in [0, 1]."""

    entry_id: str
    score: float


@dataclass(frozen=True)
class MatchResult:
    """The outcome of :meth:`Matcher.match`."""

    entry_id: str | None  # None = abstain
    confidence: float  # [0, 1]: estimated probability that the best entry is right
    runners_up: tuple[Candidate, ...]  # next best after ``top``, best first, up to 3
    # The best candidate even when abstaining (None when nothing scored at all).
    top: Candidate | None = None
    # True when an explicit signal (other vendor, game refund …) ruled the question out.
    out_of_scope: bool = False
    reason: str | None = field(default=None, compare=False)
    # The thresholds of the matcher that produced it (weights.toml).
    scoring: Scoring = field(default_factory=_default_scoring, compare=False, repr=False)

    @property
    def low_confidence(self) -> bool:
        return self.entry_id is None or self.confidence < self.scoring.low_confidence_below

    @property
    def suggestions(self) -> list[str]:
        """Entry ids worth offering as "Did you mean…": up to three, only when the
        match abstained or is unsure, and none for an out-of-scope question."""
        if self.out_of_scope or not self.low_confidence:
            return []
        pool = list(self.runners_up)
        if self.entry_id is None and self.top is not None:
            pool.insert(0, self.top)
        cut = self.scoring.suggest_min_score
        return [c.entry_id for c in pool if c.score >= cut][:MAX_RUNNERS_UP]


def out_of_scope_reason(question: str, data: MatcherData | None = None) -> str | None:
    """Why a question is explicitly out of scope (by the packaged families, or those of
    ``data``), or None."""
    if data is None:
        return _default_offtopic().reason(question)
    return OffTopicStage(data.offtopic).reason(question)


@functools.cache
def _default_offtopic() -> OffTopicStage:
    return OffTopicStage(default_matcher_data().offtopic)


def _sigmoid(x: float) -> float:
    if x < -SIGMOID_LIMIT:
        return 0.0
    if x > SIGMOID_LIMIT:
        return 1.0
    return 1.0 / (1.0 + math.exp(-x))


def calibrate(
    top: float,
    margin: float,
    information: float,
    explained: float,
    calibration: Calibration | None = None,
) -> float:
    """P(the best entry is right) from the match features; always in [0, 1]."""
    c = calibration or default_matcher_data().weights.calibration
    return _sigmoid(c.bias + c.top * top + c.margin * margin + c.information * information
                    + c.explained * explained)


@dataclass(frozen=True)
class _Signals:
    known_share: float  # IDF-weighted share of the question's words the KB knows
    information: float  # IDF mass of the known words, in units of the rarest word
    # The question's content tokens, spelt onto the vocabulary.
    tokens: tuple[str, ...] = ()


@dataclass
class _Indexed:
    entry: FaqEntry
    texts: list[str]  # content strings of question, phrasings, member questions, keywords
    edited_texts: list[str]  # the same without member questions (the fuzzy pass reads these)
    keywords: list[str]  # normalised keyword phrases
    codes: frozenset[str]


# Matcher attributes computed from the knowledge base's texts by Matcher._build, stored
# by the on-disk cache (``_items`` too, by entry id); the question caches start empty.
_DERIVED = (
    "_about_codes", "_answer_vocabs", "_autocomplete_owner", "_autocomplete_primary",
    "_autocomplete_texts", "_bayes_denominators", "_code_idf", "_entry_sorted",
    "_entry_word_texts", "_factors", "_grammar_targets", "_idf", "_ids", "_index_of",
    "_keyword_entries", "_keyword_max_words", "_max_idf", "_owned_codes", "_pairs",
    "_popular", "_postings", "_respell_cache", "_specific_codes", "_stem_words",
    "_text_sizes", "_vocab", "_vocabs", "_word_set", "_word_text_counts", "_words",
)
_ITEM_FIELDS = 5


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
        # First-person timing of the personal entries (FaqEntry.first_person/personal_timing).
        self._personal = [
            (re.compile(e.first_person), re.compile(e.personal_timing))
            for e in kb.entries.values()
            if e.personal and e.first_person is not None and e.personal_timing is not None
        ]
        self._signals: list[re.Pattern[str] | None] = [
            re.compile("|".join(f"(?:{s})" for s in entry.signals)) if entry.signals else None
            for entry in kb.entries.values()
        ]
        # What follows is derived from the texts alone: a fresh process reads it from the
        # on-disk cache (knowledge.matcher_cache) instead of normalising every text again.
        # Above MAX_ENTRIES the pickled tables cost more memory to write and read than
        # the build itself needs, so very large bases are always built.
        use_cache = cache and len(kb.entries) <= matcher_cache.MAX_ENTRIES
        key = matcher_cache.cache_key(kb.entries, data.weights) if use_cache else None
        state = matcher_cache.load(key) if key is not None else None
        if state is None or not self._restore(state):
            self._build(kb)
            if key is not None:
                matcher_cache.save(key, self._derived())

    def _build(self, kb: KnowledgeBase) -> None:
        """Normalise every text of the knowledge base and build the index tables."""
        # normalize() of each text once (the speller and the index both read them; the
        # function's own cache is too small for a large knowledge base).
        memo: dict[str, str] = {}
        self._items: list[_Indexed] = []
        self._specific_codes: list[frozenset[str]] = []
        self._about_codes: list[bool] = []
        self._postings: dict[str, list[int]] = defaultdict(list)
        self._autocomplete_texts: list[str] = []
        self._autocomplete_owner: list[int] = []
        self._autocomplete_primary: list[bool] = []
        self._vocabs: list[frozenset[str]] = []
        # The words of each entry's answer (placeholders left out): a question may use
        # the answer's own words, and the "explained" feature counts them.
        self._answer_vocabs: list[frozenset[str]] = []
        self._build_speller(kb, memo)
        def normalized_once(source: str) -> str:
            found = memo.get(source)
            if found is None:
                found = memo[source] = normalize(source)
            return found

        for index, entry in enumerate(kb.entries.values()):
            edited = [normalized_once(s) for s in (entry.question, *entry.phrasings)]
            # Members' questions are read as a question is: their typos spelt onto the
            # editors' words, so a typo never becomes a word of its own.
            normalized = edited + [self._read(q)[0] for q in entry.examples]
            keywords = [normalized_once(k) for k in entry.keywords]
            texts = [" ".join(content_tokens(n)) for n in normalized + keywords]
            texts = [t for t in dict.fromkeys(texts) if t]
            edited_texts = [" ".join(content_tokens(n)) for n in edited + keywords]
            edited_texts = [t for t in dict.fromkeys(edited_texts) if t]
            codes = frozenset(entry.exams) | {
                c for n in (*normalized, *keywords) for c in exam_codes(n)
            }
            self._items.append(_Indexed(entry, texts, edited_texts, keywords, codes))
            specific, about_codes = self._entry_codes(normalized)
            self._specific_codes.append(specific)
            self._about_codes.append(about_codes)
            vocab = frozenset(t for text in texts for t in text.split())
            self._vocabs.append(vocab)
            answer_words = content_tokens(normalize(PLACEHOLDER_RE.sub(" ", entry.answer)))
            self._answer_vocabs.append(frozenset(answer_words) - vocab)
            for token in vocab:
                self._postings[token].append(index)
            # Autocomplete offers the editors' wording, not members' typos.
            for text in (edited[0], *keywords, *edited[1:]):
                self._autocomplete_texts.append(text)
                self._autocomplete_owner.append(index)
                self._autocomplete_primary.append(text is edited[0] or text in keywords)
        # Per entry, for the fuzzy pass (the editors' texts only: member questions teach
        # the word statistics, and the costliest step need not read them all too):
        # texts with their words sorted (token_sort_ratio is fuzz.ratio of token-sorted
        # strings, so sort once here), how many distinct words each text has, and which
        # of its texts hold each word.
        self._entry_sorted: list[tuple[str, ...]] = []
        self._entry_word_texts: list[dict[str, tuple[int, ...]]] = []
        self._text_sizes: list[tuple[int, ...]] = []
        # How many of all an entry's texts hold each word, for naive Bayes; None when
        # the entry has no member questions (then ``_entry_word_texts`` says it).
        self._word_text_counts: list[dict[str, int] | None] = []
        for item in self._items:
            edited = item.edited_texts
            self._entry_sorted.append(tuple(" ".join(sorted(t.split())) for t in edited))
            self._text_sizes.append(tuple(max(len(set(t.split())), 1) for t in edited))
            holders: dict[str, list[int]] = defaultdict(list)
            for offset, text in enumerate(edited):
                for word in dict.fromkeys(text.split()):
                    holders[sys.intern(word)].append(offset)
            self._entry_word_texts.append({w: tuple(o) for w, o in holders.items()})
            self._word_text_counts.append(
                None
                if len(item.texts) == len(edited)
                else dict(Counter(w for t in item.texts for w in set(t.split())))
            )
        # Keyword phrases → entries holding them, looked up by the question's n-grams.
        self._keyword_entries: dict[str, set[int]] = defaultdict(set)
        self._keyword_max_words = 1
        for index, item in enumerate(self._items):
            for keyword in item.keywords:
                if keyword:
                    self._keyword_entries[keyword].add(index)
                    self._keyword_max_words = max(self._keyword_max_words,
                                                  len(keyword.split()))
        if len(self._autocomplete_texts) > AUTOCOMPLETE_MAX_TEXTS:
            # Big knowledge bases: titles and keywords only, to stay fast while typing.
            keep = [i for i, p in enumerate(self._autocomplete_primary) if p]
            self._autocomplete_texts = [self._autocomplete_texts[i] for i in keep]
            self._autocomplete_owner = [self._autocomplete_owner[i] for i in keep]
        count = max(len(self._items), 1)
        self._idf: dict[str, float] = {
            token: math.log((count + 1) / (len(postings) + IDF_SMOOTHING))
            for token, postings in self._postings.items()
        }
        self._max_idf = math.log((count + 1) / IDF_SMOOTHING)
        # Per entry: how strongly each of its words stands for it (tf_floor, weights.toml), its
        # and the exam codes it is about.
        self._factors: list[dict[str, float]] = []
        for item in self._items:
            counts: dict[str, int] = defaultdict(int)
            for text in item.texts:
                for word in set(text.split()):
                    counts[word] += 1
            size = max(len(item.texts), 1)
            factors = {}
            for word, n in counts.items():
                share = n / size
                factors[word] = self._w.tf_floor + (1 - self._w.tf_floor) * min(
                    1.0, (1 + self._w.tf_k) * share / (share + self._w.tf_k))
            self._factors.append(factors)
        # Naive Bayes (see bayes_weight): a word's count in an entry is how many of its
        # texts hold it (``_word_text_counts``, or ``_entry_word_texts`` for an entry
        # without member questions); the denominator is kept per entry.
        vocabulary = len(self._postings)
        self._bayes_denominators = [
            (
                sum(counts.values())
                if counts is not None
                else sum(len(texts) for texts in holders.values())
            )
            + self._w.bayes_alpha * vocabulary
            for counts, holders in zip(self._word_text_counts, self._entry_word_texts, strict=True)
        ]
        # Adjacent word pairs of the entries' texts → the entries using them.
        pair_entries: dict[tuple[str, str], set[int]] = defaultdict(set)
        for index, item in enumerate(self._items):
            for text in item.texts:
                for pair in pairwise(text.split()):
                    if pair[0] != pair[1]:
                        pair_entries[pair].add(index)
        # Pair → (IDF over entries, the entries): small tuples, as most pairs belong to
        # one or two entries and a 10,000-entry base has millions of them.
        self._pairs: dict[tuple[str, str], tuple[float, tuple[int, ...]]] = {
            pair: (math.log((count + 1) / (len(owners) + IDF_SMOOTHING)), tuple(sorted(owners)))
            for pair, owners in pair_entries.items()
        }

        # Codes some entry is specifically about: a question naming only those is not
        # for an entry about exams in general ("which exams retire" vs AI-102's date).
        self._owned_codes = frozenset().union(*self._specific_codes)
        # A code only a few entries are about ("what is AI-103") says as much as a rare
        # word: its information is the IDF of the entries specifically about it (the
        # code placeholder alone, found in most entries, says almost nothing).
        owners: dict[str, int] = defaultdict(int)
        for specific in self._specific_codes:
            for code in specific:
                owners[code] += 1
        self._code_idf = {
            code: math.log((count + 1) / (n + IDF_SMOOTHING)) for code, n in owners.items()
        }
        self._vocab = sorted(self._postings)
        self._spell_cache: dict[str, str] = {}
        self._score_cache: dict[str, tuple[tuple[Candidate, ...], _Signals]] = {}
        self._ids = [item.entry.id for item in self._items]
        self._index_of = {entry_id: index for index, entry_id in enumerate(self._ids)}
        ranked = sorted((e.popular, e.id) for e in kb.entries.values() if e.popular is not None)
        popular = [entry_id for _, entry_id in ranked]
        self._popular = popular + [i for i in self._ids if i not in popular]

    def _derived(self) -> dict[str, object]:
        """What :meth:`_build` computed, as plain data for the on-disk cache (entries by
        id: the entries themselves come from the knowledge base)."""
        state: dict[str, object] = {name: getattr(self, name) for name in _DERIVED}
        state["_items"] = [
            (item.entry.id, item.texts, item.edited_texts, item.keywords, item.codes)
            for item in self._items
        ]
        return state

    def _restore(self, state: dict[str, object]) -> bool:
        """Take the tables of a cached build; False (and nothing taken) when ``state``
        does not fit this knowledge base."""
        if set(state) != {*_DERIVED, "_items"}:
            return False
        rows = state["_items"]
        entries = list(self._kb.entries.values())
        if not isinstance(rows, list) or len(rows) != len(entries):
            return False
        items = []
        for row, entry in zip(rows, entries, strict=True):
            if not (isinstance(row, tuple) and len(row) == _ITEM_FIELDS and row[0] == entry.id):
                return False
            items.append(_Indexed(entry, *row[1:]))
        for name in _DERIVED:
            setattr(self, name, state[name])
        self._items = items
        self._spell_cache = {}
        self._score_cache = {}
        return True

    # --- helpers ----------------------------------------------------------------
    def _build_speller(self, kb: KnowledgeBase, memo: dict[str, str]) -> None:
        """The words typos are corrected onto: the editors' (questions, phrasings and
        keywords), never the members' own spellings. ``memo``: the normalised texts,
        by source text, filled in here."""
        word_counts: dict[str, int] = defaultdict(int)
        known: dict[str, float] = {}
        for entry in kb.entries.values():
            for source in (entry.question, *entry.phrasings, *entry.keywords):
                text = memo.get(source)
                if text is None:
                    text = memo[source] = normalize(source)
                for word in text.split():
                    if word.isalpha():
                        word_counts[word] += 1
                known.update(dict.fromkeys(content_tokens(text), 0.0))
        # Until the index is built, ``_fix_word`` asks whether a stem is known here.
        self._idf = known
        # Unstemmed words of the knowledge base (and grammar words), for correcting typos
        # before stemming; more frequent words win ties.
        # Grammar words are known but never targets: "life" must not become "like".
        # Words the normaliser rewrites ("renew" → "renewal") are targets too, after the
        # knowledge base's own words; so are meaningful short words ("second", "after").
        for word in synonym_sources():
            word_counts.setdefault(word, 0)
        for word in grammar_words():
            word_counts.pop(word, None)
        self._words = sorted(word_counts, key=lambda w: (-word_counts[w], w))
        self._word_set = frozenset(self._words) | function_words()
        # Stems of the knowledge base's words ("cheat" of "cheating") are targets after
        # the words themselves; long grammar words ("needed", "there") are last-resort
        # targets, so a typo in one is not an unknown word.
        stems = {stem(w) for w in self._words if len(w) >= STEM_SOURCE_CHARS and w.isalpha()}
        self._stem_words = sorted(
            s for s in stems - self._word_set if len(s) >= STEM_TARGET_CHARS
        )
        self._grammar_targets = sorted(
            w for w in grammar_words() if len(w) >= GRAMMAR_TARGET_CHARS
        )
        self._respell_cache: dict[str, tuple[str, int]] = {}

    def _read(self, question: str) -> tuple[str, int]:
        """A question as the matcher reads it: normalised, its typos spelt onto the
        knowledge base's words, and how many words that changed."""
        normalized = normalize(question)
        respelt, fixed = self._respell(normalized)
        if respelt != normalized:
            # Re-normalise so synonym rules see the corrected words ("pas mark").
            normalized = normalize(respelt)
        return normalized, fixed

    def _entry_codes(self, texts: list[str]) -> tuple[frozenset[str], bool]:
        """The exam codes an entry is about, and whether it is about exams by code at all.

        An entry is about exams by code when at least ``code_specific_share`` of its
        question and phrasings name one ("is AI-102 retired", "is az-204 retired"); it
        is about the codes named that often (AI-102, for the first), not the ones a
        generic entry mentions in passing. ``texts``: the normalised question and
        phrasings."""
        counts: dict[str, int] = defaultdict(int)
        with_code = 0
        for text in texts:
            found = set(exam_codes(text))
            with_code += bool(found)
            for code in found:
                counts[code] += 1
        cut = self._w.code_specific_share * len(texts)
        return frozenset(c for c, n in counts.items() if n >= cut), with_code >= cut

    @property
    def knowledge(self) -> KnowledgeBase:
        return self._kb

    def _correct(self, token: str) -> str:
        cached = self._spell_cache.get(token)
        if cached is None:
            cached = self._spell(token)
            if len(self._spell_cache) < SPELL_CACHE_SIZE:
                self._spell_cache[token] = cached
        return cached

    def _spell(self, token: str) -> str:
        """Map an unknown token onto the vocabulary when a close spelling exists."""
        if token in self._idf or len(token) < SPELL_MIN_CHARS or not token.isalpha():
            return token
        found = process.extractOne(
            token, self._vocab, scorer=fuzz.ratio, score_cutoff=SPELL_MIN_RATIO
        )
        if found is None or found[0][0] != token[0]:
            return token
        return str(found[0])

    def _fix_word(self, word: str) -> str:
        """The knowledge-base word closest to an unknown word (one edit, or two for long
        words, a swap of neighbours counting as one), or the word itself."""
        if len(word) < FIX_MIN_CHARS or word in self._word_set or not word.isalpha():
            return word
        if stem(word) in self._idf:  # another form of a known word: the stemmer copes
            return word
        limit = 1 if len(word) < LONG_WORD_CHARS else 2
        found = process.extract(word, self._words, scorer=OSA.distance, score_cutoff=limit,
                                limit=FIX_CANDIDATES)
        if len(word) == FIX_MIN_CHARS:
            # Four letters: one edit keeping the first letter, onto a longer word only
            # ("agan" → "again", "mney" → "money"; "java" stays).
            found = [f for f in found if f[0][0] == word[0] and len(f[0]) > FIX_MIN_CHARS]
        elif not found:
            found = process.extract(word, self._stem_words, scorer=OSA.distance,
                                    score_cutoff=limit, limit=FIX_CANDIDATES)
            if not found and len(word) >= STEM_SOURCE_CHARS:
                found = process.extract(word, self._grammar_targets, scorer=OSA.distance,
                                        score_cutoff=1, limit=FIX_CANDIDATES)
        if not found:
            return word
        best = min(d for _, d, _ in found)
        # Same first letter first, then the most frequent word (the list is sorted so).
        tied = [(w, i) for w, d, i in found if d == best]
        tied.sort(key=lambda wi: (wi[0][0] != word[0], wi[1]))
        return str(tied[0][0])

    def _respell(self, normalized: str) -> tuple[str, int]:
        """The normalised question with typos spelt onto the knowledge base's words, and
        how many content words changed."""
        cached = self._respell_cache.get(normalized)
        if cached is not None:
            return cached
        words = normalized.split()
        fixed = [self._fix_word(w) for w in words]
        changed = sum(1 for a, b in zip(words, fixed, strict=True)
                      if a != b and b not in function_words())
        result = (" ".join(fixed), changed) if fixed != words else (normalized, 0)
        if len(self._respell_cache) < SPELL_CACHE_SIZE:
            self._respell_cache[normalized] = result
        return result

    def _query_tokens(self, normalized: str) -> tuple[list[str], int]:
        """Content tokens spelt onto the vocabulary, and how many needed correcting."""
        raw = list(dict.fromkeys(content_tokens(normalized)))
        tokens = [self._correct(t) for t in raw]
        return tokens, sum(1 for a, b in zip(raw, tokens, strict=True) if a != b)

    def _coverage(self, tokens: list[str]) -> dict[int, float]:
        """IDF-weighted share of the question's words each entry knows, for the
        ``shortlist`` (weights.toml) entries that know the most.

        Words found in a large share of the entries are left out of the inverted-index
        pass (they would touch every entry and barely change the order) and added back
        exactly for the shortlisted entries."""
        total = sum(self._idf.get(t, self._max_idf) for t in tokens)
        if total <= 0:
            return {}
        common_df = max(COMMON_MIN_POSTINGS, len(self._items) // COMMON_SHARE_DIVISOR)
        scores: dict[int, float] = defaultdict(float)
        common: list[str] = []
        for token in tokens:
            weight = self._idf.get(token)
            if weight is None:
                continue
            postings = self._postings[token]
            if len(postings) > common_df:
                common.append(token)
                continue
            for index in postings:
                scores[index] += weight * self._factors[index][token]
        if not scores and common:
            # Only common words: every entry that knows the first of them competes.
            for index in self._postings[common[0]]:
                scores[index] = 0.0
        shortlist = heapq.nlargest(self._w.shortlist, scores, key=scores.__getitem__)
        result = {}
        for index in shortlist:
            vocab = self._vocabs[index]
            factors = self._factors[index]
            extra = sum(self._idf[t] * factors[t] for t in common if t in vocab)
            result[index] = (scores[index] + extra) / total
        return result

    def _bayes(self, known: list[str], shortlist: list[int]) -> dict[int, float]:
        """Naive Bayes posterior of each shortlisted entry given the known words."""
        if not known:
            return dict.fromkeys(shortlist, 0.0)
        logs = {}
        for index in shortlist:
            denominator = self._bayes_denominators[index]
            counts = self._word_text_counts[index]
            if counts is None:
                holders = self._entry_word_texts[index]
                logs[index] = sum(
                    math.log((len(holders.get(word, ())) + self._w.bayes_alpha) / denominator)
                    for word in known
                )
            else:
                logs[index] = sum(
                    math.log((counts.get(word, 0) + self._w.bayes_alpha) / denominator)
                    for word in known
                )
        top = max(logs.values())
        weights = {index: math.exp(value - top) for index, value in logs.items()}
        total = sum(weights.values())
        return {index: weight / total for index, weight in weights.items()}

    def _keyword_hits(self, normalized: str) -> set[int]:
        """Entries with a keyword phrase that appears word for word in the question."""
        words = normalized.split()
        found: set[int] = set()
        table = self._keyword_entries
        for start in range(len(words)):
            for end in range(start + 1, min(start + self._keyword_max_words, len(words)) + 1):
                entries = table.get(" ".join(words[start:end]))
                if entries:
                    found |= entries
        return found

    def _fuzzy(
        self, query: str, query_set: set[str], shortlist: list[int], multi: bool
    ) -> dict[int, float]:
        """Best fuzzy similarity of the question to each shortlisted entry's texts:
        the mean of token_sort_ratio and a token_set_ratio discounted by how much of the
        text the question covers (token_set_ratio alone gives 100 to any subset, so
        "exam" would match everything).

        token_sort_ratio runs as fuzz.ratio on texts sorted at construction; the
        token_set_ratio pass only sees the ``set_pass_texts`` texts sharing the largest part
        of their words with the question (for a text sharing none it equals the
        token_sort_ratio of the de-duplicated words, and the coverage discount halves
        it)."""
        sorted_query = " ".join(sorted(query.split()))
        best_sort: dict[int, float] = {}
        for index in shortlist:
            found = process.extractOne(sorted_query, self._entry_sorted[index], scorer=fuzz.ratio)
            best_sort[index] = found[1] if found is not None else 0.0
        if not multi:
            return {owner: score / RAPIDFUZZ_MAX for owner, score in best_sort.items()}
        # No shared word: token_set_ratio is the token_sort_ratio, halved by the discount.
        best_set = {
            owner: SET_DISCOUNT_BASE * score
            for owner, score in best_sort.items()
            if score >= FUZZY_FLOOR
        }
        # Texts sharing more of their words with the question can score higher, so try
        # them first and stop once no remaining text could beat the entry's best.
        for index in shortlist:
            holders = self._entry_word_texts[index]
            hits = Counter(chain.from_iterable(holders.get(word, ()) for word in query_set))
            if not hits:
                continue
            texts = self._items[index].edited_texts
            sizes = self._text_sizes[index]
            by_share: dict[float, list[str]] = defaultdict(list)
            # The texts sharing the largest part of their words with the question; the
            # discount leaves the others little chance, and each costs a comparison.
            ranked = sorted(hits, key=lambda o: -hits[o] / sizes[o])[: self._w.set_pass_texts]
            for offset in ranked:
                by_share[hits[offset] / sizes[offset]].append(texts[offset])
            best = best_set.get(index, 0.0)
            for share in sorted(by_share, reverse=True):
                factor = SET_DISCOUNT_BASE + (1 - SET_DISCOUNT_BASE) * share
                if RAPIDFUZZ_MAX * factor <= best:
                    break
                hit = process.extractOne(query, by_share[share], scorer=fuzz.token_set_ratio,
                                         score_cutoff=max(FUZZY_FLOOR, best / factor))
                if hit is not None and hit[1] * factor > best:
                    best = hit[1] * factor
            if best > 0:
                best_set[index] = best
        return {
            owner: (SORT_SHARE * score + (1 - SORT_SHARE) * best_set.get(owner, 0.0))
            / RAPIDFUZZ_MAX
            for owner, score in best_sort.items()
        }

    def _score(self, question: str) -> tuple[list[Candidate], _Signals]:
        """Every plausible entry with its raw (unclamped) score, best first, and the
        question-level signals the calibration uses. Scoring is pure, so recent
        questions are answered from a small cache (members ask the same things)."""
        cached = self._score_cache.get(question)
        if cached is None:
            cached = self._score_uncached(question)
            if len(self._score_cache) >= SCORE_CACHE_SIZE:
                del self._score_cache[next(iter(self._score_cache))]  # oldest first
            self._score_cache[question] = cached
        candidates, signals = cached
        return list(candidates), signals

    def _score_uncached(self, question: str) -> tuple[tuple[Candidate, ...], _Signals]:
        normalized, fixed = self._read(question)
        tokens, corrected = self._query_tokens(normalized)
        corrected += fixed
        if not tokens:
            return (), _Signals(0.0, 0.0)
        # A number the knowledge base has never seen ("got 680", "on the 10th", "at 9am",
        # "5x") is the member's own figure or date, not a sign of another topic: it does
        # not count as unknown.
        total = sum(self._weight(t) for t in tokens)
        known = sum(self._idf[t] for t in tokens if t in self._idf)
        codes = set(exam_codes(normalized))
        if codes and CODE_PLACEHOLDER in self._idf:
            code_idf = max((self._code_idf.get(c, 0.0) for c in codes), default=0.0)
            known += max(0.0, code_idf - self._idf[CODE_PLACEHOLDER])
        # A word that had to be re-spelt is only half trusted.
        doubt = 1.0 - (1 - self._w.respelt_trust) * corrected / len(tokens)
        signals = _Signals(
            known_share=doubt * known / total if total > 0 else 0.0,
            information=min(known / self._max_idf, self._w.max_information),
            tokens=tuple(tokens),
        )
        coverage = self._coverage(tokens)
        if not coverage:
            return (), signals
        shortlist = sorted(coverage, key=lambda i: (-coverage[i], i))
        query = " ".join(tokens)
        multi = len(tokens) > 1
        first_person = any(f.search(normalized) for f, _ in self._personal)
        personal = any(f.search(normalized) and t.search(normalized) for f, t in self._personal)
        fuzzy_by_entry = self._fuzzy(query, set(tokens), shortlist, multi)
        keyword_hits = self._keyword_hits(normalized)
        query_pairs = [self._pairs[p] for p in pairwise(tokens) if p in self._pairs]
        pair_mass = sum(idf for idf, _ in query_pairs)
        bayes = self._bayes([t for t in tokens if t in self._idf], shortlist)
        scored: list[Candidate] = []
        for index in shortlist:
            item = self._items[index]
            fuzzy = fuzzy_by_entry.get(index, 0.0)
            score = self._w.fuzzy_weight * fuzzy + (1 - self._w.fuzzy_weight) * coverage[index]
            if index in keyword_hits:
                score += self._w.keyword_bonus
            score += self._w.bayes_weight * bayes[index]
            signal = self._signals[index]
            if signal is not None and signal.search(normalized):
                score += self._w.signal_bonus
            if pair_mass:
                shared = sum(idf for idf, owners in query_pairs if index in owners)
                score += self._w.pair_weight * shared / max(pair_mass, self._max_idf)
            if codes:
                specific = self._specific_codes[index]
                named = codes & item.codes  # codes the entry declares or mentions
                if codes & specific:
                    score += self._w.code_specific_bonus
                elif specific and not named:
                    score -= self._w.code_mismatch  # AI-102's retirement, asked about AZ-500
                elif self._about_codes[index] and codes <= self._owned_codes and not named:
                    score -= self._w.code_mismatch  # other exams' retirements, asked about AI-102
                elif named:
                    score += self._w.code_bonus
            if item.entry.personal:
                if personal:
                    score += self._w.personal_bonus
                elif not first_person:
                    score -= self._w.impersonal_penalty
            elif personal:
                score -= self._w.personal_other_penalty
            scored.append(Candidate(item.entry.id, score))
        scored.sort(key=lambda c: (-c.score, c.entry_id))
        return tuple(scored), signals

    # --- public API ------------------------------------------------------------
    def features(
        self, question: str
    ) -> tuple[list[Candidate], tuple[float, float, float, float]]:
        """Raw candidates and the (top, margin, information, explained) features of a
        question that is not explicitly out of scope; used by :meth:`match` and the
        calibration fit."""
        scored, signals = self._score(question)
        if not scored:
            return [], (0.0, 0.0, 0.0, 0.0)
        top = scored[0].score
        runner = scored[1].score if len(scored) > 1 else 0.0
        # Questions made mostly of words the knowledge base has never seen are about
        # something else, however well the remaining words match.
        factor = min(1.0, signals.known_share / self._w.known_full)
        explained = self._explained(scored[0].entry_id, signals)
        return scored, (top * factor, (top - runner) * factor, signals.information, explained)

    def _explained(self, entry_id: str, signals: _Signals) -> float:
        """IDF share of the question's words that the entry's texts or its answer use.

        An on-topic question no entry answers ("does the test centre have parking?")
        lands on a neighbour by its shared words while its telling word appears nowhere
        in that entry; the calibration lowers the confidence accordingly."""
        # Numbers are the member's own score or date, never a topic of their own.
        words = [t for t in signals.tokens if not t[0].isdigit()]
        mass = sum(self._weight(t) for t in words)
        if mass <= 0:
            return 1.0
        index = self._index_of[entry_id]
        vocab, answer = self._vocabs[index], self._answer_vocabs[index]
        return sum(self._weight(t) for t in words if t in vocab or t in answer) / mass

    def _weight(self, token: str) -> float:
        """A question word's IDF; a word no entry's texts use counts as the rarest, a
        number as nothing (the member's own figure or date)."""
        return self._idf.get(token, 0.0 if token[0].isdigit() else self._max_idf)

    def known_gap(self, question: str) -> str | None:
        """The known gap (``gaps.toml``) an on-topic question falls in, or None."""
        return self._offtopic.gap_of(question)

    def match(self, question: str) -> MatchResult:
        reason = self._offtopic.reason(question)
        if reason is not None:
            return MatchResult(None, 0.0, (), None, out_of_scope=True, reason=reason,
                               scoring=self._w)
        scored, features = self.features(question)
        if not scored:
            return MatchResult(None, 0.0, (), None, out_of_scope=True, reason="no known words",
                               scoring=self._w)
        confidence = calibrate(*features, calibration=self._calibration)
        gap = self.known_gap(question)
        if gap is not None:
            # A known gap: the neighbours are offered as "maybe one of these", never
            # answered as if they answered.
            confidence = min(confidence, self._w.abstain_below / UNSURE_DIVISOR)
        if features[2] < self._w.min_information:
            # "exam" alone: every entry is about the exam; ask, don't guess.
            confidence = min(confidence, self._w.abstain_below / UNSURE_DIVISOR)
        clamped = [
            Candidate(c.entry_id, min(max(c.score, 0.0), 1.0))
            for c in scored[: 1 + MAX_RUNNERS_UP]
        ]
        top, runners_up = clamped[0], tuple(clamped[1 : 1 + MAX_RUNNERS_UP])
        if features[0] < self._w.answer_min_score:
            # Too weak to even suggest: whatever the calibration says, do not answer.
            confidence = min(confidence, self._w.abstain_below / UNSURE_DIVISOR)
        if confidence < self._w.abstain_below:
            nothing = features[0] < self._w.suggest_min_score
            return MatchResult(
                None, confidence, runners_up, top, out_of_scope=nothing and gap is None,
                reason=NOT_COVERED if gap is not None else "unsure", scoring=self._w,
            )
        return MatchResult(top.entry_id, confidence, runners_up, top, scoring=self._w)

    def autocomplete(self, partial: str, limit: int = AUTOCOMPLETE_MAX) -> list[Candidate]:
        """Entries to offer while a member types; the most common ones for an empty box."""
        limit = max(0, min(limit, AUTOCOMPLETE_MAX))
        text = normalize(partial)
        if not text:
            n = len(self._popular)
            return [
                Candidate(entry_id, round(1.0 - i / max(n, 1), SCORE_DIGITS))
                for i, entry_id in enumerate(self._popular[:limit])
            ]
        found = process.extract(
            text, self._autocomplete_texts, scorer=fuzz.partial_ratio,
            limit=limit * AUTOCOMPLETE_POOL,
            score_cutoff=AUTOCOMPLETE_CUTOFF,
        )
        words = text.split()
        best: dict[str, float] = {}
        for candidate_text, score, position in found:
            # Reward texts holding every typed word (the last one as a prefix).
            text_words = candidate_text.split()
            hits = sum(1 for w in words if any(t.startswith(w) for t in text_words))
            combined = (AUTOCOMPLETE_FUZZY_WEIGHT * score / RAPIDFUZZ_MAX
                        + AUTOCOMPLETE_PREFIX_WEIGHT * hits / len(words))
            entry_id = self._ids[self._autocomplete_owner[position]]
            best[entry_id] = max(best.get(entry_id, 0.0), combined)
        if len(text) >= AUTOCOMPLETE_SCORE_FROM and self._offtopic.reason(partial) is None:
            scored, _ = self._score(partial)
            scored = [Candidate(c.entry_id, min(max(c.score, 0.0), 1.0)) for c in scored]
            for candidate in scored[:limit]:
                best[candidate.entry_id] = max(
                    best.get(candidate.entry_id, 0.0) * AUTOCOMPLETE_BLEND
                    + candidate.score * (1 - AUTOCOMPLETE_BLEND),
                    candidate.score,
                )
        ranked = sorted(best.items(), key=lambda kv: (-kv[1], kv[0]))
        return [
            Candidate(entry_id, round(score, SCORE_DIGITS)) for entry_id, score in ranked[:limit]
        ]
