"""The Discord surface: timestamps every reader sees in their own zone, slash commands."""

from __future__ import annotations

import datetime as dt

import discord

from bot.surfaces import Surface
from knowledge.templating import DEFAULT_COMMANDS


def discord_time(moment: dt.datetime) -> str:
    """``<t:UNIX:F> (<t:UNIX:R>)``: Discord shows it in each reader's own time zone."""
    return f"{discord.utils.format_dt(moment, 'F')} ({discord.utils.format_dt(moment, 'R')})"


def _subtext(text: str) -> str:
    return f"-# {text}"


DISCORD = Surface(name="discord", time=discord_time, commands=DEFAULT_COMMANDS, small=_subtext)
