"""Stage 1 of the matcher: refuse questions that are explicitly out of scope.

Other vendors' exams, driving tests, game refunds, Azure how-tos, small talk … a
Microsoft answer to an AWS question is worse than "I don't know". The families and the
exam context that overrides them are data (``data/matcher/offtopic.toml``, validated by
the loader); this module only applies them, in file order.
"""

from __future__ import annotations

from knowledge.matcher_data import CompiledOffTopic, OffTopic
from knowledge.normalize import content_tokens, exam_codes, normalize


class OffTopicStage:
    """The off-topic families of one knowledge base, compiled once."""

    def __init__(self, data: OffTopic) -> None:
        self._c = CompiledOffTopic(data)

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
        c = self._c
        lowered = question.lower().replace("’", "'")
        normalized = normalize(question)
        # The normaliser reads "certificate" as certification (members say both), but a
        # TLS or Key Vault certificate is not exam context: judge context without it.
        context = normalized
        if c.ignore is not None and c.ignore.search(lowered):
            context = normalize(c.ignore.sub(" ", lowered))
        has_ms_code = bool(exam_codes(normalized))
        conditions = {
            "exam-context": lambda: bool(c.exam and c.exam.search(context)),
            "strict-exam-context": lambda: bool(c.strict_exam and c.strict_exam.search(context)),
            "microsoft-code": lambda: has_ms_code,
            "mentions-microsoft": lambda: has_ms_code
            or bool(c.microsoft and c.microsoft.search(normalized)),
            "exam-cue": lambda: has_ms_code
            or bool(c.exam_cues and c.exam_cues.search(context)),
        }
        texts = {"raw": lowered, "normalized": normalized}
        for compiled in c.families:
            family = compiled.family
            text = texts[family.text]
            if not compiled.found.search(text):
                continue
            if not all(p.search(text) for p in compiled.requires):
                continue
            if any(conditions[name]() for name in family.unless):
                continue
            if compiled.unless_raw is not None and compiled.unless_raw.search(lowered):
                continue
            if (compiled.unless_normalized is not None
                    and compiled.unless_normalized.search(normalized)):
                continue
            return family.name, family.reason
        talk = c.small_talk
        # "hey, what can you do?" is a question after a greeting, not small talk.
        rest = c.greeting.sub("", normalized, count=1).strip()
        opening = c.opening.match(rest)
        # "ok so unscored items on AI-103?" starts like small talk but goes on to a question.
        small = not rest or (opening is not None and all(
            t in c.tail_words for t in content_tokens(rest[opening.end():])))
        if (small and not any(conditions[name]() for name in talk.unless)
                and len(normalized.split()) <= talk.max_words):
            return "small-talk", talk.reason
        return None
