"""``/settings timezone:<zone>``: the zone in which a member's dates and times are read."""

from __future__ import annotations

import functools
import zoneinfo

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import ExamBot
from bot.errors import UserFacingError

NONE = discord.AllowedMentions.none()
MAX_CHOICES = 25
# Shown for an empty box: the zones most study-group members are likely to need.
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


@functools.cache
def _all_zones() -> tuple[str, ...]:
    # Legacy aliases ("US/Eastern", "Etc/GMT+5", "posixrules") confuse more than they help.
    legacy = ("Etc/", "SystemV/", "US/", "posix", "right/")
    zones = sorted(
        z for z in zoneinfo.available_timezones() if "/" in z and not z.startswith(legacy)
    )
    return (*zones, "UTC")


def timezone_choices(current: str) -> list[app_commands.Choice[str]]:
    """≤ 25 IANA zones containing what was typed ("tokyo", "new york", "paris")."""
    needle = current.strip().casefold().replace(" ", "_")
    if not needle:
        names: list[str] = list(COMMON_ZONES)
    else:
        zones = _all_zones()
        starts = [z for z in zones if z.casefold().split("/")[-1].startswith(needle)]
        contains = [z for z in zones if needle in z.casefold() and z not in starts]
        names = starts + contains
    return [app_commands.Choice(name=z, value=z) for z in names[:MAX_CHOICES]]


def resolve_timezone(name: str) -> str:
    """The canonical IANA name for ``name`` (case-insensitive), or :class:`UserFacingError`."""
    cleaned = name.strip()
    if not cleaned or len(cleaned) > 64:
        raise UserFacingError("❌ Give an IANA time zone name, like `Europe/Paris`.")
    lookup = {z.casefold(): z for z in _all_zones()}
    canonical = lookup.get(cleaned.casefold().replace(" ", "_"), cleaned)
    try:
        zoneinfo.ZoneInfo(canonical)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise UserFacingError(
            f"❌ `{discord.utils.escape_markdown(cleaned[:64])}` isn't a time zone I know: pick "
            "one from the list, like `Europe/Paris` or `Asia/Tokyo`. Nothing was changed."
        ) from exc
    return canonical


class SettingsCog(commands.Cog, name="Settings"):
    """Per-member settings."""

    def __init__(self, bot: ExamBot) -> None:
        self.bot = bot

    # The contract is ``/settings timezone:<IANA name>``: one command whose option is the
    # setting, so a member types a single word before picking their zone.
    @app_commands.command(name="settings")
    @app_commands.describe(timezone="Your IANA time zone, like Europe/Paris (default UTC)")
    async def timezone_command(self, interaction: discord.Interaction, timezone: str) -> None:
        """Your settings: the time zone in which you give exam dates and times."""
        canonical = resolve_timezone(timezone)
        await interaction.response.defer(ephemeral=True, thinking=True)
        await self.bot.db.settings.set_timezone(interaction.user.id, canonical)
        now = self.bot.now().astimezone(zoneinfo.ZoneInfo(canonical))
        await interaction.edit_original_response(
            content=(
                f"🌍 Time zone set to **{canonical}** (it's {now:%H:%M} there now). Dates and "
                "times you give to `/attempt log` are read in it; attempts already logged "
                "keep their moment."
            ),
            allowed_mentions=NONE,
        )

    @timezone_command.autocomplete("timezone")
    async def timezone_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return timezone_choices(current)


async def setup(bot: ExamBot) -> None:
    await bot.add_cog(SettingsCog(bot))
