"""One reading of ISO-8601 instants for every command's options and input files.

A naive time is refused everywhere: "09:30" means a different instant in every zone,
and an eligibility computed from a guessed zone could be hours too early. So is an
instant that has no UTC equivalent (``9999-12-31T23:00:00-05:00`` is in the year 10000
in UTC): everything downstream computes in UTC.
"""

from __future__ import annotations

import datetime as dt

_MAX_SHOWN = 60
RANGE = "years 1–9999 in UTC"
UTC_MIN = dt.datetime.min.replace(tzinfo=dt.UTC)
UTC_MAX = dt.datetime.max.replace(tzinfo=dt.UTC)


def shown(text: str) -> str:
    """Echo user input in a message without letting it span lines or run on."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= _MAX_SHOWN else flat[: _MAX_SHOWN - 1] + "…"


def parse_instant(text: str, what: str) -> dt.datetime:
    """An aware datetime from ISO-8601 text (``Z`` accepted), or ``ValueError`` with a
    one-line reason naming ``what`` (an option such as ``--now``, or a field).

    The result keeps the offset it was written with, and is guaranteed to convert to
    UTC (``.astimezone(dt.UTC)`` cannot overflow)."""
    try:
        moment = dt.datetime.fromisoformat(text.strip())
    except (ValueError, TypeError):
        raise ValueError(
            f"{what} '{shown(text)}' is not an ISO-8601 date-time "
            "(write it like 2026-11-26T09:30:00+01:00)"
        ) from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(
            f"{what} '{shown(text)}' has no UTC offset "
            "(add one, like 2026-11-26T09:30:00Z or +01:00)"
        )
    try:
        moment.astimezone(dt.UTC)
    except OverflowError:
        raise ValueError(f"{what} '{shown(text)}' is out of range ({RANGE})") from None
    return moment


def within_margins(
    moment: dt.datetime, *, before: dt.timedelta, after: dt.timedelta
) -> tuple[dt.datetime, dt.datetime] | None:
    """``None`` when ``before`` earlier and ``after`` later than ``moment`` are still
    representable instants; otherwise the ``(earliest, latest)`` instants, in UTC, that
    would have been. ``moment`` must convert to UTC (as :func:`parse_instant` ensures)."""
    earliest, latest = UTC_MIN + before, UTC_MAX - after
    utc = moment.astimezone(dt.UTC)
    if earliest <= utc <= latest:
        return None
    return earliest, latest
