"""Typed models of the knowledge files.

Every fact carries sources, and every datetime is aware and normalised to UTC, so the
rest of the code never has to guess an offset.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from knowledge.codes import normalize_exam_code

ENTRY_ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_ANSWER_CHARS = 1000
MIN_PHRASINGS = 8


def _to_utc(value: dt.datetime) -> dt.datetime:
    return value.astimezone(dt.UTC)


UtcDatetime = Annotated[AwareDatetime, AfterValidator(_to_utc)]
ExamCode = Annotated[str, AfterValidator(normalize_exam_code)]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Source(_Frozen):
    """Where a fact comes from and when someone last checked it."""

    url: str = Field(pattern=r"^https?://\S+$")
    verified: dt.date
    title: str | None = None
    official: bool = True


class Policy(_Frozen):
    """Every number of the exam policies, in one place.

    FAQ answers print these through ``{policy.<field>}`` placeholders and the rules
    engine computes with them, so the text and the computation can never disagree.
    """

    first_failure_wait_hours: int = Field(gt=0)
    later_failure_wait_days: int = Field(gt=0)
    max_attempts_per_window: int = Field(gt=0)
    attempt_window_months: int = Field(gt=0)
    reschedule_cutoff_hours: int = Field(gt=0)
    certification_validity_years: int = Field(gt=0)
    renewal_window_months: int = Field(gt=0)
    passing_score: int = Field(gt=0)
    score_min: int = Field(ge=0)
    score_max: int = Field(gt=0)
    sources: tuple[Source, ...] = Field(min_length=1)

    @property
    def first_failure_wait(self) -> dt.timedelta:
        return dt.timedelta(hours=self.first_failure_wait_hours)

    @property
    def later_failure_wait(self) -> dt.timedelta:
        return dt.timedelta(days=self.later_failure_wait_days)


class Exam(_Frozen):
    """One exam of the catalog. Only ``code`` is required: an uncatalogued but
    well-formed code still gets the general retake policy."""

    code: ExamCode
    title: str | None = None
    credential: str | None = None
    duration_minutes: int | None = Field(default=None, gt=0)
    passing_score: int | None = Field(default=None, gt=0)
    retires_at: UtcDatetime | None = None
    successor: ExamCode | None = None
    # Where sources disagree (duration, dates), the catalog says so in plain words.
    notes: str | None = None
    sources: tuple[Source, ...] = ()

    @classmethod
    def uncatalogued(cls, code: str) -> Exam:
        return cls(code=code)

    @property
    def catalogued(self) -> bool:
        return bool(self.sources)

    def is_retired(self, now: dt.datetime) -> bool:
        return self.retires_at is not None and now >= self.retires_at


class FaqEntry(_Frozen):
    """One question members ask, many ways, with one sourced answer."""

    id: str
    category: str
    question: str
    phrasings: tuple[str, ...] = Field(min_length=MIN_PHRASINGS)
    keywords: tuple[str, ...] = ()
    answer: str = Field(min_length=1, max_length=MAX_ANSWER_CHARS)
    sources: tuple[Source, ...] = Field(min_length=1)
    related: tuple[str, ...] = ()
    exams: tuple[ExamCode, ...] = ()
    # Personal entries (``my-eligibility``) are answered from the member's own log.
    personal: bool = False
    # Regular expressions over the normalised question that mark this entry's concept
    # where words alone cannot ("failing a second time" is the later waits, "a second
    # attempt" after one failure is the first wait); see matcher.SIGNAL_BONUS.
    signals: tuple[str, ...] = ()
    # Questions members asked in their own words, labelled with this entry; the loader
    # attaches them from ``member_questions.toml``. The matcher learns from them as from
    # the phrasings: real wording (typos, context, slang) that no editor would write.
    examples: tuple[str, ...] = ()

    @field_validator("signals")
    @classmethod
    def _signals_compile(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for pattern in value:
            try:
                re.compile(pattern)
            except re.error as error:
                message = f"signal {pattern!r} is not a valid regular expression: {error}"
                raise ValueError(message) from None
        return value

    @field_validator("id")
    @classmethod
    def _id_is_slug(cls, value: str) -> str:
        if not ENTRY_ID_RE.match(value):
            raise ValueError("must be lowercase words joined by dashes, like 'retake-cost'")
        return value


class KnowledgeBase(_Frozen):
    """Everything the bot knows, loaded and validated as a whole."""

    policy: Policy
    exams: dict[str, Exam]
    entries: dict[str, FaqEntry]

    def exam(self, code: str) -> Exam:
        """The catalog entry for a (normalised) code, or a bare uncatalogued exam."""
        canonical = normalize_exam_code(code)
        return self.exams.get(canonical) or Exam.uncatalogued(canonical)
