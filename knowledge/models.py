"""Typed models of the knowledge files.

Every fact carries sources, and every datetime is aware and normalised to UTC, so the
rest of the code never has to guess an offset.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from knowledge.codes import normalize_exam_code
from knowledge.matcher_data import MatcherData
from knowledge.regex_safety import regex_problem

ENTRY_ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_ANSWER_CHARS = 1000
MIN_PHRASINGS = 8
# Sane upper bounds of the policy numbers (Microsoft's are 24 hours, 14 days, 5 attempts,
# 12 months, 24 hours, 1 year, 6 months, 700 of 1 to 1000): far above any plausible
# policy, far below the slip of a key that would lock members out for years.
MAX_FIRST_FAILURE_WAIT_HOURS = 24 * 30
MAX_LATER_FAILURE_WAIT_DAYS = 365
MAX_ATTEMPTS_PER_WINDOW = 100
MAX_ATTEMPT_WINDOW_MONTHS = 60
MAX_RESCHEDULE_CUTOFF_HOURS = 24 * 30
MAX_CERTIFICATION_VALIDITY_YEARS = 10
MAX_RENEWAL_WINDOW_MONTHS = 24
MAX_SCORE = 10_000


def _to_utc(value: dt.datetime) -> dt.datetime:
    return value.astimezone(dt.UTC)


UtcDatetime = Annotated[AwareDatetime, AfterValidator(_to_utc)]
ExamCode = Annotated[str, AfterValidator(normalize_exam_code)]
ExamLevel = Literal["fundamentals", "associate", "expert", "specialty"]
ExamStatus = Literal["beta", "active"]


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
    Each number must lie in a sane range (see the ``MAX_*`` bounds above): a slip of the
    keyboard (a wait of 0, 240 days for 24) would otherwise reach members' eligibility.
    Numbers are strict integers: ``true`` or ``"24"`` in the file is refused, not read as 1.
    """

    first_failure_wait_hours: int = Field(strict=True, gt=0, le=MAX_FIRST_FAILURE_WAIT_HOURS)
    later_failure_wait_days: int = Field(strict=True, gt=0, le=MAX_LATER_FAILURE_WAIT_DAYS)
    max_attempts_per_window: int = Field(strict=True, ge=1, le=MAX_ATTEMPTS_PER_WINDOW)
    attempt_window_months: int = Field(strict=True, gt=0, le=MAX_ATTEMPT_WINDOW_MONTHS)
    reschedule_cutoff_hours: int = Field(strict=True, gt=0, le=MAX_RESCHEDULE_CUTOFF_HOURS)
    certification_validity_years: int = Field(
        strict=True, gt=0, le=MAX_CERTIFICATION_VALIDITY_YEARS
    )
    renewal_window_months: int = Field(strict=True, gt=0, le=MAX_RENEWAL_WINDOW_MONTHS)
    passing_score: int = Field(strict=True, gt=0, le=MAX_SCORE)
    score_min: int = Field(strict=True, ge=0, le=MAX_SCORE)
    score_max: int = Field(strict=True, gt=0, le=MAX_SCORE)
    sources: tuple[Source, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _numbers_agree(self) -> Policy:
        """Numbers that bound each other; each problem names the field to fix (a plain
        ValueError here would name no field, pydantic nests a ValidationError's own)."""
        problems: list[InitErrorDetails] = []

        def refuse(field: str, message: str) -> None:
            error = PydanticCustomError("policy_range", message)
            problems.append(InitErrorDetails(type=error, loc=(field,), input=getattr(self, field)))

        if self.score_min >= self.score_max:
            refuse("score_max", f"must be above score_min ({self.score_min})")
        elif not self.score_min < self.passing_score <= self.score_max:
            refuse(
                "passing_score",
                f"must be above score_min ({self.score_min}) "
                f"and at most score_max ({self.score_max})",
            )
        if self.renewal_window_months > 12 * self.certification_validity_years:
            refuse(
                "renewal_window_months",
                "must not be longer than the certification is valid "
                f"({self.certification_validity_years} year(s))",
            )
        if problems:
            raise ValidationError.from_exception_data(type(self).__name__, problems)
        return self

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
    # The credential's level, as its name says (Fundamentals, Associate, Expert, Specialty).
    level: ExamLevel | None = None
    # Only "beta" or "active": retiring and retired follow from ``retires_at``
    # (see :meth:`lifecycle`), so the two can never disagree.
    status: ExamStatus | None = None
    # The day the beta opened (US Central), when a source dates it.
    beta_from: dt.date | None = None
    # A short price, with the country it applies to: "USD 165 (US)".
    price_band: str | None = Field(default=None, min_length=1, max_length=40)
    languages: tuple[str, ...] = ()
    # Where sources disagree (duration, dates), the catalog says so in plain words.
    notes: str | None = None
    sources: tuple[Source, ...] = ()

    @classmethod
    def uncatalogued(cls, code: str) -> Exam:
        return cls(code=code)

    @property
    def catalogued(self) -> bool:
        return bool(self.sources)

    @property
    def last_verified(self) -> dt.date | None:
        """The most recent day a source about *this* exam was checked.

        Only sources that name the exam (its code in the URL or title) count: a generic
        page checked yesterday ("Exam duration and question types") says nothing about
        whether this exam is still current, so it must not make "no retirement announced
        as of <date>" look fresher than it is."""
        compact = self.code.replace("-", "").casefold()
        specific = [
            source.verified
            for source in self.sources
            if compact in f"{source.url} {source.title or ''}".casefold().replace("-", "")
        ]
        return max(specific, default=None)

    def is_retired(self, now: dt.datetime) -> bool:
        return self.retires_at is not None and now >= self.retires_at

    def lifecycle(self, now: dt.datetime) -> str | None:
        """``retired``, ``retiring`` (a date is announced), ``beta``, ``active``, or None
        when no source confirms the status."""
        if self.retires_at is not None:
            return "retired" if self.is_retired(now) else "retiring"
        return self.status


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
    # Rank in the empty autocomplete box (1 = offered first); None = not popular.
    popular: int | None = Field(default=None, strict=True, ge=1, le=25)
    # A personal entry's first-person marker and timing question (regular expressions
    # over the normalised question): both found send the question here, and a question
    # without the first-person marker is steered away (see matcher weights).
    first_person: str | None = None
    personal_timing: str | None = None
    # The answer's facts hold for its ``exams`` only (AI-103's skills outline): asked
    # about other exams alone, the entry does not answer, so the member hears "I have
    # that only for AI-103 and AI-102" and gets the asked exam's own page, never
    # AI-103's outline as if it were AZ-104's.
    only_its_exams: bool = False
    # The catalog field that answers this entry's question for any catalogued exam
    # (exam-duration: duration_minutes): the asked exam's value comes first, and an
    # ``only_its_exams`` entry still answers an exam whose catalog has it.
    exam_field: Literal["duration_minutes", "languages"] | None = None

    @model_validator(mode="after")
    def _scope_needs_exams(self) -> FaqEntry:
        if (self.only_its_exams or self.exam_field) and not self.exams:
            raise ValueError("only_its_exams and exam_field need the entry's exams")
        return self

    @field_validator("first_person", "personal_timing")
    @classmethod
    def _personal_is_safe(cls, value: str | None) -> str | None:
        if value is not None:
            problem = regex_problem(value)
            if problem is not None:
                raise ValueError(f"{value[:60]!r} {problem}")
        return value

    @field_validator("signals")
    @classmethod
    def _signals_are_safe(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        """Each signal must compile and be quick on any question (regex_safety), and all
        must compile together: the matcher joins them into one pattern."""
        for pattern in value:
            problem = regex_problem(pattern)
            if problem is not None:
                raise ValueError(f"signal {pattern!r} {problem}")
        try:
            re.compile("|".join(f"(?:{pattern})" for pattern in value))
        except re.error as error:
            raise ValueError(f"the signals cannot be combined into one pattern: {error}") from None
        return value

    @field_validator("id")
    @classmethod
    def _id_is_slug(cls, value: str) -> str:
        if not ENTRY_ID_RE.match(value):
            raise ValueError("must be lowercase words joined by dashes, like 'retake-cost'")
        return value


class HelpPage(_Frozen):
    """Where to look when no entry answers: one official page for a kind of question,
    chosen by the words the question uses (``help_pages.toml``)."""

    name: str
    title: str = Field(min_length=1, max_length=200)
    url: str = Field(pattern=r"^https://\S+$")
    words: tuple[str, ...] = Field(min_length=1)
    needs_exam_code: bool = False
    # Entries whose answer holds only for their own exams (FaqEntry.only_its_exams):
    # a question on their topic about another exam comes here, whatever its words.
    entries: tuple[str, ...] = ()
    verified: dt.date

    @field_validator("name")
    @classmethod
    def _name_is_slug(cls, value: str) -> str:
        if not ENTRY_ID_RE.match(value):
            raise ValueError("must be lowercase words joined by dashes, like 'pearson-vue'")
        return value

    @field_validator("words")
    @classmethod
    def _words_are_plain(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for word in value:
            if not word.strip() or word != word.lower() or any(c in word for c in "\\[](){}|*+?^$"):
                raise ValueError(f"{word!r}: words are plain lowercase phrases, not regexes")
        return value

    @model_validator(mode="after")
    def _code_placeholder_matches(self) -> HelpPage:
        if ("{code}" in self.url) != self.needs_exam_code:
            raise ValueError("a url with {code} needs needs_exam_code = true, and only then")
        return self


class KnowledgeBase(_Frozen):
    """Everything the bot knows, loaded and validated as a whole."""

    policy: Policy
    exams: dict[str, Exam]
    entries: dict[str, FaqEntry]
    # Where to point a member when no entry answers (``help_pages.toml``).
    help_pages: tuple[HelpPage, ...] = ()
    # The matcher's off-topic families and weights (``data/matcher``); None = the
    # packaged ones (a knowledge base built in code, as the benchmarks do).
    matcher: MatcherData | None = None

    def exam(self, code: str) -> Exam:
        """The catalog entry for a (normalised) code, or a bare uncatalogued exam."""
        canonical = normalize_exam_code(code)
        return self.exams.get(canonical) or Exam.uncatalogued(canonical)
