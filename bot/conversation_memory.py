"""Which exam each member was just talking about, so "it" and "again" mean something.

Per process and in memory on purpose: it only needs to outlive a few messages (30
minutes), losing it on a restart costs one "which exam?" question, and a member's DMs
always reach the same process (shard 0). Bounded, so a busy bot cannot grow it forever.
"""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict

CONTEXT_TTL = dt.timedelta(minutes=30)
MAX_MEMBERS = 10_000


class RecentExams:
    """Member id → (exam code, when it was last the topic)."""

    def __init__(self, ttl: dt.timedelta = CONTEXT_TTL, capacity: int = MAX_MEMBERS) -> None:
        self.ttl = ttl
        self.capacity = capacity
        self._recent: OrderedDict[int, tuple[str, dt.datetime]] = OrderedDict()

    def remember(self, user_id: int, code: str, now: dt.datetime) -> None:
        self._recent[user_id] = (code, now)
        self._recent.move_to_end(user_id)
        while len(self._recent) > self.capacity:
            self._recent.popitem(last=False)

    def recall(self, user_id: int, now: dt.datetime) -> str | None:
        """The exam of the member's conversation in the last 30 minutes, if any."""
        found = self._recent.get(user_id)
        if found is None:
            return None
        code, when = found
        if now - when > self.ttl or now < when:
            del self._recent[user_id]
            return None
        return code

    def forget(self, user_id: int) -> None:
        """Drop what we remember (``/mydata forget``: nothing of the member is kept)."""
        self._recent.pop(user_id, None)
