"""Stage 2 of the matcher: read a question the way the knowledge base is written.

The question is normalised (:mod:`knowledge.normalize`: case, unicode, exam codes,
the rewrite rules of ``data/matcher/normalize.toml``), then spelt onto the knowledge
base's vocabulary twice over: whole words onto the editors' words (:meth:`Reader.fix_word`,
one or two edits) before the synonym rules run again, and content tokens onto the
index's stems (:meth:`Reader.correct`). The knowledge base's own texts are read the same
way when the matcher is built (:meth:`Reader.read_entry`), so a member's typo never
becomes a word of its own.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from itertools import chain

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from knowledge.matcher_data import Scoring
from knowledge.models import FaqEntry
from knowledge.normalize import (
    content_tokens,
    exam_codes,
    function_words,
    grammar_words,
    normalize,
    stem,
    synonym_sources,
)
from knowledge.templating import PLACEHOLDER_RE

# Entries of each spelling cache.
SPELL_CACHE_SIZE = 20_000
# Token-level spelling: a token is mapped onto a vocabulary stem at least this similar
# (rapidfuzz ratio, 0-100), and only tokens this long.
SPELL_MIN_RATIO = 84
SPELL_MIN_CHARS = 5
# Word-level spelling (fix_word): shortest word corrected; words shorter than
# LONG_WORD_CHARS letters get SHORT_WORD_EDITS edits, longer ones LONG_WORD_EDITS (a swap
# of neighbours counts as one); candidates looked at; stems of words this long are
# targets, and stems this long; grammar words this long are last-resort targets, reached
# with GRAMMAR_TARGET_EDITS edits.
FIX_MIN_CHARS = 4
LONG_WORD_CHARS = 11
SHORT_WORD_EDITS = 1
LONG_WORD_EDITS = 2
FIX_CANDIDATES = 8
STEM_SOURCE_CHARS = 6
STEM_TARGET_CHARS = 4
GRAMMAR_TARGET_CHARS = 5
GRAMMAR_TARGET_EDITS = 1


@dataclass(frozen=True)
class Reading:
    """A question as the later stages see it."""

    normalized: str  # normalised, typos spelt onto the knowledge base's words
    tokens: list[str]  # distinct content tokens, spelt onto the index's stems
    corrected: int  # how many words or tokens had to be re-spelt
    codes: frozenset[str]  # the exam codes it names


@dataclass
class EntryTexts:
    """What reading an entry's texts gives the later stages (all of it derived from the
    texts, so the on-disk cache stores it)."""

    texts: list[str]  # content strings of question, phrasings, member questions, keywords
    edited_texts: list[str]  # the same without member questions (the fuzzy pass reads these)
    keywords: list[str]  # normalised keyword phrases
    codes: frozenset[str]  # exam codes the entry declares or its editors' texts mention
    # The exam codes the entry is specifically about, and whether it is about exams by
    # code at all (see :func:`entry_codes`).
    specific_codes: frozenset[str]
    about_codes: bool
    # The content tokens of the entry's answer (placeholders left out): a question may
    # use the answer's own words, and the "explained" feature counts them.
    answer_words: frozenset[str] = frozenset()


def entry_codes(texts: list[str], scoring: Scoring) -> tuple[frozenset[str], bool]:
    """The exam codes an entry is about, and whether it is about exams by code at all.

    An entry is about exams by code when at least ``code_specific_share`` of its
    question and phrasings name one ("is AI-102 retired", "is az-204 retired"); it
    is about the codes named that often (AI-102, for the first), not the ones a
    generic entry mentions in passing. ``texts``: the normalised question, phrasings
    and member questions."""
    counts: dict[str, int] = defaultdict(int)
    with_code = 0
    for text in texts:
        found = set(exam_codes(text))
        with_code += bool(found)
        for code in found:
            counts[code] += 1
    cut = scoring.code_specific_share * len(texts)
    return frozenset(c for c, n in counts.items() if n >= cut), with_code >= cut


class TextMemo:
    """Each text of a knowledge base normalised once, and each normalised text's
    content string once, for one build (the speller and the index both read them;
    :func:`normalize`'s own cache is too small for a large knowledge base)."""

    def __init__(self) -> None:
        self._normalized: dict[str, str] = {}
        self._content: dict[str, str] = {}

    def normalized(self, source: str) -> str:
        found = self._normalized.get(source)
        if found is None:
            found = self._normalized[source] = normalize(source)
        return found

    def content(self, normalized: str) -> str:
        """The content tokens of a normalised text, joined by spaces."""
        found = self._content.get(normalized)
        if found is None:
            found = self._content[normalized] = " ".join(content_tokens(normalized))
        return found


class Reader:
    """The knowledge base's spelling: the words and stems typos are corrected onto."""

    def __init__(self, entries: Iterable[FaqEntry], memo: TextMemo) -> None:
        """The words typos are corrected onto: the editors' (questions, phrasings and
        keywords), never the members' own spellings. ``memo``: the build's normalised
        texts."""
        texts = [
            memo.normalized(source)
            for entry in entries
            for source in (entry.question, *entry.phrasings, *entry.keywords)
        ]
        word_counts = Counter(filter(str.isalpha, chain.from_iterable(map(str.split, texts))))
        known = set(chain.from_iterable(map(str.split, map(memo.content, texts))))
        # Until the index is built (use_index), fix_word asks whether a stem is known
        # here; the token speller has no vocabulary yet.
        self._known: Collection[str] = known
        self._vocab: list[str] = []
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
        # Filled while the knowledge base's member questions are read, and kept.
        self._respell_cache: dict[str, tuple[str, int]] = {}
        self._spell_cache: dict[str, str] = {}

    def use_index(self, known: Collection[str], vocab: list[str]) -> None:
        """Spell onto the built index: its stems (``known``) and sorted vocabulary."""
        self._known = known
        self._vocab = vocab

    def clear_question_cache(self) -> None:
        """Forget the token spellings of past questions (a restored reader starts so)."""
        self._spell_cache = {}

    # --- the knowledge base's texts ------------------------------------------------
    def read_entry(
        self, entry: FaqEntry, memo: TextMemo, scoring: Scoring
    ) -> tuple[EntryTexts, list[str]]:
        """An entry's texts as the index stores them, and its normalised question and
        phrasings (autocomplete offers those)."""
        edited = [memo.normalized(s) for s in (entry.question, *entry.phrasings)]
        # Members' questions are read as a question is: their typos spelt onto the
        # editors' words, so a typo never becomes a word of its own.
        read = edited + [self.read(q)[0] for q in entry.examples]
        keywords = [memo.normalized(k) for k in entry.keywords]
        texts = [memo.content(n) for n in read + keywords]
        texts = [t for t in dict.fromkeys(texts) if t]
        if entry.examples:
            edited_texts = [memo.content(n) for n in edited + keywords]
            edited_texts = [t for t in dict.fromkeys(edited_texts) if t]
        else:
            edited_texts = texts  # the same texts: one list
        # The codes the entry itself names: declared, or in the editors' texts. A member
        # mentioning a code in passing ("is MS-102 going too, like AI-102?") does not
        # make an entry about other exams' retirements one that names AI-102.
        codes = frozenset(entry.exams) | {
            c for n in (*edited, *keywords) for c in exam_codes(n)
        }
        specific, about_codes = entry_codes(read, scoring)
        answer = memo.content(memo.normalized(PLACEHOLDER_RE.sub(" ", entry.answer)))
        texts_read = EntryTexts(texts, edited_texts, keywords, codes, specific, about_codes,
                                frozenset(answer.split()))
        return texts_read, edited

    # --- a question ------------------------------------------------------------
    def question(self, question: str) -> Reading:
        """Everything the later stages read from a question."""
        normalized, fixed = self.read(question)
        tokens, corrected = self.query_tokens(normalized)
        return Reading(normalized, tokens, corrected + fixed, frozenset(exam_codes(normalized)))

    def read(self, question: str) -> tuple[str, int]:
        """A question as the matcher reads it: normalised, its typos spelt onto the
        knowledge base's words, and how many words that changed."""
        normalized = normalize(question)
        respelt, fixed = self.respell(normalized)
        if respelt != normalized:
            # Re-normalise so synonym rules see the corrected words ("pas mark").
            normalized = normalize(respelt)
        return normalized, fixed

    def respell(self, normalized: str) -> tuple[str, int]:
        """The normalised question with typos spelt onto the knowledge base's words, and
        how many content words changed."""
        cached = self._respell_cache.get(normalized)
        if cached is not None:
            return cached
        words = normalized.split()
        fixed = [self.fix_word(w) for w in words]
        changed = sum(1 for a, b in zip(words, fixed, strict=True)
                      if a != b and b not in function_words())
        result = (" ".join(fixed), changed) if fixed != words else (normalized, 0)
        if len(self._respell_cache) < SPELL_CACHE_SIZE:
            self._respell_cache[normalized] = result
        return result

    def fix_word(self, word: str) -> str:
        """The knowledge-base word closest to an unknown word (one edit, or two for long
        words, a swap of neighbours counting as one), or the word itself."""
        if len(word) < FIX_MIN_CHARS or word in self._word_set or not word.isalpha():
            return word
        if stem(word) in self._known:  # another form of a known word: the stemmer copes
            return word
        limit = SHORT_WORD_EDITS if len(word) < LONG_WORD_CHARS else LONG_WORD_EDITS
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
                                        score_cutoff=GRAMMAR_TARGET_EDITS,
                                        limit=FIX_CANDIDATES)
        if not found:
            return word
        best = min(d for _, d, _ in found)
        # Same first letter first, then the most frequent word (the list is sorted so).
        tied = [(w, i) for w, d, i in found if d == best]
        tied.sort(key=lambda wi: (wi[0][0] != word[0], wi[1]))
        return str(tied[0][0])

    def query_tokens(self, normalized: str) -> tuple[list[str], int]:
        """Content tokens spelt onto the vocabulary, and how many needed correcting."""
        raw = list(dict.fromkeys(content_tokens(normalized)))
        tokens = [self.correct(t) for t in raw]
        return tokens, sum(1 for a, b in zip(raw, tokens, strict=True) if a != b)

    def correct(self, token: str) -> str:
        """A token spelt onto the index's vocabulary (remembered per token)."""
        cached = self._spell_cache.get(token)
        if cached is None:
            cached = self._spell(token)
            if len(self._spell_cache) < SPELL_CACHE_SIZE:
                self._spell_cache[token] = cached
        return cached

    def _spell(self, token: str) -> str:
        """Map an unknown token onto the vocabulary when a close spelling exists."""
        if token in self._known or len(token) < SPELL_MIN_CHARS or not token.isalpha():
            return token
        found = process.extractOne(
            token, self._vocab, scorer=fuzz.ratio, score_cutoff=SPELL_MIN_RATIO
        )
        if found is None or found[0][0] != token[0]:
            return token
        return str(found[0])
