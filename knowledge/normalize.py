"""Turn a member's question into a canonical string the matcher can compare.

Pure functions, no state: case, unicode and punctuation are folded, exam codes are
written one way (``ai102`` / ``AI 102`` / ``ai-102`` → ``AI-102``), chat abbreviations
are expanded and synonyms collapse onto one word (``resit`` → ``retake``), so the
fuzzy scorers compare meaning rather than spelling.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Any, NamedTuple

from knowledge.codes import fold_code_text, try_normalize_exam_code
from knowledge.normalize_gates import MAX_CONTAINED_AFTER_FIRST_WORD, WordTriggers, contained

# Prefixes of Microsoft exam codes. Only these become codes, so "is 700 a pass" never
# turns into an "IS-700" exam.
MICROSOFT_CODE_PREFIXES = frozenset(
    {"ab", "ai", "az", "da", "dp", "gh", "ma", "mb", "md", "mo", "ms", "pl", "sc"}
)
_CODE_RE = re.compile(r"\b([a-z]{2,3})[\s\-_]?(\d{3})\b")
# What a text must hold for _CODE_RE to change it: a match with a Microsoft prefix.
_MICROSOFT_CODE_RE = re.compile(
    r"\b(?:" + "|".join(sorted(MICROSOFT_CODE_PREFIXES)) + r")[\s\-_]?\d{3}\b"
)
CODE_TOKEN_RE = re.compile(r"^[A-Z]{2,3}-\d{3}$")

# Placeholder the fuzzy scorers see instead of a specific code, so a phrasing written
# for AI-102 also matches the same question about AZ-104.
CODE_PLACEHOLDER = "examcode"

_QUOTES = str.maketrans({"‘": "'", "’": "'", "ʼ": "'", "`": "'", "“": '"', "”": '"'})

# Whole-phrase rewrites, applied in order on lower-case text padded with spaces, and the
# grammar words: data, in ``data/matcher/normalize.toml`` (validated by the loader).
_SIMPLE_RULE_RE = re.compile(r"^\\b\(?([a-z0-9]+(?:\|[a-z0-9]+)*)\)?\\b$")


# A rewrite rule: its pattern, its replacement, and texts one of which a text must
# contain for the pattern to match when no first-word test exists (None: always tried).
_Rule = tuple[re.Pattern[str], str, tuple[str, ...] | None]


def _split_rules(
    phrases: tuple[tuple[str, str], ...],
) -> tuple[dict[str, str], tuple[_Rule, ...], WordTriggers]:
    """Rules that only swap one word for another become a dictionary (one lookup per
    word); the rest stay regular expressions, each with a cheap test of whether it can
    match at all (:mod:`knowledge.normalize_gates`). Word swaps run first."""
    words: dict[str, str] = {}
    patterns: list[_Rule] = []
    for pattern, replacement in phrases:
        simple = _SIMPLE_RULE_RE.match(pattern)
        if simple and "\\" not in replacement:
            for word in simple.group(1).split("|"):
                words.setdefault(word, replacement)
        else:
            patterns.append((re.compile(pattern), replacement, contained(pattern)))
    triggers = WordTriggers([p.pattern for p, _, _ in patterns])
    # Behind a first-word test, only short "contained text" tests are worth running.
    patterns = [
        (p, r, needs if needs is None or triggers.others >> i & 1
         or len(needs) <= MAX_CONTAINED_AFTER_FIRST_WORD else None)
        for i, (p, r, needs) in enumerate(patterns)
    ]
    return words, tuple(patterns), triggers


class _Rules:
    """The normaliser's data, read once from ``data/matcher/normalize.toml``."""

    def __init__(self, phrases: tuple[tuple[str, str], ...], stopwords: frozenset[str],
                 keep: frozenset[str]) -> None:
        self.phrases = phrases
        self.word_map, self.compiled, self.triggers = _split_rules(phrases)
        self.pieces = _Pieces(self)
        self.stopwords = stopwords
        self.keep = keep
        # Every word the normaliser treats as grammar rather than content; the matcher's
        # spelling correction may map a typo onto one of these ("waht" → "what").
        self.function_words = stopwords | keep
        self.synonym_sources = _synonym_sources(phrases, self.word_map, stopwords)


@lru_cache(maxsize=1)
def _rules() -> _Rules:
    """The packaged rules, validated (a broken file raises ``KnowledgeError`` naming the
    file, the rule and the field)."""
    from knowledge.loader import KnowledgeError, load_normalize_rules

    problems: list[Any] = []
    data = load_normalize_rules(problems=problems)
    if data is None:
        raise KnowledgeError(problems)
    return _Rules(
        tuple((rule.pattern, rule.to) for rule in data.rule),
        frozenset(data.stopwords),
        frozenset(data.keep),
    )


def function_words() -> frozenset[str]:
    """Grammar words and the short words kept as content (``when``, ``again``)."""
    return _rules().function_words


def grammar_words() -> frozenset[str]:
    """Words dropped from the content the matcher compares."""
    return _rules().stopwords


def synonym_sources() -> frozenset[str]:
    """Words the rules rewrite away (see :func:`_synonym_sources`)."""
    return _rules().synonym_sources


def _synonym_sources(
    phrases: tuple[tuple[str, str], ...], word_map: dict[str, str], stopwords: frozenset[str]
) -> frozenset[str]:
    """The words the rules above rewrite ("renew", "retired", "cooldown", "passmark"),
    which never appear in normalised text: the matcher's spelling correction may still
    aim at them, so "reenw" is read as "renew" and then normalised to "renewal"."""
    words: set[str] = set(word_map)
    for pattern, _ in phrases:
        # "cool ?-? ?down", "brain ?dumps?": the joined spellings count too
        joined = re.sub(r" \?-\? \?| \?|-\? \?", "", pattern).replace("s?", "s")
        words.update(re.findall(r"(?<![\\a-z])[a-z]{5,}(?![a-z?])", joined))
    return frozenset(w for w in words if w.isalpha() and len(w) >= 5 and w not in stopwords)


_PLAIN_RE = re.compile(r"[a-z0-9]+(?: [a-z0-9]+)*")
_PUNCT_RE = re.compile(r"[^\w\s'\-+#%/]")
_INNER_DASH_RE = re.compile(r"(?<=[a-z])-(?=[a-z])")
_DASHES_RE = re.compile(r"-+")
_NON_WORD_RE = re.compile(r"[^\w\s\-+#%]")
_SPACES_RE = re.compile(r"\s+")


def _strip_accents(text: str) -> str:
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _canonical_code(match: re.Match[str]) -> str:
    prefix, digits = match.group(1), match.group(2)
    if prefix not in MICROSOFT_CODE_PREFIXES:
        return match.group(0)
    code = try_normalize_exam_code(prefix + digits)
    return f" {code} " if code else match.group(0)


def _rewrite(text: str, rules: _Rules, pending: int | None = None) -> str:
    """Apply the rewrite rules in order, skipping those that cannot match (the tests of
    :mod:`knowledge.normalize_gates`, worked out again whenever a rule changed the
    text). ``pending``: the rules that may match ``text``, when already known."""
    triggers = rules.triggers
    compiled = rules.compiled
    if pending is None:
        pending = triggers.filter_others(text, triggers.text(text))
    while pending:
        lowest = pending & -pending
        pending ^= lowest
        pattern, replacement, needs = compiled[lowest.bit_length() - 1]
        if needs is not None and (
            needs[0] not in text if len(needs) == 1 else not any(p in text for p in needs)
        ):
            continue
        rewritten = pattern.sub(replacement, text)
        if rewritten != text:
            text = rewritten
            # The rules after this one, as the new text may trigger them.
            pending = triggers.text(text) & ~((lowest << 1) - 1)
    return text


@lru_cache(maxsize=4096)
def normalize(text: str) -> str:
    """Canonical text: lower case (codes upper case), no accents or punctuation,
    codes as ``AI-102``, shorthand expanded and synonyms collapsed."""
    if text.isascii() and "`" not in text:
        # The common case, read piece by piece (what lies between two spaces, each
        # remembered): the same result as the general path below whenever no piece
        # may start an exam code; the rewrite rules run only when a word may start one.
        rules = _rules()
        swapped: list[str] = []
        tail: list[str] = []
        pending = rules.triggers.others
        for piece in map(rules.pieces.__getitem__, text.lower().split()):
            if piece.code:
                return _normalize_general(text)
            swapped += piece.swapped
            tail += piece.tail
            pending |= piece.rules
        joined = " ".join(swapped)
        pending = rules.triggers.filter_others(joined, pending)
        if pending:
            return _finish(_rewrite(joined, rules, pending=pending))
        return " ".join(tail)
    return _normalize_general(text)


def _normalize_general(text: str) -> str:
    """:func:`normalize`, one step after the other over the whole text. Each step is
    skipped when the text cannot hold what it changes (ASCII text needs no folding, a
    code needs a Microsoft prefix and three digits, …): the result is the same, only
    sooner."""
    if text.isascii():
        if "`" in text:
            text = text.translate(_QUOTES)
    else:
        text = _strip_accents(fold_code_text(text).translate(_QUOTES))
    text = text.lower()
    if _MICROSOFT_CODE_RE.search(text):  # otherwise every _CODE_RE match stays as it is
        text = _CODE_RE.sub(_canonical_code, text)
    swapped = _swap_words(_punctuation(text), _rules())
    return _finish(_rewrite(" ".join(swapped), _rules()))


def _punctuation(text: str) -> str:
    # Keep apostrophes for the contraction rules, then drop them.
    text = _PUNCT_RE.sub(" ", text)
    if "-" in text:
        text = _INNER_DASH_RE.sub(" ", text)
    return text


def _swap_words(text: str, rules: _Rules) -> list[str]:
    """The text's words after the one-word swaps (a swap may give two words, or none:
    joined by spaces, they are the text the rewrite rules read)."""
    word_map = rules.word_map
    words = text.split()
    if word_map.keys().isdisjoint(words):
        return words
    return [word_map.get(word, word) for word in words]


def _finish(text: str) -> str:
    """The text after the rewrite rules, as the matcher compares it."""
    if _PLAIN_RE.fullmatch(text):  # plain words and numbers: nothing left to do
        return text
    return " ".join(_final_tokens(text))


def _final_tokens(text: str) -> list[str]:
    text = text.replace("'", " ").replace("/", " ")
    # Dashes inside words ("e-mail", "re-take" already handled) become spaces, but the
    # dash of a canonical code stays.
    tokens = []
    for raw in text.split():
        if raw.isascii() and raw.isalnum():  # the common case: a plain word or number
            tokens.append(raw.lower())
        elif CODE_TOKEN_RE.match(raw):
            tokens.append(raw)
        else:
            tokens.extend(
                t if CODE_TOKEN_RE.match(t) else _NON_WORD_RE.sub("", t)
                for t in _DASHES_RE.split(raw.lower())
                if t and t.strip("-")
            )
    return tokens


class _Piece(NamedTuple):
    """What lies between two spaces of a lower-cased ASCII question, read."""

    code: bool  # a word of it may start a Microsoft exam code (then the general path)
    swapped: list[str]  # its words after punctuation and the one-word swaps
    rules: int  # the rewrite rules its words may start (WordTriggers)
    tail: list[str]  # its final tokens, when no rewrite rule changes the text


class _Pieces(dict[str, _Piece]):
    """Pieces read once each (emptied when it holds PIECE_CACHE_SIZE)."""

    def __init__(self, rules: _Rules) -> None:
        super().__init__()
        self._rules = rules

    def __missing__(self, piece: str) -> _Piece:
        code = any(
            run[:2] in MICROSOFT_CODE_PREFIXES
            and (len(run) == 2 or run[2] == "_" or run[2].isdigit())
            for run in _RUNS_RE.findall(piece)
        )
        swapped = _swap_words(_punctuation(piece), self._rules)
        words = " ".join(swapped).split()
        found = _Piece(
            code, swapped, self._rules.triggers.chunks(words),
            [t for word in words for t in _final_tokens(word)],
        )
        if len(self) >= PIECE_CACHE_SIZE:
            self.clear()
        self[piece] = found
        return found


PIECE_CACHE_SIZE = 100_000
_RUNS_RE = re.compile(r"\w+")


def exam_codes(normalized: str) -> list[str]:
    """The canonical exam codes in an already normalised text, in order."""
    if "-" not in normalized:  # every code has its dash
        return []
    return [t for t in normalized.split() if CODE_TOKEN_RE.match(t)]


def stem(word: str) -> str:
    """A deliberately small stemmer: both sides go through it, so it only has to map
    a word's forms together (``retakes``/``retaking``/``retake`` → ``retak``)."""
    if len(word) <= 3 or not word.isalpha():
        return word
    if word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    if len(word) > 5 and word.endswith("ing"):
        word = word[:-3]
    elif len(word) > 4 and word.endswith("ed"):
        word = word[:-2]
    if len(word) > 4 and word.endswith("e"):
        word = word[:-1]
    return word


def _content(token: str) -> str | None:
    if CODE_TOKEN_RE.match(token):
        return CODE_PLACEHOLDER
    rules = _rules()
    if token in rules.keep:
        return token
    if token in rules.stopwords or (len(token) < 2 and not token.isdigit()):
        return None
    return stem(token)


class _ContentCache(dict[str, str | None]):
    """Token → :func:`_content`, remembered (emptied when it holds CONTENT_CACHE_SIZE)."""

    def __missing__(self, token: str) -> str | None:
        if len(self) >= CONTENT_CACHE_SIZE:
            self.clear()
        found = self[token] = _content(token)
        return found


CONTENT_CACHE_SIZE = 100_000
_CONTENT = _ContentCache()


def content_tokens(normalized: str) -> list[str]:
    """Meaningful tokens of a normalised text: stop words dropped, words stemmed,
    exam codes replaced by :data:`CODE_PLACEHOLDER`."""
    return [c for c in map(_CONTENT.__getitem__, normalized.split()) if c is not None]
