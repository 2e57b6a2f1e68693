"""Errors whose message is written for the member, and the one place that shows them.

Slash commands reach it through :class:`ExamCommandTree`, views through
:class:`ExamView`, and persistent buttons (``DynamicItem``), whose exceptions discord.py
only logs, through :func:`run_privately`. All three report with :func:`report_error`, so
a member gets the same kind of ephemeral answer wherever something fails.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import discord
from discord import app_commands

from bot.storage.database import is_busy_error

log = logging.getLogger(__name__)

GENERIC_ERROR = "Something went wrong on my side; nothing was changed. Please try again."
# Another process held the database's write lock past the busy timeout: nothing is broken
# and the transaction was rolled back, so the member only needs to repeat it.
DATABASE_BUSY = (
    "The database is busy right now; nothing was changed — please try again in a few seconds."
)


class UserFacingError(app_commands.AppCommandError):
    """Bad input or a refused action: the message is shown to the member, ephemerally,
    and nothing has been written."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


async def send_ephemeral(
    interaction: discord.Interaction[Any],
    content: str | None = None,
    *,
    embed: discord.Embed | None = None,
    view: discord.ui.View | None = None,
) -> None:
    """Reply privately whether or not the interaction was already answered or deferred."""
    kwargs: dict[str, Any] = {"ephemeral": True}
    if content is not None:
        kwargs["content"] = content
    if embed is not None:
        kwargs["embed"] = embed
    if view is not None:
        kwargs["view"] = view
    if interaction.response.is_done():
        await interaction.followup.send(**kwargs)
    else:
        await interaction.response.send_message(**kwargs)


def member_message(error: BaseException) -> str | None:
    """What to tell the member about ``error``, or ``None`` when it is a bug of ours."""
    if isinstance(error, app_commands.CommandInvokeError):
        error = error.original
    if isinstance(error, UserFacingError):
        return error.message
    # Before CheckFailure: a cooldown is a kind of failed check.
    if isinstance(error, app_commands.CommandOnCooldown):
        return f"Slow down a little: try again in {error.retry_after:.0f} s."
    if isinstance(error, app_commands.CheckFailure):
        return "You don't have permission to use this command."
    if is_busy_error(error):
        return DATABASE_BUSY
    return None


async def report_error(
    interaction: discord.Interaction[Any], error: BaseException, where: str
) -> None:
    """Tell the member what went wrong, ephemerally; log bugs (``where`` names the place)."""
    message = member_message(error)
    if message is None:
        log.exception("Unhandled error in %s", where, exc_info=error)
        message = GENERIC_ERROR
    elif message == DATABASE_BUSY:
        # Not a bug, but the operator should know another process keeps the lock.
        log.warning("The database was busy (locked by another process) in %s", where)
    try:
        await send_ephemeral(interaction, message)
    except discord.HTTPException:
        log.warning("Could not report an error in %s to the member (interaction expired?)", where)


class ExamCommandTree(app_commands.CommandTree[discord.Client]):
    """Maps domain errors to friendly ephemeral text; logs everything else once."""

    async def on_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        # getattr: the command is None when the tree failed before resolving one.
        command = getattr(interaction.command, "qualified_name", "?")
        await report_error(interaction, error, f"/{command}")


class ExamView(discord.ui.View):
    """Base view: errors in its items never reach the tree, so it reports them itself.

    ``timeout=None`` by default, for views made of persistent (dynamic) items.
    """

    def __init__(self, *, timeout: float | None = None) -> None:
        super().__init__(timeout=timeout)

    async def on_error(
        self,
        interaction: discord.Interaction[Any],
        error: Exception,
        item: discord.ui.Item[Any],
    ) -> None:
        await report_error(interaction, error, f"{type(self).__name__} item {item!r}")


async def run_privately(
    interaction: discord.Interaction[Any], work: Callable[[], Awaitable[None]]
) -> None:
    """The body of every persistent button: acknowledge at once, then work, then report.

    Buttons touch the database, which may wait on another writer for longer than the
    3 seconds Discord allows before an interaction must be acknowledged; so the press is
    deferred (ephemerally: buttons answer whoever pressed, privately) before ``work``
    runs, and ``work`` answers with :func:`send_ephemeral`. discord.py only logs a
    ``DynamicItem``'s exceptions (no view ``on_error`` runs), hence the report here.
    """
    try:
        await interaction.response.defer(ephemeral=True, thinking=True)
        await work()
    except Exception as exc:
        custom_id = (interaction.data or {}).get("custom_id", "?")  # type: ignore[call-overload]
        await report_error(interaction, exc, f"button {custom_id}")
