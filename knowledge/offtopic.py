"""Stage 1 of the matcher: refuse questions that are explicitly out of scope.

Other vendors' exams, driving tests, game refunds, Azure how-tos, small talk … a
Microsoft answer to an AWS question is worse than "I don't know". The families and the
exam context that overrides them are data (``data/matcher/offtopic.toml``, validated by
the loader); this module only applies them, in file order.
"""

from __future__ import annotations

import functools

from knowledge.matcher_data import (
    CompiledFamily,
    CompiledOffTopic,
    Condition,
    Family,
    Gaps,
    OffTopic,
)
from knowledge.normalize import content_tokens, exam_codes, normalize
from knowledge.normalize_gates import AlternativeTriggers


class OffTopicStage:
    """The off-topic families of one knowledge base, compiled once (and its known gaps,
    :class:`knowledge.matcher_data.Gaps`, which read the same exam context)."""

    def __init__(self, data: OffTopic, gaps: Gaps | None = None) -> None:
        self._c = CompiledOffTopic(data)
        self._gaps = tuple(CompiledFamily(f) for f in gaps.gap) if gaps else ()
        # Which gaps may fire on a question: a gap reading the raw text only when one of
        # its phrases or patterns may match it (each phrase's first words and the text
        # every match of it contains, knowledge.normalize_gates); the loader asks every
        # phrasing and member question, and most of them fire on no gap.
        self._gate = AlternativeTriggers([_alternatives(g.family) for g in self._gaps])

    def gap_of(self, question: str) -> str | None:
        """The name of the known gap an on-topic question falls in, or None."""
        if not self._gaps:
            return None
        lowered = _lowered(question)
        mask = self._gate.patterns(lowered)
        if not mask:
            return None
        candidates = tuple(g for i, g in enumerate(self._gaps) if mask >> i & 1)
        found = self._first(candidates, _Reading(self._c, question, lowered))
        return None if found is None else found[0]

    def gaps_of(self, questions: list[str]) -> list[str | None]:
        """:meth:`gap_of` of each question, worked out for all of them at once: each
        phrase and pattern of a gap is searched only in the questions its first words
        or contained text let through, and those together (the loader asks every
        phrasing and member question: thousands, nearly all in no gap)."""
        if not self._gaps:
            return [None] * len(questions)
        lowered = [q.lower().replace("’", "'") for q in questions]  # _lowered, inlined
        found: list[str | None] = []
        masks = self._gate.each(lowered)
        for question, text, mask in zip(questions, lowered, masks, strict=True):
            if not mask:
                found.append(None)
                continue
            candidates = tuple(g for i, g in enumerate(self._gaps) if mask >> i & 1)
            first = self._first(candidates, _Reading(self._c, question, text))
            found.append(None if first is None else first[0])
        return found

    def reason(self, question: str) -> str | None:
        """Why a question is explicitly out of scope, or None."""
        found = self._judge(question)
        return None if found is None else found[1]

    def family_of(self, question: str) -> str | None:
        """The name of the family that refuses the question ("small-talk" for small
        talk), or None."""
        found = self._judge(question)
        return None if found is None else found[0]

    def _judge(self, question: str) -> tuple[str, str] | None:
        reading = _Reading(self._c, question)
        found = self._first(self._c.families, reading)
        if found is not None:
            return found
        return self._small_talk(reading)

    def _first(
        self, families: tuple[CompiledFamily, ...], reading: _Reading
    ) -> tuple[str, str] | None:
        """The first of ``families`` that fires on the question: (name, reason)."""
        for compiled in families:
            family = compiled.family
            text = reading.lowered if family.text == "raw" else reading.normalized
            if not compiled.found.search(text):
                continue
            if not all(p.search(text) for p in compiled.requires):
                continue
            if any(reading.holds(name) for name in family.unless):
                continue
            if compiled.unless_raw is not None and compiled.unless_raw.search(reading.lowered):
                continue
            if (compiled.unless_normalized is not None
                    and compiled.unless_normalized.search(reading.normalized)):
                continue
            return family.name, family.reason
        return None

    def _small_talk(self, reading: _Reading) -> tuple[str, str] | None:
        c = self._c
        talk = c.small_talk
        normalized = reading.normalized
        # "hey, what can you do?" is a question after a greeting, not small talk.
        rest = c.greeting.sub("", normalized, count=1).strip()
        opening = c.opening.match(rest)
        # "ok so unscored items on AI-103?" starts like small talk but goes on to a question.
        small = not rest or (opening is not None and all(
            t in c.tail_words for t in content_tokens(rest[opening.end():])))
        if (small and not any(reading.holds(name) for name in talk.unless)
                and len(normalized.split()) <= talk.max_words):
            return "small-talk", talk.reason
        return None


def _lowered(question: str) -> str:
    """The question as the raw-text patterns read it."""
    return question.lower().replace("’", "'")


def _alternatives(family: Family) -> tuple[str, ...]:
    """What a family's ``found`` pattern (:func:`knowledge.matcher_data.compile_any`) is
    the union of: each phrase between word boundaries, each pattern; () for a family
    over the normalised text, which is always tried."""
    if family.text != "raw":
        return ()
    return (*(rf"\b(?:{p})\b" for p in family.phrases), *(f"(?:{p})" for p in family.patterns))


class _Reading:
    """One question as the families read it, with the exam-context conditions of
    ``unless`` worked out on demand. The question is normalised only when a family
    needs it: a text no raw-text family fires on (most of them, when ``kb check`` checks
    every phrasing against the known gaps) costs one search per family."""

    def __init__(
        self, compiled: CompiledOffTopic, question: str, lowered: str | None = None
    ) -> None:
        self._c = compiled
        self._question = question
        self.lowered = _lowered(question) if lowered is None else lowered

    @functools.cached_property
    def normalized(self) -> str:
        return normalize(self._question)

    @functools.cached_property
    def context(self) -> str:
        """The normalised question without the ``ignore`` words: the normaliser reads
        "certificate" as certification (members say both), but a TLS or Key Vault
        certificate is not exam context."""
        c = self._c
        if c.ignore is not None and c.ignore.search(self.lowered):
            return normalize(c.ignore.sub(" ", self.lowered))
        return self.normalized

    @functools.cached_property
    def has_ms_code(self) -> bool:
        return bool(exam_codes(self.normalized))

    def holds(self, condition: Condition) -> bool:
        c = self._c
        if condition == "exam-context":
            return bool(c.exam and c.exam.search(self.context))
        if condition == "strict-exam-context":
            return bool(c.strict_exam and c.strict_exam.search(self.context))
        if condition == "microsoft-code":
            return self.has_ms_code
        if condition == "mentions-microsoft":
            return self.has_ms_code or bool(c.microsoft and c.microsoft.search(self.normalized))
        return self.has_ms_code or bool(c.exam_cues and c.exam_cues.search(self.context))
