"""How each surface (Discord, the console) shows the same data.

A :class:`Surface` says how an instant is written, how a command is named and how small
print looks; the text builders in :mod:`bot.surfaces.personal` take one, so a DM and
the console say the same thing in their own way — and the console never mentions a
slash command. Neither this package's root nor ``personal`` imports discord.py.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass

TimeFormat = Callable[[dt.datetime], str]


@dataclass(frozen=True)
class Surface:
    """One place the bot talks: its name, its clock face and its vocabulary.

    ``commands`` maps an action (``log``, ``list``, ``edit``, ``delete``,
    ``eligibility``, ``remind``, ``timezone``, ``export``, ``forget``, ``help``) to how
    a member invokes it there, as Markdown (``/attempt log`` or ``log CODE …``).
    ``small`` writes a line of small print (Discord's ``-#`` subtext): ids and hints
    that matter less than the line above them."""

    name: str
    time: TimeFormat
    commands: Mapping[str, str]
    small: Callable[[str], str]

    def command(self, action: str) -> str:
        return self.commands[action]


ACTIONS = (
    "ask",
    "log",
    "list",
    "edit",
    "delete",
    "eligibility",
    "remind",
    "timezone",
    "export",
    "forget",
    "help",
    "exam",
)
