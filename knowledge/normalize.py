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
from typing import Any

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


def _rewrite(text: str, rules: _Rules) -> str:
    """Apply the rewrite rules in order, skipping those that cannot match (the tests of
    :mod:`knowledge.normalize_gates`, worked out again whenever a rule changed the
    text)."""
    triggers = rules.triggers
    compiled = rules.compiled
    pending = triggers.text(text)
    others_gate = triggers.others_gate
    if others_gate is not None and others_gate.search(text) is None:
        pending &= ~triggers.others  # none of the rules without a first-word test
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
    # Each step is skipped when the text cannot hold what it changes (ASCII text needs no
    # folding, a code needs three digits, …): the result is the same, only sooner.
    if text.isascii():
        if "`" in text:
            text = text.translate(_QUOTES)
    else:
        text = _strip_accents(fold_code_text(text).translate(_QUOTES))
    text = text.lower()
    if _MICROSOFT_CODE_RE.search(text):  # otherwise every _CODE_RE match stays as it is
        text = _CODE_RE.sub(_canonical_code, text)
    # Keep apostrophes for the contraction rules, then drop them.
    text = _PUNCT_RE.sub(" ", text)
    if "-" in text:
        text = _INNER_DASH_RE.sub(" ", text)
    rules = _rules()
    word_map = rules.word_map
    text = " ".join([word_map.get(word, word) for word in text.split()])
    text = _rewrite(text, rules)
    if _PLAIN_RE.fullmatch(text):  # plain words and numbers: nothing left to do
        return text
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
    return " ".join(tokens)


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


@lru_cache(maxsize=8192)
def _content(token: str) -> str | None:
    if CODE_TOKEN_RE.match(token):
        return CODE_PLACEHOLDER
    rules = _rules()
    if token in rules.keep:
        return token
    if token in rules.stopwords or (len(token) < 2 and not token.isdigit()):
        return None
    return stem(token)


def content_tokens(normalized: str) -> list[str]:
    """Meaningful tokens of a normalised text: stop words dropped, words stemmed,
    exam codes replaced by :data:`CODE_PLACEHOLDER`."""
    out = []
    for token in normalized.split():
        content = _content(token)
        if content is not None:
            out.append(content)
    return out
