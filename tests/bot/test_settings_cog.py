"""/settings timezone through the real callback, and its autocomplete."""

from __future__ import annotations

from typing import Any

import pytest
from discord import app_commands

from bot.cogs.settings import timezone_choices
from tests.bot.doubles import Recorder, make_interaction


async def set_timezone(bot, timezone: str, user_id: int = 1001) -> Recorder:
    interaction, recorder = make_interaction(bot, user_id=user_id)
    cog: Any = bot.get_cog("Settings")
    try:
        await cog.timezone_command.callback(cog, interaction, timezone=timezone)
    except app_commands.AppCommandError as error:
        await bot.tree.on_error(interaction, error)
    return recorder


async def test_should_default_to_utc(bot):
    assert await bot.db.settings.get_timezone(1001) == "UTC"


async def test_should_store_a_valid_zone_and_confirm_privately(bot):
    rec = await set_timezone(bot, "Asia/Tokyo")

    assert await bot.db.settings.get_timezone(1001) == "Asia/Tokyo"
    assert rec.last.ephemeral
    assert "Asia/Tokyo" in rec.last.text and "21:00" in rec.last.text  # 12:00 UTC


async def test_should_accept_any_case_and_spaces_for_a_known_zone(bot):
    await set_timezone(bot, "america/new york")
    assert await bot.db.settings.get_timezone(1001) == "America/New_York"


@pytest.mark.parametrize("bad", ["Mars/Olympus", "", "Europe/Pariss", "x" * 100, "../etc/passwd"])
async def test_should_refuse_unknown_zone_and_change_nothing(bot, bad):
    await bot.db.settings.set_timezone(1001, "Europe/Paris")

    rec = await set_timezone(bot, bad)

    assert rec.last.ephemeral and rec.last.text.startswith("❌")
    assert await bot.db.settings.get_timezone(1001) == "Europe/Paris"


async def test_should_only_change_the_invokers_zone(bot):
    await set_timezone(bot, "Asia/Tokyo", user_id=1001)
    assert await bot.db.settings.get_timezone(2002) == "UTC"


def test_should_autocomplete_at_most_25_matching_zones():
    tokyo = [c.value for c in timezone_choices("tokyo")]
    assert tokyo[0] == "Asia/Tokyo"
    assert all(len(timezone_choices(q)) <= 25 for q in ["", "a", "america", "e"])
    assert "Europe/Paris" in [c.value for c in timezone_choices("")]
    assert "America/New_York" in [c.value for c in timezone_choices("new york")]
    assert timezone_choices("zzzz-nothing") == []
