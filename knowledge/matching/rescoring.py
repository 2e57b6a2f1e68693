"""Stage 4 of the matcher: one score per shortlisted entry.

The retrieval's evidence (IDF coverage, fuzzy similarity, naive Bayes, keyword phrases,
word pairs) is combined with what the entries declare — their concept ``signals``, the
exam codes they are about, the personal entry's first-person timing — each with its
named weight in ``[scoring]`` (``data/matcher/weights.toml``). The question-level
signals the calibration reads (how much of the question the knowledge base knows, and
how informative that part is) are measured here too.
"""

from __future__ import annotations

import dataclasses
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from knowledge.matcher_data import Scoring
from knowledge.matching.classifier import Classifier
from knowledge.matching.reading import EntryTexts, Reading
from knowledge.matching.retrieval import Index, idf
from knowledge.models import FaqEntry
from knowledge.normalize import CODE_PLACEHOLDER


@dataclass(frozen=True)
class Candidate:
    """An entry and its score in [0, 1]."""

    entry_id: str
    score: float


@dataclass(frozen=True)
class Signals:
    """What the calibration reads of the question itself."""

    known_share: float  # IDF-weighted share of the question's words the KB knows
    information: float  # IDF mass of the known words, in units of the rarest word
    # The question's content tokens, spelt onto the vocabulary (for the "explained"
    # feature, :meth:`Rescorer.explained`).
    tokens: tuple[str, ...] = ()
    # The classifier's share for "nothing answers this" (0 when it has no such class).
    unanswered: float = 0.0
    # The exam codes the question names (an entry that covers only its own exams
    # does not answer a question about others: FaqEntry.only_its_exams).
    codes: frozenset[str] = frozenset()


NO_SIGNALS = Signals(0.0, 0.0)


class Rescorer:
    """The entries' own evidence (signals, codes, personal timing), compiled once, and
    the weights that combine it with the retrieval's."""

    def __init__(
        self, entries: Iterable[FaqEntry], items: list[EntryTexts], index: Index,
        scoring: Scoring, classifier: Classifier | None = None,
    ) -> None:
        entries = list(entries)
        self._classifier = classifier
        # The classifier's class for "nothing answers this", after the entries' (if any).
        self._nothing = (len(items) if classifier is not None and classifier.classes > len(items)
                         else None)
        self._w = scoring
        self._index = index
        self._items = items
        self._ids = [e.id for e in entries]
        self._positions = {entry_id: position for position, entry_id in enumerate(self._ids)}
        self._is_personal = [e.personal for e in entries]
        # First-person timing of the personal entries (FaqEntry.first_person/personal_timing).
        self._personal = [
            (re.compile(e.first_person), re.compile(e.personal_timing))
            for e in entries
            if e.personal and e.first_person is not None and e.personal_timing is not None
        ]
        self._signals: list[re.Pattern[str] | None] = [
            re.compile("|".join(f"(?:{s})" for s in e.signals)) if e.signals else None
            for e in entries
        ]
        # Codes some entry is specifically about: a question naming only those is not
        # for an entry about exams in general ("which exams retire" vs AI-102's date).
        self._owned_codes = frozenset().union(*(item.specific_codes for item in items))
        # A code only a few entries are about ("what is AI-103") says as much as a rare
        # word: its information is the IDF of the entries specifically about it (the
        # code placeholder alone, found in most entries, says almost nothing).
        owners: dict[str, int] = defaultdict(int)
        for item in items:
            for code in item.specific_codes:
                owners[code] += 1
        count = max(len(items), 1)
        self._code_idf = {code: idf(count, n) for code, n in owners.items()}

    def signals(self, reading: Reading) -> Signals:
        """How much of the question the knowledge base knows."""
        tokens, index = reading.tokens, self._index
        # A number the knowledge base has never seen ("got 680", "on the 10th", "at 9am",
        # "5x") is the member's own figure or date, not a sign of another topic: it does
        # not count as unknown.
        total = sum(self._weight(t) for t in tokens)
        known = sum(index.idf[t] for t in tokens if t in index.idf)
        codes = reading.codes
        if codes and CODE_PLACEHOLDER in index.idf:
            code_idf = max((self._code_idf.get(c, 0.0) for c in codes), default=0.0)
            known += max(0.0, code_idf - index.idf[CODE_PLACEHOLDER])
        # A word that had to be re-spelt is only half trusted.
        doubt = 1.0 - (1 - self._w.respelt_trust) * reading.corrected / len(tokens)
        return Signals(
            known_share=doubt * known / total if total > 0 else 0.0,
            information=min(known / index.max_idf, self._w.max_information),
            tokens=tuple(tokens),
            codes=codes,
        )

    def _weight(self, token: str) -> float:
        """A question word's IDF; a word no entry's texts use counts as the rarest, a
        number as nothing (the member's own figure or date)."""
        index = self._index
        return index.idf.get(token, 0.0 if token[0].isdigit() else index.max_idf)

    def explained(self, entry_id: str, signals: Signals) -> float:
        """IDF share of the question's words that the entry's texts or its answer use.

        An on-topic question no entry answers ("does the test centre have parking?")
        lands on a neighbour by its shared words while its telling word appears nowhere
        in that entry; the calibration lowers the confidence accordingly."""
        # Numbers are the member's own score or date, never a topic of their own.
        words = [t for t in signals.tokens if not t[0].isdigit()]
        mass = sum(self._weight(t) for t in words)
        if mass <= 0:
            return 1.0
        entry = self._positions[entry_id]
        answer = self._items[entry].answer_words
        found = sum(self._weight(t) for t in words
                    if t in answer or self._index.factor(entry, t) is not None)
        return found / mass

    def score(self, reading: Reading) -> tuple[tuple[Candidate, ...], Signals]:
        """Every plausible entry with its raw (unclamped) score, best first, and the
        question's signals."""
        tokens = reading.tokens
        if not tokens:
            return (), NO_SIGNALS
        w, index = self._w, self._index
        signals = self.signals(reading)
        coverage = index.coverage(tokens)
        if not coverage:
            return (), signals
        shortlist = sorted(coverage, key=lambda i: (-coverage[i], i))
        normalized, codes = reading.normalized, reading.codes
        query = " ".join(tokens)
        multi = len(tokens) > 1
        first_person = any(f.search(normalized) for f, _ in self._personal)
        personal = any(f.search(normalized) and t.search(normalized) for f, t in self._personal)
        fuzzy_by_entry = index.fuzzy(query, set(tokens), shortlist, multi)
        keyword_hits = index.keyword_hits(normalized)
        exact = index.exact(tokens)
        query_pairs = index.pairs_of(tokens)
        pair_mass = sum(pair_idf for pair_idf, _ in query_pairs)
        bayes = index.bayes([t for t in tokens if t in index.idf], shortlist)
        learnt = None
        if self._classifier is not None:
            wanted = shortlist if self._nothing is None else [*shortlist, self._nothing]
            learnt = self._classifier.posterior(tokens, wanted)
            if self._nothing is not None:
                signals = dataclasses.replace(signals, unanswered=learnt.pop(self._nothing))
        scored: list[Candidate] = []
        for entry in shortlist:
            item = self._items[entry]
            fuzzy = fuzzy_by_entry.get(entry, 0.0)
            score = w.fuzzy_weight * fuzzy + (1 - w.fuzzy_weight) * coverage[entry]
            if entry in keyword_hits:
                score += w.keyword_bonus
            if entry in exact:
                score += w.exact_bonus
            score += w.bayes_weight * bayes[entry]
            if learnt is not None:
                score += w.classifier_weight * learnt[entry]
            signal = self._signals[entry]
            if signal is not None and signal.search(normalized):
                score += w.signal_bonus
            if pair_mass:
                shared = sum(pair_idf for pair_idf, owners in query_pairs if entry in owners)
                score += w.pair_weight * shared / max(pair_mass, index.max_idf)
            if codes:
                specific = item.specific_codes
                named = codes & item.codes  # codes the entry declares or mentions
                if codes & specific:
                    score += w.code_specific_bonus
                elif specific and not named:
                    score -= w.code_mismatch  # AI-102's retirement, asked about AZ-500
                elif item.about_codes and codes <= self._owned_codes and not named:
                    score -= w.code_mismatch  # other exams' retirements, asked about AI-102
                elif named:
                    score += w.code_bonus
            if self._is_personal[entry]:
                if personal:
                    score += w.personal_bonus
                elif not first_person:
                    score -= w.impersonal_penalty
            elif personal:
                score -= w.personal_other_penalty
            scored.append(Candidate(self._ids[entry], score))
        scored.sort(key=lambda c: (-c.score, c.entry_id))
        return tuple(scored), signals
