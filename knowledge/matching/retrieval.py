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
from array import array
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


# The entries using a pair: one (most pairs), stored as its number, or several, ascending.
Owners = int | tuple[int, ...]


def pair_key(first: int, second: int) -> int:
    """One integer for an ordered pair of word numbers (Cantor's pairing: unique, and
    small while the numbers are)."""
    total = first + second
    return total * (total + 1) // 2 + second


class Index:
    """The word statistics of one knowledge base's texts, stored compactly: words are
    interned, postings and their weights are arrays, and a pair of words is one
    integer."""

    def __init__(self, items: list[EntryTexts], scoring: Scoring) -> None:
        self._w = scoring
        self._items = items
        count = max(len(items), 1)
        intern = sys.intern
        # Per word, the entries whose texts hold it (ascending) and how strongly it
        # stands for each (tf_floor and tf_k, weights.toml).
        postings: dict[str, array[int]] = {}
        weights: dict[str, array[float]] = {}
        # Per entry, for the fuzzy pass (the editors' texts only: member questions teach
        # the word statistics, and the costliest step need not read them all too):
        # texts with their words sorted (token_sort_ratio is fuzz.ratio of token-sorted
        # strings, so sort once here), how many distinct words each text has, and which
        # of its texts hold each word.
        self._entry_sorted: list[tuple[str, ...]] = []
        self._entry_word_texts: list[dict[str, tuple[int, ...]]] = []
        self._text_sizes: list[tuple[int, ...]] = []
        # How many of all an entry's texts hold each word, for naive Bayes and the word
        # weights; None when the entry has no member questions (then
        # ``_entry_word_texts`` says it), and how many texts it has.
        self._word_text_counts: list[dict[str, int] | None] = []
        self._text_counts: list[int] = []
        # Adjacent word pairs of the entries' texts → the entries using them, by a key
        # made of the two words' numbers (``_word_ids``, pair_key).
        self._word_ids: dict[str, int] = {}
        pairs: dict[int, int | list[int]] = {}
        # Word weights by number of texts holding the word, per number of texts.
        weight_rows: dict[int, list[float]] = {}
        ids = self._word_ids
        # Each text's set of words → the entries holding such a text: a question that
        # is word for word one of an entry's texts ("retake wait?") is that entry's,
        # however many neighbours also use its words (exact_bonus, weights.toml).
        exact: dict[str, int | list[int]] = {}
        for index, item in enumerate(items):
            texts, edited = item.texts, item.edited_texts
            split = [list(map(intern, text.split())) for text in texts]
            edited_split = split if edited is texts else [
                list(map(intern, text.split())) for text in edited
            ]
            self._entry_sorted.append(tuple(" ".join(sorted(words)) for words in edited_split))
            self._text_sizes.append(tuple(max(len(set(words)), 1) for words in edited_split))
            holders: dict[str, list[int]] = defaultdict(list)
            for offset, words in enumerate(edited_split):
                for word in set(words):
                    holders[word].append(offset)
            self._entry_word_texts.append({w: tuple(o) for w, o in holders.items()})
            # How many texts hold each word: the holders say it when all texts are the
            # editors'.
            counts: dict[str, int]
            if len(texts) == len(edited):
                counts = {w: len(o) for w, o in holders.items()}
                self._word_text_counts.append(None)
            else:
                counts = Counter(chain.from_iterable(map(set, split)))
                self._word_text_counts.append(dict(counts))
            size = max(len(texts), 1)
            self._text_counts.append(size)
            row = weight_rows.get(size)
            if row is None:
                row = weight_rows[size] = [self._weight(n, size) for n in range(size + 1)]
            for word, n in counts.items():
                found = postings.get(word)
                if found is None:
                    found = postings[word] = array("i")
                    weights[word] = array("d")
                    ids[word] = len(ids)
                found.append(index)
                weights[word].append(row[n])
            for text_words in {" ".join(sorted(set(words))) for words in split if words}:
                held = exact.setdefault(intern(text_words), index)
                if held != index:  # another entry's text has these words too
                    if isinstance(held, int):
                        exact[text_words] = [held, index]
                    else:
                        held.append(index)
            entry_pairs: set[int] = set()
            for words in split:
                numbers = list(map(ids.__getitem__, words))
                entry_pairs.update(  # pair_key(first, second), inlined
                    (total := first + second) * (total + 1) // 2 + second
                    for first, second in pairwise(numbers)
                    if first != second
                )
            for key in entry_pairs:
                # Each entry's pairs are distinct: a key already there is another's.
                owners = pairs.setdefault(key, index)
                if owners is not index:
                    if isinstance(owners, int):
                        pairs[key] = [owners, index]
                    else:
                        owners.append(index)
        self._postings = postings
        self._weights = weights
        self._pairs: dict[int, Owners] = {
            key: owners if isinstance(owners, int) else tuple(owners)
            for key, owners in pairs.items()
        }
        del pairs
        self._exact: dict[str, Owners] = {
            key: owners if isinstance(owners, int) else tuple(owners)
            for key, owners in exact.items()
        }
        del exact
        # Keyword phrases → entries holding them, looked up by the question's n-grams.
        self._keyword_entries: dict[str, set[int]] = defaultdict(set)
        self._keyword_max_words = 1
        for index, item in enumerate(items):
            for keyword in item.keywords:
                if keyword:
                    self._keyword_entries[keyword].add(index)
                    self._keyword_max_words = max(self._keyword_max_words,
                                                  len(keyword.split()))
        self.idf: dict[str, float] = {
            token: idf(count, len(entries)) for token, entries in postings.items()
        }
        self.max_idf = math.log((count + 1) / IDF_SMOOTHING)
        # Naive Bayes (see bayes_weight): a word's count in an entry is how many of its
        # texts hold it (``_word_text_counts``, or ``_entry_word_texts`` for an entry
        # without member questions); the denominator is kept per entry.
        vocabulary = len(postings)
        self._bayes_denominators = [
            (
                sum(counts.values())
                if counts is not None
                else sum(len(texts) for texts in holders.values())
            )
            + scoring.bayes_alpha * vocabulary
            for counts, holders in zip(self._word_text_counts, self._entry_word_texts, strict=True)
        ]
        # The sorted vocabulary, for spelling a question's tokens onto.
        self.vocab = sorted(postings)

    def _weight(self, n: int, size: int) -> float:
        """How strongly a word held by ``n`` of an entry's ``size`` texts stands for it:
        tf_floor of its IDF, plus the rest in proportion to (1 + tf_k)·r / (r + tf_k) of
        the share r."""
        w = self._w
        share = n / size
        return w.tf_floor + (1 - w.tf_floor) * min(1.0, (1 + w.tf_k) * share / (share + w.tf_k))

    def exact(self, tokens: list[str]) -> tuple[int, ...]:
        """The entries one of whose texts has exactly the question's words."""
        owners = self._exact.get(" ".join(sorted(set(tokens))))
        if owners is None:
            return ()
        return (owners,) if isinstance(owners, int) else owners

    def use_scoring(self, scoring: Scoring) -> None:
        """The weights to query with (a restored index keeps those it was built with,
        which the cache key guarantees are equal)."""
        self._w = scoring

    def factor(self, entry: int, word: str) -> float | None:
        """How strongly ``word`` stands for entry ``entry`` (None: its texts lack it)."""
        counts = self._word_text_counts[entry]
        n = (counts.get(word, 0) if counts is not None
             else len(self._entry_word_texts[entry].get(word, ())))
        return self._weight(n, self._text_counts[entry]) if n else None

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
            for index, factor in zip(postings, self._weights[token], strict=True):
                scores[index] += weight * factor
        if not scores and common:
            # Only common words: every entry that knows the first of them competes.
            for index in self._postings[common[0]]:
                scores[index] = 0.0
        shortlist = heapq.nlargest(self._w.shortlist, scores, key=scores.__getitem__)
        result = {}
        for index in shortlist:
            factors = [(t, self.factor(index, t)) for t in common]
            extra = sum(self.idf[t] * f for t, f in factors if f is not None)
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
        ids, count = self._word_ids, max(len(self._items), 1)
        found = []
        for first, second in pairwise(tokens):
            if first not in ids or second not in ids or first == second:
                continue
            owners = self._pairs.get(pair_key(ids[first], ids[second]))
            if owners is None:
                continue
            entries = (owners,) if isinstance(owners, int) else owners
            found.append((idf(count, len(entries)), entries))
        return found

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
