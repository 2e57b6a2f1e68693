"""Question in, answer out: cleaning, matching and rendering in one call.

:func:`answer_question` is what the bot, the console and ``python -m bot ask`` use. For
the personal ``my-eligibility`` entry it returns the entry with its fallback text; the
bot replaces that text with the member's own eligibility from their attempt log.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from knowledge.matcher import Matcher
from knowledge.models import Exam, FaqEntry, KnowledgeBase
from knowledge.normalize import exam_codes, normalize
from knowledge.templating import exam_summary, render, retirement_phrase

MAX_QUESTION_CHARS = 500
# The matcher's reason for a greeting or thanks: worth a friendly reply, not a record.
SMALL_TALK = "small talk"

_WHITESPACE_RE = re.compile(r"\s+")


class InvalidQuestionError(ValueError):
    """The question cannot be answered as typed; the message is for the member."""


def _is_control(char: str) -> bool:
    # Cc: control characters, Cf: format characters (zero-width space, bidi marks …).
    return unicodedata.category(char) in {"Cc", "Cf"} and char not in "\t\n\r"


def clean_question(text: str) -> str:
    """The question with control characters removed and whitespace collapsed.

    Raises :class:`InvalidQuestionError` for an empty question, one longer than
    :data:`MAX_QUESTION_CHARS`, or one with no letters or digits at all.
    """
    without_controls = "".join(" " if _is_control(c) else c for c in text)
    cleaned = _WHITESPACE_RE.sub(" ", without_controls).strip()
    if not cleaned:
        raise InvalidQuestionError("Please type a question, for example: when can I retake?")
    if len(cleaned) > MAX_QUESTION_CHARS:
        raise InvalidQuestionError(
            f"That question is {len(cleaned):,} characters long; please keep it under "
            f"{MAX_QUESTION_CHARS} characters."
        )
    if not any(c.isalnum() for c in cleaned):
        raise InvalidQuestionError(
            "I need a question in words, for example: how much does a retake cost?"
        )
    return cleaned


@dataclass(frozen=True)
class Answer:
    """The entry that answers a question (None when the matcher abstained)."""

    entry: FaqEntry | None
    confidence: float
    text: str | None  # rendered Markdown, None when abstaining
    suggestions: list[str] = field(default_factory=list)  # entry ids for "Did you mean…"
    # Why the matcher abstained ("small talk", "other vendor" …), for the front ends.
    reason: str | None = None
    # Not covered because the entry on the topic holds only for these exams (AI-103's
    # skills outline) and the question asked about others.
    only_for: tuple[str, ...] = ()
    # The entry on that topic (its help page, help_pages.toml ``entries``, comes first).
    uncovered_topic: str | None = None

    @property
    def entry_id(self) -> str | None:
        return self.entry.id if self.entry else None

    def to_json(self) -> dict[str, Any]:
        return {
            "entry_id": self.entry_id,
            "confidence": round(self.confidence, 4),
            "answer": self.text,
            "suggestions": list(self.suggestions),
        }


def answer_question(
    kb: KnowledgeBase,
    matcher: Matcher,
    question: str,
    now: dt.datetime,
    commands: Mapping[str, str] | None = None,
) -> Answer:
    """Clean ``question``, match it and render the answer for ``now`` (naming the bot's
    commands as ``commands`` says, for the surface that will show it).

    Raises :class:`InvalidQuestionError` for a question that cannot be used, and
    :class:`ValueError` for a naive ``now``.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    cleaned = clean_question(question)
    result = matcher.match(cleaned)
    suggestions = [s for s in result.suggestions if s in kb.entries]
    if result.entry_id is None:
        topic = result.top.entry_id if result.only_for and result.top else None
        return Answer(None, result.confidence, None, suggestions, result.reason,
                      result.only_for, topic)
    entry = kb.entries[result.entry_id]
    text = render(entry.answer, kb, now, commands)
    notes = exam_notes(kb, cleaned, entry, text, now)
    return Answer(entry, result.confidence, f"{notes}\n\n{text}" if notes else text, suggestions)


def exam_notes(
    kb: KnowledgeBase, question: str, entry: FaqEntry, answer: str, now: dt.datetime
) -> str:
    """Facts for the exams a question names that the entry was not written about.

    Exam-specific entries (those with ``exams``, e.g. AI-102's retirement) would
    otherwise answer "when does AZ-500 retire?" with AI-102's date: the named exam's
    catalog line comes first, or an honest "not in my catalog". A retired exam is
    flagged whatever the topic, since policy about an exam nobody can sit misleads.
    A catalog answer (the list of retirements) that leaves the named exam out gets its
    line too: "when does AZ-104 retire?" says none is announced, as of when.
    """
    lines = []
    for code in dict.fromkeys(exam_codes(normalize(question))):
        if code in entry.exams:
            continue
        exam = kb.exams.get(code)
        field_line = exam_field_line(exam, entry.exam_field, now) if exam else None
        if field_line is not None:
            lines.append(field_line)
        elif exam is None:
            if entry.exams:
                lines.append(
                    f"**{code}** isn't in my catalog, so I can't give its own details; "
                    f"what follows is about {' and '.join(entry.exams)}."
                )
        elif entry.exams or exam.is_retired(now) or _catalog_gap(entry, code, answer):
            lines.append(exam_summary(exam, now))
    return "\n".join(lines)


# What an entry's exam_field is called in a sentence.
_FIELD_WORDS = {"duration_minutes": "length", "languages": "list of languages"}


def exam_field_line(exam: Exam, field: str | None, now: dt.datetime) -> str | None:
    """The catalog's answer for ``exam`` to an entry about ``field`` (its length, its
    languages), or that the catalog has none; None for an entry without a field. "How
    long is AZ-104?" starts with AZ-104's own length rather than AI-103's."""
    if field is None:
        return None
    title = f" ({exam.title})" if exam.title else ""
    retired = f" ({retirement_phrase(exam, now)})" if exam.is_retired(now) else ""
    if field == "duration_minutes" and exam.duration_minutes:
        value = f"**{exam.code}**{title} lasts **{exam.duration_minutes} minutes**"
    elif field == "languages" and exam.languages:
        value = f"**{exam.code}**{title} is offered in {', '.join(exam.languages)}"
    else:
        value = None
    # A note about the length ("sources disagree: 100 or 120 minutes") belongs with it.
    note = (f" {exam.notes}" if exam.notes and field == "duration_minutes"
            and "minute" in exam.notes else "")
    if value is None:
        return (f"My catalog has no confirmed {_FIELD_WORDS[field]} for **{exam.code}**"
                f"{title}{retired}.{note}")
    return f"{value}, per my catalog{retired}.{note}"


def _catalog_gap(entry: FaqEntry, code: str, answer: str) -> bool:
    """A catalog entry's answer that does not mention the exam the question names."""
    return entry.category == "catalog" and code not in answer
