"""Cheap tests that tell the normaliser which rewrite rules cannot match a text.

A rule is skipped only when it provably cannot match, so skipping never changes what
:func:`knowledge.normalize.normalize` returns; it only saves running the regular
expression. Two kinds of test, worked out once from each pattern's parse:

* **First words.** A pattern that starts with ``\\b`` and then a small finite set of
  texts (``\\b(do|does) ?n'?t``, ``\\bcan ?'?t``) can only match where a word of the text
  is one of those texts' first words (``do``, ``does``), or begins like one (``can``,
  when the pattern may go on inside the word: ``cant``). A text's words are looked up
  once each (:class:`WordTriggers`), so a text none of whose words starts a rule costs
  one dictionary look-up per word, whatever the number of rules.
* **Contained text.** Any other pattern with a part that every match must contain
  (``%`` in ``(\\d) ?%``) is tried only on texts holding one of that part's spellings.

A pattern neither test can be worked out for is always tried.

The off-topic stage's known gaps use the same tests, one per phrase of a gap
(:class:`AlternativeTriggers`), and for the loader, which asks thousands of texts at
once, run each phrase over the few texts its test lets through, joined into one.
"""

from __future__ import annotations

import functools
import re
import warnings
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable
from functools import reduce
from itertools import accumulate
from operator import or_
from typing import Any

from knowledge.regex_safety import compiled

# Spellings a part of a pattern may expand to before the expansion stops (a longer
# list gives no cheaper test), the repetition counts expanded, and the shortest text a
# "contained text" test is worth running for.
MAX_SPELLINGS = 64
MAX_REPEATS = 3
MIN_CONTAINED_CHARS = 1
# Words this long may stand for the spellings that contain them.
MIN_COVER_CHARS = 2
# A "contained text" test with more spellings than this costs about as much as trying
# the rule, so a rule with a first-word test does without it.
MAX_CONTAINED_AFTER_FIRST_WORD = 8
# Non-word characters often found before or after a word (none of them is part of one).
_PUNCTUATION = "?!.,;:'\"()[]"
# Words whose rules are remembered (the cache is emptied when it is full).
WORD_CACHE_SIZE = 100_000

_WORD_CHARS_RE = re.compile(r"\w*")
# Marks the end of a spelling's first word (any non-word character would do).
WORD_END = " "
_WORDS_RE = re.compile(r"\w+")
# Flags under which a parsed pattern would not mean what its literals say.
_UNSUPPORTED_FLAGS = re.IGNORECASE | re.LOCALE | re.ASCII

# (spellings, exact): every match of the part is one of the spellings (exact) or starts
# with one of them; None when nothing is known.
_Expansion = tuple[frozenset[str], bool] | None


# Patterns whose tests (first_words, contained) are remembered: a pure function of the
# pattern, asked again at every validation and every matcher built.
GATE_CACHE_SIZE = 8192


@functools.lru_cache(maxsize=1024)
def _parse(pattern: str) -> Any:
    """The parsed pattern (sre's private parser), or None when it cannot be read."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            import sre_parse  # deprecated alias of re._parser; the tests are only a speed-up
        parsed = sre_parse.parse(pattern)
    except Exception:  # no parser, or an unparseable pattern: no test, the rule always runs
        return None
    return None if parsed.state.flags & _UNSUPPORTED_FLAGS else parsed


class _Spellings:
    """How spellings are joined: in full (:func:`contained`), or cut just after the
    first non-word character (:func:`first_words`: what follows cannot change the first
    word, and cutting keeps the lists short)."""

    def __init__(self, heads: bool) -> None:
        self.heads = heads

    def closed(self, spelling: str) -> bool:
        """Whether nothing may be added to the spelling (its first word has ended)."""
        if not self.heads:
            return False
        end = _WORD_CHARS_RE.match(spelling)
        return end is not None and end.end() < len(spelling)

    def cut(self, spelling: str) -> str:
        if not self.heads:
            return spelling
        end = _WORD_CHARS_RE.match(spelling)
        stop = end.end() if end is not None else 0
        return spelling[: stop + 1]

    def join(self, left: frozenset[str], right: frozenset[str]) -> frozenset[str] | None:
        joined = {a for a in left if self.closed(a)}
        joined |= {self.cut(a + b) for a in left if not self.closed(a) for b in right}
        return frozenset(joined) if len(joined) <= MAX_SPELLINGS else None

    def sequence(self, items: Any) -> _Expansion:
        """The spellings a match of the parsed sequence ``items`` starts with."""
        found: frozenset[str] = frozenset({""})
        for item in _literal_runs(items):
            if found and all(self.closed(a) for a in found):
                return found, True  # nothing left to extend
            if isinstance(item, str):  # a run of literal characters
                joined = self.join(found, frozenset({item}))
                if joined is None:
                    return found, False
                found = joined
                continue
            if self.heads and str(item[0]) == "AT" and str(item[1]) == "AT_BOUNDARY":
                # After word characters, \b ends the word: the first word is complete.
                found = frozenset(a + WORD_END if a and not self.closed(a) else a
                                  for a in found)
                continue
            part = self.item(item)
            if part is None:
                return found, False
            joined = self.join(found, part[0])
            if joined is None:
                return found, False
            found = joined
            if not part[1]:
                return found, False
        return found, True

    def item(self, item: Any) -> _Expansion:
        op, arg = item
        name = str(op)
        if name == "LITERAL":
            return frozenset({chr(arg)}), True
        if name in ("AT", "ASSERT", "ASSERT_NOT"):
            # Zero-width: the text matched is the same with or without it (a superset
            # of spellings is still a valid test).
            return frozenset({""}), True
        if name == "IN":
            chars = set()
            for kind, value in arg:
                if str(kind) != "LITERAL":
                    return None
                chars.add(chr(value))
            return frozenset(chars), True
        if name == "SUBPATTERN":
            group_flags = arg[1] | arg[2]
            return None if group_flags else self.sequence(arg[3])
        if name == "BRANCH":
            spellings: set[str] = set()
            exact = True
            for branch in arg[1]:
                part = self.sequence(branch)
                if part is None:
                    return None
                spellings |= part[0]
                exact = exact and part[1]
                if len(spellings) > MAX_SPELLINGS:
                    return None
            return frozenset(spellings), exact
        if name in ("MAX_REPEAT", "MIN_REPEAT"):
            return self.repeat(*arg)
        return None

    def repeat(self, low: int, high: int, body: Any) -> _Expansion:
        part = self.sequence(body)
        if part is None:
            return None
        if not part[1]:
            # Only the first repetition's beginning is known.
            return (part[0], False) if low >= 1 else (part[0] | {""}, False)
        if high > MAX_REPEATS:
            return (part[0], False) if low >= 1 else (frozenset({""}), False)
        found: frozenset[str] = frozenset({""}) if low == 0 else frozenset()
        current: frozenset[str] = frozenset({""})
        for count in range(1, high + 1):
            joined = self.join(current, part[0])
            if joined is None:
                # Every longer match starts with count - 1 repetitions, if those are in.
                return (found, False) if found and count > low else None
            current = joined
            if count >= low:
                found = found | current
        return found, True


def _literal_runs(items: Any) -> list[Any]:
    """The parsed items with each run of literal characters as one string."""
    runs: list[Any] = []
    for item in items:
        if isinstance(item, str):
            runs.append(item)  # already a run
        elif str(item[0]) == "LITERAL":
            if runs and isinstance(runs[-1], str):
                runs[-1] += chr(item[1])
            else:
                runs.append(chr(item[1]))
        else:
            runs.append(item)
    return runs


_FULL = _Spellings(heads=False)
_HEADS = _Spellings(heads=True)


@functools.lru_cache(maxsize=GATE_CACHE_SIZE)
def first_words(pattern: str) -> tuple[frozenset[str], tuple[str, ...]] | None:
    """For a pattern that starts at a word boundary: the words a match's first word must
    be (whole), and the texts it may begin with instead; None when there is no such test."""
    parsed = _parse(pattern)
    if parsed is None:
        return None
    items = list(parsed)
    boundary = False
    while items and str(items[0][0]) == "AT":
        boundary = boundary or str(items[0][1]) == "AT_BOUNDARY"
        items.pop(0)
    if not boundary:
        return None
    expansion = _HEADS.sequence(items)
    if expansion is None or not expansion[0]:
        return None
    whole: set[str] = set()
    begins: set[str] = set()
    for spelling in expansion[0]:
        word = _WORD_CHARS_RE.match(spelling)
        head = word.group(0) if word is not None else ""
        if not head:
            return None  # a match may start with a non-word character: no test
        # Followed by a non-word character, the head is the whole first word; otherwise
        # the word only begins with it.
        (whole if len(head) < len(spelling) else begins).add(head)
    return frozenset(whole), tuple(sorted(begins))


@functools.lru_cache(maxsize=GATE_CACHE_SIZE)
def contained(pattern: str) -> tuple[str, ...] | None:
    """Texts one of which every match of ``pattern`` contains, or None when there is no
    such test: the spellings of the part of the pattern (from some item to the end)
    whose shortest spelling is longest."""
    parsed = _parse(pattern)
    if parsed is None:
        return None
    # Parts start at an item, a run of literal characters counting as one (a part
    # starting inside a run is a shorter copy of the one starting at the run).
    items = _literal_runs(parsed)
    best: frozenset[str] | None = None
    for start in range(len(items)):
        found = _FULL.sequence(items[start:])
        if found is None or not found[0] or "" in found[0]:
            continue
        if best is None or min(map(len, found[0])) > min(map(len, best)):
            best = found[0]
    if best is None or min(map(len, best)) < MIN_CONTAINED_CHARS:
        return None
    return _cover(best)


def _cover(spellings: frozenset[str]) -> tuple[str, ...]:
    """Few texts such that each spelling contains one of them (a text holding a
    spelling holds them too): each spelling's words, or the spelling itself, picked
    greedily by how many spellings they cover."""
    candidates = set(spellings)
    for spelling in spellings:
        candidates.update(w for w in _WORDS_RE.findall(spelling) if len(w) >= MIN_COVER_CHARS)
    covers = {c: frozenset(s for s in spellings if c in s) for c in sorted(candidates)}
    uncovered = set(spellings)
    chosen: list[str] = []
    while uncovered:
        best = max(covers, key=lambda c: (len(covers[c] & uncovered), len(c)))
        chosen.append(best)
        uncovered -= covers[best]
    return tuple(sorted(chosen))


class _WordMasks(dict[str, int]):
    """Word → the rules it may start, worked out on first sight and kept: the rules
    for which it is a whole first word, or begins with one of their beginnings (looked
    up by the word's prefixes, one per beginning length)."""

    def __init__(self, tests: list[tuple[int, frozenset[str], tuple[str, ...]]]) -> None:
        super().__init__()
        self._whole: dict[str, int] = defaultdict(int)
        self._begins: dict[str, int] = defaultdict(int)
        for bit, whole, begins in tests:
            for word in whole:
                self._whole[word] |= bit
            for start in begins:
                self._begins[start] |= bit
        self._lengths = sorted({len(start) for start in self._begins})
        self.begins = tuple(self._begins)

    def may_start(self, word: str) -> bool:
        """Whether ``word`` may start some rule (without working out which)."""
        return word in self._whole or (bool(self.begins) and word.startswith(self.begins))

    def __missing__(self, word: str) -> int:
        mask = self._whole.get(word, 0)
        begins = self._begins
        for length in self._lengths:
            if length > len(word):
                break
            mask |= begins.get(word[:length], 0)
        if len(self) >= WORD_CACHE_SIZE:
            self.clear()
        self[word] = mask
        return mask


class _ChunkMasks(dict[str, int]):
    """What lies between two spaces (``can't``, ``ai-102``, ``exam``) → the rules its
    words may start, kept like the words'."""

    def __init__(self, words: _WordMasks) -> None:
        super().__init__()
        self._words = words

    def __missing__(self, chunk: str) -> int:
        mask = reduce(or_, map(self._words.__getitem__, _WORDS_RE.findall(chunk)), 0)
        if len(self) >= WORD_CACHE_SIZE:
            self.clear()
        self[chunk] = mask
        return mask


class WordTriggers:
    """Which of a list of rules each word of a text may start a match of, as a bit mask
    (bit ``i`` for rule ``i``), remembered per word; rules without a first-word test
    are in :attr:`others`."""

    def __init__(self, patterns: list[str], gate: bool = True) -> None:
        tests: list[tuple[int, frozenset[str], tuple[str, ...]]] = []
        self.others = 0
        for number, pattern in enumerate(patterns):
            found = first_words(pattern)
            if found is None:
                self.others |= 1 << number
            else:
                tests.append((1 << number, *found))
        self._masks = _WordMasks(tests)
        self._chunks = _ChunkMasks(self._masks)
        # Texts one of which a text must hold for any of the other rules to match (None:
        # some of them have no such test, or ``gate`` is false: the caller tests them).
        needs = [contained(p) for n, p in enumerate(patterns) if gate and self.others >> n & 1]
        texts = frozenset(t for found in needs if found is not None for t in found)
        self.others_gate = _cover(texts) if needs and None not in needs else None

    def word(self, word: str) -> int:
        """The rules a match of which may start at the beginning of ``word``."""
        return self._masks[word]

    def text(self, text: str) -> int:
        """The rules that may match ``text``: those some word of it may start, and the
        rest."""
        return self.chunks(text.split())

    def filter_others(self, text: str, mask: int) -> int:
        """``mask`` without the rules that have no first-word test when ``text`` holds
        none of the texts one of which they need."""
        gate = self.others_gate
        if gate is not None and mask & self.others and not any(p in text for p in gate):
            return mask & ~self.others
        return mask

    def chunks(self, chunks: list[str]) -> int:
        """:meth:`text` of the text split at white space (a word never spans two)."""
        return reduce(or_, map(self._chunks.__getitem__, chunks), self.others)

    def firing(self, chunks: Iterable[str]) -> dict[str, int]:
        """The chunks (what lies between two spaces) of ``chunks`` whose words may start
        a rule with a first-word test, each with those rules (:attr:`others` left out).
        A chunk that is one word (maybe between punctuation) and starts no rule, most
        of them, costs a set look-up: its rules are not worked out."""
        words = self._masks
        found: dict[str, int] = {}
        for chunk in chunks:
            # The chunk's one word (all that \w+ finds in it), or a chunk to read.
            word = chunk if chunk.isalnum() else chunk.strip(_PUNCTUATION)
            if word.isalnum():
                if not words.may_start(word):
                    continue
                mask = words[word]
            else:
                mask = self._chunks[chunk]
            if mask:
                found[chunk] = mask
        return found


class AlternativeTriggers:
    """Which of a list of patterns may match a text, as a bit mask (bit ``i`` for
    pattern ``i``), each pattern given as the alternatives it is the union of
    (``\\b(?:a|b)\\b`` as ``\\b(?:a)\\b`` and ``\\b(?:b)\\b``; a pattern given as ``()``
    is always in the mask): a pattern may match only where one of its alternatives may.

    Each alternative is a rule of a :class:`WordTriggers` (``\\b(?:how old …)\\b`` starts
    on the word "how"); one without a first-word test has to hold its "contained text"
    (:func:`contained`) instead, and one with neither is always tried. :meth:`patterns`
    asks these tests of one text; :meth:`each` of many texts at once, then runs each
    alternative over the texts that passed, so only the patterns that match are left."""

    def __init__(self, alternatives: list[tuple[str, ...]]) -> None:
        self._alternatives: list[str] = []
        self._owners: list[int] = []
        self.always = 0
        for number, group in enumerate(alternatives):
            if not group:
                self.always |= 1 << number
            for alternative in group:
                self._alternatives.append(alternative)
                self._owners.append(1 << number)
        # The alternatives of each pattern, as bits of the WordTriggers' masks.
        self._siblings = [0] * len(alternatives)
        for index, owner in enumerate(self._owners):
            self._siblings[owner.bit_length() - 1] |= 1 << index
        self._triggers = WordTriggers(self._alternatives, gate=False)
        others = self._triggers.others
        # The alternatives without a first-word test: (bit, its contained text or None).
        self._others = [
            (1 << index, contained(alternative))
            for index, alternative in enumerate(self._alternatives)
            if others >> index & 1
        ]
        self._compiled: dict[int, tuple[re.Pattern[str] | None, re.Pattern[str] | None]] = {}

    def patterns(self, text: str) -> int:
        """The patterns that may match ``text`` (a superset of those that do)."""
        pending = self._triggers.text(text)
        for bit, needs in self._others:
            if needs is not None and not any(p in text for p in needs):
                pending &= ~bit
        return self._owners_of(pending)

    def _owners_of(self, pending: int) -> int:
        found = self.always
        owners = self._owners
        while pending:
            lowest = pending & -pending
            owner = owners[lowest.bit_length() - 1]
            found |= owner
            pending &= ~self._siblings[owner.bit_length() - 1]
        return found

    def each(self, texts: list[str]) -> list[int]:
        """For each text, the patterns of ``()`` and those one of whose alternatives
        matches it: what searching every pattern in every text would find, the same as
        :meth:`patterns` then a search of each pattern it leaves. Each alternative is
        run once over the texts its tests let through, joined by line breaks (what
        matches one of them matches there too: see :func:`_joinable`); only when that
        finds something is it run over each of those texts."""
        if not texts:
            return []
        candidates: dict[int, list[int]] = defaultdict(list)
        splits = [text.split() for text in texts]
        firing = self._triggers.firing(set().union(*splits))
        if firing:
            starts = firing.keys()
            # The texts by the alternatives their words may start (a few hundred sets).
            alike: dict[int, list[int]] = defaultdict(list)
            for number, chunks in enumerate(splits):
                if starts.isdisjoint(chunks):
                    continue
                pending = 0
                for chunk in starts & chunks:
                    pending |= firing[chunk]
                alike[pending].append(number)
            for pending, numbers in alike.items():
                while pending:
                    lowest = pending & -pending
                    pending ^= lowest
                    candidates[lowest.bit_length() - 1] += numbers
        if self._others:
            everything = "\n".join(texts)
            offsets = [0, *accumulate(len(text) + 1 for text in texts)]
            for bit, needs in self._others:
                numbers = (list(range(len(texts))) if needs is None
                           else _holding(everything, offsets, needs))
                candidates[bit.bit_length() - 1] = numbers
        found = [self.always] * len(texts)
        for index, numbers in sorted(candidates.items()):
            if not numbers:
                continue
            joined, alone = self._compile(index)
            if joined is not None and not joined.search("\n".join(map(texts.__getitem__, numbers))):
                continue
            owner = self._owners[index]
            for number in numbers:
                if alone is None or alone.search(texts[number]):
                    found[number] |= owner
        return found

    def _compile(self, index: int) -> tuple[re.Pattern[str] | None, re.Pattern[str] | None]:
        """The alternative compiled (None if it does not compile: then it is taken to
        match), and the pattern to run over texts joined by line breaks (None when
        there is none): the alternative less a leading ``\\b``, which only leaves
        matches out, so that ``re`` can look for its first characters."""
        if index not in self._compiled:
            alternative = self._alternatives[index]
            try:
                alone: re.Pattern[str] | None = compiled(alternative)
                loose = alternative[2:] if alternative.startswith("\\b") else alternative
                joined = compiled(loose) if _joinable(alternative) else None
            except re.error:
                alone = joined = None
            self._compiled[index] = (joined, alone)
        return self._compiled[index]


def _holding(everything: str, offsets: list[int], needs: tuple[str, ...]) -> list[int]:
    """The numbers of the texts that hold one of ``needs``, in order, where
    ``everything`` is the texts joined by line breaks and ``offsets[n]`` is where text
    ``n`` starts in it: each text is looked at from the first place one of ``needs`` is
    found in the rest, not one by one. (A text counted because one of ``needs`` runs
    on into the next text only costs that text's own search.)"""
    numbers: set[int] = set()
    end = len(everything)
    for text in needs:
        at = everything.find(text)
        while at >= 0:
            number = bisect_right(offsets, at) - 1
            numbers.add(number)
            at = everything.find(text, offsets[number + 1]) if offsets[number + 1] < end else -1
    return sorted(numbers)


@functools.lru_cache(maxsize=GATE_CACHE_SIZE)
def _joinable(pattern: str) -> bool:
    """Whether every match of ``pattern`` in a text is one in any longer text made of it
    with line breaks before and after: true when the pattern reads only characters and
    word boundaries (a line break is no word character, like either end of a text), and
    never gives back what it took once it has to (no anchors, look-arounds, group
    references, atomic groups or possessive repeats)."""
    parsed = _parse(pattern)
    return parsed is not None and _joinable_items(list(parsed))


def _joinable_items(items: Any) -> bool:
    for op, arg in items:
        name = str(op)
        if name in ("LITERAL", "NOT_LITERAL", "ANY", "IN"):
            continue
        if name == "AT":
            if str(arg) not in ("AT_BOUNDARY", "AT_NON_BOUNDARY"):
                return False
        elif name == "SUBPATTERN":
            if not _joinable_items(arg[3]):
                return False
        elif name == "BRANCH":
            if not all(_joinable_items(branch) for branch in arg[1]):
                return False
        elif name in ("MAX_REPEAT", "MIN_REPEAT"):
            if not _joinable_items(arg[2]):
                return False
        else:
            return False
    return True
