"""The loader's fast paths answer exactly what the slow ones would."""

from __future__ import annotations

import random
import re
import tomllib

from knowledge.loader import DATA_DIR, _simple_toml, load_knowledge
from knowledge.normalize_gates import AlternativeTriggers, _joinable
from knowledge.offtopic import OffTopicStage


def test_the_simple_toml_reader_reads_what_tomllib_reads() -> None:
    shipped = (DATA_DIR / "member_questions.toml").read_text(encoding="utf-8")
    assert _simple_toml(shipped) == tomllib.loads(shipped)  # the fast path is taken
    rng = random.Random(0)
    lines = shipped.split("\n")[:150]
    noise = ['"', "'", "\\", '\\"', "#", "[", "]", "=", ",", " ", "\t", "\n", "\r", "\x00",
             "\x7f", "\ufeff", "é", "a", '""', "'''", '"""', "[[x]]", "k = 1"]
    for _ in range(5000):
        mutated = list(lines)
        for _ in range(rng.randint(1, 3)):
            i = rng.randrange(len(mutated))
            if rng.random() < 0.3:
                mutated.insert(i, mutated[rng.randrange(len(mutated))])  # duplicates
            else:
                line, at = mutated[i], rng.randint(0, len(mutated[i]))
                mutated[i] = line[:at] + rng.choice(noise) + line[at + rng.randint(0, 2):]
        text = "\n".join(mutated)
        fast = _simple_toml(text)
        if fast is not None:  # accepted: tomllib accepts it too, with the same document
            assert fast == tomllib.loads(text), text


def test_gaps_of_is_gap_of_for_every_text_the_loader_asks() -> None:
    kb = load_knowledge()
    assert kb.matcher is not None
    stage = OffTopicStage(kb.matcher.offtopic, kb.matcher.gaps)
    texts = [t for e in kb.entries.values() for t in (e.question, *e.phrasings, *e.examples)]
    texts += [example for gap in kb.matcher.gaps.gap for example in gap.examples]
    texts += [f"so {t}?" for t in texts[-50:]] + [t.upper() for t in texts[:50]]
    assert stage.gaps_of(texts) == [stage.gap_of(t) for t in texts]
    assert any(stage.gaps_of(texts))  # the gaps' own examples fall in their gaps


def test_alternative_triggers_find_what_searching_every_pattern_finds() -> None:
    rng = random.Random(1)
    atoms = ["how", "old", "exam", "rates?", "(?:a|ab)", "re ?set", r"didn\W?t", r"\w+", "x*",
             ".", r"\s", "[^a]", "$", "^", r"(?=\w)", r"(?!\s)", r"(?<=o)", "x*+", "(?>ab)",
             r"(\w)\1", r"\B", " "]
    words = ["how", "old", "exam", "rate", "a", "ab", "reset", "didn't", "x", "(how", "exam?"]
    for _ in range(1500):
        groups = [
            tuple(
                (r"\b(?:{})\b" if rng.random() < 0.6 else "(?:{})").format(
                    " ".join(rng.choice(atoms) for _ in range(rng.randint(1, 3))))
                for _ in range(rng.randint(0, 3))
            )
            for _ in range(rng.randint(1, 4))
        ]
        texts = [" ".join(rng.choice(words) for _ in range(rng.randint(0, 8)))
                 for _ in range(rng.randint(0, 20))]
        gate = AlternativeTriggers(groups)
        expected = [
            sum(1 << i for i, group in enumerate(groups)
                if not group or any(re.search(a, t) for a in group))
            for t in texts
        ]
        assert gate.each(texts) == expected, groups
        assert all(gate.patterns(t) & e == e for t, e in zip(texts, expected, strict=True))


def test_only_patterns_that_read_characters_and_word_boundaries_are_joined() -> None:
    assert _joinable(r"\b(?:how old (?:do|must) (?:you|i))\b")
    assert _joinable(r"\b(?:didn\W?t get (?:a|the) confirmation)\b")
    for pattern in (r"^help", r"help$", r"(?<!retake )calculators?", r"a(?!\s)", r"(\w)\1",
                    r"[^z]*+x", r"(?>ab)c", r"(?m:^x)"):
        assert not _joinable(pattern), pattern
