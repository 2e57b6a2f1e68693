"""Tell whether a regular expression from a data file is safe to run on members' text.

Knowledge files carry regular expressions (``FaqEntry.signals``, and later other
families) that the bot runs with :meth:`re.Pattern.search` on every question. Python's
``re`` engine backtracks: a pattern such as ``(a+)+$`` takes exponential time on
``"aaaa…a!"``, and a match can be neither interrupted nor moved off the GIL, so one
careless edit would freeze the whole bot on a single 500-character question. A timing
test alone would freeze the loader the same way, hence three checks, cheapest first:

1. the pattern compiles;
2. a static look at its parse tree (the tree ``re`` itself compiles, from
   ``re._parser``): an unbounded repeat (``*``, ``+``, ``{n,}``) inside a group that may
   itself match more than once, the classic cause of catastrophic backtracking
   (``(a+)+$``, ``(\\w+\\s?)+x``, ``(.*a){12}``), is refused without running anything.
   A group whose repetitions start or end with a literal character its repeats cannot
   match (``(?: \\w+)*``, ``(?:\\d+,)*``) is exempt, as the text splits one way only;
   possessive repeats and atomic groups are never backtracked into, so they do not count;
3. a timed search of adversarial texts of up to :data:`PROBE_CHARS` characters, built
   from the pattern itself: each repeat pumped (the text that leads to it, then its body
   over and over, then a character that makes the match fail, the usual shape of a ReDoS
   attack), and the whole pattern over and over. The texts grow step by step and the
   check stops at the first search over :data:`MATCH_BUDGET_SECONDS`, so a pathological
   pattern the static rule misses (``(a|aa)+$``, ``\\w*\\w*\\w*\\w*x``) costs a few budgets,
   not hours.

It is a heuristic, not a proof: a pattern that passes is fast on these probes. The rule
of step 2 also refuses a few harmless shapes such as ``(?:\\s+\\w+)*``; rewrite them with
one variable part per repeated group (``(?: \\w+)*``), or make the outer repeat
possessive so that it never gives back what it matched (``(?:\\s+\\w+)*+``).

:func:`regex_problem` is generic (any pattern, any data file) and cached per pattern.
"""

from __future__ import annotations

import importlib
import math
import re
import time
from collections.abc import Callable, Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

# The longest question the bot accepts (knowledge.answers.MAX_QUESTION_CHARS): the
# longest text a data-file pattern is ever run on.
PROBE_CHARS = 500
# The longest one search may take on a probe text. Searches of sane patterns over 500
# characters take microseconds, so this is generous enough never to flag one on a slow
# machine, and a run over it is timed again before the pattern is refused.
MATCH_BUDGET_SECONDS = 0.05
# How far the pump count may jump between two timed runs. Both limits assume the worst
# plausible growth from the last run's time: doubling per character pumped (exponential
# patterns the static rule misses, such as ``(a|aa)+``, grow by about 1.6 per character)
# and a power of the length one above the number of unbounded repeats (polynomial ones
# such as ``\w*\w*\w*x``: every repeat can split the text once more, and a search tries
# every start). Each jump keeps the next run within _STEP_HEADROOM of the budget even
# then, so the run that goes over the budget costs a few budgets, never hours.
_STEP_HEADROOM = 0.25
# An exponential pattern shows itself within this many pumped characters; beyond them
# only the polynomial limit applies, which keeps a sane pattern to a handful of runs.
_EXPONENTIAL_CHARS = 40
# Appended to a pumped text so that the match fails and the engine backtracks.
_FAIL_TAIL = "\x00"
# Branch choices tried when a pumped body contains alternatives.
_MAX_CHOICES = 3

# re._parser is the parser re.compile uses (sre_parse before Python 3.11); its nodes are
# (opcode, argument) pairs, and str(opcode) is the opcode's name.
_parser: Any = importlib.import_module("re._parser")
_UNBOUNDED: int = _parser.MAXREPEAT
_BACKTRACKING_REPEATS = frozenset({"MAX_REPEAT", "MIN_REPEAT"})
_REPEATS = _BACKTRACKING_REPEATS | {"POSSESSIVE_REPEAT"}

_NESTED_MESSAGE = (
    "repeats a group that contains an unbounded repeat (*, + or {n,}), which can take "
    "exponential time on a long question; keep one variable part per repeated group "
    "('(?: \\w+)*', not '(?:\\s*\\w+)*') or make the outer repeat possessive ('(?:…)*+')"
)


# Compiled patterns kept by compiled(): more than the knowledge files hold.
COMPILED_CACHE_SIZE = 8192


@lru_cache(maxsize=COMPILED_CACHE_SIZE)
def compiled(pattern: str) -> re.Pattern[str]:
    """``re.compile(pattern)``, remembered for the process. The knowledge files hold
    more patterns (families, gaps and their alternatives, rewrite rules, signals) than
    ``re``'s own cache keeps (512), so every validation of them compiled each one again;
    a compiled pattern is immutable, so one copy serves every load."""
    return re.compile(pattern)


def regex_problem(pattern: str, flags: int = 0) -> str | None:
    """Why ``pattern`` must not be run on members' text, or None when it is safe.

    The message completes a sentence about the pattern ("signal '…' is not a valid
    regular expression: …"), so a caller can prefix it with what the pattern is.
    """
    verdicts = _stored_verdicts()
    key = (pattern, flags)
    if key in verdicts:
        return verdicts[key]
    found = _cached_problem(pattern, flags)
    if found is None:
        # Only "safe" is remembered: a refusal may come from a timed probe that a pause
        # of the machine slowed down, and is worked out again next time.
        verdicts[key] = found
        _VERDICTS_CHANGED[0] = True
    return found


# Verdicts of earlier processes, from the matcher's on-disk cache folder: a verdict is a
# pure function of the pattern, its flags, this module and Python's regex parser (the
# key), so a fresh process (``python -m bot ask``) reads the verdicts on some 850
# patterns instead of probing them all again (about 150 ms). The check is not skipped:
# its result, found by this same code, is remembered (safe verdicts only).
_VERDICTS: dict[tuple[str, int], str | None] | None = None
VERDICTS_CACHE_KIND = "regex-verdicts"
_VERDICTS_CHANGED = [False]


def _verdicts_key() -> str:
    from knowledge import matcher_cache  # stdlib only; imported late to stay a leaf

    return matcher_cache.cache_key("regex safety verdicts", Path(__file__).read_bytes())


def _stored_verdicts() -> dict[tuple[str, int], str | None]:
    global _VERDICTS
    if _VERDICTS is None:
        from knowledge import matcher_cache

        _VERDICTS = {}
        state = matcher_cache.load(_verdicts_key(), VERDICTS_CACHE_KIND)
        stored = state.get("verdicts") if state is not None else None
        if isinstance(stored, dict):
            _VERDICTS.update(
                (key, value) for key, value in stored.items()
                if isinstance(key, tuple) and len(key) == 2 and isinstance(key[0], str)
                and isinstance(key[1], int) and (value is None or isinstance(value, str))
            )
    return _VERDICTS


def save_verdicts() -> None:
    """Keep this process's new verdicts for the next one (the loader calls it after each
    load; nothing is written when nothing new was checked)."""
    if _VERDICTS is None or not _VERDICTS_CHANGED[0]:
        return
    from knowledge import matcher_cache

    matcher_cache.save(_verdicts_key(), {"verdicts": dict(_VERDICTS)}, VERDICTS_CACHE_KIND)
    _VERDICTS_CHANGED[0] = False


@lru_cache(maxsize=4096)
def _cached_problem(pattern: str, flags: int) -> str | None:
    try:
        compiled = re.compile(pattern, flags)
        parsed = _parser.parse(pattern, flags)
        tree = _plain(parsed)
    except re.error as error:
        return f"is not a valid regular expression: {error}"
    except RecursionError:
        return "is nested too deeply to check"
    if _nested_unbounded(tree, inside_repeat=False, fold=bool(parsed.state.flags & re.IGNORECASE)):
        return _NESTED_MESSAGE
    degree = 1 + _count_unbounded(tree)
    for pumped in _pumps(tree):
        slow = _slow_pump(compiled, pumped, degree)
        if slow is not None:
            return (
                f"takes over {MATCH_BUDGET_SECONDS * 1000:.0f} ms on a {len(slow)}-character "
                f"question such as {slow[:40]!r}…: it backtracks too much; simplify its repeats"
            )
    return None


# --- the parse tree ----------------------------------------------------------------

# A node of the parse tree as plain data: (opcode name, argument), sub-patterns as lists.
# re._parser's own SubPattern indexes slowly, and this tree is walked many times.
_Node = tuple[str, Any]


def _plain(items: Any) -> list[_Node]:
    nodes: list[_Node] = []
    for op_code, arg in items:
        op = str(op_code)
        if op == "SUBPATTERN":
            arg = (*arg[:3], _plain(arg[3]))
        elif op == "BRANCH":
            arg = (None, [_plain(branch) for branch in arg[1]])
        elif op in _REPEATS:
            arg = (arg[0], arg[1], _plain(arg[2]))
        elif op == "ATOMIC_GROUP":
            arg = _plain(arg)
        elif op in ("ASSERT", "ASSERT_NOT"):
            arg = (arg[0], _plain(arg[1]))
        elif op == "GROUPREF_EXISTS":
            arg = (arg[0], _plain(arg[1]), None if arg[2] is None else _plain(arg[2]))
        elif op == "IN":
            arg = [(str(set_op), str(value) if str(set_op) == "CATEGORY" else value)
                   for set_op, value in arg]
        nodes.append((op, arg))
    return nodes


def _children(op: str, arg: Any) -> Iterator[list[_Node]]:
    """The sub-patterns directly under one node."""
    if op == "SUBPATTERN":
        yield arg[3]
    elif op == "BRANCH":
        yield from arg[1]
    elif op in _REPEATS or op in ("ASSERT", "ASSERT_NOT"):
        yield arg[-1]
    elif op == "ATOMIC_GROUP":
        yield arg
    elif op == "GROUPREF_EXISTS":
        yield arg[1]
        if arg[2] is not None:
            yield arg[2]


# --- static check ------------------------------------------------------------------


def _nested_unbounded(items: list[_Node], *, inside_repeat: bool, fold: bool) -> bool:
    """True when an unbounded backtracking repeat sits inside a repeated group (one that
    may match more than once: ``(…)+``, ``(…){2,5}``), so that the text can be split
    between the two in ways that grow exponentially, or as a high power, with its length.

    A repeated group that starts or ends with a literal character none of its unbounded
    repeats can match (``(?: \\w+)*``, ``(?:\\d+,)*``) is exempt: that character marks
    where each repetition begins or ends, so the text splits one way only. ``fold``:
    the pattern ignores case."""
    for op, arg in items:
        if op == "ATOMIC_GROUP" or op == "POSSESSIVE_REPEAT":
            # Never backtracked into: what is inside cannot be re-split by an outer
            # repeat, though repeats inside it can still nest among themselves.
            inner = arg if op == "ATOMIC_GROUP" else arg[2]
            if _nested_unbounded(inner, inside_repeat=False, fold=fold):
                return True
            continue
        backtracking = op in _BACKTRACKING_REPEATS
        if backtracking and arg[1] == _UNBOUNDED and inside_repeat:
            return True
        repeated = inside_repeat or (
            backtracking and arg[1] > 1 and not _delimited(arg[2], fold=fold)
        )
        for child in _children(op, arg):
            if _nested_unbounded(child, inside_repeat=repeated, fold=fold):
                return True
    return False


def _delimited(body: list[_Node], *, fold: bool) -> bool:
    """Whether a repeated body starts or ends with a literal character that none of its
    unbounded repeats can match, each of them repeating a single character."""
    while len(body) == 1 and body[0][0] == "SUBPATTERN":
        body = body[0][1][3]
    edges = [node for node in body if node[0] != "AT"]  # \b, ^, $ match no character
    if not edges:
        return False
    delimiters = [chr(node[1]) for node in (edges[0], edges[-1]) if node[0] == "LITERAL"]
    inner = list(_unbounded_bodies(body))
    return any(
        all(len(repeat) == 1 and not _matches_any(repeat[0], delimiter, fold=fold)
            for repeat in inner)
        for delimiter in delimiters
    )


def _unbounded_bodies(items: list[_Node]) -> Iterator[list[_Node]]:
    for op, arg in items:
        if op in _REPEATS and arg[1] == _UNBOUNDED:
            yield arg[2]
        for child in _children(op, arg):
            yield from _unbounded_bodies(child)


def _matches_any(node: _Node, char: str, *, fold: bool) -> bool:
    """Whether a single-character node can match ``char`` (in any case when ``fold``).
    Any other node, and ``.``, may: that is the cautious answer."""
    op, arg = node
    variants = {char, char.lower(), char.upper()} if fold else {char}
    if op == "LITERAL":
        return any(ord(variant) == arg for variant in variants)
    if op == "NOT_LITERAL":
        return any(ord(variant) != arg for variant in variants)
    if op == "IN":
        return any(_in_set(arg, variant) for variant in variants)
    return True


def _count_unbounded(items: list[_Node]) -> int:
    """How many unbounded repeats the pattern has (each can raise a search's cost by
    one power of the text's length)."""
    found = 0
    for op, arg in items:
        if op in _REPEATS and arg[1] == _UNBOUNDED:
            found += 1
        found += sum(_count_unbounded(child) for child in _children(op, arg))
    return found


# --- probe texts -------------------------------------------------------------------

_CATEGORY_TESTS: dict[str, Callable[[str], bool]] = {
    "CATEGORY_DIGIT": str.isdigit,
    "CATEGORY_NOT_DIGIT": lambda c: not c.isdigit(),
    "CATEGORY_SPACE": str.isspace,
    "CATEGORY_NOT_SPACE": lambda c: not c.isspace(),
    "CATEGORY_WORD": lambda c: c.isalnum() or c == "_",
    "CATEGORY_NOT_WORD": lambda c: not (c.isalnum() or c == "_"),
}
# Characters tried, in order, for a set with no literal of its own ([^…], \w, \s).
_CANDIDATES = "a1 -.!_Zé\n"


def _in_set(items: list[_Node], char: str) -> bool:
    """Whether ``char`` is in a parsed character set (case as written)."""
    negate = False
    hit = False
    for op, arg in items:
        if op == "NEGATE":
            negate = True
        elif op == "LITERAL":
            hit = hit or ord(char) == arg
        elif op == "RANGE":
            hit = hit or arg[0] <= ord(char) <= arg[1]
        elif op == "CATEGORY":
            test = _CATEGORY_TESTS.get(arg)
            hit = hit or (test is not None and test(char))
    return hit != negate


def _set_char(items: list[_Node]) -> str:
    """One character a parsed set matches: its own first literal when it has one."""
    for op, arg in items:
        if op == "NEGATE":
            break
        if op == "LITERAL":
            return chr(arg)
        if op == "RANGE":
            return chr(arg[0])
    return next((c for c in _CANDIDATES if _in_set(items, c)), "a")


class _Pumped(Exception):  # noqa: N818 - control flow, not an error
    """Raised by the witness writer once it has reached the repeat being pumped."""

    def __init__(self, prefix: str, body: str, most: int) -> None:
        super().__init__()
        self.prefix = prefix
        self.body = body
        self.most = most


def _witness(items: list[_Node], pump: Any, choice: int, out: list[str]) -> None:
    """Append to ``out`` a text that ``items`` matches, choosing branch ``choice`` where
    there are alternatives; raise :class:`_Pumped` on reaching the repeat ``pump``."""
    for op, arg in items:
        if op == "LITERAL":
            out.append(chr(arg))
        elif op == "NOT_LITERAL":
            out.append("b" if arg == ord("a") else "a")
        elif op == "ANY":
            out.append("a")
        elif op == "IN":
            out.append(_set_char(arg))
        elif op == "SUBPATTERN":
            _witness(arg[3], pump, choice, out)
        elif op == "ATOMIC_GROUP":
            _witness(arg, pump, choice, out)
        elif op == "BRANCH":
            branches = arg[1]
            chosen = next((b for b in branches if _contains(b, pump)), None)
            _witness(chosen or branches[choice % len(branches)], pump, choice, out)
        elif op == "GROUPREF_EXISTS":
            _witness(arg[1], pump, choice, out)
        elif op in ("ASSERT", "ASSERT_NOT"):
            if _contains(arg[1], pump):
                _witness(arg[1], pump, choice, out)
        elif op in _REPEATS:
            least, most, body = arg
            if arg is pump:
                one: list[str] = []
                _witness(body, None, choice, one)
                raise _Pumped("".join(out), "".join(one), most)
            if _contains(body, pump):
                _witness(body, pump, choice, out)
            for _ in range(min(max(least, 1), most, PROBE_CHARS)):
                _witness(body, None, choice, out)
        # AT (\b, ^, $) and GROUPREF add no text of their own.


def _contains(items: list[_Node], target: Any) -> bool:
    """Whether the node argument ``target`` is somewhere in ``items``."""
    if target is None:
        return False
    return any(
        arg is target or any(_contains(child, target) for child in _children(op, arg))
        for op, arg in items
    )


def _repeats(items: list[_Node]) -> Iterator[Any]:
    """Every repeat node that can repeat more than once, outermost first."""
    for op, arg in items:
        if op in _REPEATS and arg[1] > 1:
            yield arg
        for child in _children(op, arg):
            yield from _repeats(child)


def _widest_branch(items: list[_Node]) -> int:
    widest = 1
    for op, arg in items:
        if op == "BRANCH":
            widest = max(widest, len(arg[1]))
        for child in _children(op, arg):
            widest = max(widest, _widest_branch(child))
    return widest


def _pumps(tree: list[_Node]) -> Iterator[tuple[str, str, int]]:
    """``(prefix, body, most)`` for every repeat: the text that leads up to the repeat,
    one repetition of its body and how many it allows, once per branch choice."""
    for pump in _repeats(tree):
        for choice in range(min(_widest_branch(pump[2]), _MAX_CHOICES)):
            try:
                _witness(tree, pump, choice, [])
            except _Pumped as pumped:
                yield pumped.prefix[:PROBE_CHARS], pumped.body, pumped.most
    # The whole pattern over and over: a search starts again at every position.
    for choice in range(min(_widest_branch(tree), _MAX_CHOICES)):
        whole: list[str] = []
        _witness(tree, None, choice, whole)
        yield "", "".join(whole)[:PROBE_CHARS] + " ", _UNBOUNDED


def _next_count(count: int, elapsed: float, body_chars: int, degree: int) -> int:
    """The next pump count after a run of ``elapsed`` seconds with ``count`` pumps."""
    room = max(MATCH_BUDGET_SECONDS * _STEP_HEADROOM / max(elapsed, 1e-7), 1.0)
    polynomial = int(count * room ** (1 / degree))
    if count * body_chars >= _EXPONENTIAL_CHARS:
        return max(count + 1, polynomial)
    exponential = count + int(math.log2(room) / body_chars)
    return max(count + 1, min(polynomial, exponential))


def _slow_pump(
    compiled: re.Pattern[str], pumped: tuple[str, str, int], degree: int
) -> str | None:
    """The first text ``prefix + body * k + tail``, k growing up to PROBE_CHARS
    characters, that takes longer than the budget to search, or None."""
    prefix, body, most = pumped
    room = PROBE_CHARS - len(prefix) - len(_FAIL_TAIL)
    if not body or room < len(body):
        return None
    top = min(room // len(body), most)
    count = 1
    while True:
        text = prefix + body * count + _FAIL_TAIL
        started = time.perf_counter()
        compiled.search(text)
        elapsed = time.perf_counter() - started
        if elapsed > MATCH_BUDGET_SECONDS and _confirmed_slow(compiled, text):
            return text
        if count >= top:
            return None
        count = min(_next_count(count, elapsed, len(body), degree), top)


def _confirmed_slow(compiled: re.Pattern[str], text: str) -> bool:
    """Time a slow search again: a pause of the machine must not refuse a sane pattern."""
    started = time.perf_counter()
    compiled.search(text)
    return time.perf_counter() - started > MATCH_BUDGET_SECONDS
