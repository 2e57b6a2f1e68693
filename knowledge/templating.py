"""Fill answer placeholders from the policy and the catalog, for a given ``now``.

Answers never hard-code a number or a date: ``{policy.first_failure_wait_hours}``,
``{exam.AI-102.retirement}`` and ``{catalog.retirements}`` are filled here, so editing
``policy.toml`` or ``exams.toml`` changes every answer, and "retires on" becomes
"retired on" by itself once the date has passed.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from zoneinfo import ZoneInfo

from knowledge.codes import try_normalize_exam_code
from knowledge.models import Exam, KnowledgeBase

PLACEHOLDER_RE = re.compile(
    r"\{(policy|exam|catalog|command)\.([A-Za-z0-9_\-]+(?:\.[A-Za-z0-9_]+)?)\}"
)

# How an answer names one of the bot's commands: ``{command.eligibility}``. These are
# the Discord slash commands; a surface without them (the console) passes its own words,
# so an answer never tells a console user to type a slash command.
DEFAULT_COMMANDS: dict[str, str] = {
    "ask": "`/ask`",
    "log": "`/attempt log`",
    "list": "`/attempt list`",
    "edit": "`/attempt edit`",
    "delete": "`/attempt delete`",
    "eligibility": "`/eligibility`",
    "remind": "`/remind`",
    "timezone": "`/settings timezone`",
    "export": "`/mydata export`",
    "forget": "`/mydata forget`",
    "help": "`/help`",
    "exam": "`/exam`",
}

# Microsoft states retirement times in US Central time; show them the same way.
US_CENTRAL = ZoneInfo("America/Chicago")


class UnknownPlaceholderError(KeyError):
    """An answer names a placeholder that the policy or catalog cannot fill."""

    def __init__(self, placeholder: str, reason: str) -> None:
        super().__init__(placeholder)
        self.placeholder = placeholder
        self.reason = reason

    def __str__(self) -> str:
        return f"unknown placeholder {{{self.placeholder}}}: {self.reason}"


def format_day(moment: dt.datetime) -> str:
    """``30 June 2026`` — the day in US Central time, unambiguous in every locale."""
    local = moment.astimezone(US_CENTRAL)
    return f"{local.day} {local:%B %Y}"


def no_retirement_phrase(exam: Exam) -> str:
    """ "has no retirement announced as of <the day its sources were last checked>" for
    an exam a source confirms is current; more guarded wording when none does."""
    day = exam.last_verified
    if day is None:
        if exam.sources:  # only lists and generic pages: nothing checked this exam alone
            return (
                "has no retirement date in my sources, none of which is about this exam "
                "alone (check its page on Microsoft Learn)"
            )
        return "has no announced retirement date"
    if exam.status is None:
        # No source confirms the exam is current: say only what the sources lack.
        return f"has no retirement date in my sources (last checked {day.day} {day:%B %Y})"
    return f"has no retirement announced as of {day.day} {day:%B %Y}"


def retirement_phrase(exam: Exam, now: dt.datetime) -> str:
    """Date-aware wording: "retires on …" before the instant, "retired on …" from it."""
    if exam.retires_at is None:
        return no_retirement_phrase(exam)
    verb = "retired" if exam.is_retired(now) else "retires"
    return f"{verb} on {format_day(exam.retires_at)} (11:59 PM US Central)"


def exam_summary(exam: Exam, now: dt.datetime) -> str:
    """One catalog line about ``exam``: name, retirement (date-aware) and successor."""
    title = f" ({exam.title})" if exam.title else ""
    if exam.retires_at is None:
        status = no_retirement_phrase(exam)
    elif exam.is_retired(now):
        status = f"{retirement_phrase(exam, now)}: it can no longer be taken"
    else:
        status = retirement_phrase(exam, now)
    successor = f" Its successor is **{exam.successor}**." if exam.successor else ""
    return f"**{exam.code}**{title} {status}.{successor}"


def _exam_field(exam: Exam, field: str, now: dt.datetime) -> str:
    getters: dict[str, Callable[[], object]] = {
        "code": lambda: exam.code,
        "title": lambda: exam.title,
        "credential": lambda: exam.credential,
        "duration_minutes": lambda: exam.duration_minutes,
        "passing_score": lambda: exam.passing_score,
        "successor": lambda: exam.successor,
        "level": lambda: exam.level,
        "price_band": lambda: exam.price_band,
        "languages": lambda: ", ".join(exam.languages) or None,
        "notes": lambda: exam.notes,
        "retires_on": lambda: format_day(exam.retires_at) if exam.retires_at else None,
        "retirement": lambda: retirement_phrase(exam, now),
    }
    getter = getters.get(field)
    if getter is None:
        raise UnknownPlaceholderError(f"exam.{exam.code}.{field}", f"no exam field '{field}'")
    value = getter()
    if value is None:
        raise UnknownPlaceholderError(
            f"exam.{exam.code}.{field}", f"the catalog has no {field} for {exam.code}"
        )
    return str(value)


def retirements_list(kb: KnowledgeBase, now: dt.datetime) -> str:
    """A Markdown list of catalogued retirements, soonest first, with successors."""
    lines = []
    retiring = sorted(
        (e for e in kb.exams.values() if e.retires_at is not None),
        key=lambda e: (e.retires_at, e.code),
    )
    for exam in retiring:
        successor = f" → {exam.successor}" if exam.successor else " (no direct successor)"
        lines.append(f"- **{exam.code}**{successor}: {retirement_phrase(exam, now)}")
    return "\n".join(lines)


def _fill(
    kb: KnowledgeBase,
    namespace: str,
    path: str,
    now: dt.datetime,
    commands: Mapping[str, str],
) -> str:
    if namespace == "command":
        if path not in DEFAULT_COMMANDS:
            known = ", ".join(sorted(DEFAULT_COMMANDS))
            raise UnknownPlaceholderError(f"command.{path}", f"no such command (known: {known})")
        return commands.get(path, DEFAULT_COMMANDS[path])
    if namespace == "policy":
        if path not in type(kb.policy).model_fields or path == "sources":
            raise UnknownPlaceholderError(f"policy.{path}", "no such policy parameter")
        return str(getattr(kb.policy, path))
    if namespace == "catalog":
        if path == "retirements":
            return retirements_list(kb, now)
        raise UnknownPlaceholderError(f"catalog.{path}", "only catalog.retirements exists")
    code_text, _, field = path.partition(".")
    code = try_normalize_exam_code(code_text)
    if code is None or code not in kb.exams or not field:
        raise UnknownPlaceholderError(f"exam.{path}", f"'{code_text}' is not in the catalog")
    return _exam_field(kb.exams[code], field, now)


def render(
    text: str,
    kb: KnowledgeBase,
    now: dt.datetime,
    commands: Mapping[str, str] | None = None,
) -> str:
    """Fill every placeholder in ``text``; raise :class:`UnknownPlaceholderError` on any
    that cannot be filled, so a broken answer is caught at load time, not by a member.
    ``commands`` names the bot's commands on the surface that will show the text."""
    names = DEFAULT_COMMANDS if commands is None else commands
    return PLACEHOLDER_RE.sub(lambda m: _fill(kb, m.group(1), m.group(2), now, names), text)


def placeholders(text: str) -> list[str]:
    """Every placeholder named in ``text``, e.g. ``["policy.passing_score"]``."""
    return [f"{m.group(1)}.{m.group(2)}" for m in PLACEHOLDER_RE.finditer(text)]
