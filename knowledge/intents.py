"""What a member's free text asks beyond the FAQ: attempts they state, what-ifs, "it".

Pure and conservative, like :mod:`knowledge.statements` (whose single-attempt reading
the "Log it" button keeps): the bot only *offers* to log what it reads here, and a
what-if is labelled hypothetical and stores nothing.

* :func:`parse_statements` — one or several dated attempts, in one message:
  "failed AI-103 on 3 Nov and again on 20 Nov, when can I retake?", "failed it again
  today" (``it`` is the exam of the recent conversation, passed in as ``context``);
* :func:`parse_what_if` — "what if I fail again on 20 Dec", "if I fail AZ-104
  tomorrow, when's my next chance";
* :func:`named_codes` and :func:`refers_to_context` — which exam a message is about.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from knowledge.codes import fold_code_text, try_normalize_exam_code
from knowledge.statements import (
    _FAILED_TO_RE,
    _HYPOTHETICAL_RE,
    _MONTH_RE,
    _MONTHS,
    _NEGATED_RE,
    _NOT_CODE_PREFIXES,
    _SMALL_NUMBERS,
    _WEEKDAY_RE,
    _WEEKDAYS,
    AttemptStatement,
    Result,
    _time,
)

MAX_TEXT = 500
MAX_STATEMENTS = 5

_CODE_RE = re.compile(r"\b([a-z]{2,3})[\s\-_]?(\d{3})\b")
_RESULT_RE = re.compile(r"\b(?P<fail>failed|flunked|bombed)\b|\b(?P<pass>passed|aced)\b")
_CONTEXT_RE = re.compile(r"\b(?:it|again|that exam|this exam|the exam|same exam)\b")
# A statement followed by its question: "…on 20 Nov, when can I retake?".
_CLAUSE_SPLIT_RE = re.compile(
    r"[.!?;\n]+|,\s*(?=(?:so\s+|and\s+)?(?:when|how|what|can|could|should|will|would|is|are"
    r"|do|does|am|any)\b)|\s+(?=(?:so\s+)?(?:when|how)\s+(?:can|do|long|soon|should)\b)"
)
_WHAT_IF_RE = re.compile(
    r"\b(?:what if|what happens if|if|suppose|supposing|assuming|say|in case)\s+i\s+"
    r"(?:were to\s+|was to\s+|end up\s+|then\s+)?(?:fail|failed|flunk|bomb|don'?t pass|do not pass"
    r"|didn'?t pass)\b"
)

_DAY_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("iso", re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b")),
    (
        "day_month",
        re.compile(
            rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?({_MONTH_RE})\b\.?(?:,?\s+(\d{{4}}))?"
        ),
    ),
    (
        "month_day",
        re.compile(rf"\b({_MONTH_RE})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s+(\d{{4}}))?"),
    ),
    ("slash", re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{4})\b")),
    ("yesterday", re.compile(r"\byesterday\b")),
    ("tomorrow", re.compile(r"\btomorrow\b")),
    ("days_ago", re.compile(r"\b(\d{1,2}|a|one|two|three|four|five|six)\s+days?\s+ago\b")),
    ("in_days", re.compile(r"\bin\s+(\d{1,2}|a|one|two|three|four|five|six)\s+(days?|weeks?)\b")),
    ("next_week", re.compile(r"\bnext week\b")),
    ("weekday", re.compile(rf"\b(on|last|next|this)\s+({_WEEKDAY_RE})\b")),
    ("today", re.compile(r"\b(?:today|tonight|this (?:morning|afternoon|evening)|just|earlier)\b")),
)


@dataclass(frozen=True, slots=True)
class WhatIfRequest:
    """ "What if I fail …": the exam if named, the day if given (else: at the next
    chance), and whether the text points back at the conversation ("again", "it")."""

    exam_code: str | None
    date: dt.date | None
    time: dt.time | None
    refers_to_context: bool


def _prepare(text: str) -> str:
    lowered = " ".join(fold_code_text(text).lower().replace("’", "'").split())
    # "didn't pass X" states a failure.
    return re.sub(r"\b(?:didn'?t|did not) pass\b", "failed", lowered)


def named_codes(text: str) -> list[str]:
    """Distinct exam codes in ``text``, in order ("got 650" is a score, not a code)."""
    lowered = fold_code_text(text).lower()
    found: list[str] = []
    for match in _CODE_RE.finditer(lowered):
        if match.group(1) in _NOT_CODE_PREFIXES:
            continue
        code = try_normalize_exam_code(match.group(0))
        if code is not None and code not in found:
            found.append(code)
    return found


def refers_to_context(text: str) -> bool:
    """True for "it", "again", "that exam": the exam we were just talking about."""
    return _CONTEXT_RE.search(_prepare(text)) is not None


def _safe(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _yearless(month: int, day: int, today: dt.date, future: bool) -> dt.date | None:
    """"3 March" without a year: the latest one up to today for something that happened,
    the next one from today for something that may happen."""
    this_year = _safe(today.year, month, day)
    if future:
        if this_year is not None and this_year >= today:
            return this_year
        return _safe(today.year + 1, month, day)
    if this_year is not None and this_year <= today:
        return this_year
    return _safe(today.year - 1, month, day)


def _count(text: str) -> int:
    return _SMALL_NUMBERS.get(text) or int(text)


def _day_of(kind: str, m: re.Match[str], today: dt.date, future: bool) -> dt.date | None:
    """The date one day-mention names, or ``None`` when it names no real date."""
    if kind == "iso":
        return _safe(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    if kind in ("day_month", "month_day"):
        day_text, month_text = (
            (m.group(1), m.group(2)) if kind == "day_month" else (m.group(2), m.group(1))
        )
        month, day = _MONTHS[month_text], int(day_text)
        if m.group(3):
            return _safe(int(m.group(3)), month, day)
        return _yearless(month, day, today, future)
    if kind == "slash":
        # 03/04/2026 is ambiguous (March or April?); only accept it when it is not.
        first, second, year = int(m.group(1)), int(m.group(2)), int(m.group(3))
        if first > 12 >= second or first == second:
            return _safe(year, second, first)
        if second > 12 >= first:
            return _safe(year, first, second)
        return None
    offsets = {"yesterday": -1, "tomorrow": 1, "today": 0, "next_week": 7}
    if kind in offsets:
        return today + dt.timedelta(days=offsets[kind])
    if kind == "days_ago":
        return today - dt.timedelta(days=_count(m.group(1)))
    if kind == "in_days":
        unit = 7 if m.group(2).startswith("week") else 1
        return today + dt.timedelta(days=_count(m.group(1)) * unit)
    # weekday: "last/on Friday" looks back for a past event, "next/on/this" forward.
    which, target = m.group(1), _WEEKDAYS[m.group(2)]
    if future or which == "next":
        ahead = (target - today.weekday()) % 7 or 7
        return today + dt.timedelta(days=ahead)
    back = (today.weekday() - target) % 7 or 7
    return today - dt.timedelta(days=back)


def find_days(text: str, today: dt.date, *, future: bool = False) -> list[tuple[int, dt.date]]:
    """Every day ``text`` names, as (position, date), in order; overlapping mentions
    count once (the first pattern wins: "2026-11-20" is not also "20")."""
    taken: list[tuple[int, int]] = []
    found: list[tuple[int, dt.date]] = []
    for kind, pattern in _DAY_PATTERNS:
        for m in pattern.finditer(text):
            start, end = m.span()
            if any(start < e and s < end for s, e in taken):
                continue
            day = _day_of(kind, m, today, future)
            taken.append((start, end))
            if day is not None:
                found.append((start, day))
    return sorted(found)


def _results(clause: str) -> list[tuple[int, Result]]:
    return [
        (m.start(), "fail" if m.lastgroup == "fail" else "pass")
        for m in _RESULT_RE.finditer(clause)
    ]


def _result_for(position: int, results: list[tuple[int, Result]]) -> Result:
    """The result word a date belongs to: the nearest one before it, else the first."""
    before = [result for start, result in results if start < position]
    return before[-1] if before else results[0][1]


def parse_statements(
    text: str, now: dt.datetime, tz: ZoneInfo, *, context: str | None = None
) -> list[AttemptStatement]:
    """Every attempt ``text`` states, oldest first; ``[]`` when it states none clearly.

    ``context`` is the exam of the recent conversation: "failed it again today" is
    about it. A clause naming two exams, a question or hypothetical clause, a negation,
    a day in the future or an impossible date ("31 Feb") states nothing."""
    prepared = _prepare(text)
    if not prepared or len(prepared) > MAX_TEXT:
        return []
    today = now.astimezone(tz).date()
    local_now = now.astimezone(tz).time()
    statements: list[AttemptStatement] = []
    code = context
    for clause in _CLAUSE_SPLIT_RE.split(prepared):
        clause = clause.strip(" ,")
        if not clause or _HYPOTHETICAL_RE.search(clause) or _NEGATED_RE.search(clause):
            continue
        if _FAILED_TO_RE.search(clause):
            continue
        results = _results(clause)
        if not results:
            continue
        codes = named_codes(clause)
        if len(codes) > 1:
            continue  # "failed AI-103 and AZ-104 yesterday": which one when?
        if codes:
            code = codes[0]
        elif context is None and code is None:
            continue
        days = find_days(clause, today)
        if code is None or not days:
            continue
        moment = _time(clause) if len(days) == 1 else None
        for position, day in days:
            if day > today or (day == today and moment is not None and moment > local_now):
                continue
            statement = AttemptStatement(code, _result_for(position, results), day, moment)
            if statement not in statements:
                statements.append(statement)
    statements.sort(key=lambda s: (s.date, s.time or dt.time(23, 59)))
    return statements[:MAX_STATEMENTS]


def parse_what_if(text: str, now: dt.datetime, tz: ZoneInfo) -> WhatIfRequest | None:
    """ "What if I fail (AZ-104) (again) on <day>?" or ``None``."""
    prepared = _prepare(text)
    if len(prepared) > MAX_TEXT:
        return None
    match = _WHAT_IF_RE.search(prepared)
    if match is None:
        return None
    tail = prepared[match.start():]
    today = now.astimezone(tz).date()
    days = find_days(tail, today, future=True)
    codes = named_codes(prepared)
    return WhatIfRequest(
        exam_code=codes[0] if len(codes) == 1 else None,
        date=days[0][1] if days else None,
        time=_time(tail) if days else None,
        refers_to_context=_CONTEXT_RE.search(prepared) is not None,
    )


_REAL_DAY_KINDS = ("iso", "day_month", "month_day", "slash")


def impossible_days(text: str) -> list[str]:
    """Day mentions that name no real date ("31 Feb", "2026-02-30"), as typed."""
    prepared = _prepare(text)
    today = dt.date(2000, 1, 1)  # any year: only impossibility matters here
    found = []
    for kind, pattern in _DAY_PATTERNS:
        if kind not in _REAL_DAY_KINDS:
            continue
        for m in pattern.finditer(prepared):
            if kind == "slash":
                continue  # ambiguous forms are not "impossible", just unread
            if _day_of(kind, m, today, future=False) is None:
                found.append(m.group(0))
    return found
