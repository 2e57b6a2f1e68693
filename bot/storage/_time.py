"""How datetimes cross the storage boundary: aware in Python, fixed-width UTC text in SQLite."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

Clock = Callable[[], dt.datetime]


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def to_db(value: dt.datetime) -> str:
    """Aware datetime -> ``2026-11-26T09:30:00.000000+00:00``.

    Always microseconds and always ``+00:00``, so every stored time has the same width and
    text comparison in SQL is time comparison. Naive datetimes are refused: a guessed
    offset is how reminders end up an hour early.
    """
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"naive datetime {value.isoformat()} (give a time zone)")
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds")


def from_db(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).astimezone(dt.UTC)


def from_db_optional(text: str | None) -> dt.datetime | None:
    return None if text is None else from_db(text)
