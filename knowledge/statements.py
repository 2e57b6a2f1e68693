"""Recognise a member *stating* an exam attempt ("failed AI-103 yesterday") in free text.

Pure and conservative: a statement needs a past-tense result word, an exam code and a
day (or "just"/"today"). Questions and hypotheticals ("what if I fail AI-103?"),
negations ("I haven't passed yet") and future days return ``None``: the bot only *offers* to
log what it recognises, and a wrong offer is worse than none.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Literal
from zoneinfo import ZoneInfo

from knowledge.codes import fold_code_text, try_normalize_exam_code

Result = Literal["pass", "fail"]

_MONTHS = {
    "jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3,
    "apr": 4, "april": 4, "may": 5, "jun": 6, "june": 6, "jul": 7, "july": 7,
    "aug": 8, "august": 8, "sep": 9, "sept": 9, "september": 9, "oct": 10,
    "october": 10, "nov": 11, "november": 11, "dec": 12, "december": 12,
}  # fmt: skip
_WEEKDAYS = {
    "monday": 0, "mon": 0, "tuesday": 1, "tue": 1, "tues": 1, "wednesday": 2, "wed": 2,
    "thursday": 3, "thu": 3, "thurs": 3, "friday": 4, "fri": 4, "saturday": 5, "sat": 5,
    "sunday": 6, "sun": 6,
}  # fmt: skip
_MONTH_RE = "|".join(sorted(_MONTHS, key=len, reverse=True))
_WEEKDAY_RE = "|".join(sorted(_WEEKDAYS, key=len, reverse=True))

# Past tense only: "fail"/"pass" alone are usually hypothetical ("if I fail").
_RESULT_RE = re.compile(r"\b(?P<fail>failed|flunked|bombed)\b|\b(?P<pass>passed|aced)\b")
_CODE_RE = re.compile(r"\b([a-z]{2,3})[\s\-_]?(\d{3})\b")
# Short words that precede numbers in ordinary sentences ("got 650", "at 700"): with the
# optional space of "AI 103" they would otherwise read as exam codes.
_NOT_CODE_PREFIXES = frozenset(
    ("a", "an", "and", "as", "at", "be", "by", "did", "for", "get", "got", "had", "has", "in",
     "is", "it", "me", "my", "of", "on", "or", "out", "so", "the", "to", "up", "was")
)  # fmt: skip
_NEGATED_RE = re.compile(
    r"\b(?:not|never|haven'?t|hasn'?t|hadn'?t|didn'?t|won'?t|wouldn'?t|don'?t)\s+(?:yet\s+)?"
    r"(?:have\s+|ever\s+|been\s+)?(?:failed|passed|fail|pass)\b"
)
_FAILED_TO_RE = re.compile(r"\b(?:failed|passed)\s+(?:to|on to)\b")
# Hypotheticals and questions: these never state that an attempt happened.
_HYPOTHETICAL_RE = re.compile(
    r"^\s*(?:what|when|how|can|could|should|would|will|do|does|did|is|are|am|if|why|may|might)\b"
    r"|\b(?:what if|if i|in case|suppose|supposing|will i|would i|could i|might|when can"
    r"|can i|should i|wonder|hypothetically|assuming)\b"
)
_ISO_DATE_RE = re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b")
_DAY_MONTH_RE = re.compile(
    rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?({_MONTH_RE})\b\.?(?:,?\s+(\d{{4}}))?"
)
_MONTH_DAY_RE = re.compile(
    rf"\b({_MONTH_RE})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s+(\d{{4}}))?"
)
_SLASH_DATE_RE = re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{4})\b")
_DAYS_AGO_RE = re.compile(r"\b(\d{1,2}|a|one|two|three|four|five|six)\s+days?\s+ago\b")
_WEEKDAY_DATE_RE = re.compile(rf"\b(?:on\s+|last\s+)({_WEEKDAY_RE})\b")
_TIME_RE = re.compile(
    r"\bat\s+(\d{1,2})(?::(\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)?(?![\d:])"
    r"|\b(\d{1,2}):(\d{2})\s*(am|pm|a\.m\.|p\.m\.)?(?![\d:])"
)
_SMALL_NUMBERS = {"a": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6}


@dataclass(frozen=True, slots=True)
class AttemptStatement:
    """An attempt the member said they took: a canonical exam code, a result, the local
    day in the member's time zone, and the local time of day when they gave one."""

    exam_code: str
    result: Result
    date: dt.date
    time: dt.time | None = None


def _result(text: str) -> Result | None:
    found = {m.lastgroup for m in _RESULT_RE.finditer(text)}
    if len(found) != 1:  # none, or both "passed" and "failed": not a clear statement
        return None
    return "fail" if "fail" in found else "pass"


def _exam_code(text: str) -> str | None:
    codes = {
        try_normalize_exam_code(m.group(0))
        for m in _CODE_RE.finditer(text)
        if m.group(1) not in _NOT_CODE_PREFIXES
    }
    codes.discard(None)
    if len(codes) != 1:
        return None
    return codes.pop()


def _safe_date(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _without_year(month: int, day: int, today: dt.date) -> dt.date | None:
    """The most recent such day up to ``today`` ("3 March" in November is this year's)."""
    candidate = _safe_date(today.year, month, day)
    if candidate is not None and candidate <= today:
        return candidate
    return _safe_date(today.year - 1, month, day)


def _day(text: str, today: dt.date) -> dt.date | None:
    if m := _ISO_DATE_RE.search(text):
        return _safe_date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    if m := _DAY_MONTH_RE.search(text):
        day, month = int(m.group(1)), _MONTHS[m.group(2)]
        if m.group(3):
            return _safe_date(int(m.group(3)), month, day)
        return _without_year(month, day, today)
    if m := _MONTH_DAY_RE.search(text):
        month, day = _MONTHS[m.group(1)], int(m.group(2))
        if m.group(3):
            return _safe_date(int(m.group(3)), month, day)
        return _without_year(month, day, today)
    if m := _SLASH_DATE_RE.search(text):
        # 03/04/2026 is ambiguous (March or April?); only accept it when it is not.
        first, second, year = int(m.group(1)), int(m.group(2)), int(m.group(3))
        if first > 12 >= second:
            return _safe_date(year, second, first)
        if second > 12 >= first:
            return _safe_date(year, first, second)
        if first == second:
            return _safe_date(year, first, second)
        return None
    if re.search(r"\byesterday\b", text):
        return today - dt.timedelta(days=1)
    if m := _DAYS_AGO_RE.search(text):
        count = _SMALL_NUMBERS.get(m.group(1)) or int(m.group(1))
        return today - dt.timedelta(days=count)
    if m := _WEEKDAY_DATE_RE.search(text):
        back = (today.weekday() - _WEEKDAYS[m.group(1)]) % 7 or 7
        return today - dt.timedelta(days=back)
    if re.search(r"\b(?:today|tonight|this (?:morning|afternoon|evening)|just|earlier)\b", text):
        return today
    return None


def _time(text: str) -> dt.time | None:
    # Drop ISO dates and exam codes first so "2026-11-20" or "AI-103" never read as times.
    cleaned = _CODE_RE.sub(" ", _ISO_DATE_RE.sub(" ", text))
    m = _TIME_RE.search(cleaned)
    if m is None:
        return None
    if m.group(1) is not None:
        hour, minute, meridiem = int(m.group(1)), int(m.group(2) or 0), m.group(3)
        if meridiem is None and m.group(2) is None:
            return None  # "at 3" is too vague (and "at 700" is a score, not a time)
    else:
        hour, minute, meridiem = int(m.group(4)), int(m.group(5)), m.group(6)
    if meridiem:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if meridiem.startswith("p") else 0)
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        return None
    return dt.time(hour, minute)


def parse_attempt_statement(text: str, now: dt.datetime, tz: ZoneInfo) -> AttemptStatement | None:
    """The attempt ``text`` states, or ``None`` when it doesn't clearly state one.

    ``now`` is aware; "today" and "yesterday" are days in ``tz``, the member's zone.
    A day in the future (in ``tz``) is not a statement of something that happened.
    """
    lowered = " ".join(fold_code_text(text).lower().replace("’", "'").split())
    # "didn't pass X" states a failure; every other negation ("haven't passed yet") doesn't.
    lowered = re.sub(r"\b(?:didn'?t|did not) pass\b", "failed", lowered)
    if not lowered or "?" in lowered or len(lowered) > 500:
        return None
    if _HYPOTHETICAL_RE.search(lowered) or _NEGATED_RE.search(lowered):
        return None
    if _FAILED_TO_RE.search(lowered):  # "failed to book", "passed on to the next"
        return None
    result = _result(lowered)
    code = _exam_code(lowered)
    if result is None or code is None:
        return None
    today = now.astimezone(tz).date()
    day = _day(lowered, today)
    if day is None or day > today:
        return None
    moment = _time(lowered)
    if moment is not None and day == today and moment > now.astimezone(tz).time():
        return None
    return AttemptStatement(exam_code=code, result=result, date=day, time=moment)
