"""Per-member settings; today only the time zone used to read and show their times."""

from __future__ import annotations

import zoneinfo

from bot.storage._gate import Gate
from bot.storage._time import to_db

DEFAULT_TIMEZONE = "UTC"

SELECT_TIMEZONE = "SELECT timezone FROM user_settings WHERE user_id = ?"
UPSERT_TIMEZONE = """
INSERT INTO user_settings (user_id, timezone, updated_at) VALUES (?, ?, ?)
ON CONFLICT (user_id) DO UPDATE SET timezone = excluded.timezone, updated_at = excluded.updated_at
"""


def validate_timezone(name: str) -> str:
    """The IANA name if ``zoneinfo`` knows it, else ``ValueError``."""
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        hint = "use an IANA name like Europe/Paris"
        raise ValueError(f"unknown time zone {name[:64]!r}; {hint}") from exc
    return name


class SettingsRepository:
    def __init__(self, gate: Gate) -> None:
        self._gate = gate

    async def get_timezone(self, user_id: int) -> str:
        """The member's IANA time zone, ``'UTC'`` when they never set one."""
        async with self._gate.read() as conn:
            row = await conn.fetchone(SELECT_TIMEZONE, (user_id,))
        return DEFAULT_TIMEZONE if row is None else str(row[0])

    async def set_timezone(self, user_id: int, tz: str) -> None:
        """Store the member's time zone; ``ValueError`` for a name ``zoneinfo`` doesn't know."""
        name = validate_timezone(tz.strip())
        async with self._gate.transaction() as conn:
            await conn.execute(UPSERT_TIMEZONE, (user_id, name, to_db(self._gate.clock())))
