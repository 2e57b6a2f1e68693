"""An exam's catalog card as data: the same fields on Discord and in the console.

Only what the catalog has is shown as fact; a field no source confirms says "not
confirmed" rather than guessing. No discord.py here: the Discord embed and the console
text are both built from :func:`exam_card`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from knowledge.models import Exam, KnowledgeBase
from knowledge.templating import format_day, no_retirement_phrase

# What the exam card says for a field no source confirms: never a guess.
NOT_CONFIRMED = "not confirmed"


def format_date(day: dt.date) -> str:
    """``26 September 2026``: unambiguous in every locale."""
    return f"{day.day} {day:%B %Y}"


def no_retirement_text(exam: Exam) -> str:
    """ "No retirement announced as of <the day its sources were last checked>"; the
    same wording as the answers' (:func:`knowledge.templating.no_retirement_phrase`)."""
    phrase = no_retirement_phrase(exam).removeprefix("has ")
    return phrase[0].upper() + phrase[1:]


def status_text(exam: Exam, now: dt.datetime) -> str:
    """Beta, Active, Retiring on …, Retired, or "not confirmed" when no source says."""
    lifecycle = exam.lifecycle(now)
    if lifecycle == "retiring" and exam.retires_at is not None:
        return f"Retiring on {format_day(exam.retires_at)}"
    if lifecycle == "beta" and exam.beta_from is not None:
        return f"Beta (since {format_date(exam.beta_from)})"
    return lifecycle.capitalize() if lifecycle else NOT_CONFIRMED


def predecessors(kb: KnowledgeBase, code: str) -> list[str]:
    """Codes of the exams this one replaces."""
    return sorted(e.code for e in kb.exams.values() if e.successor == code)


@dataclass(frozen=True)
class ExamCard:
    title: str
    retired: bool
    fields: tuple[tuple[str, str, bool], ...]  # (name, Markdown value, inline)


def plain_retirement(exam: Exam, now: dt.datetime) -> str | None:
    """ "Retired on 30 June 2026" / "Retires on …" in US Central days (no timestamps)."""
    if exam.retires_at is None:
        return None
    verb = "Retired" if exam.is_retired(now) else "Retires"
    return f"{verb} on {format_day(exam.retires_at)} (11:59 PM US Central)"


def exam_card(
    exam: Exam, kb: KnowledgeBase, now: dt.datetime, *, retirement: str | None = None
) -> ExamCard:
    """The card's fields; ``retirement`` lets a surface write the date its own way."""
    retired = exam.is_retired(now)
    title = f"{exam.code}: {exam.title}" if exam.title else exam.code
    passing = (
        f"{exam.passing_score} (scale {kb.policy.score_min}–{kb.policy.score_max})"
        if exam.passing_score
        else NOT_CONFIRMED
    )
    fields: list[tuple[str, str, bool]] = [
        ("Credential", exam.credential or NOT_CONFIRMED, False),
        ("Level", exam.level.capitalize() if exam.level else NOT_CONFIRMED, True),
        ("Status", status_text(exam, now), True),
        ("Duration", f"{exam.duration_minutes} minutes" if exam.duration_minutes
         else NOT_CONFIRMED, True),
        ("Passing score", passing, True),
        ("Price", exam.price_band or NOT_CONFIRMED, True),
        ("Languages", ", ".join(exam.languages) or NOT_CONFIRMED, False),
        ("Retirement", retirement or plain_retirement(exam, now) or no_retirement_text(exam),
         False),
    ]  # fmt: skip
    if exam.successor:
        fields.append(("Successor", exam.successor, True))
    replaces = predecessors(kb, exam.code)
    if replaces:
        fields.append(("Replaces", ", ".join(replaces), True))
    if exam.notes:
        fields.append(("Notes", exam.notes, False))
    return ExamCard(title + (" (retired)" if retired else ""), retired, tuple(fields))
