"""The slash command's autocomplete: entries to offer while a member types.

Partial words are matched (rapidfuzz ``partial_ratio``) against the editors' wording —
each entry's question, keywords and phrasings, normalised — and, once the text is long
enough, blended with the matcher's own scores. An empty box offers the ``popular``
entries first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from rapidfuzz import fuzz, process

from knowledge.matching.rescoring import Candidate
from knowledge.models import FaqEntry
from knowledge.normalize import normalize

# Knowledge bases with more texts than this offer titles and keywords only, to stay fast
# while typing.
AUTOCOMPLETE_MAX_TEXTS = 5000
# partial_ratio cut-off, candidates per result, the weights of the fuzzy score and of the
# typed words found as prefixes, the length from which the question is also scored and
# how much of the earlier score a scored candidate keeps, and the most results.
AUTOCOMPLETE_CUTOFF = 60
AUTOCOMPLETE_POOL = 8
AUTOCOMPLETE_PREFIX_WEIGHT = 0.4
AUTOCOMPLETE_FUZZY_WEIGHT = 0.6
AUTOCOMPLETE_SCORE_FROM = 8
AUTOCOMPLETE_BLEND = 0.5
AUTOCOMPLETE_MAX = 25
SCORE_DIGITS = 4
# rapidfuzz scores run from 0 to this.
RAPIDFUZZ_MAX = 100

# Scores a partial question (clamped candidates, best first), or None when the matcher
# would refuse it.
Scorer = Callable[[str], list[Candidate] | None]


class Autocomplete:
    """The texts offered while typing, and the order of the empty box."""

    def __init__(self) -> None:
        self._texts: list[str] = []
        self._owner: list[int] = []
        self._primary: list[bool] = []
        self._ids: list[str] = []
        self._popular: list[str] = []

    def add(self, index: int, edited: list[str], keywords: list[str]) -> None:
        """Offer entry ``index``'s normalised question, keywords and phrasings (the
        editors' wording, not members' typos)."""
        for text in (edited[0], *keywords, *edited[1:]):
            self._texts.append(text)
            self._owner.append(index)
            self._primary.append(text is edited[0] or text in keywords)

    def finish(self, entries: Iterable[FaqEntry]) -> None:
        """Once every entry was added: trim big knowledge bases, rank the popular ones."""
        entries = list(entries)
        if len(self._texts) > AUTOCOMPLETE_MAX_TEXTS:
            # Big knowledge bases: titles and keywords only, to stay fast while typing.
            keep = [i for i, p in enumerate(self._primary) if p]
            self._texts = [self._texts[i] for i in keep]
            self._owner = [self._owner[i] for i in keep]
        self._ids = [e.id for e in entries]
        ranked = sorted((e.popular, e.id) for e in entries if e.popular is not None)
        popular = [entry_id for _, entry_id in ranked]
        self._popular = popular + [i for i in self._ids if i not in popular]

    def complete(self, partial: str, limit: int, score: Scorer) -> list[Candidate]:
        """Entries to offer for ``partial``; the most common ones for an empty box.
        ``score`` scores the partial question once it is long enough."""
        limit = max(0, min(limit, AUTOCOMPLETE_MAX))
        text = normalize(partial)
        if not text:
            n = len(self._popular)
            return [
                Candidate(entry_id, round(1.0 - i / max(n, 1), SCORE_DIGITS))
                for i, entry_id in enumerate(self._popular[:limit])
            ]
        found = process.extract(
            text, self._texts, scorer=fuzz.partial_ratio,
            limit=limit * AUTOCOMPLETE_POOL,
            score_cutoff=AUTOCOMPLETE_CUTOFF,
        )
        words = text.split()
        best: dict[str, float] = {}
        for candidate_text, fuzzy, position in found:
            # Reward texts holding every typed word (the last one as a prefix).
            text_words = candidate_text.split()
            hits = sum(1 for w in words if any(t.startswith(w) for t in text_words))
            combined = (AUTOCOMPLETE_FUZZY_WEIGHT * fuzzy / RAPIDFUZZ_MAX
                        + AUTOCOMPLETE_PREFIX_WEIGHT * hits / len(words))
            entry_id = self._ids[self._owner[position]]
            best[entry_id] = max(best.get(entry_id, 0.0), combined)
        scored = score(partial) if len(text) >= AUTOCOMPLETE_SCORE_FROM else None
        for candidate in (scored or [])[:limit]:
            best[candidate.entry_id] = max(
                best.get(candidate.entry_id, 0.0) * AUTOCOMPLETE_BLEND
                + candidate.score * (1 - AUTOCOMPLETE_BLEND),
                candidate.score,
            )
        ranked = sorted(best.items(), key=lambda kv: (-kv[1], kv[0]))
        return [
            Candidate(entry_id, round(value, SCORE_DIGITS)) for entry_id, value in ranked[:limit]
        ]
