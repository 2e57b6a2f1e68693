"""Typed models of the matcher's own knowledge files (``data/matcher/*.toml``).

The off-topic families, the normaliser's rewrite rules and the scoring weights are data
the loader validates like the FAQ: every regular expression must compile and be quick
on any question (:func:`knowledge.regex_safety.regex_problem`), every weight must lie in
its range. See ``knowledge/MATCHER.md`` for how to change them and measure the change.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from knowledge.regex_safety import compiled, regex_problem

# The conditions a family may name in ``unless``: the question is about exams after all.
Condition = Literal[
    "exam-context", "strict-exam-context", "microsoft-code", "mentions-microsoft", "exam-cue"
]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def _check_patterns(value: tuple[str, ...]) -> tuple[str, ...]:
    for pattern in value:
        problem = regex_problem(pattern)
        if problem is not None:
            raise ValueError(f"{pattern[:60]!r} {problem}")
    return value


def _check_phrases(value: tuple[str, ...]) -> tuple[str, ...]:
    """Phrases are regular-expression fragments placed between word boundaries."""
    for phrase in value:
        if not phrase.strip():
            raise ValueError("an empty phrase would match everywhere")
        problem = regex_problem(rf"\b(?:{phrase})\b")
        if problem is not None:
            raise ValueError(f"phrase {phrase[:60]!r} {problem}")
    return value


def compile_any(phrases: tuple[str, ...], patterns: tuple[str, ...]) -> re.Pattern[str] | None:
    """One pattern that matches where any phrase (between word boundaries) or any full
    pattern matches; None when there are neither."""
    parts = [f"(?:{p})" for p in patterns]
    if phrases:
        parts.insert(0, r"\b(?:" + "|".join(phrases) + r")\b")
    return compiled("|".join(parts)) if parts else None


class Context(_Frozen):
    """The words that make a question about exams, which override most families."""

    # Removed from the question before judging context: a TLS certificate is not a
    # certification, though the normaliser reads "certificate" as one.
    ignore: tuple[str, ...] = ()
    # Exam context, over the normalised question (less the ``ignore`` words).
    exam: tuple[str, ...] = Field(min_length=1)
    # Stricter exam context, for families whose words are renewed too (subscriptions).
    strict_exam: tuple[str, ...] = Field(min_length=1)
    # Names that make a question about Microsoft (over the normalised question).
    microsoft: tuple[str, ...] = Field(min_length=1)
    # Clear signs of an exam question (a retake, a waiting period, a waiver) which, like
    # a Microsoft exam code, override families whose words also come up around exams
    # (a product the exam is about, a job offer that needs the certification).
    exam_cues: tuple[str, ...] = ()

    _phrases = field_validator("exam", "strict_exam", "microsoft", "exam_cues")(_check_phrases)
    _patterns = field_validator("ignore")(_check_patterns)


class Family(_Frozen):
    """One kind of off-topic question: it is refused with ``reason`` when any of its
    ``phrases`` or ``patterns`` is found, every ``requires`` pattern is found too, and
    none of the ``unless`` conditions or ``unless_raw`` / ``unless_normalized``
    patterns holds."""

    name: str = Field(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
    reason: str = Field(min_length=1)
    # Which text the patterns read: the question lower-cased, or normalised.
    text: Literal["raw", "normalized"] = "raw"
    phrases: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    requires: tuple[str, ...] = ()
    unless: tuple[Condition, ...] = ()
    unless_raw: tuple[str, ...] = ()
    unless_normalized: tuple[str, ...] = ()
    # Questions the family must refuse (a test asks each of them).
    examples: tuple[str, ...] = Field(min_length=1)

    _phrases = field_validator("phrases")(_check_phrases)
    _patterns = field_validator("patterns", "requires", "unless_raw", "unless_normalized")(
        _check_patterns
    )


class SmallTalk(_Frozen):
    """A greeting or pleasantry with no question in it (``thanks bot``, ``hi all``)."""

    reason: str = Field(min_length=1)
    greeting: str
    opening: str
    tail_words: tuple[str, ...] = ()
    max_words: int = Field(strict=True, ge=1, le=50)
    unless: tuple[Condition, ...] = ()

    _patterns = field_validator("greeting", "opening")(
        lambda v: _check_patterns((v,))[0]
    )


def _check_families(value: tuple[Family, ...]) -> tuple[Family, ...]:
    seen: set[str] = set()
    for family in value:
        if family.name in seen:
            raise ValueError(f"two families are called {family.name!r}")
        if not family.phrases and not family.patterns:
            raise ValueError(f"family {family.name!r} has neither phrases nor patterns")
        seen.add(family.name)
    return value


class OffTopic(_Frozen):
    """``matcher/offtopic.toml``: the families, checked in file order, then small talk."""

    context: Context
    family: tuple[Family, ...] = Field(min_length=1)
    small_talk: SmallTalk

    _families = field_validator("family")(_check_families)


class Gaps(_Frozen):
    """``matcher/gaps.toml``: on-topic questions the knowledge base knowingly does not
    answer (a test centre's parking, the MCT programme …), in the families' format. A
    question in a gap gets an honest "I don't have a sourced answer" with the official
    page, never a neighbouring entry's answer; no entry's phrasing or member question
    may fall in a gap (``kb check`` checks: knowledge.refusals)."""

    gap: tuple[Family, ...] = ()

    _families = field_validator("gap")(_check_families)


class Unanswered(_Frozen):
    """``matcher/unanswered.toml``: questions members asked that no entry answers, on
    topic (a test centre's parking) and off topic (small talk that got past the
    families), measured in blind batches and then kept here as member questions are.
    The classifier learns them as one more class, "nothing answers this", whose share
    the calibration reads: a question worded like them abstains though it shares an
    entry's words. None may equal an entry's text (the loader checks)."""

    on_topic: tuple[str, ...] = ()
    off_topic: tuple[str, ...] = ()

    @property
    def texts(self) -> tuple[str, ...]:
        return self.on_topic + self.off_topic


class Rule(_Frozen):
    """One rewrite of the normaliser: ``pattern`` (a regular expression) becomes ``to``."""

    pattern: str
    to: str

    @field_validator("pattern")
    @classmethod
    def _safe(cls, value: str) -> str:
        return _check_patterns((value,))[0]

    @field_validator("to")
    @classmethod
    def _groups_exist(cls, value: str, info: ValidationInfo) -> str:
        pattern = info.data.get("pattern")
        if pattern is not None:
            groups = re.compile(pattern).groups
            for ref in re.findall(r"\\(\d+)", value):
                if int(ref) > groups:
                    raise ValueError(f"refers to group {ref}; the pattern has {groups}")
        return value


class NormalizeRules(_Frozen):
    """``matcher/normalize.toml``: the normaliser's rewrite rules and grammar words."""

    stopwords: tuple[str, ...] = Field(min_length=1)
    keep: tuple[str, ...] = ()
    rule: tuple[Rule, ...] = Field(min_length=1)


class Scoring(_Frozen):
    """The matcher's named weights (see ``knowledge/MATCHER.md``)."""

    abstain_below: float = Field(ge=0, le=1)
    low_confidence_below: float = Field(ge=0, le=1)
    suggest_min_score: float = Field(ge=0, le=1)
    answer_min_score: float = Field(ge=0, le=1)
    min_information: float = Field(ge=0, le=3)
    shortlist: int = Field(strict=True, ge=1, le=100)
    fuzzy_weight: float = Field(ge=0, le=1)
    set_pass_texts: int = Field(strict=True, ge=1, le=100)
    keyword_bonus: float = Field(ge=0, le=1)
    # A question whose words are exactly those of one of an entry's texts.
    exact_bonus: float = Field(default=0.0, ge=0, le=1)
    pair_weight: float = Field(ge=0, le=1)
    signal_bonus: float = Field(ge=0, le=1)
    bayes_weight: float = Field(ge=0, le=1)
    bayes_alpha: float = Field(gt=0, le=10)
    # The discriminative classifier (knowledge.matching.classifier): its softmax share
    # times classifier_weight joins the score; trained for classifier_epochs passes,
    # softened by classifier_temperature, and not at all above classifier_max_entries.
    classifier_weight: float = Field(ge=0, le=1)
    classifier_epochs: int = Field(strict=True, ge=0, le=50)
    classifier_temperature: float = Field(gt=0, le=100)
    classifier_max_entries: int = Field(strict=True, ge=0, le=65535)
    known_full: float = Field(gt=0, le=1)
    code_bonus: float = Field(ge=0, le=1)
    code_specific_share: float = Field(gt=0, le=1)
    code_specific_bonus: float = Field(ge=0, le=1)
    code_mismatch: float = Field(ge=0, le=1)
    tf_floor: float = Field(ge=0, le=1)
    tf_k: float = Field(gt=0, le=10)
    personal_bonus: float = Field(ge=0, le=1)
    impersonal_penalty: float = Field(ge=0, le=1)
    personal_other_penalty: float = Field(ge=0, le=1)
    # A re-spelt word is trusted this much (1 = fully).
    respelt_trust: float = Field(ge=0, le=1)
    # The information feature is capped here (units of the rarest word's IDF).
    max_information: float = Field(gt=0, le=100)


class Calibration(_Frozen):
    """Logistic calibration of (top, margin, information, explained, unanswered) →
    P(correct); written by ``python -m eval.run --fit --write``."""

    bias: float = Field(ge=-50, le=50)
    top: float = Field(ge=-50, le=50)
    margin: float = Field(ge=-50, le=50)
    information: float = Field(ge=-50, le=50)
    explained: float = Field(ge=-50, le=50)
    # The classifier's share for "nothing answers this" (0 without unanswered.toml).
    unanswered: float = Field(default=0.0, ge=-50, le=50)


class Weights(_Frozen):
    """``matcher/weights.toml``."""

    scoring: Scoring
    calibration: Calibration


class MatcherData(_Frozen):
    """Everything the matcher reads besides the FAQ entries."""

    offtopic: OffTopic
    weights: Weights
    gaps: Gaps = Gaps()
    unanswered: Unanswered = Unanswered()


class CompiledFamily:
    """A family with its patterns compiled once."""

    def __init__(self, family: Family) -> None:
        self.family = family
        found = compile_any(family.phrases, family.patterns)
        assert found is not None  # validated: phrases or patterns
        self.found = found
        self.requires = tuple(compiled(p) for p in family.requires)
        self.unless_raw = compile_any((), family.unless_raw)
        self.unless_normalized = compile_any((), family.unless_normalized)


class CompiledOffTopic:
    """The off-topic file, compiled."""

    def __init__(self, data: OffTopic) -> None:
        context = data.context
        self.ignore = compile_any((), context.ignore)
        self.exam = compile_any(context.exam, ())
        self.strict_exam = compile_any(context.strict_exam, ())
        self.microsoft = compile_any(context.microsoft, ())
        self.exam_cues = compile_any(context.exam_cues, ())
        self.families = tuple(CompiledFamily(f) for f in data.family)
        talk = data.small_talk
        self.small_talk = talk
        self.greeting = re.compile(talk.greeting)
        self.opening = re.compile(talk.opening)
        self.tail_words = frozenset(talk.tail_words)
