"""Stage 3 of the matcher: the knowledge base's word statistics, and the candidates.

:meth:`Index.coverage` scores entries with a BM25-like lexical relevance of the
question's words (IDF from the knowledge base, each word weighted by the share of the
entry's texts that use it; through an inverted index, so 10,000 entries stay fast) and
keeps the best ``shortlist`` (weights.toml). For those it measures the rest of the
lexical evidence the re-scoring combines: rapidfuzz over the editors' texts
(:meth:`Index.fuzzy`), naive Bayes over the entries' texts (:meth:`Index.bayes`), the
keyword phrases said word for word (:meth:`Index.keyword_hits`) and the adjacent word
pairs the question shares with an entry (:meth:`Index.pairs_of`).

Everything here is derived from the texts alone (:class:`~knowledge.matching.reading.EntryTexts`),
so the on-disk cache stores the built index.
"""

from __future__ import annotations

import heapq
import math
import sys
from collections import Counter, defaultdict
from itertools import chain, pairwise

from rapidfuzz import fuzz, process

from knowledge.matcher_data import Scoring
from knowledge.matching.reading import EntryTexts

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
# rapidfuzz scores run from 0 to this.
RAPIDFUZZ_MAX = 100
# IDF = log((entries + 1) / (postings + IDF_SMOOTHING)).
IDF_SMOOTHING = 0.5


def idf(entries: int, postings: int) -> float:
    """The inverse document frequency of something ``postings`` of ``entries`` hold."""
    return math.log((entries + 1) / (postings + IDF_SMOOTHING))


class Index:
    """The word statistics of one knowledge base's texts."""

    def __init__(self, items: list[EntryTexts], scoring: Scoring) -> None:
        self._w = scoring
        self._items = items
        self._postings: dict[str, list[int]] = defaultdict(list)
        self._vocabs: list[frozenset[str]] = []
        for index, item in enumerate(items):
            vocab = frozenset(t for text in item.texts for t in text.split())
            self._vocabs.append(vocab)
            for token in vocab:
                self._postings[token].append(index)
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
        for item in items:
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
        for index, item in enumerate(items):
            for keyword in item.keywords:
                if keyword:
                    self._keyword_entries[keyword].add(index)
                    self._keyword_max_words = max(self._keyword_max_words,
                                                  len(keyword.split()))
        count = max(len(items), 1)
        self.idf: dict[str, float] = {
            token: idf(count, len(postings)) for token, postings in self._postings.items()
        }
        self.max_idf = math.log((count + 1) / IDF_SMOOTHING)
        # Per entry: how strongly each of its words stands for it (tf_floor, weights.toml).
        self._factors: list[dict[str, float]] = []
        for item in items:
            counts: dict[str, int] = defaultdict(int)
            for text in item.texts:
                for word in set(text.split()):
                    counts[word] += 1
            size = max(len(item.texts), 1)
            factors = {}
            for word, n in counts.items():
                share = n / size
                factors[word] = scoring.tf_floor + (1 - scoring.tf_floor) * min(
                    1.0, (1 + scoring.tf_k) * share / (share + scoring.tf_k))
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
            + scoring.bayes_alpha * vocabulary
            for counts, holders in zip(self._word_text_counts, self._entry_word_texts, strict=True)
        ]
        # Adjacent word pairs of the entries' texts → the entries using them.
        pair_entries: dict[tuple[str, str], set[int]] = defaultdict(set)
        for index, item in enumerate(items):
            for text in item.texts:
                for pair in pairwise(text.split()):
                    if pair[0] != pair[1]:
                        pair_entries[pair].add(index)
        # Pair → (IDF over entries, the entries): small tuples, as most pairs belong to
        # one or two entries and a 10,000-entry base has millions of them.
        self._pairs: dict[tuple[str, str], tuple[float, tuple[int, ...]]] = {
            pair: (idf(count, len(owners)), tuple(sorted(owners)))
            for pair, owners in pair_entries.items()
        }
        # The sorted vocabulary, for spelling a question's tokens onto.
        self.vocab = sorted(self._postings)

    def use_scoring(self, scoring: Scoring) -> None:
        """The weights to query with (a restored index keeps those it was built with,
        which the cache key guarantees are equal)."""
        self._w = scoring

    @property
    def factors(self) -> list[dict[str, float]]:
        """Per entry: how strongly each of its words stands for it."""
        return self._factors

    def coverage(self, tokens: list[str]) -> dict[int, float]:
        """IDF-weighted share of the question's words each entry knows, for the
        ``shortlist`` (weights.toml) entries that know the most.

        Words found in a large share of the entries are left out of the inverted-index
        pass (they would touch every entry and barely change the order) and added back
        exactly for the shortlisted entries."""
        total = sum(self.idf.get(t, self.max_idf) for t in tokens)
        if total <= 0:
            return {}
        common_df = max(COMMON_MIN_POSTINGS, len(self._items) // COMMON_SHARE_DIVISOR)
        scores: dict[int, float] = defaultdict(float)
        common: list[str] = []
        for token in tokens:
            weight = self.idf.get(token)
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
            extra = sum(self.idf[t] * factors[t] for t in common if t in vocab)
            result[index] = (scores[index] + extra) / total
        return result

    def bayes(self, known: list[str], shortlist: list[int]) -> dict[int, float]:
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

    def keyword_hits(self, normalized: str) -> set[int]:
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

    def pairs_of(self, tokens: list[str]) -> list[tuple[float, tuple[int, ...]]]:
        """The question's adjacent token pairs that the knowledge base's texts also put
        side by side: (IDF over entries, the entries using the pair), in order."""
        return [self._pairs[p] for p in pairwise(tokens) if p in self._pairs]

    def fuzzy(
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
            # discount leaves the others little chance, and each costs a comparison. Ties
            # go to the text written first in the knowledge files (``hits`` follows the
            # order of a set, which changes with the hash seed).
            ranked = sorted(hits, key=lambda o: (-hits[o] / sizes[o], o))
            ranked = ranked[: self._w.set_pass_texts]
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
