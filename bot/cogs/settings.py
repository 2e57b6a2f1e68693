"""``/settings timezone:<zone>``: the zone in which a member's dates and times are read."""

from __future__ import annotations

import zoneinfo

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import ExamBot
from bot.errors import UserFacingError
from knowledge.zones import COMMON_ZONES, InvalidTimezoneError, all_zones
from knowledge.zones import resolve_timezone as resolve_zone_name

NONE = discord.AllowedMentions.none()
MAX_CHOICES = 25


def timezone_choices(current: str) -> list[app_commands.Choice[str]]:
    """≤ 25 IANA zones containing what was typed ("tokyo", "new york", "paris")."""
    needle = current.strip().casefold().replace(" ", "_")
    if not needle:
        names: list[str] = list(COMMON_ZONES)
    else:
        zones = all_zones()
        starts = [z for z in zones if z.casefold().split("/")[-1].startswith(needle)]
        contains = [z for z in zones if needle in z.casefold() and z not in starts]
        names = starts + contains
    return [app_commands.Choice(name=z, value=z) for z in names[:MAX_CHOICES]]


def resolve_timezone(name: str) -> str:
    """The canonical IANA name for ``name``, or :class:`UserFacingError` with suggestions."""
    try:
        return resolve_zone_name(name)
    except InvalidTimezoneError as exc:
        raise UserFacingError(
            f"❌ {discord.utils.escape_markdown(exc.message)} Nothing was changed."
        ) from exc


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
