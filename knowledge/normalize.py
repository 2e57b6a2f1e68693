"""Turn a member's question into a canonical string the matcher can compare.

Pure functions, no state: case, unicode and punctuation are folded, exam codes are
written one way (``ai102`` / ``AI 102`` / ``ai-102`` → ``AI-102``), chat abbreviations
are expanded and synonyms collapse onto one word (``resit`` → ``retake``), so the
fuzzy scorers compare meaning rather than spelling.
"""

from __future__ import annotations

import re
import unicodedata
import warnings
from functools import lru_cache
from typing import Any

from knowledge.codes import fold_code_text, try_normalize_exam_code

# Prefixes of Microsoft exam codes. Only these become codes, so "is 700 a pass" never
# turns into an "IS-700" exam.
MICROSOFT_CODE_PREFIXES = frozenset(
    {"ab", "ai", "az", "da", "dp", "gh", "ma", "mb", "md", "mo", "ms", "pl", "sc"}
)
_CODE_RE = re.compile(r"\b([a-z]{2,3})[\s\-_]?(\d{3})\b")
CODE_TOKEN_RE = re.compile(r"^[A-Z]{2,3}-\d{3}$")

# Placeholder the fuzzy scorers see instead of a specific code, so a phrasing written
# for AI-102 also matches the same question about AZ-104.
CODE_PLACEHOLDER = "examcode"

_QUOTES = str.maketrans({"‘": "'", "’": "'", "ʼ": "'", "`": "'", "“": '"', "”": '"'})

# Whole-phrase rewrites, applied in order on lower-case text padded with spaces, and the
# grammar words: data, in ``data/matcher/normalize.toml`` (validated by the loader).
_SIMPLE_RULE_RE = re.compile(r"^\\b\(?([a-z0-9]+(?:\|[a-z0-9]+)*)\)?\\b$")


_Rule = tuple[re.Pattern[str], str, re.Pattern[str] | None]


def _leading_literals(items: Any) -> set[str] | None:
    """Every literal text a match of the parsed pattern ``items`` must start with, or
    None when that cannot be told (a class, a wildcard, an optional first part)."""
    run: list[str] = []
    for op, arg in items:
        name = str(op)
        if name == "AT" and not run:
            continue  # \b, ^: zero-width
        if name == "LITERAL":
            run.append(chr(arg))
            continue
        if run:
            break
        if name == "SUBPATTERN":
            return _leading_literals(arg[-1])
        if name == "BRANCH":
            found: set[str] = set()
            for branch in arg[1]:
                literals = _leading_literals(branch)
                if literals is None:
                    return None
                found |= literals
            return found
        if name in ("MAX_REPEAT", "MIN_REPEAT") and arg[0] >= 1:
            return _leading_literals(arg[2])
        return None
    return {"".join(run)} if run else None


def _gate(pattern: str) -> re.Pattern[str] | None:
    """A search for the substrings one of which the text must contain for ``pattern``
    to match (None when there is no such cheap test). Checking it first skips most
    rules."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            import sre_parse  # deprecated alias of re._parser; gates are only a speed-up
        literals = _leading_literals(sre_parse.parse(pattern))
    except Exception:  # no parser, or an unparseable pattern: no gate, the rule always runs
        return None
    if not literals or any(not literal for literal in literals):
        return None
    return re.compile("|".join(re.escape(literal) for literal in sorted(literals)))


def _split_rules(
    phrases: tuple[tuple[str, str], ...],
) -> tuple[dict[str, str], tuple[_Rule, ...]]:
    """Rules that only swap one word for another become a dictionary (one lookup per
    word); the rest stay regular expressions, each with a cheap substring gate. Word
    swaps run first."""
    words: dict[str, str] = {}
    patterns: list[_Rule] = []
    for pattern, replacement in phrases:
        simple = _SIMPLE_RULE_RE.match(pattern)
        if simple and "\\" not in replacement:
            for word in simple.group(1).split("|"):
                words.setdefault(word, replacement)
        else:
            patterns.append((re.compile(pattern), replacement, _gate(pattern)))
    return words, tuple(patterns)


class _Rules:
    """The normaliser's data, read once from ``data/matcher/normalize.toml``."""

    def __init__(self, phrases: tuple[tuple[str, str], ...], stopwords: frozenset[str],
                 keep: frozenset[str]) -> None:
        self.phrases = phrases
        self.word_map, self.compiled = _split_rules(phrases)
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


@lru_cache(maxsize=4096)
def normalize(text: str) -> str:
    """Canonical text: lower case (codes upper case), no accents or punctuation,
    codes as ``AI-102``, shorthand expanded and synonyms collapsed."""
    text = fold_code_text(text).translate(_QUOTES)
    text = _strip_accents(text).lower()
    text = _CODE_RE.sub(_canonical_code, text)
    # Keep apostrophes for the contraction rules, then drop them.
    text = _PUNCT_RE.sub(" ", text)
    text = _INNER_DASH_RE.sub(" ", text)
    rules = _rules()
    word_map = rules.word_map
    text = " ".join(word_map.get(word, word) for word in text.split())
    for pattern, replacement, gate in rules.compiled:
        if gate is not None and gate.search(text) is None:
            continue
        text = pattern.sub(replacement, text)
    text = text.replace("'", " ").replace("/", " ")
    # Dashes inside words ("e-mail", "re-take" already handled) become spaces, but the
    # dash of a canonical code stays.
    tokens = []
    for raw in text.split():
        if CODE_TOKEN_RE.match(raw):
            tokens.append(raw)
            continue
        tokens.extend(t for t in _DASHES_RE.split(raw.lower()) if t)
    return " ".join(_NON_WORD_RE.sub("", t) if not CODE_TOKEN_RE.match(t) else t
                    for t in tokens if t.strip("-"))


def exam_codes(normalized: str) -> list[str]:
    """The canonical exam codes in an already normalised text, in order."""
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
