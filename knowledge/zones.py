"""IANA time zones as members type them: validated, canonical, with suggestions.

Pure (``zoneinfo`` only), so ``/settings timezone``, ``/attempt log`` and the console
refuse the same names with the same words: "America" alone, "Asia/", "CET+1".
"""

from __future__ import annotations

import functools
import zoneinfo

from knowledge.codes import has_control_characters

MAX_ZONE_CHARS = 64
MAX_SUGGESTIONS = 5
# Legacy aliases ("US/Eastern", "Etc/GMT+5", "posixrules") confuse more than they help.
_LEGACY_PREFIXES = ("Etc/", "SystemV/", "US/", "posix", "right/")
# Shown for an empty box, and first among a region's suggestions: the zones most
# study-group members are likely to need.
COMMON_ZONES = (
    "UTC",
    "Europe/London",
    "Europe/Paris",
    "Europe/Berlin",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "America/Sao_Paulo",
    "Asia/Kolkata",
    "Asia/Singapore",
    "Asia/Tokyo",
    "Australia/Sydney",
    "Africa/Lagos",
)


class InvalidTimezoneError(ValueError):
    """Not an IANA zone; ``message`` is written for the member, ``suggestions`` are real
    zones close to what was typed (possibly none)."""

    def __init__(self, message: str, suggestions: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.suggestions = suggestions


@functools.cache
def all_zones() -> tuple[str, ...]:
    """Every region/city zone, sorted, plus ``UTC``."""
    zones = sorted(
        z
        for z in zoneinfo.available_timezones()
        if "/" in z and not z.startswith(_LEGACY_PREFIXES)
    )
    return (*zones, "UTC")


@functools.cache
def _by_folded_name() -> dict[str, str]:
    return {zone.casefold(): zone for zone in zoneinfo.available_timezones()}


def _needle(text: str) -> str:
    return text.strip().casefold().replace(" ", "_")


def zone_suggestions(text: str, limit: int = MAX_SUGGESTIONS) -> tuple[str, ...]:
    """Zones whose city starts with, then whose name contains, what was typed."""
    needle = _needle(text).strip("/")
    if not needle:
        return ()
    zones = all_zones()
    if needle.count("/") == 0 and any(z.casefold().startswith(needle + "/") for z in zones):
        # A region alone ("America"): its best-known zones first, then the rest.
        common = [z for z in COMMON_ZONES if z.casefold().startswith(needle + "/")]
        rest = [z for z in zones if z.casefold().startswith(needle + "/") and z not in common]
        return tuple((common + rest)[:limit])
    city = needle.rsplit("/", 1)[-1]
    starts = [z for z in zones if z.casefold().rsplit("/", 1)[-1].startswith(city)]
    region = [z for z in zones if z.casefold().startswith(needle + "/") and z not in starts]
    contains = [z for z in zones if needle in z.casefold() and z not in starts + region]
    return tuple((starts + region + contains)[:limit])


def resolve_timezone(text: str) -> str:
    """The canonical IANA name for ``text`` (case-insensitive, spaces for underscores),
    or :class:`InvalidTimezoneError`. A region alone ("America"), a name cut short
    ("Asia/") or anything zoneinfo cannot load is refused, with suggestions."""
    if has_control_characters(text):
        raise InvalidTimezoneError(
            "A time zone name can't contain line breaks or control characters: "
            "use an IANA name like Europe/Paris."
        )
    cleaned = text.strip()
    if not cleaned or len(cleaned) > MAX_ZONE_CHARS:
        raise InvalidTimezoneError("Give an IANA time zone name, like Europe/Paris.")
    # Legacy aliases ("US/Eastern") are real zones: accepted, just never suggested.
    canonical = _by_folded_name().get(_needle(cleaned))
    if canonical is not None:
        return canonical
    suggestions = zone_suggestions(cleaned)
    hint = (
        " Did you mean " + ", ".join(suggestions) + "?"
        if suggestions
        else " Pick one like Europe/Paris or Asia/Tokyo."
    )
    raise InvalidTimezoneError(
        f"'{cleaned}' isn't an IANA time zone (they look like Region/City).{hint}",
        suggestions,
    )


def load_zone(name: str) -> zoneinfo.ZoneInfo:
    """The zone for an already-validated name; a stored name that has since become
    unknown (tzdata changed) falls back to UTC rather than failing a member's request."""
    try:
        return zoneinfo.ZoneInfo(resolve_timezone(name))
    except (InvalidTimezoneError, zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")
