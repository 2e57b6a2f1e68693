"""One reading of ISO-8601 instants for every command's options and input files.

A naive time is refused everywhere: "09:30" means a different instant in every zone,
and an eligibility computed from a guessed zone could be hours too early.
"""

from __future__ import annotations

import datetime as dt

_MAX_SHOWN = 60


def shown(text: str) -> str:
    """Echo user input in a message without letting it span lines or run on."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= _MAX_SHOWN else flat[: _MAX_SHOWN - 1] + "…"


def parse_instant(text: str, what: str) -> dt.datetime:
    """An aware datetime from ISO-8601 text (``Z`` accepted), or ``ValueError`` with a
    one-line reason naming ``what`` (an option such as ``--now``, or a field)."""
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
    return moment
