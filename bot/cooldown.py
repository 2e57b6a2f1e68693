"""One question per member every ``free_text_cooldown_seconds``, wherever they ask.

``/ask``, the "Ask the exam bot" message menu, DMs and @mentions share one
:class:`MemberCooldown`, owned by the bot (``bot.cooldown``): a question answered through
any of them starts the member's window, and every other question in that window is
refused with :func:`wait_text`. Interactions must always be answered, so ``/ask`` and the
menu say it (ephemerally) every time; a DM or mention gets it once per window
(:meth:`MemberCooldown.first_refusal`), so a member typing fast is told once, not flooded.

The clock and the setting are read on every call: tests move the bot's injected clock
and change the setting on the fly, and ``0`` turns the cooldown off.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass

# Past this many members, forget those whose window is over (keeps memory bounded).
PRUNE_ABOVE = 10_000


def wait_text(retry_at: dt.datetime) -> str:
    """What a member asking too soon is told: a Discord relative timestamp ("in 2 seconds")."""
    return f"Easy — you can ask again <t:{math.ceil(retry_at.timestamp())}:R>."


@dataclass(slots=True)
class _Window:
    started: dt.datetime
    refused: bool = False  # a DM or mention was already told to wait in this window


class MemberCooldown:
    """Per-member windows: :meth:`acquire` before answering, and obey what it says."""

    def __init__(self, seconds: Callable[[], float], clock: Callable[[], dt.datetime]) -> None:
        self._seconds = seconds
        self._clock = clock
        self._windows: dict[int, _Window] = {}

    def _length(self) -> dt.timedelta:
        return dt.timedelta(seconds=max(0.0, float(self._seconds())))

    def acquire(self, user_id: int) -> dt.datetime | None:
        """``None``: go ahead, the member's window starts now. Otherwise the instant from
        which they may ask again (nothing is recorded: a refusal never extends the wait)."""
        length = self._length()
        if not length:
            return None
        now = self._clock()
        window = self._windows.get(user_id)
        if window is not None and now - window.started < length:
            return window.started + length
        self._windows[user_id] = _Window(now)
        if len(self._windows) > PRUNE_ABOVE:
            self._windows = {uid: w for uid, w in self._windows.items() if now - w.started < length}
        return None

    def first_refusal(self, user_id: int) -> bool:
        """After a refused :meth:`acquire`: ``True`` the first time in the member's current
        window (tell them when to ask again), ``False`` after that (stay quiet)."""
        window = self._windows.get(user_id)
        if window is None or window.refused:
            return False
        window.refused = True
        return True
