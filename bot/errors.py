"""Errors whose message is written for the member, and the one place that shows them."""

from __future__ import annotations

import logging

import discord
from discord import app_commands

log = logging.getLogger(__name__)


class UserFacingError(app_commands.AppCommandError):
    """Bad input or a refused action: the message is shown to the member, ephemerally,
    and nothing has been written."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


async def send_ephemeral(interaction: discord.Interaction, content: str) -> None:
    """Reply privately whether or not the interaction was already answered or deferred."""
    if interaction.response.is_done():
        await interaction.followup.send(content, ephemeral=True)
    else:
        await interaction.response.send_message(content, ephemeral=True)


class ExamCommandTree(app_commands.CommandTree[discord.Client]):
    """Maps domain errors to friendly ephemeral text; logs everything else once."""

    async def on_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        original = error.__cause__ if isinstance(error, app_commands.CommandInvokeError) else None
        if isinstance(error, UserFacingError):
            message = error.message
        elif isinstance(original, UserFacingError):
            message = original.message
        elif isinstance(error, app_commands.CommandOnCooldown):
            message = f"Slow down a little: try again in {error.retry_after:.0f} s."
        elif isinstance(error, app_commands.MissingPermissions | app_commands.CheckFailure):
            message = "You don't have permission to use this command."
        else:
            command = interaction.command.qualified_name if interaction.command else "?"
            log.exception("Unhandled error in /%s", command, exc_info=error)
            message = "Something went wrong on my side; nothing was changed. Please try again."
        try:
            await send_ephemeral(interaction, message)
        except discord.HTTPException:
            log.warning("Could not report an error to the member (interaction expired?)")
